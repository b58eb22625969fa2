//! Keeps the cached score on contacts in step with their profile and activities (a local
//! projection: it never touches `updated_at`).
use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::store;
use crate::bulk::{Bulk, Cell};
use crate::db::Conn;
use crate::error::AppResult;
use crate::handoffs::playbook_at::PlaybookHistory;

/// From this many contacts on, one pass over every contact and activity is cheaper than
/// two queries per contact.
const BULK: usize = 2000;

/// Recomputes the cached score of these contacts by the model in force at `now`.
pub async fn refresh(
    conn: &mut Conn,
    pb: &PlaybookHistory,
    ids: &[String],
    now: DateTime<Utc>,
) -> AppResult<()> {
    if ids.len() >= BULK {
        return refresh_many(conn, pb, ids, now).await;
    }
    for id in ids {
        let contact = store::get(&mut *conn, id).await?;
        let acts = store::activities(&mut *conn, id).await?;
        let total = store::score(pb, &contact, &acts, now).total;
        if total != contact.score {
            sqlx::query("UPDATE contacts SET score = ? WHERE id = ?")
                .bind(total)
                .bind(id)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

/// [`refresh`] for a large set (an import that updated 100k contacts): every contact and
/// activity read once, in id order, and the changed scores written through one prepared
/// statement.
async fn refresh_many(
    conn: &mut Conn,
    pb: &PlaybookHistory,
    ids: &[String],
    now: DateTime<Utc>,
) -> AppResult<()> {
    let wanted: HashSet<&str> = ids.iter().map(String::as_str).collect();
    let contacts = store::all(&mut *conn).await?;
    let mut acts = store::all_activities(&mut *conn)
        .await?
        .into_iter()
        .peekable();
    let mut changed: Vec<(String, i64)> = Vec::new();
    for c in contacts {
        let mut mine = Vec::new();
        while let Some((id, _)) = acts.peek() {
            if *id < c.id {
                acts.next();
            } else if *id == c.id {
                mine.push(acts.next().expect("peeked").1);
            } else {
                break;
            }
        }
        if !wanted.contains(c.id.as_str()) {
            continue;
        }
        let total = store::score(pb, &c, &mine, now).total;
        if total != c.score {
            changed.push((c.id, i64::from(total)));
        }
    }
    let bulk = Bulk::lock(&mut *conn).await?;
    let mut update = bulk.statement(
        "contacts",
        "UPDATE contacts SET score = ?1 WHERE id = ?2",
        2,
    )?;
    for (id, score) in &changed {
        update.row(&[Cell::Int(*score), Cell::Text(id)])?;
    }
    Ok(())
}

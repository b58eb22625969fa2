//! The contacts' cached stage and score are local projections: rebuilt from the handoff
//! log (replayed through the stage definitions) and from the scoring model in force, on a
//! new model, once a day for decay, after `playbook verify` changes its findings, and by
//! `playbook rebuild`. A rebuild never touches `updated_at`: it is not a user's edit.
use chrono::{DateTime, Utc};

use super::store;
use std::collections::HashMap;

use crate::db::{parse_ts, Conn};
use crate::error::AppResult;
use crate::handoffs::playbook_at::PlaybookHistory;
use crate::handoffs::records::{EventRecord, COLUMNS};
use crate::handoffs::replay::replay;
use crate::handoffs::rules::Lifecycle;
use crate::handoffs::store::Ledger;

/// The stage a contact's log gives, and since when: the fold's; or, when no event of it
/// applies (its history lost, or found tampered), the first stage of the funnel since the
/// contact was created.
pub fn expected(
    state: Option<Lifecycle>,
    pb: &PlaybookHistory,
    created_at: &str,
) -> Option<(String, String)> {
    match state {
        Some(s) => Some((s.stage, s.since)),
        None => {
            let at = parse_ts("createdAt", created_at).ok()?;
            pb.first_stage(at).map(|k| (k, created_at.to_string()))
        }
    }
}

/// Replays every contact's log and corrects the cached stages; returns how many changed.
pub async fn stages(conn: &mut Conn) -> AppResult<u32> {
    let ledger = Ledger::load(&mut *conn).await?;
    let contacts: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT id, stage, stage_since, created_at FROM contacts WHERE deleted_at IS NULL ORDER BY id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let ctx = ledger.context();
    let mut changed = 0;
    for chunk in contacts.chunks(2000) {
        let ids: Vec<&str> = chunk.iter().map(|c| c.0.as_str()).collect();
        let list = serde_json::to_string(&ids).expect("ids serialise");
        let rows: Vec<EventRecord> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM handoff_events
             WHERE contact_id IN (SELECT value FROM json_each(?)) ORDER BY contact_id, at, id"
        )))
        .bind(&list)
        .fetch_all(&mut *conn)
        .await?;
        let mut groups: HashMap<&str, &[EventRecord]> = HashMap::new();
        let mut start = 0;
        while start < rows.len() {
            let contact = rows[start].contact_id.as_str();
            let end = rows[start..]
                .iter()
                .position(|r| r.contact_id != contact)
                .map_or(rows.len(), |n| start + n);
            groups.insert(contact, &rows[start..end]);
            start = end;
        }
        for (id, stage, since, created_at) in chunk {
            let events = groups.get(id.as_str()).copied().unwrap_or_default();
            let (_, state) = replay(events, &ctx);
            let Some((want, want_since)) = expected(state, &ledger.pb, created_at) else {
                continue;
            };
            if (&want, &want_since) != (stage, since) {
                sqlx::query("UPDATE contacts SET stage = ?, stage_since = ? WHERE id = ?")
                    .bind(&want)
                    .bind(&want_since)
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
                changed += 1;
            }
        }
    }
    Ok(changed)
}

/// Recomputes every cached score by the model in force at `now`; returns how many changed.
pub async fn scores(conn: &mut Conn, now: DateTime<Utc>) -> AppResult<u32> {
    let ledger = Ledger::load(&mut *conn).await?;
    let contacts = store::all(&mut *conn).await?;
    let mut acts = store::all_activities(&mut *conn)
        .await?
        .into_iter()
        .peekable();
    let mut changed = 0;
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
        let total = store::score(&ledger.pb, &c, &mine, now).total;
        if total != c.score {
            sqlx::query("UPDATE contacts SET score = ? WHERE id = ?")
                .bind(total)
                .bind(&c.id)
                .execute(&mut *conn)
                .await?;
            changed += 1;
        }
    }
    let stamp = stamp(&ledger, now);
    sqlx::query("INSERT INTO projection_state (key, value) VALUES ('scores', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .bind(stamp)
        .execute(&mut *conn)
        .await?;
    Ok(changed)
}

/// What the cached scores follow: the model in force and the day (decay moves daily).
fn stamp(ledger: &Ledger, now: DateTime<Utc>) -> String {
    format!(
        "{}|{}",
        ledger
            .pb
            .scoring_at(now)
            .map(|v| format!("{}:{}", v.reference(), v.id))
            .unwrap_or_default(),
        now.format("%Y-%m-%d")
    )
}

/// Whether the model in force or the day changed since the scores were last rebuilt.
pub async fn scores_stale(conn: &mut Conn, now: DateTime<Utc>) -> AppResult<bool> {
    let ledger = Ledger::load(&mut *conn).await?;
    let last: Option<String> =
        sqlx::query_scalar("SELECT value FROM projection_state WHERE key = 'scores'")
            .fetch_optional(&mut *conn)
            .await?;
    Ok(last.as_deref() != Some(stamp(&ledger, now).as_str()))
}

/// Brings the cached scores up to date before they are shown, when the model in force or
/// the day changed since their last rebuild (decay moves daily; a scheduled model takes
/// force by itself); says whether it rebuilt. A read-only (damaged) workspace keeps what it
/// has: showing slightly old scores beats refusing to show any.
pub async fn refresh_scores(db: &crate::db::Db, now: DateTime<Utc>) -> AppResult<bool> {
    if crate::db::read_only().is_some() || !scores_stale(&mut *db.acquire().await?, now).await? {
        return Ok(false);
    }
    let mut tx = crate::db::write(db).await?;
    let rebuilt = scores_if_stale(&mut tx, now).await?;
    tx.commit().await?;
    Ok(rebuilt)
}

/// Rebuilds the scores when they are stale; says whether it did.
pub async fn scores_if_stale(conn: &mut Conn, now: DateTime<Utc>) -> AppResult<bool> {
    if !scores_stale(&mut *conn, now).await? {
        return Ok(false);
    }
    scores(conn, now).await?;
    Ok(true)
}

//! Keeps the cached score on contacts in step with their profile and activities.
use chrono::{DateTime, Utc};

use super::store;
use crate::db::Conn;
use crate::error::AppResult;
use crate::handoffs::playbook_at::PlaybookHistory;

/// Recomputes the cached score of these contacts by the model in force at `now`.
pub async fn refresh(
    conn: &mut Conn,
    pb: &PlaybookHistory,
    ids: &[String],
    now: DateTime<Utc>,
) -> AppResult<()> {
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

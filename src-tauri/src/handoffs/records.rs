//! Handoff events as stored and as they travel: the canonical hash each one is signed over
//! (its author's signature, or its bulk write's), chained to the contact's previous event.
use crate::db::Conn;
use crate::error::AppResult;
use crate::trust::canon::Canon;

/// One stored event of the handoff log.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventRecord {
    pub id: String,
    pub contact_id: String,
    pub kind: String,
    pub at: String,
    pub actor_id: Option<String>,
    pub assignee_id: Option<String>,
    /// For `created`: the stage the contact entered. Otherwise where the writer saw it go
    /// (the fold recomputes it).
    pub to_stage: String,
    pub reason: Option<String>,
    pub channel: Option<String>,
    pub note: String,
    pub external_id: Option<String>,
    /// Hash of the contact's previous event as the writer knew it: the chain.
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
    pub signature: Option<String>,
    /// The bulk write whose signature covers this row, if it has no signature of its own.
    pub bulk_id: Option<String>,
}

impl EventRecord {
    /// The hash a signature covers: contact, kind, time, who, reason, channel, note and the
    /// previous event's hash.
    pub fn computed_hash(&self) -> String {
        Canon::new("event/v1")
            .text(&self.id)
            .text(&self.contact_id)
            .text(&self.kind)
            .text(&self.at)
            .opt(self.actor_id.as_deref())
            .opt(self.assignee_id.as_deref())
            .text(&self.to_stage)
            .opt(self.reason.as_deref())
            .opt(self.channel.as_deref())
            .text(&self.note)
            .opt(self.external_id.as_deref())
            .opt(self.prev_hash.as_deref())
            .opt(self.bulk_id.as_deref())
            .finish()
    }

    /// The hash that stands for this event in its contact's chain: the stored one, or for
    /// a row of a bulk write (which stores none, to keep 100k-row imports lean) the one its
    /// content gives; the bulk record's signature covers it.
    pub fn chain_hash(&self) -> Option<String> {
        match (&self.hash, &self.bulk_id) {
            (Some(h), _) => Some(h.clone()),
            (None, Some(_)) => Some(self.computed_hash()),
            (None, None) => None,
        }
    }

    /// Sets the hash from the content.
    pub fn sealed(mut self) -> EventRecord {
        self.hash = Some(self.computed_hash());
        self
    }
}

pub const COLUMNS: &str =
    "id, contact_id, kind, at, actor_id, assignee_id, to_stage, reason, channel, note,
    external_id, prev_hash, hash, signature, bulk_id";

/// A contact's stored events, in (time, id) order.
pub async fn of_contact(conn: &mut Conn, contact_id: &str) -> AppResult<Vec<EventRecord>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM handoff_events WHERE contact_id = ? ORDER BY at, id"
    )))
    .bind(contact_id)
    .fetch_all(conn)
    .await?)
}

/// Stores an event; `from_stage` and `playbook` are what the writer saw (not hashed).
pub async fn insert(
    conn: &mut Conn,
    r: &EventRecord,
    from_stage: Option<&str>,
    playbook: &str,
    recorded_at: &str,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO handoff_events
            (id, contact_id, kind, at, actor_id, assignee_id, from_stage, to_stage, reason, channel,
             note, playbook, external_id, prev_hash, hash, signature, bulk_id, recorded_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&r.id)
    .bind(&r.contact_id)
    .bind(&r.kind)
    .bind(&r.at)
    .bind(&r.actor_id)
    .bind(&r.assignee_id)
    .bind(from_stage)
    .bind(&r.to_stage)
    .bind(&r.reason)
    .bind(&r.channel)
    .bind(&r.note)
    .bind(playbook)
    .bind(&r.external_id)
    .bind(&r.prev_hash)
    .bind(&r.hash)
    .bind(&r.signature)
    .bind(&r.bulk_id)
    .bind(recorded_at)
    .execute(conn)
    .await?;
    Ok(())
}

//! Meeting records as stored and as they will travel through sync: one write of some
//! fields of one entity (a meeting, an agenda item, a decision, an action item), signed by
//! the member who made it. An entity's state is the fold of its valid records in (time, id)
//! order, the newest write winning field by field.
use serde_json::{Map, Value};

use crate::db::{new_id, Conn};
use crate::error::AppResult;
use crate::team::roster::Roster;
use crate::trust::canon::Canon;
use crate::trust::{keys, Signer};

/// What a record is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    Meeting,
    AgendaItem,
    Decision,
    ActionItem,
}

impl Entity {
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::Meeting => "meeting",
            Entity::AgendaItem => "agenda_item",
            Entity::Decision => "decision",
            Entity::ActionItem => "action_item",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MeetingRecord {
    pub id: String,
    pub entity: String,
    pub entity_id: String,
    pub meeting_id: String,
    /// The fields this write sets, as a JSON object.
    pub body: String,
    pub at: String,
    pub author_id: String,
    pub hash: String,
    pub signature: String,
}

impl MeetingRecord {
    /// A new record setting `fields` of one entity, signed by `author`.
    pub fn signed(
        entity: Entity,
        entity_id: &str,
        meeting_id: &str,
        fields: &Map<String, Value>,
        author: &Signer,
        at: &str,
    ) -> MeetingRecord {
        let mut r = MeetingRecord {
            id: new_id(),
            entity: entity.as_str().to_string(),
            entity_id: entity_id.to_string(),
            meeting_id: meeting_id.to_string(),
            body: Value::Object(fields.clone()).to_string(),
            at: at.to_string(),
            author_id: author.member_id.clone(),
            hash: String::new(),
            signature: String::new(),
        };
        r.hash = r.computed_hash();
        r.signature = author.sign(&r.hash);
        r
    }

    pub fn computed_hash(&self) -> String {
        Canon::new("meeting/v1")
            .text(&self.id)
            .text(&self.entity)
            .text(&self.entity_id)
            .text(&self.meeting_id)
            .text(&self.body)
            .text(&self.at)
            .text(&self.author_id)
            .finish()
    }

    /// Why the record does not count, if it does not: its content must match its hash and
    /// its author's signature, and its author must have been on the team then.
    pub fn problem(&self, roster: &Roster) -> Option<String> {
        if self.computed_hash() != self.hash {
            return Some("its content does not match what was signed".into());
        }
        let Some(author) = roster.at(&self.author_id, &self.at) else {
            return Some("its author was not on the team then".into());
        };
        if !keys::verify(&author.public_key, &self.hash, &self.signature) {
            return Some(format!("{}'s signature does not verify", author.email));
        }
        if self.fields().is_none() {
            return Some("its content is unreadable".into());
        }
        None
    }

    pub fn fields(&self) -> Option<Map<String, Value>> {
        match serde_json::from_str(&self.body).ok()? {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }
}

/// The folded state of one entity: its fields, who wrote it first and when, and when it
/// was last written.
#[derive(Debug, Clone, PartialEq)]
pub struct Folded {
    pub fields: Map<String, Value>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
}

/// Folds an entity's records: valid ones in (time, id) order, each field taking the value
/// of the newest write that set it. `None` when no record counts.
pub fn fold(records: &[MeetingRecord], roster: &Roster) -> Option<Folded> {
    let mut valid: Vec<&MeetingRecord> = records
        .iter()
        .filter(|r| r.problem(roster).is_none())
        .collect();
    valid.sort_by(|a, b| (&a.at, &a.id).cmp(&(&b.at, &b.id)));
    let first = valid.first()?;
    let mut fields = Map::new();
    for r in &valid {
        for (k, v) in r.fields().unwrap_or_default() {
            fields.insert(k, v);
        }
    }
    Some(Folded {
        fields,
        created_by: first.author_id.clone(),
        created_at: first.at.clone(),
        updated_at: valid.last().map(|r| r.at.clone()).unwrap_or_default(),
    })
}

pub async fn insert(conn: &mut Conn, r: &MeetingRecord) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO meeting_records (id, entity, entity_id, meeting_id, body, at, author_id, hash, signature)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&r.id)
    .bind(&r.entity)
    .bind(&r.entity_id)
    .bind(&r.meeting_id)
    .bind(&r.body)
    .bind(&r.at)
    .bind(&r.author_id)
    .bind(&r.hash)
    .bind(&r.signature)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn of_entity(conn: &mut Conn, entity_id: &str) -> AppResult<Vec<MeetingRecord>> {
    Ok(sqlx::query_as(
        "SELECT id, entity, entity_id, meeting_id, body, at, author_id, hash, signature
         FROM meeting_records WHERE entity_id = ? ORDER BY at, id",
    )
    .bind(entity_id)
    .fetch_all(conn)
    .await?)
}

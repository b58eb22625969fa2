//! Signed member records: SQL, canonical hashes, and the `members` projection they keep.
use chrono::{DateTime, Utc};

use super::roster::Roster;
use super::{Role, Side};
use crate::db::{new_id, ts, Conn};
use crate::error::AppResult;
use crate::trust::canon::Canon;
use crate::trust::Signer;

/// One addition of, or change to, a member, as stored and as it travels.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberRecord {
    pub id: String,
    pub member_id: String,
    pub email: String,
    pub name: String,
    pub side: Side,
    pub role: Role,
    pub removed: bool,
    pub public_key: String,
    pub key_envelope: String,
    pub at: String,
    pub signer_id: String,
    pub hash: String,
    pub signature: String,
}

impl MemberRecord {
    /// The hash its signature covers: everything but the signature.
    pub fn computed_hash(&self) -> String {
        Canon::new("member/v1")
            .text(&self.id)
            .text(&self.member_id)
            .text(&self.email)
            .text(&self.name)
            .text(self.side.as_str())
            .text(self.role.as_str())
            .int(i64::from(self.removed))
            .text(&self.public_key)
            .text(&self.key_envelope)
            .text(&self.at)
            .text(&self.signer_id)
            .finish()
    }
}

/// The state a new record gives a member.
pub struct MemberFields<'a> {
    pub member_id: &'a str,
    pub email: &'a str,
    pub name: &'a str,
    pub side: Side,
    pub role: Role,
    pub removed: bool,
    pub public_key: &'a str,
    pub key_envelope: &'a str,
}

/// Builds and signs a record (not yet stored).
pub fn signed(fields: &MemberFields<'_>, signer: &Signer, at: DateTime<Utc>) -> MemberRecord {
    let mut r = MemberRecord {
        id: new_id(),
        member_id: fields.member_id.to_string(),
        email: fields.email.to_string(),
        name: fields.name.to_string(),
        side: fields.side,
        role: fields.role,
        removed: fields.removed,
        public_key: fields.public_key.to_string(),
        key_envelope: fields.key_envelope.to_string(),
        at: ts(at),
        signer_id: signer.member_id.clone(),
        hash: String::new(),
        signature: String::new(),
    };
    r.hash = r.computed_hash();
    r.signature = signer.sign(&r.hash);
    r
}

pub async fn insert(conn: &mut Conn, r: &MemberRecord) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO member_records (id, member_id, email, name, side, role, removed, public_key,
            key_envelope, at, signer_id, hash, signature)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&r.id)
    .bind(&r.member_id)
    .bind(&r.email)
    .bind(&r.name)
    .bind(r.side)
    .bind(r.role)
    .bind(r.removed)
    .bind(&r.public_key)
    .bind(&r.key_envelope)
    .bind(&r.at)
    .bind(&r.signer_id)
    .bind(&r.hash)
    .bind(&r.signature)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn all(conn: &mut Conn) -> AppResult<Vec<MemberRecord>> {
    Ok(sqlx::query_as(
        "SELECT id, member_id, email, name, side, role, removed, public_key, key_envelope, at,
                signer_id, hash, signature
         FROM member_records ORDER BY at, id",
    )
    .fetch_all(conn)
    .await?)
}

pub async fn genesis(conn: &mut Conn) -> AppResult<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT genesis_record_id FROM workspace LIMIT 1")
            .fetch_optional(conn)
            .await?,
    )
}

/// The team as its valid records tell it.
pub async fn roster(conn: &mut Conn) -> AppResult<Roster> {
    let g = genesis(&mut *conn).await?;
    let records = all(&mut *conn).await?;
    Ok(Roster::fold(records, g.as_deref()))
}

/// Brings the `members` table (what lists and joins read) in line with the roster: every
/// member as the fold tells them, and rows the fold does not know (written behind
/// Playbook's back) tombstoned. Rows are updated in place, never deleted: other tables refer
/// to them. Returns how many rows it put right.
pub async fn project(conn: &mut Conn, roster: &Roster) -> AppResult<u32> {
    type Row = (
        String,
        String,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Row> =
        sqlx::query_as("SELECT id, email, name, side, role, deleted_at, public_key FROM members")
            .fetch_all(&mut *conn)
            .await?;
    let stored: std::collections::HashMap<String, Row> =
        rows.into_iter().map(|r| (r.0.clone(), r)).collect();
    let mut repaired = 0;
    for m in roster.everyone() {
        let deleted = m.removed.then(|| m.at.clone());
        let wanted = (
            m.member_id.clone(),
            m.email.clone(),
            m.name.clone(),
            m.side.as_str().to_string(),
            m.role.as_str().to_string(),
            deleted.clone(),
            Some(m.public_key.clone()),
        );
        if stored.get(&m.member_id) == Some(&wanted) {
            continue;
        }
        let first_at = roster
            .history(&m.member_id)
            .first()
            .map_or_else(|| m.at.clone(), |f| f.at.clone());
        sqlx::query(
            "INSERT INTO members (id, email, name, side, role, created_at, updated_at, deleted_at, public_key)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (id) DO UPDATE SET email = ?2, name = ?3, side = ?4, role = ?5,
                updated_at = ?7, deleted_at = ?8, public_key = ?9",
        )
        .bind(&m.member_id)
        .bind(&m.email)
        .bind(&m.name)
        .bind(m.side)
        .bind(m.role)
        .bind(&first_at)
        .bind(&m.at)
        .bind(deleted)
        .bind(&m.public_key)
        .execute(&mut *conn)
        .await?;
        repaired += 1;
    }
    let now = ts(Utc::now());
    for (id, row) in &stored {
        if roster.latest(id).is_none() && row.5.is_none() {
            sqlx::query("UPDATE members SET deleted_at = ? WHERE id = ?")
                .bind(&now)
                .bind(id)
                .execute(&mut *conn)
                .await?;
            repaired += 1;
        }
    }
    Ok(repaired)
}

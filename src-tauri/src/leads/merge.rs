//! Merging a duplicate contact into the person it really is, and undoing it: a signed,
//! append-only record each time (never an edit of either contact). The duplicate leaves
//! the lists (its tombstone and `merged_into` are the projection of its latest merge
//! record); its own history stays its own and shows on the survivor's page.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use specta::Type;

use crate::db::{new_id, ts, Conn};
use crate::error::{AppError, AppResult};
use crate::team::roster::Roster;
use crate::team::Role;
use crate::trust::canon::Canon;
use crate::trust::{keys, Signer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum MergeAction {
    Merge,
    Unmerge,
}

impl MergeAction {
    fn as_str(self) -> &'static str {
        match self {
            MergeAction::Merge => "merge",
            MergeAction::Unmerge => "unmerge",
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct MergeRecord {
    id: String,
    duplicate_id: String,
    survivor_id: String,
    action: String,
    at: String,
    actor_id: String,
    hash: String,
    signature: String,
}

impl MergeRecord {
    fn computed_hash(&self) -> String {
        Canon::new("merge/v1")
            .text(&self.id)
            .text(&self.duplicate_id)
            .text(&self.survivor_id)
            .text(&self.action)
            .text(&self.at)
            .text(&self.actor_id)
            .finish()
    }

    /// Whether the record is what its signer signed, and the signer could merge then.
    fn valid(&self, roster: &Roster) -> bool {
        self.computed_hash() == self.hash
            && roster.at(&self.actor_id, &self.at).is_some_and(|m| {
                matches!(m.role, Role::Manager | Role::Ops)
                    && keys::verify(&m.public_key, &self.hash, &self.signature)
            })
    }
}

/// Merges `duplicate` into `survivor` (both live contacts, not the same, the survivor not
/// itself merged), or undoes the merge of `duplicate`; signed by an ops member or manager.
pub async fn record(
    conn: &mut Conn,
    action: MergeAction,
    duplicate: &str,
    survivor: Option<&str>,
    signer: &Signer,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let roster = crate::team::records::roster(&mut *conn).await?;
    let me = roster
        .at(&signer.member_id, &ts(now))
        .ok_or_else(|| AppError::not_allowed("you are not on the team"))?;
    if !matches!(me.role, Role::Manager | Role::Ops) {
        return Err(AppError::not_allowed(format!(
            "contacts are merged by ops people and managers; {} is a {} {}",
            me.name,
            me.side.as_str(),
            me.role.as_str()
        )));
    }
    let state: Option<(Option<String>, Option<String>)> =
        sqlx::query_as("SELECT merged_into, deleted_at FROM contacts WHERE id = ?")
            .bind(duplicate)
            .fetch_optional(&mut *conn)
            .await?;
    let Some((merged_into, deleted_at)) = state else {
        return Err(AppError::not_found(format!(
            "no contact with id {duplicate}"
        )));
    };
    let survivor = match action {
        MergeAction::Merge => {
            let survivor = survivor.ok_or_else(|| {
                AppError::invalid("survivor", "say which contact the duplicate is merged into")
            })?;
            if survivor == duplicate {
                return Err(AppError::invalid(
                    "survivor",
                    "a contact cannot be merged into itself",
                ));
            }
            if merged_into.is_some() {
                return Err(AppError::conflict(format!(
                    "{duplicate} is already merged into {}; unmerge it first",
                    merged_into.unwrap_or_default()
                )));
            }
            if deleted_at.is_some() {
                return Err(AppError::not_found(format!(
                    "no contact with id {duplicate}"
                )));
            }
            let live: Option<String> = sqlx::query_scalar(
                "SELECT id FROM contacts WHERE id = ? AND deleted_at IS NULL AND merged_into IS NULL",
            )
            .bind(survivor)
            .fetch_optional(&mut *conn)
            .await?;
            if live.is_none() {
                return Err(AppError::not_found(format!(
                    "no live contact with id {survivor} to merge into"
                )));
            }
            survivor.to_string()
        }
        MergeAction::Unmerge => merged_into
            .ok_or_else(|| AppError::conflict(format!("{duplicate} is not merged into anyone")))?,
    };
    let mut r = MergeRecord {
        id: new_id(),
        duplicate_id: duplicate.to_string(),
        survivor_id: survivor,
        action: action.as_str().to_string(),
        at: ts(now),
        actor_id: signer.member_id.clone(),
        hash: String::new(),
        signature: String::new(),
    };
    r.hash = r.computed_hash();
    r.signature = signer.sign(&r.hash);
    sqlx::query(
        "INSERT INTO contact_merges (id, duplicate_id, survivor_id, action, at, actor_id, hash, signature)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&r.id)
    .bind(&r.duplicate_id)
    .bind(&r.survivor_id)
    .bind(&r.action)
    .bind(&r.at)
    .bind(&r.actor_id)
    .bind(&r.hash)
    .bind(&r.signature)
    .execute(&mut *conn)
    .await?;
    project(conn, &roster, duplicate).await
}

/// Sets the duplicate's projection from its latest valid merge record.
pub async fn project(conn: &mut Conn, roster: &Roster, duplicate: &str) -> AppResult<()> {
    let records: Vec<MergeRecord> = sqlx::query_as(
        "SELECT id, duplicate_id, survivor_id, action, at, actor_id, hash, signature
         FROM contact_merges WHERE duplicate_id = ? ORDER BY at, id",
    )
    .bind(duplicate)
    .fetch_all(&mut *conn)
    .await?;
    let latest = records.iter().rev().find(|r| r.valid(roster));
    let (merged_into, tombstone) = match latest {
        Some(r) if r.action == "merge" => (Some(r.survivor_id.clone()), Some(r.at.clone())),
        _ => (None, None),
    };
    sqlx::query("UPDATE contacts SET merged_into = ?, deleted_at = ? WHERE id = ?")
        .bind(merged_into)
        .bind(tombstone)
        .bind(duplicate)
        .execute(conn)
        .await?;
    Ok(())
}

/// The contacts merged into `survivor` now.
pub async fn merged_into(conn: &mut Conn, survivor: &str) -> AppResult<Vec<String>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM contacts WHERE merged_into = ? ORDER BY id")
            .bind(survivor)
            .fetch_all(conn)
            .await?,
    )
}

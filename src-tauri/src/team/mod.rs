//! The team: who works in marketing and sales, and who may sign off the playbook. Members
//! are a fold over signed member records; adding one or changing a role is signed by a
//! manager, and every member proves who they are with the passphrase of their key.
pub mod crm_users;
pub mod names;
pub mod records;
pub mod roster;
pub mod store;

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::db::{self, Db};
use crate::error::{AppError, AppResult};
use crate::trust::Signer;

pub async fn list(db: &Db) -> AppResult<Vec<Member>> {
    store::list(&mut *db.acquire().await?).await
}

/// Adds a member, signed by `signer` (a manager); the new member's key is sealed under
/// `new_passphrase`.
pub async fn add(
    db: &Db,
    member: &NewMember,
    new_passphrase: &str,
    signer: &Signer,
) -> AppResult<Member> {
    let mut tx = db::write(db).await?;
    let m = store::add(&mut tx, member, new_passphrase, signer, chrono::Utc::now()).await?;
    tx.commit().await?;
    Ok(m)
}

/// Founds a workspace with its first member, a manager whose key is sealed under
/// `passphrase`.
pub async fn found(db: &Db, member: &NewMember, passphrase: &str) -> AppResult<Member> {
    let mut tx = db::write(db).await?;
    let (m, _) = store::found(&mut tx, member, passphrase, chrono::Utc::now()).await?;
    tx.commit().await?;
    Ok(m)
}

/// Changes a member's side or role, signed by a manager.
pub async fn change_role(
    db: &Db,
    email: &str,
    side: Side,
    role: Role,
    signer: &Signer,
) -> AppResult<Member> {
    let mut tx = db::write(db).await?;
    let m = store::change_role(&mut tx, email, side, role, signer, chrono::Utc::now()).await?;
    tx.commit().await?;
    Ok(m)
}

/// Renames a member, signed by a manager other than them.
pub async fn rename(db: &Db, email: &str, name: &str, signer: &Signer) -> AppResult<Member> {
    let mut tx = db::write(db).await?;
    let m = store::rename(&mut tx, email, name, signer, chrono::Utc::now()).await?;
    tx.commit().await?;
    Ok(m)
}

/// Removes a member, signed by a manager other than them.
pub async fn remove(db: &Db, email: &str, signer: &Signer) -> AppResult<Member> {
    let mut tx = db::write(db).await?;
    let m = store::remove(&mut tx, email, signer, chrono::Utc::now()).await?;
    tx.commit().await?;
    Ok(m)
}

/// The signer seals their own key under a new passphrase (or replaces it: `new_key`).
pub async fn change_passphrase(
    db: &Db,
    signer: &Signer,
    new_passphrase: &str,
    new_key: bool,
) -> AppResult<Member> {
    let mut tx = db::write(db).await?;
    let m = store::change_passphrase(&mut tx, signer, new_passphrase, new_key, chrono::Utc::now())
        .await?;
    tx.commit().await?;
    Ok(m)
}

/// A member and every signed change to them.
pub async fn history(db: &Db, email: &str) -> AppResult<MemberHistory> {
    store::history(&mut *db.acquire().await?, email).await
}

/// Opens `who`'s key (an email or a member id) with their passphrase.
pub async fn unlock(db: &Db, who: &str, passphrase: &str) -> AppResult<Signer> {
    store::unlock(&mut *db.acquire().await?, who, passphrase).await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Type, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(rename_all = "snake_case")]
pub enum Side {
    Marketing,
    Sales,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(rename_all = "snake_case")]
pub enum Role {
    Manager,
    Rep,
    Ops,
}

impl Side {
    pub const ALL: [Side; 2] = [Side::Marketing, Side::Sales];
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Marketing => "marketing",
            Side::Sales => "sales",
        }
    }
    pub fn parse(field: &str, text: &str) -> AppResult<Side> {
        match text.trim().to_ascii_lowercase().as_str() {
            "marketing" => Ok(Side::Marketing),
            "sales" => Ok(Side::Sales),
            other => Err(AppError::invalid(
                field,
                format!("{field}: '{other}' is not a side; use marketing or sales"),
            )),
        }
    }
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Manager => "manager",
            Role::Rep => "rep",
            Role::Ops => "ops",
        }
    }
    pub fn parse(field: &str, text: &str) -> AppResult<Role> {
        match text.trim().to_ascii_lowercase().as_str() {
            "manager" => Ok(Role::Manager),
            "rep" => Ok(Role::Rep),
            "ops" => Ok(Role::Ops),
            other => Err(AppError::invalid(
                field,
                format!("{field}: '{other}' is not a role; use manager, rep or ops"),
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    pub id: String,
    pub email: String,
    pub name: String,
    pub side: Side,
    pub role: Role,
    pub created_at: String,
    /// Whether the member has a signing key (members from before keys have none).
    pub has_key: bool,
    /// Who set the current key, when it replaced an earlier one and someone else set it (a
    /// manager adding the member again after a forgotten passphrase), and when.
    pub key_set_by: Option<String>,
    pub key_set_at: Option<String>,
}

/// One signed change to a member: when, what, who signed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct MemberChange {
    pub at: String,
    pub what: String,
    pub signed_by: String,
    /// Set when this change gave the member a key someone else made.
    pub key_set_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct MemberHistory {
    pub member: Member,
    pub changes: Vec<MemberChange>,
}

impl Member {
    pub fn is_manager(&self) -> bool {
        self.role == Role::Manager
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct NewMember {
    pub email: String,
    pub name: String,
    pub side: Side,
    pub role: Role,
}

impl NewMember {
    /// Cleans the input (see [`names`]) and refuses what cannot be a team member.
    pub fn validated(&self) -> AppResult<NewMember> {
        Ok(NewMember {
            name: names::clean_name(&self.name)?,
            email: names::clean_email(&self.email)?,
            side: self.side,
            role: self.role,
        })
    }
}

pub use names::is_plausible_email;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_needs_a_name_and_an_email() {
        let m = NewMember {
            email: " dan@larkspur.example ".into(),
            name: "  ".into(),
            side: Side::Sales,
            role: Role::Manager,
        };
        assert_eq!(m.validated().unwrap_err().field.as_deref(), Some("name"));
        let ok = NewMember {
            name: "Dan".into(),
            email: " Dan@Larkspur.EXAMPLE ".into(),
            ..m
        }
        .validated()
        .unwrap();
        assert_eq!(ok.email, "dan@larkspur.example");
    }
}

//! The team: who works in marketing and sales, and who may sign off the playbook. Members
//! are a fold over signed member records; adding one or changing a role is signed by a
//! manager, and every member proves who they are with the passphrase of their key.
pub mod crm_users;
pub mod passphrase;
pub mod records;
pub mod roster;
pub mod store;

use serde::{Deserialize, Serialize};
use specta::Type;
use unicode_normalization::UnicodeNormalization;

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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type, sqlx::FromRow)]
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
    /// Normalises the input (NFC, trimmed, lowercase email) and refuses what cannot be a
    /// team member.
    pub fn validated(&self) -> AppResult<NewMember> {
        let email = normalise_email(&self.email);
        let name: String = self.name.trim().nfc().collect();
        if name.is_empty() {
            return Err(AppError::invalid("name", "name: a member needs a name"));
        }
        if !is_plausible_email(&email) {
            return Err(AppError::invalid(
                "email",
                format!("email: '{email}' is not an email address"),
            ));
        }
        Ok(NewMember {
            email,
            name,
            side: self.side,
            role: self.role,
        })
    }
}

/// How emails are compared and stored: NFC, trimmed, lowercase.
pub fn normalise_email(text: &str) -> String {
    text.trim().nfc().collect::<String>().to_lowercase()
}

/// What a text looks like (Unicode TR39 skeleton, case folded): two texts with the same
/// skeleton can be mistaken for each other, such as `maya` with a Cyrillic `а`.
pub fn skeleton(text: &str) -> String {
    unicode_security::skeleton(&text.trim().to_lowercase())
        .collect::<String>()
        .to_lowercase()
}

/// A light check: one `@`, something before it, a dot in the domain, no spaces.
pub fn is_plausible_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !text.chars().any(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_checked_lightly() {
        assert!(is_plausible_email("maya@larkspur.example"));
        assert!(!is_plausible_email("maya"));
        assert!(!is_plausible_email("maya@localhost"));
        assert!(!is_plausible_email("ma ya@larkspur.example"));
        assert!(!is_plausible_email("@larkspur.example"));
    }

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

    #[test]
    fn look_alikes_share_a_skeleton() {
        // The `а` is Cyrillic (U+0430).
        assert_eq!(
            skeleton("m\u{0430}ya.okafor@larkspur.example"),
            skeleton("maya.okafor@larkspur.example")
        );
        assert_eq!(skeleton("Maya Okafor"), skeleton("MAYA OKAFOR"));
        assert_ne!(skeleton("maya@a.example"), skeleton("mara@a.example"));
    }
}

//! The team: who works in marketing and sales, and who may sign off the playbook.
pub mod store;

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::db::Db;
use crate::error::{AppError, AppResult};

pub async fn list(db: &Db) -> AppResult<Vec<Member>> {
    store::list(&mut *db.acquire().await?).await
}

pub async fn add(db: &Db, member: &NewMember) -> AppResult<Member> {
    store::add(&mut *db.acquire().await?, member, chrono::Utc::now()).await
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
    /// Trims the input and refuses what cannot be a team member.
    pub fn validated(&self) -> AppResult<NewMember> {
        let email = self.email.trim().to_string();
        let name = self.name.trim().to_string();
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
            ..m
        }
        .validated()
        .unwrap();
        assert_eq!(ok.email, "dan@larkspur.example");
    }
}

//! SQL for the team.
use chrono::{DateTime, Utc};

use super::{Member, NewMember};
use crate::db::{new_id, ts, Conn};
use crate::error::{AppError, AppResult};

/// The member columns, as a literal so queries stay plain `&'static str`.
macro_rules! select_members {
    ($rest:literal) => {
        concat!(
            "SELECT id, email, name, side, role, created_at FROM members ",
            $rest
        )
    };
}

pub async fn list(conn: &mut Conn) -> AppResult<Vec<Member>> {
    Ok(sqlx::query_as(select_members!(
        "WHERE deleted_at IS NULL ORDER BY side, role, name"
    ))
    .fetch_all(conn)
    .await?)
}

pub async fn get(conn: &mut Conn, id: &str) -> AppResult<Member> {
    sqlx::query_as(select_members!("WHERE id = ? AND deleted_at IS NULL"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| AppError::not_found(format!("no team member with id {id}")))
}

pub async fn find_by_email(conn: &mut Conn, email: &str) -> AppResult<Option<Member>> {
    Ok(sqlx::query_as(select_members!(
        "WHERE email = ? COLLATE NOCASE AND deleted_at IS NULL"
    ))
    .bind(email.trim())
    .fetch_optional(conn)
    .await?)
}

/// The member with this email, or a `not_found` error naming it.
pub async fn by_email(conn: &mut Conn, email: &str) -> AppResult<Member> {
    find_by_email(conn, email)
        .await?
        .ok_or_else(|| AppError::not_found(format!("no team member with email {}", email.trim())))
}

pub async fn add(conn: &mut Conn, input: &NewMember, at: DateTime<Utc>) -> AppResult<Member> {
    let m = input.validated()?;
    if find_by_email(&mut *conn, &m.email).await?.is_some() {
        return Err(AppError {
            field: Some("email".into()),
            ..AppError::conflict(format!(
                "a team member with email {} already exists",
                m.email
            ))
        });
    }
    let id = new_id();
    let now = ts(at);
    sqlx::query(
        "INSERT INTO members (id, email, name, side, role, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&id)
    .bind(&m.email)
    .bind(&m.name)
    .bind(m.side)
    .bind(m.role)
    .bind(&now)
    .bind(&now)
    .execute(&mut *conn)
    .await?;
    get(conn, &id).await
}

pub async fn count(conn: &mut Conn) -> AppResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT count(*) FROM members WHERE deleted_at IS NULL")
            .fetch_one(conn)
            .await?,
    )
}

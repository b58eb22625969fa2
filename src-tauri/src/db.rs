//! Opens the local SQLite database (WAL, foreign keys, busy timeout), runs the migrations,
//! and mints the ids and timestamps every row uses (UUIDv7 text, UTC RFC 3339 text).
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

use crate::error::AppResult;

pub type Db = SqlitePool;
pub type Conn = sqlx::SqliteConnection;

pub const DB_FILE: &str = "playbook.sqlite3";

/// The data directory the window uses when nothing else is said: the platform's data
/// directory plus the app identifier (what Tauri's `app_data_dir` resolves to).
pub fn default_data_dir() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("dev.playbook.desktop")
}

/// Opens (creating if needed) the database in `data_dir` and brings its schema up to date.
pub async fn open(data_dir: &Path) -> AppResult<Db> {
    std::fs::create_dir_all(data_dir)?;
    let options = SqliteConnectOptions::from_str("sqlite://")?
        .filename(data_dir.join(DB_FILE))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    // A handful of connections is plenty for one user; WAL lets readers run beside the writer.
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await?;
    sqlx::migrate!("src-tauri/migrations").run(&pool).await?;
    Ok(pool)
}

/// A new client-generated, time-ordered id.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Formats an instant the way every row stores it: UTC, RFC 3339, millisecond precision.
pub fn ts(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses a stored or user-given RFC 3339 instant.
pub fn parse_ts(field: &str, text: &str) -> AppResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            crate::error::AppError::invalid(
                field,
                format!("{field}: '{text}' is not an RFC 3339 time such as 2026-04-15T09:30:00Z"),
            )
        })
}

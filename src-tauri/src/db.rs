//! Opens the local SQLite database (WAL, foreign keys, busy timeout), runs the migrations,
//! and mints the ids and timestamps every row uses (UUIDv7 text, UTC RFC 3339 text).
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool};

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
        .busy_timeout(Duration::from_secs(10))
        // New workspaces use 16 KiB pages: a quarter of the page writes for bulk imports and
        // their WAL checkpoints (existing files keep the size they were made with).
        .page_size(16384)
        // Large imports touch every index; a 64 MiB page cache keeps them from spilling.
        .pragma("cache_size", "-65536");
    // A handful of connections is plenty for one user; WAL lets readers run beside the writer.
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await?;
    sqlx::migrate!("src-tauri/migrations").run(&pool).await?;
    Ok(pool)
}

/// A write transaction, begun IMMEDIATE so that it takes the write lock before it reads:
/// a deferred one that reads first cannot wait for the lock (SQLite answers "database is
/// locked" at once), while this one waits up to the busy timeout.
pub async fn write(db: &Db) -> AppResult<sqlx::Transaction<'static, Sqlite>> {
    Ok(db.begin_with("BEGIN IMMEDIATE").await?)
}

/// A pooled connection set up for one large write (an import). Its commit is like every
/// other (WAL, synchronous NORMAL: safe from the app being killed or crashing), but it
/// leaves the WAL checkpoint, copying ~100 MB of pages into the database file after a
/// 100k-contact import, to a background task instead of doing it inside the commit, as
/// SQLite's WAL documentation suggests for large writes. Hand it back through
/// [`end_large_write`].
pub async fn begin_large_write(db: &Db) -> AppResult<PoolConnection<Sqlite>> {
    let mut conn = db.acquire().await?;
    sqlx::query("PRAGMA wal_autocheckpoint = 0")
        .execute(&mut *conn)
        .await?;
    Ok(conn)
}

/// Restores the connection's automatic checkpoints (or closes it when that fails) and
/// runs the deferred checkpoint on another task; readers and writers are not blocked by it.
pub async fn end_large_write(db: &Db, mut conn: PoolConnection<Sqlite>) {
    let restored = sqlx::query("PRAGMA wal_autocheckpoint = 1000")
        .execute(&mut *conn)
        .await;
    if restored.is_err() {
        conn.close_on_drop();
    }
    drop(conn);
    let db = db.clone();
    tokio::spawn(async move {
        // PASSIVE copies what it can without waiting; a later commit finishes the rest.
        let _ = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&db)
            .await;
    });
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

/// A value for [`insert_many`].
#[derive(Debug, Clone)]
pub enum Val {
    Text(String),
    OptText(Option<String>),
    Int(i64),
    OptInt(Option<i64>),
}

/// Inserts many rows with multi-row `INSERT … VALUES (…), (…)` statements, as many rows
/// per statement as SQLite's parameter limit allows. `table` and `columns` are code, never
/// user input.
pub async fn insert_many(
    conn: &mut Conn,
    table: &'static str,
    columns: &[&'static str],
    rows: Vec<Vec<Val>>,
) -> AppResult<()> {
    let per_row = columns.len();
    let rows_per_statement = (30_000 / per_row).max(1);
    let one = format!("({})", vec!["?"; per_row].join(","));
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Val>> = rows.by_ref().take(rows_per_statement).collect();
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES {}",
            columns.join(","),
            vec![one.as_str(); chunk.len()].join(",")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for row in chunk {
            debug_assert_eq!(row.len(), per_row);
            for v in row {
                q = match v {
                    Val::Text(s) => q.bind(s),
                    Val::OptText(s) => q.bind(s),
                    Val::Int(i) => q.bind(i),
                    Val::OptInt(i) => q.bind(i),
                };
            }
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

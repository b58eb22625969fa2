//! Opens the local SQLite database (WAL, foreign keys, busy timeout), runs the migrations,
//! and mints the ids and timestamps every row uses (UUIDv7 text, UTC RFC 3339 text).
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{AssertSqlSafe, Sqlite, SqlitePool};

use crate::error::{AppError, AppResult, ErrorCode};

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

/// The migrations this build knows.
pub fn migrator() -> sqlx::migrate::Migrator {
    sqlx::migrate!("src-tauri/migrations")
}

/// Opens (creating if needed) the database in `data_dir` and brings its schema up to date.
/// Refuses, in plain words and without touching it, a file that is not a Playbook database
/// (a zero-length file included) and a workspace written by a newer Playbook. A snapshot
/// is taken before migrations change an existing workspace. Concurrent first opens of one
/// data directory take turns (a lock file), so migrations never race.
pub async fn open(data_dir: &Path) -> AppResult<Db> {
    if data_dir.exists() && !data_dir.is_dir() {
        return Err(AppError::io(format!(
            "{} is a file, not a data directory; give --data-dir a directory",
            data_dir.display()
        )));
    }
    std::fs::create_dir_all(data_dir).map_err(|e| {
        AppError::io(format!(
            "cannot create the data directory {}: {e}",
            data_dir.display()
        ))
    })?;
    let _turn = OpenLock::take(data_dir).await?;
    let path = data_dir.join(DB_FILE);
    let existed = path.exists();
    if existed {
        check_header(&path)?;
    }
    let options = SqliteConnectOptions::from_str("sqlite://")?
        .filename(&path)
        .create_if_missing(!existed)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        // New workspaces use 16 KiB pages: a quarter of the page writes for bulk imports and
        // their WAL checkpoints (existing files keep the size they were made with).
        .page_size(16384)
        // A small page cache on every connection: the window idles with all of them open,
        // and reads at 100k contacts run on indexes. Large writes raise it (see
        // `begin_large_write`).
        .pragma("cache_size", SMALL_CACHE);
    // A handful of connections is plenty for one user; WAL lets readers run beside the writer.
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .after_connect(|conn, _| {
            Box::pin(async move {
                // A workspace found damaged stays read-only for every connection.
                if read_only().is_some() {
                    sqlx::query("PRAGMA query_only = ON").execute(conn).await?;
                }
                Ok(())
            })
        })
        .connect_with(options)
        .await?;
    let migrator = migrator();
    let applied = applied_versions(&pool).await?;
    let known: Vec<i64> = migrator.iter().map(|m| m.version).collect();
    if let Some(newer) = applied.iter().find(|v| !known.contains(v)) {
        pool.close().await;
        return Err(AppError::new(
            ErrorCode::Database,
            format!(
                "this workspace was written by a newer version of Playbook (its schema {newer} is unknown here); update Playbook to open {}",
                path.display()
            ),
        ));
    }
    if !applied.is_empty() && known.iter().any(|v| !applied.contains(v)) {
        crate::backup::snapshot(&pool, data_dir, "before-migration").await?;
    }
    migrator.run(&pool).await?;
    Ok(pool)
}

/// The page cache of every connection (8 MiB, as SQLite's negative cache_size is KiB).
const SMALL_CACHE: &str = "-8192";
/// The page cache of a connection doing a large write (an import, a generated workspace):
/// 64 MiB, so touching every index does not spill pages mid-transaction.
const LARGE_CACHE: &str = "-65536";

/// Gives `conn` the large write's page cache (`large`) or the everyday one back; the
/// everyday one also returns the cache's memory at once.
pub async fn large_cache(conn: &mut Conn, large: bool) -> AppResult<()> {
    let size = if large { LARGE_CACHE } else { SMALL_CACHE };
    sqlx::query(AssertSqlSafe(format!("PRAGMA cache_size = {size}")))
        .execute(&mut *conn)
        .await?;
    if !large {
        sqlx::query("PRAGMA shrink_memory")
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The first 16 bytes of every SQLite database.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// Refuses a file that is not a SQLite database (a zero-length one included), rather than
/// letting SQLite turn it into a new, empty workspace.
pub fn check_header(path: &Path) -> AppResult<()> {
    use std::io::Read;
    let mut head = [0u8; 16];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .map_err(|e| AppError::io(format!("cannot read {}: {e}", path.display())))?;
    if n < 16 || &head != SQLITE_HEADER {
        return Err(AppError::new(
            ErrorCode::Database,
            format!(
                "{} is not a Playbook database ({}); it was left as it is. Move it away, or restore a backup with `playbook restore FILE`",
                path.display(),
                if n == 0 { "the file is empty".to_string() } else { "it is not a SQLite file".to_string() }
            ),
        ));
    }
    Ok(())
}

async fn applied_versions(pool: &Db) -> AppResult<Vec<i64>> {
    let has: Option<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_optional(pool)
    .await?;
    if has.is_none() {
        return Ok(vec![]);
    }
    Ok(
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(pool)
            .await?,
    )
}

/// An exclusive lock on `DATA/playbook.lock` while a data directory is opened.
struct OpenLock(std::fs::File);

impl OpenLock {
    async fn take(data_dir: &Path) -> AppResult<OpenLock> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(data_dir.join("playbook.lock"))
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied => {
                    AppError::new(
                        ErrorCode::ReadOnly,
                        format!(
                            "the data directory {} {}; make it writable, or copy it somewhere writable and use --data-dir",
                            data_dir.display(),
                            if e.kind() == std::io::ErrorKind::ReadOnlyFilesystem {
                                "is on a read-only file system".to_string()
                            } else {
                                format!("cannot be written ({e})")
                            }
                        ),
                    )
                }
                _ => AppError::io(format!("cannot open {}: {e}", data_dir.join("playbook.lock").display())),
            })?;
        // Opening and migrating take well under a second; half a minute means something
        // else holds the directory.
        for _ in 0..1500 {
            match file.try_lock() {
                Ok(()) => return Ok(OpenLock(file)),
                Err(std::fs::TryLockError::WouldBlock) => {
                    tokio::time::sleep(Duration::from_millis(20)).await
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(e.into()),
            }
        }
        Err(AppError::io(format!(
            "{} is being opened by another Playbook that does not finish",
            data_dir.display()
        )))
    }
}

impl Drop for OpenLock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

static DATA_DIR: std::sync::Mutex<Option<PathBuf>> = std::sync::Mutex::new(None);

/// Names the data directory this process works on, so that errors can say which backup to
/// restore.
pub fn set_data_dir(data_dir: &Path) {
    if let Ok(mut d) = DATA_DIR.lock() {
        *d = Some(data_dir.to_path_buf());
    }
}

/// What to do about a damaged workspace, for errors that meet one.
pub fn advice() -> String {
    match DATA_DIR.lock().ok().and_then(|d| d.clone()) {
        Some(dir) => restore_advice(&dir),
        None => "restore a backup with `playbook restore FILE`".into(),
    }
}

/// What the integrity check found: one short message (what happened, what to do) and
/// SQLite's own report, line by line (for `playbook verify --format json`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    pub message: String,
    pub details: Vec<String>,
}

static DAMAGE: std::sync::Mutex<Option<Damage>> = std::sync::Mutex::new(None);

/// Why the workspace is read-only, if it is (a failed integrity check).
pub fn read_only() -> Option<String> {
    damage().map(|d| d.message)
}

/// What the integrity check found, if the workspace is damaged.
pub fn damage() -> Option<Damage> {
    DAMAGE.lock().ok().and_then(|d| d.clone())
}

/// Runs `PRAGMA quick_check`; on a failure the workspace becomes read-only, with a short
/// message naming the backup to restore. Returns that message.
pub async fn check_integrity(db: &Db, data_dir: &Path) -> AppResult<Option<String>> {
    let rows: Vec<String> = match sqlx::query_scalar("PRAGMA quick_check").fetch_all(db).await {
        Ok(rows) => rows,
        Err(e) => vec![e.to_string()],
    };
    if rows.len() == 1 && rows[0] == "ok" {
        return Ok(None);
    }
    let details: Vec<String> = rows
        .iter()
        .flat_map(|r| r.lines())
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("***"))
        .map(str::to_string)
        .collect();
    let message = format!(
        "the workspace file is damaged (SQLite's check found {} problem{}); Playbook opened it read-only: {}",
        details.len(),
        if details.len() == 1 { "" } else { "s" },
        restore_advice(data_dir)
    );
    if let Ok(mut d) = DAMAGE.lock() {
        *d = Some(Damage {
            message: message.clone(),
            details,
        });
    }
    Ok(Some(message))
}

/// What to do about a damaged workspace: restore the newest backup that is a whole
/// SQLite file, named.
pub fn restore_advice(data_dir: &Path) -> String {
    match crate::backup::newest_valid(data_dir) {
        Some(b) => format!(
            "restore the newest backup with `playbook restore {}`",
            b.display()
        ),
        None => {
            "there is no backup in this data directory; copy the file away before anything else"
                .into()
        }
    }
}

pub fn refuse_if_read_only() -> AppResult<()> {
    match read_only() {
        Some(why) => Err(AppError::new(ErrorCode::ReadOnly, why)),
        None => Ok(()),
    }
}

/// A write transaction, begun IMMEDIATE so that it takes the write lock before it reads:
/// a deferred one that reads first cannot wait for the lock (SQLite answers "database is
/// locked" at once), while this one waits up to the busy timeout.
pub async fn write(db: &Db) -> AppResult<sqlx::Transaction<'static, Sqlite>> {
    refuse_if_read_only()?;
    Ok(db.begin_with("BEGIN IMMEDIATE").await?)
}

/// A pooled connection set up for one large write (an import). Its commit is like every
/// other (WAL, synchronous NORMAL: safe from the app being killed or crashing), but it
/// leaves the WAL checkpoint, copying ~100 MB of pages into the database file after a
/// 100k-contact import, to a background task instead of doing it inside the commit, as
/// SQLite's WAL documentation suggests for large writes. Hand it back through
/// [`end_large_write`].
pub async fn begin_large_write(db: &Db) -> AppResult<PoolConnection<Sqlite>> {
    refuse_if_read_only()?;
    let mut conn = db.acquire().await?;
    sqlx::query("PRAGMA wal_autocheckpoint = 0")
        .execute(&mut *conn)
        .await?;
    large_cache(&mut conn, true).await?;
    Ok(conn)
}

/// Restores the connection's automatic checkpoints and small cache (or closes it when that
/// fails) and runs the deferred checkpoint on another task; readers and writers are not
/// blocked by it.
pub async fn end_large_write(db: &Db, mut conn: PoolConnection<Sqlite>) {
    let restored = sqlx::query("PRAGMA wal_autocheckpoint = 1000")
        .execute(&mut *conn)
        .await;
    let small = large_cache(&mut conn, false).await;
    if restored.is_err() || small.is_err() {
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
/// A column of a row as JSON, by the type SQLite stored (integer, real, text or null).
pub fn cell_json(row: &sqlx::sqlite::SqliteRow, i: usize) -> AppResult<serde_json::Value> {
    use serde_json::Value;
    use sqlx::{Row, TypeInfo, ValueRef};
    let raw = row.try_get_raw(i)?;
    if raw.is_null() {
        return Ok(Value::Null);
    }
    Ok(match raw.type_info().name() {
        "INTEGER" => Value::from(row.try_get::<i64, _>(i)?),
        "REAL" => Value::from(row.try_get::<f64, _>(i)?),
        _ => Value::from(row.try_get::<String, _>(i)?),
    })
}

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

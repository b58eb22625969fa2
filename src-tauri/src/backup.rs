//! Snapshots of the workspace in `DATA/backups/`: taken before a migration changes an
//! existing workspace, once a day while the window is used, and by `playbook backup`;
//! `playbook restore` checks a snapshot before putting it in place, keeping the current
//! database aside.
use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::Utc;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::ConnectOptions;

use crate::db::{self, Db, DB_FILE};
use crate::error::{AppError, AppResult, ErrorCode};

/// How many automatic snapshots are kept: a week of daily ones, enough to go back past a
/// bad import noticed days later without filling a laptop's disk.
pub const KEEP: usize = 7;

const PREFIX: &str = "playbook-";

pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("backups")
}

/// The snapshots in the backups folder, oldest first.
fn snapshots(data_dir: &Path) -> Vec<PathBuf> {
    let mut all: Vec<PathBuf> = std::fs::read_dir(dir(data_dir))
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with(PREFIX) && n.ends_with(".sqlite3"))
                })
                .collect()
        })
        .unwrap_or_default();
    all.sort();
    all
}

/// The newest snapshot, if any.
pub fn newest(data_dir: &Path) -> Option<PathBuf> {
    snapshots(data_dir).pop()
}

/// Writes a consistent copy of the open database (`VACUUM INTO`) into the backups folder,
/// named by time and reason, and keeps the newest [`KEEP`].
pub async fn snapshot(db: &Db, data_dir: &Path, reason: &str) -> AppResult<PathBuf> {
    std::fs::create_dir_all(dir(data_dir))?;
    let path = dir(data_dir).join(format!(
        "{PREFIX}{}-{reason}.sqlite3",
        Utc::now().format("%Y%m%dT%H%M%S%.3fZ")
    ));
    copy_to(db, &path).await?;
    let all = snapshots(data_dir);
    for old in all.iter().take(all.len().saturating_sub(KEEP)) {
        let _ = std::fs::remove_file(old);
    }
    Ok(path)
}

/// `VACUUM INTO` a new file (refused by SQLite if it exists).
pub async fn copy_to(db: &Db, path: &Path) -> AppResult<()> {
    if path.exists() {
        return Err(AppError::conflict(format!(
            "{} already exists; choose a new file name",
            path.display()
        )));
    }
    sqlx::query("VACUUM INTO ?")
        .bind(path.to_string_lossy().to_string())
        .execute(db)
        .await
        .map_err(|e| AppError::io(format!("cannot write the backup {}: {e}", path.display())))?;
    Ok(())
}

/// A daily snapshot, when the newest is older than a day (or there is none).
pub async fn daily_if_due(db: &Db, data_dir: &Path) -> AppResult<Option<PathBuf>> {
    let due = match newest(data_dir).and_then(|p| std::fs::metadata(p).ok()?.modified().ok()) {
        Some(t) => t.elapsed().map_or(true, |age| age.as_secs() > 24 * 3600),
        None => true,
    };
    if due {
        Ok(Some(snapshot(db, data_dir, "daily").await?))
    } else {
        Ok(None)
    }
}

/// Checks that `file` is a whole Playbook workspace this version can open: a SQLite file,
/// passing `quick_check`, with Playbook's schema, not from a newer Playbook.
pub async fn check(file: &Path) -> AppResult<()> {
    let bad = |why: String| {
        AppError::new(
            ErrorCode::InvalidInput,
            format!(
                "{} cannot be restored: {why}; nothing was changed",
                file.display()
            ),
        )
    };
    if !file.is_file() {
        return Err(bad("there is no such file".into()));
    }
    db::check_header(file).map_err(|_| bad("it is not a Playbook database".into()))?;
    let mut conn = SqliteConnectOptions::from_str("sqlite://")?
        .filename(file)
        .read_only(true)
        .connect()
        .await
        .map_err(|e| bad(e.to_string()))?;
    let verdict: Vec<String> = sqlx::query_scalar("PRAGMA quick_check")
        .fetch_all(&mut conn)
        .await
        .map_err(|e| bad(e.to_string()))?;
    if verdict != ["ok"] {
        return Err(bad(format!(
            "it is damaged ({})",
            verdict.first().map(String::as_str).unwrap_or("?")
        )));
    }
    let versions: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations")
        .fetch_all(&mut conn)
        .await
        .map_err(|_| bad("it is not a Playbook workspace".into()))?;
    let known: Vec<i64> = db::migrator().iter().map(|m| m.version).collect();
    if let Some(v) = versions.iter().find(|v| !known.contains(v)) {
        return Err(bad(format!(
            "it was written by a newer version of Playbook (schema {v})"
        )));
    }
    sqlx::query("SELECT count(*) FROM members")
        .execute(&mut conn)
        .await
        .map_err(|_| bad("it is not a Playbook workspace".into()))?;
    Ok(())
}

/// Puts `file` in place of the workspace: checks it first, keeps the current database
/// aside in the backups folder, and removes the old write-ahead log. Run with no pool open
/// on the data directory. Returns where the current database was kept.
pub async fn restore(data_dir: &Path, file: &Path) -> AppResult<Option<PathBuf>> {
    check(file).await?;
    std::fs::create_dir_all(dir(data_dir))?;
    let current = data_dir.join(DB_FILE);
    let aside = if current.exists() {
        let aside = dir(data_dir).join(format!(
            "before-restore-{}.sqlite3",
            Utc::now().format("%Y%m%dT%H%M%S%.3fZ")
        ));
        // A consistent copy when the file still reads; a damaged one is kept as it is, its
        // log beside it.
        let copied = match db::open(data_dir).await {
            Ok(pool) => {
                let kept = copy_to(&pool, &aside).await;
                pool.close().await;
                kept.is_ok()
            }
            Err(_) => false,
        };
        if !copied {
            let _ = std::fs::remove_file(&aside);
            std::fs::copy(&current, &aside)?;
            for ext in ["-wal", "-shm"] {
                let side = data_dir.join(format!("{DB_FILE}{ext}"));
                if side.exists() {
                    std::fs::copy(&side, format!("{}{ext}", aside.display()))?;
                }
            }
        }
        Some(aside)
    } else {
        None
    };
    // The old log belongs to the old file: it goes first, or SQLite would replay it into
    // the restored one. Then a copy beside the database is renamed into place.
    for ext in ["-wal", "-shm"] {
        let side = data_dir.join(format!("{DB_FILE}{ext}"));
        if side.exists() {
            std::fs::remove_file(side)?;
        }
    }
    let incoming = data_dir.join(format!(".{DB_FILE}.restoring"));
    std::fs::copy(file, &incoming)?;
    std::fs::rename(&incoming, &current)?;
    Ok(aside)
}

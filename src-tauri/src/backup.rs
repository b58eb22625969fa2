//! Snapshots of the workspace in `DATA/backups/`: taken before a migration changes an
//! existing workspace, once a day while the window is used (these automatic ones are
//! pruned to the last [`KEEP`]), and by `playbook backup` (kept until someone deletes
//! them). A backup is written whole or not at all. `playbook restore` checks a file, and
//! verifies every signature in it, before putting it in place, keeping the current database
//! aside.
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
/// Why a snapshot was taken, as its file name ends; only these are pruned.
const AUTOMATIC: [&str; 2] = ["daily", "before-migration"];

pub fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("backups")
}

/// The backups in the backups folder (snapshots and workspaces kept aside by a restore),
/// oldest first by the time in their names.
fn snapshots(data_dir: &Path) -> Vec<PathBuf> {
    let mut all: Vec<(String, PathBuf)> = std::fs::read_dir(dir(data_dir))
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter_map(|p| {
                    let name = p.file_name()?.to_str()?.to_string();
                    let stamp = name
                        .strip_prefix(PREFIX)
                        .or_else(|| name.strip_prefix("before-restore-"))?;
                    name.ends_with(".sqlite3").then(|| (stamp.to_string(), p))
                })
                .collect()
        })
        .unwrap_or_default();
    all.sort();
    all.into_iter().map(|(_, p)| p).collect()
}

fn is_automatic(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
        n.starts_with(PREFIX)
            && AUTOMATIC
                .iter()
                .any(|r| n.ends_with(&format!("-{r}.sqlite3")))
    })
}

/// The newest backup, if any.
pub fn newest(data_dir: &Path) -> Option<PathBuf> {
    snapshots(data_dir).pop()
}

/// The newest backup that is a whole SQLite file (not empty, not cut short by a full disk):
/// the one to recommend restoring.
pub fn newest_valid(data_dir: &Path) -> Option<PathBuf> {
    snapshots(data_dir)
        .into_iter()
        .rev()
        .find(|p| std::fs::metadata(p).is_ok_and(|m| m.len() > 0) && db::check_header(p).is_ok())
}

/// Writes a consistent copy of the open database into the backups folder, named by time
/// and reason, and prunes the automatic snapshots to the newest [`KEEP`] (a manual backup
/// is never pruned).
pub async fn snapshot(db: &Db, data_dir: &Path, reason: &str) -> AppResult<PathBuf> {
    let folder = dir(data_dir);
    std::fs::create_dir_all(&folder)
        .map_err(|e| AppError::io(format!("cannot create {}: {e}", folder.display())))?;
    let path = folder.join(format!(
        "{PREFIX}{}-{reason}.sqlite3",
        Utc::now().format("%Y%m%dT%H%M%S%.3fZ")
    ));
    copy_to(db, &path).await?;
    let automatic: Vec<PathBuf> = snapshots(data_dir)
        .into_iter()
        .filter(|p| is_automatic(p))
        .collect();
    for old in automatic.iter().take(automatic.len().saturating_sub(KEEP)) {
        let _ = std::fs::remove_file(old);
    }
    Ok(path)
}

/// A consistent copy (`VACUUM INTO`) written to a temporary file beside `path` and renamed
/// into place only when whole: a full disk leaves no partial backup behind. Refuses an
/// existing `path`.
pub async fn copy_to(db: &Db, path: &Path) -> AppResult<()> {
    if path.exists() {
        return Err(AppError::conflict(format!(
            "{} already exists; choose a new file name",
            path.display()
        )));
    }
    let name = path.file_name().ok_or_else(|| {
        AppError::invalid("file", format!("{} is not a file name", path.display()))
    })?;
    let tmp = path.with_file_name(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let _ = std::fs::remove_file(&tmp);
    let written = sqlx::query("VACUUM INTO ?")
        .bind(tmp.to_string_lossy().to_string())
        .execute(db)
        .await
        .map_err(AppError::from)
        .and_then(|_| {
            if path.exists() {
                return Err(AppError::conflict(format!(
                    "{} already exists; choose a new file name",
                    path.display()
                )));
            }
            std::fs::rename(&tmp, path).map_err(AppError::from)
        });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        let folder = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        return Err(match e.code {
            ErrorCode::DiskFull => AppError::new(
                ErrorCode::DiskFull,
                format!(
                    "the disk holding {} is full: the backup {} was not written (nothing was left behind); free some space and try again",
                    folder.display(),
                    path.display()
                ),
            ),
            ErrorCode::Conflict => e,
            _ => AppError::new(
                e.code,
                format!("cannot write the backup {}: {}", path.display(), e.message),
            ),
        });
    }
    Ok(())
}

/// A daily snapshot, when the newest backup is older than a day (or there is none).
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

fn refused(file: &Path, why: impl std::fmt::Display) -> AppError {
    AppError::new(
        ErrorCode::InvalidInput,
        format!(
            "{} cannot be restored: {why}; nothing was changed",
            file.display()
        ),
    )
}

/// Checks that `file` is a whole Playbook workspace this version can open: a SQLite file,
/// passing `quick_check`, with Playbook's schema, not from a newer Playbook.
pub async fn check(file: &Path) -> AppResult<()> {
    let bad = |why: String| refused(file, why);
    if file.is_dir() {
        return Err(bad(
            "it is a directory; give the backup file itself (DATA/backups/playbook-….sqlite3)"
                .into(),
        ));
    }
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
        return Err(bad("it is damaged (SQLite's quick check fails)".to_string()));
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

/// The founding member record of the workspace in `file`, with who founded it (name and
/// email), read without changing the file; None when it has none or cannot be read.
async fn founder(file: &Path) -> Option<(String, String)> {
    let mut conn = SqliteConnectOptions::from_str("sqlite://")
        .ok()?
        .filename(file)
        .read_only(true)
        .connect()
        .await
        .ok()?;
    sqlx::query_as(
        "SELECT w.genesis_record_id, coalesce(r.name || ' <' || r.email || '>', 'an unknown member')
         FROM workspace w LEFT JOIN member_records r ON r.id = w.genesis_record_id LIMIT 1",
    )
    .fetch_optional(&mut conn)
    .await
    .ok()
    .flatten()
}

/// Runs the whole verification on a copy of `file` (migrated like any workspace, in a
/// scratch folder that is removed afterwards); refuses one whose records do not verify.
async fn verify_copy(data_dir: &Path, file: &Path) -> AppResult<()> {
    let scratch = dir(data_dir).join(format!(".restore-check-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch)
        .map_err(|e| AppError::io(format!("cannot create {}: {e}", scratch.display())))?;
    let checked = async {
        std::fs::copy(file, scratch.join(DB_FILE))
            .map_err(|e| AppError::io(format!("cannot copy {}: {e}", file.display())))?;
        let pool = db::open(&scratch).await?;
        let report = {
            let mut conn = pool.acquire().await?;
            crate::trust::verify::check(&mut conn, Utc::now()).await
        };
        pool.close().await;
        report
    }
    .await;
    let _ = std::fs::remove_dir_all(&scratch);
    let report =
        checked.map_err(|e| refused(file, format!("it cannot be verified ({})", e.message)))?;
    if report.failures.is_empty() {
        return Ok(());
    }
    let first: Vec<String> = report
        .failures
        .iter()
        .take(3)
        .map(|f| {
            format!(
                "{} {}: {}",
                f.kind.label().to_lowercase(),
                f.label,
                f.problem
            )
        })
        .collect();
    Err(AppError::new(
        ErrorCode::Tampered,
        format!(
            "{} cannot be restored: {} of its records do not verify ({}{}); nothing was changed",
            file.display(),
            report.failures.len(),
            first.join("; "),
            if report.failures.len() > first.len() {
                "; …"
            } else {
                ""
            }
        ),
    ))
}

/// Puts `file` in place of the workspace: checks it first, verifies every record in it,
/// refuses a workspace founded by another team unless `other_team`, keeps the current
/// database aside in the backups folder, and removes the old write-ahead log. Run with no
/// pool open on the data directory. Returns where the current database was kept.
pub async fn restore(data_dir: &Path, file: &Path, other_team: bool) -> AppResult<Option<PathBuf>> {
    check(file).await?;
    verify_copy(data_dir, file).await?;
    let current = data_dir.join(DB_FILE);
    if let (Some((mine, my_founder)), Some((theirs, their_founder))) =
        (founder(&current).await, founder(file).await)
    {
        if mine != theirs && !other_team {
            return Err(AppError::new(
                ErrorCode::Conflict,
                format!(
                    "{} is another team's workspace (founded by {their_founder}; this one was founded by {my_founder}); nothing was changed. To replace this team's workspace with it, restore with --other-team",
                    file.display()
                ),
            ));
        }
    }
    let folder = dir(data_dir);
    std::fs::create_dir_all(&folder)
        .map_err(|e| AppError::io(format!("cannot create {}: {e}", folder.display())))?;
    let aside = if current.exists() {
        let aside = folder.join(format!(
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

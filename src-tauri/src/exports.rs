//! Exports contacts, handoff events and activities as CSV (formula cells neutralised) or
//! JSON, in shapes the importers read back.
use std::path::Path;

use serde::Serialize;
use specta::Type;

use crate::db::Conn;
use crate::error::{AppError, AppResult};
use crate::imports::values::neutralise;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum ExportKind {
    Contacts,
    Accounts,
    Opportunities,
    Events,
    Activities,
}

impl ExportKind {
    /// The name its files start with.
    pub fn name(self) -> &'static str {
        match self {
            ExportKind::Contacts => "contacts",
            ExportKind::Accounts => "accounts",
            ExportKind::Opportunities => "opportunities",
            ExportKind::Events => "events",
            ExportKind::Activities => "activities",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    Csv,
    Json,
}

const CONTACTS: &str = "SELECT c.id AS playbook_id, c.external_id, c.email, c.salutation, c.first_name, c.last_name, c.title,
        c.phone, c.country, a.name AS company, a.domain AS website, a.industry, a.employees,
        coalesce(m.email, c.owner_ref) AS owner, c.source_channel AS source,
        c.source_campaign AS campaign, c.stage AS lifecycle_stage, c.stage_since, c.score, c.created_at AS created_date,
        c.buying_role, c.buying_stage,
        CASE WHEN c.budget_known THEN coalesce(nullif(c.budget_note, ''), 'yes') ELSE c.budget_note END AS budget,
        CASE WHEN c.authority_known THEN coalesce(nullif(c.authority_note, ''), 'yes') ELSE c.authority_note END AS authority,
        CASE WHEN c.need_known THEN coalesce(nullif(c.need_note, ''), 'yes') ELSE c.need_note END AS need,
        CASE WHEN c.timeline_known THEN coalesce(nullif(c.timeline_note, ''), 'yes') ELSE c.timeline_note END AS timeline
    FROM contacts c LEFT JOIN accounts a ON a.id = c.account_id LEFT JOIN members m ON m.id = c.owner_id
    WHERE c.deleted_at IS NULL ORDER BY c.created_at, c.id";

const ACCOUNTS: &str = "SELECT a.id AS playbook_id, a.name, a.domain AS website, a.industry, a.employees,
        a.revenue AS annual_revenue, a.country, a.owner_ref AS owner,
        (SELECT count(*) FROM contacts c WHERE c.account_id = a.id AND c.deleted_at IS NULL) AS contacts
    FROM accounts a WHERE a.deleted_at IS NULL ORDER BY a.name, a.id";

const OPPORTUNITIES: &str = "SELECT o.id AS playbook_id, o.source_system, o.external_id, o.name, a.name AS account,
        c.email AS primary_contact, printf('%.2f', o.amount_minor / 100.0) AS amount, o.currency, o.stage,
        o.status, o.close_date, coalesce(m.email, o.owner_ref) AS owner, o.product, o.loss_reason
    FROM opportunities o LEFT JOIN accounts a ON a.id = o.account_id
    LEFT JOIN contacts c ON c.id = o.primary_contact_id LEFT JOIN members m ON m.id = o.owner_id
    WHERE o.deleted_at IS NULL ORDER BY o.created_at, o.id";

const EVENTS: &str = "SELECT e.id, c.external_id AS contact_external_id, c.email AS contact_email, e.kind AS event, e.at,
        m.email AS actor, e.from_stage, e.to_stage, e.reason, e.channel, e.note, e.playbook
    FROM handoff_events e JOIN contacts c ON c.id = e.contact_id LEFT JOIN members m ON m.id = e.actor_id
    ORDER BY c.created_at, c.id, e.at, e.id";

const ACTIVITIES: &str =
    "SELECT coalesce(x.external_id, x.id) AS id, c.external_id AS contact_external_id,
        c.email AS contact_email, x.kind AS activity, x.at, x.detail
    FROM activities x JOIN contacts c ON c.id = x.contact_id
    ORDER BY c.created_at, c.id, x.at, x.id";

/// Rows of an export as (headers, cells); numbers and empty values as text.
async fn rows(
    conn: &mut Conn,
    kind: ExportKind,
) -> AppResult<(Vec<String>, Vec<Vec<Option<String>>>)> {
    use sqlx::{Column, Row, TypeInfo, ValueRef};
    let sql = match kind {
        ExportKind::Contacts => CONTACTS,
        ExportKind::Accounts => ACCOUNTS,
        ExportKind::Opportunities => OPPORTUNITIES,
        ExportKind::Events => EVENTS,
        ExportKind::Activities => ACTIVITIES,
    };
    let result = sqlx::query(sql).fetch_all(&mut *conn).await?;
    let headers: Vec<String> = match result.first() {
        Some(r) => r.columns().iter().map(|c| c.name().to_string()).collect(),
        None => {
            // No rows: still give the headers, from the statement.
            let described =
                sqlx::Executor::describe(&mut *conn, sqlx::SqlSafeStr::into_sql_str(sql)).await?;
            described
                .columns()
                .iter()
                .map(|c| c.name().to_string())
                .collect()
        }
    };
    let mut out = Vec::with_capacity(result.len());
    for r in &result {
        let mut cells = Vec::with_capacity(headers.len());
        for i in 0..headers.len() {
            let raw = r.try_get_raw(i)?;
            let cell = if raw.is_null() {
                None
            } else if raw.type_info().name() == "INTEGER" {
                Some(r.try_get::<i64, _>(i)?.to_string())
            } else {
                Some(r.try_get::<String, _>(i)?)
            };
            cells.push(cell);
        }
        out.push(cells);
    }
    Ok((headers, out))
}

/// Refuses an export path that is a directory, or that is, or resolves (through `..` or
/// symlinks) to, anything inside the data directory other than its `exports/` folder: an
/// export must never overwrite the live database, a backup, the settings or the lock.
pub fn guard(data_dir: &Path, path: &Path) -> AppResult<()> {
    if path.is_dir() {
        return Err(AppError::invalid(
            "file",
            format!(
                "{} is a directory; give the name of the file to write",
                path.display()
            ),
        ));
    }
    let resolve = |p: &Path| -> Option<std::path::PathBuf> {
        if let Ok(c) = p.canonicalize() {
            return Some(c);
        }
        let parent = p
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        Some(parent.canonicalize().ok()?.join(p.file_name()?))
    };
    let Some(target) = resolve(path) else {
        return Ok(());
    };
    let Ok(dir) = data_dir.canonicalize() else {
        return Ok(());
    };
    let name = crate::db::DB_FILE;
    let own = [
        name.to_string(),
        format!("{name}-wal"),
        format!("{name}-shm"),
        format!("{name}-journal"),
        "settings.json".to_string(),
        "playbook.lock".to_string(),
    ];
    if own.iter().any(|f| dir.join(f) == target) {
        return Err(AppError::not_allowed(format!(
            "{} is part of the workspace itself; export to another file",
            path.display()
        )));
    }
    let exports = dir.join("exports");
    if target.starts_with(&dir) && !(target.starts_with(&exports) && target != exports) {
        return Err(AppError::not_allowed(format!(
            "{} is inside the workspace's data directory ({}), where Playbook keeps its database, backups and settings; write to {} or outside the data directory",
            path.display(),
            dir.display(),
            exports.display()
        )));
    }
    Ok(())
}

/// An export as bytes, and how many rows it holds.
pub async fn render(
    conn: &mut Conn,
    kind: ExportKind,
    format: ExportFormat,
) -> AppResult<(u32, Vec<u8>)> {
    let (headers, rows) = rows(conn, kind).await?;
    let count = rows.len() as u32;
    let bytes = match format {
        ExportFormat::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(&headers)
                .map_err(|e| AppError::io(e.to_string()))?;
            for row in rows {
                let cells: Vec<std::borrow::Cow<'_, str>> = row
                    .iter()
                    .map(|c| c.as_deref().map(neutralise).unwrap_or_default())
                    .collect();
                w.write_record(cells.iter().map(|c| c.as_ref()))
                    .map_err(|e| AppError::io(e.to_string()))?;
            }
            w.into_inner()
                .map_err(|e| AppError::io(format!("cannot write the export: {e}")))?
        }
        ExportFormat::Json => {
            let objects: Vec<serde_json::Map<String, serde_json::Value>> = rows
                .into_iter()
                .map(|row| {
                    headers
                        .iter()
                        .zip(row)
                        .map(|(h, c)| {
                            (
                                camel(h),
                                c.map(serde_json::Value::String)
                                    .unwrap_or(serde_json::Value::Null),
                            )
                        })
                        .collect()
                })
                .collect();
            serde_json::to_string_pretty(&objects)
                .expect("rows serialise")
                .into_bytes()
        }
    };
    Ok((count, bytes))
}

/// Writes the export to `path` (whole or not at all); returns how many rows were written.
pub async fn export(
    conn: &mut Conn,
    kind: ExportKind,
    format: ExportFormat,
    path: &Path,
) -> AppResult<u32> {
    let (count, bytes) = render(conn, kind, format).await?;
    write_whole(path, &bytes)?;
    Ok(count)
}

fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Writes a whole file: into a temporary file beside it, synced, then renamed into place,
/// so a failure (a full disk) never leaves a partial file nor destroys the previous one.
pub fn write_whole(path: &Path, bytes: &[u8]) -> AppResult<()> {
    use std::io::Write;
    let io = |e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::StorageFull {
            return AppError::new(
                crate::error::ErrorCode::DiskFull,
                format!(
                    "the disk is full: {} was not written (any earlier file there is unchanged); free some space and try again",
                    path.display()
                ),
            );
        }
        AppError::io(format!("cannot write {}: {e}", path.display()))
    };
    let name = path.file_name().ok_or_else(|| {
        AppError::invalid("file", format!("{} is not a file name", path.display()))
    })?;
    let tmp = path.with_file_name(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.map_err(io)
}

//! Lead operations the window and the CLI call: each a transaction where it writes.
use std::path::Path;

use chrono::Utc;
use sqlx::Connection;

use super::list::{self, LeadFilter, LeadPage};
use super::{store, ContactDetail, PeopleMap};
use crate::db::{self, parse_ts, Conn, Db};
use crate::error::{AppError, AppResult};
use crate::exports::{self, ExportFormat, ExportKind};
use crate::generator::{self, Generated};
use crate::handoffs::playbook_at::PlaybookHistory;
use crate::handoffs::{store as handoffs, EventRequest, HandoffEvent};
use crate::imports::{contacts, history, ImportMode, ImportSummary, Mapping, Progress};

pub async fn list(db: &Db, filter: &LeadFilter) -> AppResult<LeadPage> {
    list::page(&mut *db.acquire().await?, filter, Utc::now()).await
}

pub async fn detail(db: &Db, id: &str) -> AppResult<ContactDetail> {
    let mut conn = db.acquire().await?;
    let pb = PlaybookHistory::load(&mut conn).await?;
    store::detail(&mut conn, &pb, id, Utc::now()).await
}

pub async fn people_map(db: &Db, account_id: &str) -> AppResult<PeopleMap> {
    store::people_map(&mut *db.acquire().await?, account_id).await
}

/// Records a handoff event now (or at `at`, for history typed in late).
pub async fn record(
    db: &Db,
    contact_id: &str,
    req: &EventRequest,
    actor_id: Option<&str>,
    at: Option<&str>,
) -> AppResult<HandoffEvent> {
    let at = match at {
        Some(t) => parse_ts("at", t)?,
        None => Utc::now(),
    };
    if at > Utc::now() {
        return Err(AppError::invalid(
            "at",
            "at: an event cannot happen in the future",
        ));
    }
    let mut tx = db.begin().await?;
    let pb = PlaybookHistory::load(&mut tx).await?;
    let event = handoffs::record(&mut tx, &pb, contact_id, req, actor_id, at, None).await?;
    let ids = [contact_id.to_string()];
    super::scores::refresh(&mut tx, &pb, &ids, Utc::now()).await?;
    tx.commit().await?;
    Ok(event)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    Contacts,
    Events,
    Activities,
}

/// Runs an import in one transaction, committed only when the summary says `written`.
pub async fn import(
    db: &Db,
    kind: ImportKind,
    bytes: &[u8],
    mapping: &Mapping,
    mode: ImportMode,
    dry_run: bool,
    progress: &Progress<'_>,
) -> AppResult<ImportSummary> {
    let mut conn = db::begin_large_write(db).await?;
    let result = import_on(&mut conn, kind, bytes, mapping, mode, dry_run, progress).await;
    db::end_large_write(db, conn).await;
    result
}

async fn import_on(
    conn: &mut Conn,
    kind: ImportKind,
    bytes: &[u8],
    mapping: &Mapping,
    mode: ImportMode,
    dry_run: bool,
    progress: &Progress<'_>,
) -> AppResult<ImportSummary> {
    let mut tx = conn.begin().await?;
    let now = Utc::now();
    let summary = match kind {
        ImportKind::Contacts => {
            contacts::import(&mut tx, bytes, mapping, mode, dry_run, progress, now).await?
        }
        ImportKind::Events => history::import_events(&mut tx, bytes, mode, progress).await?,
        ImportKind::Activities => {
            history::import_activities(&mut tx, bytes, mode, progress, now).await?
        }
    };
    if summary.written && !dry_run {
        tx.commit().await?;
    }
    let mut summary = summary;
    summary.dry_run = dry_run;
    if dry_run {
        summary.written = false;
    }
    Ok(summary)
}

pub async fn preview(
    db: &Db,
    bytes: &[u8],
    mapping: &Mapping,
) -> AppResult<contacts::ImportPreview> {
    contacts::preview(&mut *db.acquire().await?, bytes, mapping).await
}

pub async fn export(
    db: &Db,
    kind: ExportKind,
    format: ExportFormat,
    path: &Path,
) -> AppResult<u32> {
    exports::export(&mut *db.acquire().await?, kind, format, path).await
}

pub async fn generate(db: &Db, contacts: u32, seed: u64) -> AppResult<Generated> {
    let mut tx = db.begin().await?;
    let g = generator::generate(&mut tx, contacts, seed, Utc::now()).await?;
    tx.commit().await?;
    Ok(g)
}

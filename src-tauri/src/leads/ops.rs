//! Lead operations the window and the CLI call: each a transaction where it writes.
use std::path::Path;

use chrono::Utc;

use super::list::{self, LeadFilter, LeadPage};
use super::{store, ContactDetail, PeopleMap};
use crate::db::{self, parse_ts, Db};
use crate::error::{AppError, AppResult};
use crate::exports::{self, ExportFormat, ExportKind};
use crate::generator::{self, Generated};
use crate::handoffs::store::{self as handoffs, Ledger};
use crate::handoffs::{EventRequest, HandoffEvent};
use crate::trust::Signer;

pub async fn list(db: &Db, filter: &LeadFilter) -> AppResult<LeadPage> {
    list::page(&mut *db.acquire().await?, filter, Utc::now()).await
}

/// The contact page, with the actions `viewer` (a member id) may take now.
pub async fn detail(db: &Db, id: &str, viewer: Option<&str>) -> AppResult<ContactDetail> {
    let mut conn = db.acquire().await?;
    let ledger = Ledger::load(&mut conn).await?;
    store::detail(&mut conn, &ledger, id, viewer, Utc::now()).await
}

pub async fn people_map(db: &Db, account_id: &str) -> AppResult<PeopleMap> {
    store::people_map(&mut *db.acquire().await?, account_id).await
}

/// Records a handoff event as `signer`, now (or at `at`, for history typed in late).
pub async fn record(
    db: &Db,
    contact_id: &str,
    req: &EventRequest,
    signer: &Signer,
    at: Option<&str>,
) -> AppResult<HandoffEvent> {
    let now = Utc::now();
    let at = match at {
        Some(t) => parse_ts("at", t)?,
        None => now,
    };
    if at > now + crate::handoffs::CLOCK_SKEW {
        return Err(AppError::invalid(
            "at",
            format!(
                "at: {} is in the future; an event is recorded when it has happened",
                db::ts(at)
            ),
        ));
    }
    let mut tx = db::write(db).await?;
    let ledger = Ledger::load(&mut tx).await?;
    let written = handoffs::record(
        &mut tx,
        &ledger,
        contact_id,
        req,
        handoffs::Author::Signed(signer),
        at,
        now,
    )
    .await?;
    let event = handoffs::event(&mut tx, &ledger, contact_id, &written.id).await?;
    let ids = [contact_id.to_string()];
    super::scores::refresh(&mut tx, &ledger.pb, &ids, now).await?;
    tx.commit().await?;
    Ok(event)
}

/// `playbook rebuild`: the cached stages and scores from scratch; returns how many of each
/// changed.
pub async fn rebuild(db: &Db) -> AppResult<(u32, u32)> {
    let mut tx = db::write(db).await?;
    let stages = super::rebuild::stages(&mut tx).await?;
    let scores = super::rebuild::scores(&mut tx, Utc::now()).await?;
    tx.commit().await?;
    Ok((stages, scores))
}

pub async fn export(
    db: &Db,
    kind: ExportKind,
    format: ExportFormat,
    path: &Path,
) -> AppResult<u32> {
    exports::export(&mut *db.acquire().await?, kind, format, path).await
}

pub async fn generate(db: &Db, contacts: u32, seed: u64, signer: &Signer) -> AppResult<Generated> {
    crate::imports::run::require_bulk_writer(&mut *db.acquire().await?, signer).await?;
    let mut tx = db::write(db).await?;
    let g = generator::generate(&mut tx, contacts, seed, Utc::now(), signer).await?;
    tx.commit().await?;
    Ok(g)
}

/// Merges a duplicate into a survivor, or undoes it, signed by `signer`.
pub async fn merge(
    db: &Db,
    action: super::merge::MergeAction,
    duplicate: &str,
    survivor: Option<&str>,
    signer: &Signer,
) -> AppResult<()> {
    let mut tx = db::write(db).await?;
    super::merge::record(&mut tx, action, duplicate, survivor, signer, Utc::now()).await?;
    tx.commit().await?;
    Ok(())
}

//! Lead operations the window and the CLI call: each a transaction where it writes.
use std::path::Path;

use chrono::Utc;

use super::list::{self, Awaiting, Context, LeadFilter, LeadPage, LeadWindow};
use super::{search_index, store, ContactDetail, PeopleMap};
use crate::db::{self, parse_ts, Conn, Db};
use crate::error::{AppError, AppResult};
use crate::exports::{self, ExportFormat, ExportKind};
use crate::generator::{self, Generated};
use crate::handoffs::store::{self as handoffs, Ledger};
use crate::handoffs::{EventRequest, HandoffEvent};
use crate::trust::Signer;

/// The member `viewer` as they stand now, if given and on the team.
async fn member_now(
    conn: &mut Conn,
    viewer: Option<&str>,
) -> AppResult<Option<crate::team::roster::MemberState>> {
    let Some(id) = viewer else { return Ok(None) };
    let roster = crate::team::records::roster(&mut *conn).await?;
    Ok(roster.at(id, &db::ts(Utc::now())).cloned())
}

/// Before a search: index the contacts written one at a time since the last bulk fill.
async fn search_ready(db: &Db, filter: &LeadFilter) -> AppResult<()> {
    if filter.search.as_deref().is_none_or(|s| s.trim().is_empty()) {
        return Ok(());
    }
    if search_index::is_behind(&mut *db.acquire().await?).await? {
        let mut tx = db::write(db).await?;
        search_index::add(&mut tx).await?;
        tx.commit().await?;
    }
    Ok(())
}

/// One page of the list; `viewer` (a member id) is whose queue `awaiting` means.
pub async fn list(db: &Db, filter: &LeadFilter, viewer: Option<&str>) -> AppResult<LeadPage> {
    search_ready(db, filter).await?;
    let mut conn = db.acquire().await?;
    let me = member_now(&mut conn, viewer).await?;
    let cx = Context::load(&mut conn, Utc::now(), me.as_ref()).await?;
    list::page(&mut conn, filter, &cx).await
}

/// Where every page after the first starts (see `list::anchors`).
pub async fn anchors(db: &Db, filter: &LeadFilter, viewer: Option<&str>) -> AppResult<Vec<String>> {
    search_ready(db, filter).await?;
    let mut conn = db.acquire().await?;
    let me = member_now(&mut conn, viewer).await?;
    let cx = Context::load(&mut conn, Utc::now(), me.as_ref()).await?;
    list::anchors(&mut conn, filter, &cx).await
}

/// Opens the list: its count and first page.
pub async fn open_list(
    db: &Db,
    filter: &LeadFilter,
    viewer: Option<&str>,
) -> AppResult<LeadWindow> {
    search_ready(db, filter).await?;
    let mut conn = db.acquire().await?;
    let me = member_now(&mut conn, viewer).await?;
    let cx = Context::load(&mut conn, Utc::now(), me.as_ref()).await?;
    list::window(&mut conn, filter, &cx).await
}

/// What a proposal would change for today's contacts.
pub async fn impact(
    db: &Db,
    request: &super::impact::ImpactRequest,
) -> AppResult<super::impact::Impact> {
    super::impact::preview(&mut *db.acquire().await?, request, Utc::now()).await
}

/// How much work awaits `viewer` in each part of their queue (empty without a viewer).
pub async fn queue_counts(db: &Db, viewer: Option<&str>) -> AppResult<Vec<QueueCount>> {
    let mut conn = db.acquire().await?;
    let Some(me) = member_now(&mut conn, viewer).await? else {
        return Ok(vec![]);
    };
    let cx = Context::load(&mut conn, Utc::now(), Some(&me)).await?;
    let mut out = Vec::new();
    for awaiting in Awaiting::ALL {
        let f = LeadFilter {
            awaiting: Some(awaiting),
            limit: 1,
            ..LeadFilter::default()
        };
        let count = list::page(&mut conn, &f, &cx).await?.total;
        out.push(QueueCount { awaiting, count });
    }
    Ok(out)
}

/// One part of a queue and how many contacts it holds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct QueueCount {
    pub awaiting: Awaiting,
    pub count: u32,
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

/// `playbook rebuild`: the `members` list, the cached stages and scores from scratch,
/// then the reports' projection brought up to date; returns how many members, stages and
/// scores changed.
pub async fn rebuild(db: &Db) -> AppResult<(u32, u32, u32)> {
    let mut tx = db::write(db).await?;
    let members = crate::team::store::refresh(&mut tx).await?;
    let stages = super::rebuild::stages(&mut tx).await?;
    let scores = super::rebuild::scores(&mut tx, Utc::now()).await?;
    search_index::rebuild(&mut tx).await?;
    tx.commit().await?;
    crate::reports::steps::refresh(db).await?;
    Ok((members, stages, scores))
}

/// After an import commits, behind the window (outside the import's time): its new
/// contacts enter the search index in one pass, in their own transaction (a search that
/// comes first indexes them itself, so none misses a committed contact); then the reports'
/// projection folds the new events, so Home and the reports need not (at 1M events a
/// first fold takes seconds).
pub async fn after_import(db: &Db, contacts: bool) -> AppResult<()> {
    if contacts {
        let mut tx = db::write(db).await?;
        search_index::add(&mut tx).await?;
        tx.commit().await?;
    }
    crate::reports::steps::refresh(db).await
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
    // A bulk write (the command line's `generate` and the benches): the import's large page
    // cache, kept by this connection of a process that ends after it.
    db::large_cache(&mut tx, true).await?;
    let g = generator::generate(&mut tx, contacts, seed, Utc::now(), signer).await?;
    // Its contacts enter the search index in one pass, in the same transaction.
    search_index::add(&mut tx).await?;
    tx.commit().await?;
    // And the reports' projection folds its million events now, not at the first report.
    crate::reports::steps::refresh(db).await?;
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

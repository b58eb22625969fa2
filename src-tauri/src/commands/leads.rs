//! Commands for leads: the list, a contact, the people map, handoff actions, imports
//! (with progress events and cancel) and exports.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use serde::Serialize;
use tauri::{AppHandle, Emitter, State};

use super::AppState;
use crate::error::AppResult;
use crate::exports::{ExportFormat, ExportKind};
use crate::handoffs::{EventRequest, HandoffEvent};
use crate::imports::contacts::ImportPreview;
use crate::imports::run::{ImportKind, Options};
use crate::imports::{ImportSummary, Mapping, Progress};
use crate::leads::list::{LeadFilter, LeadPage, LeadWindow};
use crate::leads::ops::{self, QueueCount};
use crate::leads::{ContactDetail, PeopleMap};

#[tauri::command]
#[specta::specta]
pub async fn list_leads(state: State<'_, AppState>, filter: LeadFilter) -> AppResult<LeadPage> {
    let viewer = state.session.signer().map(|s| s.member_id);
    ops::list(&state.db, &filter, viewer.as_deref()).await
}

/// Opens the list: the count and the first page.
#[tauri::command]
#[specta::specta]
pub async fn open_leads(state: State<'_, AppState>, filter: LeadFilter) -> AppResult<LeadWindow> {
    let viewer = state.session.signer().map(|s| s.member_id);
    ops::open_list(&state.db, &filter, viewer.as_deref()).await
}

/// Where every page after the first starts: asked once a list is open.
#[tauri::command]
#[specta::specta]
pub async fn lead_anchors(
    state: State<'_, AppState>,
    filter: LeadFilter,
) -> AppResult<Vec<String>> {
    let viewer = state.session.signer().map(|s| s.member_id);
    ops::anchors(&state.db, &filter, viewer.as_deref()).await
}

/// What awaits the person signed in, per part of their queue.
#[tauri::command]
#[specta::specta]
pub async fn queue_counts(state: State<'_, AppState>) -> AppResult<Vec<QueueCount>> {
    let viewer = state.session.signer().map(|s| s.member_id);
    ops::queue_counts(&state.db, viewer.as_deref()).await
}

#[tauri::command]
#[specta::specta]
pub async fn get_contact(state: State<'_, AppState>, id: String) -> AppResult<ContactDetail> {
    let viewer = state.session.signer().map(|s| s.member_id);
    ops::detail(&state.db, &id, viewer.as_deref()).await
}

#[tauri::command]
#[specta::specta]
pub async fn get_people_map(
    state: State<'_, AppState>,
    account_id: String,
) -> AppResult<PeopleMap> {
    ops::people_map(&state.db, &account_id).await
}

/// Records a handoff event, signed by the person whose key is open in this window.
#[tauri::command]
#[specta::specta]
pub async fn record_handoff(
    state: State<'_, AppState>,
    contact_id: String,
    request: EventRequest,
) -> AppResult<HandoffEvent> {
    let me = state.session.require("recording what happened")?;
    ops::record(&state.db, &contact_id, &request, &me, None).await
}

/// Reads a CSV file the user picked and proposes how its columns map.
#[tauri::command]
#[specta::specta]
pub async fn preview_import(
    state: State<'_, AppState>,
    kind: ImportKind,
    content: String,
    mapping: Mapping,
) -> AppResult<ImportPreview> {
    crate::imports::run::preview(&state.db, kind, content.as_bytes(), &mapping).await
}

#[derive(Clone, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ImportProgress {
    pub done: u32,
    pub total: u32,
}

/// Runs an import; progress arrives as `import-progress` events; `cancel_import` stops it
/// and nothing is written.
#[tauri::command]
#[specta::specta]
pub async fn run_import(
    app: AppHandle,
    state: State<'_, AppState>,
    kind: ImportKind,
    content: String,
    mapping: Mapping,
    options: Options,
) -> AppResult<ImportSummary> {
    let me = state.session.require("importing")?;
    let cancel = state.import_cancel.clone();
    cancel.store(false, Ordering::Relaxed);
    let report = move |done: u32, total: u32| {
        let _ = app.emit("import-progress", ImportProgress { done, total });
    };
    let progress = Progress {
        cancel: &cancel,
        report: &report,
    };
    let summary = crate::imports::run::import(
        &state.db,
        kind,
        content.as_bytes(),
        &mapping,
        options,
        &progress,
        &me,
    )
    .await?;
    if summary.written {
        let db = state.db.clone();
        let contacts = kind == ImportKind::Contacts;
        tauri::async_runtime::spawn(async move { ops::after_import(&db, contacts).await });
    }
    Ok(summary)
}

#[tauri::command]
#[specta::specta]
pub async fn cancel_import(state: State<'_, AppState>) -> AppResult<()> {
    state.import_cancel.store(true, Ordering::Relaxed);
    Ok(())
}

/// Exports into the app's exports folder (never elsewhere); returns the file's path.
#[tauri::command]
#[specta::specta]
pub async fn export_data(
    state: State<'_, AppState>,
    kind: ExportKind,
    format: ExportFormat,
) -> AppResult<String> {
    // A damaged workspace is not exported as if it were whole.
    if let Some(problem) = crate::db::check_integrity(&state.db, &state.data_dir).await? {
        return Err(crate::error::AppError::new(
            crate::error::ErrorCode::ReadOnly,
            problem,
        ));
    }
    let dir = state.data_dir.join("exports");
    std::fs::create_dir_all(&dir)?;
    let name = format!(
        "{}-{}.{}",
        kind.name(),
        chrono::Utc::now().format("%Y%m%d-%H%M%S"),
        if format == ExportFormat::Json {
            "json"
        } else {
            "csv"
        }
    );
    let path = dir.join(name);
    ops::export(&state.db, kind, format, &path).await?;
    Ok(path.display().to_string())
}

/// A fresh cancel flag for the app state.
pub fn cancel_flag() -> Arc<AtomicBool> {
    Arc::new(AtomicBool::new(false))
}

/// The source channels in the data, for the list's source filter.
#[tauri::command]
#[specta::specta]
pub async fn list_sources(state: State<'_, AppState>) -> AppResult<Vec<String>> {
    crate::leads::store::sources(&mut *state.db.acquire().await?).await
}

/// Merges a duplicate contact into the one it really is (signed by whoever's key is open).
#[tauri::command]
#[specta::specta]
pub async fn merge_contacts(
    state: State<'_, AppState>,
    duplicate: String,
    survivor: String,
) -> AppResult<()> {
    let me = state.session.require("merging contacts")?;
    ops::merge(
        &state.db,
        crate::leads::merge::MergeAction::Merge,
        &duplicate,
        Some(&survivor),
        &me,
    )
    .await
}

/// Undoes the merge of a duplicate contact.
#[tauri::command]
#[specta::specta]
pub async fn unmerge_contact(state: State<'_, AppState>, duplicate: String) -> AppResult<()> {
    let me = state.session.require("unmerging contacts")?;
    ops::merge(
        &state.db,
        crate::leads::merge::MergeAction::Unmerge,
        &duplicate,
        None,
        &me,
    )
    .await
}

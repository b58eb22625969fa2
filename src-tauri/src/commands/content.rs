//! Commands for the content library: find, open, add (picker and drops), edit, recommend,
//! note account risks, send and track, and the library's health. Opening files, mail
//! drafts, the file picker and the clipboard are called from here (Rust), so the window
//! needs no plugin permission of its own.
use std::path::PathBuf;
use std::sync::Mutex;

use tauri::{AppHandle, State};
use tauri_plugin_clipboard_manager::ClipboardExt;
use tauri_plugin_dialog::DialogExt;
use tauri_plugin_opener::OpenerExt;

use super::AppState;
use crate::content::health::Health;
use crate::content::ops::{self, Target};
use crate::content::recommend::{AccountFit, ContactFit};
use crate::content::risks::{AccountRisk, RiskNote};
use crate::content::search::{SearchQuery, SearchResults};
use crate::content::send::{SendDraft, SendRequest};
use crate::content::taxonomy::Taxonomy;
use crate::content::{AssetDetail, AssetFields, StoredFile};
use crate::error::{AppError, AppResult};
use crate::leads::Activity;

/// Files dropped onto the window, waiting for the window to ask for them: the window
/// never names paths itself, so it cannot make Playbook read anything a person did not
/// drop or pick.
#[derive(Default)]
pub struct Dropped(pub Mutex<Vec<PathBuf>>);

/// Emitted (as `content-dropped`) when files are dropped onto the window.
#[derive(Clone, serde::Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ContentDropped {
    pub count: u32,
}

/// Keeps the paths of files dropped onto the window and tells the window how many.
pub fn on_drop(window: &tauri::Window, event: &tauri::WindowEvent) {
    use tauri::{Emitter, Manager};
    if let tauri::WindowEvent::DragDrop(tauri::DragDropEvent::Drop { paths, .. }) = event {
        if let Ok(mut d) = window.state::<Dropped>().0.lock() {
            d.extend(paths.iter().cloned());
        }
        let _ = window.emit(
            "content-dropped",
            ContentDropped {
                count: paths.len() as u32,
            },
        );
    }
}

#[tauri::command]
#[specta::specta]
pub async fn content_taxonomy(state: State<'_, AppState>) -> AppResult<Taxonomy> {
    ops::taxonomy(&state.db).await
}

#[tauri::command]
#[specta::specta]
pub async fn search_content(
    state: State<'_, AppState>,
    query: SearchQuery,
) -> AppResult<SearchResults> {
    ops::search(&state.db, &query).await
}

#[tauri::command]
#[specta::specta]
pub async fn get_asset(state: State<'_, AppState>, id: String) -> AppResult<AssetDetail> {
    let me = state.session.signer();
    ops::get(&state.db, &id, me.as_ref()).await
}

/// Writes an asset (new without an id), signed by the person whose key is open.
#[tauri::command]
#[specta::specta]
pub async fn save_asset(
    state: State<'_, AppState>,
    id: Option<String>,
    fields: AssetFields,
) -> AppResult<AssetDetail> {
    let me = state.session.require("changing the library")?;
    ops::save(&state.db, id.as_deref(), &fields, &me).await
}

/// Opens the system's file picker and stores what was picked.
#[tauri::command]
#[specta::specta]
pub async fn pick_content_files(
    app: AppHandle,
    state: State<'_, AppState>,
) -> AppResult<Vec<StoredFile>> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("Add to the content library")
        .pick_files(move |paths| {
            let _ = tx.send(paths);
        });
    let picked = rx.await.ok().flatten().unwrap_or_default();
    let mut out = Vec::new();
    for p in picked {
        let path = p
            .into_path()
            .map_err(|e| AppError::io(format!("the picked file has no path: {e}")))?;
        out.push(ops::store_file(&state.db, &state.data_dir, &path).await?);
    }
    Ok(out)
}

/// Stores the files last dropped onto the window.
#[tauri::command]
#[specta::specta]
pub async fn take_dropped_files(
    state: State<'_, AppState>,
    dropped: State<'_, Dropped>,
) -> AppResult<Vec<StoredFile>> {
    let paths: Vec<PathBuf> = dropped
        .0
        .lock()
        .map(|mut d| std::mem::take(&mut *d))
        .unwrap_or_default();
    let mut out = Vec::new();
    for p in paths.iter().filter(|p| p.is_file()) {
        out.push(ops::store_file(&state.db, &state.data_dir, p).await?);
    }
    Ok(out)
}

/// Opens an asset with the system's viewer (its stored file) or browser (its link).
#[tauri::command]
#[specta::specta]
pub async fn open_asset(app: AppHandle, state: State<'_, AppState>, id: String) -> AppResult<()> {
    let opener = app.opener();
    match ops::target(&state.db, &state.data_dir, &id).await? {
        Target::File(path) => opener.open_path(path.to_string_lossy(), None::<&str>),
        Target::Link(url) => opener.open_url(url, None::<&str>),
    }
    .map_err(|e| AppError::io(format!("the system could not open it: {e}")))
}

/// Shows an asset's stored file in the file manager, to attach it.
#[tauri::command]
#[specta::specta]
pub async fn reveal_asset(app: AppHandle, state: State<'_, AppState>, id: String) -> AppResult<()> {
    match ops::target(&state.db, &state.data_dir, &id).await? {
        Target::File(path) => app
            .opener()
            .reveal_item_in_dir(path)
            .map_err(|e| AppError::io(format!("the file manager could not show it: {e}"))),
        Target::Link(_) => Err(AppError::invalid("id", "a link has no file to attach")),
    }
}

#[tauri::command]
#[specta::specta]
pub async fn content_for_contact(
    state: State<'_, AppState>,
    contact_id: String,
) -> AppResult<ContactFit> {
    ops::for_contact(&state.db, &contact_id).await
}

#[tauri::command]
#[specta::specta]
pub async fn content_for_account(
    state: State<'_, AppState>,
    account_id: String,
) -> AppResult<AccountFit> {
    ops::for_account(&state.db, &account_id).await
}

/// Notes or clears a risk on an account, signed by the person whose key is open.
#[tauri::command]
#[specta::specta]
pub async fn note_account_risk(
    state: State<'_, AppState>,
    account_id: String,
    note: RiskNote,
) -> AppResult<Vec<AccountRisk>> {
    let me = state.session.require("noting a risk")?;
    ops::note_risk(&state.db, &account_id, &note, &me).await
}

#[tauri::command]
#[specta::specta]
pub async fn draft_send(
    state: State<'_, AppState>,
    asset_id: String,
    contact_id: String,
) -> AppResult<SendDraft> {
    let me = state.session.signer();
    ops::draft(&state.db, &asset_id, &contact_id, me.as_ref()).await
}

/// Opens the send's mail draft in the person's own mail program.
#[tauri::command]
#[specta::specta]
pub async fn open_mail_draft(app: AppHandle, mailto: String) -> AppResult<()> {
    if !mailto.starts_with("mailto:") {
        return Err(AppError::invalid(
            "mailto",
            "only mailto: drafts are opened here",
        ));
    }
    app.opener()
        .open_url(mailto, None::<&str>)
        .map_err(|e| AppError::io(format!("no mail program opened the draft: {e}")))
}

#[tauri::command]
#[specta::specta]
pub async fn copy_text(app: AppHandle, text: String) -> AppResult<()> {
    app.clipboard()
        .write_text(text)
        .map_err(|e| AppError::io(format!("the clipboard refused the text: {e}")))
}

/// Logs a send against the contact, signed by the person whose key is open.
#[tauri::command]
#[specta::specta]
pub async fn log_send(state: State<'_, AppState>, request: SendRequest) -> AppResult<Activity> {
    let me = state.session.require("logging a send")?;
    ops::log_send(&state.db, &request, &me).await
}

#[tauri::command]
#[specta::specta]
pub async fn content_health(state: State<'_, AppState>) -> AppResult<Health> {
    ops::health(&state.db).await
}

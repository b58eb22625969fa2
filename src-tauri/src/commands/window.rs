//! Commands of the window itself: the presentation scale and theme (kept on this laptop;
//! the words for every code and the appearance come with `boot`), fullscreen, revealing the exports folder, and the impact
//! preview of a proposal.
use tauri::{AppHandle, Manager, State};

use super::AppState;
use crate::error::{AppError, AppResult};
use crate::leads::impact::{Impact, ImpactRequest};
use crate::settings::{self, Appearance};

#[tauri::command]
#[specta::specta]
pub async fn set_appearance(
    app: AppHandle,
    state: State<'_, AppState>,
    appearance: Appearance,
) -> AppResult<Appearance> {
    settings::set_appearance(&app, &state.data_dir, &appearance)
}

/// Switches the window in or out of fullscreen; returns whether it is now fullscreen.
#[tauri::command]
#[specta::specta]
pub async fn toggle_fullscreen(app: AppHandle) -> AppResult<bool> {
    let window = app
        .get_webview_window("main")
        .ok_or_else(|| AppError::not_found("the main window is gone"))?;
    let fail = |e: tauri::Error| AppError::io(format!("fullscreen: {e}"));
    let full = !window.is_fullscreen().map_err(fail)?;
    window.set_fullscreen(full).map_err(fail)?;
    Ok(full)
}

/// Opens the folder exports are written to in the system's file manager. Only that
/// folder: nothing the window sends can name another path.
#[tauri::command]
#[specta::specta]
pub async fn open_exports_folder(state: State<'_, AppState>) -> AppResult<()> {
    let dir = state.data_dir.join("exports");
    std::fs::create_dir_all(&dir)?;
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(target_os = "windows") {
        "explorer"
    } else {
        "xdg-open"
    };
    std::process::Command::new(opener)
        .arg(&dir)
        .spawn()
        .map(drop)
        .map_err(|e| AppError::io(format!("cannot open {}: {e}", dir.display())))
}

/// What a proposed body would change for today's contacts (crossing or falling below the
/// MQL line, overdue in a stage), before anyone signs it.
#[tauri::command]
#[specta::specta]
pub async fn preview_impact(
    state: State<'_, AppState>,
    request: ImpactRequest,
) -> AppResult<Impact> {
    crate::leads::ops::impact(&state.db, &request).await
}

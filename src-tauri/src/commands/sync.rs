//! Commands for team sync in the window: its state (synced when, how many changes wait,
//! what the hub rejected and why, offline) and "sync now"; the background loop that syncs
//! while a member who joined the hub is unlocked.
use std::time::Duration;

use tauri::{Manager, State};

use super::AppState;
use crate::error::{AppError, AppResult};
use crate::sync::{self, config, SyncReport, SyncStatus};

/// How often the window syncs in the background when it can.
const EVERY: Duration = Duration::from_secs(30);

#[tauri::command]
#[specta::specta]
pub async fn sync_status(state: State<'_, AppState>) -> AppResult<SyncStatus> {
    let linked = config::load(&state.data_dir)?;
    sync::status(&state.db, linked.as_ref().map(config::HubConfig::label)).await
}

/// One push and pull now, as the unlocked member (who must be the one who joined).
#[tauri::command]
#[specta::specta]
pub async fn sync_now(state: State<'_, AppState>) -> AppResult<SyncReport> {
    let signer = state.session.require("syncing with the team's hub")?;
    run(&state, &signer).await
}

async fn run(state: &AppState, signer: &crate::trust::Signer) -> AppResult<SyncReport> {
    let linked = config::load(&state.data_dir)?.ok_or_else(|| {
        AppError::not_found(
            "this laptop has not joined a hub; run `playbook sync join CODE` with the code from `playbook hub enrol`",
        )
    })?;
    if linked.member_id != signer.member_id {
        return Err(AppError::not_allowed(format!(
            "this laptop syncs as {}; unlock as them to sync",
            linked.email
        )));
    }
    sync::sync_as(&state.db, &linked, signer).await
}

/// Syncs every [`EVERY`] while the member who joined is unlocked; failures (offline) are
/// kept for the status line and never interrupt anything.
pub fn spawn_background(app: tauri::AppHandle) {
    tauri::async_runtime::spawn(async move {
        loop {
            tokio::time::sleep(EVERY).await;
            let state = app.state::<AppState>();
            let Some(signer) = state.session.peek() else {
                continue;
            };
            if matches!(config::load(&state.data_dir), Ok(Some(_))) {
                let _ = run(&state, &signer).await;
            }
        }
    });
}

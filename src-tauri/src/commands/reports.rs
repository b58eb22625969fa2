//! Commands for the reports and the home screen.
use tauri::State;

use super::AppState;
use crate::error::AppResult;
use crate::home::extras::HomeExtras;
use crate::home::{self, Home};
use crate::reports::aging::AgingReport;
use crate::reports::funnel::FunnelReport;
use crate::reports::ops::{self, Basis};
use crate::reports::reasons::ReasonsReport;
use crate::reports::sources::SourcesReport;
use crate::reports::ReportKind;

#[tauri::command]
#[specta::specta]
pub async fn report_funnel(
    state: State<'_, AppState>,
    from: Option<String>,
    to: Option<String>,
) -> AppResult<FunnelReport> {
    let basis = Basis::load(&state.db).await?;
    let period = basis.period(from.as_deref(), to.as_deref())?;
    ops::funnel_report(&mut *state.db.acquire().await?, &basis, &period).await
}

#[tauri::command]
#[specta::specta]
pub async fn report_sources(
    state: State<'_, AppState>,
    from: Option<String>,
    to: Option<String>,
) -> AppResult<SourcesReport> {
    let basis = Basis::load(&state.db).await?;
    let period = basis.period(from.as_deref(), to.as_deref())?;
    ops::sources_report(&mut *state.db.acquire().await?, &basis, &period).await
}

#[tauri::command]
#[specta::specta]
pub async fn report_reasons(
    state: State<'_, AppState>,
    from: Option<String>,
    to: Option<String>,
) -> AppResult<ReasonsReport> {
    let basis = Basis::load(&state.db).await?;
    let period = basis.period(from.as_deref(), to.as_deref())?;
    ops::reasons_report(&mut *state.db.acquire().await?, &basis, &period).await
}

#[tauri::command]
#[specta::specta]
pub async fn report_aging(
    state: State<'_, AppState>,
    to: Option<String>,
) -> AppResult<AgingReport> {
    let basis = Basis::load(&state.db).await?;
    ops::aging_report(&mut *state.db.acquire().await?, &basis, to.as_deref()).await
}

/// Writes a report as CSV into the app's exports folder; returns the file's path.
#[tauri::command]
#[specta::specta]
pub async fn export_report(
    state: State<'_, AppState>,
    kind: ReportKind,
    from: Option<String>,
    to: Option<String>,
) -> AppResult<String> {
    let csv = ops::csv(&state.db, kind, from.as_deref(), to.as_deref()).await?;
    export_file(&state, kind.as_str(), "csv", csv.as_bytes())
}

pub(super) fn viewer(app: &tauri::AppHandle, state: &AppState) -> AppResult<Option<String>> {
    Ok(match state.session.signer() {
        Some(s) => Some(s.member_id),
        None => crate::settings::identity(app, &state.data_dir)?,
    })
}

/// The home screen of whoever is signed in (or, as a hint, last signed in) here; with
/// `kept`, the numbers last computed if there are any (marked so), for the first paint.
#[tauri::command]
#[specta::specta]
pub async fn get_home(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    days: u32,
    kept: bool,
) -> AppResult<Home> {
    let viewer = viewer(&app, &state)?;
    if kept {
        if let Some(home) = home::cache::kept(&state.db, viewer.as_deref(), days).await? {
            return Ok(home);
        }
    }
    home::home(&state.db, viewer.as_deref(), days).await
}

/// The parts of the home screen that wait for the SLA state and the content library.
#[tauri::command]
#[specta::specta]
pub async fn get_home_extras(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    days: u32,
) -> AppResult<HomeExtras> {
    let viewer = viewer(&app, &state)?;
    home::extras::extras(&state.db, viewer.as_deref(), days, &state.sla).await
}

/// Writes a file into the app's exports folder (never elsewhere), named by what it is and
/// when; returns its path.
pub(super) fn export_file(
    state: &AppState,
    name: &str,
    ext: &str,
    bytes: &[u8],
) -> AppResult<String> {
    let dir = state.data_dir.join("exports");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!(
        "{name}-{}.{ext}",
        chrono::Utc::now().format("%Y%m%d-%H%M%S")
    ));
    crate::exports::write_whole(&path, bytes)?;
    Ok(path.display().to_string())
}

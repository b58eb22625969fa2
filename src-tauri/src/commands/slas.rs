//! Commands for SLAs: the scorecard, the items due for the person using the window, and
//! the background task that warns them before a deadline (a desktop notification sent
//! from Rust, so the webview needs no notification permission).
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use tauri::{AppHandle, Manager, Runtime, State};
use tauri_plugin_notification::NotificationExt;
use tauri_plugin_store::StoreExt;

use super::AppState;
use crate::error::AppResult;
use crate::slas::notify;
use crate::slas::ops::{self, DueItem};
use crate::slas::report::{Scorecard, TrendPeriod};

#[tauri::command]
#[specta::specta]
pub async fn sla_scorecard(
    state: State<'_, AppState>,
    period: TrendPeriod,
) -> AppResult<Scorecard> {
    ops::scorecard(&state.db, &state.sla, period).await
}

/// The SLA items the person using the window owes, earliest deadline first.
#[tauri::command]
#[specta::specta]
pub async fn sla_due(app: AppHandle, state: State<'_, AppState>) -> AppResult<Vec<DueItem>> {
    let Some(me) = me(&app, &state) else {
        return Ok(vec![]);
    };
    ops::due(&state.db, &state.sla, &me, chrono::Utc::now(), 50).await
}

/// Whoever is signed in, else whoever last used this laptop.
fn me<R: Runtime>(app: &AppHandle<R>, state: &AppState) -> Option<String> {
    state.session.signer().map(|s| s.member_id).or_else(|| {
        crate::settings::identity(app, &state.data_dir)
            .ok()
            .flatten()
    })
}

const WARNED: &str = "slaWarned";
/// Written by the window's presentation mode (issue 11); absent means 1.
const PRESENTATION_SCALE: &str = "presentationScale";

/// Checks every minute for deadlines within the hour and warns their owner, once each.
pub fn spawn_warnings<R: Runtime>(app: AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(60)).await;
            let _ = warn_once(&app).await;
        }
    });
}

async fn warn_once<R: Runtime>(app: &AppHandle<R>) -> AppResult<()> {
    let state = app.state::<AppState>();
    let Some(me) = me(app, &state) else {
        return Ok(());
    };
    let now = chrono::Utc::now();
    let due: Vec<DueItem> = ops::due(&state.db, &state.sla, &me, now, 50).await?;
    let path: PathBuf = crate::settings::store_path(&state.data_dir);
    let store = app
        .store(path)
        .map_err(|e| crate::error::AppError::io(format!("cannot open the settings: {e}")))?;
    let scale = store.get(PRESENTATION_SCALE).and_then(|v| v.as_f64());
    let mut warned: HashMap<String, String> = store
        .get(WARNED)
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default();
    notify::prune(&mut warned, now);
    for d in notify::to_warn(&due, &warned, now, scale) {
        let (title, body) = notify::message(d, now);
        if app
            .notification()
            .builder()
            .title(title)
            .body(body)
            .show()
            .is_ok()
        {
            warned.insert(notify::key(d), d.deadline.clone());
        }
    }
    store.set(WARNED, serde_json::json!(warned));
    store
        .save()
        .map_err(|e| crate::error::AppError::io(format!("cannot save the settings: {e}")))
}

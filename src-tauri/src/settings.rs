//! Settings of this laptop that are not team data (who is using it), kept with
//! tauri-plugin-store in the data directory, beside the database.
use std::path::{Path, PathBuf};

use tauri::{AppHandle, Runtime};
use tauri_plugin_store::StoreExt;

use crate::error::{AppError, AppResult};

const IDENTITY: &str = "identity";

pub fn store_path(data_dir: &Path) -> PathBuf {
    data_dir.join("settings.json")
}

fn store<R: Runtime>(
    app: &AppHandle<R>,
    data_dir: &Path,
) -> AppResult<std::sync::Arc<tauri_plugin_store::Store<R>>> {
    app.store(store_path(data_dir))
        .map_err(|e| AppError::io(format!("cannot open the settings: {e}")))
}

/// The id of the team member using this laptop, if one has been chosen.
pub fn identity<R: Runtime>(app: &AppHandle<R>, data_dir: &Path) -> AppResult<Option<String>> {
    Ok(store(app, data_dir)?
        .get(IDENTITY)
        .and_then(|v| v.as_str().map(str::to_string)))
}

pub fn set_identity<R: Runtime>(
    app: &AppHandle<R>,
    data_dir: &Path,
    member_id: Option<&str>,
) -> AppResult<()> {
    let store = store(app, data_dir)?;
    match member_id {
        Some(id) => store.set(IDENTITY, id),
        None => {
            store.delete(IDENTITY);
        }
    }
    store
        .save()
        .map_err(|e| AppError::io(format!("cannot save the settings: {e}")))
}

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

/// How the window looks on this laptop: the presentation scale in percent (100 = normal)
/// and the theme (`system`, `light` or `dark`). Not team data.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Appearance {
    pub scale_percent: u32,
    pub theme: Theme,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    System,
    Light,
    Dark,
}

const APPEARANCE: &str = "appearance";
/// The range of the presentation scale, in percent: from a small laptop screen to the
/// back of the room.
pub const SCALE_RANGE: std::ops::RangeInclusive<u32> = 80..=250;

impl Default for Appearance {
    fn default() -> Self {
        Appearance {
            scale_percent: 100,
            theme: Theme::System,
        }
    }
}

pub fn appearance<R: Runtime>(app: &AppHandle<R>, data_dir: &Path) -> AppResult<Appearance> {
    Ok(store(app, data_dir)?
        .get(APPEARANCE)
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default())
}

/// Saves the appearance; a scale outside the offered range is refused, naming the range.
pub fn set_appearance<R: Runtime>(
    app: &AppHandle<R>,
    data_dir: &Path,
    appearance: &Appearance,
) -> AppResult<Appearance> {
    if !SCALE_RANGE.contains(&appearance.scale_percent) {
        return Err(AppError::invalid(
            "scalePercent",
            format!(
                "The presentation scale goes from {}% to {}%.",
                SCALE_RANGE.start(),
                SCALE_RANGE.end()
            ),
        ));
    }
    let store = store(app, data_dir)?;
    store.set(
        APPEARANCE,
        serde_json::to_value(appearance).map_err(|e| AppError::io(e.to_string()))?,
    );
    store
        .save()
        .map_err(|e| AppError::io(format!("cannot save the settings: {e}")))?;
    Ok(appearance.clone())
}

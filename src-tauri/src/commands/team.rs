//! Commands for the team and for who is using this laptop.
use tauri::{AppHandle, State};

use super::AppState;
use crate::error::AppResult;
use crate::settings;
use crate::team::{self, Member, NewMember};

#[tauri::command]
#[specta::specta]
pub async fn list_members(state: State<'_, AppState>) -> AppResult<Vec<Member>> {
    team::list(&state.db).await
}

#[tauri::command]
#[specta::specta]
pub async fn add_member(state: State<'_, AppState>, member: NewMember) -> AppResult<Member> {
    team::add(&state.db, &member).await
}

/// The team member using this laptop, if chosen and still on the team.
#[tauri::command]
#[specta::specta]
pub async fn whoami(app: AppHandle, state: State<'_, AppState>) -> AppResult<Option<Member>> {
    current_member(&app, &state).await
}

/// Chooses (or, with null, forgets) who is using this laptop.
#[tauri::command]
#[specta::specta]
pub async fn set_identity(
    app: AppHandle,
    state: State<'_, AppState>,
    member_id: Option<String>,
) -> AppResult<Option<Member>> {
    if let Some(id) = &member_id {
        team::store::get(&mut *state.db.acquire().await?, id).await?;
    }
    settings::set_identity(&app, &state.data_dir, member_id.as_deref())?;
    current_member(&app, &state).await
}

pub(super) async fn current_member(app: &AppHandle, state: &AppState) -> AppResult<Option<Member>> {
    let Some(id) = settings::identity(app, &state.data_dir)? else {
        return Ok(None);
    };
    match team::store::get(&mut *state.db.acquire().await?, &id).await {
        Ok(m) => Ok(Some(m)),
        Err(e) if e.code == crate::error::ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

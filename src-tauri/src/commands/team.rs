//! Commands for the team and for who is using this laptop (proven with a passphrase).
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

/// Adds a member, signed by the unlocked manager; `passphrase` seals the new member's key
/// (they type it themselves, or change it later).
#[tauri::command]
#[specta::specta]
pub async fn add_member(
    state: State<'_, AppState>,
    member: NewMember,
    passphrase: String,
) -> AppResult<Member> {
    let signer = state.session.require("adding a member")?;
    team::add(&state.db, &member, &passphrase, &signer).await
}

/// The member whose key is open in this window, if any.
#[tauri::command]
#[specta::specta]
pub async fn whoami(state: State<'_, AppState>) -> AppResult<Option<Member>> {
    current_member(&state).await
}

/// The member who last unlocked on this laptop (a hint for the unlock dialog; proves
/// nothing).
#[tauri::command]
#[specta::specta]
pub async fn last_identity(
    app: AppHandle,
    state: State<'_, AppState>,
) -> AppResult<Option<String>> {
    settings::identity(&app, &state.data_dir)
}

/// Proves who is using the window: opens the member's key with their passphrase.
#[tauri::command]
#[specta::specta]
pub async fn unlock(
    app: AppHandle,
    state: State<'_, AppState>,
    member_id: String,
    passphrase: String,
) -> AppResult<Member> {
    let signer = team::unlock(&state.db, &member_id, &passphrase).await?;
    let member = team::store::get(&mut *state.db.acquire().await?, &signer.member_id).await?;
    state.session.open(signer);
    settings::set_identity(&app, &state.data_dir, Some(&member.id))?;
    Ok(member)
}

/// Locks the key: nothing more is signed until someone unlocks again.
#[tauri::command]
#[specta::specta]
pub async fn lock(state: State<'_, AppState>) -> AppResult<()> {
    state.session.lock();
    Ok(())
}

pub(super) async fn current_member(state: &AppState) -> AppResult<Option<Member>> {
    let Some(signer) = state.session.signer() else {
        return Ok(None);
    };
    match team::store::get(&mut *state.db.acquire().await?, &signer.member_id).await {
        Ok(m) => Ok(Some(m)),
        Err(e) if e.code == crate::error::ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

//! Commands for the playbook: list, propose, sign off, compare.
use tauri::{AppHandle, State};

use super::team::current_member;
use super::AppState;
use crate::agreements::diff::VersionDiff;
use crate::agreements::{ops, AgreementItem, AgreementKind, AgreementVersion, Proposal};
use crate::error::{AppError, AppResult};
use crate::team::Member;

async fn signed_in(app: &AppHandle, state: &AppState) -> AppResult<Member> {
    current_member(app, state).await?.ok_or_else(|| {
        AppError::not_allowed("choose who you are (top right) before proposing or signing")
    })
}

#[tauri::command]
#[specta::specta]
pub async fn list_agreements(
    state: State<'_, AppState>,
    kind: Option<AgreementKind>,
) -> AppResult<Vec<AgreementItem>> {
    ops::list(&state.db, kind).await
}

#[tauri::command]
#[specta::specta]
pub async fn propose_agreement(
    app: AppHandle,
    state: State<'_, AppState>,
    proposal: Proposal,
) -> AppResult<AgreementVersion> {
    let me = signed_in(&app, &state).await?;
    ops::propose(&state.db, &proposal, Some(&me.id)).await
}

#[tauri::command]
#[specta::specta]
pub async fn approve_agreement(
    app: AppHandle,
    state: State<'_, AppState>,
    version_id: String,
    comment: String,
) -> AppResult<AgreementVersion> {
    let me = signed_in(&app, &state).await?;
    ops::approve(&state.db, &version_id, &me.id, &comment).await
}

#[tauri::command]
#[specta::specta]
pub async fn decline_agreement(
    app: AppHandle,
    state: State<'_, AppState>,
    version_id: String,
    comment: String,
) -> AppResult<AgreementVersion> {
    let me = signed_in(&app, &state).await?;
    ops::decline(&state.db, &version_id, &me.id, &comment).await
}

#[tauri::command]
#[specta::specta]
pub async fn compare_versions(
    state: State<'_, AppState>,
    left_id: String,
    right_id: String,
) -> AppResult<VersionDiff> {
    ops::diff(&state.db, &left_id, &right_id).await
}

//! Commands for the playbook: list, propose, sign off, compare.
use tauri::State;

use super::AppState;
use crate::agreements::check::{self, Problem};
use crate::agreements::diff::VersionDiff;
use crate::agreements::{
    ops, AgreementBody, AgreementItem, AgreementKind, AgreementVersion, Proposal,
};
use crate::error::AppResult;

#[tauri::command]
#[specta::specta]
pub async fn list_agreements(
    state: State<'_, AppState>,
    kind: Option<AgreementKind>,
) -> AppResult<Vec<AgreementItem>> {
    let viewer = state.session.signer().map(|s| s.member_id);
    ops::list(&state.db, kind, viewer.as_deref()).await
}

#[tauri::command]
#[specta::specta]
pub async fn propose_agreement(
    state: State<'_, AppState>,
    proposal: Proposal,
) -> AppResult<AgreementVersion> {
    let me = state.session.require("proposing a change")?;
    ops::propose(&state.db, &proposal, &me).await
}

#[tauri::command]
#[specta::specta]
pub async fn approve_agreement(
    state: State<'_, AppState>,
    version_id: String,
    comment: String,
) -> AppResult<AgreementVersion> {
    let me = state.session.require("signing")?;
    ops::approve(&state.db, &version_id, &me, &comment).await
}

#[tauri::command]
#[specta::specta]
pub async fn decline_agreement(
    state: State<'_, AppState>,
    version_id: String,
    comment: String,
) -> AppResult<AgreementVersion> {
    let me = state.session.require("declining")?;
    ops::decline(&state.db, &version_id, &me, &comment).await
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

/// Everything wrong with a body being written, in people's words, field by field (the
/// form shows them as they type; proposing refuses the same problems).
#[tauri::command]
#[specta::specta]
pub async fn check_proposal(body: AgreementBody) -> AppResult<Vec<Problem>> {
    Ok(check::problems(&body))
}

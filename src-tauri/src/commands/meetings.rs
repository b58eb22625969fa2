//! Commands for alignment meetings: agenda, decisions signed in the room, actions, minutes.
use tauri::State;

use super::AppState;
use crate::error::AppResult;
use crate::meetings::minutes::{self, Minutes};
use crate::meetings::{
    ops, ActionItem, ActionStatus, AgendaEdit, Decision, Meeting, MeetingDetail, NewAction,
    NewDecision, NewMeeting,
};

#[tauri::command]
#[specta::specta]
pub async fn list_meetings(state: State<'_, AppState>) -> AppResult<Vec<Meeting>> {
    ops::list(&state.db).await
}

#[tauri::command]
#[specta::specta]
pub async fn get_meeting(state: State<'_, AppState>, id: String) -> AppResult<MeetingDetail> {
    ops::detail(&state.db, &id).await
}

#[tauri::command]
#[specta::specta]
pub async fn create_meeting(
    state: State<'_, AppState>,
    meeting: NewMeeting,
) -> AppResult<MeetingDetail> {
    let me = state.session.require("creating a meeting")?;
    ops::create(&state.db, &meeting, &me, &state.sla).await
}

#[tauri::command]
#[specta::specta]
pub async fn add_agenda_item(
    state: State<'_, AppState>,
    meeting_id: String,
    title: String,
    note: String,
) -> AppResult<MeetingDetail> {
    let me = state.session.require("changing the agenda")?;
    ops::add_agenda_item(&state.db, &meeting_id, &title, &note, &me).await
}

#[tauri::command]
#[specta::specta]
pub async fn edit_agenda_item(
    state: State<'_, AppState>,
    item_id: String,
    edit: AgendaEdit,
) -> AppResult<MeetingDetail> {
    let me = state.session.require("changing the agenda")?;
    ops::edit_agenda_item(&state.db, &item_id, &edit, &me).await
}

#[tauri::command]
#[specta::specta]
pub async fn refresh_agenda(
    state: State<'_, AppState>,
    meeting_id: String,
) -> AppResult<MeetingDetail> {
    let me = state.session.require("refreshing the agenda")?;
    ops::refresh_agenda(&state.db, &meeting_id, &me, &state.sla).await
}

#[tauri::command]
#[specta::specta]
pub async fn record_decision(
    state: State<'_, AppState>,
    meeting_id: String,
    decision: NewDecision,
) -> AppResult<Decision> {
    let me = state.session.require("recording a decision")?;
    ops::decide(&state.db, &meeting_id, &decision, &me).await
}

/// A manager signs a decision's version in the room: their key is opened with the
/// passphrase they type for this one signature and never kept (the window's own session
/// stays whoever unlocked it).
#[tauri::command]
#[specta::specta]
pub async fn sign_decision(
    state: State<'_, AppState>,
    decision_id: String,
    member_id: String,
    passphrase: String,
) -> AppResult<Decision> {
    ops::sign_with_passphrase(&state.db, &decision_id, &member_id, &passphrase).await
}

#[tauri::command]
#[specta::specta]
pub async fn add_action(
    state: State<'_, AppState>,
    meeting_id: String,
    action: NewAction,
) -> AppResult<ActionItem> {
    let me = state.session.require("adding an action item")?;
    ops::add_action(&state.db, &meeting_id, &action, &me).await
}

#[tauri::command]
#[specta::specta]
pub async fn set_action_status(
    state: State<'_, AppState>,
    action_id: String,
    status: ActionStatus,
) -> AppResult<ActionItem> {
    let me = state.session.require("changing an action item")?;
    ops::set_action_status(&state.db, &action_id, status, &me).await
}

#[tauri::command]
#[specta::specta]
pub async fn close_meeting(state: State<'_, AppState>, meeting_id: String) -> AppResult<Meeting> {
    let me = state.session.require("closing the meeting")?;
    ops::close(&state.db, &meeting_id, &me).await
}

#[tauri::command]
#[specta::specta]
pub async fn get_minutes(state: State<'_, AppState>, meeting_id: String) -> AppResult<Minutes> {
    Ok(minutes::view(&ops::detail(&state.db, &meeting_id).await?))
}

/// Writes the minutes (Markdown, or HTML when `html`) into the exports folder; returns
/// the file's path.
#[tauri::command]
#[specta::specta]
pub async fn export_minutes(
    state: State<'_, AppState>,
    meeting_id: String,
    html: bool,
) -> AppResult<String> {
    let detail = ops::detail(&state.db, &meeting_id).await?;
    let (text, ext) = if html {
        (minutes::html(&detail), "html")
    } else {
        (minutes::markdown(&detail), "md")
    };
    super::reports::export_file(&state, "minutes", ext, text.as_bytes())
}

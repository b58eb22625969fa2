//! SQL for the handoff log: folding a contact's events, appending a checked event and
//! keeping the contact's cached stage in the same transaction.
use chrono::{DateTime, Utc};

use super::playbook_at::PlaybookHistory;
use super::rules::{advance, decide, Lifecycle};
use super::{EventKind, EventRequest, HandoffEvent};
use crate::agreements::{AgreementBody, AgreementKind};
use crate::db::{new_id, ts, Conn};
use crate::error::{AppError, AppResult};
use crate::team::{self, Side};

/// The fold of a contact's stored events, oldest first.
pub async fn lifecycle(conn: &mut Conn, contact_id: &str) -> AppResult<Option<Lifecycle>> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT kind, to_stage, at FROM handoff_events WHERE contact_id = ? ORDER BY at, rowid",
    )
    .bind(contact_id)
    .fetch_all(conn)
    .await?;
    Ok(fold(
        rows.iter()
            .map(|(k, to, at)| (k.as_str(), to.as_str(), at.as_str())),
    ))
}

/// Folds (kind, to_stage, at) triples into the contact's lifecycle.
pub fn fold<'a>(events: impl Iterator<Item = (&'a str, &'a str, &'a str)>) -> Option<Lifecycle> {
    let mut state = None;
    for (kind, to, at) in events {
        let kind = EventKind::parse(kind).unwrap_or(EventKind::Attempt);
        state = Some(advance(state, kind, to, at));
    }
    state
}

/// Records one event for a contact, refusing what the playbook in force does not allow.
/// `actor_id` is who did it; `at` when it happened (not before the contact's last event).
pub async fn record(
    conn: &mut Conn,
    pb: &PlaybookHistory,
    contact_id: &str,
    req: &EventRequest,
    actor_id: Option<&str>,
    at: DateTime<Utc>,
    external_id: Option<&str>,
) -> AppResult<HandoffEvent> {
    let exists: Option<String> =
        sqlx::query_scalar("SELECT id FROM contacts WHERE id = ? AND deleted_at IS NULL")
            .bind(contact_id)
            .fetch_optional(&mut *conn)
            .await?;
    if exists.is_none() {
        return Err(AppError::not_found(format!(
            "no contact with id {contact_id}"
        )));
    }
    let state = lifecycle(&mut *conn, contact_id).await?;
    let at_text = ts(at);
    if let Some(s) = &state {
        if at_text < s.last_at {
            return Err(AppError::invalid(
                "at",
                format!("at: {at_text} is before the contact's latest event ({}); history is recorded in time order", s.last_at),
            ));
        }
    }
    let actor = match actor_id {
        Some(id) => Some(team::store::get(&mut *conn, id).await?),
        None => None,
    };
    let assignee = match &req.assignee_id {
        Some(id) if req.kind == EventKind::HandedOver => {
            let m = team::store::get(&mut *conn, id).await?;
            if m.side != Side::Sales {
                return Err(AppError::invalid(
                    "assignee",
                    format!("assignee: {} is in marketing; hand leads to sales", m.name),
                ));
            }
            Some(m)
        }
        _ => None,
    };
    let decision = decide(state.as_ref(), req, at, None, pb)?;
    let id = new_id();
    let reason = req
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let channel = req
        .channel
        .as_deref()
        .map(|c| c.trim().to_lowercase())
        .filter(|c| !c.is_empty());
    sqlx::query(
        "INSERT INTO handoff_events
            (id, contact_id, kind, at, actor_id, from_stage, to_stage, reason, channel, note, playbook, external_id, recorded_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&id)
    .bind(contact_id)
    .bind(req.kind.as_str())
    .bind(&at_text)
    .bind(actor.as_ref().map(|m| m.id.as_str()))
    .bind(&decision.from)
    .bind(&decision.to)
    .bind(reason)
    .bind(&channel)
    .bind(req.note.trim())
    .bind(&decision.playbook)
    .bind(external_id)
    .bind(ts(Utc::now()))
    .execute(&mut *conn)
    .await?;
    let next = advance(state, req.kind, &decision.to, &at_text);
    // Whoever accepts a lead owns it; a handover goes to the assignee.
    let owner = match (&assignee, req.kind, &actor) {
        (Some(m), _, _) => Some(m.id.clone()),
        (None, EventKind::Accepted, Some(m)) if m.side == Side::Sales => Some(m.id.clone()),
        _ => None,
    };
    sqlx::query(
        "UPDATE contacts SET stage = ?, stage_since = ?, owner_id = coalesce(?, owner_id), updated_at = ? WHERE id = ?",
    )
    .bind(&next.stage)
    .bind(&next.since)
    .bind(owner)
    .bind(ts(Utc::now()))
    .bind(contact_id)
    .execute(&mut *conn)
    .await?;
    let mut events = timeline(conn, pb, contact_id).await?;
    events
        .iter()
        .position(|e| e.id == id)
        .map(|i| events.swap_remove(i))
        .ok_or_else(|| AppError::not_found("the event just recorded is missing"))
}

/// A contact's events, newest first, with actor and reason names.
pub async fn timeline(
    conn: &mut Conn,
    pb: &PlaybookHistory,
    contact_id: &str,
) -> AppResult<Vec<HandoffEvent>> {
    let mut events: Vec<HandoffEvent> = sqlx::query_as(
        "SELECT e.id, e.contact_id, e.kind, e.at, e.actor_id, m.name AS actor_name, e.from_stage, e.to_stage,
                e.reason, NULL AS reason_name, e.channel, e.note, e.playbook
         FROM handoff_events e LEFT JOIN members m ON m.id = e.actor_id
         WHERE e.contact_id = ? ORDER BY e.at DESC, e.rowid DESC",
    )
    .bind(contact_id)
    .fetch_all(conn)
    .await?;
    let now = Utc::now();
    for e in &mut events {
        if let Some(key) = &e.reason {
            e.reason_name = pb
                .at(AgreementKind::Reason, key, now)
                .map(|v| v.name.clone());
        }
    }
    Ok(events)
}

/// Names of stages in force now, by key (for readable messages and lists).
pub fn stage_name(pb: &PlaybookHistory, key: &str) -> String {
    match pb.at(AgreementKind::Stage, key, Utc::now()) {
        Some(v) if matches!(v.body, AgreementBody::Stage(_)) => v.name.clone(),
        _ => key.to_string(),
    }
}

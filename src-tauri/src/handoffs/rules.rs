//! Pure rules of the handoff log: which actions the stage definitions in force allow, to
//! whom, where each leads, and which events need a reason or a channel.
use chrono::{DateTime, Utc};

use super::playbook_at::PlaybookHistory;
use super::{EventKind, EventRequest, CHANNELS};
use crate::agreements::{AgreementBody, AgreementKind, ReasonUse, StageBody};
use crate::error::{AppError, AppResult};
use crate::team::roster::MemberState;
use crate::team::Role;

/// The fold of a contact's events so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lifecycle {
    pub stage: String,
    /// When the contact entered `stage` (RFC 3339).
    pub since: String,
    /// When the newest applied event happened (RFC 3339).
    pub last_at: String,
    /// The latest stage change was a rejection.
    pub rejected_last: bool,
    /// A dispute of that rejection awaits its outcome.
    pub open_dispute: bool,
}

/// What recording an event means: from where to where, under which playbook versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub from: Option<String>,
    pub to: String,
    pub playbook: String,
}

/// Who records an event: a member as they were at that moment, or a bulk write (history
/// brought in from another system, which is taken as it happened there).
#[derive(Debug, Clone, Copy)]
pub enum Acting<'a> {
    As(&'a MemberState),
    Imported,
}

/// The reason use an event requires, if any.
pub fn reason_use(kind: EventKind) -> Option<ReasonUse> {
    match kind {
        EventKind::Rejected => Some(ReasonUse::Reject),
        EventKind::Recycled => Some(ReasonUse::Recycle),
        EventKind::Disqualified => Some(ReasonUse::Disqualify),
        EventKind::Lost => Some(ReasonUse::Lost),
        _ => None,
    }
}

/// Whether recording the event needs the channel it went through (phone, email…).
pub fn needs_channel(kind: EventKind) -> bool {
    kind == EventKind::Attempt
}

fn stage_def<'a>(
    pb: &'a PlaybookHistory,
    key: &str,
    at: DateTime<Utc>,
) -> AppResult<(&'a StageBody, String)> {
    match pb.at(AgreementKind::Stage, key, at) {
        Some(v) => match &v.body {
            AgreementBody::Stage(s) => Ok((s, v.reference())),
            _ => Err(AppError::invalid(
                "stage",
                format!("'{key}' is not a stage"),
            )),
        },
        None => Err(AppError::invalid(
            "stage",
            format!("the agreed playbook has no stage '{key}'"),
        )),
    }
}

/// Checks the transition itself (not reason or channel) against the stage definition in
/// force at `at`: the stage must list the action, the actor must be of the side (and role)
/// it names, and it leads where the definition says. `entry_stage` is where a `created`
/// event puts the contact (its imported stage).
pub fn check_transition(
    state: Option<&Lifecycle>,
    kind: EventKind,
    at: DateTime<Utc>,
    entry_stage: Option<&str>,
    pb: &PlaybookHistory,
    acting: Acting<'_>,
) -> AppResult<Decision> {
    let refuse = |why: String| Err(AppError::not_allowed(why));
    let Some(state) = state else {
        if kind != EventKind::Created {
            return refuse(format!(
                "a contact's history starts with 'created', not '{}'",
                kind.as_str()
            ));
        }
        let to = match entry_stage {
            Some(s) => s.to_string(),
            None => pb
                .first_stage(at)
                .ok_or_else(|| AppError::not_allowed("the agreed playbook has no stages yet"))?,
        };
        let (_, reference) = stage_def(pb, &to, at)?;
        return Ok(Decision {
            from: None,
            to,
            playbook: reference,
        });
    };
    let now_stage = state.stage.as_str();
    let (current, current_ref) = stage_def(pb, now_stage, at)?;
    if kind == EventKind::Created {
        return refuse("the contact already exists; 'created' comes once".into());
    }
    let Some(action) = current.actions.iter().find(|a| a.event == kind) else {
        let allowed: Vec<&str> = current.actions.iter().map(|a| a.event.as_str()).collect();
        return refuse(format!(
            "{current_ref} does not allow '{}' while a contact is in {now_stage} (allowed: {})",
            kind.as_str(),
            if allowed.is_empty() {
                "nothing".to_string()
            } else {
                allowed.join(", ")
            }
        ));
    };
    match kind {
        EventKind::Disputed if !state.rejected_last || state.open_dispute => {
            return refuse("only the latest rejection can be disputed, once".into());
        }
        EventKind::DisputeUpheld | EventKind::DisputeOverturned if !state.open_dispute => {
            return refuse("there is no open dispute to decide".into());
        }
        _ => {}
    }
    if let Acting::As(m) = acting {
        if m.side != action.by {
            return refuse(format!(
                "{current_ref}: only {} records '{}' while a contact is in {now_stage}; {} is in {}",
                action.by.as_str(),
                kind.as_str(),
                m.name,
                m.side.as_str()
            ));
        }
        if action.managers_only && m.role != Role::Manager {
            return refuse(format!(
                "{current_ref}: only {} managers record '{}'; {} is a {} {}",
                action.by.as_str(),
                kind.as_str(),
                m.name,
                m.side.as_str(),
                m.role.as_str()
            ));
        }
    }
    let Some(to) = action.to.clone() else {
        return Ok(Decision {
            from: Some(now_stage.into()),
            to: now_stage.into(),
            playbook: current_ref,
        });
    };
    let (_, to_ref) = stage_def(pb, &to, at)?;
    Ok(Decision {
        from: Some(now_stage.into()),
        to,
        playbook: format!("{current_ref} {to_ref}"),
    })
}

/// Validates a whole request: the transition, then its reason or channel.
pub fn decide(
    state: Option<&Lifecycle>,
    req: &EventRequest,
    at: DateTime<Utc>,
    entry_stage: Option<&str>,
    pb: &PlaybookHistory,
    acting: Acting<'_>,
) -> AppResult<Decision> {
    let mut d = check_transition(state, req.kind, at, entry_stage, pb, acting)?;
    let reason = req
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    match (reason_use(req.kind), reason) {
        (Some(usage), None) => {
            return Err(AppError::invalid(
                "reason",
                format!("reason: '{}' needs an agreed reason; use one of {}", req.kind.as_str(), reasons_for(pb, usage, at)),
            ))
        }
        (Some(usage), Some(key)) => {
            let found = pb.reasons_at(at).into_iter().find(|(k, _)| *k == key);
            match found {
                Some((_, v)) if matches!(&v.body, AgreementBody::Reason(r) if r.applies_to.contains(&usage)) => {
                    d.playbook.push(' ');
                    d.playbook.push_str(&v.reference());
                }
                _ => {
                    return Err(AppError::invalid(
                        "reason",
                        format!("reason: '{key}' is not an agreed {} reason; use one of {}", usage.as_str(), reasons_for(pb, usage, at)),
                    ))
                }
            }
        }
        (None, Some(_)) => {
            return Err(AppError::invalid(
                "reason",
                format!("reason: only rejections, recycles, disqualifications and losses carry a reason, not '{}'", req.kind.as_str()),
            ))
        }
        (None, None) => {}
    }
    if needs_channel(req.kind) {
        let channel = req
            .channel
            .as_deref()
            .map(|c| c.trim().to_lowercase())
            .unwrap_or_default();
        if !CHANNELS.contains(&channel.as_str()) {
            return Err(AppError::invalid(
                "channel",
                format!(
                    "channel: an attempt needs its channel, one of {}",
                    CHANNELS.join(", ")
                ),
            ));
        }
    }
    Ok(d)
}

fn reasons_for(pb: &PlaybookHistory, usage: ReasonUse, at: DateTime<Utc>) -> String {
    let mut keys: Vec<&str> = pb
        .reasons_at(at)
        .into_iter()
        .filter(
            |(_, v)| matches!(&v.body, AgreementBody::Reason(r) if r.applies_to.contains(&usage)),
        )
        .map(|(k, _)| k)
        .collect();
    keys.sort();
    keys.join(", ")
}

/// The state after an event that `decide` accepted.
pub fn advance(state: Option<Lifecycle>, kind: EventKind, to: &str, at: &str) -> Lifecycle {
    let moved = state.as_ref().is_none_or(|s| s.stage != to);
    let prev = state.unwrap_or(Lifecycle {
        stage: to.to_string(),
        since: at.to_string(),
        last_at: at.to_string(),
        rejected_last: false,
        open_dispute: false,
    });
    Lifecycle {
        stage: to.to_string(),
        since: if moved { at.to_string() } else { prev.since },
        last_at: at.to_string(),
        rejected_last: match kind {
            EventKind::Rejected => true,
            _ if moved => false,
            _ => prev.rejected_last,
        },
        open_dispute: match kind {
            EventKind::Disputed => true,
            EventKind::DisputeUpheld | EventKind::DisputeOverturned => false,
            _ => prev.open_dispute,
        },
    }
}

/// The events `acting` could record now (reasons and channels aside): what the window
/// offers, so it keeps no copy of these rules.
pub fn allowed_actions(
    state: &Lifecycle,
    at: DateTime<Utc>,
    pb: &PlaybookHistory,
    acting: Acting<'_>,
) -> Vec<EventKind> {
    EventKind::ALL
        .into_iter()
        .filter(|k| check_transition(Some(state), *k, at, None, pb, acting).is_ok())
        .collect()
}

/// The stages in force at `at` in which `member` may record `kind` (their side, and their
/// role where the stage keeps it to managers): where their queue's work can be.
pub fn stages_allowing(
    pb: &PlaybookHistory,
    at: DateTime<Utc>,
    kind: EventKind,
    member: &MemberState,
) -> Vec<String> {
    pb.stage_keys()
        .into_iter()
        .filter(|key| {
            matches!(pb.at(AgreementKind::Stage, key, at).map(|v| &v.body),
                Some(AgreementBody::Stage(s)) if s.actions.iter().any(|a| a.event == kind
                    && a.by == member.side
                    && (!a.managers_only || member.role == Role::Manager)))
        })
        .collect()
}

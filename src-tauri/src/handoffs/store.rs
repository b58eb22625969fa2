//! SQL for the handoff log: loading what the fold needs, appending a signed and checked
//! event, and keeping the contact's cached stage (a local projection) in step.
use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::playbook_at::PlaybookHistory;
use super::records::{self, EventRecord};
use super::replay::{replay, Context, Outcome};
use super::rules::{check_transition, decide, Acting, Lifecycle};
use super::{EventKind, EventRequest, EventStatus, HandoffEvent};
use crate::agreements::{AgreementBody, AgreementKind};
use crate::db::{new_id, ts, Conn};
use crate::error::{AppError, AppResult};
use crate::team::records as members;
use crate::team::roster::Roster;
use crate::trust::bulk;
use crate::trust::{keys, Signer};

/// Everything a fold of the log needs besides the events, loaded once per operation.
pub struct Ledger {
    pub pb: PlaybookHistory,
    pub roster: Roster,
    pub valid_bulks: HashSet<String>,
    pub tampered: HashSet<String>,
    /// Who signed each bulk write, and what kind it was (`events_import`, `generated`…).
    pub bulk_signers: std::collections::HashMap<String, (String, String)>,
}

impl Ledger {
    pub async fn load(conn: &mut Conn) -> AppResult<Ledger> {
        let pb = PlaybookHistory::load(&mut *conn).await?;
        let roster = members::roster(&mut *conn).await?;
        let tampered = crate::trust::verify::tampered_ids(&mut *conn).await?;
        let bulks = bulk::all(&mut *conn).await?;
        let bulk_signers = bulks
            .iter()
            .map(|b| (b.id.clone(), (b.signer_id.clone(), b.kind.clone())))
            .collect();
        let valid_bulks = bulks
            .into_iter()
            .filter(|b| !tampered.contains(&b.id))
            .filter(|b| {
                roster
                    .at(&b.signer_id, &b.at)
                    .is_some_and(|m| keys::verify(&m.public_key, &b.hash, &b.signature))
            })
            .map(|b| b.id)
            .collect();
        Ok(Ledger {
            pb,
            roster,
            valid_bulks,
            tampered,
            bulk_signers,
        })
    }

    pub fn context(&self) -> Context<'_> {
        Context {
            pb: &self.pb,
            roster: &self.roster,
            valid_bulks: &self.valid_bulks,
            tampered: &self.tampered,
        }
    }
}

/// The fold of a contact's stored events.
pub async fn lifecycle(
    conn: &mut Conn,
    ledger: &Ledger,
    contact_id: &str,
) -> AppResult<Option<Lifecycle>> {
    let records = records::of_contact(conn, contact_id).await?;
    Ok(replay(&records, &ledger.context()).1)
}

/// Who stands behind a new event: its author's own signature, or a bulk write's (history
/// brought in from another system, naming whoever did it there).
pub enum Author<'a> {
    Signed(&'a Signer),
    Bulk {
        bulk_id: &'a str,
        actor_id: Option<String>,
        external_id: Option<String>,
    },
}

/// Records one event for a contact, refusing what the stage definitions in force at `at`
/// do not allow (for a signed event: what they do not allow this member). An event may be
/// older than the contact's newest (history typed in late, or arriving from another
/// laptop): it is judged by the state at its own time, and the fold is recomputed.
pub async fn record(
    conn: &mut Conn,
    ledger: &Ledger,
    contact_id: &str,
    req: &EventRequest,
    author: Author<'_>,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> AppResult<EventRecord> {
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
    crate::agreements::check_length("note", req.note.trim(), crate::agreements::MAX_TEXT_CHARS)?;
    let at_text = ts(at);
    let (acting, actor_id) = match &author {
        Author::Signed(signer) => {
            let m = ledger
                .roster
                .at(&signer.member_id, &at_text)
                .ok_or_else(|| {
                    AppError::not_allowed(
                        "you were not on the team at that time, so you cannot record it",
                    )
                })?;
            (Acting::As(m), Some(signer.member_id.clone()))
        }
        Author::Bulk { actor_id, .. } => (Acting::Imported, actor_id.clone()),
    };
    let id = new_id();
    let stored = records::of_contact(&mut *conn, contact_id).await?;
    if let Author::Bulk { .. } = author {
        refuse_rewriting_signed_history(ledger, &stored, &at_text)?;
    }
    let before: Vec<EventRecord> = stored
        .iter()
        .filter(|r| (&r.at, &r.id) < (&at_text, &id))
        .cloned()
        .collect();
    let (_, state) = replay(&before, &ledger.context());
    let decision = decide(state.as_ref(), req, at, None, &ledger.pb, acting)?;
    if let (Author::Bulk { .. }, Some(named)) = (&author, &actor_id) {
        // The source names who did it: the stage definitions' rules of side and role
        // apply to them as to anyone recording it here (for history from before they were
        // on Playbook's team, as they were when they joined).
        let m = ledger
            .roster
            .at(named, &at_text)
            .or_else(|| ledger.roster.history(named).iter().find(|s| !s.removed))
            .ok_or_else(|| AppError {
                field: Some("actor".into()),
                ..AppError::not_allowed(format!(
                    "{} is not on the team",
                    ledger.roster.describe(named)
                ))
            })?;
        check_transition(
            state.as_ref(),
            req.kind,
            at,
            None,
            &ledger.pb,
            Acting::As(m),
        )
        .map_err(|e| AppError {
            field: Some("actor".into()),
            ..e
        })?;
    }
    let assignee = match &req.assignee_id {
        Some(a) if req.kind == EventKind::HandedOver => {
            let m = ledger
                .roster
                .at(a, &at_text)
                .ok_or_else(|| AppError::not_found(format!("no team member with id {a}")))?;
            check_assignee(&ledger.pb, &decision.to, at, m)?;
            Some(m.member_id.clone())
        }
        _ => None,
    };
    let (bulk_id, external_id) = match &author {
        Author::Bulk {
            bulk_id,
            external_id,
            ..
        } => (Some(bulk_id.to_string()), external_id.clone()),
        Author::Signed(_) => (None, None),
    };
    let mut record = EventRecord {
        id,
        contact_id: contact_id.to_string(),
        kind: req.kind.as_str().to_string(),
        at: at_text.clone(),
        actor_id: actor_id.clone(),
        assignee_id: assignee.clone(),
        to_stage: decision.to.clone(),
        reason: req
            .reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_string),
        channel: req
            .channel
            .as_deref()
            .map(|c| c.trim().to_lowercase())
            .filter(|c| !c.is_empty()),
        note: req.note.trim().to_string(),
        external_id,
        prev_hash: before.last().and_then(EventRecord::chain_hash),
        hash: None,
        signature: None,
        bulk_id,
    }
    .sealed();
    if let (Author::Signed(signer), Some(hash)) = (&author, &record.hash) {
        record.signature = Some(signer.sign(hash));
    }
    records::insert(
        &mut *conn,
        &record,
        decision.from.as_deref(),
        &decision.playbook,
        &ts(now),
    )
    .await?;
    // Whoever accepts a lead owns it; a handover goes to the assignee.
    let owner = match (req.kind, assignee) {
        (_, Some(a)) => Some(a),
        (EventKind::Accepted, None) => actor_id,
        _ => None,
    };
    if let Some(owner) = owner {
        sqlx::query("UPDATE contacts SET owner_id = ? WHERE id = ?")
            .bind(owner)
            .bind(contact_id)
            .execute(&mut *conn)
            .await?;
    }
    refresh_stage(&mut *conn, ledger, contact_id).await?;
    Ok(record)
}

/// History from another system fills in what happened before Playbook took over: an
/// imported event dated before the contact's latest event signed here by a person would
/// rewrite signed history, and is refused.
fn refuse_rewriting_signed_history(
    ledger: &Ledger,
    stored: &[EventRecord],
    at: &str,
) -> AppResult<()> {
    let latest = stored
        .iter()
        .filter(|r| r.bulk_id.is_none() && r.signature.is_some())
        .max_by(|a, b| (&a.at, &a.id).cmp(&(&b.at, &b.id)));
    match latest {
        Some(signed) if at < signed.at.as_str() => Err(AppError::invalid(
            "at",
            format!(
                "{at} is before {}, when {} recorded '{}' in Playbook; history from another system fills in what happened before Playbook took over, it cannot rewrite signed history",
                signed.at,
                signed
                    .actor_id
                    .as_deref()
                    .and_then(|a| ledger.roster.latest(a))
                    .map_or("a team member", |m| m.name.as_str()),
                signed.kind
            ),
        )),
        _ => Ok(()),
    }
}

/// Who stands behind an event, in words, and the ids and names behind them: its author;
/// for a bulk row, the member who signed the bulk write and the member the source names.
fn attribution(
    ledger: &Ledger,
    r: &EventRecord,
) -> (Option<String>, Option<String>, Option<String>, String) {
    let name = |id: &str| ledger.roster.latest(id).map(|m| m.name.clone());
    let named = r.actor_id.as_deref().and_then(name);
    let Some(bulk) = &r.bulk_id else {
        let by = named.clone().unwrap_or_default();
        return (r.actor_id.clone(), named, None, by);
    };
    let (signer_id, kind) = ledger
        .bulk_signers
        .get(bulk)
        .map_or((None, ""), |(s, k)| (Some(s.clone()), k.as_str()));
    let signer = signer_id.as_deref().and_then(name);
    // The person the row names comes first; where the row came from follows.
    let verb = if kind == "generated" {
        "sample data added by"
    } else {
        "imported from the CRM by"
    };
    let origin = format!(
        "{verb} {}",
        signer.clone().unwrap_or_else(|| "an unknown member".into())
    );
    let by = match &named {
        Some(n) => format!("{n} · {origin}"),
        None => origin,
    };
    (signer_id, signer, named, by)
}

/// One event of a contact's timeline, by id.
pub async fn event(
    conn: &mut Conn,
    ledger: &Ledger,
    contact_id: &str,
    id: &str,
) -> AppResult<HandoffEvent> {
    timeline(conn, ledger, contact_id)
        .await?
        .into_iter()
        .find(|e| e.id == id)
        .ok_or_else(|| AppError::not_found(format!("no event with id {id}")))
}

/// A handover goes to someone who may respond in the stage it leads to.
fn check_assignee(
    pb: &PlaybookHistory,
    to: &str,
    at: DateTime<Utc>,
    m: &crate::team::roster::MemberState,
) -> AppResult<()> {
    let mut responders: Vec<crate::team::Side> =
        match pb.at(AgreementKind::Stage, to, at).map(|v| &v.body) {
            Some(AgreementBody::Stage(s)) => s.actions.iter().map(|a| a.by).collect(),
            _ => vec![],
        };
    responders.sort_by_key(|s| s.as_str());
    responders.dedup();
    if responders.contains(&m.side) {
        Ok(())
    } else {
        Err(AppError::invalid(
            "assignee",
            format!(
                "assignee: {} is in {}; in {to} only {} respond",
                m.name,
                m.side.as_str(),
                responders
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
        ))
    }
}

/// Recomputes the contact's cached stage from its log (never touching `updated_at`: a
/// cache refresh is not a user's edit); with no event that applies, the first stage since
/// the contact was created.
pub async fn refresh_stage(conn: &mut Conn, ledger: &Ledger, contact_id: &str) -> AppResult<()> {
    let state = lifecycle(&mut *conn, ledger, contact_id).await?;
    let created: Option<String> =
        sqlx::query_scalar("SELECT created_at FROM contacts WHERE id = ?")
            .bind(contact_id)
            .fetch_optional(&mut *conn)
            .await?;
    let Some(created) = created else {
        return Ok(());
    };
    if let Some((stage, since)) = crate::leads::rebuild::expected(state, &ledger.pb, &created) {
        sqlx::query("UPDATE contacts SET stage = ?, stage_since = ? WHERE id = ? AND (stage <> ? OR stage_since <> ?)")
            .bind(&stage)
            .bind(&since)
            .bind(contact_id)
            .bind(&stage)
            .bind(&since)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// A contact's events, newest first, as the fold saw them, with actor and reason names.
pub async fn timeline(
    conn: &mut Conn,
    ledger: &Ledger,
    contact_id: &str,
) -> AppResult<Vec<HandoffEvent>> {
    let stored = records::of_contact(conn, contact_id).await?;
    let (outcomes, _) = replay(&stored, &ledger.context());
    let now = Utc::now();
    let mut events: Vec<HandoffEvent> = stored
        .into_iter()
        .zip(outcomes)
        .map(|(r, outcome)| {
            let (from, to, playbook, status, problem) = match outcome {
                Outcome::Applied(d) => (d.from, d.to, d.playbook, EventStatus::Applied, None),
                Outcome::Skipped(why) => (
                    None,
                    r.to_stage.clone(),
                    String::new(),
                    EventStatus::Skipped,
                    Some(why),
                ),
                Outcome::Tampered(why) => (
                    None,
                    r.to_stage.clone(),
                    String::new(),
                    EventStatus::Tampered,
                    Some(why),
                ),
            };
            let reason_name = r.reason.as_deref().and_then(|key| {
                ledger
                    .pb
                    .at(AgreementKind::Reason, key, now)
                    .map(|v| v.name.clone())
            });
            let (actor_id, actor_name, source_actor_name, by) = attribution(ledger, &r);
            HandoffEvent {
                actor_name,
                source_actor_name,
                by,
                id: r.id,
                contact_id: r.contact_id,
                kind: r.kind,
                at: r.at,
                actor_id,
                from_stage: from,
                to_stage: to,
                reason: r.reason,
                reason_name,
                channel: r.channel,
                note: r.note,
                playbook,
                status,
                problem,
            }
        })
        .collect();
    events.sort_by(|a, b| (&b.at, &b.id).cmp(&(&a.at, &a.id)));
    Ok(events)
}

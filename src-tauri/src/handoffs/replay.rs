//! The fold of a contact's log: every event checked (hash, signature or bulk record, chain)
//! and replayed in (time, id) order through the stage definitions in force at its time. A
//! pure function, so any replica holding the same records reaches the same stage, whatever
//! order they arrived in.
use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::playbook_at::PlaybookHistory;
use super::records::EventRecord;
use super::rules::{advance, decide, Acting, Decision, Lifecycle};
use super::{EventKind, EventRequest};
use crate::db::parse_ts;
use crate::team::roster::Roster;
use crate::trust::{keys, Problem};

/// What the fold needs besides the events.
pub struct Context<'a> {
    pub pb: &'a PlaybookHistory,
    pub roster: &'a Roster,
    /// Bulk records whose signature verifies and that `playbook verify` has not flagged.
    pub valid_bulks: &'a HashSet<String>,
    /// Records flagged by `playbook verify`.
    pub tampered: &'a HashSet<String>,
}

/// What became of one event in the fold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Applied(Decision),
    /// Genuine, but not allowed where the contact stood at its time (say, two laptops
    /// both accepted the same lead offline: the later one is skipped).
    Skipped(String),
    /// Its hash, signature or chain does not verify: ignored.
    Tampered(String),
}

/// Why an event does not verify, if it does not.
pub fn event_problem(
    r: &EventRecord,
    ctx: &Context<'_>,
    chain: &HashSet<String>,
) -> Option<Problem> {
    let problem = (|| {
        let Some(stored) = &r.chain_hash() else {
            return Some(Problem::tampered("it is not signed"));
        };
        if r.computed_hash() != *stored {
            return Some(Problem::tampered(
                "its content does not match what was signed",
            ));
        }
        match &r.prev_hash {
            Some(prev) if !chain.contains(prev) => {
                return Some(Problem::tampered(
                    "the event before it in the contact's chain is missing",
                ))
            }
            None if r.kind != EventKind::Created.as_str() => {
                return Some(Problem::tampered(
                    "it is not chained to the contact's earlier events",
                ))
            }
            _ => {}
        }
        if let Some(bulk) = &r.bulk_id {
            return (!ctx.valid_bulks.contains(bulk))
                .then(|| Problem::tampered("the bulk write that signed it does not verify"));
        }
        let (Some(actor), Some(signature)) = (&r.actor_id, &r.signature) else {
            return Some(Problem::tampered("it is not signed"));
        };
        let Some(state) = ctx.roster.at(actor, &r.at) else {
            return Some(ctx.roster.off_team(actor, &r.at, stored, signature));
        };
        if !keys::verify(&state.public_key, stored, signature) {
            return Some(Problem::tampered(format!(
                "{}'s signature does not verify",
                state.email
            )));
        }
        None
    })();
    problem.or_else(|| {
        ctx.tampered
            .contains(&r.id)
            .then(|| Problem::tampered("found tampered by `playbook verify`"))
    })
}

/// Replays a contact's events; returns each one's outcome (in the order given) and the
/// lifecycle after the last applied one.
pub fn replay(records: &[EventRecord], ctx: &Context<'_>) -> (Vec<Outcome>, Option<Lifecycle>) {
    let chain: HashSet<String> = records.iter().filter_map(EventRecord::chain_hash).collect();
    let mut order: Vec<usize> = (0..records.len()).collect();
    order.sort_by(|&a, &b| (&records[a].at, &records[a].id).cmp(&(&records[b].at, &records[b].id)));
    let mut outcomes: Vec<Option<Outcome>> = vec![None; records.len()];
    let mut state: Option<Lifecycle> = None;
    for i in order {
        let r = &records[i];
        outcomes[i] = Some(match apply(r, ctx, &chain, state.as_ref()) {
            Ok((kind, d)) => {
                state = Some(advance(state.take(), kind, &d.to, &r.at));
                Outcome::Applied(d)
            }
            Err(outcome) => outcome,
        });
    }
    (outcomes.into_iter().flatten().collect(), state)
}

fn apply(
    r: &EventRecord,
    ctx: &Context<'_>,
    chain: &HashSet<String>,
    state: Option<&Lifecycle>,
) -> Result<(EventKind, Decision), Outcome> {
    if let Some(problem) = event_problem(r, ctx, chain) {
        return Err(Outcome::Tampered(problem.text));
    }
    let skip = |why: String| Outcome::Skipped(why);
    let kind =
        EventKind::parse(&r.kind).ok_or_else(|| skip(format!("unknown event '{}'", r.kind)))?;
    let at: DateTime<Utc> = parse_ts("at", &r.at).map_err(|e| skip(e.message))?;
    let acting = match (&r.bulk_id, &r.actor_id) {
        (Some(_), _) => Acting::Imported,
        (None, Some(actor)) => match ctx.roster.at(actor, &r.at) {
            Some(m) => Acting::As(m),
            None => {
                return Err(skip(format!(
                    "{} was not on the team then",
                    ctx.roster.describe(actor)
                )))
            }
        },
        (None, None) => return Err(skip("nobody recorded it".into())),
    };
    let req = EventRequest {
        kind,
        reason: r.reason.clone(),
        channel: r.channel.clone(),
        note: r.note.clone(),
        assignee_id: r.assignee_id.clone(),
    };
    let entry = (kind == EventKind::Created).then_some(r.to_stage.as_str());
    decide(state, &req, at, entry, ctx.pb, acting)
        .map(|d| (kind, d))
        .map_err(|e| skip(e.message))
}

//! From one contact's applied events to its SLA items: a pure function of the events, the
//! SLAs and calendars in force, and nothing else (the instant they are judged at comes
//! later, in `Item::status`). Each item is judged by the SLA version in force at the event
//! that starts it, and counts in the calendar that version names, in force then.
//!
//! What starts, ends and judges an item, per rule:
//! - `response_time`, `first_touch`: each `start` event starts one; the first later `done`
//!   event fulfils it. It lapses (breached if already late, else not counted) when the
//!   contact leaves the stage the `start` event put it in, or the `start` event recurs.
//! - `max_time_in_stage`: each entry into the stage starts one; leaving it fulfils it.
//! - `attempts_before_recycle`: each `ending` event after a `counting_from` event is
//!   judged on the spot: met with at least the agreed number of attempts since then.
//! - `reason_required`: each listed event is judged on the spot: met with an agreed reason
//!   (and a note, when the SLA asks for one).
//! - `volume` and `conversion_rate` are judged per period, from the marks made here.
use super::terms::Terms;
use super::{Fact, Item, Outcome};
use crate::agreements::sla_model::SlaRule;
use crate::handoffs::EventKind;

/// An event a period rule counts: `volume` counts them, `conversion_rate` counts the ones
/// reached (when `reached` is set) among them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    pub sla: u16,
    pub kind: EventKind,
    pub at: i64,
    pub reached: Option<i64>,
}

/// The items and marks of one contact. `stage_index` finds a stage key among the fold's
/// stages; `owner` is the contact's current owner, answerable when the log names nobody.
pub fn contact(
    terms: &Terms,
    stage_index: &dyn Fn(&str) -> Option<u16>,
    contact: u32,
    facts: &[Fact],
    owner: Option<u16>,
) -> (Vec<Item>, Vec<Mark>) {
    let mut items = Vec::new();
    let mut marks = Vec::new();
    // Who answers for the contact after each event: a handover's assignee, the acceptor.
    let mut answerable = Vec::with_capacity(facts.len());
    let mut current: Option<u16> = None;
    for f in facts {
        match f.kind {
            EventKind::HandedOver if f.assignee.is_some() => current = f.assignee,
            EventKind::Accepted => current = f.actor.or(current),
            _ => {}
        }
        answerable.push(current.or(owner));
    }
    for s in 0..terms.slas.len() {
        for (i, f) in facts.iter().enumerate() {
            let version = terms.version_at(s, f.at);
            let body = &version.body;
            let item = |start: i64, deadline: Option<i64>, end: Option<i64>, outcome, owner| Item {
                sla: s as u16,
                version: version.number,
                side: body.owner,
                contact,
                owner,
                start,
                deadline,
                end,
                outcome,
            };
            match &body.rule {
                SlaRule::ResponseTime {
                    start,
                    done,
                    within,
                }
                | SlaRule::FirstTouch {
                    start,
                    done,
                    within,
                } if f.kind == *start => {
                    let Some(cal) = terms.calendar_at(&body.calendar, f.at) else {
                        continue;
                    };
                    let deadline = cal.deadline_ms(f.at, within.ms(cal));
                    let mut end = None;
                    for g in &facts[i + 1..] {
                        if done.contains(&g.kind) {
                            end = Some((g.at, Outcome::Done, g.actor));
                            break;
                        }
                        if g.kind == *start || g.stage != f.stage {
                            end = Some((g.at, Outcome::Lapsed, None));
                            break;
                        }
                    }
                    let (end_at, outcome, by) = match end {
                        Some((at, o, by)) => (Some(at), o, by),
                        None => (None, Outcome::Open, None),
                    };
                    let who = by.or(f.assignee).or(answerable[i]);
                    items.push(item(f.at, Some(deadline), end_at, outcome, who));
                }
                // Entries first: a stage lookup for every event would dominate.
                SlaRule::MaxTimeInStage { stage, within }
                    if (i == 0 || facts[i - 1].stage != f.stage)
                        && stage_index(stage) == Some(f.stage) =>
                {
                    let Some(cal) = terms.calendar_at(&body.calendar, f.at) else {
                        continue;
                    };
                    let deadline = cal.deadline_ms(f.at, within.ms(cal));
                    let left = facts[i + 1..].iter().find(|g| g.stage != f.stage);
                    let (end, outcome) = match left {
                        Some(g) => (Some(g.at), Outcome::Done),
                        None => (None, Outcome::Open),
                    };
                    items.push(item(f.at, Some(deadline), end, outcome, answerable[i]));
                }
                SlaRule::AttemptsBeforeRecycle {
                    counting_from,
                    attempt,
                    ending,
                    at_least,
                } if ending.contains(&f.kind) => {
                    let mut attempts = 0;
                    let mut counted = false;
                    for g in facts[..i].iter().rev() {
                        if ending.contains(&g.kind) {
                            break;
                        }
                        if g.kind == *attempt {
                            attempts += 1;
                        }
                        if g.kind == *counting_from {
                            counted = true;
                            break;
                        }
                    }
                    if counted {
                        // The rep who worked the lead answers for it, not whoever recycled it.
                        let met = attempts >= *at_least;
                        let who = answerable[i].or(f.actor);
                        items.push(item(f.at, None, Some(f.at), Outcome::Judged(met), who));
                    }
                }
                SlaRule::ReasonRequired {
                    events,
                    note_required,
                } if events.contains(&f.kind) => {
                    let met = f.reason && (!note_required || f.note);
                    items.push(item(f.at, None, Some(f.at), Outcome::Judged(met), f.actor));
                }
                SlaRule::Volume { event, .. } if f.kind == *event => marks.push(Mark {
                    sla: s as u16,
                    kind: f.kind,
                    at: f.at,
                    reached: None,
                }),
                SlaRule::ConversionRate {
                    start,
                    reached,
                    reached_stage,
                    ..
                } if f.kind == *start => {
                    let goal = reached_stage.as_deref().and_then(stage_index);
                    let mut hit = None;
                    for g in &facts[i + 1..] {
                        if reached.contains(&g.kind) || (goal == Some(g.stage) && goal.is_some()) {
                            hit = Some(g.at);
                            break;
                        }
                        if g.kind == *start {
                            break;
                        }
                    }
                    marks.push(Mark {
                        sla: s as u16,
                        kind: f.kind,
                        at: f.at,
                        reached: hit,
                    });
                }
                _ => {}
            }
        }
    }
    (items, marks)
}

//! The handoff fold for SLAs, compiled: the stage definitions and reasons in force are
//! turned into lookup tables once, and each contact's events are replayed through them with
//! the same rules as `handoffs::replay` (a test checks the two agree event by event), but
//! without allocating per event, so a million events fold in a fraction of a second.
//! Signatures are taken as checked when each event was written or received; events that
//! `playbook verify` found tampered are ignored, as by every fold.
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::Fact;
use crate::agreements::{AgreementBody, AgreementItem, AgreementKind, ReasonUse};
use crate::handoffs::rules::reason_use;
use crate::handoffs::EventKind;
use crate::team::roster::Roster;
use crate::team::{Role, Side};

/// One stored event, as read for the fold: people, stages and reasons by index.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawEvent {
    /// The id as a number that orders as its text (see `load::id_number`).
    pub id: u128,
    pub kind: Option<EventKind>,
    /// Milliseconds since the epoch (`i64::MAX` when unreadable).
    pub at: i64,
    pub actor: Option<u16>,
    pub assignee: Option<u16>,
    /// For `created`: the stage the contact entered (`u16::MAX`: no agreed stage).
    pub to_stage: Option<u16>,
    /// The reason key (`u16::MAX`: no agreed reason).
    pub reason: Option<u16>,
    /// For attempts: whether the channel is one of the known ones.
    pub channel_ok: bool,
    pub note: bool,
    /// Written by a bulk record (an import or a generated workspace).
    pub bulk: bool,
}

#[derive(Debug, Clone, Copy)]
struct Act {
    to: Option<u16>,
    by: Side,
    managers_only: bool,
}

type Actions = [Option<Act>; EventKind::ALL.len()];

/// The stage definitions and reasons of every agreed version, by effective time.
pub struct Machine {
    stage_index: HashMap<String, u16>,
    pub stages: Vec<String>,
    /// Per stage: (effective ms, what it allows), oldest first.
    stage_versions: Vec<Vec<(i64, Actions)>>,
    reason_index: HashMap<String, u16>,
    /// Per reason: (effective ms, uses it applies to), oldest first.
    reasons: Vec<Vec<(i64, Vec<ReasonUse>)>>,
}

fn kind_index(k: EventKind) -> usize {
    EventKind::ALL
        .iter()
        .position(|x| *x == k)
        .expect("every kind is listed")
}

/// Agreed versions of an item, by (effective time, written, id): the order of
/// `PlaybookHistory`.
pub fn agreed(item: &AgreementItem) -> Vec<(i64, &crate::agreements::AgreementVersion)> {
    let mut list: Vec<_> = item
        .versions
        .iter()
        .filter_map(|v| {
            v.effective_at
                .as_deref()
                .and_then(super::load::millis)
                .map(|at| (at, v))
        })
        .collect();
    list.sort_by(|a, b| (a.0, &a.1.created_at, &a.1.id).cmp(&(b.0, &b.1.created_at, &b.1.id)));
    list
}

impl Machine {
    pub fn new(items: &[AgreementItem]) -> Machine {
        let mut m = Machine {
            stage_index: HashMap::default(),
            stages: vec![],
            stage_versions: vec![],
            reason_index: HashMap::default(),
            reasons: vec![],
        };
        for item in items.iter().filter(|i| i.kind == AgreementKind::Stage) {
            let list = agreed(item);
            if !list.is_empty() {
                m.intern(&item.key);
            }
        }
        for item in items {
            let list = agreed(item);
            if list.is_empty() {
                continue;
            }
            match item.kind {
                AgreementKind::Stage => {
                    let idx = m.intern(&item.key) as usize;
                    let versions = list
                        .iter()
                        .map(|(at, v)| {
                            let mut actions: Actions = [None; EventKind::ALL.len()];
                            if let AgreementBody::Stage(s) = &v.body {
                                for a in &s.actions {
                                    actions[kind_index(a.event)] = Some(Act {
                                        // A target that is no agreed stage refuses the
                                        // event, as `check_transition` does.
                                        to: a.to.as_ref().map(|t| m.index(t).unwrap_or(u16::MAX)),
                                        by: a.by,
                                        managers_only: a.managers_only,
                                    });
                                }
                            }
                            (*at, actions)
                        })
                        .collect();
                    m.stage_versions[idx] = versions;
                }
                AgreementKind::Reason => {
                    let versions = list
                        .iter()
                        .map(|(at, v)| match &v.body {
                            AgreementBody::Reason(r) => (*at, r.applies_to.clone()),
                            _ => (*at, vec![]),
                        })
                        .collect();
                    m.reason_index
                        .insert(item.key.clone(), m.reasons.len() as u16);
                    m.reasons.push(versions);
                }
                _ => {}
            }
        }
        m
    }

    fn intern(&mut self, key: &str) -> u16 {
        if let Some(i) = self.stage_index.get(key) {
            return *i;
        }
        let i = self.stages.len() as u16;
        self.stage_index.insert(key.to_string(), i);
        self.stages.push(key.to_string());
        self.stage_versions.push(vec![]);
        i
    }

    pub fn index(&self, key: &str) -> Option<u16> {
        self.stage_index.get(key).copied()
    }

    /// What the stage allows at `at`; before anything was agreed, its first version.
    fn actions(&self, stage: u16, at: i64) -> Option<&Actions> {
        let list = self.stage_versions.get(stage as usize)?;
        if list.is_empty() {
            return None;
        }
        let i = list.partition_point(|(eff, _)| *eff <= at);
        Some(&list[i.saturating_sub(1)].1)
    }

    pub fn reason_index(&self, key: &str) -> Option<u16> {
        self.reason_index.get(key).copied()
    }

    fn reason_agreed(&self, reason: u16, usage: ReasonUse, at: i64) -> bool {
        let Some(list) = self.reasons.get(reason as usize) else {
            return false;
        };
        let i = list.partition_point(|(eff, _)| *eff <= at);
        list[i.saturating_sub(1)].1.contains(&usage)
    }
}

/// The members named by events, interned.
#[derive(Default)]
pub struct People {
    pub index: HashMap<String, u16>,
    pub ids: Vec<String>,
}

impl People {
    pub fn intern(&mut self, id: &str) -> u16 {
        if let Some(i) = self.index.get(id) {
            return *i;
        }
        let i = self.ids.len() as u16;
        self.index.insert(id.to_string(), i);
        self.ids.push(id.to_string());
        i
    }
}

struct State {
    stage: u16,
    rejected_last: bool,
    open_dispute: bool,
}

/// Replays one contact's events (any order given) and returns the applied ones as facts,
/// in (time, id) order.
pub fn fold(
    events: &mut [RawEvent],
    machine: &Machine,
    roster: &Roster,
    people: &People,
    tampered: &HashSet<u128>,
) -> Vec<Fact> {
    events.sort_by_key(|e| (e.at, e.id));
    let mut state: Option<State> = None;
    let mut out = Vec::new();
    for e in events.iter() {
        if tampered.contains(&e.id) || e.at == i64::MAX {
            continue;
        }
        let Some(kind) = e.kind else { continue };
        let acting = match (e.bulk, e.actor) {
            (true, _) => None,
            (false, Some(actor)) => {
                match roster.at(&people.ids[actor as usize], &crate::db::ts(ms_time(e.at))) {
                    Some(m) => Some((m.side, m.role)),
                    None => continue,
                }
            }
            (false, None) => continue,
        };
        let to = match &state {
            None => {
                if kind != EventKind::Created {
                    continue;
                }
                match e.to_stage {
                    Some(s) if machine.actions(s, e.at).is_some() => s,
                    _ => continue,
                }
            }
            Some(st) => {
                let Some(actions) = machine.actions(st.stage, e.at) else {
                    continue;
                };
                if kind == EventKind::Created {
                    continue;
                }
                let Some(act) = actions[kind_index(kind)] else {
                    continue;
                };
                let refused_dispute = match kind {
                    EventKind::Disputed => !st.rejected_last || st.open_dispute,
                    EventKind::DisputeUpheld | EventKind::DisputeOverturned => !st.open_dispute,
                    _ => false,
                };
                if refused_dispute {
                    continue;
                }
                if let Some((side, role)) = acting {
                    if side != act.by || (act.managers_only && role != Role::Manager) {
                        continue;
                    }
                }
                match act.to {
                    None => st.stage,
                    Some(t) if machine.actions(t, e.at).is_some() => t,
                    Some(_) => continue,
                }
            }
        };
        let reason_ok = match (reason_use(kind), e.reason) {
            (Some(usage), Some(key)) => machine.reason_agreed(key, usage, e.at),
            (Some(_), None) => false,
            (None, Some(_)) => false,
            (None, None) => true,
        };
        if !reason_ok || (kind == EventKind::Attempt && !e.channel_ok) {
            continue;
        }
        let moved = state.as_ref().is_none_or(|s| s.stage != to);
        let prev = state.take();
        state = Some(State {
            stage: to,
            rejected_last: match kind {
                EventKind::Rejected => true,
                _ if moved => false,
                _ => prev.as_ref().is_some_and(|p| p.rejected_last),
            },
            open_dispute: match kind {
                EventKind::Disputed => true,
                EventKind::DisputeUpheld | EventKind::DisputeOverturned => false,
                _ => prev.as_ref().is_some_and(|p| p.open_dispute),
            },
        });
        out.push(Fact {
            kind,
            at: e.at,
            stage: to,
            actor: e.actor,
            assignee: e.assignee,
            reason: e.reason.is_some(),
            note: e.note,
        });
    }
    out
}

pub fn ms_time(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC)
}

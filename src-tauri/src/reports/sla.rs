//! The SLAs over a period, for the meeting's agenda and the home screen: per side and per
//! SLA, the items that started in the period judged as of its end (or now, if sooner), beside
//! the period before, and the newest breaches as examples. The items themselves come from
//! the SLA area (`slas`), judged by the version and calendar in force when each started.
use serde::{Deserialize, Serialize};
use specta::Type;

use super::period::{Period, Span};
use crate::agreements::sla_model::SlaKind;
use crate::db::Conn;
use crate::error::AppResult;
use crate::slas::cache::State;
use crate::slas::ops::SlaCache;
use crate::slas::report::{judged, periods, Counts, Window};
use crate::slas::{iso, ItemStatus};
use crate::team::Side;

/// How many breaches an agenda item shows as examples.
const EXAMPLES: usize = 8;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct SlaPeriodReport {
    pub period: Period,
    /// Marketing's and sales's commitments, in that order.
    pub sides: Vec<SideSla>,
    /// Each SLA in force, with items in either period.
    pub slas: Vec<SlaLine>,
    /// The newest breaches of the period, up to a handful.
    pub breaches: Vec<SlaBreach>,
    pub breach_count: u32,
}

/// Met, breached and pending items, and compliance = met / (met + breached) in percent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct SlaCounts {
    pub met: u32,
    pub breached: u32,
    pub pending: u32,
    pub compliance: Option<f64>,
}

impl From<Counts> for SlaCounts {
    fn from(c: Counts) -> SlaCounts {
        SlaCounts {
            met: c.met,
            breached: c.breached,
            pending: c.pending,
            compliance: super::rate(c.met, c.met + c.breached),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct SideSla {
    pub side: Side,
    pub now: SlaCounts,
    pub before: SlaCounts,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct SlaLine {
    pub key: String,
    pub name: String,
    pub owner_side: Side,
    /// The target in words, as in force at the period's end ("within 8 business hours").
    pub target: String,
    pub now: SlaCounts,
    pub before: SlaCounts,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct SlaBreach {
    pub sla_name: String,
    pub owner_side: Side,
    pub contact_id: String,
    pub contact_name: String,
    pub owner_name: Option<String>,
    pub started_at: String,
    pub deadline: Option<String>,
}

/// Counts of one window: per SLA and per side, and the breached items (newest first).
struct Tally<'a> {
    per_sla: Vec<Counts>,
    sides: [Counts; 2],
    breached: Vec<&'a crate::slas::Item>,
}

fn side_index(side: Side) -> usize {
    match side {
        Side::Marketing => 0,
        Side::Sales => 1,
    }
}

fn tally<'a>(state: &'a State, w: &'a Window) -> Tally<'a> {
    let t = &state.terms;
    let mut out = Tally {
        per_sla: vec![Counts::default(); t.slas.len()],
        sides: [Counts::default(); 2],
        breached: vec![],
    };
    for (item, status) in judged(state, w) {
        out.per_sla[item.sla as usize].add(status);
        out.sides[side_index(item.side)].add(status);
        if status == ItemStatus::Breached {
            out.breached.push(item);
        }
    }
    // Volume and conversion are judged per week, month or quarter, not per contact.
    for s in 0..t.slas.len() {
        let kind = t.version_at(s, w.as_of).body.rule.kind();
        if !matches!(kind, SlaKind::Volume | SlaKind::ConversionRate) {
            continue;
        }
        for p in periods(t, s, &state.marks_of(s), w) {
            out.per_sla[s].add(p.status);
            out.sides[side_index(t.version_at(s, p.start).body.owner)].add(p.status);
        }
    }
    out.breached
        .sort_by_key(|i| std::cmp::Reverse((i.start, i.contact)));
    out
}

fn window(span: Span, now: i64) -> Window {
    Window {
        from: span.start,
        to: span.end,
        as_of: span.end.min(now),
    }
}

/// The SLAs of `now_span` against `before_span`, as of `now` (ms); None when the playbook
/// has no SLA or nothing in either period is judged or pending. Contact and member names
/// are filled in by [`for_period`].
pub fn summarize(
    state: &State,
    period: &Period,
    now_span: Span,
    before_span: Span,
    now: i64,
) -> Option<SlaPeriodReport> {
    let t = &state.terms;
    if t.slas.is_empty() {
        return None;
    }
    let (w_now, w_before) = (window(now_span, now), window(before_span, now));
    let (cur, prev) = (tally(state, &w_now), tally(state, &w_before));
    if cur.sides.iter().chain(&prev.sides).all(|c| c.total() == 0) {
        return None;
    }
    let slas = t
        .slas
        .iter()
        .enumerate()
        .filter(|(s, _)| cur.per_sla[*s].total() + prev.per_sla[*s].total() > 0)
        .map(|(s, sla)| {
            let v = t.version_at(s, w_now.as_of);
            SlaLine {
                key: sla.key.clone(),
                name: v.name.clone(),
                owner_side: v.body.owner,
                target: v.body.rule.target(),
                now: cur.per_sla[s].into(),
                before: prev.per_sla[s].into(),
            }
        })
        .collect();
    let breaches = cur
        .breached
        .iter()
        .take(EXAMPLES)
        .map(|i| SlaBreach {
            sla_name: t.version_at(i.sla as usize, i.start).name.clone(),
            owner_side: i.side,
            contact_id: state.contacts[i.contact as usize].id.clone(),
            contact_name: String::new(),
            // A member id until `for_period` names them.
            owner_name: i.owner.map(|o| state.people[o as usize].clone()),
            started_at: iso(i.start),
            deadline: i.deadline.map(iso),
        })
        .collect();
    Some(SlaPeriodReport {
        period: period.clone(),
        sides: Side::ALL
            .into_iter()
            .map(|side| SideSla {
                side,
                now: cur.sides[side_index(side)].into(),
                before: prev.sides[side_index(side)].into(),
            })
            .collect(),
        slas,
        breaches,
        breach_count: cur.breached.len() as u32,
    })
}

/// The SLAs of `period` against `before` from the window's SLA state (brought up to date
/// first), with the breaches' contacts and owners named.
pub async fn for_period(
    conn: &mut Conn,
    cache: &SlaCache,
    period: &Period,
    spans: (Span, Span),
) -> AppResult<Option<SlaPeriodReport>> {
    let now = chrono::Utc::now().timestamp_millis();
    let report = cache
        .with(&mut *conn, |state| {
            summarize(state, period, spans.0, spans.1, now)
        })
        .await?;
    let Some(mut report) = report else {
        return Ok(None);
    };
    let ids = report
        .breaches
        .iter()
        .map(|b| b.contact_id.clone())
        .collect();
    let (members, contacts) = crate::slas::ops::names(&mut *conn, ids).await?;
    for b in &mut report.breaches {
        b.contact_name = contacts.get(&b.contact_id).cloned().unwrap_or_default();
        b.owner_name = b.owner_name.as_ref().map(|id| {
            members
                .get(id)
                .map_or_else(|| "a former member".into(), |m| m.name.clone())
        });
    }
    Ok(Some(report))
}

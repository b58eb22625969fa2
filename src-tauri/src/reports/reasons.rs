//! Why leads came back: the period's rejections and recycles by agreed reason, most
//! frequent first with the running share (a Pareto), broken down by source channel and by
//! the member who recorded them, each reason with recent example contacts. A pure function
//! of the steps; a reason is named as the version in force at the period's end names it.
use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use specta::Type;

use super::period::{Period, Span};
use super::stages::StageBook;
use super::steps::Step;
use crate::handoffs::EventKind;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ReasonsReport {
    pub period: Period,
    /// Rejections and recycles in the period.
    pub total: u32,
    pub reasons: Vec<ReasonRow>,
    pub by_source: Vec<ReasonGroup>,
    pub by_owner: Vec<ReasonGroup>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ReasonRow {
    pub key: String,
    pub name: String,
    pub count: u32,
    pub rejected: u32,
    pub recycled: u32,
    /// Of all rejections and recycles, in percent; and the running total down the list.
    pub share: f64,
    pub cumulative_share: f64,
    /// The most recent ones (up to three).
    pub examples: Vec<ReasonExample>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ReasonExample {
    pub contact_id: String,
    pub contact_name: String,
    pub account_name: Option<String>,
    pub kind: EventKind,
    pub at: String,
    pub by_name: Option<String>,
    pub note: String,
}

/// One source channel's (or one member's) rejections and recycles, by reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ReasonGroup {
    pub label: String,
    /// The member, for the by-owner breakdown.
    pub member_id: Option<String>,
    pub total: u32,
    /// (reason key, count), most frequent first.
    pub reasons: Vec<ReasonCount>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ReasonCount {
    pub key: String,
    pub count: u32,
}

/// What the report shows of a contact.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactInfo {
    pub name: String,
    pub account_name: Option<String>,
    pub channel: String,
}

pub const EXAMPLES: usize = 3;

fn percent(part: u32, whole: u32) -> f64 {
    if whole == 0 {
        0.0
    } else {
        (f64::from(part) * 1000.0 / f64::from(whole)).round() / 10.0
    }
}

/// Whether a step is a rejection or a recycle with a reason, in the span.
pub fn counts(step: &Step, span: Span) -> bool {
    matches!(step.kind, EventKind::Rejected | EventKind::Recycled)
        && step.reason.is_some()
        && step.at >= span.start
        && step.at < span.end
}

/// The Pareto of `steps`; `members` names the team. Examples' notes are left empty for the
/// caller to fill from the log.
pub fn reasons(
    steps: &[Step],
    book: &StageBook<'_>,
    contacts: &HashMap<String, ContactInfo>,
    members: &HashMap<String, String>,
    period: &Period,
    span: Span,
) -> ReasonsReport {
    let mut rows: BTreeMap<&str, (u32, u32, Vec<&Step>)> = BTreeMap::new();
    let mut sources: BTreeMap<String, BTreeMap<&str, u32>> = BTreeMap::new();
    let mut owners: BTreeMap<Option<&str>, BTreeMap<&str, u32>> = BTreeMap::new();
    let mut total = 0;
    for step in steps.iter().filter(|s| counts(s, span)) {
        let reason = step.reason.as_deref().unwrap_or_default();
        total += 1;
        let row = rows.entry(reason).or_default();
        if step.kind == EventKind::Rejected {
            row.0 += 1;
        } else {
            row.1 += 1;
        }
        row.2.push(step);
        let channel = contacts
            .get(&step.contact_id)
            .map(|c| c.channel.clone())
            .filter(|c| !c.trim().is_empty())
            .unwrap_or_else(|| "(none)".into());
        *sources
            .entry(channel)
            .or_default()
            .entry(reason)
            .or_default() += 1;
        *owners
            .entry(step.actor_id.as_deref())
            .or_default()
            .entry(reason)
            .or_default() += 1;
    }
    let mut reasons: Vec<ReasonRow> = rows
        .into_iter()
        .map(|(key, (rejected, recycled, mut list))| {
            list.sort_by(|a, b| (b.at, &b.contact_id).cmp(&(a.at, &a.contact_id)));
            let last_at = list.first().map_or(span.end - 1, |s| s.at);
            ReasonRow {
                key: key.to_string(),
                name: book
                    .reason_name(key, span.end - 1)
                    .or_else(|| book.reason_name(key, last_at))
                    .unwrap_or_else(|| key.to_string()),
                count: rejected + recycled,
                rejected,
                recycled,
                share: percent(rejected + recycled, total),
                cumulative_share: 0.0,
                examples: list
                    .into_iter()
                    .take(EXAMPLES)
                    .map(|s| {
                        let c = contacts.get(&s.contact_id).cloned().unwrap_or_default();
                        ReasonExample {
                            contact_id: s.contact_id.clone(),
                            contact_name: c.name,
                            account_name: c.account_name,
                            kind: s.kind,
                            at: super::time_text(s.at),
                            by_name: s.actor_id.as_ref().and_then(|a| members.get(a).cloned()),
                            note: String::new(),
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    reasons.sort_by(|a, b| b.count.cmp(&a.count).then(a.key.cmp(&b.key)));
    let mut running = 0;
    for r in &mut reasons {
        running += r.count;
        r.cumulative_share = percent(running, total);
    }
    let group = |label: String, member_id: Option<String>, counts: BTreeMap<&str, u32>| {
        let mut reasons: Vec<ReasonCount> = counts
            .into_iter()
            .map(|(key, count)| ReasonCount {
                key: key.to_string(),
                count,
            })
            .collect();
        reasons.sort_by(|a, b| b.count.cmp(&a.count).then(a.key.cmp(&b.key)));
        ReasonGroup {
            label,
            member_id,
            total: reasons.iter().map(|r| r.count).sum(),
            reasons,
        }
    };
    let mut by_source: Vec<ReasonGroup> = sources
        .into_iter()
        .map(|(channel, counts)| {
            let label = if channel.trim().is_empty() {
                "(none)".to_string()
            } else {
                crate::labels::humanize(&channel)
            };
            group(label, None, counts)
        })
        .collect();
    by_source.sort_by(|a, b| b.total.cmp(&a.total).then(a.label.cmp(&b.label)));
    let mut by_owner: Vec<ReasonGroup> = owners
        .into_iter()
        .map(|(id, counts)| {
            let label = id
                .and_then(|i| members.get(i).cloned())
                .unwrap_or_else(|| "(not recorded)".into());
            group(label, id.map(str::to_string), counts)
        })
        .collect();
    by_owner.sort_by(|a, b| b.total.cmp(&a.total).then(a.label.cmp(&b.label)));
    ReasonsReport {
        period: period.clone(),
        total,
        reasons,
        by_source,
        by_owner,
    }
}

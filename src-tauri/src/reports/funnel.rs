//! The funnel of a period, a pure function of the period's steps and the stage definitions
//! in force at each step's time: entries into each stage, how many of them moved on to the
//! next stage before the period ended (conversion), and the median time that took
//! (velocity). Each entry is judged by the funnel in force when it happened, so a stage
//! renamed or a rule changed mid-period counts its old entries by the old version.
use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use specta::Type;

use super::period::{Period, Span};
use super::stages::StageBook;
use super::steps::Step;
use super::{median_days, rate};
use crate::team::Side;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct FunnelReport {
    pub period: Period,
    /// The funnel's stages, in the order of the definitions in force at the period's end.
    pub stages: Vec<FunnelStage>,
    /// Entries into the stages off the funnel (what left it: recycled, disqualified…).
    pub side_stages: Vec<SideStage>,
    /// New contacts, opportunities opened and deals won in the period, where the workspace
    /// has opportunities.
    pub deals: Option<DealFlow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct FunnelStage {
    pub key: String,
    /// As named at the period's end (or when last in the funnel).
    pub name: String,
    /// Other names it had during the period (a stage renamed mid-period).
    pub former_names: Vec<String>,
    pub side: Side,
    pub entries: u32,
    /// Conversion to the next stage of the funnel; none for the last stage.
    pub next: Option<Conversion>,
}

/// What became of a stage's entries of the period by the period's end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Conversion {
    pub to_key: String,
    pub to_name: String,
    /// Moved on to the next stage (or further down the funnel).
    pub converted: u32,
    /// Left the funnel or went back.
    pub left: u32,
    /// Still in the stage when the period ended.
    pub still_in: u32,
    /// converted / entries, in percent (one decimal); none without entries.
    pub rate: Option<f64>,
    /// Median days from entering the stage to moving on (velocity).
    pub median_days: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct SideStage {
    pub key: String,
    pub name: String,
    pub entries: u32,
}

/// Leads to opportunities to won revenue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct DealFlow {
    /// Contacts that entered the log in the period.
    pub new_contacts: u32,
    pub opportunities_opened: u32,
    pub pipeline: Vec<Money>,
    pub deals_won: u32,
    pub revenue: Vec<Money>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Money {
    pub currency: String,
    /// In hundredths of the currency (a JS number, exact far beyond any deal size).
    pub amount_minor: f64,
}

#[derive(Default)]
struct Tally {
    entries: u32,
    converted: u32,
    left: u32,
    still_in: u32,
    days: Vec<f64>,
    names: Vec<String>,
}

/// The funnel of `steps` (every step of the period, ordered by contact then time).
pub fn funnel(steps: &[Step], book: &StageBook<'_>, period: &Period, span: Span) -> FunnelReport {
    let mut tallies: HashMap<String, Tally> = HashMap::new();
    let mut side: BTreeMap<String, u32> = BTreeMap::new();
    for (i, step) in steps.iter().enumerate() {
        if !step.moved() || step.at < span.start || step.at >= span.end {
            continue;
        }
        let funnel = book.funnel(step.at);
        let Some(idx) = funnel.index(&step.to) else {
            *side.entry(step.to.clone()).or_default() += 1;
            continue;
        };
        let t = tallies.entry(step.to.clone()).or_default();
        t.entries += 1;
        let name = &funnel.stages[idx].name;
        if !t.names.contains(name) {
            t.names.push(name.clone());
        }
        if idx + 1 == funnel.stages.len() {
            continue;
        }
        // The contact's next move, if it made one before the period ended.
        let next = steps[i + 1..]
            .iter()
            .take_while(|s| s.contact_id == step.contact_id)
            .find(|s| s.moved() && s.at < span.end);
        match next {
            None => t.still_in += 1,
            Some(n) if funnel.index(&n.to).is_some_and(|j| j > idx) => {
                t.converted += 1;
                t.days.push((n.at - step.at) as f64 / 86_400_000.0);
            }
            Some(_) => t.left += 1,
        }
    }
    // The funnel's order and names as at the period's end; stages that counted earlier in
    // the period but are no longer in the funnel follow in the order they had then.
    let end = book.funnel(span.end - 1);
    let mut order: Vec<(u32, String)> = end
        .stages
        .iter()
        .enumerate()
        .map(|(i, s)| (i as u32, s.key.clone()))
        .collect();
    let mut gone: Vec<&String> = tallies.keys().filter(|k| end.index(k).is_none()).collect();
    gone.sort();
    for k in gone {
        order.push((u32::MAX, k.clone()));
    }
    let stages: Vec<FunnelStage> = order
        .iter()
        .filter_map(|(_, key)| {
            let info = book.stage(key, span.end - 1)?;
            let t = tallies.remove(key).unwrap_or_default();
            let next = end.index(key).and_then(|i| end.stages.get(i + 1)).cloned();
            Some(FunnelStage {
                former_names: t
                    .names
                    .iter()
                    .filter(|n| **n != info.name)
                    .cloned()
                    .collect(),
                key: key.clone(),
                name: info.name,
                side: info.side,
                entries: t.entries,
                next: next.map(|n| Conversion {
                    to_key: n.key,
                    to_name: n.name,
                    converted: t.converted,
                    left: t.left,
                    still_in: t.still_in,
                    rate: rate(t.converted, t.entries),
                    median_days: median_days(t.days),
                }),
            })
        })
        .collect();
    let side_stages = side
        .into_iter()
        .map(|(key, entries)| SideStage {
            name: book
                .stage(&key, span.end - 1)
                .map_or_else(|| key.clone(), |s| s.name),
            key,
            entries,
        })
        .collect();
    FunnelReport {
        period: period.clone(),
        stages,
        side_stages,
        deals: None,
    }
}

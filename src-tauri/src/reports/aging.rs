//! Contacts past their stage's maximum time, by owner: each stay judged by the stage
//! definition in force when the contact entered the stage (a limit agreed later applies to
//! stays that begin after it). A pure function of where each contact stood.
use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use specta::Type;

use super::stages::StageBook;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct AgingReport {
    /// The instant judged (RFC 3339).
    pub as_of: String,
    /// Contacts in stages that have a maximum time, and those past it.
    pub in_timed_stages: u32,
    pub overdue: u32,
    pub by_owner: Vec<AgingOwner>,
    pub by_stage: Vec<AgingStage>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct AgingOwner {
    pub owner_id: Option<String>,
    pub owner_name: String,
    pub overdue: u32,
    /// (stage key, count), in funnel order.
    pub stages: Vec<AgingCount>,
    /// The longest overdue first (up to five).
    pub oldest: Vec<AgingContact>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct AgingCount {
    pub key: String,
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct AgingStage {
    pub key: String,
    pub name: String,
    /// The maximum days as in force now (stays may be judged by an older limit).
    pub max_days: Option<u32>,
    pub contacts: u32,
    pub overdue: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct AgingContact {
    pub contact_id: String,
    pub contact_name: String,
    pub stage: String,
    pub stage_name: String,
    pub since: String,
    pub days_in_stage: f64,
    pub max_days: u32,
}

/// Where a contact stood at the instant judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub contact_id: String,
    pub name: String,
    pub owner_id: Option<String>,
    pub stage: String,
    /// When it entered the stage (ms).
    pub since: i64,
}

pub const OLDEST: usize = 5;

/// Judges every standing at `as_of` (ms); `members` names the owners.
pub fn aging(
    standings: &[Standing],
    book: &StageBook<'_>,
    members: &HashMap<String, String>,
    as_of: i64,
) -> AgingReport {
    let funnel = book.funnel(as_of);
    let rank = |key: &str| funnel.index(key).unwrap_or(usize::MAX);
    let mut stages: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    let mut owners: BTreeMap<Option<String>, Vec<AgingContact>> = BTreeMap::new();
    let mut timed = 0;
    for s in standings {
        // The limit of the version in force when the stay began.
        let Some(entered) = book.stage(&s.stage, s.since) else {
            continue;
        };
        let Some(max_days) = entered.max_days else {
            continue;
        };
        timed += 1;
        let days = (as_of - s.since) as f64 / 86_400_000.0;
        let tally = stages.entry(s.stage.clone()).or_default();
        tally.0 += 1;
        if days <= f64::from(max_days) {
            continue;
        }
        tally.1 += 1;
        owners
            .entry(s.owner_id.clone())
            .or_default()
            .push(AgingContact {
                contact_id: s.contact_id.clone(),
                contact_name: s.name.clone(),
                stage: s.stage.clone(),
                stage_name: book
                    .stage(&s.stage, as_of)
                    .map_or_else(|| s.stage.clone(), |i| i.name),
                since: super::time_text(s.since),
                days_in_stage: (days * 10.0).round() / 10.0,
                max_days,
            });
    }
    let overdue = owners.values().map(|v| v.len() as u32).sum();
    let mut by_owner: Vec<AgingOwner> = owners
        .into_iter()
        .map(|(owner_id, mut list)| {
            let mut counts: BTreeMap<String, u32> = BTreeMap::new();
            for c in &list {
                *counts.entry(c.stage.clone()).or_default() += 1;
            }
            let mut stages: Vec<AgingCount> = counts
                .into_iter()
                .map(|(key, count)| AgingCount { key, count })
                .collect();
            stages.sort_by_key(|c| (rank(&c.key), c.key.clone()));
            list.sort_by(|a, b| {
                b.days_in_stage
                    .total_cmp(&a.days_in_stage)
                    .then(a.contact_id.cmp(&b.contact_id))
            });
            AgingOwner {
                owner_name: owner_id
                    .as_ref()
                    .and_then(|o| members.get(o).cloned())
                    .unwrap_or_else(|| "(no owner)".into()),
                owner_id,
                overdue: list.len() as u32,
                stages,
                oldest: list.into_iter().take(OLDEST).collect(),
            }
        })
        .collect();
    by_owner.sort_by(|a, b| {
        b.overdue
            .cmp(&a.overdue)
            .then(a.owner_name.cmp(&b.owner_name))
    });
    let mut by_stage: Vec<AgingStage> = stages
        .into_iter()
        .map(|(key, (contacts, overdue))| {
            let info = book.stage(&key, as_of);
            AgingStage {
                name: info
                    .as_ref()
                    .map_or_else(|| key.clone(), |i| i.name.clone()),
                max_days: info.and_then(|i| i.max_days),
                key,
                contacts,
                overdue,
            }
        })
        .collect();
    by_stage.sort_by_key(|s| (rank(&s.key), s.key.clone()));
    AgingReport {
        as_of: super::time_text(as_of),
        in_timed_stages: timed,
        overdue,
        by_owner,
        by_stage,
    }
}

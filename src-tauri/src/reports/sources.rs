//! Which leads progress better: the period's handovers by source channel, campaign and
//! score band, with what sales answered (accepted, rejected) and how far the accepted ones
//! went (an opportunity, a won deal) by the period's end. A pure function of the steps.
use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use specta::Type;

use super::period::{Period, Span};
use super::rate;
use super::steps::Step;
use crate::handoffs::EventKind;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct SourcesReport {
    pub period: Period,
    pub total: SourceRow,
    pub by_channel: Vec<SourceRow>,
    pub by_campaign: Vec<SourceRow>,
    /// Bands of the contact's current score, lowest first.
    pub by_score_band: Vec<SourceRow>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct SourceRow {
    /// What the row groups by, as stored: a channel code, a campaign, a band (empty for
    /// the total).
    pub key: String,
    /// The same in words: "Paid search", "(none)".
    pub label: String,
    pub handed_over: u32,
    pub accepted: u32,
    pub rejected: u32,
    /// Left the handover stage another way (disqualified, say).
    pub other: u32,
    /// No answer by the period's end.
    pub awaiting: u32,
    /// accepted / (accepted + rejected), in percent; none before any answer.
    pub acceptance_rate: Option<f64>,
    /// Handovers that became an opportunity, and a won deal, by the period's end.
    pub converted: u32,
    pub won: u32,
}

/// What the report needs to know of a contact.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactSource {
    pub channel: String,
    pub campaign: String,
    pub score: i64,
}

/// Score bands of 20 points; the label says the range.
///
/// ```
/// assert_eq!(playbook::reports::sources::score_band(-5), (0, "below 20"));
/// assert_eq!(playbook::reports::sources::score_band(64), (3, "60–79"));
/// assert_eq!(playbook::reports::sources::score_band(120), (4, "80 and above"));
/// ```
pub fn score_band(score: i64) -> (u8, &'static str) {
    match score {
        i64::MIN..=19 => (0, "below 20"),
        20..=39 => (1, "20–39"),
        40..=59 => (2, "40–59"),
        60..=79 => (3, "60–79"),
        _ => (4, "80 and above"),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    Accepted,
    Rejected,
    Other,
    Awaiting,
}

impl SourceRow {
    fn add(&mut self, answer: Answer, converted: bool, won: bool) {
        self.handed_over += 1;
        match answer {
            Answer::Accepted => self.accepted += 1,
            Answer::Rejected => self.rejected += 1,
            Answer::Other => self.other += 1,
            Answer::Awaiting => self.awaiting += 1,
        }
        self.converted += u32::from(converted);
        self.won += u32::from(won);
    }

    fn finish(mut self, key: String, label: String) -> SourceRow {
        self.key = key;
        self.label = label;
        self.acceptance_rate = rate(self.accepted, self.accepted + self.rejected);
        self
    }
}

/// The handovers among `steps` (ordered by contact then time) by source, campaign and band.
pub fn sources(
    steps: &[Step],
    contacts: &HashMap<String, ContactSource>,
    period: &Period,
    span: Span,
) -> SourcesReport {
    let mut total = SourceRow::default();
    let mut channels: BTreeMap<String, SourceRow> = BTreeMap::new();
    let mut campaigns: BTreeMap<String, SourceRow> = BTreeMap::new();
    let mut bands: BTreeMap<(u8, &'static str), SourceRow> = BTreeMap::new();
    for (i, step) in steps.iter().enumerate() {
        if step.kind != EventKind::HandedOver || step.at < span.start || step.at >= span.end {
            continue;
        }
        let later: Vec<&Step> = steps[i + 1..]
            .iter()
            .take_while(|s| s.contact_id == step.contact_id && s.at < span.end)
            .take_while(|s| s.kind != EventKind::HandedOver)
            .collect();
        let answer = match later.iter().find(|s| s.moved()) {
            None => Answer::Awaiting,
            Some(s) if s.kind == EventKind::Accepted => Answer::Accepted,
            Some(s) if s.kind == EventKind::Rejected => Answer::Rejected,
            Some(_) => Answer::Other,
        };
        let accepted = answer == Answer::Accepted;
        let converted = accepted && later.iter().any(|s| s.kind == EventKind::Converted);
        let won = accepted && later.iter().any(|s| s.kind == EventKind::Won);
        let c = contacts.get(&step.contact_id).cloned().unwrap_or_default();
        total.add(answer, converted, won);
        channels
            .entry(c.channel)
            .or_default()
            .add(answer, converted, won);
        campaigns
            .entry(c.campaign)
            .or_default()
            .add(answer, converted, won);
        bands
            .entry(score_band(c.score))
            .or_default()
            .add(answer, converted, won);
    }
    let named = |key: &str, words: fn(&str) -> String| {
        if key.trim().is_empty() {
            "(none)".to_string()
        } else {
            words(key)
        }
    };
    let by_volume = |rows: BTreeMap<String, SourceRow>, words: fn(&str) -> String| {
        let mut out: Vec<SourceRow> = rows
            .into_iter()
            .map(|(key, row)| {
                let label = named(&key, words);
                row.finish(key, label)
            })
            .collect();
        out.sort_by(|a, b| {
            b.handed_over
                .cmp(&a.handed_over)
                .then(a.label.cmp(&b.label))
        });
        out
    };
    SourcesReport {
        period: period.clone(),
        total: total.finish(String::new(), "All sources".into()),
        // Channels are codes ("paid_search"); campaigns are names as imported.
        by_channel: by_volume(channels, crate::labels::humanize),
        by_campaign: by_volume(campaigns, str::to_string),
        by_score_band: bands
            .into_iter()
            .map(|((_, band), row)| row.finish(band.to_string(), band.to_string()))
            .collect(),
    }
}

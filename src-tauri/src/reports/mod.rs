//! Reports over the handoff log and the playbook in force at each event's time: the funnel
//! (entries, conversion, velocity, deals), acceptance by source, campaign and score band,
//! rejection and recycle reasons as a Pareto, and aging. Each report is a pure function of
//! the period's steps (`steps`, a projection of the fold) and the stage definitions by time
//! (`stages`); `ops` loads what they need, `csv` writes them for spreadsheets. `sla` and
//! `content` bring the SLA and content areas' numbers to the agenda and the home screen.
pub mod aging;
pub mod bench;
pub mod content;
pub mod csv;
pub mod funnel;
pub mod ops;
pub mod period;
pub mod reasons;
pub mod sla;
pub mod sources;
pub mod stages;
pub mod steps;

use serde::{Deserialize, Serialize};
use specta::Type;

/// The reports by name, as the CLI and the window's export ask for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    Funnel,
    Sources,
    Reasons,
    Aging,
}

impl ReportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::Funnel => "funnel",
            ReportKind::Sources => "sources",
            ReportKind::Reasons => "reasons",
            ReportKind::Aging => "aging",
        }
    }
}

/// `part / whole` in percent with one decimal; none when `whole` is zero.
///
/// ```
/// assert_eq!(playbook::reports::rate(1, 3), Some(33.3));
/// assert_eq!(playbook::reports::rate(0, 0), None);
/// ```
pub fn rate(part: u32, whole: u32) -> Option<f64> {
    (whole > 0).then(|| (f64::from(part) * 1000.0 / f64::from(whole)).round() / 10.0)
}

/// The median of durations in days, to one decimal.
pub fn median_days(mut days: Vec<f64>) -> Option<f64> {
    if days.is_empty() {
        return None;
    }
    days.sort_by(f64::total_cmp);
    let n = days.len();
    let m = if n % 2 == 1 {
        days[n / 2]
    } else {
        (days[n / 2 - 1] + days[n / 2]) / 2.0
    };
    Some((m * 10.0).round() / 10.0)
}

/// An instant (ms) as stored text (RFC 3339, UTC).
pub fn time_text(ms: i64) -> String {
    crate::db::ts(
        chrono::DateTime::from_timestamp_millis(ms)
            .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC),
    )
}

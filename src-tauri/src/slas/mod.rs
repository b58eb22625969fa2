//! SLAs between sales and marketing, measured from the handoff log: every SLA item (a
//! response owed, a first touch owed, a stay in a stage, a recycle, a rejection's reason,
//! a period's volume or conversion) is met, breached or pending as of an instant, judged by
//! the SLA version and the business calendar in force at the event that started it.
//!
//! The parts: `load` reads the log, `fold` replays it through the stage definitions,
//! `terms` holds the SLAs and calendars by effective time, `evaluate` turns one contact's
//! applied events into items (a pure function), `report` counts them as of an instant,
//! `cache` keeps the items between reports and refreshes only the contacts that changed,
//! `tally` keeps the scorecard's counts and updates them for those contacts alone,
//! `ops` is what the window and the CLI call, `notify` decides the deadline warnings.
pub mod bench;
pub mod cache;
pub mod evaluate;
pub mod fold;
pub mod load;
pub mod notify;
pub mod ops;
pub mod report;
pub mod tally;
pub mod terms;

use serde::Serialize;
use specta::Type;

use crate::agreements::sla_model::SlaKind;
use crate::handoffs::EventKind;
use crate::team::Side;

/// One applied event of a contact's log, as the SLAs see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fact {
    pub kind: EventKind,
    /// Milliseconds since the epoch.
    pub at: i64,
    /// The contact's stage after the event (an index into the fold's stage list).
    pub stage: u16,
    /// Who recorded it and, for a handover, who takes the lead (indexes into the people).
    pub actor: Option<u16>,
    pub assignee: Option<u16>,
    /// It carries a reason (the fold lets only agreed reasons through) and a note.
    pub reason: bool,
    pub note: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    Met,
    Breached,
    Pending,
}

/// How an item ended, if it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Judged on the spot by the event that started it (a recycle's attempts, a reason).
    Judged(bool),
    /// Fulfilled at `end`.
    Done,
    /// No longer owed from `end` (the contact left the situation another way): breached if
    /// the deadline had passed by then, otherwise not counted.
    Lapsed,
    Open,
}

/// One SLA item of one contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item {
    /// Index of the SLA in the terms.
    pub sla: u16,
    /// The version that judges it: the one in force at `start`.
    pub version: u32,
    /// The side that owes it under that version.
    pub side: Side,
    pub contact: u32,
    /// The member answerable for it (index into the people), if known.
    pub owner: Option<u16>,
    pub start: i64,
    pub deadline: Option<i64>,
    pub end: Option<i64>,
    pub outcome: Outcome,
}

impl Item {
    /// The item's status as of `t` (ms), or None when it does not count then (not started,
    /// or lapsed before its deadline).
    pub fn status(&self, t: i64) -> Option<ItemStatus> {
        if self.start > t {
            return None;
        }
        let deadline = self.deadline.unwrap_or(i64::MAX);
        let ended = self.end.filter(|e| *e <= t);
        match (self.outcome, ended) {
            (Outcome::Judged(met), _) => Some(if met {
                ItemStatus::Met
            } else {
                ItemStatus::Breached
            }),
            (Outcome::Done, Some(e)) => Some(if e <= deadline {
                ItemStatus::Met
            } else {
                ItemStatus::Breached
            }),
            (Outcome::Lapsed, Some(e)) => (deadline < e).then_some(ItemStatus::Breached),
            _ => Some(if deadline < t {
                ItemStatus::Breached
            } else {
                ItemStatus::Pending
            }),
        }
    }

    /// When it was fulfilled (or judged), as of `t`.
    pub fn done_at(&self, t: i64) -> Option<i64> {
        match self.outcome {
            Outcome::Judged(_) => Some(self.start),
            Outcome::Done => self.end.filter(|e| *e <= t),
            _ => None,
        }
    }
}

/// The CLI's report: `playbook sla report --format json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SlaReport {
    pub as_of: String,
    pub slas: Vec<SlaResult>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SlaResult {
    pub key: String,
    pub name: String,
    pub owner_side: Side,
    pub kind: SlaKind,
    /// The version in force as of the report (older items keep the version that judged them).
    pub version: u32,
    pub target: String,
    /// Earlier versions that judged items of the report (started before `until`), so a
    /// count is never read against a target it was not judged by.
    pub earlier: Vec<EarlierVersion>,
    pub total: u32,
    pub met: u32,
    pub breached: u32,
    pub pending: u32,
    /// met / (met + breached); null when nothing is judged yet.
    pub compliance: Option<f64>,
    /// Per contact (the period kinds, volume and conversion rate, have none).
    pub items: Vec<ReportItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EarlierVersion {
    pub version: u32,
    pub target: String,
    /// When the next version took force: items started before it are judged by this one.
    pub until: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportItem {
    pub contact_id: String,
    pub external_id: Option<String>,
    pub started_at: String,
    pub deadline: Option<String>,
    pub done_at: Option<String>,
    pub status: ItemStatus,
}

/// The end of year 9999 (ms): the civil arithmetic here covers 1970 to then.
pub const LAST_ISO_MS: i64 = 253_402_300_800_000;

/// Milliseconds since the epoch as stored times are written (`db::ts`), without a
/// formatter per call: reports print hundreds of thousands of them.
pub fn iso(ms: i64) -> String {
    if !(0..LAST_ISO_MS).contains(&ms) {
        return crate::db::ts(fold::ms_time(ms));
    }
    let days = ms.div_euclid(86_400_000);
    let rest = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil(days);
    let mut out = String::with_capacity(24);
    let mut push = |v: i64, width: u32, after: char| {
        for k in (0..width).rev() {
            out.push(char::from(b'0' + (v / 10i64.pow(k) % 10) as u8));
        }
        if after != '\0' {
            out.push(after);
        }
    };
    push(y, 4, '-');
    push(m, 2, '-');
    push(d, 2, 'T');
    push(rest / 3_600_000, 2, ':');
    push(rest / 60_000 % 60, 2, ':');
    push(rest / 1000 % 60, 2, '.');
    push(rest % 1000, 3, 'Z');
    out
}

/// The civil date (year, month, day) of a day counted from 1970-01-01 (H. Hinnant's
/// algorithm).
pub fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// met / (met + breached), if anything is judged.
pub fn compliance(met: u32, breached: u32) -> Option<f64> {
    (met + breached > 0).then(|| f64::from(met) / f64::from(met + breached))
}

#[cfg(test)]
mod tests {
    #[test]
    fn iso_writes_what_db_ts_writes() {
        let mut x: i64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let ms = x.rem_euclid(4_102_444_800_000);
            assert_eq!(super::iso(ms), crate::db::ts(super::fold::ms_time(ms)));
        }
        assert_eq!(super::iso(-1), crate::db::ts(super::fold::ms_time(-1)));
    }
}

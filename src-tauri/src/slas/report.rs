//! Counting SLA items as of an instant: per SLA, per side, per owner and per week or month,
//! for the CLI's report and the window's scorecard; and the period rules (volume,
//! conversion rate), judged per week, month or quarter in the calendar's zone.
use std::cmp::Reverse;
use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use specta::Type;

use super::cache::State;
use super::evaluate::Mark;
use super::iso;
use super::terms::Terms;
use super::{
    compliance, EarlierVersion, Item, ItemStatus, Outcome, ReportItem, SlaReport, SlaResult,
};
use crate::agreements::sla_model::{Period, SlaKind, SlaRule};
use crate::business_time::Calendar;
use crate::team::Side;

/// Which items count: those started in `[from, to)` (ms), as of `as_of`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: i64,
    pub to: i64,
    pub as_of: i64,
}

impl Window {
    fn holds(&self, t: i64) -> bool {
        self.from <= t && t < self.to && t <= self.as_of
    }
}

/// One week, month or quarter of a period rule, judged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PeriodResult {
    pub sla: u16,
    pub version: u32,
    pub start: i64,
    pub end: i64,
    pub count: u32,
    pub reached: u32,
    pub status: ItemStatus,
}

fn local_date(cal: &Calendar, t: i64) -> NaiveDate {
    super::fold::ms_time(t)
        .with_timezone(&cal.zone())
        .date_naive()
}

/// The first local date of the period holding `date`, and of the next one.
fn period_dates(per: Period, date: NaiveDate) -> (NaiveDate, NaiveDate) {
    match per {
        Period::Week => {
            let start = date - Duration::days(i64::from(date.weekday().num_days_from_monday()));
            (start, start + Duration::days(7))
        }
        Period::Month | Period::Quarter => {
            let months = if per == Period::Month { 1 } else { 3 };
            let first_month = (date.month0() / months) * months;
            let start = NaiveDate::from_ymd_opt(date.year(), first_month + 1, 1).unwrap_or(date);
            let next = start
                .checked_add_months(chrono::Months::new(months))
                .unwrap_or(start);
            (start, next)
        }
    }
}

/// Judges every period of SLA `s` that starts in the window, from its marks (sorted by time).
pub fn periods(terms: &Terms, s: usize, marks: &[Mark], w: &Window) -> Vec<PeriodResult> {
    let mut out = Vec::new();
    let first = match marks.first() {
        Some(m) => m.at.max(w.from),
        None if w.from > i64::MIN => w.from,
        None => return out,
    };
    let mut t = first;
    while t <= w.as_of && t < w.to {
        let version = terms.version_at(s, t);
        let Some(cal) = terms.calendar_at(&version.body.calendar, t) else {
            break;
        };
        let per = match &version.body.rule {
            SlaRule::Volume { per, .. } | SlaRule::ConversionRate { per, .. } => *per,
            _ => break,
        };
        let (a, b) = period_dates(per, local_date(cal, t));
        let (start, end) = (cal.instant(a, 0), cal.instant(b, 0));
        if end <= t {
            break;
        }
        // The version in force when the period began judges it.
        let version = terms.version_at(s, start);
        let lo = marks.partition_point(|m| m.at < start);
        let hi = marks.partition_point(|m| m.at < end && m.at <= w.as_of);
        let complete = end <= w.as_of;
        let in_period = &marks[lo..hi.max(lo)];
        let result = match &version.body.rule {
            SlaRule::Volume {
                event, at_least, ..
            } => {
                let count = in_period.iter().filter(|m| m.kind == *event).count() as u32;
                let status = if count >= *at_least {
                    ItemStatus::Met
                } else if complete {
                    ItemStatus::Breached
                } else {
                    ItemStatus::Pending
                };
                Some((count, 0, status))
            }
            SlaRule::ConversionRate {
                start: begin,
                at_least_percent,
                ..
            } => {
                let cohort: Vec<&Mark> = in_period.iter().filter(|m| m.kind == *begin).collect();
                let reached = cohort
                    .iter()
                    .filter(|m| m.reached.is_some_and(|r| r <= w.as_of))
                    .count() as u32;
                let count = cohort.len() as u32;
                (count > 0).then(|| {
                    let status = if !complete {
                        ItemStatus::Pending
                    } else if u64::from(reached) * 100
                        >= u64::from(*at_least_percent) * u64::from(count)
                    {
                        ItemStatus::Met
                    } else {
                        ItemStatus::Breached
                    };
                    (count, reached, status)
                })
            }
            _ => None,
        };
        if let Some((count, reached, status)) = result {
            if start >= w.from || w.from == i64::MIN {
                out.push(PeriodResult {
                    sla: s as u16,
                    version: version.number,
                    start,
                    end,
                    count,
                    reached,
                    status,
                });
            }
        }
        t = end;
    }
    out
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub met: u32,
    pub breached: u32,
    pub pending: u32,
}

impl Counts {
    pub fn add(&mut self, s: ItemStatus) {
        match s {
            ItemStatus::Met => self.met += 1,
            ItemStatus::Breached => self.breached += 1,
            ItemStatus::Pending => self.pending += 1,
        }
    }
    /// Takes back an `add`.
    pub fn remove(&mut self, s: ItemStatus) {
        match s {
            ItemStatus::Met => self.met -= 1,
            ItemStatus::Breached => self.breached -= 1,
            ItemStatus::Pending => self.pending -= 1,
        }
    }
    pub fn total(&self) -> u32 {
        self.met + self.breached + self.pending
    }
}

fn is_period_kind(kind: SlaKind) -> bool {
    matches!(kind, SlaKind::Volume | SlaKind::ConversionRate)
}

/// The items of every contact that count in the window, with their status.
pub fn judged<'a>(
    state: &'a State,
    w: &'a Window,
) -> impl Iterator<Item = (&'a Item, ItemStatus)> + 'a {
    state
        .items
        .iter()
        .flatten()
        .filter(move |i| w.holds(i.start))
        .filter_map(move |i| i.status(w.as_of).map(|s| (i, s)))
}

/// `f` over `list`, in order, one share per core: writing out a report's items is mostly
/// allocating their texts, hundreds of thousands of them.
fn par_map<T: Sync, U: Send>(list: &[T], f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 8));
    if cores == 1 || list.len() < 4096 {
        return list.iter().map(f).collect();
    }
    let share = list.len().div_ceil(cores);
    let f = &f;
    std::thread::scope(|scope| {
        let parts: Vec<_> = list
            .chunks(share)
            .map(|part| scope.spawn(move || part.iter().map(f).collect::<Vec<U>>()))
            .collect();
        let mut out = Vec::with_capacity(list.len());
        for part in parts {
            // A panic in `f` is a bug; carry it to the caller as it would have without threads.
            out.extend(part.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        }
        out
    })
}

/// The CLI's report; `with_items` lists every item (for `--format json` and the table).
pub fn sla_report(state: &State, w: &Window) -> SlaReport {
    let t = &state.terms;
    let mut slas = Vec::new();
    let mut per_sla: Vec<(Counts, Vec<(&Item, ItemStatus)>)> =
        vec![(Counts::default(), vec![]); t.slas.len()];
    for (item, status) in judged(state, w) {
        let (counts, items) = &mut per_sla[item.sla as usize];
        counts.add(status);
        items.push((item, status));
    }
    for (s, sla) in t.slas.iter().enumerate() {
        let current = t.version_at(s, w.as_of);
        let kind = current.body.rule.kind();
        let (mut counts, mut judged) = std::mem::take(&mut per_sla[s]);
        judged.sort_by_key(|(i, _)| (i.start, &state.contacts[i.contact as usize].id));
        let items = par_map(&judged, |(item, status)| {
            let c = &state.contacts[item.contact as usize];
            ReportItem {
                contact_id: c.id.clone(),
                external_id: c.external_id.clone(),
                started_at: iso(item.start),
                deadline: item.deadline.map(iso),
                done_at: item.done_at(w.as_of).map(iso),
                status: *status,
            }
        });
        if is_period_kind(kind) {
            for p in periods(t, s, &state.marks_of(s), w) {
                counts.add(p.status);
            }
        }
        slas.push(SlaResult {
            key: sla.key.clone(),
            name: current.name.clone(),
            owner_side: current.body.owner,
            kind,
            version: current.number,
            target: current.body.rule.target(),
            earlier: sla
                .versions
                .windows(2)
                .filter(|pair| pair[0].number < current.number && pair[1].effective > w.from)
                .map(|pair| EarlierVersion {
                    version: pair[0].number,
                    target: pair[0].body.rule.target(),
                    until: iso(pair[1].effective),
                })
                .collect(),
            total: counts.total(),
            met: counts.met,
            breached: counts.breached,
            pending: counts.pending,
            compliance: compliance(counts.met, counts.breached),
            items,
        });
    }
    SlaReport {
        as_of: iso(w.as_of),
        slas,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum TrendPeriod {
    Week,
    Month,
}

/// The window's scorecard: both sides' commitments, the trend, owners and breaches.
#[derive(Debug, Clone, PartialEq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Scorecard {
    pub as_of: String,
    pub sides: Vec<SideScore>,
    pub slas: Vec<SlaScore>,
    pub trend: Vec<TrendPoint>,
    pub owners: Vec<OwnerScore>,
    /// The most recent breaches, newest first.
    pub breaches: Vec<Breach>,
    /// How many breaches there are in all.
    pub breach_count: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Score {
    pub met: u32,
    pub breached: u32,
    pub pending: u32,
    pub compliance: Option<f64>,
}

impl From<Counts> for Score {
    fn from(c: Counts) -> Score {
        Score {
            met: c.met,
            breached: c.breached,
            pending: c.pending,
            compliance: compliance(c.met, c.breached),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct SideScore {
    pub side: Side,
    pub score: Score,
}

#[derive(Debug, Clone, PartialEq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct SlaScore {
    pub key: String,
    pub name: String,
    pub owner_side: Side,
    pub kind: SlaKind,
    pub version: u32,
    pub target: String,
    pub measure: String,
    pub description: String,
    pub score: Score,
    /// For volume and conversion rate: the current period's count (and how many reached).
    pub current_period: Option<PeriodNow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PeriodNow {
    pub start: String,
    pub end: String,
    pub count: u32,
    pub reached: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct TrendPoint {
    /// `2026-W47` or `2026-11`.
    pub label: String,
    pub start: String,
    pub side: Side,
    pub score: Score,
}

#[derive(Debug, Clone, PartialEq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct OwnerScore {
    pub member_id: String,
    pub name: String,
    pub side: Option<Side>,
    pub score: Score,
}

#[derive(Debug, Clone, PartialEq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Breach {
    pub sla_key: String,
    pub sla_name: String,
    pub owner_side: Side,
    pub version: u32,
    pub contact_id: String,
    pub contact_name: String,
    pub owner_name: Option<String>,
    pub started_at: String,
    pub deadline: Option<String>,
    pub done_at: Option<String>,
    /// What happened, against what was agreed: "done 3 h 20 min (business time) after the
    /// 8 business hours agreed", "ended with fewer than 5 attempts".
    pub why: String,
}

/// A business duration in words: `3 h 20 min`, `45 min`, `2 d 1 h` (days of 24 business
/// hours are not a thing: beyond 48 h it counts hours).
fn span_words(ms: i64) -> String {
    let minutes = (ms.max(0) + 59_999) / 60_000;
    let (h, m) = (minutes / 60, minutes % 60);
    match (h, m) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// Why an item is a breach, from its rule (as the version judging it states it) and what
/// happened; lateness is counted in the SLA's business time.
fn breach_why(t: &Terms, i: &Item, as_of: i64) -> String {
    let v = t.version_at(i.sla as usize, i.start);
    let target = v.body.rule.target();
    // How late, in business time ("3 h 20 min"); none when no working time has passed since
    // the deadline (it fell at closing time and the office has not opened since).
    let late = |from: i64, to: i64| {
        let ms = match t.calendar_at(&v.body.calendar, i.start) {
            Some(c) => c.duration_ms(from, to),
            None => to - from,
        };
        (ms >= 60_000).then(|| span_words(ms))
    };
    let open = |d: i64| match late(d, as_of.max(d)) {
        Some(l) => format!("not done; {l} (business time) past the {target} agreed"),
        None => format!("not done within the {target} agreed"),
    };
    match (&v.body.rule, i.outcome, i.deadline) {
        (SlaRule::AttemptsBeforeRecycle { at_least, .. }, _, _) => {
            format!("ended with fewer than the {at_least} attempts agreed")
        }
        (SlaRule::ReasonRequired { .. }, _, _) => "recorded without an agreed reason".into(),
        (_, Outcome::Done, Some(d)) => match (
            i.end.filter(|e| *e <= as_of),
            i.end.and_then(|e| late(d, e)),
        ) {
            (Some(_), Some(l)) => format!("done {l} (business time) after the {target} agreed"),
            (Some(_), None) => format!("done after the {target} agreed, outside working hours"),
            (None, _) => open(d),
        },
        (_, Outcome::Lapsed, Some(d)) => match i.end.and_then(|e| late(d, e)) {
            Some(l) => format!("ended another way {l} (business time) past the {target} agreed"),
            None => format!("ended another way, past the {target} agreed"),
        },
        (_, _, Some(d)) => open(d),
        _ => format!("short of the target: {target}"),
    }
}

/// The start (ms, UTC) of the week (from Monday) or month holding `t`.
fn bucket(period: TrendPeriod, t: i64) -> i64 {
    const DAY: i64 = 86_400_000;
    let days = t.div_euclid(DAY);
    match period {
        // 1970-01-01 was a Thursday.
        TrendPeriod::Week => (days - (days + 3).rem_euclid(7)) * DAY,
        TrendPeriod::Month if (0..super::LAST_ISO_MS).contains(&t) => {
            let (_, _, day) = super::civil(days);
            (days - (day - 1)) * DAY
        }
        TrendPeriod::Month => {
            let date = super::fold::ms_time(t).date_naive();
            date.with_day(1)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map_or(t, |d| d.and_utc().timestamp_millis())
        }
    }
}

fn bucket_label(period: TrendPeriod, start: i64) -> String {
    let date = super::fold::ms_time(start).date_naive();
    match period {
        TrendPeriod::Week => {
            let iso = date.iso_week();
            format!("{}-W{:02}", iso.year(), iso.week())
        }
        TrendPeriod::Month => format!("{}-{:02}", date.year(), date.month()),
    }
}

/// What the scorecard counts of the items (per SLA, per side, per trend bucket and side,
/// per owner), before the period rules: kept between scorecards by `tally`, which adds and
/// takes back items one at a time.
#[derive(Debug, Clone, PartialEq)]
pub struct Tallies {
    period: TrendPeriod,
    per_sla: Vec<Counts>,
    sides: BTreeMap<&'static str, (Side, Counts)>,
    trend: BTreeMap<(i64, &'static str), (Side, Counts)>,
    owners: BTreeMap<u16, Counts>,
}

impl Tallies {
    pub fn new(slas: usize, period: TrendPeriod) -> Tallies {
        Tallies {
            period,
            per_sla: vec![Counts::default(); slas],
            sides: BTreeMap::new(),
            trend: BTreeMap::new(),
            owners: BTreeMap::new(),
        }
    }

    fn side(&mut self, side: Side, at: i64, status: ItemStatus, add: bool) {
        let bucket = (bucket(self.period, at), side.as_str());
        change(&mut self.sides, side.as_str(), side, status, add);
        change(&mut self.trend, bucket, side, status, add);
    }

    /// Counts (`add`) or takes back an item judged `status`.
    pub fn item(&mut self, item: &Item, status: ItemStatus, add: bool) {
        let per_sla = &mut self.per_sla[item.sla as usize];
        if add {
            per_sla.add(status);
        } else {
            per_sla.remove(status);
        }
        self.side(item.side, item.start, status, add);
        if let Some(o) = item.owner {
            let counts = self.owners.entry(o).or_default();
            if add {
                counts.add(status);
            } else {
                counts.remove(status);
                if counts.total() == 0 {
                    self.owners.remove(&o);
                }
            }
        }
    }
}

/// Adds or takes back one status in `map[key]`; an entry with nothing left goes, as it
/// would never have been made.
fn change<K: Ord>(
    map: &mut BTreeMap<K, (Side, Counts)>,
    key: K,
    side: Side,
    status: ItemStatus,
    add: bool,
) {
    if add {
        map.entry(key)
            .or_insert((side, Counts::default()))
            .1
            .add(status);
    } else if let Some(entry) = map.get_mut(&key) {
        entry.1.remove(status);
        if entry.1.total() == 0 {
            map.remove(&key);
        }
    }
}

/// The order of the scorecard's breaches: newest start first, then the highest contact
/// index, then the contact's own item order.
pub fn breach_order(item: &Item, index: usize) -> (Reverse<i64>, Reverse<u32>, usize) {
    (Reverse(item.start), Reverse(item.contact), index)
}

/// The scorecard with member ids where names go (owners, breaches' owners) and no contact
/// names: `ops` fills those in from the database. Counted from scratch; `tally` keeps the
/// same counts between scorecards.
pub fn scorecard(state: &State, w: &Window, period: TrendPeriod) -> Scorecard {
    let mut tallies = Tallies::new(state.terms.slas.len(), period);
    let mut breaches: Vec<&Item> = vec![];
    for (item, status) in judged(state, w) {
        tallies.item(item, status, true);
        if status == ItemStatus::Breached {
            breaches.push(item);
        }
    }
    // Stable: a contact's items keep their order.
    breaches.sort_by_key(|i| (Reverse(i.start), Reverse(i.contact)));
    let count = breaches.len() as u32;
    breaches.truncate(BREACHES_LISTED);
    finish(state, w, tallies, &breaches, count)
}

/// How many of the most recent breaches the scorecard lists.
pub const BREACHES_LISTED: usize = 200;

/// The scorecard from the items' counts, the most recent breaches (in `breach_order`, at
/// most `BREACHES_LISTED`) and how many breaches there are: adds the period rules' results
/// and writes it out.
pub fn finish(
    state: &State,
    w: &Window,
    mut tallies: Tallies,
    breaches: &[&Item],
    breach_count: u32,
) -> Scorecard {
    let t = &state.terms;
    let period = tallies.period;
    let mut current = vec![None; t.slas.len()];
    for (s, now) in current.iter_mut().enumerate() {
        if !is_period_kind(t.version_at(s, w.as_of).body.rule.kind()) {
            continue;
        }
        for p in periods(t, s, &state.marks_of(s), w) {
            tallies.per_sla[s].add(p.status);
            tallies.side(t.version_at(s, p.start).body.owner, p.start, p.status, true);
            if p.start <= w.as_of && w.as_of < p.end {
                *now = Some(PeriodNow {
                    start: iso(p.start),
                    end: iso(p.end),
                    count: p.count,
                    reached: p.reached,
                });
            }
        }
    }
    let slas = t
        .slas
        .iter()
        .enumerate()
        .map(|(s, sla)| {
            let v = t.version_at(s, w.as_of);
            SlaScore {
                key: sla.key.clone(),
                name: v.name.clone(),
                owner_side: v.body.owner,
                kind: v.body.rule.kind(),
                version: v.number,
                target: v.body.rule.target(),
                measure: v.body.rule.describe(),
                description: v.body.description.clone(),
                score: tallies.per_sla[s].into(),
                current_period: current[s].take(),
            }
        })
        .collect();
    let listed: Vec<Breach> = breaches
        .iter()
        .take(BREACHES_LISTED)
        .map(|i| {
            let v = t.version_at(i.sla as usize, i.start);
            Breach {
                sla_key: t.slas[i.sla as usize].key.clone(),
                sla_name: v.name.clone(),
                owner_side: i.side,
                version: i.version,
                contact_id: state.contacts[i.contact as usize].id.clone(),
                contact_name: String::new(),
                owner_name: i.owner.map(|o| state.people[o as usize].clone()),
                started_at: iso(i.start),
                deadline: i.deadline.map(iso),
                done_at: i.done_at(w.as_of).map(iso),
                why: breach_why(t, i, w.as_of),
            }
        })
        .collect();
    Scorecard {
        as_of: iso(w.as_of),
        sides: Side::ALL
            .into_iter()
            .map(|side| SideScore {
                side,
                score: tallies
                    .sides
                    .get(side.as_str())
                    .map(|(_, c)| *c)
                    .unwrap_or_default()
                    .into(),
            })
            .collect(),
        slas,
        trend: tallies
            .trend
            .into_iter()
            .map(|((start, _), (side, c))| TrendPoint {
                label: bucket_label(period, start),
                start: iso(start),
                side,
                score: c.into(),
            })
            .collect(),
        owners: tallies
            .owners
            .into_iter()
            .map(|(o, c)| OwnerScore {
                member_id: state.people[o as usize].clone(),
                name: String::new(),
                side: None,
                score: c.into(),
            })
            .collect(),
        breaches: listed,
        breach_count,
    }
}

#[cfg(test)]
mod tests {
    use super::span_words;

    #[test]
    fn lateness_reads_in_hours_and_minutes() {
        assert_eq!(span_words(0), "0 min");
        assert_eq!(span_words(45 * 60_000), "45 min");
        assert_eq!(span_words(3 * 3_600_000), "3 h");
        assert_eq!(span_words(3 * 3_600_000 + 20 * 60_000 - 500), "3 h 20 min");
    }
}

//! Business time: how much working time lies between two instants, and the deadline a
//! number of business hours or days after an instant, under a business calendar (an IANA
//! time zone, working weekdays, working hours in local wall-clock time, holiday dates).
//! Pure, over chrono-tz's copy of the IANA database: no zone rule is written here.
//!
//! # The model
//!
//! Working time is a set of intervals of real time. On every working day (a working
//! weekday that is not a holiday, both in the calendar's zone), each working-hours interval
//! `[open, close)` of the calendar becomes the real-time interval from the first instant at
//! which the local clock on that date shows `open` or later, to the first instant at which
//! it shows `close` or later. What that means on the days the clocks change:
//!
//! - Hours away from the change keep their local times: 09:00–17:00 is 09:00–17:00 local,
//!   eight real hours, on the spring and autumn change days alike.
//! - A working time inside a spring-forward gap (02:30 when clocks jump from 02:00 to
//!   03:00) does not exist; it becomes the instant of the jump, when the clock first shows
//!   a later time. An interval 02:00–10:00 on that day lasts seven real hours.
//! - A working time inside an autumn overlap (02:30 when clocks fall back from 03:00 to
//!   02:00, so 02:30 happens twice) means its first occurrence. An interval 01:00–02:30 on
//!   that day ends at the first 02:30 (1.5 real hours); 02:30–04:00 lasts 2.5 real hours.
//!
//! Let `W(t)` be the working time before instant `t`. Then
//!
//! - `duration(a, b) = W(b) − W(a)` (zero when `b` is not after `a`);
//! - `deadline(t, d)` is the first instant `x ≥ t` with `W(x) = W(t) + d`.
//!
//! So the clock starts at `t`, or at the next opening when `t` is outside working time;
//! only working time counts; weekends and holidays are skipped; a deadline that lands on a
//! closing time is that closing time, not the next opening. Because `W` never decreases,
//! `deadline(t, a + b) = deadline(deadline(t, a), b)`, `duration(t, deadline(t, d)) = d`,
//! and both are monotonic (property tests in `tests/business_time.rs`).
//!
//! A **business day** is the calendar's daily working time (the sum of its working-hours
//! intervals, e.g. eight hours): two business days after Tuesday 10:00 is Thursday 10:00.
//! Instants are handled in milliseconds; event times may carry any UTC offset.
use std::collections::BTreeSet;
use std::sync::{RwLock, RwLockWriteGuard};

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

const MINUTE_MS: i64 = 60_000;
pub const HOUR_MS: i64 = 3_600_000;
/// No deadline is searched past the year 3000 (2999-12-31, ms): a validated calendar has
/// working time every week, so only absurd spans get there. An absolute bound, so that
/// deadlines stay additive whatever instant they start from.
const LAST_INSTANT: i64 = 32_503_593_600_000;

/// A business calendar ready for arithmetic. Build it with [`Calendar::new`]; it keeps a
/// table of the working intervals of the days it has been asked about.
#[derive(Debug)]
pub struct Calendar {
    zone: Tz,
    /// Monday first.
    weekdays: [bool; 7],
    /// Working hours as minutes of the local day, `open < close ≤ 1440`, sorted, disjoint.
    hours: Vec<(u32, u32)>,
    holidays: BTreeSet<NaiveDate>,
    table: RwLock<Table>,
}

impl Clone for Calendar {
    fn clone(&self) -> Self {
        Calendar {
            zone: self.zone,
            weekdays: self.weekdays,
            hours: self.hours.clone(),
            holidays: self.holidays.clone(),
            table: RwLock::new(Table::default()),
        }
    }
}

#[derive(Debug, Default)]
struct Table {
    first: Option<NaiveDate>,
    days: Vec<Day>,
}

#[derive(Debug, Clone)]
struct Day {
    /// The first instant of the local date (ms since the Unix epoch).
    start: i64,
    /// Working time before this day, from the table's origin (may be negative).
    before: i64,
    /// Working intervals of the day, real time, sorted and disjoint.
    work: Vec<(i64, i64)>,
}

impl Day {
    fn total(&self) -> i64 {
        self.work.iter().map(|(s, e)| e - s).sum()
    }
}

impl Calendar {
    /// A calendar in `zone` (an IANA name such as `Europe/Berlin`), working on `weekdays`
    /// (Monday first) during `hours` (minutes of the local day; a close of 1440 is
    /// midnight at the day's end), except on `holidays`. Refuses, in words, an unknown
    /// zone, a week without working days, and hours that are empty, reversed or overlap.
    pub fn new(
        zone: &str,
        weekdays: [bool; 7],
        hours: &[(u32, u32)],
        holidays: impl IntoIterator<Item = NaiveDate>,
    ) -> Result<Calendar, String> {
        let zone: Tz = zone.trim().parse().map_err(|_| {
            format!("'{zone}' is not an IANA time zone; use a name such as Europe/Berlin or America/New_York")
        })?;
        if !weekdays.iter().any(|w| *w) {
            return Err("a business calendar needs at least one working weekday".into());
        }
        let mut hours = hours.to_vec();
        hours.sort();
        if hours.is_empty() {
            return Err("a business calendar needs working hours".into());
        }
        for (i, (open, close)) in hours.iter().enumerate() {
            if open >= close || *close > 1440 {
                return Err(format!(
                    "working hours {} to {} are not an interval within one day",
                    clock_text(*open),
                    clock_text(*close)
                ));
            }
            if let Some((_, prev_close)) = i.checked_sub(1).map(|p| hours[p]) {
                if *open < prev_close {
                    return Err(format!("working hours overlap at {}", clock_text(*open)));
                }
            }
        }
        Ok(Calendar {
            zone,
            weekdays,
            hours,
            holidays: holidays.into_iter().collect(),
            table: RwLock::new(Table::default()),
        })
    }

    /// The table of days, whatever a panicking holder left (it only ever grows whole days).
    fn table(&self) -> RwLockWriteGuard<'_, Table> {
        self.table.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The day of `t` when the table already covers it well (not its first or last day).
    fn covered(table: &Table, t: i64) -> Option<usize> {
        let k = table.days.partition_point(|d| d.start <= t);
        k.checked_sub(1).filter(|_| k >= 2 && k < table.days.len())
    }

    /// Answers from the days already in the table, under a shared lock (several threads
    /// judge SLA items at once), or None when more days are needed.
    fn read<T>(&self, f: impl FnOnce(&Table) -> Option<T>) -> Option<T> {
        let table = self.table.read().unwrap_or_else(|e| e.into_inner());
        f(&table)
    }

    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// The working time of one regular working day: what one business day stands for.
    pub fn day_ms(&self) -> i64 {
        self.hours
            .iter()
            .map(|(o, c)| i64::from(c - o) * MINUTE_MS)
            .sum()
    }

    /// Working time between two instants (zero when `to` is not after `from`).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use playbook::business_time::{Calendar, HOUR_MS};
    /// let cal = Calendar::new("Europe/Berlin", [true, true, true, true, true, false, false],
    ///     &[(9 * 60, 17 * 60)], []).unwrap();
    /// // Friday 16:00 to Monday 10:00 Berlin time (15:00 and 09:00 UTC in winter): 2 hours.
    /// let friday = Utc.with_ymd_and_hms(2026, 1, 9, 15, 0, 0).unwrap();
    /// let monday = Utc.with_ymd_and_hms(2026, 1, 12, 9, 0, 0).unwrap();
    /// assert_eq!(cal.duration(&friday, &monday).num_milliseconds(), 2 * HOUR_MS);
    /// ```
    pub fn duration<A: TimeZone, B: TimeZone>(
        &self,
        from: &DateTime<A>,
        to: &DateTime<B>,
    ) -> Duration {
        Duration::milliseconds(self.duration_ms(from.timestamp_millis(), to.timestamp_millis()))
    }

    /// The instant `span` of working time after `from` (see the module's definition).
    ///
    /// ```
    /// use chrono::{Duration, TimeZone, Utc};
    /// use playbook::business_time::Calendar;
    /// let cal = Calendar::new("Europe/Berlin", [true, true, true, true, true, false, false],
    ///     &[(9 * 60, 17 * 60)], []).unwrap();
    /// // Handed over on Friday at 20:00 Berlin time: 8 business hours end Monday at 17:00.
    /// let friday_evening = Utc.with_ymd_and_hms(2026, 1, 9, 19, 0, 0).unwrap();
    /// let due = cal.deadline(&friday_evening, Duration::hours(8));
    /// assert_eq!(due, Utc.with_ymd_and_hms(2026, 1, 12, 16, 0, 0).unwrap());
    /// ```
    pub fn deadline<Z: TimeZone>(&self, from: &DateTime<Z>, span: Duration) -> DateTime<Utc> {
        let ms = self.deadline_ms(from.timestamp_millis(), span.num_milliseconds());
        Utc.timestamp_millis_opt(ms)
            .single()
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// `span` business days as working time.
    pub fn days(&self, span: i64) -> Duration {
        Duration::milliseconds(span.saturating_mul(self.day_ms()))
    }

    /// Whether `at` falls within working time.
    pub fn is_working<Z: TimeZone>(&self, at: &DateTime<Z>) -> bool {
        let t = at.timestamp_millis();
        let mut table = self.table();
        let k = self.index_of(&mut table, t);
        let day = &table.days[k];
        day.work.iter().any(|(s, e)| *s <= t && t < *e)
    }

    /// [`Calendar::duration`] on milliseconds since the Unix epoch.
    pub fn duration_ms(&self, from: i64, to: i64) -> i64 {
        if to <= from {
            return 0;
        }
        let known = self.read(|table| {
            let (a, b) = (Self::covered(table, from)?, Self::covered(table, to)?);
            Some(self.worked_at(table, b, to) - self.worked_at(table, a, from))
        });
        if let Some(d) = known {
            return d;
        }
        let mut table = self.table();
        let a = self.worked(&mut table, from);
        let b = self.worked(&mut table, to);
        b - a
    }

    /// [`Calendar::deadline`] on milliseconds since the Unix epoch.
    pub fn deadline_ms(&self, from: i64, span: i64) -> i64 {
        if span <= 0 {
            return from;
        }
        let known = self.read(|table| {
            let k0 = Self::covered(table, from)?;
            let target = self.worked_at(table, k0, from) + span;
            let k = k0 + table.days[k0..].partition_point(|d| d.before + d.total() < target);
            Self::locate(table.days.get(k)?, target)
        });
        if let Some(x) = known {
            return x;
        }
        let mut table = self.table();
        let k0 = self.index_of(&mut table, from);
        let target = self.worked_at(&table, k0, from) + span;
        let mut k = k0;
        loop {
            if k >= table.days.len() {
                if table.days.last().is_some_and(|d| d.start > LAST_INSTANT) {
                    return i64::MAX;
                }
                self.extend_forward(&mut table);
            }
            if let Some(x) = Self::locate(&table.days[k], target) {
                return x;
            }
            k += 1;
        }
    }

    /// The instant in `day` at which the working time reaches `target`, if it does.
    fn locate(day: &Day, target: i64) -> Option<i64> {
        if day.before + day.total() < target {
            return None;
        }
        let mut rem = target - day.before;
        for (s, e) in &day.work {
            if rem <= e - s {
                return Some(s + rem);
            }
            rem -= e - s;
        }
        None
    }

    /// `W(t)`: working time before `t`, from the table's origin.
    fn worked(&self, table: &mut Table, t: i64) -> i64 {
        let k = self.index_of(table, t);
        self.worked_at(table, k, t)
    }

    fn worked_at(&self, table: &Table, k: usize, t: i64) -> i64 {
        let day = &table.days[k];
        day.before
            + day
                .work
                .iter()
                .map(|(s, e)| (t - s).clamp(0, e - s))
                .sum::<i64>()
    }

    /// The index of the day whose start is the last one not after `t`, extending the
    /// table as needed.
    fn index_of(&self, table: &mut Table, t: i64) -> usize {
        // Inside the table (not in its first or last day): no zone conversion needed.
        let k = table.days.partition_point(|d| d.start <= t);
        if k >= 2 && k < table.days.len() {
            return k - 1;
        }
        let date = self.local_date(t);
        self.cover(table, date.pred_opt().unwrap_or(date));
        self.cover(table, date.succ_opt().unwrap_or(date));
        table
            .days
            .partition_point(|d| d.start <= t)
            .saturating_sub(1)
    }

    fn local_date(&self, t: i64) -> NaiveDate {
        Utc.timestamp_millis_opt(t)
            .single()
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
            .with_timezone(&self.zone)
            .date_naive()
    }

    /// Extends the table so that it holds `date`.
    fn cover(&self, table: &mut Table, date: NaiveDate) {
        let Some(first) = table.first else {
            let day = self.day(date, 0);
            table.first = Some(date);
            table.days.push(day);
            return;
        };
        while date < table.first.unwrap_or(first) {
            let prev = table.first.and_then(|f| f.pred_opt()).unwrap_or(first);
            let mut day = self.day(prev, 0);
            day.before = table.days[0].before - day.total();
            table.days.insert(0, day);
            table.first = Some(prev);
        }
        while (date - table.first.unwrap_or(first)).num_days() >= table.days.len() as i64 {
            self.extend_forward(table);
        }
    }

    fn extend_forward(&self, table: &mut Table) {
        let first = table.first.expect("the table has a day");
        let date = first + Duration::days(table.days.len() as i64);
        let last = table.days.last().expect("the table has a day");
        let before = last.before + last.total();
        let day = self.day(date, before);
        table.days.push(day);
    }

    /// One local date's start and working intervals.
    fn day(&self, date: NaiveDate, before: i64) -> Day {
        let weekday = date.weekday().num_days_from_monday() as usize;
        let working = self.weekdays[weekday] && !self.holidays.contains(&date);
        let work = if working {
            self.hours
                .iter()
                .map(|(open, close)| (self.instant(date, *open), self.instant(date, *close)))
                .collect()
        } else {
            vec![]
        };
        Day {
            start: self.instant(date, 0),
            before,
            work,
        }
    }

    /// The first instant at which the local clock on `date` shows `minute` (of the day;
    /// 1440 is the next midnight) or later: the instant itself when it exists once, its
    /// first occurrence in an autumn overlap, the end of the gap in a spring-forward gap.
    pub fn instant(&self, date: NaiveDate, minute: u32) -> i64 {
        let local = date
            .and_hms_opt(0, 0, 0)
            .expect("midnight exists as a naive time")
            + Duration::minutes(i64::from(minute));
        match self.zone.from_local_datetime(&local) {
            LocalResult::Single(t) => t.timestamp_millis(),
            LocalResult::Ambiguous(a, b) => a.timestamp_millis().min(b.timestamp_millis()),
            LocalResult::None => {
                // In a gap: find the first local time after it, minute by minute, then the
                // exact second (zones whose offsets have seconds exist in old data).
                let mut step = 1;
                loop {
                    let later = local + Duration::minutes(step);
                    if let Some(t) = self.earliest(later) {
                        let mut exact = t;
                        for s in (1..60).rev() {
                            match self.earliest(later - Duration::seconds(s)) {
                                Some(e) => {
                                    exact = e;
                                    break;
                                }
                                None => continue,
                            }
                        }
                        return exact;
                    }
                    step += 1;
                    if step > 48 * 60 {
                        return t_fallback(local);
                    }
                }
            }
        }
    }

    fn earliest(&self, local: chrono::NaiveDateTime) -> Option<i64> {
        match self.zone.from_local_datetime(&local) {
            LocalResult::Single(t) => Some(t.timestamp_millis()),
            LocalResult::Ambiguous(a, b) => Some(a.timestamp_millis().min(b.timestamp_millis())),
            LocalResult::None => None,
        }
    }
}

/// A zone that skipped two whole days does not exist; read the local time as UTC.
fn t_fallback(local: chrono::NaiveDateTime) -> i64 {
    local.and_utc().timestamp_millis()
}

/// `09:30` for 570 minutes.
pub fn clock_text(minute: u32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// Minutes of the day from `HH:MM` (`24:00` is the day's end).
pub fn parse_clock(text: &str) -> Option<u32> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    let minute = h * 60 + m;
    (m < 60 && minute <= 1440).then_some(minute)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weekdays() -> [bool; 7] {
        [true, true, true, true, true, false, false]
    }

    #[test]
    fn clock_texts_round_trip() {
        assert_eq!(parse_clock("09:30"), Some(570));
        assert_eq!(parse_clock("24:00"), Some(1440));
        assert_eq!(parse_clock("24:01"), None);
        assert_eq!(parse_clock("9:75"), None);
        assert_eq!(clock_text(570), "09:30");
    }

    #[test]
    fn refuses_calendars_that_cannot_be_used() {
        assert!(
            Calendar::new("Mars/Olympus", weekdays(), &[(540, 1020)], [])
                .unwrap_err()
                .contains("IANA")
        );
        assert!(Calendar::new("UTC", [false; 7], &[(540, 1020)], []).is_err());
        assert!(Calendar::new("UTC", weekdays(), &[(600, 540)], []).is_err());
        assert!(
            Calendar::new("UTC", weekdays(), &[(540, 720), (700, 1020)], [])
                .unwrap_err()
                .contains("overlap")
        );
    }

    #[test]
    fn gap_and_overlap_times_follow_the_documented_rule() {
        let cal = Calendar::new("Europe/Berlin", weekdays(), &[(540, 1020)], []).unwrap();
        // 2026-03-29 02:30 does not exist in Berlin: the clocks jump at 01:00 UTC.
        let spring = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
        assert_eq!(
            cal.instant(spring, 150),
            Utc.with_ymd_and_hms(2026, 3, 29, 1, 0, 0)
                .unwrap()
                .timestamp_millis()
        );
        // 2026-10-25 02:30 happens twice; the first is 00:30 UTC (still summer time).
        let autumn = NaiveDate::from_ymd_opt(2026, 10, 25).unwrap();
        assert_eq!(
            cal.instant(autumn, 150),
            Utc.with_ymd_and_hms(2026, 10, 25, 0, 30, 0)
                .unwrap()
                .timestamp_millis()
        );
    }
}

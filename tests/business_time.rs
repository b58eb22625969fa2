//! Business-time arithmetic: property tests over random calendars (zones with ordinary,
//! half-hour and midnight clock changes, random weekdays, hours that may fall into the
//! changes, holidays) and worked examples across Europe's and North America's changes.
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use playbook::business_time::{Calendar, HOUR_MS};
use proptest::prelude::*;

const WEEK: [bool; 7] = [true, true, true, true, true, false, false];

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

fn office(zone: &str) -> Calendar {
    Calendar::new(zone, WEEK, &[(9 * 60, 17 * 60)], []).unwrap()
}

#[test]
fn europe_spring_change_keeps_local_hours() {
    let cal = office("Europe/Berlin");
    // Friday 27 March 2026, 16:00 CET; clocks jump on Sunday 29 March.
    let friday = utc(2026, 3, 27, 15, 0);
    // 1 hour on Friday, 7 on Monday from 09:00 CEST (07:00 UTC): 16:00 CEST = 14:00 UTC.
    assert_eq!(
        cal.deadline(&friday, Duration::hours(8)),
        utc(2026, 3, 30, 14, 0)
    );
    // Open every day: the change day itself still works 09:00–17:00 local, 8 real hours.
    let daily = Calendar::new("Europe/Berlin", [true; 7], &[(540, 1020)], []).unwrap();
    let sunday = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
    assert_eq!(
        daily.instant(sunday, 540),
        utc(2026, 3, 29, 7, 0).timestamp_millis()
    );
    assert_eq!(
        daily.duration(&utc(2026, 3, 29, 0, 0), &utc(2026, 3, 30, 0, 0)),
        Duration::hours(8)
    );
}

#[test]
fn europe_autumn_change_keeps_local_hours() {
    let cal = office("Europe/Berlin");
    // Friday 23 October 2026, 16:00 CEST (14:00 UTC); clocks fall back on Sunday 25th.
    let friday = utc(2026, 10, 23, 14, 0);
    // Monday 26th 16:00 CET is 15:00 UTC: eight business hours, 73 real hours later.
    let due = cal.deadline(&friday, Duration::hours(8));
    assert_eq!(due, utc(2026, 10, 26, 15, 0));
    assert_eq!((due - friday).num_hours(), 73);
    assert_eq!(cal.duration(&friday, &due), Duration::hours(8));
}

#[test]
fn north_america_changes_and_hours_inside_the_gap_and_overlap() {
    let cal = office("America/New_York");
    // Friday 6 March 2026 15:00 EST (20:00 UTC) + 4 business hours: Monday 11:00 EDT.
    assert_eq!(
        cal.deadline(&utc(2026, 3, 6, 20, 0), Duration::hours(4)),
        utc(2026, 3, 9, 15, 0)
    );
    // Friday 30 October 15:00 EDT (19:00 UTC) + 4: Monday 2 November 11:00 EST (16:00 UTC).
    assert_eq!(
        cal.deadline(&utc(2026, 10, 30, 19, 0), Duration::hours(4)),
        utc(2026, 11, 2, 16, 0)
    );
    // Hours 01:00–04:00 on the spring day (02:00–03:00 does not exist): 2 real hours.
    let night = Calendar::new("America/New_York", [true; 7], &[(60, 240)], []).unwrap();
    let (a, b) = (utc(2026, 3, 8, 5, 0), utc(2026, 3, 8, 12, 0));
    assert_eq!(night.duration(&a, &b), Duration::hours(2));
    // Hours 01:00–03:00 on the autumn day (01:00–02:00 happens twice): from the first
    // 01:00 (05:00 UTC) to 03:00 EST (08:00 UTC), 3 real hours.
    let night = Calendar::new("America/New_York", [true; 7], &[(60, 180)], []).unwrap();
    let nov1 = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
    assert_eq!(
        night.instant(nov1, 60),
        utc(2026, 11, 1, 5, 0).timestamp_millis()
    );
    let (a, b) = (utc(2026, 11, 1, 4, 0), utc(2026, 11, 1, 12, 0));
    assert_eq!(night.duration(&a, &b), Duration::hours(3));
    // Around the clock: the spring day has 23 hours, the autumn day 25.
    let always = Calendar::new("America/New_York", [true; 7], &[(0, 1440)], []).unwrap();
    let local_midnight = |d: u32, m: u32, offset: u32| utc(2026, m, d, offset, 0);
    assert_eq!(
        always.duration(&local_midnight(8, 3, 5), &local_midnight(9, 3, 4)),
        Duration::hours(23)
    );
    assert_eq!(
        always.duration(&local_midnight(1, 11, 4), &local_midnight(2, 11, 5)),
        Duration::hours(25)
    );
}

#[test]
fn holidays_and_weekends_are_skipped() {
    let christmas = [
        NaiveDate::from_ymd_opt(2026, 12, 24).unwrap(),
        NaiveDate::from_ymd_opt(2026, 12, 25).unwrap(),
    ];
    let cal = Calendar::new("Europe/Berlin", WEEK, &[(540, 1020)], christmas).unwrap();
    // Wednesday 23 December 15:00 CET + 8: 2 hours that day, Thu/Fri holidays, weekend,
    // 6 hours on Monday 28th: 15:00 CET = 14:00 UTC.
    assert_eq!(
        cal.deadline(&utc(2026, 12, 23, 14, 0), Duration::hours(8)),
        utc(2026, 12, 28, 14, 0)
    );
    assert!(!cal.is_working(&utc(2026, 12, 24, 10, 0)));
    assert!(cal.is_working(&utc(2026, 12, 23, 10, 0)));
}

#[test]
fn friday_evening_starts_at_the_next_opening() {
    let cal = office("Europe/Berlin");
    let friday_evening = utc(2026, 1, 9, 19, 0); // 20:00 CET
    assert_eq!(
        cal.deadline(&friday_evening, Duration::hours(4)),
        utc(2026, 1, 12, 12, 0),
        "Monday 09:00 CET + 4 hours"
    );
    assert_eq!(
        cal.duration(&friday_evening, &utc(2026, 1, 12, 8, 0)),
        Duration::zero(),
        "nothing counts until Monday's opening"
    );
    // A deadline that lands on a closing time is that closing time.
    assert_eq!(
        cal.deadline(&friday_evening, Duration::hours(8)),
        utc(2026, 1, 12, 16, 0)
    );
    // Business days: two after Tuesday 10:00 is Thursday 10:00.
    let tuesday = utc(2026, 1, 13, 9, 0);
    assert_eq!(cal.deadline(&tuesday, cal.days(2)), utc(2026, 1, 15, 9, 0));
}

#[test]
fn timestamps_in_another_offset_than_the_calendar() {
    let cal = office("Europe/Berlin");
    // 13:00 in New York's winter offset is 19:00 in Berlin: after hours on Friday.
    let ny: DateTime<FixedOffset> =
        DateTime::parse_from_rfc3339("2026-01-09T13:00:00-05:00").unwrap();
    assert_eq!(
        cal.deadline(&ny, Duration::hours(4)),
        utc(2026, 1, 12, 12, 0)
    );
    // 09:30 in Tokyo on Monday is 01:30 in Berlin: the clock starts at Berlin's 09:00.
    let tokyo: DateTime<FixedOffset> =
        DateTime::parse_from_rfc3339("2026-01-12T09:30:00+09:00").unwrap();
    assert_eq!(
        cal.deadline(&tokyo, Duration::hours(1)),
        utc(2026, 1, 12, 9, 0)
    );
    let same_instant_utc = tokyo.with_timezone(&Utc);
    assert_eq!(
        cal.deadline(&tokyo, Duration::hours(3)),
        cal.deadline(&same_instant_utc, Duration::hours(3))
    );
}

/// Zones with ordinary changes, a half-hour change, a change at midnight, none at all.
const ZONES: [&str; 7] = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "America/Sao_Paulo",
];

fn calendar() -> impl Strategy<Value = Calendar> {
    (
        0..ZONES.len(),
        1u8..128,
        // One or two intervals; starts anywhere in the day, so some fall into changes.
        (
            0u32..1380,
            15u32..600,
            proptest::option::of((0u32..300, 15u32..300)),
        ),
        proptest::collection::vec(0i64..1100, 0..12),
    )
        .prop_map(|(zone, days, (open, len, second), holidays)| {
            let weekdays = std::array::from_fn(|i| days & (1 << i) != 0);
            let close = (open + len).min(1440);
            let mut hours = vec![(open, close)];
            if let Some((gap, len2)) = second {
                let open2 = close + gap;
                if open2 + len2 <= 1440 {
                    hours.push((open2, open2 + len2));
                }
            }
            let base = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
            let holidays = holidays.into_iter().map(|d| base + Duration::days(d));
            Calendar::new(ZONES[zone], weekdays, &hours, holidays).unwrap()
        })
}

fn instant() -> impl Strategy<Value = i64> {
    let from = utc(2025, 1, 1, 0, 0).timestamp_millis();
    let to = utc(2027, 12, 31, 0, 0).timestamp_millis();
    from..to
}

fn span() -> impl Strategy<Value = i64> {
    prop_oneof![0i64..(200 * HOUR_MS), (0i64..400).prop_map(|h| h * HOUR_MS)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn deadlines_add_up(cal in calendar(), t in instant(), a in span(), b in span()) {
        let direct = cal.deadline_ms(t, a + b);
        let stepped = cal.deadline_ms(cal.deadline_ms(t, a), b);
        prop_assert_eq!(direct, stepped);
    }

    #[test]
    fn duration_to_the_deadline_is_the_span(cal in calendar(), t in instant(), d in span()) {
        let due = cal.deadline_ms(t, d);
        prop_assert!(due >= t);
        prop_assert_eq!(cal.duration_ms(t, due), d);
        // A fresh calendar (nothing cached, days built in another order) agrees.
        prop_assert_eq!(cal.clone().deadline_ms(t, d), due);
    }

    #[test]
    fn monotonic(cal in calendar(), t1 in instant(), dt in 0i64..(30 * 24 * HOUR_MS), d1 in span(), dd in span()) {
        let t2 = t1 + dt;
        prop_assert!(cal.deadline_ms(t1, d1) <= cal.deadline_ms(t2, d1));
        prop_assert!(cal.deadline_ms(t1, d1) <= cal.deadline_ms(t1, d1 + dd));
        prop_assert!(cal.duration_ms(t1, t2) <= cal.duration_ms(t1, t2 + dd));
        prop_assert!(cal.duration_ms(t1, t2) <= t2 - t1, "working time never exceeds real time");
        prop_assert_eq!(cal.duration_ms(t2, t1), 0);
    }
}

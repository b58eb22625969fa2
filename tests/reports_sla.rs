//! The SLAs on the meeting's agenda and the home screen count what the SLA report counts:
//! for periods of a week, a month and a quarter, and the period before each, every SLA's
//! met, breached and pending items equal `playbook sla report`'s for the same window, each
//! side's are the sum of the SLAs it owes, and the breaches shown as examples are breached
//! items of the period, newest first, named.
mod common;

use std::collections::HashMap;

use chrono::Utc;
use common::demo_db;
use playbook::reports::ops::Basis;
use playbook::reports::period::{today, Period, Span};
use playbook::reports::sla::{for_period, summarize, SlaCounts};
use playbook::slas::cache::State;
use playbook::slas::ops::SlaCache;
use playbook::slas::report::{sla_report, Window};
use playbook::slas::ItemStatus;
use playbook::team::Side;

/// The SLA report of one window: per SLA key (met, breached, pending), and its breached
/// items as (contact id, start).
#[allow(clippy::type_complexity)]
fn oracle(
    state: &State,
    span: Span,
    now: i64,
) -> (
    HashMap<String, (u32, u32, u32, Side)>,
    Vec<(String, String)>,
) {
    let w = Window {
        from: span.start,
        to: span.end,
        as_of: span.end.min(now),
    };
    let r = sla_report(state, &w);
    let counts = r
        .slas
        .iter()
        .filter(|s| s.total > 0)
        .map(|s| (s.key.clone(), (s.met, s.breached, s.pending, s.owner_side)))
        .collect();
    let breached = r
        .slas
        .iter()
        .flat_map(|s| &s.items)
        .filter(|i| i.status == ItemStatus::Breached)
        .map(|i| (i.contact_id.clone(), i.started_at.clone()))
        .collect();
    (counts, breached)
}

fn triple(c: &SlaCounts) -> (u32, u32, u32) {
    (c.met, c.breached, c.pending)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agenda_counts_what_the_sla_report_counts() {
    let (_dir, db) = demo_db().await;
    let basis = Basis::load(&db).await.unwrap();
    let mut conn = db.acquire().await.unwrap();
    let state = State::build(&mut conn).await.unwrap();
    let now = Utc::now().timestamp_millis();
    let end = today(basis.zone);
    for days in [7, 30, 90] {
        let period = Period {
            from: (end - chrono::Duration::days(days - 1)).to_string(),
            to: end.to_string(),
        };
        let before = period.previous().unwrap();
        let spans = (basis.span(&period).unwrap(), basis.span(&before).unwrap());
        let got =
            summarize(&state, &period, spans.0, spans.1, now).expect("the demo's SLAs have items");

        for (when, span) in [("now", spans.0), ("before", spans.1)] {
            let (expected, breached) = oracle(&state, span, now);
            let lines: HashMap<String, (u32, u32, u32, Side)> = got
                .slas
                .iter()
                .map(|l| {
                    let c = if when == "now" { &l.now } else { &l.before };
                    (l.key.clone(), (c.met, c.breached, c.pending, l.owner_side))
                })
                .filter(|(_, c)| c.0 + c.1 + c.2 > 0)
                .collect();
            assert_eq!(lines, expected, "{days} days, {when}: per SLA");
            for side in &got.sides {
                let c = if when == "now" {
                    &side.now
                } else {
                    &side.before
                };
                let sum = expected
                    .values()
                    .filter(|e| e.3 == side.side)
                    .fold((0, 0, 0), |a, e| (a.0 + e.0, a.1 + e.1, a.2 + e.2));
                assert_eq!(
                    triple(c),
                    sum,
                    "{days} days, {when}: {:?} is the sum of the SLAs it owes",
                    side.side
                );
                let kept = (c.met + c.breached > 0).then(|| {
                    (f64::from(c.met) * 1000.0 / f64::from(c.met + c.breached)).round() / 10.0
                });
                assert_eq!(
                    c.compliance, kept,
                    "{days} days, {when}: compliance in percent"
                );
            }
            if when == "now" {
                assert_eq!(
                    got.breach_count as usize,
                    breached.len(),
                    "{days} days: every breached item counted"
                );
                let shown: Vec<(String, String)> = got
                    .breaches
                    .iter()
                    .map(|b| (b.contact_id.clone(), b.started_at.clone()))
                    .collect();
                assert!(
                    shown.iter().all(|b| breached.contains(b)),
                    "{days} days: examples are breaches of the period"
                );
                assert!(
                    got.breaches
                        .windows(2)
                        .all(|p| p[0].started_at >= p[1].started_at),
                    "{days} days: newest first"
                );
            }
        }
        assert_eq!(
            got.sides.iter().map(|s| s.side).collect::<Vec<_>>(),
            [Side::Marketing, Side::Sales]
        );
    }

    // Through the window's SLA state: the same numbers, with contacts and owners named.
    let end_period = Period {
        from: (end - chrono::Duration::days(89)).to_string(),
        to: end.to_string(),
    };
    let spans = (
        basis.span(&end_period).unwrap(),
        basis.span(&end_period.previous().unwrap()).unwrap(),
    );
    let named = for_period(&mut conn, &SlaCache::default(), &end_period, spans)
        .await
        .unwrap()
        .unwrap();
    assert!(
        !named.breaches.is_empty(),
        "the demo breaches some SLA in 90 days"
    );
    assert!(
        named.breaches.iter().all(|b| !b.contact_name.is_empty()),
        "breaches name their contact"
    );
    let bare = summarize(
        &state,
        &end_period,
        spans.0,
        spans.1,
        Utc::now().timestamp_millis(),
    )
    .unwrap();
    assert_eq!(
        named
            .sides
            .iter()
            .map(|s| triple(&s.now))
            .collect::<Vec<_>>(),
        bare.sides
            .iter()
            .map(|s| triple(&s.now))
            .collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_sla_item_no_agenda_item() {
    let (_dir, db) = demo_db().await;
    let basis = Basis::load(&db).await.unwrap();
    let mut conn = db.acquire().await.unwrap();
    let state = State::build(&mut conn).await.unwrap();
    // Long before the demo's history: nothing started, nothing to put on the agenda.
    let period = Period {
        from: "2001-01-01".into(),
        to: "2001-01-31".into(),
    };
    let spans = (
        basis.span(&period).unwrap(),
        basis.span(&period.previous().unwrap()).unwrap(),
    );
    assert_eq!(
        summarize(
            &state,
            &period,
            spans.0,
            spans.1,
            Utc::now().timestamp_millis()
        ),
        None
    );
}

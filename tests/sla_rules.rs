//! SLA evaluation as a pure function of (events, SLAs and calendars in force, instant):
//! every rule kind, every status, and a rule changed mid-period (older items keep the
//! version that was in force when they started).
use chrono::{TimeZone, Utc};
use playbook::agreements::sla_model::{
    BusinessSpan, BusinessUnit, Period, SlaRule, Weekday, WorkingHours,
};
use playbook::agreements::{
    AgreementBody, AgreementItem, AgreementKind, AgreementVersion, CalendarBody, SlaBody,
    VersionStatus,
};
use playbook::handoffs::EventKind;
use playbook::slas::evaluate::{self, Mark};
use playbook::slas::report::{periods, Window};
use playbook::slas::terms::Terms;
use playbook::slas::{Fact, Item, ItemStatus};
use playbook::team::Side;

/// Monday 2 November 2026, `h`:`m` UTC (the calendar is UTC, Monday to Friday, 9 to 17).
fn at(day: u32, h: u32, m: u32) -> i64 {
    Utc.with_ymd_and_hms(2026, 11, day, h, m, 0)
        .unwrap()
        .timestamp_millis()
}

fn version(key: &str, n: u32, effective: i64, body: AgreementBody) -> AgreementVersion {
    let at = playbook::db::ts(Utc.timestamp_millis_opt(effective).unwrap());
    AgreementVersion {
        id: format!("{key}-{n}"),
        item_id: key.into(),
        kind: body.kind(),
        key: key.into(),
        number: n,
        name: format!("{key} v{n}"),
        body,
        summary: String::new(),
        effective_from: None,
        author_id: None,
        author_name: None,
        created_at: at.clone(),
        hash: String::new(),
        problem: None,
        status: VersionStatus::InForce,
        effective_at: Some(at),
        awaiting: vec![],
        log: vec![],
        you_may_sign: false,
        sign_blocker: None,
    }
}

fn item(kind: AgreementKind, key: &str, versions: Vec<AgreementVersion>) -> AgreementItem {
    AgreementItem {
        id: key.into(),
        kind,
        key: key.into(),
        name: key.into(),
        in_force: versions.last().cloned(),
        pending: None,
        scheduled: None,
        draft: None,
        versions,
    }
}

fn calendar() -> AgreementItem {
    let body = AgreementBody::BusinessCalendar(CalendarBody {
        time_zone: "UTC".into(),
        working_days: Weekday::ALL[..5].to_vec(),
        hours: vec![WorkingHours {
            from: "09:00".into(),
            to: "17:00".into(),
        }],
        holidays: vec![],
    });
    item(
        AgreementKind::BusinessCalendar,
        "office",
        vec![version("office", 1, at(1, 0, 0), body)],
    )
}

fn sla(rule: SlaRule) -> AgreementBody {
    AgreementBody::Sla(SlaBody {
        owner: Side::Sales,
        calendar: "office".into(),
        rule,
        description: String::new(),
    })
}

fn hours(amount: u32) -> BusinessSpan {
    BusinessSpan {
        amount,
        unit: BusinessUnit::Hours,
    }
}

fn terms(rules: Vec<(i64, SlaRule)>) -> Terms {
    let versions = rules
        .into_iter()
        .enumerate()
        .map(|(i, (eff, r))| version("the_sla", i as u32 + 1, eff, sla(r)))
        .collect();
    Terms::new(&[calendar(), item(AgreementKind::Sla, "the_sla", versions)])
}

fn fact(kind: EventKind, at: i64, stage: u16) -> Fact {
    Fact {
        kind,
        at,
        stage,
        actor: Some(1),
        assignee: None,
        reason: false,
        note: false,
    }
}

const MQL: u16 = 1;
const SAL: u16 = 2;
const NURTURE: u16 = 3;
const OUT: u16 = 4;

fn stage_index(key: &str) -> Option<u16> {
    ["inquiry", "mql", "sal", "nurture", "out"]
        .iter()
        .position(|k| *k == key)
        .map(|i| i as u16)
}

fn items(terms: &Terms, facts: &[Fact]) -> Vec<Item> {
    evaluate::contact(terms, &stage_index, 0, facts, Some(9)).0
}

fn status(i: &Item, t: i64) -> Option<ItemStatus> {
    i.status(t)
}

fn response(within: u32) -> SlaRule {
    SlaRule::ResponseTime {
        start: EventKind::HandedOver,
        done: vec![EventKind::Accepted, EventKind::Rejected],
        within: hours(within),
    }
}

#[test]
fn response_time_met_breached_pending_and_lapsed() {
    let t = terms(vec![(at(1, 0, 0), response(8))]);
    let handed = fact(EventKind::HandedOver, at(2, 10, 0), MQL);
    // Due Tuesday 10:00 (7 hours on Monday, 1 on Tuesday).
    let on_time = items(&t, &[handed, fact(EventKind::Accepted, at(3, 9, 30), SAL)]);
    assert_eq!(on_time[0].deadline, Some(at(3, 10, 0)));
    assert_eq!(status(&on_time[0], at(4, 0, 0)), Some(ItemStatus::Met));
    assert_eq!(
        on_time[0].owner,
        Some(1),
        "whoever responded answers for it"
    );
    let late = items(
        &t,
        &[handed, fact(EventKind::Rejected, at(3, 11, 0), NURTURE)],
    );
    assert_eq!(status(&late[0], at(4, 0, 0)), Some(ItemStatus::Breached));
    // As of an instant before the response, the same item was pending, then breached.
    assert_eq!(status(&late[0], at(3, 9, 0)), Some(ItemStatus::Pending));
    assert_eq!(status(&late[0], at(3, 10, 30)), Some(ItemStatus::Breached));
    assert_eq!(status(&late[0], at(2, 9, 0)), None, "not started yet");
    let open = items(&t, &[handed]);
    assert_eq!(status(&open[0], at(2, 12, 0)), Some(ItemStatus::Pending));
    assert_eq!(status(&open[0], at(5, 12, 0)), Some(ItemStatus::Breached));
    assert_eq!(
        open[0].owner,
        Some(9),
        "nobody responded: the contact's owner answers"
    );
    // Disqualified by sales before the deadline: no longer owed, not counted; after it: late.
    let early = items(
        &t,
        &[handed, fact(EventKind::Disqualified, at(2, 15, 0), OUT)],
    );
    assert_eq!(status(&early[0], at(5, 0, 0)), None);
    let after = items(
        &t,
        &[handed, fact(EventKind::Disqualified, at(3, 15, 0), OUT)],
    );
    assert_eq!(status(&after[0], at(5, 0, 0)), Some(ItemStatus::Breached));
}

#[test]
fn first_touch_counts_from_acceptance_to_the_first_attempt() {
    let t = terms(vec![(
        at(1, 0, 0),
        SlaRule::FirstTouch {
            start: EventKind::Accepted,
            done: vec![EventKind::Attempt],
            within: hours(4),
        },
    )]);
    // Accepted Friday 6 November 16:00: one hour on Friday, three on Monday: due 12:00.
    let accepted = fact(EventKind::Accepted, at(6, 16, 0), SAL);
    let touched = items(&t, &[accepted, fact(EventKind::Attempt, at(9, 11, 0), SAL)]);
    assert_eq!(touched[0].deadline, Some(at(9, 12, 0)));
    assert_eq!(status(&touched[0], at(10, 0, 0)), Some(ItemStatus::Met));
    assert_eq!(touched[0].done_at(at(10, 0, 0)), Some(at(9, 11, 0)));
    let slow = items(&t, &[accepted, fact(EventKind::Attempt, at(9, 13, 0), SAL)]);
    assert_eq!(status(&slow[0], at(10, 0, 0)), Some(ItemStatus::Breached));
}

#[test]
fn attempts_before_recycle_is_judged_at_the_recycle() {
    let t = terms(vec![(
        at(1, 0, 0),
        SlaRule::AttemptsBeforeRecycle {
            counting_from: EventKind::Accepted,
            attempt: EventKind::Attempt,
            ending: vec![EventKind::Recycled, EventKind::Disqualified],
            at_least: 3,
        },
    )]);
    let mut facts = vec![fact(EventKind::Accepted, at(2, 10, 0), SAL)];
    for h in 11..13 {
        facts.push(fact(EventKind::Attempt, at(2, h, 0), SAL));
    }
    let mut early = facts.clone();
    early.push(fact(EventKind::Recycled, at(3, 10, 0), NURTURE));
    let judged = items(&t, &early);
    assert_eq!(judged.len(), 1);
    assert_eq!(
        status(&judged[0], at(9, 0, 0)),
        Some(ItemStatus::Breached),
        "two attempts"
    );
    facts.push(fact(EventKind::Attempt, at(2, 14, 0), SAL));
    facts.push(fact(EventKind::Disqualified, at(3, 10, 0), OUT));
    assert_eq!(
        status(&items(&t, &facts)[0], at(9, 0, 0)),
        Some(ItemStatus::Met)
    );
    // Recycled by marketing before anyone accepted it: nothing was owed.
    let never = [fact(EventKind::Recycled, at(2, 10, 0), NURTURE)];
    assert!(items(&t, &never).is_empty());
}

#[test]
fn reason_required_wants_a_reason_and_if_asked_a_note() {
    let t = terms(vec![(
        at(1, 0, 0),
        SlaRule::ReasonRequired {
            events: vec![EventKind::Rejected],
            note_required: true,
        },
    )]);
    let mut with_both = fact(EventKind::Rejected, at(2, 10, 0), NURTURE);
    with_both.reason = true;
    with_both.note = true;
    let no_note = Fact {
        note: false,
        ..with_both
    };
    let nothing = Fact {
        reason: false,
        ..no_note
    };
    let judged: Vec<_> = [with_both, no_note, nothing]
        .iter()
        .map(|f| status(&items(&t, &[*f])[0], at(9, 0, 0)))
        .collect();
    assert_eq!(
        judged,
        [
            Some(ItemStatus::Met),
            Some(ItemStatus::Breached),
            Some(ItemStatus::Breached)
        ]
    );
}

#[test]
fn max_time_in_stage_names_its_stage_by_key() {
    let t = terms(vec![(
        at(1, 0, 0),
        SlaRule::MaxTimeInStage {
            stage: "sal".into(),
            within: BusinessSpan {
                amount: 2,
                unit: BusinessUnit::Days,
            },
        },
    )]);
    let entered = fact(EventKind::Accepted, at(2, 10, 0), SAL);
    let stays = fact(EventKind::Attempt, at(3, 10, 0), SAL);
    // Two business days from Monday 10:00: Wednesday 10:00.
    let left = items(
        &t,
        &[entered, stays, fact(EventKind::Qualified, at(4, 9, 0), 5)],
    );
    assert_eq!(
        left.len(),
        1,
        "staying in the stage does not start a new stay"
    );
    assert_eq!(left[0].deadline, Some(at(4, 10, 0)));
    assert_eq!(status(&left[0], at(9, 0, 0)), Some(ItemStatus::Met));
    let still = items(&t, &[entered, stays]);
    assert_eq!(status(&still[0], at(3, 12, 0)), Some(ItemStatus::Pending));
    assert_eq!(status(&still[0], at(4, 11, 0)), Some(ItemStatus::Breached));
}

fn marks(terms: &Terms, facts: &[Fact]) -> Vec<Mark> {
    evaluate::contact(terms, &stage_index, 0, facts, None).1
}

#[test]
fn volume_is_judged_per_period() {
    let t = terms(vec![(
        at(1, 0, 0),
        SlaRule::Volume {
            event: EventKind::HandedOver,
            at_least: 2,
            per: Period::Week,
        },
    )]);
    // Week of 2 Nov: two handovers; week of 9 Nov: one; week of 16 Nov: one so far.
    let facts: Vec<Fact> = [at(2, 10, 0), at(4, 10, 0), at(10, 10, 0), at(17, 10, 0)]
        .iter()
        .map(|a| fact(EventKind::HandedOver, *a, MQL))
        .collect();
    let m = marks(&t, &facts);
    let w = Window {
        from: i64::MIN,
        to: i64::MAX,
        as_of: at(18, 12, 0),
    };
    let p = periods(&t, 0, &m, &w);
    let got: Vec<(u32, ItemStatus)> = p.iter().map(|p| (p.count, p.status)).collect();
    assert_eq!(
        got,
        [
            (2, ItemStatus::Met),
            (1, ItemStatus::Breached),
            (1, ItemStatus::Pending)
        ]
    );
    assert_eq!(
        p[0].start,
        at(2, 0, 0),
        "weeks start on Monday in the calendar's zone"
    );
}

#[test]
fn conversion_rate_counts_the_cohort_of_each_period() {
    let t = terms(vec![(
        at(1, 0, 0),
        SlaRule::ConversionRate {
            start: EventKind::HandedOver,
            reached: vec![EventKind::Accepted],
            reached_stage: None,
            at_least_percent: 60,
            per: Period::Week,
        },
    )]);
    let handed = |d| fact(EventKind::HandedOver, at(d, 10, 0), MQL);
    let accepted = |d| fact(EventKind::Accepted, at(d, 12, 0), SAL);
    let rejected = |d| fact(EventKind::Rejected, at(d, 12, 0), NURTURE);
    // Three contacts: week 1 two of three accepted (67%), week 2 one of three (33%).
    let histories = [
        vec![handed(2), accepted(2), handed(9), rejected(9)],
        vec![handed(3), accepted(3), handed(10), accepted(10)],
        vec![handed(4), rejected(4), handed(11), rejected(11), handed(16)],
    ];
    let mut all: Vec<Mark> = histories.iter().flat_map(|h| marks(&t, h)).collect();
    all.sort_by_key(|m| m.at);
    let w = Window {
        from: i64::MIN,
        to: i64::MAX,
        as_of: at(17, 0, 0),
    };
    let got: Vec<(u32, u32, ItemStatus)> = periods(&t, 0, &all, &w)
        .iter()
        .map(|p| (p.count, p.reached, p.status))
        .collect();
    assert_eq!(
        got,
        [
            (3, 2, ItemStatus::Met),
            (3, 1, ItemStatus::Breached),
            (1, 0, ItemStatus::Pending)
        ]
    );
}

#[test]
fn a_rule_changed_mid_period_judges_only_what_starts_after_it() {
    // v1: 8 business hours; v2, in force from Wednesday 4 November 12:00: 2 hours.
    let t = terms(vec![
        (at(1, 0, 0), response(8)),
        (at(4, 12, 0), response(2)),
    ]);
    let respond = |start: i64, end: i64| {
        items(
            &t,
            &[
                fact(EventKind::HandedOver, start, MQL),
                fact(EventKind::Accepted, end, SAL),
            ],
        )[0]
    };
    // Both take 4 business hours to answer.
    let old = respond(at(3, 10, 0), at(3, 14, 0));
    let new = respond(at(5, 10, 0), at(5, 14, 0));
    assert_eq!((old.version, new.version), (1, 2));
    assert_eq!(
        status(&old, at(9, 0, 0)),
        Some(ItemStatus::Met),
        "judged by v1"
    );
    assert_eq!(
        status(&new, at(9, 0, 0)),
        Some(ItemStatus::Breached),
        "judged by v2"
    );
    // An item started before the change, still open after it, keeps v1's deadline.
    let straddling = items(&t, &[fact(EventKind::HandedOver, at(4, 11, 0), MQL)])[0];
    assert_eq!(straddling.version, 1);
    assert_eq!(straddling.deadline, Some(at(5, 11, 0)));
}

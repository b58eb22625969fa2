//! The SLA state kept between scorecards always equals a full recomputation: random
//! histories are extended one signed event at a time (some typed in late, dated in the
//! past) on a real SQLite workspace, and after each one the refreshed state, its report
//! and its scorecard are compared with a fresh build. The compiled fold the SLAs use is
//! also compared, event by event, with the handoff log's own replay.
mod common;

use chrono::{Duration, Utc};
use common::{demo_db, signer, Rng, DANIEL, LUKAS, MAYA, PRIYA, SOFIA};
use playbook::agreements::{AgreementBody, AgreementKind, ReasonUse};
use playbook::handoffs::records::of_contact;
use playbook::handoffs::replay::{replay, Outcome};
use playbook::handoffs::store::Ledger;
use playbook::handoffs::{EventKind, EventRequest};
use playbook::slas::cache::State;
use playbook::slas::report::{self, TrendPeriod, Window};

fn window() -> Window {
    Window {
        from: i64::MIN,
        to: i64::MAX,
        as_of: Utc::now().timestamp_millis(),
    }
}

/// `ahead`: how far past now the second scorecard is judged (it only moves forward).
fn assert_same(cached: &mut State, fresh: &State, round: usize, ahead: i64) {
    assert_eq!(
        cached.contents(),
        fresh.contents(),
        "round {round}: items differ"
    );
    let w = window();
    assert_eq!(
        report::sla_report(cached, &w),
        report::sla_report(fresh, &w),
        "round {round}: reports differ"
    );
    for period in [TrendPeriod::Week, TrendPeriod::Month] {
        let mut a = report::scorecard(cached, &w, period);
        let mut b = report::scorecard(fresh, &w, period);
        // Member ids stand where names go; the interning order may differ.
        a.owners.sort_by(|x, y| x.member_id.cmp(&y.member_id));
        b.owners.sort_by(|x, y| x.member_id.cmp(&y.member_id));
        assert_eq!(a, b, "round {round}: scorecards differ");
    }
    // The window's scorecard comes from counts kept between scorecards and updated for the
    // re-judged contact alone: equal to a count from scratch now (the new event came after
    // the last scorecard) and at a later instant (items settle as it passes deadlines).
    for (period, as_of) in [
        (TrendPeriod::Week, w.as_of),
        (TrendPeriod::Month, w.as_of + ahead),
    ] {
        let w = Window { as_of, ..w };
        let mut a = cached.scorecard(&w, period);
        let mut b = report::scorecard(fresh, &w, period);
        a.owners.sort_by(|x, y| x.member_id.cmp(&y.member_id));
        b.owners.sort_by(|x, y| x.member_id.cmp(&y.member_id));
        assert_eq!(a, b, "round {round}: kept scorecard ({period:?}) differs");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cached_state_equals_a_full_recomputation_after_every_event() {
    let (_dir, db) = demo_db().await;
    let people = [
        signer(&db, SOFIA).await,
        signer(&db, LUKAS).await,
        signer(&db, PRIYA).await,
        signer(&db, MAYA).await,
        signer(&db, DANIEL).await,
    ];
    let items = playbook::agreements::ops::list(&db, Some(AgreementKind::Reason), None)
        .await
        .unwrap();
    let reasons = |usage: ReasonUse| -> Vec<String> {
        items
            .iter()
            .filter(|i| matches!(&i.in_force.as_ref().unwrap().body, AgreementBody::Reason(r) if r.applies_to.contains(&usage)))
            .map(|i| i.key.clone())
            .collect()
    };
    let contacts: Vec<String> = sqlx::query_scalar("SELECT id FROM contacts ORDER BY id")
        .fetch_all(&db)
        .await
        .unwrap();
    let mut conn = db.acquire().await.unwrap();
    let mut cached = State::build(&mut conn).await.unwrap();
    drop(conn);
    let mut rng = Rng(0x5eed_51a5);
    let mut recorded = 0;
    let mut ahead = 0;
    let first = window();
    assert_same(
        &mut cached,
        &State::build(&mut db.acquire().await.unwrap())
            .await
            .unwrap(),
        0,
        0,
    );
    assert!(
        report::scorecard(&cached, &first, TrendPeriod::Week).breach_count > 0,
        "the demo has breaches to list"
    );
    for round in 0..60 {
        // A random contact and someone who may act on it now.
        let contact = &contacts[rng.below(contacts.len())];
        let who = &people[rng.below(people.len())];
        let detail = playbook::leads::ops::detail(&db, contact, Some(&who.member_id))
            .await
            .unwrap();
        if detail.allowed_actions.is_empty() {
            continue;
        }
        let kind = detail.allowed_actions[rng.below(detail.allowed_actions.len())];
        let reason = playbook::handoffs::rules::reason_use(kind).map(|u| {
            let list = reasons(u);
            list[rng.below(list.len())].clone()
        });
        let req = EventRequest {
            kind,
            reason,
            channel: (kind == EventKind::Attempt).then(|| "phone".to_string()),
            note: if rng.chance(0.5) {
                "checked".into()
            } else {
                String::new()
            },
            assignee_id: None,
        };
        // Some are typed in late, a few hours after the contact's latest event.
        let newest = detail
            .events
            .first()
            .map(|e| e.at.clone())
            .unwrap_or_default();
        let at = rng
            .chance(0.3)
            .then(|| playbook::db::parse_ts("at", &newest).ok())
            .flatten()
            .map(|t| (t + Duration::minutes(rng.below(600) as i64 + 1)).min(Utc::now()))
            .map(playbook::db::ts);
        if playbook::leads::ops::record(&db, contact, &req, who, at.as_deref())
            .await
            .is_err()
        {
            continue;
        }
        recorded += 1;
        let mut conn = db.acquire().await.unwrap();
        let refreshed = cached.refresh(&mut conn).await.unwrap();
        assert_eq!(
            refreshed,
            Some(1),
            "round {round}: only the touched contact is re-folded"
        );
        let fresh = State::build(&mut conn).await.unwrap();
        ahead += rng.below(12 * 3_600_000) as i64;
        assert_same(&mut cached, &fresh, round, ahead);
    }
    assert!(recorded >= 20, "enough events were recorded ({recorded})");

    // A change of the playbook rebuilds everything.
    let maya = &people[3];
    let daniel = &people[4];
    let item = playbook::agreements::ops::item(&db, "sla/first_touch")
        .await
        .unwrap();
    let Some(AgreementBody::Sla(mut body)) = item.in_force.map(|v| v.body) else {
        panic!("the demo has a first-touch SLA")
    };
    body.rule.set_target(2);
    let proposal = playbook::agreements::Proposal {
        item_id: Some(item.id.clone()),
        key: None,
        name: "First touch".into(),
        body: AgreementBody::Sla(body),
        summary: "Faster".into(),
        effective_from: None,
    };
    let v = playbook::agreements::ops::propose(&db, &proposal, maya)
        .await
        .unwrap();
    playbook::agreements::ops::approve(&db, &v.id, maya, "")
        .await
        .unwrap();
    playbook::agreements::ops::approve(&db, &v.id, daniel, "")
        .await
        .unwrap();
    let mut conn = db.acquire().await.unwrap();
    assert_eq!(
        cached.refresh(&mut conn).await.unwrap(),
        None,
        "a full build"
    );
    let fresh = State::build(&mut conn).await.unwrap();
    assert_same(&mut cached, &fresh, 999, ahead);
    // The clock going back is counted again from there.
    assert_same(&mut cached, &fresh, 1000, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_compiled_fold_agrees_with_the_replay_event_by_event() {
    let (_dir, db) = demo_db().await;
    // Rejections typed in late, dated just after a handover that sales had accepted: the
    // acceptance and what followed no longer apply (the replay skips them) and must not
    // count for the SLAs either.
    let sofia = signer(&db, SOFIA).await;
    let accepted: Vec<(String, String)> = sqlx::query_as(
        "SELECT h.contact_id, h.at FROM handoff_events h
         WHERE h.kind = 'handed_over' AND h.at > ?
           AND EXISTS (SELECT 1 FROM handoff_events a WHERE a.contact_id = h.contact_id
                       AND a.kind = 'accepted' AND a.at > h.at)
         ORDER BY h.at LIMIT 5",
    )
    .bind(playbook::db::ts(Utc::now() - Duration::days(60)))
    .fetch_all(&db)
    .await
    .unwrap();
    let mut late = 0;
    for (contact, handed) in &accepted {
        let at = playbook::db::parse_ts("at", handed).unwrap() + Duration::minutes(1);
        let req = EventRequest {
            kind: EventKind::Rejected,
            reason: Some("bad_timing".into()),
            channel: None,
            note: "Typed in late".into(),
            assignee_id: None,
        };
        let at = playbook::db::ts(at);
        if playbook::leads::ops::record(&db, contact, &req, &sofia, Some(&at))
            .await
            .is_ok()
        {
            late += 1;
        }
    }
    assert!(late > 0, "some rejections were typed in late");
    let mut conn = db.acquire().await.unwrap();
    let ledger = Ledger::load(&mut conn).await.unwrap();
    let items = playbook::agreements::store::load_items(&mut conn, None, Utc::now())
        .await
        .unwrap();
    let machine = playbook::slas::fold::Machine::new(&items);
    let mut people = playbook::slas::fold::People::default();
    let tampered = Default::default();
    let contacts: Vec<String> = sqlx::query_scalar("SELECT id FROM contacts")
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    let (mut compared, mut skipped) = (0, 0);
    for id in contacts {
        let records = of_contact(&mut conn, &id).await.unwrap();
        let (outcomes, _) = replay(&records, &ledger.context());
        let mut applied: Vec<(String, String, String)> = records
            .iter()
            .zip(&outcomes)
            .filter_map(|(r, o)| match o {
                Outcome::Applied(d) => Some((r.at.clone(), r.kind.clone(), d.to.clone())),
                _ => None,
            })
            .collect();
        applied.sort();
        skipped += outcomes
            .iter()
            .filter(|o| matches!(o, Outcome::Skipped(_)))
            .count();
        let mut raw = playbook::slas::load::contact_events(&mut conn, &id, &mut people, &machine)
            .await
            .unwrap();
        let facts =
            playbook::slas::fold::fold(&mut raw, &machine, &ledger.roster, &people, &tampered);
        let mut ours: Vec<(String, String, String)> = facts
            .iter()
            .map(|f| {
                (
                    playbook::db::ts(playbook::slas::fold::ms_time(f.at)),
                    f.kind.as_str().to_string(),
                    machine.stages[f.stage as usize].clone(),
                )
            })
            .collect();
        ours.sort();
        assert_eq!(ours, applied, "contact {id}");
        compared += applied.len();
    }
    assert!(
        compared > 1000,
        "the demo history has many events ({compared})"
    );
    assert!(skipped > 0, "some events are skipped by the replay");
}

//! Reports against numbers worked out by hand on a small workspace whose playbook changes in
//! the middle of March 2026: the MQL stage is renamed, an SQL stage is put between SAL and
//! Won, and SAL's maximum time drops from 10 to 5 days. Entries and stays that began before
//! the change are judged by the versions in force then.
mod common;

use chrono::{DateTime, Duration, Utc};
use playbook::agreements::{
    store, AgreementBody, Proposal, ReasonBody, ReasonUse, SignoffAction, StageAction, StageBody,
};
use playbook::db::{self, Db};
use playbook::handoffs::store::{record, Author, Ledger};
use playbook::handoffs::{EventKind, EventRequest};
use playbook::reports::ops::{self, Basis};
use playbook::reports::period::Period;
use playbook::team::{NewMember, Role, Side};
use playbook::trust::{keys, Signer};

fn t(s: &str) -> DateTime<Utc> {
    db::parse_ts("at", s).unwrap()
}

struct Fixture {
    _dir: tempfile::TempDir,
    db: Db,
    sofia: String,
}

fn action(event: EventKind, to: &str, by: Side) -> StageAction {
    StageAction {
        event,
        to: Some(to.into()),
        by,
        managers_only: false,
    }
}

#[allow(clippy::too_many_arguments)]
fn stage(
    position: u32,
    side: Side,
    max_days: Option<u32>,
    next: &[&str],
    actions: Vec<StageAction>,
) -> AgreementBody {
    AgreementBody::Stage(StageBody {
        side,
        position,
        entry_criteria: "Entry".into(),
        exit_criteria: "Exit".into(),
        max_days_in_stage: max_days,
        allowed_next: next.iter().map(|s| s.to_string()).collect(),
        actions,
    })
}

/// Proposes `body` (a new item, or a new version of `kind/key`) at `at` and has both
/// managers sign it a minute and two minutes later.
async fn agree(
    conn: &mut playbook::db::Conn,
    item: Option<&str>,
    key: &str,
    name: &str,
    body: AgreementBody,
    at: DateTime<Utc>,
    signers: (&Signer, &Signer),
) {
    let item_id = match item {
        Some(r) => Some(store::resolve_item(conn, r, at).await.unwrap().id),
        None => None,
    };
    let p = Proposal {
        item_id,
        key: Some(key.into()),
        name: name.into(),
        body,
        summary: String::new(),
        effective_from: None,
    };
    let v = store::propose(conn, &p, signers.0, at).await.unwrap();
    store::approve(conn, &v.id, signers.0, "", at + Duration::minutes(1))
        .await
        .unwrap();
    store::approve(conn, &v.id, signers.1, "", at + Duration::minutes(2))
        .await
        .unwrap();
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let db = db::open(dir.path()).await.unwrap();
    let mut tx = db::write(&db).await.unwrap();
    let member = |name: &str, email: &str, side, role| NewMember {
        name: name.into(),
        email: email.into(),
        side,
        role,
    };
    let founded = t("2025-12-01T09:00:00Z");
    let (_, maya) = playbook::team::store::found(
        &mut tx,
        &member("Maya Okafor", common::MAYA, Side::Marketing, Role::Manager),
        "test-passphrase",
        founded,
    )
    .await
    .unwrap();
    let mut add = async |name: &str, email: &str, side, role| {
        let (key, envelope) = keys::generate("test-passphrase").unwrap();
        let m = playbook::team::store::add_with_key(
            &mut tx,
            &member(name, email, side, role),
            &keys::public_hex(&key),
            &envelope,
            &maya,
            founded + Duration::minutes(1),
        )
        .await
        .unwrap();
        Signer::new(m.id, key)
    };
    let daniel = add("Daniel Brooks", common::DANIEL, Side::Sales, Role::Manager).await;
    let priya = add("Priya Raman", common::PRIYA, Side::Marketing, Role::Rep).await;
    let sofia = add("Sofia Marín", common::SOFIA, Side::Sales, Role::Rep).await;
    playbook::workspace::set(&mut tx, "timezone", "UTC", &maya)
        .await
        .unwrap();

    // The first playbook, agreed on 1 January: lead → mql → sal → won, nurture aside.
    let mut index = store::ItemIndex::load(&mut tx, None, founded)
        .await
        .unwrap();
    let keys: Vec<String> = ["lead", "mql", "sal", "won", "nurture"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let (m, s) = (Side::Marketing, Side::Sales);
    let first = [
        (
            "lead",
            "Lead",
            stage(
                1,
                m,
                None,
                &["mql"],
                vec![action(EventKind::HandedOver, "mql", m)],
            ),
        ),
        (
            "mql",
            "Marketing Qualified Lead",
            stage(
                2,
                m,
                Some(2),
                &["sal", "nurture"],
                vec![
                    action(EventKind::Accepted, "sal", s),
                    action(EventKind::Rejected, "nurture", s),
                ],
            ),
        ),
        (
            "sal",
            "Sales Accepted Lead",
            stage(
                3,
                s,
                Some(10),
                &["won", "nurture"],
                vec![
                    action(EventKind::Won, "won", s),
                    action(EventKind::Recycled, "nurture", s),
                ],
            ),
        ),
        ("won", "Won", stage(4, s, None, &[], vec![])),
        (
            "nurture",
            "Nurture",
            stage(
                9,
                m,
                None,
                &["mql"],
                vec![action(EventKind::HandedOver, "mql", m)],
            ),
        ),
    ];
    let mut at = t("2026-01-01T00:00:00Z");
    let mut bodies = first.to_vec();
    let reasons = [
        (
            "no_budget",
            "No budget",
            vec![ReasonUse::Reject, ReasonUse::Recycle],
        ),
        ("wrong_person", "Wrong person", vec![ReasonUse::Reject]),
    ];
    for (key, name, uses) in reasons {
        bodies.push((
            key,
            name,
            AgreementBody::Reason(ReasonBody {
                applies_to: uses,
                description: "Why".into(),
            }),
        ));
    }
    for (key, name, body) in bodies {
        at += Duration::minutes(5);
        let p = Proposal {
            item_id: None,
            key: Some(key.into()),
            name: name.into(),
            body,
            summary: String::new(),
            effective_from: None,
        };
        let v = store::propose_in(&mut tx, &mut index, &p, &maya, at, &keys)
            .await
            .unwrap();
        let hash = v.hash.clone().unwrap();
        for (signer, minutes) in [(&maya, 1), (&daniel, 2)] {
            let r = store::signed_signoff(
                &v.id,
                &hash,
                SignoffAction::Approved,
                signer,
                "",
                at + Duration::minutes(minutes),
            );
            store::insert_signoff(&mut tx, &r).await.unwrap();
        }
    }

    // Mid-March: SQL between SAL and Won, MQL renamed, SAL limited to 5 days.
    let change = t("2026-03-15T00:00:00Z");
    let both = (&maya, &daniel);
    agree(
        &mut tx,
        None,
        "sql",
        "Sales Qualified Lead",
        stage(
            4,
            s,
            None,
            &["won", "nurture"],
            vec![
                action(EventKind::Won, "won", s),
                action(EventKind::Recycled, "nurture", s),
            ],
        ),
        change,
        both,
    )
    .await;
    agree(
        &mut tx,
        Some("stage/won"),
        "won",
        "Won",
        stage(5, s, None, &[], vec![]),
        change + Duration::minutes(5),
        both,
    )
    .await;
    agree(
        &mut tx,
        Some("stage/sal"),
        "sal",
        "Sales Accepted Lead",
        stage(
            3,
            s,
            Some(5),
            &["sql", "nurture"],
            vec![
                action(EventKind::Qualified, "sql", s),
                action(EventKind::Recycled, "nurture", s),
            ],
        ),
        change + Duration::minutes(10),
        both,
    )
    .await;
    agree(
        &mut tx,
        Some("stage/mql"),
        "mql",
        "Qualified Lead",
        stage(
            2,
            m,
            Some(2),
            &["sal", "nurture"],
            vec![
                action(EventKind::Accepted, "sal", s),
                action(EventKind::Rejected, "nurture", s),
            ],
        ),
        change + Duration::minutes(15),
        both,
    )
    .await;

    // Contacts and what happened to them.
    let contacts = [
        ("c1", "Ada", "webinar", "Spring webinar", 70),
        ("c2", "Ben", "event", "Trade fair", 30),
        ("c3", "Cleo", "webinar", "Spring webinar", 85),
        ("c4", "Dan", "referral", "", 50),
        ("c5", "Eve", "event", "Trade fair", 45),
        ("c6", "Fay", "organic", "=cmd|' /C calc'!A0", 10),
        ("c7", "Gus", "webinar", "Spring webinar", 65),
        ("c8", "Hal", "referral", "", 90),
        ("c9", "Ivy", "event", "Trade fair", 40),
    ];
    let mut ids = std::collections::HashMap::new();
    for (key, first, channel, campaign, score) in contacts {
        let id = db::new_id();
        sqlx::query(
            "INSERT INTO contacts (id, first_name, last_name, email, source_channel, source_campaign,
                 score, stage, stage_since, created_at, updated_at)
             VALUES (?, ?, 'Test', ?, ?, ?, ?, 'lead', '', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')",
        )
        .bind(&id)
        .bind(first)
        .bind(format!("{}@example.com", first.to_lowercase()))
        .bind(channel)
        .bind(campaign)
        .bind(score)
        .execute(&mut *tx)
        .await
        .unwrap();
        ids.insert(key, id);
    }
    let ledger = Ledger::load(&mut tx).await.unwrap();
    use EventKind::*;
    let history: &[(&str, EventKind, &str, Option<&str>, &str)] = &[
        ("c9", Created, "2026-02-10T10:00:00Z", None, ""),
        ("c9", HandedOver, "2026-02-11T10:00:00Z", None, ""),
        (
            "c9",
            Rejected,
            "2026-02-12T10:00:00Z",
            Some("no_budget"),
            "",
        ),
        ("c4", Created, "2026-02-20T10:00:00Z", None, ""),
        ("c4", HandedOver, "2026-02-25T10:00:00Z", None, ""),
        ("c4", Accepted, "2026-03-01T10:00:00Z", None, ""),
        ("c1", Created, "2026-03-02T10:00:00Z", None, ""),
        ("c1", HandedOver, "2026-03-03T10:00:00Z", None, ""),
        ("c1", Accepted, "2026-03-04T10:00:00Z", None, ""),
        ("c1", Won, "2026-03-10T10:00:00Z", None, ""),
        ("c2", Created, "2026-03-05T10:00:00Z", None, ""),
        ("c2", HandedOver, "2026-03-06T10:00:00Z", None, ""),
        (
            "c2",
            Rejected,
            "2026-03-08T10:00:00Z",
            Some("no_budget"),
            "Frozen until Q3",
        ),
        ("c3", Created, "2026-03-10T10:00:00Z", None, ""),
        ("c3", HandedOver, "2026-03-16T10:00:00Z", None, ""),
        ("c3", Accepted, "2026-03-17T10:00:00Z", None, ""),
        ("c3", Qualified, "2026-03-20T10:00:00Z", None, ""),
        ("c7", Created, "2026-03-12T10:00:00Z", None, ""),
        ("c7", HandedOver, "2026-03-13T10:00:00Z", None, ""),
        ("c7", Accepted, "2026-03-14T12:00:00Z", None, ""),
        ("c8", Created, "2026-03-14T10:00:00Z", None, ""),
        ("c8", HandedOver, "2026-03-15T06:00:00Z", None, ""),
        ("c8", Accepted, "2026-03-15T12:00:00Z", None, ""),
        ("c5", Created, "2026-03-18T10:00:00Z", None, ""),
        ("c5", HandedOver, "2026-03-19T10:00:00Z", None, ""),
        (
            "c5",
            Rejected,
            "2026-03-20T10:00:00Z",
            Some("no_budget"),
            "",
        ),
        ("c6", Created, "2026-03-21T10:00:00Z", None, ""),
        ("c6", HandedOver, "2026-03-22T10:00:00Z", None, ""),
        (
            "c6",
            Rejected,
            "2026-03-23T10:00:00Z",
            Some("wrong_person"),
            "",
        ),
    ];
    for (key, kind, at, reason, note) in history {
        let signer = match kind {
            Created | HandedOver => &priya,
            _ => &sofia,
        };
        let req = EventRequest {
            kind: *kind,
            reason: reason.map(str::to_string),
            channel: None,
            note: note.to_string(),
            assignee_id: None,
        };
        record(
            &mut tx,
            &ledger,
            &ids[key],
            &req,
            Author::Signed(signer),
            t(at),
            Utc::now(),
        )
        .await
        .unwrap_or_else(|e| panic!("{key} {kind:?} at {at}: {}", e.message));
    }
    tx.commit().await.unwrap();
    Fixture {
        _dir: dir,
        db,
        sofia: sofia.member_id.clone(),
    }
}

fn march() -> Period {
    Period {
        from: "2026-03-01".into(),
        to: "2026-03-31".into(),
    }
}

#[tokio::test]
async fn funnel_judges_each_entry_by_the_funnel_in_force_then() {
    let f = fixture().await;
    let basis = Basis::load(&f.db).await.unwrap();
    let mut conn = f.db.acquire().await.unwrap();
    let r = ops::funnel_report(&mut conn, &basis, &march())
        .await
        .unwrap();
    let rows: Vec<(&str, u32)> = r
        .stages
        .iter()
        .map(|s| (s.key.as_str(), s.entries))
        .collect();
    assert_eq!(
        rows,
        [("lead", 7), ("mql", 7), ("sal", 5), ("sql", 1), ("won", 1)],
        "entries per stage in March, in the funnel's order at the end of March"
    );
    let mql = &r.stages[1];
    assert_eq!(mql.name, "Qualified Lead", "named as at the period's end");
    assert_eq!(
        mql.former_names,
        ["Marketing Qualified Lead"],
        "entries before the rename were into the stage under its old name"
    );
    let conv = |i: usize| r.stages[i].next.clone().unwrap();
    let lead = conv(0);
    assert_eq!((lead.converted, lead.left, lead.still_in), (7, 0, 0));
    assert_eq!((lead.rate, lead.median_days), (Some(100.0), Some(1.0)));
    let mql = conv(1);
    assert_eq!(
        (mql.to_key.as_str(), mql.converted, mql.left, mql.still_in),
        ("sal", 4, 3, 0)
    );
    assert_eq!((mql.rate, mql.median_days), (Some(57.1), Some(1.0)));
    let sal = conv(2);
    assert_eq!(
        (sal.to_key.as_str(), sal.converted, sal.left, sal.still_in),
        ("sql", 2, 0, 3),
        "Ada's move from SAL straight to Won (allowed before SQL existed) counts as moving on"
    );
    assert_eq!((sal.rate, sal.median_days), (Some(40.0), Some(4.5)));
    let sql = conv(3);
    assert_eq!(
        (sql.converted, sql.still_in, sql.rate, sql.median_days),
        (0, 1, Some(0.0), None)
    );
    assert!(
        r.stages[4].next.is_none(),
        "the last stage converts to nothing"
    );
    let side: Vec<(&str, u32)> = r
        .side_stages
        .iter()
        .map(|s| (s.key.as_str(), s.entries))
        .collect();
    assert_eq!(side, [("nurture", 3)]);
    assert!(r.deals.is_none(), "no opportunities in this workspace");

    let feb = Period {
        from: "2026-02-01".into(),
        to: "2026-02-28".into(),
    };
    let r = ops::funnel_report(&mut conn, &basis, &feb).await.unwrap();
    let rows: Vec<(&str, u32)> = r
        .stages
        .iter()
        .map(|s| (s.key.as_str(), s.entries))
        .collect();
    assert_eq!(
        rows,
        [("lead", 2), ("mql", 2), ("sal", 0), ("won", 0)],
        "February's funnel is February's: no SQL stage on the way to Won yet"
    );
    let mql = r.stages[1].next.clone().unwrap();
    assert_eq!(
        (mql.converted, mql.left, mql.still_in),
        (0, 1, 1),
        "in February Ivy was rejected and Dan not yet accepted"
    );
}

#[tokio::test]
async fn sources_and_reasons_by_hand() {
    let f = fixture().await;
    let basis = Basis::load(&f.db).await.unwrap();
    let mut conn = f.db.acquire().await.unwrap();
    let r = ops::sources_report(&mut conn, &basis, &march())
        .await
        .unwrap();
    let t = &r.total;
    assert_eq!(
        (
            t.handed_over,
            t.accepted,
            t.rejected,
            t.awaiting,
            t.acceptance_rate,
            t.won
        ),
        (7, 4, 3, 0, Some(57.1), 1)
    );
    let row = |rows: &[playbook::reports::sources::SourceRow], label: &str| {
        let r = rows
            .iter()
            .find(|r| r.key == label)
            .unwrap_or_else(|| panic!("{label}"));
        (
            r.handed_over,
            r.accepted,
            r.rejected,
            r.acceptance_rate,
            r.won,
        )
    };
    assert_eq!(row(&r.by_channel, "webinar"), (3, 3, 0, Some(100.0), 1));
    assert_eq!(row(&r.by_channel, "event"), (2, 0, 2, Some(0.0), 0));
    assert_eq!(row(&r.by_channel, "referral"), (1, 1, 0, Some(100.0), 0));
    assert_eq!(row(&r.by_channel, "organic"), (1, 0, 1, Some(0.0), 0));
    assert_eq!(row(&r.by_campaign, ""), (1, 1, 0, Some(100.0), 0));
    let words: Vec<(&str, &str)> = r
        .by_channel
        .iter()
        .map(|c| (c.key.as_str(), c.label.as_str()))
        .collect();
    assert!(
        words.contains(&("webinar", "Webinar")),
        "channels are named in words: {words:?}"
    );
    assert_eq!(
        r.by_campaign
            .iter()
            .find(|c| c.key.is_empty())
            .map(|c| c.label.as_str()),
        Some("(none)")
    );
    let bands: Vec<(&str, u32, u32)> = r
        .by_score_band
        .iter()
        .map(|b| (b.label.as_str(), b.handed_over, b.accepted))
        .collect();
    assert_eq!(
        bands,
        [
            ("below 20", 1, 0),
            ("20–39", 1, 0),
            ("40–59", 1, 0),
            ("60–79", 2, 2),
            ("80 and above", 2, 2)
        ]
    );

    let r = ops::reasons_report(&mut conn, &basis, &march())
        .await
        .unwrap();
    assert_eq!(r.total, 3);
    let pareto: Vec<(&str, &str, u32, f64, f64)> = r
        .reasons
        .iter()
        .map(|x| {
            (
                x.key.as_str(),
                x.name.as_str(),
                x.count,
                x.share,
                x.cumulative_share,
            )
        })
        .collect();
    assert_eq!(
        pareto,
        [
            ("no_budget", "No budget", 2, 66.7, 66.7),
            ("wrong_person", "Wrong person", 1, 33.3, 100.0)
        ]
    );
    let examples: Vec<(&str, &str)> = r.reasons[0]
        .examples
        .iter()
        .map(|e| (e.contact_name.as_str(), e.note.as_str()))
        .collect();
    assert_eq!(
        examples,
        [("Eve Test", ""), ("Ben Test", "Frozen until Q3")],
        "the latest first, with the note the rep wrote"
    );
    let by_source: Vec<(&str, u32)> = r
        .by_source
        .iter()
        .map(|g| (g.label.as_str(), g.total))
        .collect();
    assert_eq!(by_source, [("Event", 2), ("Organic", 1)]);
    assert_eq!(r.by_owner.len(), 1);
    assert_eq!(
        (
            r.by_owner[0].label.as_str(),
            r.by_owner[0].member_id.as_deref(),
            r.by_owner[0].total
        ),
        ("Sofia Marín", Some(f.sofia.as_str()), 3)
    );

    let csv = playbook::reports::ops::csv(
        &f.db,
        playbook::reports::ReportKind::Sources,
        Some("2026-03-01"),
        Some("2026-03-31"),
    )
    .await
    .unwrap();
    assert!(
        csv.contains("campaign,'=cmd|' /C calc'!A0,1,0,1"),
        "a campaign named like a formula is neutralised in the CSV:\n{csv}"
    );
}

#[tokio::test]
async fn aging_judges_each_stay_by_the_limit_in_force_when_it_began() {
    let f = fixture().await;
    let basis = Basis::load(&f.db).await.unwrap();
    let mut conn = f.db.acquire().await.unwrap();
    // As of the end of 21 March: Dan in SAL since 1 March (limit 10: overdue), Gus since
    // 14 March (then 10 days: not overdue, though today's limit is 5), Hal since 15 March
    // at noon (5 days: overdue).
    let r = ops::aging_report(&mut conn, &basis, Some("2026-03-21"))
        .await
        .unwrap();
    assert_eq!(r.as_of, "2026-03-22T00:00:00.000Z");
    assert_eq!((r.in_timed_stages, r.overdue), (3, 2));
    assert_eq!(r.by_owner.len(), 1);
    let o = &r.by_owner[0];
    assert_eq!(o.owner_name, "Sofia Marín");
    let oldest: Vec<(&str, f64, u32)> = o
        .oldest
        .iter()
        .map(|c| (c.contact_name.as_str(), c.days_in_stage, c.max_days))
        .collect();
    assert_eq!(oldest, [("Dan Test", 20.6, 10), ("Hal Test", 6.5, 5)]);
    let sal = r.by_stage.iter().find(|s| s.key == "sal").unwrap();
    assert_eq!((sal.contacts, sal.overdue, sal.max_days), (3, 2, Some(5)));

    // Now (from the cached stages): all three have been in SAL for months.
    let r = ops::aging_report(&mut conn, &basis, None).await.unwrap();
    assert_eq!((r.in_timed_stages, r.overdue), (3, 3));
}

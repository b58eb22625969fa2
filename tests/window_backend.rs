//! What the window asks of the backend, on real SQLite files: keyset pages after their
//! anchors add up to the whole list in every order and filter; search finds full names,
//! names without their accents, any word of a company and emails, best match first; queues
//! come from the stage definitions; a proposal's impact counts exactly who crosses the MQL
//! line; a version agreed for a later date is shown as scheduled; every code has a label.
use playbook::agreements::{ops as agreements, AgreementBody, AgreementKind, Proposal};
use playbook::handoffs::{EventKind, EventRequest};
use playbook::leads::impact::ImpactRequest;
use playbook::leads::list::{Awaiting, LeadFilter, LeadSort};
use playbook::leads::ops;

mod common;

async fn generated(n: u32) -> (tempfile::TempDir, playbook::db::Db) {
    let (dir, db) = common::demo_db().await;
    let tom = common::signer(&db, common::TOM).await;
    ops::generate(&db, n, 5, &tom).await.unwrap();
    (dir, db)
}

/// Every row of a list, read the way the window reads it: the opened window's first page,
/// then one page after each anchor.
async fn by_anchors(
    db: &playbook::db::Db,
    f: &LeadFilter,
    viewer: Option<&str>,
) -> (u32, Vec<String>) {
    let w = ops::open_list(db, f, viewer).await.unwrap();
    let anchors = ops::anchors(db, f, viewer).await.unwrap();
    assert_eq!(
        anchors.len() as u32,
        w.total / w.page_size,
        "one anchor per full page"
    );
    let mut ids: Vec<String> = w.rows.into_iter().map(|r| r.id).collect();
    for anchor in &anchors {
        let page = ops::list(
            db,
            &LeadFilter {
                after: Some(anchor.clone()),
                limit: w.page_size,
                ..f.clone()
            },
            viewer,
        )
        .await
        .unwrap();
        assert_eq!(page.total, w.total, "every page counts the same list");
        ids.extend(page.rows.into_iter().map(|r| r.id));
    }
    (w.total, ids)
}

async fn all_at_once(db: &playbook::db::Db, f: &LeadFilter, viewer: Option<&str>) -> Vec<String> {
    ops::list(
        db,
        &LeadFilter {
            limit: 0,
            ..f.clone()
        },
        viewer,
    )
    .await
    .unwrap()
    .rows
    .into_iter()
    .map(|r| r.id)
    .collect()
}

#[tokio::test]
async fn pages_after_anchors_add_up_to_the_list_in_every_order_and_filter() {
    let (_dir, db) = generated(2_500).await;
    // The generator gives everyone an owner: some nobody owns (as an import leaves them).
    sqlx::query("UPDATE contacts SET owner_id = NULL WHERE rowid % 11 = 0")
        .execute(&db)
        .await
        .unwrap();
    let filters = [
        LeadFilter::default(),
        LeadFilter {
            sort: LeadSort::OldestInStage,
            ..LeadFilter::default()
        },
        LeadFilter {
            sort: LeadSort::Name,
            ..LeadFilter::default()
        },
        LeadFilter {
            sort: LeadSort::Newest,
            ..LeadFilter::default()
        },
        LeadFilter {
            stage: Some("nurture".into()),
            sort: LeadSort::Name,
            ..LeadFilter::default()
        },
        LeadFilter {
            unassigned: true,
            ..LeadFilter::default()
        },
        LeadFilter {
            overdue: true,
            sort: LeadSort::OldestInStage,
            ..LeadFilter::default()
        },
        LeadFilter {
            search: Some("logistics".into()),
            sort: LeadSort::BestMatch,
            ..LeadFilter::default()
        },
        LeadFilter {
            search: Some("a".into()),
            sort: LeadSort::ScoreDesc,
            ..LeadFilter::default()
        },
    ];
    let mut spanning = 0;
    for f in filters {
        let (total, paged) = by_anchors(&db, &f, None).await;
        let whole = all_at_once(&db, &f, None).await;
        spanning += usize::from(total > 100);
        assert!(total > 0, "{f:?} matches some contacts");
        assert_eq!(total as usize, whole.len(), "{f:?}");
        assert_eq!(
            paged, whole,
            "pages after the anchors are the list, in order: {f:?}"
        );
    }
    assert!(spanning >= 6, "most filters span several pages: {spanning}");
}

#[tokio::test]
async fn an_anchor_from_another_order_is_refused_not_misread() {
    let (_dir, db) = generated(300).await;
    let anchors = ops::anchors(&db, &LeadFilter::default(), None)
        .await
        .unwrap();
    let err = ops::list(
        &db,
        &LeadFilter {
            after: Some(anchors[0].clone()),
            sort: LeadSort::Name,
            ..LeadFilter::default()
        },
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(err.field.as_deref(), Some("after"));
    let err = ops::list(
        &db,
        &LeadFilter {
            after: Some("not a cursor".into()),
            ..LeadFilter::default()
        },
        None,
    )
    .await
    .unwrap_err();
    assert!(err.message.contains("open it again"), "{}", err.message);
}

#[tokio::test]
async fn overdue_and_unassigned_mean_what_they_say() {
    let (_dir, db) = generated(1_500).await;
    sqlx::query("UPDATE contacts SET owner_id = NULL WHERE rowid % 13 = 0")
        .execute(&db)
        .await
        .unwrap();
    let overdue = ops::list(
        &db,
        &LeadFilter {
            overdue: true,
            ..LeadFilter::default()
        },
        None,
    )
    .await
    .unwrap();
    assert!(overdue.total > 0);
    assert!(
        overdue.rows.iter().all(|r| r.overdue),
        "every overdue row is flagged"
    );
    let all = ops::list(&db, &LeadFilter::default(), None).await.unwrap();
    let flagged = all.rows.iter().filter(|r| r.overdue).count();
    assert_eq!(
        flagged as u32, overdue.total,
        "the flag and the filter agree"
    );
    let unassigned = ops::list(
        &db,
        &LeadFilter {
            unassigned: true,
            ..LeadFilter::default()
        },
        None,
    )
    .await
    .unwrap();
    assert!(unassigned.rows.iter().all(|r| r.owner_id.is_none()));
    let nobody: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM contacts WHERE owner_id IS NULL AND deleted_at IS NULL",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(unassigned.total as i64, nobody);
}

#[tokio::test]
async fn search_finds_full_names_accents_company_words_and_emails_best_first() {
    let (_dir, db) = generated(3_000).await;
    let search = |text: &str| {
        let db = db.clone();
        let f = LeadFilter {
            search: Some(text.into()),
            sort: LeadSort::BestMatch,
            limit: 0,
            ..LeadFilter::default()
        };
        async move { ops::list(&db, &f, None).await.unwrap() }
    };
    let (first, last): (String, String) = sqlx::query_as(
        "SELECT first_name, last_name FROM contacts WHERE last_name = 'Müller' LIMIT 1",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    let full = search(&format!("{first} {last}")).await;
    assert!(full.total > 0);
    assert!(full
        .rows
        .iter()
        .all(|r| r.name.contains(&first) && r.name.contains("Müller")));
    let plain = search("muller").await;
    assert!(
        plain.total > 0
            && plain
                .rows
                .iter()
                .all(|r| r.name.contains("Müller")
                    || r.email.as_deref().unwrap_or("").contains("uller"))
    );
    let company = search("analytics").await;
    let expected: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM contacts c JOIN accounts a ON a.id = c.account_id
         WHERE c.deleted_at IS NULL AND (' ' || a.name || ' ') LIKE '% Analytics %'",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(company.total as i64, expected, "any word of the company");
    let email: String =
        sqlx::query_scalar("SELECT email FROM contacts WHERE email IS NOT NULL LIMIT 1")
            .fetch_one(&db)
            .await
            .unwrap();
    let by_email = search(&email).await;
    assert_eq!(
        by_email.rows[0].email.as_deref(),
        Some(email.as_str()),
        "an email finds its contact first"
    );
    // A name match outranks a match in the company alone.
    let ranked = search("liam").await;
    assert!(ranked.rows[0].name.starts_with("Liam"));
}

#[tokio::test]
async fn queues_come_from_the_stage_definitions() {
    let (_dir, db) = common::demo_db().await;
    let maya = common::signer(&db, common::MAYA).await;
    let sofia = common::signer(&db, common::SOFIA).await;
    let daniel = common::signer(&db, common::DANIEL).await;
    let counts = |who: String| {
        let db = db.clone();
        async move {
            ops::queue_counts(&db, Some(&who))
                .await
                .unwrap()
                .into_iter()
                .map(|c| (c.awaiting, c.count))
                .collect::<Vec<_>>()
        }
    };
    let handed = counts(sofia.member_id.clone()).await;
    let response = handed
        .iter()
        .find(|(a, _)| *a == Awaiting::Response)
        .unwrap()
        .1;
    assert!(response > 0, "the demo hands leads to Sofia");
    let queue = LeadFilter {
        awaiting: Some(Awaiting::Response),
        ..LeadFilter::default()
    };
    let mine = ops::list(&db, &queue, Some(&sofia.member_id))
        .await
        .unwrap();
    assert_eq!(mine.total, response);
    let contact = mine.rows[0].id.clone();

    // Sofia rejects: it is Maya's (marketing) to review; marketing disputes: Daniel's to answer.
    let before_review = counts(maya.member_id.clone()).await;
    let reject = EventRequest {
        kind: EventKind::Rejected,
        reason: Some("no_budget".into()),
        channel: None,
        note: String::new(),
        assignee_id: None,
    };
    ops::record(&db, &contact, &reject, &sofia, None)
        .await
        .unwrap();
    let review = |c: &[(Awaiting, u32)]| {
        c.iter()
            .find(|(a, _)| *a == Awaiting::RejectionReview)
            .unwrap()
            .1
    };
    let after_review = counts(maya.member_id.clone()).await;
    assert_eq!(review(&after_review), review(&before_review) + 1);
    assert_eq!(
        review(&counts(sofia.member_id.clone()).await),
        0,
        "a rep does not review rejections"
    );
    let to_review = ops::list(
        &db,
        &LeadFilter {
            awaiting: Some(Awaiting::RejectionReview),
            limit: 0,
            ..LeadFilter::default()
        },
        Some(&maya.member_id),
    )
    .await
    .unwrap();
    assert!(to_review.rows.iter().any(|r| r.id == contact));

    let decide = |c: &[(Awaiting, u32)]| {
        c.iter()
            .find(|(a, _)| *a == Awaiting::DisputeDecision)
            .unwrap()
            .1
    };
    let open_disputes = decide(&counts(daniel.member_id.clone()).await);
    let dispute = EventRequest {
        kind: EventKind::Disputed,
        reason: None,
        ..reject.clone()
    };
    ops::record(&db, &contact, &dispute, &maya, None)
        .await
        .unwrap();
    assert_eq!(
        decide(&counts(daniel.member_id.clone()).await),
        open_disputes + 1,
        "the sales manager answers"
    );
    assert_eq!(
        decide(&counts(sofia.member_id.clone()).await),
        0,
        "only managers decide disputes"
    );
    assert_eq!(
        review(&counts(maya.member_id.clone()).await),
        review(&before_review),
        "no longer to review"
    );
    // Without a viewer there is no queue.
    assert!(ops::queue_counts(&db, None).await.unwrap().is_empty());
    assert!(ops::list(&db, &queue, None).await.is_err());
}

#[tokio::test]
async fn the_impact_of_a_scoring_proposal_counts_exactly_who_crosses_the_line() {
    let (_dir, db) = generated(800).await;
    // The cached scores as of now, so they and the preview's are made at the same moment.
    ops::rebuild(&db).await.unwrap();
    let items = agreements::list(&db, Some(AgreementKind::Scoring), None)
        .await
        .unwrap();
    let model = items[0].in_force.clone().unwrap();
    let AgreementBody::Scoring(mut body) = model.body.clone() else {
        panic!("a scoring model")
    };
    let old = body.mql_threshold;
    body.mql_threshold = old - 20;
    let impact = ops::impact(
        &db,
        &ImpactRequest {
            item_id: Some(items[0].id.clone()),
            body: AgreementBody::Scoring(body.clone()),
        },
    )
    .await
    .unwrap();
    // Cached scores follow the model in force, so the contacts between the lines cross.
    let between: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM contacts WHERE deleted_at IS NULL AND score >= ? AND score < ?",
    )
    .bind(i64::from(old - 20))
    .bind(i64::from(old))
    .fetch_one(&db)
    .await
    .unwrap();
    assert!(between > 0);
    assert_eq!(impact.crossing as i64, between);
    assert_eq!(impact.falling, 0);
    assert_eq!(
        (impact.threshold_before, impact.threshold_after),
        (Some(old), Some(old - 20))
    );
    assert!(impact
        .crossing_list
        .iter()
        .all(|c| c.score_after >= (old - 20) as i32 && c.score_after < old as i32));

    // A stage whose entry criteria state a higher score: those between fall below.
    let stages = agreements::list(&db, Some(AgreementKind::Stage), None)
        .await
        .unwrap();
    let mql = stages.iter().find(|s| s.key == "mql").unwrap();
    let AgreementBody::Stage(mut s) = mql.in_force.clone().unwrap().body else {
        panic!("a stage")
    };
    s.entry_criteria = format!("Lead score of at least {} and a stated need.", old + 10);
    s.max_days_in_stage = Some(1);
    let impact = ops::impact(
        &db,
        &ImpactRequest {
            item_id: Some(mql.id.clone()),
            body: AgreementBody::Stage(s),
        },
    )
    .await
    .unwrap();
    let above: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM contacts WHERE deleted_at IS NULL AND score >= ? AND score < ?",
    )
    .bind(i64::from(old))
    .bind(i64::from(old + 10))
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(impact.falling as i64, above);
    assert!(impact.in_stage.is_some() && impact.overdue_after >= impact.overdue_before);
}

#[tokio::test]
async fn a_version_agreed_for_a_later_date_is_scheduled_with_that_date() {
    let (_dir, db) = common::demo_db().await;
    let maya = common::signer(&db, common::MAYA).await;
    let daniel = common::signer(&db, common::DANIEL).await;
    let item = agreements::item(&db, "term/lead").await.unwrap();
    let v = agreements::propose(
        &db,
        &Proposal {
            item_id: Some(item.id.clone()),
            key: None,
            name: item.name.clone(),
            body: AgreementBody::Term(playbook::agreements::TermBody {
                definition: "A person who raised a hand.".into(),
            }),
            summary: String::new(),
            effective_from: Some("2030-01-15T00:00:00Z".into()),
        },
        &maya,
    )
    .await
    .unwrap();
    agreements::approve(&db, &v.id, &maya, "").await.unwrap();
    let agreed = agreements::approve(&db, &v.id, &daniel, "").await.unwrap();
    assert_eq!(
        agreed.effective_at.as_deref(),
        Some("2030-01-15T00:00:00.000Z")
    );
    let item = agreements::item(&db, "term/lead").await.unwrap();
    let scheduled = item
        .scheduled
        .expect("the item shows its scheduled version");
    assert_eq!(scheduled.id, v.id);
    assert_ne!(
        item.in_force.unwrap().id,
        v.id,
        "the old version stays in force until then"
    );
}

#[tokio::test]
async fn every_code_has_a_label_and_problems_are_in_words() {
    let (_dir, db) = generated(200).await;
    let mut conn = db.acquire().await.unwrap();
    let v = playbook::labels::vocabulary(&mut conn).await.unwrap();
    for list in [
        &v.events,
        &v.actions,
        &v.activities,
        &v.buying_roles,
        &v.buying_stages,
        &v.channels,
        &v.reason_uses,
        &v.fit_fields,
        &v.fit_ops,
        &v.sources,
    ] {
        assert!(!list.is_empty());
        for l in list {
            assert!(
                !l.label.is_empty() && !l.label.contains('_'),
                "{} is labelled '{}'",
                l.code,
                l.label
            );
        }
    }
    assert!(v
        .sources
        .iter()
        .any(|s| s.code == "paid_search" && s.label == "Paid search"));
    let needs = v
        .event_needs
        .iter()
        .find(|n| n.event == EventKind::Rejected)
        .unwrap();
    assert!(needs.reason.is_some() && !needs.channel);

    // A diff reads in words: stage names and side labels, not keys.
    let mql = agreements::item(&db, "stage/mql").await.unwrap();
    let d = agreements::diff(&db, &mql.versions.last().unwrap().id, &mql.versions[0].id)
        .await
        .unwrap();
    let text: String = d
        .fields
        .iter()
        .map(|f| format!("{} {} ", f.left, f.right))
        .collect();
    assert!(
        text.contains("Sales Accepted Lead") && text.contains("Marketing"),
        "{text}"
    );
    assert!(
        !text.contains("sal,") && !text.contains("handed_over"),
        "{text}"
    );
    let same = agreements::diff(&db, &mql.versions[0].id, &mql.versions[0].id)
        .await
        .unwrap();
    assert!(same.identical);
}

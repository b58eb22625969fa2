//! Reports against straightforward oracles on random generated workspaces: each contact's
//! timeline as the real fold shows it, walked naively, and plain SQL over the log and the
//! cached stages. Also: the steps projection equals the fold, and a refreshed projection
//! equals one built from scratch after events, a new playbook version and a new member.
mod common;

use std::collections::{BTreeMap, HashMap};

use chrono::Utc;
use playbook::db::{parse_ts, Db};
use playbook::handoffs::store::{timeline, Ledger};
use playbook::handoffs::EventStatus;
use playbook::reports::ops::{self, Basis};
use playbook::reports::period::Period;

/// The demo playbook's funnel, as a person reads it off the stage definitions.
const FUNNEL: [&str; 6] = ["inquiry", "mql", "sal", "sql", "opportunity", "customer"];

/// One applied event, oldest first per contact.
#[derive(Debug, Clone)]
struct Applied {
    at: i64,
    kind: String,
    from: Option<String>,
    to: String,
    reason: Option<String>,
}

async fn applied_histories(db: &Db) -> BTreeMap<String, Vec<Applied>> {
    let mut conn = db.acquire().await.unwrap();
    let ledger = Ledger::load(&mut conn).await.unwrap();
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM contacts WHERE deleted_at IS NULL")
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    let mut out = BTreeMap::new();
    for id in ids {
        let mut events = timeline(&mut conn, &ledger, &id).await.unwrap();
        events.reverse();
        let applied = events
            .into_iter()
            .filter(|e| e.status == EventStatus::Applied)
            .map(|e| Applied {
                at: parse_ts("at", &e.at).unwrap().timestamp_millis(),
                kind: e.kind,
                from: e.from_stage,
                to: e.to_stage,
                reason: e.reason,
            })
            .collect();
        out.insert(id, applied);
    }
    out
}

/// A demo workspace with `n` more generated contacts (seeded).
async fn workspace(n: u32, seed: u64) -> (tempfile::TempDir, Db) {
    let (dir, db) = common::demo_db().await;
    let tom = common::signer(&db, common::TOM).await;
    playbook::leads::ops::generate(&db, n, seed, &tom)
        .await
        .unwrap();
    let mut conn = db.acquire().await.unwrap();
    sqlx::query("INSERT INTO workspace_settings (key, value, updated_at) VALUES ('timezone', 'UTC', '2026-01-01T00:00:00.000Z')")
        .execute(&mut *conn)
        .await
        .unwrap();
    (dir, db)
}

fn periods(rng: &mut common::Rng) -> Vec<Period> {
    let today = Utc::now().date_naive();
    (0..4)
        .map(|_| {
            let end = today - chrono::Duration::days(rng.below(400) as i64);
            let len = [1, 7, 30, 91, 365][rng.below(5)];
            Period {
                from: (end - chrono::Duration::days(len - 1)).to_string(),
                to: end.to_string(),
            }
        })
        .collect()
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let m = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    Some((m * 10.0).round() / 10.0)
}

fn pct(part: u32, whole: u32) -> Option<f64> {
    (whole > 0).then(|| (f64::from(part) * 1000.0 / f64::from(whole)).round() / 10.0)
}

#[tokio::test]
async fn reports_match_naive_oracles_on_random_workspaces() {
    for seed in [3_u64, 11, 2026] {
        let (_dir, db) = workspace(400, seed).await;
        let histories = applied_histories(&db).await;
        let basis = Basis::load(&db).await.unwrap();
        let mut conn = db.acquire().await.unwrap();
        let mut rng = common::Rng(seed * 7 + 1);
        for p in periods(&mut rng) {
            let span = p.span(chrono_tz::UTC).unwrap();
            let inside = |at: i64| at >= span.start && at < span.end;

            // Funnel: entries, and what became of each by the period's end.
            let report = ops::funnel_report(&mut conn, &basis, &p).await.unwrap();
            let mut entries = [0u32; 6];
            let mut outcome = [(0u32, 0u32, 0u32); 6];
            let mut days: Vec<Vec<f64>> = vec![vec![]; 6];
            for events in histories.values() {
                for (i, e) in events.iter().enumerate() {
                    let moved = e.from.as_deref() != Some(e.to.as_str());
                    let Some(idx) = FUNNEL.iter().position(|s| *s == e.to) else {
                        continue;
                    };
                    if !moved || !inside(e.at) {
                        continue;
                    }
                    entries[idx] += 1;
                    if idx == 5 {
                        continue;
                    }
                    let next = events[i + 1..]
                        .iter()
                        .find(|n| n.from.as_deref() != Some(n.to.as_str()) && n.at < span.end);
                    match next {
                        None => outcome[idx].2 += 1,
                        Some(n)
                            if FUNNEL
                                .iter()
                                .position(|s| *s == n.to)
                                .is_some_and(|j| j > idx) =>
                        {
                            outcome[idx].0 += 1;
                            days[idx].push((n.at - e.at) as f64 / 86_400_000.0);
                        }
                        Some(_) => outcome[idx].1 += 1,
                    }
                }
            }
            let keys: Vec<&str> = report.stages.iter().map(|s| s.key.as_str()).collect();
            assert_eq!(keys, FUNNEL, "seed {seed} {p:?}: the funnel's stages");
            for (idx, stage) in report.stages.iter().enumerate() {
                assert_eq!(
                    stage.entries, entries[idx],
                    "seed {seed} {p:?}: entries into {}",
                    stage.key
                );
                if let Some(n) = &stage.next {
                    assert_eq!(
                        (n.converted, n.left, n.still_in),
                        outcome[idx],
                        "seed {seed} {p:?}: what became of {}'s entries",
                        stage.key
                    );
                    assert_eq!(
                        n.rate,
                        pct(outcome[idx].0, entries[idx]),
                        "seed {seed} {p:?}: rate of {}",
                        stage.key
                    );
                    assert_eq!(
                        n.median_days,
                        median(days[idx].clone()),
                        "seed {seed} {p:?}: velocity of {}",
                        stage.key
                    );
                }
            }

            // Sources: each handover and the answer to it.
            let report = ops::sources_report(&mut conn, &basis, &p).await.unwrap();
            let mut by_channel: HashMap<String, (u32, u32, u32, u32)> = HashMap::new();
            for (id, events) in &histories {
                for (i, e) in events.iter().enumerate() {
                    if e.kind != "handed_over" || !inside(e.at) {
                        continue;
                    }
                    let channel: String =
                        sqlx::query_scalar("SELECT source_channel FROM contacts WHERE id = ?")
                            .bind(id)
                            .fetch_one(&mut *conn)
                            .await
                            .unwrap();
                    let answer = events[i + 1..]
                        .iter()
                        .take_while(|n| n.at < span.end && n.kind != "handed_over")
                        .find(|n| n.from.as_deref() != Some(n.to.as_str()));
                    let row = by_channel.entry(channel).or_default();
                    row.0 += 1;
                    match answer.map(|a| a.kind.as_str()) {
                        Some("accepted") => row.1 += 1,
                        Some("rejected") => row.2 += 1,
                        None => row.3 += 1,
                        Some(_) => {}
                    }
                }
            }
            let got: HashMap<String, (u32, u32, u32, u32)> = report
                .by_channel
                .iter()
                .map(|r| {
                    (
                        r.key.clone(),
                        (r.handed_over, r.accepted, r.rejected, r.awaiting),
                    )
                })
                .collect();
            assert_eq!(got, by_channel, "seed {seed} {p:?}: handovers by channel");

            // Reasons: plain SQL over the log (every generated event is applied; checked).
            let report = ops::reasons_report(&mut conn, &basis, &p).await.unwrap();
            let sql: Vec<(String, i64)> = sqlx::query_as(
                "SELECT e.reason, count(*) FROM handoff_events e JOIN contacts c ON c.id = e.contact_id
                 WHERE c.deleted_at IS NULL AND e.kind IN ('rejected', 'recycled') AND e.reason IS NOT NULL
                   AND e.at >= ? AND e.at < ? GROUP BY e.reason",
            )
            .bind(playbook::reports::time_text(span.start))
            .bind(playbook::reports::time_text(span.end))
            .fetch_all(&mut *conn)
            .await
            .unwrap();
            let applied: usize = histories
                .values()
                .flatten()
                .filter(|e| {
                    (e.kind == "rejected" || e.kind == "recycled")
                        && e.reason.is_some()
                        && inside(e.at)
                })
                .count();
            let sql_total: i64 = sql.iter().map(|r| r.1).sum();
            assert_eq!(
                applied as i64, sql_total,
                "seed {seed} {p:?}: every generated rejection and recycle is applied"
            );
            let got: HashMap<String, i64> = report
                .reasons
                .iter()
                .map(|r| (r.key.clone(), i64::from(r.count)))
                .collect();
            assert_eq!(
                got,
                sql.into_iter().collect::<HashMap<_, _>>(),
                "seed {seed} {p:?}: reasons"
            );
            assert_eq!(i64::from(report.total), sql_total);
            if let Some(last) = report.reasons.last() {
                assert_eq!(last.cumulative_share, 100.0, "the Pareto ends at 100%");
            }
        }

        // Aging, as of now: plain SQL over the cached stages and the limits in force (the
        // demo's limits have not changed since the stays began).
        let report = ops::aging_report(&mut conn, &basis, None).await.unwrap();
        let now = Utc::now();
        let mut expected: HashMap<Option<String>, u32> = HashMap::new();
        for (stage, days) in [
            ("inquiry", 14),
            ("mql", 2),
            ("sal", 10),
            ("sql", 21),
            ("opportunity", 90),
        ] {
            let cutoff = playbook::db::ts(now - chrono::Duration::days(days));
            let rows: Vec<(Option<String>, i64)> = sqlx::query_as(
                "SELECT owner_id, count(*) FROM contacts WHERE deleted_at IS NULL AND stage = ? AND stage_since < ?
                 GROUP BY owner_id",
            )
            .bind(stage)
            .bind(&cutoff)
            .fetch_all(&mut *conn)
            .await
            .unwrap();
            for (owner, n) in rows {
                *expected.entry(owner).or_default() += n as u32;
            }
        }
        let got: HashMap<Option<String>, u32> = report
            .by_owner
            .iter()
            .map(|o| (o.owner_id.clone(), o.overdue))
            .collect();
        assert_eq!(got, expected, "seed {seed}: overdue contacts by owner");
    }
}

type StepRow = (i64, String, String, Option<String>, String);

async fn projection(db: &Db) -> Vec<StepRow> {
    sqlx::query_as(
        "SELECT at, contact_id, kind, from_stage, to_stage FROM report_steps ORDER BY contact_id, at, seq",
    )
    .fetch_all(db)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_projection_is_the_fold_and_a_refresh_equals_a_rebuild() {
    // `generate` folds the projection itself (no report pays for the first fold), so it is
    // checked as `generate` left it.
    let (_dir, db) = workspace(300, 5).await;
    let mut expected: Vec<StepRow> = applied_histories(&db)
        .await
        .into_iter()
        .flat_map(|(id, events)| {
            events
                .into_iter()
                .filter(|e| e.kind != "attempt")
                .map(move |e| (e.at, id.clone(), e.kind, e.from, e.to))
        })
        .collect();
    expected.sort_by(|a, b| (&a.1, a.0).cmp(&(&b.1, b.0)));
    assert_eq!(
        projection(&db).await,
        expected,
        "every applied step but attempts, as the fold sees it"
    );

    // Work goes on: a rep answers handovers, a version agreed today, a new member.
    let sofia = common::signer(&db, common::SOFIA).await;
    let daniel = common::signer(&db, common::DANIEL).await;
    let maya = common::signer(&db, common::MAYA).await;
    let waiting: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM contacts WHERE stage = 'mql' AND owner_id = ? AND deleted_at IS NULL LIMIT 5",
    )
    .bind(&sofia.member_id)
    .fetch_all(&db)
    .await
    .unwrap();
    assert!(
        !waiting.is_empty(),
        "the generated workspace has leads awaiting Sofia"
    );
    for (i, id) in waiting.iter().enumerate() {
        let kind = if i % 2 == 0 {
            playbook::handoffs::EventKind::Accepted
        } else {
            playbook::handoffs::EventKind::Rejected
        };
        let req = playbook::handoffs::EventRequest {
            kind,
            reason: (i % 2 == 1).then(|| "no_budget".to_string()),
            channel: None,
            note: String::new(),
            assignee_id: None,
        };
        playbook::leads::ops::record(&db, id, &req, &sofia, None)
            .await
            .unwrap();
    }
    // The demo's proposal of a shorter SAL stay awaits sales: agreed now.
    playbook::agreements::ops::approve(&db, "stage/sal", &daniel, "")
        .await
        .unwrap();
    let new = playbook::team::NewMember {
        email: "nora.quist@larkspur.example".into(),
        name: "Nora Quist".into(),
        side: playbook::team::Side::Sales,
        role: playbook::team::Role::Rep,
    };
    playbook::team::add(&db, &new, common::NEW_PASSPHRASE, &maya)
        .await
        .unwrap();

    playbook::reports::steps::refresh(&db).await.unwrap();
    let refreshed = projection(&db).await;
    sqlx::query("DELETE FROM projection_state WHERE key = 'report_steps'")
        .execute(&db)
        .await
        .unwrap();
    playbook::reports::steps::refresh(&db).await.unwrap();
    let rebuilt = projection(&db).await;
    assert_eq!(refreshed.len(), rebuilt.len());
    assert_eq!(
        refreshed, rebuilt,
        "a refreshed projection equals one built from scratch"
    );
    assert!(
        refreshed
            .iter()
            .any(|s| waiting.contains(&s.1) && s.2 == "accepted"),
        "the new acceptances are in"
    );
}

//! Sync under real faults, against a real PostgreSQL 15 (verified TLS) and real SQLite
//! laptops: a proxy of the tests' own that loses the hub's reply to a committed push, cuts a
//! connection at every point of a sync, or stalls it; a hub backend terminated and a hub
//! stopped with `pg_ctl stop -m immediate` in the middle of a push; the CLI killed between
//! the hub's commit and its own acknowledgment; concurrent pushers with a sleep inside the
//! hub's transaction; laptop clocks hours off. Every change must end on the hub exactly
//! once, marked sent exactly once, and every replica must fold to the same state.
mod common;
#[path = "common/hub.rs"]
mod hub;
#[path = "common/proxy.rs"]
mod proxy;
#[path = "common/replica.rs"]
mod replica;
#[path = "common/team.rs"]
mod team;

use std::time::{Duration, Instant};

use playbook::error::{AppError, ErrorCode};
use playbook::sync::SyncReport;
use proxy::{Dir, Fault, Proxy};
use replica::{address, assert_feed_whole, feed, owner, Replica};
use team::{team, team_on, Laptop, Team, DAN, MAYA, PASS, RITA};

/// Calls to the hub give up after this in these tests (a stall is noticed quickly).
const TIMEOUT: Duration = Duration::from_secs(3);

/// The team's hub, a fault proxy in front of it, and laptops opened in-process.
struct Rig {
    t: Team,
    proxy: Proxy,
    laptops: Vec<Laptop>,
}

impl Rig {
    fn new(t: Team) -> Rig {
        let proxy = Proxy::start(t.pg.port);
        Rig {
            t,
            proxy,
            laptops: Vec::new(),
        }
    }

    /// `email`'s laptop (Maya's is the founder's; others join with their code first),
    /// reaching the hub through the proxy.
    async fn replica(&mut self, email: &str) -> Replica {
        let dir = if email == MAYA {
            self.t.maya.0.path().to_path_buf()
        } else {
            let l = self.t.laptop_for(email);
            let dir = l.0.path().to_path_buf();
            self.laptops.push(l);
            dir
        };
        let hub = address(
            &self.t.codes[email],
            self.t.pg.port,
            self.proxy.port,
            TIMEOUT,
        );
        Replica::open(&dir, email, PASS, hub).await
    }

    async fn owner(&self) -> sqlx::PgConnection {
        owner(&self.t.pg.owner_url("acme")).await
    }

    fn hub(&self, sql: &str) -> String {
        self.t.pg.psql("acme", sql)
    }

    /// How many times the hub holds this change (must be 0 or 1).
    fn on_hub(&self, change_id: &str) -> String {
        self.hub(&format!(
            "SELECT count(*) FROM sync.changes WHERE change_id = '{change_id}'"
        ))
    }

    /// The login role the hub gave `email`.
    fn role(&self, email: &str) -> String {
        self.hub(&format!(
            "SELECT role_name FROM sync.members WHERE email = '{email}'"
        ))
    }

    /// A sleep inside the hub's push transaction after every change it stores.
    fn slow_pushes(&self, seconds: &str) {
        self.hub(&format!(
            "CREATE FUNCTION public.slow_push() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN PERFORM pg_sleep({seconds}); RETURN NULL; END $$;
             CREATE TRIGGER slow_push AFTER INSERT ON sync.changes
             FOR EACH ROW EXECUTE FUNCTION public.slow_push();"
        ));
    }
}

/// A definition long enough that the push carrying it is the only message of a sync above
/// 8,000 bytes (the TLS handshake and the login are far smaller).
fn long_definition(n: usize) -> String {
    let mut s = String::from("Someone who asked to be contacted. ");
    while s.len() < n {
        s.push_str("They filled in the form and named their team. ");
    }
    s
}
const BIG: usize = 9_000;
const AFTER_BIG_PUSH: u64 = 8_000;

async fn last_change(r: &Replica) -> String {
    r.written().await.pop().unwrap()
}

fn offline(result: Result<SyncReport, AppError>) -> AppError {
    let e = result.expect_err("the sync should fail");
    assert_eq!(e.code, ErrorCode::Offline, "{e:?}");
    e
}

fn counts(r: &SyncReport) -> (u32, u32, u32) {
    (r.pushed, r.duplicates, r.rejected)
}

/// Every replica holds the same team and playbook, folded alike at several instants.
async fn assert_converged(replicas: &[&Replica]) {
    let now = chrono::Utc::now();
    for at in [
        now,
        now + chrono::Duration::hours(8),
        now - chrono::Duration::hours(8),
    ] {
        let first = replicas[0].state(at).await;
        for r in &replicas[1..] {
            assert_eq!(
                r.state(at).await,
                first,
                "{} and {} differ",
                replicas[0].signer.member_id,
                r.signer.member_id
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_lost_after_the_hub_committed_is_answered_duplicate_and_marked_sent_once() {
    let mut rig = Rig::new(team());
    let maya = rig.replica(MAYA).await;
    let dan = rig.replica(DAN).await;
    maya.propose("Lead", &long_definition(BIG)).await.unwrap();
    let change = last_change(&maya).await;

    rig.proxy.set(Fault::LoseReply {
        after_up: AFTER_BIG_PUSH,
    });
    offline(maya.sync().await);
    assert_eq!(rig.proxy.replies_stopped(), 1, "the push's reply was lost");
    assert_eq!(rig.on_hub(&change), "1", "the hub committed the push");
    assert_eq!(
        maya.waiting_and_rejected().await,
        (1, 0),
        "not marked sent without the hub's answer"
    );

    rig.proxy.set(Fault::Pass);
    let r = maya.sync().await.unwrap();
    assert_eq!(
        counts(&r),
        (0, 1, 0),
        "the retry is answered duplicate: {r:?}"
    );
    assert_eq!(maya.waiting_and_rejected().await, (0, 0));
    assert_eq!(
        maya.scalar(&format!(
            "SELECT count(*) FROM sync_outbox WHERE change_id = '{change}' AND status = 'sent'"
        ))
        .await,
        1
    );
    assert_eq!(rig.on_hub(&change), "1", "still once on the hub");
    assert_feed_whole(&feed(&mut rig.owner().await).await);
    let r = dan.sync().await.unwrap();
    assert_eq!(r.pulled, 1, "{r:?}");
    assert_converged(&[&maya, &dan]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_at_any_point_of_a_sync_loses_nothing_and_duplicates_nothing() {
    let mut rig = Rig::new(team());
    let maya = rig.replica(MAYA).await;
    let dan = rig.replica(DAN).await;
    // Where a sync's bytes fall: one push of one change, its pull, in each direction.
    maya.propose("Term 00", "The first term").await.unwrap();
    rig.proxy.reset();
    maya.sync().await.unwrap();
    let transcript = rig.proxy.transcripts().concat();
    let mut points = Vec::new();
    for dir in [Dir::Up, Dir::Down] {
        let mut at = 0u64;
        for (d, n) in &transcript {
            if *d == dir {
                points.push((dir, at));
                // Inside the message as well as at its start.
                points.push((dir, at + (*n as u64) / 2));
                at += *n as u64;
            }
        }
        // And beyond the end: a cut that never strikes.
        points.push((dir, at + 100_000));
    }
    assert!(
        points.len() >= 20,
        "a sync is many messages: {transcript:?}"
    );

    let (mut acknowledged_late, mut sent_again, mut whole, mut pulled_again) = (0, 0, 0, 0);
    let mut seen = Vec::new();
    for (i, (dir, after)) in points.iter().enumerate() {
        maya.propose(&format!("Term {:02}", i + 1), "A term written offline")
            .await
            .unwrap();
        let change = last_change(&maya).await;
        rig.proxy.set(Fault::Cut {
            dir: *dir,
            after: *after,
        });
        let first = maya.sync().await;
        if let Err(e) = &first {
            assert_eq!(e.code, ErrorCode::Offline, "cut {dir:?} at {after}: {e:?}");
        }
        rig.proxy.set(Fault::Pass);
        rig.proxy.sever();
        let retry = maya.sync().await.unwrap();
        seen.push(format!(
            "{dir:?}@{after}: {} then {:?}",
            first.is_ok(),
            counts(&retry)
        ));
        match (&first, counts(&retry)) {
            (Ok(r), (0, 0, 0)) => {
                assert_eq!(counts(r), (1, 0, 0), "cut {dir:?} at {after}");
                whole += 1;
            }
            // Cut after the push was acknowledged, while pulling.
            (Err(_), (0, 0, 0)) => pulled_again += 1,
            (Err(_), (0, 1, 0)) => acknowledged_late += 1,
            (Err(_), (1, 0, 0)) => sent_again += 1,
            other => panic!("cut {dir:?} at {after}: {other:?}"),
        }
        assert_eq!(rig.on_hub(&change), "1", "cut {dir:?} at {after}");
        assert_eq!(maya.waiting_and_rejected().await, (0, 0));
    }
    // The sweep met each case: the hub's answer lost after its commit, the push lost
    // before it, and cuts too late to matter.
    assert!(
        acknowledged_late >= 1,
        "{acknowledged_late} late acknowledgments: {seen:?}"
    );
    assert!(sent_again >= 1, "{sent_again} pushes sent again: {seen:?}");
    assert!(whole >= 2, "syncs untouched: {seen:?}");
    assert!(pulled_again >= 1, "{pulled_again} pulls cut: {seen:?}");

    let mut o = rig.owner().await;
    let f = feed(&mut o).await;
    assert_feed_whole(&f);
    let mine: std::collections::HashSet<String> = maya.written().await.into_iter().collect();
    assert!(f.iter().all(|(_, c)| mine.contains(c)), "only Maya wrote");
    assert_eq!(
        f.len(),
        mine.len(),
        "every change Maya wrote is on the hub once"
    );
    dan.sync().await.unwrap();
    assert_converged(&[&maya, &dan]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_connection_is_offline_within_the_timeout_and_the_retry_settles_it() {
    let mut rig = Rig::new(team());
    let maya = rig.replica(MAYA).await;
    let dan = rig.replica(DAN).await;

    // Nothing moves: the connection never opens.
    rig.proxy.set(Fault::Stall);
    maya.propose("Lead", &long_definition(BIG)).await.unwrap();
    let change = last_change(&maya).await;
    let start = Instant::now();
    offline(maya.sync().await);
    let took = start.elapsed();
    assert!(
        took >= TIMEOUT && took < TIMEOUT + Duration::from_secs(3),
        "{took:?}"
    );
    assert_eq!(rig.on_hub(&change), "0");

    // The push reaches the hub and commits; its answer never comes back.
    rig.proxy.reset();
    rig.proxy.set(Fault::HoldReply {
        after_up: AFTER_BIG_PUSH,
    });
    let start = Instant::now();
    offline(maya.sync().await);
    let took = start.elapsed();
    assert!(took < TIMEOUT + Duration::from_secs(3), "{took:?}");
    assert_eq!(rig.proxy.replies_stopped(), 1);
    assert_eq!(rig.on_hub(&change), "1");
    assert_eq!(maya.waiting_and_rejected().await, (1, 0));

    rig.proxy.reset();
    let r = maya.sync().await.unwrap();
    assert_eq!(counts(&r), (0, 1, 0), "{r:?}");
    assert_eq!(maya.waiting_and_rejected().await, (0, 0));
    dan.sync().await.unwrap();
    assert_converged(&[&maya, &dan]).await;
}

/// Five changes pushed while the hub sleeps 0.1 s after storing each; `fault` strikes once
/// Maya's push is running (about two changes in). Nothing of that push may remain.
async fn fault_in_the_middle_of_a_push(crash: bool) {
    let mut rig = Rig::new(team());
    let maya = rig.replica(MAYA).await;
    let dan = rig.replica(DAN).await;
    rig.slow_pushes("0.1");
    for i in 0..5 {
        maya.propose(&format!("Term {i}"), "Written before the fault")
            .await
            .unwrap();
    }
    let before = feed(&mut rig.owner().await).await;
    let role = rig.role(MAYA);
    let mut o = rig.owner().await;
    let (first, ()) = tokio::join!(maya.sync(), async {
        // Her backend is inside push_v1, sleeping after a stored change.
        loop {
            let busy: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_stat_activity WHERE usename = $1 AND wait_event = 'PgSleep'",
            )
            .bind(&role)
            .fetch_one(&mut o)
            .await
            .unwrap();
            if busy > 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
        if crash {
            let pg = &rig.t.pg;
            tokio::task::block_in_place(|| pg.crash());
        } else {
            let ended: bool = sqlx::query_scalar(
                "SELECT bool_and(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = $1",
            )
            .bind(&role)
            .fetch_one(&mut o)
            .await
            .unwrap();
            assert!(ended);
        }
    });
    offline(first);
    if crash {
        tokio::task::block_in_place(|| rig.t.pg.restart());
    }
    assert_eq!(
        feed(&mut rig.owner().await).await,
        before,
        "nothing of the interrupted push stayed on the hub"
    );
    assert_eq!(maya.waiting_and_rejected().await, (5, 0));
    rig.proxy.reset();
    let r = maya.sync().await.unwrap();
    assert_eq!(counts(&r), (5, 0, 0), "{r:?}");
    let f = feed(&mut rig.owner().await).await;
    assert_feed_whole(&f);
    assert_eq!(f.len(), before.len() + 5);
    dan.sync().await.unwrap();
    assert_converged(&[&maya, &dan]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_whose_hub_backend_is_terminated_midway_leaves_nothing_and_is_sent_again() {
    fault_in_the_middle_of_a_push(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_stopped_immediately_in_the_middle_of_a_push_loses_nothing() {
    fault_in_the_middle_of_a_push(true).await;
}

#[test]
fn the_cli_killed_after_the_hub_committed_sends_again_and_marks_it_sent_once() {
    let t = team();
    let proxy = Proxy::start(t.pg.port);
    // Maya's laptop reaches the hub through the proxy.
    let mut link = team::hub_link(&t.maya);
    let url = proxy.url(link["url"].as_str().unwrap(), t.pg.port);
    link.insert("url".into(), url.into());
    team::set_hub_link(&t.maya, link);
    let v = t.maya.propose_term("Lead", &long_definition(BIG), MAYA);
    let version = v["id"].as_str().unwrap();
    let change = t.maya.0.sql(&format!(
        "SELECT change_id FROM sync_outbox WHERE record_id = '{version}'"
    ));

    proxy.set(Fault::HoldReply {
        after_up: AFTER_BIG_PUSH,
    });
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_playbook"))
        .arg("--data-dir")
        .arg(t.maya.0.path())
        .arg("sync")
        .env("PLAYBOOK_PASSPHRASE", PASS)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The hub commits; its answer is held; the laptop is killed while it waits.
    let until = Instant::now() + Duration::from_secs(30);
    while t.pg.psql(
        "acme",
        &format!("SELECT count(*) FROM sync.changes WHERE change_id = '{change}'"),
    ) != "1"
        || proxy.replies_stopped() == 0
    {
        assert!(Instant::now() < until, "the push never reached the hub");
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success(), "killed, not finished: {status:?}");
    assert_eq!(
        t.maya.0.sql(&format!(
            "SELECT status FROM sync_outbox WHERE change_id = '{change}'"
        )),
        "pending"
    );

    proxy.reset();
    let r = t.maya.sync();
    assert_eq!(
        (r["pushed"].as_u64(), r["duplicates"].as_u64()),
        (Some(0), Some(1)),
        "{r}"
    );
    assert_eq!(
        t.maya.0.sql(&format!(
            "SELECT status || ' ' || count(*) FROM sync_outbox WHERE change_id = '{change}'"
        )),
        "sent 1"
    );
    assert_eq!(
        t.pg.psql(
            "acme",
            &format!("SELECT count(*) FROM sync.changes WHERE change_id = '{change}'")
        ),
        "1"
    );
    let dan = t.laptop_for(DAN);
    assert_eq!(dan.state(), t.maya.state());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_pushers_commit_in_feed_order_and_no_puller_skips_a_change() {
    let mut rig = Rig::new(team_on(hub::PgServer::start_with(
        "track_commit_timestamp = on",
    )));
    let laptops = [
        rig.replica(MAYA).await,
        rig.replica(DAN).await,
        rig.replica(RITA).await,
    ];
    // Each push sleeps up to 30 ms inside its transaction after every change.
    rig.slow_pushes("random() * 0.03");
    let base = feed(&mut rig.owner().await).await.len();
    let per = 5;
    let total = base + laptops.len() * per * 2;
    let mut o = rig.owner().await;
    let puller_hub = laptops[2].hub.clone();
    // The three laptops write and push at once, each push a transaction of its own.
    let pushes = async {
        tokio::join!(
            write_and_push(&laptops[0], "M", per),
            write_and_push(&laptops[1], "D", per),
            write_and_push(&laptops[2], "R", per)
        )
    };
    let until = Instant::now() + Duration::from_secs(60);
    let watch = async {
        // A member pulling all along, and the owner counting: never a hole in the feed.
        let mut conn = playbook::sync::hub::connect(&puller_hub).await.unwrap();
        let mut after = 0i64;
        let mut looks = 0;
        while (after as usize) < total {
            assert!(
                Instant::now() < until,
                "the feed stopped at {after} of {total}"
            );
            let batch = playbook::sync::hub::pull(&mut conn, after, 1000)
                .await
                .unwrap();
            for c in &batch {
                assert_eq!(c.pos, after + 1, "the pull skipped a change");
                after = c.pos;
            }
            let (count, max): (i64, Option<i64>) =
                sqlx::query_as("SELECT count(*), max(pos) FROM sync.changes")
                    .fetch_one(&mut o)
                    .await
                    .unwrap();
            assert_eq!(Some(count), max, "a later position committed first");
            looks += 1;
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        looks
    };
    let (_, looks) = tokio::join!(pushes, watch);
    assert!(looks > 10, "the watcher looked {looks} times");
    let mut o = rig.owner().await;
    let f = feed(&mut o).await;
    assert_feed_whole(&f);
    assert_eq!(f.len(), total);
    // Commit order is feed order.
    let stamps: Vec<(i64, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
        "SELECT pos, pg_xact_commit_timestamp(xmin) FROM sync.changes WHERE pos > $1 ORDER BY pos",
    )
    .bind(base as i64)
    .fetch_all(&mut o)
    .await
    .unwrap();
    for w in stamps.windows(2) {
        assert!(
            w[0].1 <= w[1].1,
            "position {} committed after {}",
            w[0].0,
            w[1].0
        );
    }
    for l in &laptops {
        l.sync().await.unwrap();
    }
    assert_converged(&[&laptops[0], &laptops[1], &laptops[2]]).await;
}

/// `n` times: two changes written, then one sync that pushes them.
async fn write_and_push(l: &Replica, tag: &str, n: usize) {
    for i in 0..n {
        for j in 0..2 {
            l.propose(&format!("Term {tag}{i}{j}"), "Pushed beside others")
                .await
                .unwrap();
        }
        let r = l.sync().await.unwrap();
        assert_eq!((r.pushed, r.rejected), (2, 0), "{r:?}");
    }
    assert_eq!(l.waiting_and_rejected().await, (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn laptops_whose_clocks_are_hours_off_still_converge() {
    let mut rig = Rig::new(team());
    let maya = rig.replica(MAYA).await;
    let mut dan = rig.replica(DAN).await;
    let mut rita = rig.replica(RITA).await;
    dan.skew = chrono::Duration::hours(6);
    rita.skew = -chrono::Duration::hours(5);
    // Dan proposes and approves "in the future"; Maya approves it at the true time (before
    // his proposal was written, by the clocks); Rita proposes "in the past", hours before
    // she joined the team.
    let sql = dan
        .propose("SQL", "A lead sales has qualified")
        .await
        .unwrap();
    dan.approve(&sql).await.unwrap();
    let mql = rita
        .propose("MQL", "A lead marketing vouches for")
        .await
        .unwrap();
    dan.sync().await.unwrap();
    rita.sync().await.unwrap();
    maya.sync().await.unwrap();
    maya.approve(&sql).await.unwrap();
    maya.sync().await.unwrap();
    // A version dated before its author was a member does not verify: every laptop says
    // so alike (the hub took it: it cannot tell a slow clock from a laptop long offline).
    for l in [&maya, &dan] {
        l.sync().await.unwrap();
        let e = l.approve(&mql).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::NotAllowed, "{e:?}");
        assert!(e.message.contains("does not verify"), "{e:?}");
    }
    for l in [&dan, &rita, &maya, &dan, &rita] {
        let r = l.sync().await.unwrap();
        assert_eq!(r.rejected, 0, "{r:?}");
    }
    // The records keep the times their laptops gave them.
    let at: String = sqlx::query_scalar("SELECT created_at FROM agreement_versions WHERE id = ?")
        .bind(&sql)
        .fetch_one(&maya.db)
        .await
        .unwrap();
    let at = chrono::DateTime::parse_from_rfc3339(&at).unwrap();
    assert!(
        at.with_timezone(&chrono::Utc) > chrono::Utc::now() + chrono::Duration::hours(5),
        "{at}"
    );
    assert_converged(&[&maya, &dan, &rita]).await;
    let f = feed(&mut rig.owner().await).await;
    assert_feed_whole(&f);
    assert_eq!(f.len(), 4 + 2 + 2, "founding, two versions, two sign-offs");
}

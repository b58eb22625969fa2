//! A seeded randomised campaign against a real PostgreSQL 15 hub (verified TLS): in each
//! run three laptops (real SQLite data directories) take 3–7 random steps: signed edits
//! (proposals, revisions, sign-offs) on clocks up to hours ahead, syncs through a fault
//! proxy that cuts, loses replies and stalls, syncs killed midway (the laptop restarted),
//! hub backends terminated, the hub stopped immediately and restarted. After the faults heal,
//! every laptop must hold the same folded state, and every change written anywhere must be
//! on the hub exactly once, in a feed without holes, and applied on every laptop.
//!
//! `SYNC_CAMPAIGN_RUNS` (default 200) and `SYNC_CAMPAIGN_SEED` (default: from the clock;
//! printed, so a failing campaign replays exactly) control it.
mod common;
#[path = "common/hub.rs"]
mod hub;
#[path = "common/proxy.rs"]
mod proxy;
#[path = "common/replica.rs"]
mod replica;
#[path = "common/team.rs"]
mod team;

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::Rng;
use playbook::error::ErrorCode;
use playbook::sync::hub::HubAddress;
use playbook::trust::Signer;
use proxy::{Dir, Fault, Proxy};
use replica::{address, assert_feed_whole, feed, owner, wait_for_no_member_sessions, Replica};
use team::{team, DAN, MAYA, PASS, RITA};

/// Calls to the hub during the faults give up quickly; healing syncs wait longer.
const FAULT_TIMEOUT: Duration = Duration::from_millis(700);
const HEAL_TIMEOUT: Duration = Duration::from_secs(20);

/// One member's laptop as the campaign found it: the data directory every run copies, the
/// key (unlocked once), the hub through the proxy quick to give up (faults) and patient
/// (healing; the proxy then passes everything).
struct Member {
    template: PathBuf,
    signer: Signer,
    faulty: HubAddress,
    healthy: HubAddress,
    manager: bool,
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seeded_campaign_of_edits_faults_kills_and_restarts_converges() {
    let runs = env_u64("SYNC_CAMPAIGN_RUNS").unwrap_or(200);
    let seed = env_u64("SYNC_CAMPAIGN_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64
            | 1
    });
    eprintln!("sync campaign: {runs} runs, seed {seed} (replay: SYNC_CAMPAIGN_SEED={seed})");
    let started = Instant::now();

    let t = team();
    let others = [t.laptop_for(DAN), t.laptop_for(RITA)];
    let proxy = Proxy::start(t.pg.port);
    let mut members = Vec::new();
    for (email, dir, manager) in [
        (MAYA, t.maya.0.path().to_path_buf(), true),
        (DAN, others[0].0.path().to_path_buf(), true),
        (RITA, others[1].0.path().to_path_buf(), false),
    ] {
        let r = Replica::open(
            &dir,
            email,
            PASS,
            address(&t.codes[email], t.pg.port, proxy.port, FAULT_TIMEOUT),
        )
        .await;
        r.db.close().await;
        members.push(Member {
            template: dir,
            signer: r.signer.clone(),
            faulty: r.hub.clone(),
            healthy: address(&t.codes[email], t.pg.port, proxy.port, HEAL_TIMEOUT),
            manager,
        });
    }
    {
        // What one login costs, straight to the hub and through the proxy.
        let login = |h: HubAddress| async move {
            let start = Instant::now();
            let c = playbook::sync::hub::connect(&h).await.unwrap();
            playbook::sync::hub::close(c).await;
            start.elapsed()
        };
        let mut straight = members[1].healthy.clone();
        straight.url = straight.url.replace(
            &format!("localhost:{}/", proxy.port),
            &format!("localhost:{}/", t.pg.port),
        );
        let direct = login(straight).await;
        let proxied = login(members[1].faulty.clone()).await;
        eprintln!("sync campaign: one login takes {direct:?} straight to the hub, {proxied:?} through the proxy");
    }
    // The owner too goes through the proxy (always passing when the owner connects).
    let owner_url = t.pg.owner_url("acme").replace(
        &format!("localhost:{}/", t.pg.port),
        &format!("localhost:{}/", proxy.port),
    );
    let mut o = owner(&owner_url).await;
    sqlx::raw_sql(
        "CREATE TABLE public.base_changes AS SELECT * FROM sync.changes;
         CREATE TABLE public.base_known AS SELECT * FROM sync.known;
         CREATE TABLE public.base_members AS SELECT * FROM sync.members;",
    )
    .execute(&mut o)
    .await
    .unwrap();
    drop(o);

    let mut tally = Tally::default();
    for run in 0..runs {
        let run_seed = seed ^ (run + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut o = owner(&owner_url).await;
        reset_hub(&mut o).await;
        proxy.reset();
        let r = one_run(
            &t.pg,
            &proxy,
            &owner_url,
            &members,
            Rng(run_seed | 1),
            &mut tally,
        )
        .await;
        if let Err(why) = r {
            panic!("sync campaign run {run} (seed {seed}, run seed {run_seed}) failed: {why}");
        }
    }
    eprintln!(
        "sync campaign: {runs} runs passed in {:.1} s (seed {seed}); {tally:?}",
        started.elapsed().as_secs_f64()
    );
    assert!(
        tally.changes > runs,
        "the campaign wrote changes: {tally:?}"
    );
    assert!(tally.failed_syncs > 0, "faults struck: {tally:?}");
}

/// What the campaign did, to show that its faults really struck.
#[derive(Debug, Default)]
struct Tally {
    changes: u64,
    refused_edits: u64,
    syncs: u64,
    failed_syncs: u64,
    killed_syncs: u64,
    duplicates: u64,
    terminated: u64,
    hub_crashes: u64,
    restarts: u64,
    /// Where the time went: opening the laptops, the faulty steps, healing, checking.
    open: Duration,
    steps: Duration,
    heal: Duration,
    check: Duration,
}

async fn reset_hub(o: &mut sqlx::PgConnection) {
    wait_for_no_member_sessions(o).await;
    sqlx::raw_sql(
        "TRUNCATE sync.changes, sync.known;
         INSERT INTO sync.changes SELECT * FROM public.base_changes;
         INSERT INTO sync.known SELECT * FROM public.base_known;
         DELETE FROM sync.members;
         INSERT INTO sync.members SELECT * FROM public.base_members;
         UPDATE sync.sequencer SET last = (SELECT max(pos) FROM public.base_changes);",
    )
    .execute(o)
    .await
    .unwrap();
}

async fn one_run(
    pg: &hub::PgServer,
    proxy: &Proxy,
    owner_url: &str,
    members: &[Member],
    mut rng: Rng,
    tally: &mut Tally,
) -> Result<(), String> {
    let clock = Instant::now();
    let root = tempfile::tempdir().unwrap();
    let mut laptops = Vec::new();
    for (i, m) in members.iter().enumerate() {
        let dir = root.path().join(format!("laptop{i}"));
        replica::copy_dir(&m.template, &dir);
        let mut r = Replica::with_signer(&dir, m.signer.clone(), m.faulty.clone()).await;
        // Clocks right or hours ahead (a clock behind dates records before their author
        // joined; see the fault tests).
        r.skew = chrono::Duration::minutes(rng.below(4) as i64 * 60);
        laptops.push(r);
    }
    tally.open += clock.elapsed();
    let clock = Instant::now();
    let steps = 3 + rng.below(5);
    // One run in twenty stops the hub immediately at one of its steps.
    let crash_step = rng.chance(0.05).then(|| rng.below(steps));
    for step in 0..steps {
        let i = rng.below(laptops.len());
        let roll = rng.below(100);
        if crash_step != Some(step) && roll < 45 {
            edit(&laptops[i], members[i].manager, i, &mut rng, tally).await?;
        } else if crash_step != Some(step) && roll < 80 {
            let fault = match rng.below(10) {
                0..=3 => Fault::Pass,
                4..=6 => Fault::Cut {
                    dir: if rng.chance(0.5) { Dir::Up } else { Dir::Down },
                    after: rng.below(5000) as u64,
                },
                7 | 8 => Fault::LoseReply {
                    after_up: 1500 + rng.below(2500) as u64,
                },
                _ => Fault::HoldReply {
                    after_up: 1500 + rng.below(2500) as u64,
                },
            };
            proxy.set(fault);
            sync(&laptops[i], tally).await?;
            proxy.set(Fault::Pass);
        } else if crash_step != Some(step) && roll < 90 {
            // The laptop is killed while it syncs, then started again.
            proxy.set(Fault::Pass);
            let within = Duration::from_millis(rng.below(60) as u64);
            if tokio::time::timeout(within, laptops[i].sync())
                .await
                .is_err()
            {
                tally.killed_syncs += 1;
            }
            laptops[i].restart().await;
            tally.restarts += 1;
        } else if roll < 96 || crash_step == Some(step) {
            // The hub ends the laptop's session (or crashes) while it syncs.
            proxy.set(Fault::Pass);
            let crash = crash_step == Some(step);
            let after = Duration::from_millis(rng.below(80) as u64);
            let (result, ()) = tokio::join!(laptops[i].sync(), async {
                tokio::time::sleep(after).await;
                if crash {
                    tokio::task::block_in_place(|| pg.crash());
                } else {
                    let mut o = owner(owner_url).await;
                    sqlx::query(
                        "SELECT pg_terminate_backend(a.pid) FROM pg_stat_activity a
                         JOIN sync.members m ON m.role_name = a.usename",
                    )
                    .execute(&mut o)
                    .await
                    .unwrap();
                }
            });
            settle(result, tally)?;
            if crash {
                tokio::task::block_in_place(|| pg.restart());
                tally.hub_crashes += 1;
            } else {
                tally.terminated += 1;
            }
        } else {
            laptops[i].restart().await;
            tally.restarts += 1;
        }
    }

    // Heal: the network is whole again, nothing cut off is still running on the hub; two
    // rounds of syncs (the first pushes everything, the second brings it to everyone).
    tally.steps += clock.elapsed();
    let clock = Instant::now();
    proxy.reset();
    let mut o = owner(owner_url).await;
    wait_for_no_member_sessions(&mut o).await;
    for round in 0..2 {
        for (i, l) in laptops.iter_mut().enumerate() {
            // The second round only for laptops that have not pulled everything yet.
            let checkpoint = l
                .scalar("SELECT CAST(value AS INTEGER) FROM sync_state WHERE key = 'checkpoint'")
                .await;
            if round == 1 && checkpoint == feed(&mut o).await.len() as i64 {
                continue;
            }
            l.hub = members[i].healthy.clone();
            let r = l
                .sync()
                .await
                .map_err(|e| format!("healing sync {round} of laptop {i}: {e:?}"))?;
            if r.rejected > 0 {
                return Err(format!("laptop {i}: the hub rejected {r:?}"));
            }
            tally.duplicates += u64::from(r.duplicates);
        }
    }
    tally.heal += clock.elapsed();
    let clock = Instant::now();
    check(&laptops, &mut o).await?;
    tally.check += clock.elapsed();
    for l in laptops {
        l.db.close().await;
    }
    Ok(())
}

/// A random signed edit: a new term, a revision of one of this laptop's terms, or (for a
/// manager) a sign-off of a proposal. One the domain refuses must leave nothing behind.
async fn edit(
    l: &Replica,
    manager: bool,
    i: usize,
    rng: &mut Rng,
    tally: &mut Tally,
) -> Result<(), String> {
    let before = l.written().await.len();
    let result = if manager && rng.chance(0.5) {
        match l.unsigned_proposals().await.as_slice() {
            [] => return Ok(()),
            open => l.approve(&open[rng.below(open.len())]).await,
        }
    } else {
        // Laptops name their own terms, so two never write version 1 of the same item.
        let name = format!("Term {i}-{}", rng.below(6));
        let text = format!("Definition {} from laptop {i}", rng.next() % 1000);
        l.propose(&name, &text).await.map(|_| ())
    };
    let after = l.written().await.len();
    match result {
        Ok(()) if after == before + 1 => tally.changes += 1,
        Ok(()) => return Err(format!("an edit wrote {} changes", after - before)),
        Err(e) if after == before => {
            if !matches!(
                e.code,
                ErrorCode::InvalidInput | ErrorCode::NotAllowed | ErrorCode::Conflict
            ) {
                return Err(format!("an edit failed oddly: {e:?}"));
            }
            tally.refused_edits += 1;
        }
        Err(e) => return Err(format!("a refused edit left changes behind: {e:?}")),
    }
    Ok(())
}

async fn sync(l: &Replica, tally: &mut Tally) -> Result<(), String> {
    let r = l.sync().await;
    settle(r, tally)
}

/// A sync under faults either works or says "offline"; nothing else.
fn settle(
    r: Result<playbook::sync::SyncReport, playbook::error::AppError>,
    tally: &mut Tally,
) -> Result<(), String> {
    tally.syncs += 1;
    match r {
        Ok(r) if r.rejected == 0 => {
            tally.duplicates += u64::from(r.duplicates);
            Ok(())
        }
        Ok(r) => Err(format!("the hub rejected {r:?}")),
        Err(e) if e.code == ErrorCode::Offline => {
            tally.failed_syncs += 1;
            Ok(())
        }
        Err(e) => Err(format!("a sync failed with {e:?}")),
    }
}

/// Exactly once, everywhere, and the same state on every laptop.
async fn check(laptops: &[Replica], o: &mut sqlx::PgConnection) -> Result<(), String> {
    let f = feed(o).await;
    assert_feed_whole(&f);
    let on_hub: HashSet<&String> = f.iter().map(|(_, c)| c).collect();
    let mut written = HashSet::new();
    for (i, l) in laptops.iter().enumerate() {
        if l.waiting_and_rejected().await != (0, 0) {
            return Err(format!("laptop {i} still has changes waiting or parked"));
        }
        let checkpoint = l
            .scalar("SELECT CAST(value AS INTEGER) FROM sync_state WHERE key = 'checkpoint'")
            .await;
        if checkpoint != f.len() as i64 {
            return Err(format!("laptop {i} pulled to {checkpoint} of {}", f.len()));
        }
        for c in l.written().await {
            // The founding changes are in every copy; the rest are this laptop's own.
            written.insert(c);
        }
    }
    let written: HashSet<&String> = written.iter().collect();
    if written != on_hub {
        return Err(format!(
            "written but not on the hub: {:?}; on the hub but written nowhere: {:?}",
            written.difference(&on_hub).collect::<Vec<_>>(),
            on_hub.difference(&written).collect::<Vec<_>>()
        ));
    }
    let kinds: Vec<(String, i64)> =
        sqlx::query_as("SELECT kind, count(*) FROM sync.changes GROUP BY kind ORDER BY kind")
            .fetch_all(&mut *o)
            .await
            .unwrap();
    for l in laptops {
        for (kind, n) in &kinds {
            let table = match kind.as_str() {
                "member" => "member_records",
                "version" => "agreement_versions",
                "signoff" => "agreement_signoffs",
                "workspace" => "workspace",
                other => return Err(format!("the campaign wrote no {other}")),
            };
            let here = l.scalar(&format!("SELECT count(*) FROM {table}")).await;
            if here != *n {
                return Err(format!("{table}: {here} here, {n} on the hub"));
            }
        }
    }
    let now = chrono::Utc::now();
    for at in [now, now + chrono::Duration::hours(5)] {
        let first = laptops[0].state(at).await;
        for (i, l) in laptops.iter().enumerate().skip(1) {
            if l.state(at).await != first {
                return Err(format!("laptop {i} folds differently from laptop 0"));
            }
        }
    }
    Ok(())
}

//! The sync budget of issue 15 (10,000 changes pushed, and pulled by a second replica,
//! ≤ 2 s), measured against a real PostgreSQL 15 that this starts, beside the raw floor in
//! the same run: the same rows written with COPY and with one multi-row INSERT on the same
//! server (same durability settings) and read back, and written into a fresh SQLite file
//! in one transaction with the app's own settings. Run by `scripts/bench-sync.sh`, never
//! part of the test command (a benchmark, not a timed test); it asserts only that the
//! second replica holds what the first wrote.
mod common;
#[path = "common/hub.rs"]
mod hub;
#[path = "common/replica.rs"]
mod replica;
#[path = "common/team.rs"]
mod team;

use std::time::{Duration, Instant};

use hub::PgServer;
use replica::{address, Replica};
use team::{team, DAN, MAYA, PASS};

#[tokio::test(flavor = "multi_thread")]
#[ignore = "a benchmark: scripts/bench-sync.sh runs it"]
async fn bench_ten_thousand_changes_pushed_and_pulled() {
    let changes: usize = std::env::var("SYNC_BENCH_CHANGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let t = team();
    let port = t.pg.port;
    let hub_a = address(&t.codes[MAYA], port, port, Duration::from_secs(120));
    let a = Replica::open(t.maya.0.path(), MAYA, PASS, hub_a).await;
    // `changes` proposals written on laptop A (not measured).
    for n in 0..changes {
        a.propose(&format!("Term {n:05}"), &format!("Definition number {n}"))
            .await
            .unwrap();
    }

    let clock = Instant::now();
    let pushed = a.sync().await.unwrap();
    let push = clock.elapsed();
    assert_eq!(pushed.pushed as usize, changes);

    // A fresh laptop's first pull (as `sync join` does before the member unlocks).
    let b_dir = tempfile::tempdir().unwrap();
    let b = playbook::db::open(b_dir.path()).await.unwrap();
    let hub_b = address(&t.codes[DAN], port, port, Duration::from_secs(120));
    let clock = Instant::now();
    let pulled = playbook::sync::sync_once(&b, &hub_b).await.unwrap();
    let pull = clock.elapsed();
    let versions = |db: &playbook::db::Db| {
        let db = db.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM agreement_versions")
                .fetch_one(&db)
                .await
                .unwrap()
        }
    };
    assert_eq!(
        versions(&a.db).await,
        versions(&b).await,
        "B holds every version A wrote"
    );

    let login = {
        let clock = Instant::now();
        let c = playbook::sync::hub::connect(&hub_b).await.unwrap();
        playbook::sync::hub::close(c).await;
        clock.elapsed()
    };
    let floor = raw_floor(&t.pg).await;
    let sqlite = sqlite_floor(&floor.rows).await;
    println!("sync bench: {changes} changes");
    println!("  push from A: {} ms  {pushed:?}", push.as_millis());
    println!(
        "  first pull on a fresh B: {} ms  {pulled:?}",
        pull.as_millis()
    );
    println!(
        "  push + pull: {} ms (budget 2,000 ms); of which one hub login each: {} ms",
        (push + pull).as_millis(),
        login.as_millis()
    );
    println!(
        "  raw floor, the same {} rows (change id, kind, record id, payload, hash) on the same server: COPY {} ms, one multi-row INSERT {} ms, SELECT back {} ms; into a fresh SQLite file, one transaction: {} ms",
        floor.rows.len(),
        floor.copy.as_millis(),
        floor.insert.as_millis(),
        floor.select.as_millis(),
        sqlite.as_millis()
    );
    println!(
        "  floor total (INSERT + SELECT + SQLite): {} ms",
        (floor.insert + floor.select + sqlite).as_millis()
    );
}

/// What writing and reading the hub's rows costs PostgreSQL itself, without Playbook.
struct Floor {
    rows: Vec<[String; 5]>,
    copy: Duration,
    insert: Duration,
    select: Duration,
}

/// Copies the feed the push produced into plain tables of the same shape (as the owner,
/// over the same verified TLS): once with COPY, once with one multi-row INSERT, then reads
/// it back: the least any push or pull of these changes could cost.
async fn raw_floor(pg: &PgServer) -> Floor {
    use sqlx::{Executor, Row};
    let mut conn = replica::owner(&pg.owner_url("acme")).await;
    let rows = sqlx::query(
        "SELECT change_id::text AS change_id, kind, record_id, payload, payload_hash FROM sync.changes ORDER BY pos",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let rows: Vec<[String; 5]> = rows
        .iter()
        .map(|r| [0, 1, 2, 3, 4].map(|i| r.get::<String, _>(i)))
        .collect();
    let shape = "(pos bigint PRIMARY KEY, change_id uuid NOT NULL UNIQUE, kind text NOT NULL, record_id text NOT NULL, payload text NOT NULL, payload_hash text NOT NULL, UNIQUE (kind, record_id))";
    conn.execute(sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE TABLE floor_copy {shape}; CREATE TABLE floor_insert {shape}"
    ))))
    .await
    .unwrap();
    let esc = |s: &str| {
        s.replace('\\', "\\\\")
            .replace('\t', "\\t")
            .replace('\n', "\\n")
            .replace('\r', "\\r")
    };
    let mut text = String::new();
    for (n, r) in rows.iter().enumerate() {
        text.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\n",
            n + 1,
            r[0],
            esc(&r[1]),
            esc(&r[2]),
            esc(&r[3]),
            r[4]
        ));
    }
    let clock = Instant::now();
    let mut copy = conn
        .copy_in_raw("COPY floor_copy FROM STDIN")
        .await
        .unwrap();
    copy.send(text.as_bytes()).await.unwrap();
    copy.finish().await.unwrap();
    let copy_time = clock.elapsed();

    let col = |i: usize| rows.iter().map(|r| r[i].clone()).collect::<Vec<String>>();
    let clock = Instant::now();
    sqlx::query(
        "INSERT INTO floor_insert SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[])",
    )
    .bind((1..=rows.len() as i64).collect::<Vec<i64>>())
    .bind(col(0))
    .bind(col(1))
    .bind(col(2))
    .bind(col(3))
    .bind(col(4))
    .execute(&mut conn)
    .await
    .unwrap();
    let insert = clock.elapsed();

    let clock = Instant::now();
    let back = sqlx::query("SELECT * FROM floor_copy ORDER BY pos")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    let select = clock.elapsed();
    assert_eq!(back.len(), rows.len());
    Floor {
        rows,
        copy: copy_time,
        insert,
        select,
    }
}

/// The same rows written into a fresh SQLite file with the app's settings (WAL,
/// synchronous NORMAL), one transaction: the least a pull could cost the second laptop.
async fn sqlite_floor(rows: &[[String; 5]]) -> Duration {
    let dir = tempfile::tempdir().unwrap();
    let db = playbook::db::open(dir.path()).await.unwrap();
    sqlx::query(
        "CREATE TABLE floor (change_id TEXT PRIMARY KEY, kind TEXT NOT NULL, record_id TEXT NOT NULL, payload TEXT NOT NULL, payload_hash TEXT NOT NULL)",
    )
    .execute(&db)
    .await
    .unwrap();
    let clock = Instant::now();
    let mut tx = playbook::db::write(&db).await.unwrap();
    for r in rows {
        sqlx::query("INSERT INTO floor VALUES (?, ?, ?, ?, ?)")
            .bind(&r[0])
            .bind(&r[1])
            .bind(&r[2])
            .bind(&r[3])
            .bind(&r[4])
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let took = clock.elapsed();
    db.close().await;
    took
}

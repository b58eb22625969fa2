//! The contacts import's fast path on a real SQLite file: its raw prepared inserts must
//! write keys that all resolve, leave every pooled connection enforcing foreign keys and
//! checkpointing, write nothing when refused or cancelled however late, and build every
//! index it set aside again. Also the list's search over its indexes.
mod common;

use std::sync::atomic::{AtomicBool, Ordering};

use playbook::error::ErrorCode;
use playbook::imports::run::{self, ImportKind, Options};
use playbook::imports::{quiet, Mapping, Progress};
use playbook::leads::list::LeadFilter;

const CSV: &str = "\
Record ID,First Name,Last Name,Email,Company Name,Lifecycle Stage,Contact owner,Create Date
1,Xanthe,Ellis,xanthe.ellis@brightpath.example,Brightpath Logistics,Lead,Daniel Brooks,2025-03-02 10:00
2,Tomas,Xandrell,tomas@kestrel.example,Kestrel Foods,Marketing Qualified Lead,,2025-03-03 11:30
3,Ines,Alvarez,ines@xanadu.example,Xanadu Freight,Subscriber,,2025-03-04 09:15
4,Oliver,Grantham,oliver@quayside.example,Quayside Retail,Lead,,2025-03-05 16:45
";

async fn import(db: &playbook::db::Db, csv: &str) -> playbook::imports::ImportSummary {
    let (cancel, report) = quiet();
    let progress = Progress {
        cancel: &cancel,
        report: &report,
    };
    import_with(db, csv, &progress).await.unwrap()
}

async fn import_with(
    db: &playbook::db::Db,
    csv: &str,
    progress: &Progress<'_>,
) -> playbook::error::AppResult<playbook::imports::ImportSummary> {
    let tom = common::signer(db, common::TOM).await;
    run::import(
        db,
        ImportKind::Contacts,
        csv.as_bytes(),
        &Mapping::default(),
        Options::default(),
        progress,
        &tom,
    )
    .await
}

/// A HubSpot export of `n` contacts, as the benchmark writes it.
fn big_csv(n: u32) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.csv");
    playbook::bench::write_csv(&path, n).unwrap();
    std::fs::read_to_string(path).unwrap()
}

/// Every index's definition, and whether SQLite finds the file (indexes included) sound.
async fn schema_and_integrity(db: &playbook::db::Db) -> (Vec<(String, String)>, String) {
    let indexes = sqlx::query_as(
        "SELECT name, coalesce(sql, '') FROM sqlite_master WHERE type = 'index' ORDER BY name",
    )
    .fetch_all(db)
    .await
    .unwrap();
    let check = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(db)
        .await
        .unwrap();
    (indexes, check)
}

async fn all_contacts(db: &playbook::db::Db) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM contacts")
        .fetch_one(db)
        .await
        .unwrap()
}

async fn owned_by_daniel(db: &playbook::db::Db) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM contacts c JOIN members m ON m.id = c.owner_id
         WHERE m.name = 'Daniel Brooks'",
    )
    .fetch_one(db)
    .await
    .unwrap()
}

#[tokio::test]
async fn keys_resolve_and_every_connection_enforces_foreign_keys() {
    let (_dir, db) = common::demo_db().await;
    let owned_before = owned_by_daniel(&db).await;
    let s = import(&db, CSV).await;
    assert_eq!((s.created, s.rejected), (4, 0));

    // Every key the fast path wrote resolves.
    let broken: Vec<(String, i64)> =
        sqlx::query_as("SELECT \"table\", rowid FROM pragma_foreign_key_check")
            .fetch_all(&db)
            .await
            .unwrap();
    assert!(broken.is_empty(), "dangling keys: {broken:?}");
    assert_eq!(
        owned_by_daniel(&db).await,
        owned_before + 1,
        "Daniel Brooks owns the first contact"
    );

    // Hold every connection of the pool at once: each must enforce foreign keys again.
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut conn = db.acquire().await.unwrap();
        let on: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(on, 1);
        let refused = sqlx::query(
            "INSERT INTO handoff_events (id, contact_id, kind, at, to_stage, recorded_at)
             VALUES ('x', 'no-such-contact', 'created', '2026-01-01T00:00:00Z', 'mql', '2026-01-01T00:00:00Z')",
        )
        .execute(&mut *conn)
        .await;
        assert!(refused.is_err(), "a dangling contact id must be refused");
        held.push(conn);
    }
}

#[tokio::test]
async fn a_refused_import_leaves_nothing_and_foreign_keys_on() {
    let (_dir, db) = common::demo_db().await;
    let before = all_contacts(&db).await;
    // The second row repeats the first one's id: all-or-nothing writes nothing.
    let bad = "Record ID,Email,Last Name\n7,a@x.example,Ames\n7,b@x.example,Burr\n";
    let s = import(&db, bad).await;
    assert!(!s.written);
    assert_eq!(s.errors[0].row, 3);
    assert_eq!(all_contacts(&db).await, before);
    let on: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(on, 1);
}

#[tokio::test]
async fn search_matches_the_start_of_any_word_of_a_name_an_email_or_a_company() {
    let (_dir, db) = common::demo_db().await;
    import(&db, CSV).await;
    let names = |search: &str| {
        let db = db.clone();
        let filter = LeadFilter {
            search: Some(search.into()),
            ..LeadFilter::default()
        };
        async move {
            let page = playbook::leads::ops::list(&db, &filter, None)
                .await
                .unwrap();
            let mut names: Vec<String> = page.rows.into_iter().map(|r| r.name).collect();
            names.sort();
            assert_eq!(page.total as usize, names.len());
            names
        }
    };
    // "xan": Xandrell (last name), xanthe.ellis@ (email), Xanadu (company); not Grantham.
    assert_eq!(
        names("XAN").await,
        ["Ines Alvarez", "Tomas Xandrell", "Xanthe Ellis"]
    );
    assert_eq!(names("quaysi").await, ["Oliver Grantham"]);
    assert_eq!(names("granth").await, ["Oliver Grantham"]);
    assert!(names("xanz").await.is_empty());
    // FTS5 syntax typed by the user is taken as words, never obeyed.
    assert_eq!(names("\"xan*").await, names("xan").await);
    assert_eq!(names("XAN OR granth").await, Vec::<String>::new());
}

#[tokio::test]
async fn a_large_import_builds_every_index_it_set_aside_again() {
    let (_dir, db) = common::demo_db().await;
    let (indexes, _) = schema_and_integrity(&db).await;
    assert!(indexes.iter().any(|(n, _)| n == "contacts_live_stage"));
    // 12,000 rows into a workspace of a handful: the list indexes are set aside and rebuilt.
    let s = import(&db, &big_csv(12_000)).await;
    assert_eq!(
        (s.created, s.rejected),
        (12_000, 0),
        "{:?}",
        s.errors.first()
    );
    let (after, check) = schema_and_integrity(&db).await;
    assert_eq!(after, indexes, "the same indexes, defined the same way");
    assert_eq!(check, "ok", "every index holds exactly the table's rows");
    let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(
        "EXPLAIN QUERY PLAN SELECT id FROM contacts WHERE stage = 'mql' AND deleted_at IS NULL
         ORDER BY score DESC LIMIT 50",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    assert!(
        plan.iter().any(|p| p.3.contains("contacts_live_stage")),
        "the stage filter uses its index again: {plan:?}"
    );
}

#[tokio::test]
async fn a_row_refused_late_in_a_large_import_writes_nothing() {
    let (_dir, db) = common::demo_db().await;
    let (indexes, _) = schema_and_integrity(&db).await;
    let before = all_contacts(&db).await;
    // Thousands of good rows are already written when row 11,002 turns out bad.
    let mut csv = big_csv(12_000);
    csv = csv.replacen("person11000@", "not-an-email@@", 1);
    let s = import(&db, &csv).await;
    assert!(!s.written);
    assert_eq!((s.created, s.rejected), (0, 1));
    assert_eq!(s.errors[0].row, 11_002);
    assert_eq!(all_contacts(&db).await, before);
    assert_eq!(schema_and_integrity(&db).await, (indexes, "ok".into()));
}

#[tokio::test]
async fn a_large_import_cancelled_midway_writes_nothing() {
    let (_dir, db) = common::demo_db().await;
    let (indexes, _) = schema_and_integrity(&db).await;
    let before = all_contacts(&db).await;
    let cancel = AtomicBool::new(false);
    let report = |done: u32, _total: u32| {
        if done > 5_000 {
            cancel.store(true, Ordering::Relaxed);
        }
    };
    let progress = Progress {
        cancel: &cancel,
        report: &report,
    };
    let err = import_with(&db, &big_csv(12_000), &progress)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Cancelled);
    assert_eq!(all_contacts(&db).await, before);
    assert_eq!(schema_and_integrity(&db).await, (indexes, "ok".into()));
}

#[tokio::test]
async fn after_an_import_every_connection_checkpoints_again() {
    let (_dir, db) = common::demo_db().await;
    import(&db, CSV).await;
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut conn = db.acquire().await.unwrap();
        let pages: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(pages, 1000);
        held.push(conn);
    }
}

//! The contacts import's fast path on a real SQLite file: its raw prepared inserts must
//! write keys that all resolve, leave every pooled connection enforcing foreign keys, and
//! write nothing when refused. Also the list's search over its indexes.
use playbook::imports::{quiet, ImportMode, Mapping, Progress};
use playbook::leads::list::LeadFilter;
use playbook::leads::ops::{self, ImportKind};

const CSV: &str = "\
Record ID,First Name,Last Name,Email,Company Name,Lifecycle Stage,Contact owner,Create Date
1,Xanthe,Ellis,xanthe.ellis@brightpath.example,Brightpath Logistics,Lead,Daniel Brooks,2025-03-02 10:00
2,Tomas,Xandrell,tomas@kestrel.example,Kestrel Foods,Marketing Qualified Lead,,2025-03-03 11:30
3,Ines,Alvarez,ines@xanadu.example,Xanadu Freight,Subscriber,,2025-03-04 09:15
4,Oliver,Grantham,oliver@quayside.example,Quayside Retail,Lead,,2025-03-05 16:45
";

async fn workspace() -> (tempfile::TempDir, playbook::db::Db) {
    let dir = tempfile::tempdir().unwrap();
    let db = playbook::db::open(dir.path()).await.unwrap();
    let mut tx = db.begin().await.unwrap();
    playbook::demo::create(&mut tx, chrono::Utc::now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    (dir, db)
}

async fn import(db: &playbook::db::Db, csv: &str) -> playbook::imports::ImportSummary {
    let (cancel, report) = quiet();
    let progress = Progress {
        cancel: &cancel,
        report: &report,
    };
    ops::import(
        db,
        ImportKind::Contacts,
        csv.as_bytes(),
        &Mapping::default(),
        ImportMode::AllOrNothing,
        false,
        &progress,
    )
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
async fn keys_resolve_and_enforcement_is_back_on_every_connection() {
    let (_dir, db) = workspace().await;
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
async fn a_failed_fast_import_leaves_nothing_and_enforcement_on() {
    let (_dir, db) = workspace().await;
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM contacts")
            .fetch_one(&db)
            .await
            .unwrap()
    };
    let before = count().await;
    // The second row repeats the first one's id: all-or-nothing writes nothing.
    let bad = "Record ID,Email,Last Name\n7,a@x.example,Ames\n7,b@x.example,Burr\n";
    let s = import(&db, bad).await;
    assert!(!s.written);
    assert_eq!(s.errors[0].row, 3);
    assert_eq!(count().await, before);
    let on: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(on, 1);
}

#[tokio::test]
async fn search_matches_the_start_of_a_last_name_an_email_or_a_company() {
    let (_dir, db) = workspace().await;
    import(&db, CSV).await;
    let names = |search: &str| {
        let db = db.clone();
        let filter = LeadFilter {
            search: Some(search.into()),
            ..LeadFilter::default()
        };
        async move {
            let page = ops::list(&db, &filter).await.unwrap();
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
    // A wildcard typed by the user is dropped, not obeyed.
    assert_eq!(names("x%an").await, names("xan").await);
}

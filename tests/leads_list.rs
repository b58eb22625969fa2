//! The leads list on a generated workspace in a real SQLite file: every sort pages
//! consistently and agrees with an independent ordering, and every filter's count is what
//! it shows.
use playbook::leads::list::{LeadFilter, LeadSort};
use playbook::leads::ops;

mod common;

async fn generated() -> (tempfile::TempDir, playbook::db::Db) {
    let (dir, db) = common::demo_db().await;
    let tom = common::signer(&db, common::TOM).await;
    ops::generate(&db, 1_200, 11, &tom).await.unwrap();
    (dir, db)
}

async fn ids(db: &playbook::db::Db, f: &LeadFilter) -> (u32, Vec<String>) {
    let page = ops::list(db, f, None).await.unwrap();
    (page.total, page.rows.into_iter().map(|r| r.id).collect())
}

#[tokio::test]
async fn every_sort_pages_consistently_and_in_its_order() {
    let (_dir, db) = generated().await;
    let sorts = [
        (LeadSort::ScoreDesc, "score DESC, stage_since, rowid"),
        (LeadSort::OldestInStage, "stage_since, rowid"),
        (
            LeadSort::Name,
            "last_name COLLATE NOCASE, first_name COLLATE NOCASE, rowid",
        ),
        (LeadSort::Newest, "created_at DESC, rowid DESC"),
    ];
    for (sort, order) in sorts {
        let all = LeadFilter {
            sort,
            ..LeadFilter::default()
        };
        let (total, everything) = ids(&db, &all).await;
        assert_eq!(total as usize, everything.len());
        assert!(total > 1_000, "{total}");
        let expected: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT id FROM contacts WHERE deleted_at IS NULL ORDER BY {order}"
        )))
        .fetch_all(&db)
        .await
        .unwrap();
        assert_eq!(everything, expected, "{sort:?}");

        let mut paged = Vec::new();
        for offset in (0..total).step_by(50) {
            let (t, page) = ids(
                &db,
                &LeadFilter {
                    sort,
                    offset,
                    limit: 50,
                    ..LeadFilter::default()
                },
            )
            .await;
            assert_eq!(t, total);
            assert!(page.len() <= 50);
            paged.extend(page);
        }
        assert_eq!(paged, everything, "pages of {sort:?} add up to the list");
    }
}

#[tokio::test]
async fn each_filter_counts_what_it_shows() {
    let (_dir, db) = generated().await;
    let owner: String = sqlx::query_scalar(
        "SELECT owner_id FROM contacts WHERE owner_id IS NOT NULL
         GROUP BY owner_id ORDER BY count(*) DESC LIMIT 1",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    let week_ago = playbook::db::ts(chrono::Utc::now() - chrono::Duration::days(7));
    let cases = [
        (
            LeadFilter {
                stage: Some("mql".into()),
                ..LeadFilter::default()
            },
            "stage = 'mql'".to_string(),
        ),
        (
            LeadFilter {
                owner_id: Some(owner.clone()),
                stage: Some("sal".into()),
                sort: LeadSort::OldestInStage,
                ..LeadFilter::default()
            },
            format!("owner_id = '{owner}' AND stage = 'sal'"),
        ),
        (
            LeadFilter {
                source: Some("webinar".into()),
                sort: LeadSort::Name,
                ..LeadFilter::default()
            },
            "source_channel = 'webinar'".to_string(),
        ),
        (
            LeadFilter {
                min_score: Some(40),
                min_days_in_stage: Some(7),
                ..LeadFilter::default()
            },
            format!("score >= 40 AND stage_since <= '{week_ago}'"),
        ),
    ];
    for (filter, condition) in cases {
        let (total, shown) = ids(&db, &filter).await;
        let expected: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT id FROM contacts WHERE deleted_at IS NULL AND {condition}"
        )))
        .fetch_all(&db)
        .await
        .unwrap();
        assert!(!expected.is_empty(), "{condition} matches some contacts");
        assert_eq!(total as usize, expected.len(), "{condition}");
        let (mut shown, mut expected) = (shown, expected);
        shown.sort();
        expected.sort();
        assert_eq!(shown, expected, "{condition}");
    }
}

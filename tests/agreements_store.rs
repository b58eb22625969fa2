//! Agreement rules at the domain level on a real SQLite file, with explicit clocks:
//! scheduled versions, what is in force when, and the append-only guard.
use chrono::{Duration, TimeZone, Utc};
use playbook::agreements::{store, AgreementBody, Proposal, TermBody, VersionStatus};
use playbook::team::{self, NewMember, Role, Side};
use playbook::trust::Signer;

/// A workspace founded by a marketing manager who adds a sales manager.
async fn setup() -> (tempfile::TempDir, playbook::db::Db, Signer, Signer) {
    let dir = tempfile::tempdir().unwrap();
    let db = playbook::db::open(dir.path()).await.unwrap();
    let t0 = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap();
    let mut conn = db.acquire().await.unwrap();
    let add = |email: &str, side| NewMember {
        email: email.into(),
        name: email.into(),
        side,
        role: Role::Manager,
    };
    let (_, m) = team::store::found(
        &mut conn,
        &add("m@x.example", Side::Marketing),
        "passphrase-m",
        t0,
    )
    .await
    .unwrap();
    team::store::add(
        &mut conn,
        &add("s@x.example", Side::Sales),
        "passphrase-s",
        &m,
        t0,
    )
    .await
    .unwrap();
    drop(conn);
    let s = team::unlock(&db, "s@x.example", "passphrase-s")
        .await
        .unwrap();
    (dir, db, m, s)
}

fn term(definition: &str, item_id: Option<String>, effective_from: Option<&str>) -> Proposal {
    Proposal {
        item_id,
        key: None,
        name: "Lead".into(),
        body: AgreementBody::Term(TermBody {
            definition: definition.into(),
        }),
        summary: String::new(),
        effective_from: effective_from.map(str::to_string),
    }
}

#[tokio::test]
async fn a_version_agreed_for_later_takes_force_at_its_time() {
    let (_dir, db, m, s) = setup().await;
    let mut conn = db.acquire().await.unwrap();
    let jan = Utc.with_ymd_and_hms(2026, 1, 10, 9, 0, 0).unwrap();
    let v1 = store::propose(&mut conn, &term("old", None, None), &m, jan)
        .await
        .unwrap();
    store::approve(&mut conn, &v1.id, &m, "", jan)
        .await
        .unwrap();
    let v1 = store::approve(&mut conn, &v1.id, &s, "", jan)
        .await
        .unwrap();
    assert_eq!(v1.status, VersionStatus::InForce);

    let feb = jan + Duration::days(30);
    let v2 = store::propose(
        &mut conn,
        &term(
            "new",
            Some(v1.item_id.clone()),
            Some("2026-04-01T00:00:00Z"),
        ),
        &s,
        feb,
    )
    .await
    .unwrap();
    store::approve(&mut conn, &v2.id, &m, "", feb)
        .await
        .unwrap();
    let v2 = store::approve(&mut conn, &v2.id, &s, "", feb)
        .await
        .unwrap();
    assert_eq!(v2.status, VersionStatus::Scheduled);
    assert_eq!(v2.effective_at.as_deref(), Some("2026-04-01T00:00:00.000Z"));

    let march = store::load_item(&mut conn, &v1.item_id, feb + Duration::days(20))
        .await
        .unwrap();
    assert_eq!(
        march.in_force.unwrap().number,
        1,
        "v1 stays in force until April"
    );
    let may = store::load_item(&mut conn, &v1.item_id, feb + Duration::days(90))
        .await
        .unwrap();
    assert_eq!(may.in_force.unwrap().number, 2);
    assert_eq!(may.versions[1].status, VersionStatus::Superseded);
}

#[tokio::test]
async fn the_log_tables_refuse_updates_and_deletes() {
    let (_dir, db, m, _s) = setup().await;
    let mut conn = db.acquire().await.unwrap();
    let t = Utc.with_ymd_and_hms(2026, 2, 1, 9, 0, 0).unwrap();
    let v = store::propose(&mut conn, &term("x", None, None), &m, t)
        .await
        .unwrap();
    store::approve(&mut conn, &v.id, &m, "", t).await.unwrap();
    for sql in [
        "UPDATE agreement_versions SET name = 'changed'",
        "DELETE FROM agreement_versions",
        "UPDATE agreement_signoffs SET comment = 'changed'",
        "DELETE FROM agreement_signoffs",
        "UPDATE member_records SET role = 'rep'",
        "DELETE FROM member_records",
    ] {
        let err = sqlx::query(sql).execute(&mut *conn).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
}

//! The home screen on a real demo workspace: the numbers kept for the next first paint read
//! back as computed (only marked as kept), per viewer and span, and recomputed when nothing
//! is kept; a rep's extras list content only for their own open contacts, an asset each.
mod common;

use common::{demo_db, signer};
use playbook::home::{cache, extras::extras, home};
use playbook::slas::ops::SlaCache;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kept_home_is_the_computed_one_marked_as_kept() {
    let (_dir, db) = demo_db().await;
    let maya = signer(&db, "maya.okafor@larkspur.example").await.member_id;
    let sofia = signer(&db, "sofia.marin@larkspur.example").await.member_id;
    for viewer in [None, Some(maya.as_str()), Some(sofia.as_str())] {
        assert_eq!(
            cache::kept(&db, viewer, 30).await.unwrap(),
            None,
            "nothing kept yet"
        );
        let computed = home(&db, viewer, 30).await.unwrap();
        assert!(!computed.from_cache);
        let kept = cache::kept(&db, viewer, 30).await.unwrap().expect("kept");
        assert!(kept.from_cache);
        assert_eq!(
            playbook::home::Home {
                from_cache: false,
                ..kept
            },
            computed
        );
        // Another span is kept apart.
        assert_eq!(cache::kept(&db, viewer, 7).await.unwrap(), None);
    }
    // The demo's manager sees the team; the rep sees their own work only.
    let manager = cache::kept(&db, Some(&maya), 30).await.unwrap().unwrap();
    assert!(manager.team.as_ref().is_some_and(|t| !t.funnel.is_empty()));
    let rep = cache::kept(&db, Some(&sofia), 30).await.unwrap().unwrap();
    assert!(rep.team.is_none() && rep.mine.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_home_that_no_longer_reads_is_computed_again() {
    let (_dir, db) = demo_db().await;
    sqlx::query("INSERT INTO projection_state (key, value) VALUES ('home:-:30', '{\"old\":1}')")
        .execute(&db)
        .await
        .unwrap();
    assert_eq!(cache::kept(&db, None, 30).await.unwrap(), None);
    home(&db, None, 30).await.unwrap();
    assert!(cache::kept(&db, None, 30).await.unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reps_content_is_for_their_own_open_contacts() {
    let (dir, db) = demo_db().await;
    playbook::content::demo::create(&db, dir.path(), chrono::Utc::now())
        .await
        .unwrap();
    let sofia = signer(&db, "sofia.marin@larkspur.example").await.member_id;
    let sla = SlaCache::default();
    let e = extras(&db, Some(&sofia), 30, &sla).await.unwrap();
    assert!(
        e.sla.is_none(),
        "a rep sees what they owe, not the team's SLAs"
    );
    assert!(
        !e.content.is_empty(),
        "the demo library fits some of Sofia's contacts"
    );
    let mine = home(&db, Some(&sofia), 30).await.unwrap().mine.unwrap();
    let mut seen = std::collections::HashSet::new();
    for c in &e.content {
        assert!(seen.insert(&c.contact_id), "one asset per contact");
        let pressing = e.sla_due.iter().any(|d| d.contact_id == c.contact_id)
            || mine
                .overdue_contacts
                .iter()
                .any(|o| o.contact_id == c.contact_id);
        assert!(pressing, "{} is neither owed nor overdue", c.contact_name);
        let owner: Option<String> =
            sqlx::query_scalar("SELECT owner_id FROM contacts WHERE id = ?")
                .bind(&c.contact_id)
                .fetch_one(&db)
                .await
                .unwrap();
        assert_eq!(owner.as_deref(), Some(sofia.as_str()));
    }
    // A manager's extras carry the team's SLAs and no rep content.
    let maya = signer(&db, "maya.okafor@larkspur.example").await.member_id;
    let m = extras(&db, Some(&maya), 30, &sla).await.unwrap();
    assert!(m.sla.is_some() && m.content.is_empty());
}

//! Team sync against a real PostgreSQL 15 that the test starts (verified TLS): two and three
//! laptops (real data directories, the real CLI binary) converging through the hub, offline
//! edits on both sides, duplicates after a lost acknowledgment, changes the hub rejects and
//! parks, members the hub refuses, and a hub that crashes in the middle of a sync.
mod common;
#[path = "common/hub.rs"]
mod hub;
#[path = "common/team.rs"]
mod team;

use common::Workspace;
use hub::PgServer;
use serde_json::Value;
use team::{hub_link, set_hub_link, team, Laptop, DAN, MAYA, RITA};

#[test]
fn two_laptops_converge_through_the_hub_with_offline_edits_on_both() {
    let t = team();
    let dan = t.laptop_for(DAN);
    assert_eq!(
        dan.json(&["members", "list"]),
        t.maya.json(&["members", "list"]),
        "the team arrived whole"
    );

    // A proposal on Maya's laptop, signed off by Dan on his.
    t.maya
        .propose_term("Lead", "Someone who showed interest", MAYA);
    t.maya
        .json(&["agreements", "approve", "term/lead@1", "--as", MAYA]);
    t.maya.sync();
    dan.sync();
    let v = dan.json(&["agreements", "approve", "term/lead@1", "--as", DAN]);
    assert_eq!(v["status"], "in_force", "Dan's approval completes it: {v}");
    dan.sync();
    t.maya.sync();
    let on_maya = t.maya.json(&["agreements", "show", "term/lead"]);
    assert_eq!(
        on_maya["inForce"]["status"], "in_force",
        "Dan's approval reached Maya: {on_maya}"
    );

    // Both offline: each proposes and signs something the other has not seen.
    t.maya
        .propose_term("MQL", "A lead marketing vouches for", MAYA);
    t.maya
        .json(&["agreements", "approve", "term/mql@1", "--as", MAYA]);
    dan.propose_term("SQL", "A lead sales has qualified", DAN);
    dan.json(&["agreements", "approve", "term/sql@1", "--as", DAN]);
    dan.json(&[
        "agreements",
        "propose",
        "--item",
        "term/lead",
        "--definition",
        "Someone who asked to be contacted",
        "--as",
        DAN,
    ]);
    t.maya.sync();
    dan.sync();
    t.maya.sync();
    assert_eq!(
        t.maya.state(),
        dan.state(),
        "both replicas hold the same team and playbook"
    );
    let status = dan.json(&["sync", "status"]);
    assert_eq!(status["waiting"], 0, "{status}");
    assert_eq!(status["rejected"], serde_json::json!([]), "{status}");
    // Every change is on the hub once.
    assert_eq!(
        t.pg.psql(
            "acme",
            "SELECT count(*) || ' ' || count(DISTINCT (kind, record_id)) FROM sync.changes"
        ),
        "12 12",
        "4 founding changes, 4 versions, 4 sign-offs, none twice"
    );
}

#[test]
fn offline_edits_converge_whichever_laptop_syncs_first() {
    let t = team();
    let dan = t.laptop_for(DAN);
    t.maya
        .propose_term("MQL", "A lead marketing vouches for", MAYA);
    t.maya
        .json(&["agreements", "approve", "term/mql@1", "--as", MAYA]);
    dan.propose_term("SQL", "A lead sales has qualified", DAN);
    dan.json(&["agreements", "approve", "term/sql@1", "--as", DAN]);
    // The other order from the test above: Dan pushes first, Maya pulls his and pushes hers.
    dan.sync();
    t.maya.sync();
    dan.sync();
    assert_eq!(t.maya.state(), dan.state());
    assert_eq!(
        t.pg.psql(
            "acme",
            "SELECT count(*) || ' ' || count(DISTINCT (kind, record_id)) FROM sync.changes"
        ),
        "8 8",
        "4 founding changes, 2 versions, 2 sign-offs, none twice"
    );
}

#[test]
fn a_lost_acknowledgment_is_sent_again_and_counted_once() {
    let t = team();
    let dan = t.laptop_for(DAN);
    t.maya
        .propose_term("Lead", "Someone who showed interest", MAYA);
    t.maya.sync();
    // The laptop was killed after the hub committed but before it recorded the answer.
    t.maya
        .0
        .sql("UPDATE sync_outbox SET status = 'pending', settled_at = NULL WHERE kind = 'version'");
    let r = t.maya.sync();
    assert_eq!(
        (r["pushed"].as_u64(), r["duplicates"].as_u64()),
        (Some(0), Some(1)),
        "{r}"
    );
    assert_eq!(
        t.pg.psql(
            "acme",
            "SELECT count(*) FROM sync.changes WHERE kind = 'version'"
        ),
        "1"
    );
    dan.sync();
    assert_eq!(t.maya.state(), dan.state());
}

#[test]
fn the_hub_rejects_what_a_member_may_not_sign_and_the_rest_still_flows() {
    let t = team();
    let rita = t.laptop_for(RITA);
    let dan = t.laptop_for(DAN);
    let v = t
        .maya
        .propose_term("Lead", "Someone who showed interest", MAYA);
    t.maya.sync();
    rita.sync();
    // Rita's laptop writes a sign-off in her name and one in Dan's, behind Playbook's back.
    let rita_id = rita
        .0
        .sql(&format!("SELECT id FROM members WHERE email = '{RITA}'"));
    let dan_id = rita
        .0
        .sql(&format!("SELECT id FROM members WHERE email = '{DAN}'"));
    let version = v["id"].as_str().unwrap();
    for (id, who) in [
        ("01a00000-0000-7000-8000-000000000001", &rita_id),
        ("01a00000-0000-7000-8000-000000000002", &dan_id),
    ] {
        rita.0.sql(&format!(
            "INSERT INTO agreement_signoffs (id, version_id, action, member_id, comment, at, hash, signature)
             VALUES ('{id}', '{version}', 'approved', '{who}', '', '2026-01-01T00:00:00.000Z', 'x', 'y')"
        ));
    }
    let r = rita.sync();
    assert_eq!(r["rejected"], 2, "{r}");
    let status = rita.json(&["sync", "status"]);
    let reasons: Vec<&str> = status["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["reason"].as_str().unwrap())
        .collect();
    assert!(reasons[0].contains("only managers sign off"), "{reasons:?}");
    assert!(
        reasons[1].contains("its hash does not match its content"),
        "a sign-off forged in Dan's name: {reasons:?}"
    );
    assert_eq!(status["waiting"], 0, "parked, not waiting");
    // Parked changes do not block: Maya's next change still reaches Rita and Dan.
    t.maya
        .propose_term("MQL", "A lead marketing vouches for", MAYA);
    t.maya.sync();
    rita.sync();
    dan.sync();
    assert_eq!(t.maya.state(), dan.state());
    assert_eq!(
        t.pg.psql(
            "acme",
            "SELECT count(*) FROM sync.changes WHERE kind = 'signoff'"
        ),
        "0"
    );
}

#[test]
fn a_reused_change_id_with_other_content_is_parked_and_the_queue_flows() {
    let t = team();
    let dan = t.laptop_for(DAN);
    t.maya
        .propose_term("Lead", "Someone who showed interest", MAYA);
    t.maya.sync();
    let taken = t
        .maya
        .0
        .sql("SELECT change_id FROM sync_outbox WHERE kind = 'version'");
    // Offline on Dan's laptop: two proposals; the first goes out under an id the hub holds.
    dan.propose_term("SQL", "A lead sales has qualified", DAN);
    dan.propose_term("MQL", "A lead marketing vouches for", DAN);
    dan.0.sql(&format!(
        "UPDATE sync_outbox SET change_id = '{taken}'
         WHERE seq = (SELECT min(seq) FROM sync_outbox WHERE kind = 'version')"
    ));
    let r = dan.sync();
    assert_eq!(
        (r["pushed"].as_u64(), r["rejected"].as_u64()),
        (Some(1), Some(1)),
        "{r}"
    );
    let status = dan.json(&["sync", "status"]);
    assert_eq!(status["waiting"], 0, "parked, not waiting: {status}");
    assert_eq!(
        status["rejected"][0]["changeId"],
        taken.as_str(),
        "{status}"
    );
    assert!(
        status["rejected"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("already on the hub with other content"),
        "{status}"
    );
    // The hub kept its first content; the next change of the queue went through.
    assert_eq!(
        t.pg.psql(
            "acme",
            &format!("SELECT count(*) FROM sync.changes WHERE change_id = '{taken}' AND payload LIKE '%showed interest%'")
        ),
        "1"
    );
    t.maya.sync();
    let mql = t.maya.json(&["agreements", "show", "term/mql"]);
    assert!(mql.to_string().contains("marketing vouches"), "{mql}");
    // A second sync sends nothing again: parked stays parked.
    let again = dan.sync();
    assert_eq!(
        (again["pushed"].as_u64(), again["rejected"].as_u64()),
        (Some(0), Some(0)),
        "{again}"
    );
}

#[test]
fn revoked_members_and_other_companies_are_refused_by_the_hub() {
    let t = team();
    let rita = t.laptop_for(RITA);
    // Members hold no table privilege: only the two functions.
    let role = t.pg.psql(
        "acme",
        &format!("SELECT role_name FROM sync.members WHERE email = '{RITA}'"),
    );
    assert_eq!(
        t.pg.psql("acme", &format!("SELECT has_table_privilege('{role}', 'sync.changes', 'SELECT')::text || has_function_privilege('{role}', 'sync.push_v1(jsonb)', 'EXECUTE')::text")),
        "falsetrue"
    );
    // A second company on the same server: Rita's login cannot reach it.
    t.pg.create_database("globex");
    t.maya
        .ok(&["hub", "init", "--url", &t.pg.owner_url("globex")]);
    let mut c: serde_json::Map<String, Value> = hub_link(&rita);
    let url = c["url"].as_str().unwrap().replace("/acme?", "/globex?");
    c.insert("url".into(), Value::from(url));
    set_hub_link(&rita, c.clone());
    let e = rita.refused(&["sync"], "not_allowed");
    assert!(
        e.contains("globex") || e.contains("permission denied"),
        "{e}"
    );
    set_hub_link(&rita, {
        let mut c = c;
        let url = c["url"].as_str().unwrap().replace("/globex?", "/acme?");
        c.insert("url".into(), Value::from(url));
        c
    });
    rita.sync();
    // Revoked: no push, no pull.
    t.maya.ok(&[
        "hub",
        "revoke",
        "--url",
        &t.pg.owner_url("acme"),
        "--email",
        RITA,
    ]);
    let e = rita.refused(&["sync"], "not_allowed");
    assert!(e.contains("hub refused"), "{e}");
}

#[test]
fn a_hub_that_crashes_mid_sync_loses_nothing_and_duplicates_nothing() {
    let t = team();
    let dan = t.laptop_for(DAN);
    t.maya
        .propose_term("Lead", "Someone who showed interest", MAYA);
    t.pg.crash();
    t.maya.refused(&["sync"], "offline");
    assert_eq!(
        t.maya.json(&["sync", "status"])["waiting"],
        1,
        "the change waits"
    );
    t.pg.restart();
    let r = t.maya.sync();
    assert_eq!(r["pushed"], 1, "{r}");
    dan.sync();
    assert_eq!(t.maya.state(), dan.state());
}

#[test]
fn the_demo_stays_home_and_plain_text_is_refused() {
    let pg = PgServer::start();
    pg.create_database("acme");
    let demo = Workspace::demo();
    let url = pg.owner_url("acme");
    let weak = url.replace("sslmode=verify-full", "sslmode=require");
    let out = demo.run(&["hub", "init", "--url", &weak]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not verify the hub's certificate"));
    demo.ok(&["hub", "init", "--url", &url]);
    let code = demo.json(&["hub", "enrol", "--url", &url, "--email", common::MAYA])["code"]
        .as_str()
        .unwrap()
        .to_string();
    let e = demo.refused(&["sync", "join", &code], "not_allowed");
    assert!(e.contains("demo data"), "{e}");
    assert_eq!(
        pg.psql("acme", "SELECT count(*) FROM sync.changes"),
        "0",
        "nothing of the demo reached the hub"
    );
}

/// The demo's agreed playbook without its team, so this team's managers sign it.
fn playbook_without_members(into: &Laptop) -> std::path::PathBuf {
    let demo = Workspace::demo();
    let file = demo.file("pb.toml");
    demo.ok(&["export-playbook", file.to_str().unwrap()]);
    let text = std::fs::read_to_string(&file).unwrap();
    let mut skip = false;
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| {
            if l.starts_with('[') {
                skip = *l == "[[members]]" || *l == "[[member_records]]";
            }
            !skip
        })
        .collect();
    let out = into.0.file("playbook.toml");
    std::fs::write(&out, kept.join("\n")).unwrap();
    out
}

#[test]
fn contacts_and_handoffs_travel_and_a_reps_rejection_reaches_the_manager() {
    let t = team();
    let pb = playbook_without_members(&t.maya);
    t.maya.ok(&[
        "import-playbook",
        pb.to_str().unwrap(),
        "--signed-by",
        &format!("{MAYA},{DAN}"),
    ]);
    t.maya.ok(&["generate", "--contacts", "30", "--as", MAYA]);
    let r = t.maya.sync();
    assert_eq!(r["rejected"], 0, "{r}");
    let rita = t.laptop_for(RITA);
    assert_eq!(
        rita.json(&["contacts", "list"]),
        t.maya.json(&["contacts", "list"]),
        "every contact, stage and score arrived"
    );

    // Rita rejects a lead waiting in MQL on her laptop; Maya sees it after both sync.
    let list = rita.json(&["contacts", "list"]);
    let lead = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["stage"] == "mql")
        .expect("a lead in MQL");
    let id = lead["id"].as_str().unwrap();
    rita.ok(&[
        "handoff",
        id,
        "reject",
        "--reason",
        "no_budget",
        "--note",
        "no budget this year",
        "--as",
        RITA,
    ]);
    rita.sync();
    t.maya.sync();
    let seen = t.maya.json(&["contacts", "show", id]);
    assert_eq!(seen["contact"]["stage"], "nurture", "{seen}");
    let events = seen["events"].to_string();
    assert!(
        events.contains("no budget this year"),
        "the reason's note arrived: {events}"
    );
    assert_eq!(rita.state(), t.maya.state());
    assert_eq!(
        rita.json(&["contacts", "list"]),
        t.maya.json(&["contacts", "list"])
    );
    // Both replicas verify: nothing tampered, nothing missing.
    rita.ok(&["verify"]);
    t.maya.ok(&["verify"]);
}

/// Counts of the signed records main added after the first outbox (content, meetings).
fn record_counts(l: &Laptop) -> String {
    l.0.sql("SELECT (SELECT count(*) FROM content_records) || ' ' || (SELECT count(*) FROM meeting_records) || ' ' || (SELECT count(*) FROM content_assets) || ' ' || (SELECT count(*) FROM meetings) || ' ' || (SELECT count(*) FROM action_items)")
}

#[test]
fn content_and_meetings_travel_both_ways() {
    let t = team();
    let pb = playbook_without_members(&t.maya);
    t.maya.ok(&[
        "import-playbook",
        pb.to_str().unwrap(),
        "--signed-by",
        &format!("{MAYA},{DAN}"),
    ]);
    t.maya.ok(&[
        "content",
        "add",
        "https://example.com/pricing-guide",
        "--title",
        "Pricing guide",
        "--kind",
        "one_pager",
        "--as",
        MAYA,
    ]);
    let m = t.maya.json(&[
        "meetings",
        "new",
        "--title",
        "Weekly alignment",
        "--as",
        MAYA,
    ]);
    let meeting = m["meeting"]["id"].as_str().unwrap().to_string();
    let r = t.maya.sync();
    assert_eq!(r["rejected"], 0, "{r}");
    assert_eq!(r["waiting"], 0, "{r}");

    let dan = t.laptop_for(DAN);
    let found = dan.json(&["content", "search", "pricing"]);
    assert!(
        found.to_string().contains("Pricing guide"),
        "the asset reached Dan's library: {found}"
    );
    assert_eq!(record_counts(&dan), record_counts(&t.maya));
    // Dan adds an action item on his laptop; Maya's meeting shows it after both sync.
    dan.ok(&[
        "meetings",
        "action",
        &meeting,
        "--title",
        "Call the pricing committee",
        "--owner",
        DAN,
        "--as",
        DAN,
    ]);
    let r = dan.sync();
    assert_eq!(r["rejected"], 0, "{r}");
    t.maya.sync();
    let seen = t.maya.json(&["meetings", "show", &meeting]);
    assert!(
        seen.to_string().contains("Call the pricing committee"),
        "Dan's action item reached Maya: {seen}"
    );
    assert_eq!(record_counts(&dan), record_counts(&t.maya));
    assert_eq!(
        dan.json(&["meetings", "show", &meeting]),
        seen,
        "both replicas fold the meeting alike"
    );
    dan.ok(&["verify"]);
    t.maya.ok(&["verify"]);
}

#[test]
fn the_hubs_ed25519_check_agrees_with_ed25519_dalek() {
    use ed25519_dalek::Signer as _;
    let pg = PgServer::start();
    pg.create_database("acme");
    let laptop = Laptop::new();
    laptop.ok(&["hub", "init", "--url", &pg.owner_url("acme")]);
    let mut seed = [7u8; 32];
    for n in 0..6u8 {
        seed[0] = n;
        let key = ed25519_dalek::SigningKey::from_bytes(&seed);
        let msg = format!("{:064x}", u64::from(n) * 7919);
        let sig = key.sign(msg.as_bytes()).to_bytes();
        let public = hex::encode(key.verifying_key().to_bytes());
        let check = |sig: &[u8], msg: &str| {
            pg.psql(
                "acme",
                &format!(
                    "SELECT sync.ed25519_verify(decode('{public}', 'hex'), convert_to('{msg}', 'UTF8'), decode('{}', 'hex'))",
                    hex::encode(sig)
                ),
            )
        };
        assert_eq!(
            check(&sig, &msg),
            "t",
            "a good signature verifies (key {n})"
        );
        let mut bad = sig;
        bad[n as usize * 5] ^= 1;
        assert_eq!(
            check(&bad, &msg),
            "f",
            "a changed signature does not (key {n})"
        );
        assert_eq!(
            check(&sig, &msg.replace('0', "1")),
            "f",
            "nor another message (key {n})"
        );
    }
}

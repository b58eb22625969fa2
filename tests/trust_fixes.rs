//! The holes a hostile tester found in the trust model after issue 9, each through the real
//! binary on a real SQLite file: the refusal names its rule (error code and message) and
//! nothing changes; records forged with a member's own key (written straight into the file
//! with Playbook's library, as a hostile member with their passphrase could) count for
//! nothing and `playbook verify` says why.
mod common;

use chrono::{Duration, Utc};
use common::{Workspace, DANIEL, DEMO_PASSPHRASE, LUKAS, MAYA, PRIYA, SOFIA, TOM};
use playbook::agreements::{store as agreements, SignoffAction};
use playbook::team::records::{self as member_records, MemberFields};
use serde_json::Value;

/// Runs `write` in one transaction on the workspace's file, in this process.
async fn forge<F>(w: &Workspace, write: F)
where
    F: for<'c> FnOnce(
        &'c mut playbook::db::Conn,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + 'c>>,
{
    let db = playbook::db::open(w.path()).await.unwrap();
    let mut tx = playbook::db::write(&db).await.unwrap();
    write(&mut tx).await;
    tx.commit().await.unwrap();
    db.close().await;
}

async fn key(w: &Workspace, email: &str, passphrase: &str) -> playbook::trust::Signer {
    let db = playbook::db::open(w.path()).await.unwrap();
    let s = playbook::team::unlock(&db, email, passphrase)
        .await
        .unwrap();
    db.close().await;
    s
}

/// The member records of `email` as the roster folds them, latest state.
async fn state(w: &Workspace, email: &str) -> playbook::team::roster::MemberState {
    let db = playbook::db::open(w.path()).await.unwrap();
    let mut conn = db.acquire().await.unwrap();
    let m = playbook::team::store::by_email(&mut conn, email)
        .await
        .unwrap();
    let roster = member_records::roster(&mut conn).await.unwrap();
    let s = roster.latest(&m.id).unwrap().clone();
    drop(conn);
    db.close().await;
    s
}

fn fields(s: &playbook::team::roster::MemberState) -> MemberFields<'_> {
    MemberFields {
        member_id: &s.member_id,
        email: &s.email,
        name: &s.name,
        side: s.side,
        role: s.role,
        removed: false,
        public_key: &s.public_key,
        key_envelope: &s.key_envelope,
    }
}

/// `verify --format json`: must fail; returns its report.
fn verify_fails(w: &Workspace) -> Value {
    let out = w.run(&["--format", "json", "verify"]);
    assert_eq!(out.status.code(), Some(1), "verify must fail");
    assert!(String::from_utf8_lossy(&out.stderr).contains("do not verify"));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn failure<'a>(report: &'a Value, words: &str) -> &'a Value {
    report["failures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f.to_string().contains(words))
        .unwrap_or_else(|| panic!("verify should list {words}: {report}"))
}

/// What counts: each item's version in force and pending (with the sides it awaits), and
/// the team, as every command sees them.
fn folds(w: &Workspace) -> Value {
    let items: Vec<Value> = w
        .json(&["agreements", "list"])
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            serde_json::json!([
                i["key"],
                i["inForce"]["number"],
                i["pending"]["number"],
                i["pending"]["awaiting"]
            ])
        })
        .collect();
    serde_json::json!({ "items": items, "members": w.json(&["members", "list"]) })
}

#[tokio::test]
async fn f1_a_demoted_manager_cannot_back_date_a_sign_off() {
    let w = Workspace::demo();
    // Daniel signs nothing more as a manager: Maya makes him a rep. Then Maya proposes a
    // new definition and approves it for marketing; it awaits a sales manager.
    w.ok(&[
        "members", "set-role", DANIEL, "--side", "sales", "--role", "rep", "--as", MAYA,
    ]);
    let demoted = Utc::now();
    w.ok(&[
        "agreements",
        "propose",
        "--item",
        "term/lead",
        "--definition",
        "Anyone who gave us an email address.",
        "--as",
        MAYA,
    ]);
    w.ok(&["agreements", "approve", "term/lead@2", "--as", MAYA]);
    let v2 = w.json(&["agreements", "show", "term/lead@2"])["pending"].clone();
    let before = folds(&w);
    // Daniel still has his key: he signs an approval dated to when he was a manager.
    let daniel = key(&w, DANIEL, DEMO_PASSPHRASE).await;
    let (id, hash) = (
        v2["id"].as_str().unwrap().to_string(),
        v2["hash"].as_str().unwrap().to_string(),
    );
    let at = demoted - Duration::hours(1);
    forge(&w, move |conn| {
        Box::pin(async move {
            let s =
                agreements::signed_signoff(&id, &hash, SignoffAction::Approved, &daniel, "", at);
            agreements::insert_signoff(conn, &s).await.unwrap();
        })
    })
    .await;
    assert_eq!(
        folds(&w),
        before,
        "the back-dated approval counts for nothing"
    );
    let item = w.json(&["agreements", "show", "term/lead@2"]);
    assert_eq!(item["pending"]["awaiting"], serde_json::json!(["sales"]));
    let forged = item["pending"]["log"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["memberName"] == "Daniel Brooks")
        .unwrap();
    assert!(
        forged["problem"]
            .as_str()
            .unwrap()
            .contains("before the version it signs was written"),
        "{forged}"
    );
    let report = verify_fails(&w);
    let f = failure(&report, "before the version it signs was written");
    assert_eq!(f["kind"], "not_authorised", "genuine, but not authorised");
    assert!(
        f["label"]
            .as_str()
            .unwrap()
            .contains("approval of term/lead@2 by Daniel Brooks <daniel.brooks@larkspur.example>"),
        "{f}"
    );
    let text = w.run(&["verify"]);
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(
        stdout.contains("NOT AUTHORISED agreement_signoffs") && !stdout.contains("TAMPERED"),
        "{stdout}"
    );
}

#[tokio::test]
async fn f1_a_member_record_dated_before_its_signer_joined_counts_for_nothing() {
    let w = Workspace::demo();
    let pass = [
        ("PLAYBOOK_PASSPHRASE", DEMO_PASSPHRASE),
        ("PLAYBOOK_NEW_PASSPHRASE", common::NEW_PASSPHRASE),
    ];
    let out = w.run_with(
        &[
            "members",
            "add",
            "--email",
            "ana@larkspur.example",
            "--name",
            "Ana Ruiz",
            "--side",
            "sales",
            "--role",
            "manager",
            "--as",
            DANIEL,
        ],
        &pass,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let before = folds(&w);
    // Ana makes Lukas a manager, in a record dated a month before she joined.
    let ana = key(&w, "ana@larkspur.example", common::NEW_PASSPHRASE).await;
    let lukas = state(&w, LUKAS).await;
    forge(&w, move |conn| {
        Box::pin(async move {
            let r = member_records::signed(
                &MemberFields {
                    role: playbook::team::Role::Manager,
                    ..fields(&lukas)
                },
                &ana,
                Utc::now() - Duration::days(30),
            );
            member_records::insert(conn, &r).await.unwrap();
        })
    })
    .await;
    assert_eq!(folds(&w), before, "Lukas is still a rep");
    let err = w.refused(
        &["agreements", "approve", "stage/sal@2", "--as", LUKAS],
        "not_allowed",
    );
    assert!(
        err.contains("only managers sign off the playbook; Lukas Weber is a sales rep"),
        "{err}"
    );
    let report = verify_fails(&w);
    let f = failure(&report, "who was not on the team at");
    assert!(
        f["problem"]
            .as_str()
            .unwrap()
            .starts_with("signed by Ana Ruiz <ana@larkspur.example>, who was not on the team at"),
        "names, never ids: {f}"
    );
    assert_eq!(f["kind"], "not_authorised");
}

#[test]
fn f2_the_members_table_is_never_who_may_sign() {
    let w = Workspace::demo();
    let before = w.everything();
    // Behind Playbook's back: Sofia made a manager, Priya made ops, Daniel hidden, Maya a
    // rep, and a manager who never was.
    w.sql(&format!(
        "UPDATE members SET role = 'manager' WHERE email = '{SOFIA}';
         UPDATE members SET role = 'ops' WHERE email = '{PRIYA}';
         UPDATE members SET deleted_at = '2026-01-01T00:00:00.000Z' WHERE email = '{DANIEL}';
         UPDATE members SET role = 'rep' WHERE email = '{MAYA}';
         INSERT INTO members (id, email, name, side, role, created_at, updated_at)
           VALUES ('ghost', 'ghost@larkspur.example', 'Ghost', 'sales', 'manager', '2026-01-01', '2026-01-01');"
    ));
    let err = w.refused(
        &["agreements", "approve", "stage/sal@2", "--as", SOFIA],
        "not_allowed",
    );
    assert!(
        err.contains("only managers sign off the playbook; Sofia Marín is a sales rep"),
        "{err}"
    );
    let csv = w.file("leads.csv");
    std::fs::write(&csv, "Email,First Name\nkim@acme.example,Kim\n").unwrap();
    let err = w.refused(
        &["import", "contacts", csv.to_str().unwrap(), "--as", PRIYA],
        "not_allowed",
    );
    assert!(
        err.contains("imports are signed by ops or managers; Priya Raman is a marketing rep"),
        "{err}"
    );
    let err = w.refused(
        &[
            "agreements",
            "approve",
            "stage/sal@2",
            "--as",
            "ghost@larkspur.example",
        ],
        "not_found",
    );
    assert!(
        err.contains("no team member with email ghost@larkspur.example"),
        "{err}"
    );
    // The list is the roster's: Daniel and Maya are managers, nobody else.
    assert_eq!(
        w.everything(),
        before,
        "every command sees the signed team, whatever the members table says"
    );
    // verify puts the table right, and says so; rebuild would too.
    let report = w.json(&["verify"]);
    assert_eq!(report["repaired"]["members"], 5, "{report}");
    assert_eq!(
        w.sql("SELECT email || ' ' || role || ' ' || (deleted_at IS NULL) FROM members ORDER BY email"),
        "daniel.brooks@larkspur.example manager 1\nghost@larkspur.example manager 0\nhannah.cole@larkspur.example ops 1\n\
         lukas.weber@larkspur.example rep 1\nmaya.okafor@larkspur.example manager 1\npriya.raman@larkspur.example rep 1\n\
         sofia.marin@larkspur.example rep 1\ntom.lindqvist@larkspur.example ops 1"
    );
    w.sql(&format!(
        "UPDATE members SET role = 'manager' WHERE email = '{LUKAS}'"
    ));
    assert_eq!(w.json(&["rebuild"])["membersChanged"], 1);
}

#[test]
fn f3_rows_deleted_behind_playbooks_back_are_reported_and_caches_repaired() {
    let w = Workspace::demo();
    let first = |stage: &str| {
        w.json(&["contacts", "list", "--stage", stage, "--limit", "1"])[0]["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (inquiry, mql) = (first("inquiry"), first("mql"));
    let sal = w.json(&["agreements", "show", "stage/sal@2"])["pending"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // A contact imported on its own, as an MQL.
    let csv = w.file("kim.csv");
    std::fs::write(
        &csv,
        "Email,First Name,Last Name,Company,Lifecycle Stage\nkim@acme.example,Kim,Lee,Acme,Marketing Qualified Lead\n",
    )
    .unwrap();
    w.ok(&["import", "contacts", csv.to_str().unwrap(), "--as", TOM]);
    let kim = w.json(&["contacts", "list", "--search", "kim@acme"])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        w.json(&["contacts", "show", &kim])["contact"]["stage"],
        "mql"
    );
    // Triggers dropped; a proposal, a contact and Kim's history deleted; a cached stage
    // rewritten.
    w.sql(&format!(
        "DROP TRIGGER agreement_versions_no_delete;
         DELETE FROM agreement_versions WHERE id = '{sal}';
         DELETE FROM contacts WHERE id = '{inquiry}';
         DROP TRIGGER handoff_events_no_delete;
         DELETE FROM handoff_events WHERE contact_id = '{kim}';
         UPDATE contacts SET stage = 'customer' WHERE id = '{mql}';"
    ));
    let report = verify_fails(&w);
    let orphan = failure(&report, "the version it signs is not in this workspace");
    assert_eq!(orphan["kind"], "missing");
    assert_eq!(orphan["table"], "agreement_signoffs");
    let gone = failure(
        &report,
        "the contact it belongs to is not in this workspace",
    );
    assert_eq!(gone["kind"], "missing");
    let short = failure(&report, "it signed 1 rows; 0 are stored");
    assert_eq!(
        (short["table"].as_str(), short["kind"].as_str()),
        (Some("bulk_records"), Some("tampered"))
    );
    assert_eq!(report["repaired"]["stages"], 2, "{report}");
    // The list agrees with the logs again; a contact with no history left is in the first
    // stage since it was created.
    assert_eq!(
        w.json(&["contacts", "show", &mql])["contact"]["stage"],
        "mql"
    );
    let bare = w.json(&["contacts", "show", &kim]);
    assert_eq!(bare["contact"]["stage"], "inquiry");
    assert_eq!(bare["contact"]["stageSince"], bare["contact"]["createdAt"]);
    let listed = w.json(&["contacts", "list", "--stage", "mql"]);
    assert!(!listed.to_string().contains(&kim));
    let text = String::from_utf8(w.run(&["verify"]).stdout).unwrap();
    assert!(text.contains("MISSING agreement_signoffs"), "{text}");
}

#[test]
fn f4_imported_events_stay_the_importers_and_follow_the_rules() {
    let w = Workspace::demo();
    let mql = w.json(&["contacts", "list", "--stage", "mql", "--limit", "2"]);
    let (a, b) = (
        mql[0]["email"].as_str().unwrap().to_string(),
        mql[1]["id"].as_str().unwrap().to_string(),
    );
    let b_email = mql[1]["email"].as_str().unwrap().to_string();
    // Sofia accepts lead b in Playbook, signed.
    let accepted = w.json(&["handoff", &b, "accept", "--as", SOFIA]);
    let accepted_at =
        chrono::DateTime::parse_from_rfc3339(accepted["at"].as_str().unwrap()).unwrap();
    let earlier = (accepted_at - Duration::minutes(10)).to_rfc3339();
    let later = (accepted_at + Duration::seconds(1)).to_rfc3339();
    let a_at = (Utc::now() - Duration::minutes(1)).to_rfc3339();
    let events = w.file("events.csv");
    std::fs::write(
        &events,
        format!(
            "Contact,Event,Date,Actor,Reason,Channel\n\
             {a},rejected,{a_at},{PRIYA},no_budget,\n\
             {b_email},rejected,{earlier},{SOFIA},no_budget,\n\
             {b_email},attempt,{later},{DANIEL},,phone\n"
        ),
    )
    .unwrap();
    let before = w.everything();
    let out = w.run(&[
        "--format",
        "json",
        "import",
        "events",
        events.to_str().unwrap(),
        "--as",
        TOM,
    ]);
    assert_eq!(out.status.code(), Some(1));
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors = s["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{s}");
    assert_eq!(errors[0]["row"], 2);
    assert_eq!(errors[0]["column"], "Actor");
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("only sales records 'rejected'")
            && errors[0]["message"]
                .as_str()
                .unwrap()
                .contains("Priya Raman is in marketing"),
        "{s}"
    );
    assert_eq!(errors[1]["row"], 3);
    assert_eq!(errors[1]["column"], "Date");
    assert!(
        errors[1]["message"]
            .as_str()
            .unwrap()
            .contains("it cannot rewrite signed history"),
        "{s}"
    );
    assert_eq!(
        w.everything(),
        before,
        "all or nothing: nothing was written"
    );

    w.ok(&[
        "import",
        "events",
        events.to_str().unwrap(),
        "--mode",
        "valid-rows",
        "--as",
        TOM,
    ]);
    let page = w.json(&["contacts", "show", &b]);
    let attempt = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            e["kind"] == "attempt" && e["at"].as_str().unwrap() > accepted["at"].as_str().unwrap()
        })
        .unwrap();
    assert_eq!(attempt["status"], "applied");
    assert_eq!(
        attempt["actorName"], "Tom Lindqvist",
        "signed by the importer"
    );
    assert_eq!(attempt["sourceActorName"], "Daniel Brooks");
    assert_eq!(
        attempt["by"],
        "Daniel Brooks · imported from the CRM by Tom Lindqvist"
    );
    let text = w.ok(&["contacts", "show", &b]);
    assert!(
        text.contains("Daniel Brooks · imported from the CRM by Tom Lindqvist"),
        "{text}"
    );
}

#[tokio::test]
async fn f5_one_manager_never_approves_for_both_sides() {
    let w = Workspace::demo();
    // Her own side or role: another manager must sign it.
    let before = w.everything();
    let err = w.refused(
        &[
            "members", "set-role", MAYA, "--side", "sales", "--role", "manager", "--as", MAYA,
        ],
        "not_allowed",
    );
    assert!(err.contains("another manager must sign it"), "{err}");
    assert_eq!(w.everything(), before);

    w.ok(&[
        "agreements",
        "propose",
        "--item",
        "term/lead",
        "--definition",
        "Anyone at all.",
        "--as",
        MAYA,
    ]);
    w.ok(&["agreements", "approve", "term/lead@2", "--as", MAYA]);
    // Daniel moves Maya to sales; she approves again, now as a sales manager.
    w.ok(&[
        "members", "set-role", MAYA, "--side", "sales", "--role", "manager", "--as", DANIEL,
    ]);
    let err = w.refused(
        &["agreements", "approve", "term/lead@2", "--as", MAYA],
        "conflict",
    );
    assert!(err.contains("Maya Okafor has already signed"), "{err}");
    let v2 = w.json(&["agreements", "show", "term/lead@2"])["pending"].clone();
    let maya = key(&w, MAYA, DEMO_PASSPHRASE).await;
    let (id, hash) = (
        v2["id"].as_str().unwrap().to_string(),
        v2["hash"].as_str().unwrap().to_string(),
    );
    forge(&w, move |conn| {
        Box::pin(async move {
            let s = agreements::signed_signoff(
                &id,
                &hash,
                SignoffAction::Approved,
                &maya,
                "",
                Utc::now(),
            );
            agreements::insert_signoff(conn, &s).await.unwrap();
        })
    })
    .await;
    let item = w.json(&["agreements", "show", "term/lead"]);
    assert_eq!(
        item["inForce"]["number"], 1,
        "one person's two approvals agree nothing"
    );
    assert_eq!(item["pending"]["awaiting"], serde_json::json!(["sales"]));
    // Her own record making herself a sales manager does not count either.
    let me = state(&w, MAYA).await;
    let maya = key(&w, MAYA, DEMO_PASSPHRASE).await;
    forge(&w, move |conn| {
        Box::pin(async move {
            let r = member_records::signed(
                &MemberFields {
                    side: playbook::team::Side::Marketing,
                    ..fields(&me)
                },
                &maya,
                Utc::now(),
            );
            member_records::insert(conn, &r).await.unwrap();
        })
    })
    .await;
    let report = verify_fails(&w);
    let f = failure(&report, "changed their own name, side, role");
    assert_eq!(f["kind"], "not_authorised");
    let members = w.json(&["members", "list"]);
    let maya_now = members
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == MAYA)
        .unwrap();
    assert_eq!(maya_now["side"], "sales");
}

#[tokio::test]
async fn f6_only_a_member_changes_their_own_key() {
    let w = Workspace::demo();
    let mql = w.json(&["contacts", "list", "--stage", "mql", "--limit", "2"]);
    let first = mql[0]["id"].as_str().unwrap().to_string();
    w.ok(&["handoff", &first, "accept", "--as", SOFIA]);
    let before = folds(&w);
    // Daniel gives Sofia a key he made, so that he can sign as her.
    let sofia = state(&w, SOFIA).await;
    let daniel = key(&w, DANIEL, DEMO_PASSPHRASE).await;
    let (made, envelope) = playbook::trust::keys::generate("daniel knows this").unwrap();
    let public = playbook::trust::keys::public_hex(&made);
    let envelope = serde_json::to_string(&envelope).unwrap();
    forge(&w, move |conn| {
        Box::pin(async move {
            let r = member_records::signed(
                &MemberFields {
                    public_key: &public,
                    key_envelope: &envelope,
                    ..fields(&sofia)
                },
                &daniel,
                Utc::now(),
            );
            member_records::insert(conn, &r).await.unwrap();
        })
    })
    .await;
    assert_eq!(folds(&w), before);
    let err = w.refused_with(
        &[
            "handoff",
            mql[1]["id"].as_str().unwrap(),
            "accept",
            "--as",
            SOFIA,
        ],
        &[("PLAYBOOK_PASSPHRASE", "daniel knows this")],
        "not_allowed",
    );
    assert!(err.contains("the passphrase is wrong"), "{err}");
    let report = verify_fails(&w);
    let f = failure(&report, "only a member changes their own key");
    assert_eq!(f["kind"], "not_authorised");
    assert!(
        f["problem"]
            .as_str()
            .unwrap()
            .starts_with("Daniel Brooks changed Sofia Marín's key"),
        "{f}"
    );

    // What a manager may do for a forgotten passphrase: remove her and add her again.
    w.ok(&["members", "remove", SOFIA, "--as", DANIEL]);
    let out = w.run_with(
        &[
            "members",
            "add",
            "--email",
            SOFIA,
            "--name",
            "Sofia Marín",
            "--side",
            "sales",
            "--role",
            "rep",
            "--as",
            DANIEL,
        ],
        &[
            ("PLAYBOOK_PASSPHRASE", DEMO_PASSPHRASE),
            ("PLAYBOOK_NEW_PASSPHRASE", "sofia's new passphrase"),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let members = w.json(&["members", "list"]);
    let sofia = members
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == SOFIA)
        .unwrap();
    assert_eq!(sofia["keySetBy"], "Daniel Brooks");
    let day = &sofia["keySetAt"].as_str().unwrap()[..10];
    let list = w.ok(&["members", "list"]);
    assert!(
        list.contains(&format!("key set by Daniel Brooks on {day}")),
        "{list}"
    );
    let show = w.ok(&["members", "show", SOFIA]);
    assert!(
        show.contains(&format!("key set by Daniel Brooks on {day}")),
        "{show}"
    );
    assert!(
        show.contains("added again as a sales rep, with a new key · signed by Daniel Brooks"),
        "{show}"
    );
    // Her old signature still verifies against her old key; her new key signs.
    let page = w.json(&["contacts", "show", &first]);
    assert_eq!(page["events"][0]["status"], "applied");
    let out = w.run_with(
        &[
            "handoff",
            mql[1]["id"].as_str().unwrap(),
            "accept",
            "--as",
            SOFIA,
        ],
        &[("PLAYBOOK_PASSPHRASE", "sofia's new passphrase")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = verify_fails(&w);
    assert_eq!(
        report["failures"].as_array().unwrap().len(),
        1,
        "only Daniel's forgery: {report}"
    );
}

#[tokio::test]
async fn f7_a_rep_cannot_rename_herself_and_renames_pass_the_look_alike_check() {
    let w = Workspace::demo();
    let before = folds(&w);
    // Her own record, same key, a new name.
    let sofia = state(&w, SOFIA).await;
    let signer = key(&w, SOFIA, DEMO_PASSPHRASE).await;
    forge(&w, move |conn| {
        Box::pin(async move {
            let r = member_records::signed(
                &MemberFields {
                    name: "Sofia (Sales Director)",
                    ..fields(&sofia)
                },
                &signer,
                Utc::now(),
            );
            member_records::insert(conn, &r).await.unwrap();
        })
    })
    .await;
    assert_eq!(folds(&w), before);
    let report = verify_fails(&w);
    assert_eq!(
        failure(&report, "changed their own name")["kind"],
        "not_authorised"
    );

    let err = w.refused(
        &[
            "members", "rename", SOFIA, "--name", "Sofia M.", "--as", SOFIA,
        ],
        "not_allowed",
    );
    assert!(
        err.contains("only managers rename members; Sofia Marín is a sales rep"),
        "{err}"
    );
    let err = w.refused(
        &[
            "members",
            "rename",
            SOFIA,
            "--name",
            "Daniel  Brooks",
            "--as",
            DANIEL,
        ],
        "conflict",
    );
    assert!(
        err.contains("looks like the name of Daniel Brooks"),
        "{err}"
    );
    assert_eq!(folds(&w), before);
    let renamed = w.json(&[
        "members",
        "rename",
        SOFIA,
        "--name",
        "Sofia Marín-Lopez",
        "--as",
        DANIEL,
    ]);
    assert_eq!(renamed["name"], "Sofia Marín-Lopez");

    // Her own new passphrase keeps everything else as it is.
    let out = w.run_with(
        &["members", "passphrase", "--as", SOFIA],
        &[
            ("PLAYBOOK_PASSPHRASE", DEMO_PASSPHRASE),
            ("PLAYBOOK_NEW_PASSPHRASE", "sofia picked this one"),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let m = w.json(&["members", "list"]);
    let sofia = m
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == SOFIA)
        .unwrap();
    assert_eq!(
        (sofia["name"].as_str(), sofia["role"].as_str()),
        (Some("Sofia Marín-Lopez"), Some("rep"))
    );
    assert_eq!(sofia["keySetBy"], Value::Null, "she set it herself");
    let lead = w.json(&["contacts", "list", "--stage", "mql", "--limit", "1"])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    w.refused(&["handoff", &lead, "accept", "--as", SOFIA], "not_allowed");
    let out = w.run_with(
        &["handoff", &lead, "accept", "--as", SOFIA],
        &[("PLAYBOOK_PASSPHRASE", "sofia picked this one")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn f8_look_alike_and_invisible_names_are_refused() {
    let w = Workspace::demo();
    let before = w.everything();
    let add = |email: &str, name: &str| {
        vec![
            "members".to_string(),
            "add".into(),
            "--email".into(),
            email.into(),
            "--name".into(),
            name.into(),
            "--side".into(),
            "sales".into(),
            "--role".into(),
            "rep".into(),
            "--as".into(),
            DANIEL.into(),
        ]
    };
    for (email, name, code, words) in [
        (
            "s2@larkspur.example",
            "Sofia Marin",
            "conflict",
            "looks like the name of Sofia Marín",
        ),
        (
            "d2@larkspur.example",
            "Daniel  Brooks",
            "conflict",
            "looks like the name of Daniel Brooks",
        ),
        (
            "m2@larkspur.example",
            "Maya\tOkafor",
            "conflict",
            "looks like the name of Maya Okafor",
        ),
        (
            "d3@larkspur.example",
            "Daniel Brookś",
            "conflict",
            "looks like the name of Daniel Brooks",
        ),
        (
            "sofía.marin@larkspur.example",
            "Someone Else",
            "conflict",
            "looks like Sofia Marín's email",
        ),
        (
            "e@larkspur.example",
            "Eve\u{202E}evE",
            "invalid_input",
            "invisible or control character (U+202E)",
        ),
        (
            "e@larkspur.example",
            "Eve\u{200B}",
            "invalid_input",
            "invisible or control character (U+200B)",
        ),
        (
            "e\u{2066}@larkspur.example",
            "Eve",
            "invalid_input",
            "invisible or control character (U+2066)",
        ),
    ] {
        let args = add(email, name);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let err = w.refused(&args, code);
        assert!(err.contains(words), "{name:?} {email:?}: {err}");
    }
    assert_eq!(w.everything(), before, "refusals change nothing");

    // A playbook file from another team brings a look-alike of Daniel, whose key travels
    // with it: adding them on import is refused too.
    let other = Workspace::empty();
    other.ok(&[
        "members",
        "add",
        "--email",
        "eve@evil.example",
        "--name",
        "Eve",
        "--side",
        "marketing",
        "--role",
        "manager",
    ]);
    let out = other.run_with(
        &[
            "members",
            "add",
            "--email",
            "dan@evil.example",
            "--name",
            "Daniel Brookś",
            "--side",
            "sales",
            "--role",
            "manager",
            "--as",
            "eve@evil.example",
        ],
        &[
            ("PLAYBOOK_PASSPHRASE", common::NEW_PASSPHRASE),
            ("PLAYBOOK_NEW_PASSPHRASE", common::NEW_PASSPHRASE),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = other.file("theirs.toml");
    other.ok(&["export-playbook", file.to_str().unwrap()]);
    let err = w.refused(
        &[
            "import-playbook",
            file.to_str().unwrap(),
            "--signed-by",
            &format!("{MAYA},{DANIEL}"),
        ],
        "conflict",
    );
    assert!(
        err.contains("looks like the name of Daniel Brooks"),
        "{err}"
    );
    assert_eq!(w.everything(), before);
}

#[test]
fn f9_contacts_show_prints_each_events_status() {
    let w = Workspace::demo();
    let mql = w.json(&["contacts", "list", "--stage", "mql", "--limit", "1"])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let done = w.json(&[
        "handoff",
        &mql,
        "reject",
        "--reason",
        "no_budget",
        "--as",
        SOFIA,
    ]);
    w.sql(&format!(
        "REPLACE INTO handoff_events (id, contact_id, kind, at, actor_id, assignee_id, from_stage, to_stage, reason, channel, note,
             playbook, external_id, prev_hash, hash, signature, bulk_id, recorded_at)
         SELECT id, contact_id, 'accepted', at, actor_id, assignee_id, from_stage, 'sal', NULL, channel, '', playbook,
             external_id, prev_hash, hash, signature, bulk_id, recorded_at
         FROM handoff_events WHERE id = '{}'",
        done["id"].as_str().unwrap()
    ));
    let text = w.ok(&["contacts", "show", &mql]);
    assert!(text.contains("[applied]"), "{text}");
    assert!(
        text.contains("[TAMPERED, ignored: its content does not match what was signed]"),
        "{text}"
    );
    assert!(
        text.contains("sample data added by Tom Lindqvist"),
        "{text}"
    );
}

#[test]
fn f12_a_lost_founding_record_is_not_founded_again() {
    let w = Workspace::demo();
    w.sql("DELETE FROM workspace");
    let before = w.sql("SELECT count(*) FROM member_records");
    let err = w.refused(
        &[
            "members",
            "add",
            "--email",
            "eve@evil.example",
            "--name",
            "Eve",
            "--side",
            "marketing",
            "--role",
            "manager",
        ],
        "conflict",
    );
    assert!(
        err.contains("this workspace has members but its founding record is missing; restore a backup (playbook restore"),
        "{err}"
    );
    assert_eq!(w.sql("SELECT count(*) FROM member_records"), before);
    assert_eq!(w.sql("SELECT count(*) FROM workspace"), "0");
}

#[test]
fn cli_messages_name_flags_and_people_and_texts_have_limits() {
    let w = Workspace::demo();
    let before = w.everything();
    let long_name = "N".repeat(201);
    let long_text = "x".repeat(20_001);
    let mql = w.json(&["contacts", "list", "--stage", "mql", "--limit", "1"])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for (args, code, words) in [
        (
            vec![
                "agreements",
                "propose",
                "--item",
                "scoring/default",
                "--threshold",
                "3000000000",
                "--as",
                MAYA,
            ],
            "invalid_input",
            "MQL threshold: a number of points from 1 to",
        ),
        (
            vec![
                "agreements",
                "propose",
                "--item",
                "term/lead",
                "--definition",
                "x",
                "--effective-from",
                "tomorrow",
                "--as",
                MAYA,
            ],
            "invalid_input",
            "--effective-from: 'tomorrow' is not an RFC 3339 time",
        ),
        (
            vec![
                "members",
                "add",
                "--email",
                "n@larkspur.example",
                "--name",
                &long_name,
                "--side",
                "sales",
                "--role",
                "rep",
                "--as",
                DANIEL,
            ],
            "invalid_input",
            "--name: 201 characters is too long; at most 200",
        ),
        (
            vec![
                "agreements",
                "propose",
                "--item",
                "term/lead",
                "--definition",
                &long_text,
                "--as",
                MAYA,
            ],
            "invalid_input",
            "Definition: 20001 characters is too long; at most 20000",
        ),
        (
            vec![
                "handoff", &mql, "accept", "--note", &long_text, "--as", SOFIA,
            ],
            "invalid_input",
            "--note: 20001 characters is too long; at most 20000",
        ),
    ] {
        let err = w.refused(&args, code);
        assert!(err.contains(words), "`{}`: {err}", args[..3].join(" "));
    }
    assert_eq!(w.everything(), before);

    // A playbook file's type error names the entry and the field in words.
    let file = w.file("playbook.toml");
    w.ok(&["export-playbook", file.to_str().unwrap()]);
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replacen("position = 2", "position = \"two\"", 1),
    )
    .unwrap();
    let err = w.refused(
        &["import-playbook", file.to_str().unwrap()],
        "invalid_input",
    );
    assert!(
        err.contains("stages[2] (key 'mql'), field 'position': expected a whole number (0 or more), found the text \"two\""),
        "{err}"
    );
    // Too large, or too many entries: refused before anything is read into the workspace.
    let big = w.file("big.toml");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(21 * 1024 * 1024)
        .unwrap();
    let err = w.refused(&["import-playbook", big.to_str().unwrap()], "invalid_input");
    assert!(err.contains("is larger than 20 MB"), "{err}");
    let mut many = String::from("format = 2\n");
    for i in 0..50_001 {
        many.push_str(&format!(
            "[[terms]]\nkey = \"t{i}\"\nname = \"T{i}\"\ndefinition = \"d\"\n"
        ));
    }
    std::fs::write(&big, many).unwrap();
    let err = w.refused(&["import-playbook", big.to_str().unwrap()], "invalid_input");
    assert!(err.contains("has 50001 entries; at most 50000"), "{err}");
    assert_eq!(w.everything(), before);
}

/// The scores cached for the list as the demo's model gave them long ago, then what
/// `contacts list` shows: decay moves scores daily, and the list follows it without a new
/// model or a `playbook rebuild`, so the list and the contact page agree.
#[tokio::test]
async fn cached_scores_follow_decay_without_a_rebuild() {
    let w = Workspace::demo();
    let cached = |w: &Workspace| -> Vec<String> {
        w.sql("SELECT id || ' ' || score FROM contacts WHERE deleted_at IS NULL ORDER BY id")
            .lines()
            .map(str::to_string)
            .collect()
    };
    let today = cached(&w);
    forge(&w, |conn| {
        Box::pin(async move {
            let long_ago = Utc::now() - Duration::days(120);
            playbook::leads::rebuild::scores(conn, long_ago)
                .await
                .unwrap();
        })
    })
    .await;
    let stale = cached(&w);
    let moved: Vec<&str> = stale
        .iter()
        .zip(&today)
        .filter(|(a, b)| a != b)
        .map(|(a, _)| a.split(' ').next().unwrap())
        .collect();
    assert!(
        !moved.is_empty(),
        "the demo's activities decay: scores of 120 days ago differ"
    );
    let list = w.json(&["contacts", "list"]);
    let after = cached(&w);
    let behind = after.iter().zip(&today).filter(|(a, b)| a != b).count();
    assert_eq!(behind, 0, "listing brings every cached score up to date");
    let by_id: std::collections::HashMap<&str, &Value> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["id"].as_str().unwrap(), &r["score"]))
        .collect();
    for id in moved.iter().take(10) {
        let page = w.json(&["contacts", "show", id]);
        assert_eq!(
            by_id[id], &page["score"]["total"],
            "the list and the contact page agree for {id}"
        );
    }
}

#[test]
fn a_missing_new_passphrase_names_where_it_comes_from() {
    let w = Workspace::demo();
    let before = w.everything();
    let err = w.refused_with(
        &[
            "members",
            "add",
            "--email",
            "ana@larkspur.example",
            "--name",
            "Ana Ruiz",
            "--side",
            "sales",
            "--role",
            "rep",
            "--as",
            DANIEL,
        ],
        &[("PLAYBOOK_PASSPHRASE", DEMO_PASSPHRASE)],
        "not_allowed",
    );
    assert!(
        err.contains("no new passphrase for ana@larkspur.example: set PLAYBOOK_NEW_PASSPHRASE, use --new-passphrase-file"),
        "{err}"
    );
    assert_eq!(w.everything(), before);
}

/// The demo's generated history (what a new user sees first) is recorded by people the
/// stage definitions in force let record each step: no marketing recycling from a sales
/// stage, no rep deciding a dispute.
#[tokio::test]
async fn the_demo_history_follows_who_may_record_what() {
    use playbook::agreements::{AgreementBody, AgreementKind};
    let (_dir, db) = common::demo_db().await;
    let mut conn = db.acquire().await.unwrap();
    let pb = playbook::handoffs::playbook_at::PlaybookHistory::load(&mut conn)
        .await
        .unwrap();
    let rows: Vec<(String, String, String, String, String)> = sqlx::query_as(
        "SELECT e.kind, e.from_stage, e.at, m.side, m.role FROM handoff_events e
         JOIN members m ON m.id = e.actor_id WHERE e.from_stage IS NOT NULL",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    assert!(rows.len() > 1000, "the demo has a history: {}", rows.len());
    let mut wrong = std::collections::BTreeMap::new();
    for (kind, from, at, side, role) in &rows {
        let at = chrono::DateTime::parse_from_rfc3339(at).unwrap().to_utc();
        let body = &pb.at(AgreementKind::Stage, from, at).unwrap().body;
        let AgreementBody::Stage(stage) = body else {
            panic!("{from} is a stage")
        };
        let action = stage
            .actions
            .iter()
            .find(|a| a.event.as_str() == kind)
            .unwrap_or_else(|| panic!("{from} allows {kind}"));
        let ok = action.by.as_str() == side && (!action.managers_only || role == "manager");
        if !ok {
            *wrong
                .entry(format!("{kind} in {from} by a {side} {role}"))
                .or_insert(0) += 1;
        }
    }
    assert!(wrong.is_empty(), "{wrong:?}");
}

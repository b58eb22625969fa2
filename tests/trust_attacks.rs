//! The attacks a hostile tester ran against the CLI, each through the real binary on a real
//! SQLite file: every refusal names its rule and changes nothing; rows rewritten or forged
//! behind Playbook's back are caught by `playbook verify` and ignored by every fold.
mod common;

use common::{Workspace, DANIEL, DEMO_PASSPHRASE, LUKAS, MAYA, PRIYA, SOFIA, TOM};
use serde_json::Value;

/// A contact of the demo in this stage.
fn contact_in(w: &Workspace, stage: &str) -> String {
    let list = w.json(&["contacts", "list", "--stage", stage, "--limit", "1"]);
    list[0]["id"]
        .as_str()
        .expect("a contact in that stage")
        .to_string()
}

fn show(w: &Workspace, id: &str) -> Value {
    w.json(&["contacts", "show", id])
}

#[test]
fn nobody_signs_without_their_passphrase() {
    let w = Workspace::demo();
    let before = w.everything();
    let approve = ["agreements", "approve", "stage/sal@2", "--as", DANIEL];
    // A wrong passphrase.
    let out = w.run_with(
        &approve,
        &[("PLAYBOOK_PASSPHRASE", "not-daniels-passphrase")],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("[not_allowed]") && err.contains("the passphrase is wrong"),
        "{err}"
    );
    // No passphrase at all, and no terminal to ask on.
    let out = w.run_with(&approve, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("[not_allowed]") && err.contains("no passphrase for daniel.brooks"),
        "{err}"
    );
    // A passphrase file works like the environment (one line per signer).
    let file = w.file("pass.txt");
    std::fs::write(&file, "wrong one\n").unwrap();
    let out = w.run_with(
        &[
            &["--passphrase-file", file.to_str().unwrap()][..],
            &approve[..],
        ]
        .concat(),
        &[],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("the passphrase is wrong"));
    assert_eq!(
        w.everything(),
        before,
        "a refused signature changes nothing"
    );

    std::fs::write(&file, format!("{DEMO_PASSPHRASE}\n")).unwrap();
    let out = w.run_with(
        &[
            &["--passphrase-file", file.to_str().unwrap()][..],
            &approve[..],
        ]
        .concat(),
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn every_write_names_who_does_it() {
    let w = Workspace::demo();
    let mql = contact_in(&w, "mql");
    for args in [
        vec!["handoff", mql.as_str(), "accept"],
        vec![
            "agreements",
            "propose",
            "--item",
            "term/lead",
            "--definition",
            "x",
        ],
        vec!["agreements", "approve", "stage/sal@2"],
        vec!["import", "contacts", "x.csv"],
        vec!["generate", "--contacts", "5"],
        vec![
            "members", "set-role", SOFIA, "--side", "sales", "--role", "manager",
        ],
    ] {
        let out = w.run(&args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "`{}` without --as is a usage error",
            args.join(" ")
        );
        assert!(String::from_utf8_lossy(&out.stderr).contains("--as"));
    }
}

#[test]
fn membership_needs_a_manager_and_look_alikes_are_refused() {
    let w = Workspace::demo();
    let before = w.everything();
    let add = |who: &[&str], email: &str, name: &str| -> Vec<String> {
        let mut a: Vec<String> = ["members", "add", "--email", email, "--name", name]
            .iter()
            .map(|s| s.to_string())
            .collect();
        a.extend(["--side", "marketing", "--role", "manager"].map(String::from));
        a.extend(who.iter().map(|s| s.to_string()));
        a
    };
    let cases: Vec<(Vec<String>, &str, &str)> = vec![
        // Nobody's consent: the workspace already has its founder.
        (
            add(&[], "eve@evil.example", "Eve"),
            "conflict",
            "already has its founding manager",
        ),
        // A rep cannot add anyone, least of all a manager.
        (
            add(&["--as", SOFIA], "eve@evil.example", "Eve"),
            "not_allowed",
            "only managers add members",
        ),
        // Maya's email with a Cyrillic 'а', and her display name.
        (
            add(
                &["--as", DANIEL],
                "m\u{0430}ya.okafor@larkspur.example",
                "Maya Okafor",
            ),
            "conflict",
            "looks like",
        ),
        // Her name alone, with another email.
        (
            add(&["--as", DANIEL], "maya2@larkspur.example", "MAYA OKAFOR"),
            "conflict",
            "looks like the name of Maya Okafor",
        ),
        // Her email in other case and with spaces.
        (
            add(&["--as", DANIEL], " Maya.Okafor@Larkspur.Example ", "M. O."),
            "conflict",
            "already exists",
        ),
        // A role change by a rep.
        (
            vec![
                "members", "set-role", SOFIA, "--side", "sales", "--role", "manager", "--as", LUKAS,
            ]
            .into_iter()
            .map(String::from)
            .collect(),
            "not_allowed",
            "only managers change roles",
        ),
    ];
    for (args, code, words) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let err = w.refused(&args, code);
        assert!(err.contains(words), "`{}`: {err}", args.join(" "));
    }
    assert_eq!(w.everything(), before, "refusals change nothing");

    // A manager can, and the new member signs with their own passphrase.
    w.ok(&[
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
    ]);
    let ana = w.run_with(
        &[
            "members",
            "set-role",
            "ana@larkspur.example",
            "--side",
            "sales",
            "--role",
            "manager",
            "--as",
            MAYA,
        ],
        &[("PLAYBOOK_PASSPHRASE", DEMO_PASSPHRASE)],
    );
    assert!(
        ana.status.success(),
        "{}",
        String::from_utf8_lossy(&ana.stderr)
    );
    w.ok(&["verify"]);
}

#[test]
fn a_playbook_file_cannot_bring_its_own_signers() {
    // Eve founds her own team with a sales accomplice and agrees a lax MQL.
    let eve = Workspace::empty();
    eve.ok(&[
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
    let pass = [
        ("PLAYBOOK_PASSPHRASE", common::NEW_PASSPHRASE),
        ("PLAYBOOK_NEW_PASSPHRASE", common::NEW_PASSPHRASE),
    ];
    let out = eve.run_with(
        &[
            "members",
            "add",
            "--email",
            "mallory@evil.example",
            "--name",
            "Mallory",
            "--side",
            "sales",
            "--role",
            "manager",
            "--as",
            "eve@evil.example",
        ],
        &pass,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for args in [
        vec![
            "agreements",
            "propose",
            "--kind",
            "stage",
            "--key",
            "mql",
            "--name",
            "MQL",
            "--entry",
            "Anyone who visited the website",
            "--exit",
            "Handed over",
            "--as",
            "eve@evil.example",
        ],
        vec![
            "agreements",
            "approve",
            "stage/mql@1",
            "--as",
            "eve@evil.example",
        ],
        vec![
            "agreements",
            "approve",
            "stage/mql@1",
            "--as",
            "mallory@evil.example",
        ],
    ] {
        let out = eve.run_with(&args, &pass);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let file = eve.file("evil.toml");
    eve.ok(&["export-playbook", file.to_str().unwrap()]);
    let path = file.to_str().unwrap();

    let w = Workspace::demo();
    let before = w.everything();
    // Her signatures mean nothing here: she is not on this team.
    let err = w.refused(&["import-playbook", path], "not_allowed");
    assert!(
        err.contains("stage/mql: its signatures do not verify"),
        "{err}"
    );
    // Nor can the members the file brings sign it.
    let err = w.refused(
        &[
            "import-playbook",
            path,
            "--signed-by",
            "eve@evil.example,mallory@evil.example",
        ],
        "not_found",
    );
    assert!(
        err.contains("no team member with email eve@evil.example"),
        "{err}"
    );
    assert_eq!(w.everything(), before, "nothing of the file was taken");
}

/// The demo's in-force MQL and who signed it.
fn mql_in_force(w: &Workspace) -> (u64, String) {
    let item = w.json(&["agreements", "show", "stage/mql"]);
    (
        item["inForce"]["number"].as_u64().unwrap(),
        item["inForce"]["body"]["entryCriteria"]
            .as_str()
            .unwrap()
            .to_string(),
    )
}

fn verify_fails(w: &Workspace, expect: &[&str]) {
    let out = w.run(&["--format", "json", "verify"]);
    assert_eq!(out.status.code(), Some(1), "verify must fail on tampering");
    assert!(String::from_utf8_lossy(&out.stderr).contains("[tampered]"));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = report["failures"].to_string();
    for e in expect {
        assert!(text.contains(e), "verify should list {e}: {text}");
    }
}

#[test]
fn a_version_rewritten_in_place_is_caught_and_ignored() {
    let w = Workspace::demo();
    let (n, strict) = mql_in_force(&w);
    assert_eq!(n, 2);
    let v2 = w.json(&["agreements", "show", "stage/mql@2"])["inForce"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // REPLACE deletes and inserts; the delete trigger does not fire in the sqlite3 shell.
    w.sql(&format!(
        "REPLACE INTO agreement_versions (id, item_id, name, body, summary, effective_from, supersedes, author_id, created_at, hash, signature)
         SELECT id, item_id, name, json_set(body, '$.entryCriteria', 'Anyone who visited the website'), summary,
                effective_from, supersedes, author_id, created_at, hash, signature
         FROM agreement_versions WHERE id = '{v2}'"
    ));
    let item = w.json(&["agreements", "show", "stage/mql"]);
    let v = item["versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == v2.as_str())
        .unwrap();
    assert_eq!(v["status"], "tampered");
    assert!(v["problem"].as_str().unwrap().contains("does not match"));
    let (n, entry) = mql_in_force(&w);
    assert_eq!(
        n, 1,
        "the rewritten v2 counts for nothing: v1 is in force again"
    );
    assert_ne!(entry, "Anyone who visited the website");
    assert_ne!(entry, strict);
    verify_fails(&w, &["stage/mql@2", "does not match"]);
}

#[test]
fn an_approval_turned_into_a_decline_is_caught_and_ignored() {
    let w = Workspace::demo();
    let item = w.json(&["agreements", "show", "stage/mql"]);
    let daniel = item["inForce"]["log"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "approved" && e["memberName"] == "Daniel Brooks")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    w.sql(&format!(
        "REPLACE INTO agreement_signoffs (id, version_id, action, member_id, comment, at, hash, signature)
         SELECT id, version_id, 'declined', member_id, 'Never agreed', at, hash, signature
         FROM agreement_signoffs WHERE id = '{daniel}'"
    ));
    let item = w.json(&["agreements", "show", "stage/mql@2"]);
    let v2 = item["versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["number"] == 2)
        .unwrap();
    let forged = v2["log"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == daniel.as_str())
        .unwrap();
    assert_eq!(forged["action"], "declined");
    assert!(forged["problem"]
        .as_str()
        .unwrap()
        .contains("does not match"));
    assert_eq!(
        v2["status"], "proposed",
        "without Daniel's genuine approval v2 awaits sales again, not declined"
    );
    assert_eq!(mql_in_force(&w).0, 1);
    verify_fails(&w, &["stage/mql@2 by Daniel Brooks", "does not match"]);
}

#[test]
fn forged_sign_offs_and_events_count_for_nothing() {
    let w = Workspace::demo();
    let sal = w.json(&["agreements", "show", "stage/sal@2"]);
    let v2 = sal["pending"]["id"].as_str().unwrap().to_string();
    let daniel = w
        .json(&["members", "list"])
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == DANIEL)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    w.sql(&format!(
        "INSERT INTO agreement_signoffs (id, version_id, action, member_id, comment, at, hash, signature)
         VALUES ('forged-1', '{v2}', 'approved', '{daniel}', '', '2026-01-01T00:00:00.000Z', 'ab', 'cd')"
    ));
    let mql = contact_in(&w, "mql");
    w.sql(&format!(
        "INSERT INTO handoff_events (id, contact_id, kind, at, actor_id, to_stage, note, recorded_at, hash, signature)
         VALUES ('forged-2', '{mql}', 'accepted', '2026-11-01T00:00:00.000Z', '{daniel}', 'sal', '', '2026-11-01T00:00:00.000Z', 'ab', 'cd')"
    ));
    let sal = w.json(&["agreements", "show", "stage/sal"]);
    assert_eq!(sal["pending"]["awaiting"], serde_json::json!(["sales"]));
    assert_eq!(sal["inForce"]["number"], 1);
    let c = show(&w, &mql);
    assert_eq!(
        c["contact"]["stage"], "mql",
        "the forged acceptance moved nothing"
    );
    let forged = c["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "forged-2")
        .unwrap();
    assert_eq!(forged["status"], "tampered");
    verify_fails(&w, &["forged-1", "forged-2"]);
}

#[test]
fn a_rejection_turned_into_an_acceptance_is_caught_and_ignored() {
    let w = Workspace::demo();
    let mql = contact_in(&w, "mql");
    let done = w.json(&[
        "handoff",
        &mql,
        "reject",
        "--reason",
        "no_budget",
        "--note",
        "Frozen until Q3",
        "--as",
        SOFIA,
    ]);
    assert_eq!(done["toStage"], "nurture");
    let rejected = done["id"].as_str().unwrap().to_string();
    w.ok(&["verify"]);
    w.sql(&format!(
        "REPLACE INTO handoff_events (id, contact_id, kind, at, actor_id, assignee_id, from_stage, to_stage, reason, channel, note,
             playbook, external_id, prev_hash, hash, signature, bulk_id, recorded_at)
         SELECT id, contact_id, 'accepted', at, actor_id, assignee_id, from_stage, 'sal', NULL, channel, '', playbook,
             external_id, prev_hash, hash, signature, bulk_id, recorded_at
         FROM handoff_events WHERE id = '{rejected}'"
    ));
    let c = show(&w, &mql);
    let e = c["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == rejected.as_str())
        .unwrap();
    assert_eq!(e["status"], "tampered");
    assert_eq!(
        c["contact"]["stage"], "mql",
        "the forged acceptance is ignored: the lead still awaits sales' response"
    );
    verify_fails(&w, &[&rejected]);
    // After verify the list agrees with the contact page.
    let listed = w.json(&["contacts", "list", "--stage", "sal"]);
    assert!(
        !listed
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == mql.as_str()),
        "the list must not show the forged acceptance"
    );
}

#[test]
fn who_may_record_what_comes_from_the_stage_definitions() {
    let w = Workspace::demo();
    let mql = contact_in(&w, "mql");
    let inquiry = contact_in(&w, "inquiry");
    let before = w.everything();
    let cases: Vec<(Vec<&str>, &str, &str)> = vec![
        // A marketing rep cannot reject a handed-over lead.
        (
            vec![
                "handoff",
                &mql,
                "reject",
                "--reason",
                "no_budget",
                "--as",
                PRIYA,
            ],
            "not_allowed",
            "only sales records 'rejected'",
        ),
        // A sales rep cannot hand a lead over (so never accepts her own hand-over).
        (
            vec![
                "handoff",
                &inquiry,
                "hand-over",
                "--to",
                SOFIA,
                "--as",
                SOFIA,
            ],
            "not_allowed",
            "only marketing records 'handed_over'",
        ),
        // Marketing ops cannot accept for sales.
        (
            vec!["handoff", &mql, "accept", "--as", TOM],
            "not_allowed",
            "only sales records 'accepted'",
        ),
        // A hand-over goes to someone who may respond in the stage it leads to.
        (
            vec![
                "handoff",
                &inquiry,
                "hand-over",
                "--to",
                PRIYA,
                "--as",
                PRIYA,
            ],
            "invalid_input",
            "in mql only sales respond",
        ),
        // An event dated far ahead has not happened.
        (
            vec![
                "handoff",
                &mql,
                "accept",
                "--at",
                "2999-01-01T00:00:00Z",
                "--as",
                SOFIA,
            ],
            "invalid_input",
            "in the future",
        ),
    ];
    for (args, code, words) in cases {
        let err = w.refused(&args, code);
        assert!(err.contains(words), "`{}`: {err}", args.join(" "));
    }
    assert_eq!(w.everything(), before, "refusals change nothing");

    // A dispute is decided by sales' managers, not by a rep.
    w.ok(&[
        "handoff",
        &mql,
        "reject",
        "--reason",
        "no_budget",
        "--as",
        SOFIA,
    ]);
    w.ok(&[
        "handoff",
        &mql,
        "dispute",
        "--note",
        "They asked for a demo",
        "--as",
        PRIYA,
    ]);
    let before = w.everything();
    let err = w.refused(&["handoff", &mql, "overturn", "--as", LUKAS], "not_allowed");
    assert!(
        err.contains("only sales managers record 'dispute_overturned'"),
        "{err}"
    );
    assert_eq!(w.everything(), before);
    let done = w.json(&["handoff", &mql, "overturn", "--as", DANIEL]);
    assert_eq!(done["toStage"], "mql");

    // What each person may do now is the backend's answer.
    let as_sofia = w.json(&["contacts", "show", &mql, "--as", SOFIA]);
    assert_eq!(
        as_sofia["allowedActions"],
        serde_json::json!(["accepted", "rejected", "disqualified"])
    );
    let as_priya = w.json(&["contacts", "show", &mql, "--as", PRIYA]);
    assert_eq!(as_priya["allowedActions"], serde_json::json!([]));
}

#[test]
fn history_arriving_late_is_recorded_and_caches_are_not_edits() {
    let w = Workspace::demo();
    let mql = contact_in(&w, "mql");
    let accepted = w.json(&["handoff", &mql, "accept", "--as", SOFIA]);
    let accepted_at =
        chrono::DateTime::parse_from_rfc3339(accepted["at"].as_str().unwrap()).unwrap();
    let before = show(&w, &mql);
    let updated = before["contact"]["updatedAt"].clone();
    // A call made a minute after accepting, typed in an hour later.
    w.ok(&[
        "handoff",
        &mql,
        "attempt",
        "--channel",
        "phone",
        "--as",
        SOFIA,
    ]);
    let late = (accepted_at + chrono::Duration::seconds(1)).to_rfc3339();
    let e = w.json(&[
        "handoff",
        &mql,
        "attempt",
        "--channel",
        "email",
        "--at",
        &late,
        "--as",
        SOFIA,
    ]);
    assert_eq!(e["status"], "applied");
    let after = show(&w, &mql);
    let kinds: Vec<&str> = after["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(&kinds[..3], ["attempt", "attempt", "accepted"]);
    assert_eq!(after["contact"]["stage"], "sal");
    assert_eq!(
        after["contact"]["updatedAt"], updated,
        "recording events refreshes caches, never the contact's updatedAt"
    );
    w.ok(&["verify"]);
}

#[test]
fn a_new_scoring_model_rebuilds_every_cached_score() {
    let w = Workspace::demo();
    let file = w.file("playbook.toml");
    w.ok(&["export-playbook", file.to_str().unwrap()]);
    let text = std::fs::read_to_string(&file).unwrap();
    // Senior titles are worth 45 points instead of 20.
    let changed = text.replacen("points = 20", "points = 45", 1);
    assert_ne!(changed, text);
    std::fs::write(&file, changed).unwrap();
    w.ok(&[
        "import-playbook",
        file.to_str().unwrap(),
        "--signed-by",
        &format!("{MAYA},{DANIEL}"),
    ]);
    let list = w.json(&["contacts", "list", "--limit", "40"]);
    for row in list.as_array().unwrap() {
        let id = row["id"].as_str().unwrap();
        let page = show(&w, id);
        assert_eq!(
            row["score"], page["score"]["total"],
            "the list and the contact page agree for {id}"
        );
    }
}

#[test]
fn teams_rename_stages_and_nothing_in_code_knows_their_keys() {
    // The demo playbook with its MQL stage called `hot` instead.
    let a = Workspace::demo();
    let file = a.file("playbook.toml");
    a.ok(&["export-playbook", file.to_str().unwrap()]);
    let w = Workspace::empty();
    w.ok(&["import-playbook", file.to_str().unwrap()]);
    let text = std::fs::read_to_string(&file).unwrap();
    let stages_only: String = text
        .split("\n[[")
        .map(|block| {
            if block.starts_with("stages") {
                block
                    .replace("\"mql\"", "\"hot\"")
                    .replace("Marketing Qualified Lead", "Hot lead")
            } else {
                block.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n[[");
    let renamed = w.file("renamed.toml");
    std::fs::write(&renamed, stages_only).unwrap();
    w.ok(&[
        "import-playbook",
        renamed.to_str().unwrap(),
        "--signed-by",
        &format!("{MAYA},{DANIEL}"),
    ]);
    let csv = w.file("leads.csv");
    std::fs::write(
        &csv,
        "Email,First Name,Last Name,Company,Lifecycle Stage\nkim@acme.example,Kim,Lee,Acme,Lead\n",
    )
    .unwrap();
    w.ok(&["import", "contacts", csv.to_str().unwrap(), "--as", TOM]);
    let id = w.json(&["contacts", "list"])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let e = w.json(&["handoff", &id, "hand-over", "--to", SOFIA, "--as", PRIYA]);
    assert_eq!(e["toStage"], "hot");
    let e = w.json(&["handoff", &id, "accept", "--as", SOFIA]);
    assert_eq!(e["fromStage"], "hot");
    assert_eq!(e["toStage"], "sal");
}

#[test]
fn records_two_laptops_both_create_offline_merge() {
    // Two laptops, each with its own demo: the same people, items and companies get the
    // same ids (derived from email, kind/key and name), so their records merge on sync
    // instead of colliding on unique keys.
    let (a, b) = (Workspace::demo(), Workspace::demo());
    let ids = |w: &Workspace, args: &[&str], key: &str| -> Vec<String> {
        let mut v: Vec<String> = w
            .json(args)
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x[key].as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        ids(&a, &["members", "list"], "id"),
        ids(&b, &["members", "list"], "id")
    );
    assert_eq!(
        ids(&a, &["agreements", "list"], "id"),
        ids(&b, &["agreements", "list"], "id")
    );
    assert_eq!(
        ids(&a, &["contacts", "list"], "accountId"),
        ids(&b, &["contacts", "list"], "accountId")
    );
    // Versions are numbered by time order, not stored: both number them alike.
    let numbers = |w: &Workspace| w.json(&["agreements", "show", "stage/mql"])["versions"].clone();
    assert_eq!(
        numbers(&a)
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["number"].clone())
            .collect::<Vec<_>>(),
        vec![serde_json::json!(2), serde_json::json!(1)]
    );
}

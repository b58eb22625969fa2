//! The playbook through the real CLI binary on real SQLite files: sign-off, refusals
//! (each leaves the data as it was), diff, and the TOML round trip.
mod common;

use common::{Workspace, DANIEL, MAYA, SOFIA};

#[test]
fn a_version_is_agreed_once_both_sides_sign() {
    let w = Workspace::demo();
    let v = w.json(&[
        "agreements",
        "propose",
        "--item",
        "term/mql",
        "--as",
        SOFIA,
        "--definition",
        "A lead that meets the agreed MQL criteria, handed to sales development.",
        "--summary",
        "Shorter",
    ]);
    assert_eq!(v["status"], "proposed");
    assert_eq!(v["number"], 2);
    assert_eq!(v["awaiting"], serde_json::json!(["marketing", "sales"]));

    let v = w.json(&["agreements", "approve", "term/mql@2", "--as", DANIEL]);
    assert_eq!(v["status"], "proposed");
    assert_eq!(v["awaiting"], serde_json::json!(["marketing"]));

    let v = w.json(&[
        "agreements",
        "approve",
        "term/mql@2",
        "--as",
        MAYA,
        "--comment",
        "Fine",
    ]);
    assert_eq!(v["status"], "in_force");
    let item = w.json(&["agreements", "show", "term/mql"]);
    assert_eq!(item["inForce"]["number"], 2);
    assert_eq!(item["versions"][1]["status"], "superseded");
    assert!(item["pending"].is_null());
}

#[test]
fn a_decline_needs_a_comment_and_returns_the_version_to_draft() {
    let w = Workspace::demo();
    // The demo has stage/sal@2 awaiting the sales manager.
    let before = w.snapshot();
    w.refused(
        &[
            "agreements",
            "decline",
            "stage/sal@2",
            "--as",
            DANIEL,
            "--comment",
            "  ",
        ],
        "invalid_input",
    );
    assert_eq!(
        w.snapshot(),
        before,
        "a refused decline must change nothing"
    );

    let v = w.json(&[
        "agreements",
        "decline",
        "stage/sal@2",
        "--as",
        DANIEL,
        "--comment",
        "Ten days is realistic for enterprise leads",
    ]);
    assert_eq!(v["status"], "draft");
    let item = w.json(&["agreements", "show", "stage/sal"]);
    assert_eq!(item["draft"]["number"], 2);
    assert!(item["pending"].is_null());
    assert_eq!(item["inForce"]["number"], 1);

    // A draft cannot be signed; a new proposal can be made.
    let before = w.snapshot();
    let err = w.refused(
        &["agreements", "approve", "stage/sal@2", "--as", MAYA],
        "not_allowed",
    );
    assert!(err.contains("draft"), "{err}");
    assert_eq!(w.snapshot(), before);
    let v = w.json(&[
        "agreements",
        "propose",
        "--item",
        "stage/sal",
        "--max-days",
        "8",
        "--as",
        MAYA,
    ]);
    assert_eq!(v["number"], 3);
}

#[test]
fn every_refusal_names_its_rule_and_changes_nothing() {
    let w = Workspace::demo();
    let before = w.snapshot();
    let cases: Vec<(Vec<&str>, &str, &str)> = vec![
        // signing twice: Maya already approved stage/sal@2 in the demo
        (
            vec!["agreements", "approve", "stage/sal@2", "--as", MAYA],
            "conflict",
            "already",
        ),
        // signing as a non-manager
        (
            vec!["agreements", "approve", "stage/sal@2", "--as", SOFIA],
            "not_allowed",
            "only managers",
        ),
        // signing a superseded version (mql@1 was replaced by mql@2)
        (
            vec!["agreements", "approve", "stage/mql@1", "--as", DANIEL],
            "not_allowed",
            "superseded",
        ),
        // signing what is already in force
        (
            vec!["agreements", "approve", "stage/mql@2", "--as", DANIEL],
            "conflict",
            "already agreed",
        ),
        // proposing an empty name
        (
            vec![
                "agreements",
                "propose",
                "--as",
                MAYA,
                "--kind",
                "term",
                "--name",
                "  ",
                "--definition",
                "x",
            ],
            "invalid_input",
            "name",
        ),
        // proposing a duplicate name (case-insensitive)
        (
            vec![
                "agreements",
                "propose",
                "--as",
                MAYA,
                "--kind",
                "term",
                "--name",
                "sql",
                "--key",
                "sql2",
                "--definition",
                "x",
            ],
            "conflict",
            "already called",
        ),
        // proposing a duplicate key
        (
            vec![
                "agreements",
                "propose",
                "--as",
                MAYA,
                "--kind",
                "reason",
                "--name",
                "Duplicate",
                "--applies-to",
                "reject",
                "--description",
                "x",
            ],
            "conflict",
            "already exists",
        ),
        // a second open proposal for the same item
        (
            vec![
                "agreements",
                "propose",
                "--as",
                MAYA,
                "--item",
                "stage/sal",
                "--max-days",
                "5",
            ],
            "conflict",
            "awaiting sign-off",
        ),
        // proposing what is already in force
        (
            vec!["agreements", "propose", "--as", MAYA, "--item", "term/lead"],
            "invalid_input",
            "nothing changed",
        ),
        // unknown ids and references
        (
            vec![
                "agreements",
                "approve",
                "0190aaaa-0000-7000-8000-000000000000",
                "--as",
                DANIEL,
            ],
            "not_found",
            "nothing in the playbook",
        ),
        (
            vec!["agreements", "show", "stage/nope"],
            "not_found",
            "stage/nope",
        ),
        (
            vec!["agreements", "approve", "stage/sal@9", "--as", DANIEL],
            "not_found",
            "no version 9",
        ),
        (
            vec![
                "agreements",
                "approve",
                "stage/sal@2",
                "--as",
                "nobody@larkspur.example",
            ],
            "not_found",
            "nobody@",
        ),
        // a next stage that does not exist
        (
            vec![
                "agreements",
                "propose",
                "--as",
                MAYA,
                "--kind",
                "stage",
                "--name",
                "Churned",
                "--entry",
                "x",
                "--exit",
                "y",
                "--allowed-next",
                "heaven",
            ],
            "invalid_input",
            "heaven",
        ),
        // an empty definition
        (
            vec![
                "agreements",
                "propose",
                "--as",
                MAYA,
                "--kind",
                "term",
                "--name",
                "Champion",
                "--definition",
                "",
            ],
            "invalid_input",
            "definition",
        ),
        // comparing versions of different items
        (
            vec!["agreements", "diff", "stage/mql@1", "stage/sal@1"],
            "invalid_input",
            "different items",
        ),
        // a duplicate member
        (
            vec![
                "members",
                "add",
                "--as",
                MAYA,
                "--email",
                "MAYA.OKAFOR@larkspur.example",
                "--name",
                "M",
                "--side",
                "marketing",
                "--role",
                "rep",
            ],
            "conflict",
            "already exists",
        ),
        (
            vec![
                "members",
                "add",
                "--as",
                MAYA,
                "--email",
                "not-an-email",
                "--name",
                "M",
                "--side",
                "sales",
                "--role",
                "rep",
            ],
            "invalid_input",
            "email",
        ),
        // the demo goes only into an empty data directory
        (vec!["demo"], "conflict", "already has a team"),
    ];
    for (args, code, words) in cases {
        let stderr = w.refused(&args, code);
        assert!(
            stderr.to_lowercase().contains(&words.to_lowercase()),
            "`{}` should explain itself with '{words}', said: {stderr}",
            args.join(" ")
        );
    }
    assert_eq!(
        w.snapshot(),
        before,
        "refusals must leave the playbook as it was"
    );
}

#[test]
fn usage_errors_exit_with_2() {
    let w = Workspace::empty();
    let out = w.run(&["agreements", "propose", "--kind", "spaceship"]);
    assert_eq!(out.status.code(), Some(2));
    let out = w.run(&["no-such-command"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn diff_shows_the_words_that_changed() {
    let w = Workspace::demo();
    let text = w.ok(&["agreements", "diff", "stage/mql@1", "stage/mql@2"]);
    assert!(text.contains("[-50,-]{+60,+}"), "{text}");
    assert!(text.contains("Exit criteria: unchanged"), "{text}");
    let d = w.json(&["agreements", "diff", "stage/mql@1", "stage/mql@2"]);
    let entry = d["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["field"] == "Entry criteria")
        .unwrap();
    assert_eq!(entry["changed"], true);
    assert_eq!(d["left"]["number"], 1);
    assert_eq!(d["right"]["number"], 2);
}

#[test]
fn the_playbook_round_trips_through_toml_into_an_empty_directory() {
    let a = Workspace::demo();
    let file = a.file("playbook.toml");
    a.ok(&["export-playbook", file.to_str().unwrap()]);
    let exported = std::fs::read_to_string(&file).unwrap();
    assert!(
        exported.contains("[[stages]]") && exported.contains("key = \"mql\""),
        "{exported}"
    );
    assert!(
        exported.contains("signature = ") && exported.contains("[[member_records]]"),
        "the file carries the signatures and the signers' keys"
    );

    // Every item with a version in force travels, scoring model included.
    let in_force = a.json(&["agreements", "list"]);
    let in_force = in_force
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| !i["inForce"].is_null())
        .count();
    assert!(
        in_force > 30,
        "the demo playbook has {in_force} items in force"
    );

    // Into an empty directory it needs no --signed-by: the original signatures verify.
    let b = Workspace::empty();
    let summary = b.json(&["import-playbook", file.to_str().unwrap()]);
    assert_eq!(summary["membersAdded"], 7);
    assert_eq!(summary["versionsVerbatim"], in_force);
    assert_eq!(summary["versionsAgreed"], in_force);
    assert_eq!(summary["versionsProposed"], 0);
    let mql = b.json(&["agreements", "show", "stage/mql"]);
    let signers: Vec<&str> = mql["inForce"]["log"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "approved")
        .map(|e| e["memberName"].as_str().unwrap())
        .collect();
    assert_eq!(
        signers,
        ["Daniel Brooks", "Maya Okafor"],
        "the original signers"
    );
    assert!(
        mql["inForce"]["log"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["problem"].is_null()),
        "every signature verifies"
    );
    b.ok(&["verify"]);

    let again = b.file("again.toml");
    b.ok(&["export-playbook", again.to_str().unwrap()]);
    assert_eq!(
        std::fs::read_to_string(&again).unwrap(),
        exported,
        "the round trip must reproduce the same playbook, signatures and all"
    );

    // The in-force content is the same item by item.
    let strip = |w: &Workspace| -> Vec<serde_json::Value> {
        w.json(&["agreements", "list"])
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| !i["inForce"].is_null())
            .map(|i| {
                serde_json::json!([
                    i["kind"],
                    i["key"],
                    i["inForce"]["name"],
                    i["inForce"]["body"]
                ])
            })
            .collect()
    };
    assert_eq!(strip(&a), strip(&b));

    // Importing the same file again changes nothing.
    let summary = b.json(&["import-playbook", file.to_str().unwrap()]);
    assert_eq!(summary["unchanged"], in_force);
    assert_eq!(summary["versionsProposed"], 0);
}

#[test]
fn what_does_not_verify_here_needs_signers_and_bad_files_change_nothing() {
    let a = Workspace::demo();
    let file = a.file("playbook.toml");
    a.ok(&["export-playbook", file.to_str().unwrap()]);
    let text = std::fs::read_to_string(&file).unwrap();
    // An edited definition no longer matches what was signed.
    let marker = "definition = \"Points for fit";
    let start = text.find(marker).expect("lead score term is exported");
    let end = start + text[start..].find('\n').unwrap();
    let edited = format!(
        "{}definition = \"Points for fit and behaviour, nothing else.\"{}",
        &text[..start],
        &text[end..]
    );

    // Another team (its own keys) receives it.
    let c = Workspace::demo();
    let before = c.snapshot();
    let changed = c.file("changed.toml");
    std::fs::write(&changed, &edited).unwrap();
    let path = changed.to_str().unwrap();
    let err = c.refused(&["import-playbook", path], "not_allowed");
    assert!(
        err.contains("term/lead_score") && err.contains("--signed-by"),
        "{err}"
    );
    // A rep cannot sign an import; one side alone is not enough; nothing is written.
    c.refused(
        &[
            "import-playbook",
            path,
            "--signed-by",
            &format!("{MAYA},{SOFIA}"),
        ],
        "not_allowed",
    );
    c.refused(
        &["import-playbook", path, "--signed-by", MAYA],
        "invalid_input",
    );
    assert_eq!(c.snapshot(), before);
    let s = c.json(&[
        "import-playbook",
        path,
        "--signed-by",
        &format!("{MAYA},{DANIEL}"),
    ]);
    assert_eq!(s["versionsProposed"], 1);
    assert_eq!(s["versionsAgreed"], 1);
    let term = c.json(&["agreements", "show", "term/lead_score"]);
    assert_eq!(
        term["inForce"]["body"]["definition"],
        "Points for fit and behaviour, nothing else."
    );

    // A broken file names its line; an entry with an empty field names the entry.
    let d = Workspace::demo();
    let before = d.snapshot();
    let broken = d.file("broken.toml");
    std::fs::write(&broken, text.replacen("[[terms]]", "[[terms]\n", 1)).unwrap();
    let err = d.refused(
        &["import-playbook", broken.to_str().unwrap()],
        "invalid_input",
    );
    assert!(err.contains("line"), "{err}");
    let emptied = format!("{}definition = \"\"{}", &text[..start], &text[end..]);
    std::fs::write(&broken, emptied).unwrap();
    let err = d.refused(
        &[
            "import-playbook",
            broken.to_str().unwrap(),
            "--signed-by",
            &format!("{MAYA},{DANIEL}"),
        ],
        "invalid_input",
    );
    assert!(err.contains("term/lead_score"), "{err}");
    assert_eq!(
        d.snapshot(),
        before,
        "a refused import writes nothing, not even the team"
    );
}

#[test]
fn members_are_listed_and_added() {
    let w = Workspace::empty();
    w.ok(&[
        "members",
        "add",
        "--email",
        "ana@firm.example",
        "--name",
        "Ana",
        "--side",
        "marketing",
        "--role",
        "manager",
    ]);
    let list = w.json(&["members", "list"]);
    assert_eq!(list[0]["email"], "ana@firm.example");
    assert_eq!(list[0]["side"], "marketing");
    assert!(list[0]["createdAt"].is_string(), "JSON keys are camelCase");
    let text = w.ok(&["members", "list"]);
    assert!(text.starts_with("NAME") && text.contains("Ana"), "{text}");
}

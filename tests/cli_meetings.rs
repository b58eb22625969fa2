//! The meeting and report commands through the real binary: a meeting from creation to
//! minutes, a decision signed in the room by both managers, an action carried into the next
//! meeting until done, and refusals that name their rule and change nothing.
mod common;

use common::{Workspace, DANIEL, MAYA, PRIYA, SOFIA};

fn agenda_kinds(detail: &serde_json::Value) -> Vec<String> {
    detail["agenda"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["facts"]["kind"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_meeting_from_agenda_to_minutes() {
    let w = Workspace::demo();
    // Held two weeks ago, so the next meeting (today) covers the days since.
    let held = (chrono::Local::now().date_naive() - chrono::Duration::days(14)).to_string();
    let m = w.json(&[
        "meetings",
        "new",
        "--title",
        "November alignment <b>&</b>",
        "--date",
        &held,
        "--attendees",
        &format!("{MAYA},{DANIEL},{SOFIA}"),
        "--as",
        MAYA,
    ]);
    let id = m["meeting"]["id"].as_str().unwrap().to_string();
    assert_eq!(m["meeting"]["attendees"].as_array().unwrap().len(), 3);
    assert_eq!(m["meeting"]["status"], "open");
    let kinds = agenda_kinds(&m);
    for kind in [
        "funnel", "reasons", "slas", "sources", "aging", "signoffs", "content",
    ] {
        assert!(
            kinds.contains(&kind.to_string()),
            "the agenda has a {kind} item: {kinds:?}"
        );
    }
    assert!(
        !kinds.contains(&"actions".to_string()),
        "no earlier meeting, no open actions"
    );
    // Versions are named as people name them ("Sales Accepted Lead v2"), never by the
    // CLI's code (`stage/sal@2`), in the titles and in what the items list.
    for item in m["agenda"].as_array().unwrap() {
        let title = item["title"].as_str().unwrap();
        assert!(!title.contains('@'), "a code in the agenda: {title}");
    }
    let signoffs = m["agenda"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["facts"]["kind"] == "signoffs")
        .unwrap();
    for v in signoffs["facts"]["versions"].as_array().unwrap() {
        let label = v["label"].as_str().unwrap();
        assert!(
            label.starts_with(v["name"].as_str().unwrap()) && label.contains(" v"),
            "{label}"
        );
    }
    let funnel = &m["agenda"][0]["facts"];
    assert_eq!(funnel["kind"], "funnel");
    assert!(funnel["changes"].as_array().unwrap().len() >= 5);
    let reasons = m["agenda"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["facts"]["kind"] == "reasons")
        .unwrap();
    assert!(
        !reasons["facts"]["report"]["reasons"][0]["examples"]
            .as_array()
            .unwrap()
            .is_empty(),
        "rejection reasons come with example contacts"
    );

    // The agenda by hand: add, move to the top, drop one.
    w.ok(&[
        "meetings",
        "agenda",
        &id,
        "--add",
        "Webinar follow-up speed",
        "--note",
        "Sofia asks",
        "--as",
        SOFIA,
    ]);
    let slas = m["agenda"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["facts"]["kind"] == "slas")
        .unwrap();
    let sides: Vec<&str> = slas["facts"]["report"]["sides"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["side"].as_str().unwrap())
        .collect();
    assert_eq!(sides, ["marketing", "sales"], "SLA breaches by side");
    assert!(
        slas["title"]
            .as_str()
            .unwrap()
            .starts_with("SLA breaches by side: "),
        "{}",
        slas["title"]
    );
    // The library's gaps and stale assets are the content area's own numbers.
    let content = m["agenda"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["facts"]["kind"] == "content")
        .unwrap();
    let coverage = w.json(&["content", "coverage"]);
    assert_eq!(
        content["facts"]["report"]["gapCount"], coverage["emptyCells"],
        "{}",
        content["title"]
    );
    assert_eq!(
        content["facts"]["report"]["staleCount"].as_u64(),
        coverage["stale"].as_array().map(|s| s.len() as u64)
    );
    assert!(
        content["title"].as_str().unwrap().starts_with("Content: "),
        "{}",
        content["title"]
    );
    // The item added by hand is the last: move it to the top.
    let last = (m["agenda"].as_array().unwrap().len() + 1).to_string();
    let agenda = w.json(&[
        "meetings", "agenda", &id, "--move", &last, "--to", "1", "--as", SOFIA,
    ]);
    assert_eq!(agenda[0]["title"], "Webinar follow-up speed");
    assert_eq!(agenda[0]["note"], "Sofia asks");
    let agenda = w.json(&["meetings", "agenda", &id, "--drop", "5", "--as", MAYA]);
    assert_eq!(agenda[4]["dropped"], true);

    // A decision that proposes a change, signed by both managers in the room.
    w.ok(&[
        "agreements",
        "propose",
        "--item",
        "stage/mql",
        "--entry",
        "Score of at least 65, a stated need and recent behaviour",
        "--as",
        MAYA,
    ]);
    let d = w.json(&[
        "meetings",
        "decide",
        &id,
        "--item",
        "3",
        "--text",
        "Raise the MQL bar to 65",
        "--version",
        "stage/mql",
        "--signed-by",
        &format!("{MAYA},{DANIEL}"),
        "--as",
        MAYA,
    ]);
    assert_eq!(d["version"]["status"], "in_force");
    assert_eq!(
        d["version"]["approvedBy"],
        serde_json::json!(["Maya Okafor", "Daniel Brooks"])
    );
    let item = w.json(&["agreements", "show", "stage/mql"]);
    let log = &item["inForce"]["log"];
    let comments: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "approved")
        .map(|e| e["comment"].as_str().unwrap())
        .collect();
    let agreed_in = format!("Agreed in meeting “November alignment <b>&</b>” ({held})");
    assert_eq!(
        comments,
        [agreed_in.as_str(); 2],
        "the version's history says which meeting agreed it"
    );

    let a = w.json(&[
        "meetings",
        "action",
        &id,
        "--title",
        "Review webinar lead quality",
        "--owner",
        PRIYA,
        "--due",
        "2030-01-15",
        "--item",
        "4",
        "--as",
        MAYA,
    ]);
    let action_id = a["id"].as_str().unwrap().to_string();
    assert_eq!(
        (a["status"].as_str(), a["ownerName"].as_str()),
        (Some("open"), Some("Priya Raman"))
    );
    w.ok(&["meetings", "close", &id, "--as", DANIEL]);

    let md = w.ok(&["meetings", "minutes", &id, "--format", "md"]);
    assert!(
        md.starts_with("# November alignment \\<b\\>&\\</b\\>\n"),
        "user text is escaped in Markdown:\n{md}"
    );
    for expected in [
        "- Maya Okafor (marketing manager)",
        "**Decision:** Raise the MQL bar to 65",
        "Marketing Qualified Lead v3: agreed, in force from",
        "signed by Maya Okafor and Daniel Brooks",
        "- [ ] Review webinar lead quality — Priya Raman, due 2030-01-15",
        "| Stage | Entries before | Entries now |",
        "| SLA | Owed by | Target | Met | Breached | Pending | Kept | Kept before |",
        "### 1. Webinar follow-up speed",
    ] {
        assert!(md.contains(expected), "the minutes say {expected:?}:\n{md}");
    }
    assert!(
        !md.contains("(dropped)"),
        "dropped items are not in the minutes"
    );
    assert!(
        !md.contains("stage/"),
        "no version codes in the minutes:\n{md}"
    );
    let html = w.ok(&["meetings", "minutes", &id, "--format", "html"]);
    assert!(
        html.contains("<h1>November alignment &lt;b&gt;&amp;&lt;/b&gt;</h1>"),
        "user text is escaped in HTML"
    );
    assert!(html.contains("@media print"), "a print stylesheet");
    assert!(!html.contains("<b>&</b>"));

    // The next meeting carries the open action until it is done.
    let next = w.json(&[
        "meetings",
        "new",
        "--title",
        "December alignment",
        "--as",
        DANIEL,
    ]);
    assert_eq!(
        next["meeting"]["period"]["from"],
        m["meeting"]["period"]["to"]
            .as_str()
            .map(|to| {
                (chrono::NaiveDate::parse_from_str(to, "%Y-%m-%d").unwrap()
                    + chrono::Duration::days(1))
                .to_string()
            })
            .unwrap_or_default(),
        "the period runs from the day after the previous meeting's period"
    );
    let carried = next["agenda"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["facts"]["kind"] == "actions")
        .expect("open actions of earlier meetings are on the agenda");
    assert_eq!(carried["facts"]["items"][0]["id"], action_id.as_str());
    w.ok(&[
        "meetings", "action", "latest", "--done", &action_id, "--as", PRIYA,
    ]);
    let third = w.json(&[
        "meetings",
        "new",
        "--title",
        "January alignment",
        "--as",
        DANIEL,
    ]);
    assert!(
        !agenda_kinds(&third).contains(&"actions".to_string()),
        "a done action is no longer carried"
    );
    let list = w.json(&["meetings", "list"]);
    assert_eq!(list.as_array().unwrap().len(), 3);
}

#[test]
fn refusals_name_their_rule_and_change_nothing() {
    let w = Workspace::demo();
    let m = w.json(&["meetings", "new", "--title", "Alignment", "--as", MAYA]);
    let id = m["meeting"]["id"].as_str().unwrap().to_string();
    let before = (
        w.json(&["meetings", "show", &id]),
        w.sql("SELECT count(*) FROM meeting_records"),
    );
    let cases: &[(&[&str], &str, &str)] = &[
        (
            &["meetings", "close", &id, "--as", PRIYA],
            "not_allowed",
            "only the attendees of “Alignment” or a manager close it; Priya Raman did not attend",
        ),
        (
            &["meetings", "new", "--title", "  ", "--as", MAYA],
            "invalid_input",
            "title: must not be empty",
        ),
        (
            &[
                "meetings",
                "new",
                "--title",
                "X",
                "--attendees",
                "nobody@nowhere.example",
                "--as",
                MAYA,
            ],
            "not_found",
            "attendees:",
        ),
        (
            &[
                "meetings",
                "new",
                "--title",
                "X",
                "--date",
                "27/11/2026",
                "--as",
                MAYA,
            ],
            "invalid_input",
            "heldOn: '27/11/2026' is not a date",
        ),
        (
            &[
                "meetings",
                "new",
                "--title",
                "X",
                "--from",
                "2026-11-02",
                "--to",
                "2026-11-01",
                "--as",
                MAYA,
            ],
            "invalid_input",
            "starts (2026-11-02) after it ends",
        ),
        (
            &["meetings", "agenda", &id, "--drop", "42", "--as", MAYA],
            "invalid_input",
            "item: the agenda has items 1 to",
        ),
        (
            &["meetings", "action", &id, "--title", "Do it", "--as", MAYA],
            "invalid_input",
            "owner: an action item needs an owner",
        ),
        (
            &[
                "meetings", "action", &id, "--title", "Do it", "--owner", PRIYA, "--due", "soon",
                "--as", MAYA,
            ],
            "invalid_input",
            "dueOn: 'soon' is not a date",
        ),
        (
            &[
                "meetings",
                "decide",
                &id,
                "--text",
                "Sign the superseded",
                "--version",
                "stage/mql@1",
                "--as",
                MAYA,
            ],
            "not_allowed",
            "is not awaiting sign-off",
        ),
        (
            &[
                "meetings",
                "decide",
                &id,
                "--text",
                "Priya signs",
                "--version",
                "stage/sal",
                "--signed-by",
                PRIYA,
                "--as",
                MAYA,
            ],
            "not_allowed",
            "only managers sign off the playbook",
        ),
        (
            &["meetings", "show", "01234567-no-such-meeting"],
            "not_found",
            "no meeting with id",
        ),
        (
            &["report", "funnel", "--from", "yesterday"],
            "invalid_input",
            "from: 'yesterday' is not a date",
        ),
    ];
    for (args, code, words) in cases {
        let stderr = w.refused(args, code);
        assert!(
            stderr.contains(words),
            "`{}` says {words:?}; got {stderr}",
            args.join(" ")
        );
    }
    // A decision whose signature is refused is not recorded either: one transaction.
    let after = (
        w.json(&["meetings", "show", &id]),
        w.sql("SELECT count(*) FROM meeting_records"),
    );
    assert_eq!(before, after, "refusals leave the meeting as it was");
    w.ok(&["meetings", "close", &id, "--as", MAYA]);
    let stderr = w.refused(
        &["meetings", "agenda", &id, "--add", "Late", "--as", MAYA],
        "not_allowed",
    );
    assert!(stderr.contains("is closed"), "{stderr}");
    w.refused(&["meetings", "close", &id, "--as", MAYA], "not_allowed");
}

#[test]
fn reports_as_json_and_csv() {
    let w = Workspace::demo();
    let f = w.json(&["report", "funnel"]);
    assert_eq!(f["stages"][0]["key"], "inquiry");
    assert!(
        f["deals"]["opportunitiesOpened"].as_u64().is_some(),
        "the demo has deals: {f}"
    );
    let csv = w.ok(&[
        "report",
        "funnel",
        "--format",
        "csv",
        "--from",
        "2026-01-01",
        "--to",
        "2026-11-01",
    ]);
    assert!(csv.starts_with("section,stage,stage_name,entries,next_stage,converted,left,still_in,conversion_pct,median_days_to_next\n"));
    assert!(csv.contains("\nfunnel,inquiry,Inquiry,"));
    for kind in ["sources", "reasons", "aging"] {
        w.json(&["report", kind]);
        let csv = w.ok(&["report", kind, "--format", "csv"]);
        assert!(csv.lines().count() >= 2, "{kind} as CSV has rows:\n{csv}");
    }
}

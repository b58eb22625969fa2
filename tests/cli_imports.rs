//! Imports and exports through the real CLI on real SQLite files: each CRM dialect in its
//! real shape, every kind of bad row, re-import idempotence, mapping files, the export →
//! import round trip, formula neutralisation, and a process killed mid-import.
mod common;

use std::collections::HashMap;
use std::path::PathBuf;

use common::{Workspace, TOM};
use serde_json::Value;

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

/// A workspace with the demo team and playbook but without the demo's contacts.
fn playbook_only() -> Workspace {
    let demo = Workspace::demo();
    let file = demo.file("playbook.toml");
    demo.ok(&["export-playbook", file.to_str().unwrap()]);
    let w = Workspace::empty();
    // The file carries its signatures: an empty directory takes it as signed.
    w.ok(&["import-playbook", file.to_str().unwrap()]);
    w
}

fn contacts_by_email(w: &Workspace) -> HashMap<String, Value> {
    w.json(&["contacts", "list"])
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["email"].as_str().unwrap_or_default().to_string(),
                c.clone(),
            )
        })
        .collect()
}

fn import(w: &Workspace, file: &str, extra: &[&str]) -> Value {
    let mut args = vec!["import", "contacts", "--as", TOM, file];
    args.extend_from_slice(extra);
    w.json(&args)
}

/// File, dialect it must be recognised as, rows, and (email, expected stage) pairs.
type DialectCase = (
    &'static str,
    &'static str,
    u64,
    Vec<(&'static str, &'static str)>,
);

#[test]
fn each_crm_dialect_imports_with_its_statuses_mapped() {
    let w = playbook_only();
    let cases: Vec<DialectCase> = vec![
        (
            "salesforce_leads.csv",
            "Salesforce",
            5,
            vec![
                ("greta.lind@acme.example", "inquiry"),
                ("omar.haddad@acme.example", "sal"),
                ("lucia.ferrari@borealis.example", "opportunity"),
                ("tim.berg@uni.example", "nurture"),
                ("ana.costa@costa.example", "inquiry"),
            ],
        ),
        (
            "hubspot_contacts.csv",
            "HubSpot",
            5,
            vec![
                ("mia.svensson@nordlys.example", "mql"),
                ("jakob.nilsson@nordlys.example", "inquiry"),
                ("priya.nair@tundra.example", "sql"),
                ("sara.kovacs@tundra.example", "customer"),
            ],
        ),
        (
            "zoho_leads.csv",
            "Zoho CRM",
            5,
            vec![
                ("hugo.lambert@vitrine.example", "inquiry"),
                ("elif.demir@vitrine.example", "sal"),
                ("noor.aziz@dune.example", "nurture"),
                ("test@mailinator.example", "disqualified"),
                ("karl.weiss@dune.example", "mql"),
            ],
        ),
        (
            "pipedrive_persons.csv",
            "Pipedrive",
            4,
            vec![
                ("isabel.moreno@sierra.example", "mql"),
                ("yuki.sato@kumo.example", "inquiry"),
                ("ravi.kumar@kumo.example", "inquiry"),
            ],
        ),
        (
            "marketo_leads.csv",
            "Marketo",
            5,
            vec![
                ("fatima.khan@orbital.example", "mql"),
                ("ben.carter@orbital.example", "sal"),
                ("chen.wei@lotus.example", "nurture"),
                ("olga.ivanova@lotus.example", "disqualified"),
                ("paul.dupont@lotus.example", "inquiry"),
            ],
        ),
        (
            "spreadsheet.csv",
            "Spreadsheet",
            3,
            vec![
                ("anna.roth@gipfel.example", "mql"),
                ("max.frei@gipfel.example", "inquiry"),
                ("eva.kunz@gipfel.example", "sal"),
            ],
        ),
    ];
    for (file, dialect, rows, stages) in cases {
        let s = import(&w, &fixture(file), &[]);
        assert_eq!(s["dialect"], dialect, "{file}");
        assert_eq!(s["rowsRead"], rows, "{file}: {s}");
        assert_eq!(s["created"], rows, "{file}: {s}");
        assert_eq!(s["rejected"], 0, "{file}: {s}");
        let all = contacts_by_email(&w);
        for (email, stage) in stages {
            assert_eq!(all[email]["stage"], stage, "{file}: {email}");
        }
    }
    let all = contacts_by_email(&w);
    // Quoted commas, owners by name or email, placeholders, name splitting.
    assert_eq!(all["greta.lind@acme.example"]["accountName"], "Acme, Inc.");
    assert_eq!(all["greta.lind@acme.example"]["ownerName"], "Daniel Brooks");
    assert_eq!(all["priya.nair@tundra.example"]["ownerName"], "Lukas Weber");
    assert_eq!(all["isabel.moreno@sierra.example"]["name"], "Isabel Moreno");
    assert!(
        all["max.frei@gipfel.example"]["ownerName"].is_null(),
        "'Select' is no owner"
    );
    assert!(
        all["test@mailinator.example"]["accountName"].is_null(),
        "'-None-' is no company"
    );

    // Dates in each format became the same kind of instant.
    let show = |email: &str| w.json(&["contacts", "show", all[email]["id"].as_str().unwrap()]);
    assert_eq!(
        show("greta.lind@acme.example")["contact"]["createdAt"],
        "2021-04-15T15:05:00.000Z"
    );
    assert_eq!(
        show("hugo.lambert@vitrine.example")["contact"]["createdAt"],
        "2021-04-15T00:03:00.000Z"
    );
    assert_eq!(
        show("anna.roth@gipfel.example")["contact"]["createdAt"],
        "2021-04-15T00:00:00.000Z"
    );
    let anna = show("anna.roth@gipfel.example");
    assert_eq!(
        anna["contact"]["bant"]["budget"],
        serde_json::json!({"known": true, "note": "Approved for Q3"})
    );
    assert_eq!(anna["contact"]["buyingRole"], "champion");
    assert_eq!(anna["events"][0]["kind"], "created");
    assert_eq!(anna["events"][0]["toStage"], "mql");
    assert!(anna["score"]["lines"].is_array());
}

#[test]
fn unmapped_statuses_and_unknown_owners_are_listed_not_rejected() {
    let w = playbook_only();
    let s = import(&w, &fixture("salesforce_leads.csv"), &[]);
    assert_eq!(
        s["unmappedStatuses"],
        serde_json::json!(["Nurturing Sequence"])
    );
    assert_eq!(s["unmatchedOwners"], serde_json::json!(["Former Employee"]));
    assert_eq!(s["rejected"], 0);
}

#[test]
fn every_bad_row_is_reported_and_all_or_nothing_writes_nothing() {
    let w = playbook_only();
    let before = w.json(&["contacts", "list"]);
    let out = w.run(&[
        "--format",
        "json",
        "import",
        "contacts",
        "--as",
        TOM,
        &fixture("bad_rows.csv"),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "an all-or-nothing import with bad rows is refused"
    );
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors: Vec<(u64, String, String)> = s["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap(),
                e["column"].as_str().unwrap().to_string(),
                e["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expect = [
        (3, "Email", "not an email"),
        (4, "Email", "needs an email or an id"),
        (5, "Create Date", "not a date"),
        (6, "Create Date", "in the future"),
        (7, "Number of Employees", "not a number"),
        (8, "Buying Role", "not a buying role"),
        (9, "Email", "duplicate of row 2"),
        (10, "", "header has 8 columns"),
    ];
    assert_eq!(errors.len(), expect.len(), "{errors:#?}");
    for ((row, column, message), (er, ec, em)) in errors.iter().zip(expect) {
        assert_eq!((*row, column.as_str()), (er, ec), "{message}");
        assert!(
            message.contains(em),
            "row {row}: '{message}' should say '{em}'"
        );
    }
    assert_eq!(s["rejected"], 8);
    assert_eq!(s["written"], false);
    assert_eq!(w.json(&["contacts", "list"]), before, "nothing was written");

    let s = import(&w, &fixture("bad_rows.csv"), &["--mode", "valid-rows"]);
    assert_eq!(s["created"], 2);
    assert_eq!(s["rejected"], 8);
    let all = contacts_by_email(&w);
    assert_eq!(all.len(), 2);
    assert_eq!(all["good.two@fine.example"]["stage"], "mql");
}

#[test]
fn re_import_updates_and_never_duplicates() {
    let w = playbook_only();
    let s = import(&w, &fixture("hubspot_contacts.csv"), &[]);
    assert_eq!(s["created"], 5);
    let s = import(&w, &fixture("hubspot_contacts.csv"), &[]);
    assert_eq!(
        (
            s["created"].as_u64(),
            s["updated"].as_u64(),
            s["unchanged"].as_u64()
        ),
        (Some(0), Some(0), Some(5))
    );

    let changed = std::fs::read_to_string(fixture("hubspot_contacts.csv"))
        .unwrap()
        .replace("Business Analyst", "Senior Business Analyst");
    let file = w.file("changed.csv");
    std::fs::write(&file, changed).unwrap();
    let s = import(&w, file.to_str().unwrap(), &[]);
    assert_eq!(
        (
            s["created"].as_u64(),
            s["updated"].as_u64(),
            s["unchanged"].as_u64()
        ),
        (Some(0), Some(1), Some(4))
    );
    let all = contacts_by_email(&w);
    assert_eq!(all.len(), 5);
    assert_eq!(
        all["jakob.nilsson@nordlys.example"]["title"],
        "Senior Business Analyst"
    );

    // A dry run counts but writes nothing.
    let renamed = std::fs::read_to_string(&file)
        .unwrap()
        .replace("Jakob", "Jacob");
    std::fs::write(&file, renamed).unwrap();
    let s = import(&w, file.to_str().unwrap(), &["--dry-run"]);
    assert_eq!(s["updated"], 1);
    assert_eq!(s["dryRun"], true);
    assert_eq!(
        contacts_by_email(&w)["jakob.nilsson@nordlys.example"]["name"],
        "Jakob Nilsson"
    );
}

#[test]
fn a_mapping_file_names_columns_and_statuses() {
    let w = playbook_only();
    let s = import(
        &w,
        &fixture("custom.csv"),
        &["--mapping", &fixture("custom_mapping.toml")],
    );
    assert_eq!(s["created"], 3, "{s}");
    assert_eq!(s["unmappedStatuses"], serde_json::json!(["Kalt"]));
    let all = contacts_by_email(&w);
    assert_eq!(all["jonas.keller@alpen.example"]["stage"], "mql");
    assert_eq!(all["lea.vogel@alpen.example"]["stage"], "sal");
    assert_eq!(all["tim.graf@alpen.example"]["stage"], "inquiry");
    assert_eq!(all["lea.vogel@alpen.example"]["accountName"], "Alpen GmbH");

    let bad = w.file("bad_mapping.toml");
    std::fs::write(&bad, "[columns]\nemail = \"No Such Column\"\n").unwrap();
    let err = w.refused(
        &[
            "import",
            "contacts",
            "--as",
            TOM,
            &fixture("custom.csv"),
            "--mapping",
            bad.to_str().unwrap(),
        ],
        "invalid_input",
    );
    assert!(err.contains("No Such Column"), "{err}");
}

#[test]
fn export_neutralises_formulas_and_imports_back_the_same() {
    let a = playbook_only();
    let evil = a.file("evil.csv");
    std::fs::write(
        &evil,
        "Email,First Name,Last Name,Company,Job Title\r\nx@evil.example,=HYPERLINK(\"http://x\"),+cmd,@SUM(A1),-2+3\r\n",
    )
    .unwrap();
    import(&a, evil.to_str().unwrap(), &[]);
    import(&a, &fixture("hubspot_contacts.csv"), &[]);
    let out = a.file("contacts.csv");
    a.ok(&["export", "contacts", out.to_str().unwrap()]);
    let text = std::fs::read_to_string(&out).unwrap();
    for cell in ["'=HYPERLINK", "'+cmd", "'@SUM(A1)", "'-2+3"] {
        assert!(
            text.contains(cell),
            "{cell} should be neutralised in:\n{text}"
        );
    }
    assert!(!text.contains(",=HYPERLINK"), "no live formula may remain");

    // The export reads back into another workspace as the same contacts.
    let b = playbook_only();
    let s = import(&b, out.to_str().unwrap(), &[]);
    assert_eq!(s["created"], 6, "{s}");
    let (ca, cb) = (contacts_by_email(&a), contacts_by_email(&b));
    for (email, c) in &ca {
        let d = &cb[email];
        for key in [
            "name",
            "title",
            "stage",
            "accountName",
            "ownerName",
            "sourceChannel",
            "score",
        ] {
            assert_eq!(c[key], d[key], "{email}: {key}");
        }
    }
    assert_eq!(
        cb["x@evil.example"]["name"],
        "=HYPERLINK(\"http://x\") +cmd"
    );
    // Importing its own export again changes nothing.
    let s = import(&b, out.to_str().unwrap(), &[]);
    assert_eq!(s["unchanged"], 6, "{s}");

    // JSON too, with camelCase keys.
    let json = a.file("contacts.json");
    a.ok(&[
        "--format",
        "json",
        "export",
        "contacts",
        json.to_str().unwrap(),
    ]);
    let rows: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 6);
    assert!(rows[0]["lifecycleStage"].is_string());
}

#[test]
fn events_and_activities_import_with_the_rules_of_the_playbook() {
    let w = playbook_only();
    import(&w, &fixture("hubspot_contacts.csv"), &[]);
    let events = w.file("events.csv");
    std::fs::write(
        &events,
        "Contact,Event,Date,Actor,Reason,Channel,Note\n\
         jakob.nilsson@nordlys.example,handed_over,2021-04-20 10:00,maya.okafor@larkspur.example,,,Downloaded the guide twice\n\
         jakob.nilsson@nordlys.example,rejected,2021-04-21 09:00,sofia.marin@larkspur.example,no_budget,,No budget this year\n\
         jakob.nilsson@nordlys.example,accepted,2021-04-22 09:00,sofia.marin@larkspur.example,,,\n\
         jakob.nilsson@nordlys.example,disqualified,2021-04-23 09:00,sofia.marin@larkspur.example,,,\n\
         mia.svensson@nordlys.example,accepted,2021-04-16 09:00,lukas.weber@larkspur.example,,,\n\
         mia.svensson@nordlys.example,attempt,2021-04-17 09:00,lukas.weber@larkspur.example,,carrier pigeon,\n\
         nobody@nowhere.example,accepted,2021-04-17 09:00,,,,\n",
    )
    .unwrap();
    let out = w.run(&[
        "--format",
        "json",
        "import",
        "events",
        "--as",
        TOM,
        events.to_str().unwrap(),
        "--mode",
        "valid-rows",
    ]);
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["created"], 3, "{s}");
    assert_eq!(s["rejected"], 4, "{s}");
    let rows: Vec<u64> = s["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["row"].as_u64().unwrap())
        .collect();
    assert_eq!(rows, vec![4, 5, 7, 8], "{s}");
    let msgs: Vec<&str> = s["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert!(msgs[0].contains("does not allow 'accepted'"), "{msgs:?}");
    assert!(msgs[1].contains("needs an agreed reason"), "{msgs:?}");
    assert!(msgs[2].contains("channel"), "{msgs:?}");
    assert!(msgs[3].contains("no contact"), "{msgs:?}");

    let all = contacts_by_email(&w);
    let jakob = w.json(&[
        "contacts",
        "show",
        all["jakob.nilsson@nordlys.example"]["id"].as_str().unwrap(),
    ]);
    assert_eq!(jakob["contact"]["stage"], "nurture");
    assert_eq!(jakob["events"][0]["reason"], "no_budget");
    assert_eq!(jakob["events"][0]["note"], "No budget this year");

    // The same file again adds nothing.
    let out = w.run(&[
        "--format",
        "json",
        "import",
        "events",
        "--as",
        TOM,
        events.to_str().unwrap(),
        "--mode",
        "valid-rows",
    ]);
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (s["created"].as_u64(), s["unchanged"].as_u64()),
        (Some(0), Some(3)),
        "{s}"
    );

    let acts = w.file("activities.csv");
    std::fs::write(
        &acts,
        "Email Address,Activity Type,Activity Date,Asset\n\
         mia.svensson@nordlys.example,Fill Out Form,2026-11-01T10:00:00Z,Demo request\n\
         mia.svensson@nordlys.example,Attended Webinar,2026-11-02T10:00:00Z,Forecasting 101\n\
         mia.svensson@nordlys.example,Visit Webpage,2026-11-03T10:00:00Z,/pricing\n\
         mia.svensson@nordlys.example,Sent Carrier Pigeon,2026-11-03T10:00:00Z,\n",
    )
    .unwrap();
    let out = w.run(&[
        "--format",
        "json",
        "import",
        "activities",
        "--as",
        TOM,
        acts.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a bad activity row stops an all-or-nothing import"
    );
    let s = w.json(&[
        "import",
        "activities",
        "--as",
        TOM,
        acts.to_str().unwrap(),
        "--mode",
        "valid-rows",
    ]);
    assert_eq!(
        (s["created"].as_u64(), s["rejected"].as_u64()),
        (Some(3), Some(1)),
        "{s}"
    );
    let mia = w.json(&[
        "contacts",
        "show",
        all["mia.svensson@nordlys.example"]["id"].as_str().unwrap(),
    ]);
    assert_eq!(mia["activities"].as_array().unwrap().len(), 3);
    let rules: Vec<&str> = mia["score"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rule"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains(&"Attended a webinar") && rules.contains(&"Filled in a form"),
        "{rules:?}"
    );
    assert_eq!(all.len(), 5);
    let listed = w.json(&["contacts", "list", "--limit", "1", "--sort", "score"]);
    assert_eq!(
        listed[0]["email"], "mia.svensson@nordlys.example",
        "the score cache follows the activities"
    );
}

#[test]
fn a_killed_import_leaves_the_database_as_it_was() {
    let w = playbook_only();
    import(&w, &fixture("hubspot_contacts.csv"), &[]);
    let before = w.json(&["contacts", "list"]);
    // The import sets the list indexes aside while it writes: they must all be back.
    let indexes = || {
        std::process::Command::new("sqlite3")
            .arg(w.data_file("playbook.sqlite3"))
            .arg("SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name;")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
    };
    let indexes_before = indexes();
    let csv = w.file("big.csv");
    tokio::runtime::Runtime::new().unwrap();
    playbook::bench::write_csv(&csv, 300_000).unwrap();

    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_playbook"))
        .args([
            "--data-dir",
            w.path().to_str().unwrap(),
            "import",
            "contacts",
            "--as",
            TOM,
            csv.to_str().unwrap(),
        ])
        .env("PLAYBOOK_PASSPHRASE", common::DEMO_PASSPHRASE)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the import is writing (the write-ahead log grows), then kill it hard.
    let wal = w.data_file("playbook.sqlite3-wal");
    let started = std::time::Instant::now();
    loop {
        let size = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
        if size > 8 * 1024 * 1024 {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the import finished before it could be killed"
        );
        assert!(
            started.elapsed().as_secs() < 120,
            "the import never started writing"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();

    assert_eq!(
        w.json(&["contacts", "list"]),
        before,
        "a killed import must leave nothing behind"
    );
    let check = std::process::Command::new("sqlite3")
        .arg(w.data_file("playbook.sqlite3"))
        .arg("PRAGMA integrity_check;")
        .output();
    if let Ok(out) = check {
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok");
        let (before, after) = (indexes_before.unwrap(), indexes().unwrap());
        assert!(before.contains("contacts_live_stage"), "{before}");
        assert_eq!(after, before, "every index is back as it was");
    }
}

//! CRM exports as people really have them, through the real CLI on real SQLite files: the
//! fixtures in tests/fixtures/crm are written in the exact shapes of Zoho, Salesforce,
//! HubSpot, Pipedrive, SuiteCRM, Mautic and spreadsheet exports (see their README for what
//! each must give). Every person kept apart, every date right or refused, structure errors
//! reported where they began, accounts and owners kept current, deals moving lifecycles.
mod common;

use std::path::PathBuf;

use common::{Workspace, MAYA, TOM};
use serde_json::Value;

fn crm(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/crm")
        .join(name)
        .display()
        .to_string()
}

/// A workspace with the demo team and playbook but none of the demo's contacts.
fn playbook_only() -> Workspace {
    let demo = Workspace::demo();
    let file = demo.file("playbook.toml");
    demo.ok(&["export-playbook", file.to_str().unwrap()]);
    let w = Workspace::empty();
    w.ok(&["import-playbook", file.to_str().unwrap()]);
    w
}

fn import(w: &Workspace, what: &str, file: &str, extra: &[&str]) -> Value {
    let mut args = vec!["import", what, "--as", TOM, file];
    args.extend_from_slice(extra);
    w.json(&args)
}

/// An all-or-nothing import that a rejected row stops: exit 1, the summary still printed.
fn refused_import(w: &Workspace, args: &[&str]) -> Value {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let out = w.run(&all);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("nothing was imported"), "{stderr}");
    serde_json::from_slice(&out.stdout).expect("the summary is printed")
}

fn n(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or_else(|| panic!("{key} in {v:#}"))
}

/// A file of `rows` with this header, written into the workspace's folder.
fn csv(w: &Workspace, name: &str, text: &str) -> String {
    let p = w.file(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

fn created_at(w: &Workspace, email: &str) -> String {
    w.sql(&format!(
        "SELECT created_at FROM contacts WHERE email = '{email}' AND deleted_at IS NULL"
    ))
}

const GAVIN_LEAD: &str = "zcrm_4876876000000002585";

#[test]
fn ids_of_other_record_types_are_other_people_and_converted_leads_link_by_email() {
    let w = playbook_only();
    let leads = import(&w, "contacts", &crm("zoho_leads.csv"), &[]);
    assert_eq!(leads["source"]["system"], "zoho");
    assert_eq!(leads["source"]["recordType"], "lead");
    assert_eq!(n(&leads, "created"), 22, "{leads:#}");
    assert_eq!(
        leads["possibleDuplicates"],
        serde_json::json!([{ "email": "elena.voss@kestrel.example", "rows": [11, 21] }]),
        "two leads with one email are two records, flagged"
    );
    let contacts = import(&w, "contacts", &crm("zoho_contacts.csv"), &[]);
    assert_eq!(contacts["source"]["recordType"], "contact");
    assert_eq!(
        (n(&contacts, "created"), n(&contacts, "linked"), n(&contacts, "rejected")),
        (10, 4, 0),
        "no contact matched a lead by its number; the four converted leads linked by email: {contacts:#}"
    );
    assert!(contacts["conflicts"].as_array().unwrap().is_empty());
    // Lead 2585 and contact 2585 are two people, each with their own email.
    let email_of = |record_type: &str| {
        w.sql(&format!(
            "SELECT c.email FROM contact_keys k JOIN contacts c ON c.id = k.contact_id
             WHERE k.system = 'zoho' AND k.record_type = '{record_type}' AND k.external_id = '{GAVIN_LEAD}'"
        ))
    };
    assert_eq!(email_of("lead"), "gavin.hartley@ferro.example");
    assert_eq!(email_of("contact"), "becca.thornton@larchmont.example");
    assert_eq!(w.sql("SELECT count(*) FROM contacts"), "32");
    // A converted lead's contact record is the same person, now with both ids.
    assert_eq!(
        w.sql("SELECT count(*) FROM contact_keys k JOIN contacts c ON c.id = k.contact_id WHERE c.email = 'amara.okoye@baobab.example'"),
        "2"
    );
    // Importing both again changes nothing.
    for f in ["zoho_leads.csv", "zoho_contacts.csv"] {
        let again = import(&w, "contacts", &crm(f), &[]);
        assert_eq!(
            (
                n(&again, "created"),
                n(&again, "updated"),
                n(&again, "linked")
            ),
            (0, 0, 0),
            "{f}: {again:#}"
        );
    }
    assert_eq!(w.sql("SELECT count(*) FROM contacts"), "32");
}

#[test]
fn an_id_and_an_email_that_disagree_are_reported_and_never_merged() {
    let w = playbook_only();
    import(&w, "contacts", &crm("zoho_leads.csv"), &[]);
    let before = w.sql("SELECT email || phone || account_id FROM contacts ORDER BY id");
    // Lead 2585 (Gavin) arriving with Meilin's email: which person is it?
    let file = csv(
        &w,
        "conflict.csv",
        &format!(
            "Record Id,Email,First Name,Last Name,Phone,Company,Lead Owner,Lead Status\n\
             {GAVIN_LEAD},meilin.chow@harbourline.example,Gavin,Hartley,+44 1 555,Other Co,Hannah Cole,Contacted\n\
             zcrm_4876876000000009999,new.person@else.example,New,Person,,Else Ltd,Hannah Cole,Contacted\n"
        ),
    );
    let s = refused_import(
        &w,
        &[
            "import",
            "contacts",
            "--as",
            TOM,
            &file,
            "--system",
            "zoho",
            "--record-type",
            "lead",
        ],
    );
    assert_eq!(
        s["written"], false,
        "all or nothing: a conflict writes nothing"
    );
    let c = &s["conflicts"][0];
    assert_eq!(c["row"], 2);
    assert_eq!(c["resolution"], "reported");
    assert_eq!(c["columns"], serde_json::json!(["Record Id", "Email"]));
    assert_eq!(c["contactIds"].as_array().unwrap().len(), 2, "{c:#}");
    let message = c["message"].as_str().unwrap();
    assert!(
        message.contains("gavin.hartley@ferro.example")
            && message.contains("meilin.chow@harbourline.example"),
        "{message}"
    );
    assert_eq!(
        w.sql("SELECT email || phone || account_id FROM contacts ORDER BY id"),
        before,
        "nothing changed"
    );
    // Valid rows: the other row lands, the conflicting one does not.
    let s = w.json(&[
        "import",
        "contacts",
        "--as",
        TOM,
        &file,
        "--system",
        "zoho",
        "--record-type",
        "lead",
        "--mode",
        "valid-rows",
    ]);
    assert_eq!((n(&s, "created"), n(&s, "rejected")), (1, 1), "{s:#}");
    assert_eq!(
        w.sql("SELECT email FROM contacts c JOIN contact_keys k ON k.contact_id = c.id WHERE k.external_id = 'zcrm_4876876000000002585' AND k.record_type = 'lead'"),
        "gavin.hartley@ferro.example"
    );
    // Told to trust the id (Gavin's email changed in the CRM), the id's contact is updated.
    let s = w.json(&[
        "import",
        "contacts",
        "--as",
        TOM,
        &file,
        "--system",
        "zoho",
        "--record-type",
        "lead",
        "--on-conflict",
        "prefer-id",
    ]);
    assert_eq!(s["conflicts"][0]["resolution"], "id");
    assert_eq!(n(&s, "updated"), 1, "{s:#}");
    let phone_of = |ext: &str| {
        w.sql(&format!(
            "SELECT c.email || '|' || c.phone FROM contacts c JOIN contact_keys k ON k.contact_id = c.id
             WHERE k.system = 'zoho' AND k.record_type = 'lead' AND k.external_id = '{ext}'"
        ))
    };
    assert_eq!(
        phone_of(GAVIN_LEAD),
        "meilin.chow@harbourline.example|+44 1 555"
    );
    assert_eq!(
        phone_of("zcrm_4876876000000002586"),
        "meilin.chow@harbourline.example|",
        "Meilin's own record is untouched; the two now share an email"
    );
}

#[test]
fn a_new_id_with_a_known_email_is_another_record_not_an_overwrite() {
    let w = playbook_only();
    import(&w, "contacts", &crm("zoho_leads.csv"), &[]);
    let file = csv(
        &w,
        "dupe.csv",
        "Record Id,Email,First Name,Last Name,Phone,Company,Lead Owner,Lead Status\n\
         zcrm_4876876000000008888,gavin.hartley@ferro.example,G.,Hartley,+1 555 0100,Someone Else Inc,Hannah Cole,Contacted\n",
    );
    let s = w.json(&[
        "import",
        "contacts",
        "--as",
        TOM,
        &file,
        "--system",
        "zoho",
        "--record-type",
        "lead",
    ]);
    assert_eq!(n(&s, "created"), 1, "{s:#}");
    assert_eq!(
        s["possibleDuplicates"][0]["email"],
        "gavin.hartley@ferro.example"
    );
    assert_eq!(
        w.sql("SELECT first_name || '|' || phone || '|' || a.name FROM contacts c JOIN accounts a ON a.id = c.account_id JOIN contact_keys k ON k.contact_id = c.id WHERE k.external_id = 'zcrm_4876876000000002585'"),
        "Gavin||Ferro Tools GmbH",
        "the first Gavin keeps his id, phone and company"
    );
    // The two can be merged (signed, reversible) once someone decides they are one person.
    let ids = w.sql("SELECT id FROM contacts WHERE email = 'gavin.hartley@ferro.example' ORDER BY created_at, id");
    let ids: Vec<&str> = ids.lines().collect();
    let shown = w.json(&["contacts", "show", ids[0]]);
    assert_eq!(shown["sameEmail"], serde_json::json!([ids[1]]));
    w.refused(
        &["contacts", "merge", ids[0], ids[1], "--as", common::SOFIA],
        "not_allowed",
    );
    w.ok(&["contacts", "merge", ids[0], ids[1], "--as", TOM]);
    let listed = w.json(&["contacts", "list", "--search", "hartley"]);
    assert_eq!(
        listed.as_array().unwrap().len(),
        1,
        "the duplicate left the list"
    );
    assert_eq!(
        w.json(&["contacts", "show", ids[0]])["merged"],
        serde_json::json!([ids[1]])
    );
    w.ok(&["contacts", "unmerge", ids[1], "--as", TOM]);
    assert_eq!(
        w.json(&["contacts", "list", "--search", "hartley"])
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        w.sql("SELECT count(*) FROM contact_merges"),
        "2",
        "both acts are kept"
    );
}

#[test]
fn dates_are_read_by_their_column_or_refused() {
    let w = playbook_only();
    // One 13/04/2021 makes the whole column day first.
    let s = import(&w, "contacts", &crm("dates_dmy_column.csv"), &[]);
    assert_eq!(s["dates"][0]["order"], "dmy", "{s:#}");
    assert!(s["dates"][0]["why"]
        .as_str()
        .unwrap()
        .contains("row 4 has 13/04/2021"));
    assert_eq!(
        created_at(&w, "anna.berg@bergholm.example"),
        "2021-05-04T00:00:00.000Z"
    );
    assert_eq!(
        created_at(&w, "bo.berg@bergholm.example"),
        "2021-02-01T00:00:00.000Z"
    );
    let s = import(&w, "contacts", &crm("dates_mdy_column.csv"), &[]);
    assert_eq!(s["dates"][0]["order"], "mdy");
    assert_eq!(
        created_at(&w, "amy.cole@colewood.example"),
        "2021-04-05T00:00:00.000Z"
    );

    // Undecidable: the mapping's order, else the workspace's, and the dry run says which.
    let dry = import(
        &w,
        "contacts",
        &crm("dates_ambiguous_column.csv"),
        &["--dry-run", "--date-order", "dmy"],
    );
    assert_eq!(dry["dates"][0]["order"], "dmy");
    assert!(
        dry["dates"][0]["why"].as_str().unwrap().contains("mapping"),
        "{dry:#}"
    );
    w.ok(&["settings", "set", "date-order", "dmy", "--as", MAYA]);
    let s = import(&w, "contacts", &crm("dates_ambiguous_column.csv"), &[]);
    assert!(
        s["dates"][0]["why"].as_str().unwrap().contains("workspace"),
        "{s:#}"
    );
    assert_eq!(
        created_at(&w, "aiden.marsh@marshfield.example"),
        "2021-02-01T00:00:00.000Z"
    );
    assert_eq!(
        created_at(&w, "ethan.marsh@marshfield.example"),
        "2020-12-11T00:00:00.000Z"
    );

    // Two-digit years: refused until a pivot is stated, then read in its century.
    let s = w.json(&[
        "import",
        "contacts",
        "--as",
        TOM,
        &crm("dates_two_digit_years.csv"),
        "--mode",
        "valid-rows",
    ]);
    assert_eq!((n(&s, "created"), n(&s, "rejected")), (1, 8), "{s:#}");
    assert!(s["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("two-digit year"));
    assert_eq!(s["errors"][0]["column"], "Created");
    let s = w.json(&[
        "import",
        "contacts",
        "--as",
        TOM,
        &crm("dates_two_digit_years.csv"),
        "--mode",
        "valid-rows",
        "--year-pivot",
        "1950",
    ]);
    assert_eq!(
        (n(&s, "created"), n(&s, "unchanged"), n(&s, "rejected")),
        (7, 1, 1),
        "{s:#}"
    );
    assert!(
        s["warnings"].to_string().contains("mix orders"),
        "4/15/21 and 15/04/21 in one column"
    );
    assert_eq!(s["errors"][0]["row"], 8, "29-Feb-23 is no day");
    for (email, day) in [
        ("ada.quinn@quinnco.example", "2021-04-15"),
        ("ben.quinn@quinnco.example", "2021-04-15"),
        ("cara.quinn@quinnco.example", "2021-04-15"),
        ("dev.quinn@quinnco.example", "1999-12-31"),
        ("eli.quinn@quinnco.example", "2000-01-01"),
        ("fay.quinn@quinnco.example", "2024-02-29"),
        ("hal.quinn@quinnco.example", "2021-04-15"),
    ] {
        assert!(created_at(&w, email).starts_with(day), "{email}");
    }

    // Before 1900 or in the future: row errors; the zero date means no date.
    let s = w.json(&[
        "import",
        "contacts",
        "--as",
        TOM,
        &crm("dates_out_of_range.csv"),
        "--mode",
        "valid-rows",
    ]);
    assert_eq!((n(&s, "created"), n(&s, "rejected")), (3, 4), "{s:#}");
    let rows: Vec<(u64, String)> = s["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap(),
                e["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        vec![3, 4, 5, 6]
    );
    assert!(rows[0].1.contains("before 1900") && rows[1].1.contains("before 1900"));
    assert!(rows[2].1.contains("in the future") && rows[3].1.contains("in the future"));
}

#[test]
fn times_without_a_zone_are_the_workspaces_wall_clock() {
    let w = playbook_only();
    w.ok(&["settings", "set", "timezone", "Europe/Berlin", "--as", MAYA]);
    let s = import(&w, "contacts", &crm("dates_zoneless.csv"), &[]);
    assert_eq!(s["dates"][0]["zone"], "Europe/Berlin");
    for (email, instant) in [
        ("arno.vogt@vogtwerk.example", "2021-03-28T07:30:00.000Z"),
        ("bea.vogt@vogtwerk.example", "2021-03-27T08:30:00.000Z"),
        ("carl.vogt@vogtwerk.example", "2021-03-28T01:30:00.000Z"),
        ("dora.vogt@vogtwerk.example", "2021-10-31T00:30:00.000Z"),
        ("egon.vogt@vogtwerk.example", "2021-01-14T23:30:00.000Z"),
        ("frieda.vogt@vogtwerk.example", "2021-07-01T10:00:00.000Z"),
        ("gert.vogt@vogtwerk.example", "2021-03-28T00:59:59.000Z"),
        ("heike.vogt@vogtwerk.example", "2021-03-28T01:00:00.000Z"),
    ] {
        assert_eq!(created_at(&w, email), instant, "{email}");
    }
    let warnings = s["warnings"].to_string();
    assert!(
        warnings.contains("row 4") && warnings.contains("did not happen"),
        "{warnings}"
    );
    assert!(
        warnings.contains("row 5") && warnings.contains("happened twice"),
        "{warnings}"
    );
    // A mapping's zone wins over the workspace's.
    let w = playbook_only();
    let mapping = csv(&w, "mapping.toml", "timezone = \"America/New_York\"\n");
    import(
        &w,
        "contacts",
        &crm("dates_zoneless.csv"),
        &["--mapping", &mapping],
    );
    assert_eq!(
        created_at(&w, "frieda.vogt@vogtwerk.example"),
        "2021-07-01T16:00:00.000Z"
    );
    let bad = csv(&w, "bad.toml", "timezone = \"Mars/Olympus\"\n");
    let e = w.refused(
        &[
            "import",
            "contacts",
            "--as",
            TOM,
            &crm("dates_zoneless.csv"),
            "--mapping",
            &bad,
        ],
        "invalid_input",
    );
    assert!(e.contains("not an IANA time zone"), "{e}");
}

#[test]
fn broken_structure_is_reported_where_it_began_and_nothing_is_swallowed() {
    let w = playbook_only();
    let s = refused_import(
        &w,
        &["import", "contacts", "--as", TOM, &crm("stray_quote.csv")],
    );
    assert_eq!(s["written"], false);
    assert_eq!((n(&s, "rowsRead"), n(&s, "rejected")), (500, 1), "{s:#}");
    assert_eq!(s["errors"][0]["row"], 4);
    assert!(s["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("never closed"));
    assert_eq!(
        w.sql("SELECT count(*) FROM contacts"),
        "0",
        "all or nothing"
    );
    let s = import(
        &w,
        "contacts",
        &crm("stray_quote.csv"),
        &["--mode", "valid-rows"],
    );
    assert_eq!(
        n(&s, "created"),
        499,
        "every row after the stray quote is read"
    );
    assert_eq!(
        w.sql("SELECT max(length(first_name)) FROM contacts"),
        w.sql("SELECT max(length(first_name)) FROM contacts WHERE length(first_name) < 40"),
        "no row became one enormous cell"
    );

    let s = import(
        &w,
        "contacts",
        &crm("short_rows.csv"),
        &["--mode", "valid-rows"],
    );
    assert_eq!((n(&s, "created"), n(&s, "rejected")), (5, 2), "{s:#}");
    let errors = s["errors"].as_array().unwrap();
    assert_eq!(
        (errors[0]["row"].clone(), errors[1]["row"].clone()),
        (4.into(), 6.into())
    );
    assert!(errors[0]["message"]
        .as_str()
        .unwrap()
        .contains("4 cells, but the header has 12"));
    assert!(errors[1]["message"].as_str().unwrap().contains("15 cells"));

    let e = w.refused(
        &[
            "import",
            "contacts",
            "--as",
            TOM,
            &crm("duplicate_headers.csv"),
        ],
        "invalid_input",
    );
    assert!(e.contains("columns 1 and 4 are all named 'Email'"), "{e}");
    assert_eq!(
        w.sql("SELECT count(*) FROM contacts WHERE email LIKE '%cobalt%'"),
        "0"
    );
    let pick = csv(&w, "pick.toml", "[columns]\nemail = \"#4\"\n");
    let s = import(
        &w,
        "contacts",
        &crm("duplicate_headers.csv"),
        &["--mapping", &pick, "--mode", "valid-rows"],
    );
    assert_eq!((n(&s, "created"), n(&s, "rejected")), (4, 1), "{s:#}");
    assert_eq!(
        s["errors"][0]["row"], 5,
        "Quentin has no email in the chosen column"
    );
}

#[test]
fn accounts_follow_the_newest_row_and_report_what_changed() {
    let w = playbook_only();
    let v1 = import(&w, "accounts", &crm("accounts_v1.csv"), &[]);
    assert_eq!(n(&v1, "created"), 10, "{v1:#}");
    let v2 = import(&w, "accounts", &crm("accounts_v2.csv"), &[]);
    assert_eq!(
        (n(&v2, "created"), n(&v2, "updated"), n(&v2, "unchanged")),
        (0, 5, 5),
        "{v2:#}"
    );
    assert_eq!(
        w.sql("SELECT domain || '|' || industry || '|' || employees FROM accounts WHERE name = 'Gale Wind Energy'"),
        "galeenergy.example|Utilities|1250"
    );
    // A contacts file names the account's website too: its newest value wins, reported.
    let file = csv(
        &w,
        "contacts.csv",
        "Email,First Name,Last Name,Company,Website\n\
         ada@galewind.example,Ada,Wind,Gale Wind Energy,www.gale-wind.example\n",
    );
    let s = import(&w, "contacts", &file, &[]);
    assert_eq!(n(&s, "accountsUpdated"), 1, "{s:#}");
    assert_eq!(
        w.sql("SELECT domain FROM accounts WHERE name = 'Gale Wind Energy'"),
        "gale-wind.example",
        "a website is kept as its domain"
    );
}

#[test]
fn owners_are_kept_as_named_and_resolve_when_they_join() {
    let w = playbook_only();
    let s = import(&w, "contacts", &crm("zoho_leads.csv"), &[]);
    assert!(s["unmatchedOwners"].to_string().contains("Marco Bellini"));
    let marco_owned = "SELECT count(*) FROM contacts WHERE owner_ref = 'Marco Bellini'";
    assert_eq!(w.sql(marco_owned), "3");
    assert_eq!(w.sql("SELECT count(*) FROM contacts WHERE owner_ref = 'Marco Bellini' AND owner_id IS NOT NULL"), "0");
    let users = w.json(&["members", "import", &crm("zoho_users.csv"), "--as", MAYA]);
    let added: Vec<&str> = users["added"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["email"].as_str().unwrap())
        .collect();
    assert_eq!(
        added,
        vec![
            "marco.bellini@larkspur.example",
            "aiko.tanaka@larkspur.example"
        ]
    );
    assert_eq!(
        users["inactive"].as_array().unwrap().len(),
        1,
        "Ines Brandt is inactive"
    );
    assert!(n(&users, "ownersResolved") >= 5, "{users:#}");
    let listed = w.json(&[
        "contacts",
        "list",
        "--owner",
        "marco.bellini@larkspur.example",
    ]);
    assert_eq!(listed.as_array().unwrap().len(), 3, "without a re-import");
    // The new member can sign with the one-time passphrase, then choose their own.
    let pass = users["added"][0]["passphrase"].as_str().unwrap();
    let out = w.run_with(
        &[
            "members",
            "passphrase",
            "--as",
            "marco.bellini@larkspur.example",
        ],
        &[
            ("PLAYBOOK_PASSPHRASE", pass),
            ("PLAYBOOK_NEW_PASSPHRASE", "marco's own passphrase"),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = w.run_with(
        &[
            "members",
            "passphrase",
            "--as",
            "marco.bellini@larkspur.example",
        ],
        &[
            ("PLAYBOOK_PASSPHRASE", pass),
            ("PLAYBOOK_NEW_PASSPHRASE", "another one"),
        ],
    );
    assert!(
        !out.status.success(),
        "the one-time passphrase no longer opens the key"
    );

    // Salesforce names owners by user id: the users file ties ids to members.
    let sf = import(&w, "contacts", &crm("salesforce_contacts.csv"), &[]);
    assert!(
        sf["unmatchedOwners"]
            .to_string()
            .contains("0055g00001AbCdGAAV"),
        "{sf:#}"
    );
    let users = w.json(&[
        "members",
        "import",
        &crm("salesforce_users.csv"),
        "--as",
        MAYA,
        "--valid-rows",
    ]);
    assert_eq!(users["added"].as_array().unwrap().len(), 0, "{users:#}");
    assert!(users["skipped"].to_string().contains("Integration User"));
    assert_eq!(
        w.sql("SELECT m.email FROM contacts c JOIN members m ON m.id = c.owner_id WHERE c.email = 'lucia.ferrari@borealis.example'"),
        "lukas.weber@larkspur.example"
    );
}

#[test]
fn deals_are_their_own_records_and_move_the_primary_contacts_lifecycle() {
    let w = playbook_only();
    import(&w, "contacts", &crm("zoho_leads.csv"), &[]);
    import(&w, "contacts", &crm("zoho_contacts.csv"), &[]);
    let mapping = csv(
        &w,
        "reasons.toml",
        "[reasons]\n\"Lost to Competitor\" = \"competitor_chosen\"\n",
    );
    let s = import(
        &w,
        "opportunities",
        &crm("zoho_potentials.csv"),
        &["--mapping", &mapping],
    );
    assert_eq!((n(&s, "created"), n(&s, "rejected")), (12, 0), "{s:#}");
    let notes = |s: &Value, row: u64, event: &str| {
        s["lifecycle"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["row"] == row && l["event"] == event)
            .map(|l| l["outcome"].as_str().unwrap().to_string())
            .unwrap_or_default()
    };
    // Amara was a converted lead (Is Converted): the won deal makes her a customer.
    assert_eq!(notes(&s, 2, "won"), "recorded", "{s:#}");
    assert_eq!(notes(&s, 2, "converted"), "already converted");
    let amara = w.sql("SELECT id FROM contacts WHERE email = 'amara.okoye@baobab.example'");
    let shown = w.json(&["contacts", "show", &amara]);
    assert_eq!(shown["contact"]["stage"], "customer");
    assert_eq!(
        shown["opportunities"][0]["name"],
        "Baobab Health - Clinic rollout"
    );
    assert_eq!(shown["opportunities"][0]["amountMinor"], 4_800_000);
    assert_eq!(shown["opportunities"][0]["status"], "won");
    // Callum's lost deal carries its reason, mapped to an agreed one.
    assert_eq!(notes(&s, 4, "lost"), "recorded");
    let callum = w.sql("SELECT id FROM contacts WHERE email = 'callum.reid@saltmarsh.example'");
    let lost = w.json(&["contacts", "show", &callum]);
    let event = lost["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "lost")
        .expect("a lost event");
    assert_eq!(event["reason"], "competitor_chosen");
    // What the playbook does not allow is said, never forced.
    assert!(
        notes(&s, 5, "converted").starts_with("not recorded:"),
        "{s:#}"
    );
    // Listed, and on the account page.
    let won = w.json(&["opportunities", "list", "--status", "won"]);
    assert_eq!(won.as_array().unwrap().len(), 2);
    let account = w.sql("SELECT id FROM accounts WHERE name = 'Baobab Health'");
    let map = w.json(&["contacts", "team", &account]);
    assert_eq!(map["opportunities"].as_array().unwrap().len(), 2, "{map:#}");
    // Importing it again records nothing twice.
    let again = import(
        &w,
        "opportunities",
        &crm("zoho_potentials.csv"),
        &["--mapping", &mapping],
    );
    assert_eq!(n(&again, "unchanged"), 12);
    assert_eq!(notes(&again, 2, "won"), "already in the log");
    assert_eq!(
        w.sql(&format!(
            "SELECT count(*) FROM handoff_events WHERE contact_id = '{amara}' AND kind = 'won'"
        )),
        "1"
    );
}

#[test]
fn a_status_that_differs_from_the_log_is_reported_on_re_import() {
    let w = playbook_only();
    import(&w, "contacts", &crm("zoho_leads.csv"), &[]);
    let text = std::fs::read_to_string(crm("zoho_leads.csv")).unwrap();
    let changed = text.replacen("\"Contacted\"", "\"Junk Lead\"", 1);
    assert_ne!(changed, text);
    let file = csv(&w, "leads_again.csv", &changed);
    let s = import(&w, "contacts", &file, &[]);
    assert_eq!(
        n(&s, "unchanged"),
        22,
        "the status is the log's to change: {s:#}"
    );
    assert_eq!(
        s["statusDiffers"],
        serde_json::json!([{
            "row": 2,
            "contactId": w.sql("SELECT contact_id FROM contact_keys WHERE external_id = 'zcrm_4876876000000002585'"),
            "status": "Junk Lead",
            "fileStage": "disqualified",
            "stage": "sal"
        }])
    );
}

#[test]
fn exports_neutralise_formulas_but_leave_numbers_and_phones_alone() {
    let w = playbook_only();
    let file = csv(
        &w,
        "people.csv",
        "Email,First Name,Last Name,Phone,Company,Title\n\
         ann@x.example,Ann,=HYPERLINK(\"http://evil.example\"),+44 20 7946 0000,Acme,-5\n\
         bob@x.example,Bob,@SUM(1),-12.5,+Acme,\"-2+3*cmd|' /C calc'!A0\"\n",
    );
    import(&w, "contacts", &file, &[]);
    let out = w.file("out.csv");
    w.ok(&["export", "contacts", out.to_str().unwrap()]);
    let text = std::fs::read_to_string(&out).unwrap();
    for kept in [",+44 20 7946 0000,", ",-5,", ",-12.5,"] {
        assert!(text.contains(kept), "{kept} left alone in:\n{text}");
    }
    for neutralised in ["'=HYPERLINK", "'@SUM(1)", "'+Acme", "'-2+3*cmd"] {
        assert!(
            text.contains(neutralised),
            "{neutralised} neutralised in:\n{text}"
        );
    }
}

#[test]
fn a_crms_calls_import_as_attempts_with_a_mapping() {
    let w = playbook_only();
    import(&w, "contacts", &crm("zoho_leads.csv"), &[]);
    import(&w, "contacts", &crm("zoho_contacts.csv"), &[]);
    let mapping = csv(
        &w,
        "calls.toml",
        "[kinds]\nOutbound = \"attempt\"\nInbound = \"attempt\"\nMissed = \"attempt\"\n\n[channels]\nOutbound = \"phone\"\nInbound = \"phone\"\nMissed = \"phone\"\n",
    );
    let s = w.json(&[
        "import",
        "events",
        "--as",
        TOM,
        &crm("zoho_calls.csv"),
        "--mapping",
        &mapping,
        "--mode",
        "valid-rows",
    ]);
    let error_of = |row: u64| {
        s["errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["row"] == row)
            .map(|e| e["message"].as_str().unwrap().to_string())
    };
    // Row 2 is a call to lead 2585 (Gavin, in SAL): an attempt by phone, by the call's owner.
    assert_eq!(error_of(2), None, "{s:#}");
    let gavin = w.sql(&format!(
        "SELECT contact_id FROM contact_keys WHERE record_type = 'lead' AND external_id = '{GAVIN_LEAD}'"
    ));
    let shown = w.json(&["contacts", "show", &gavin]);
    let attempt = shown["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "attempt")
        .expect("the call is an attempt on Gavin's timeline");
    assert_eq!(attempt["channel"], "phone");
    assert_eq!(attempt["at"], "2021-04-15T09:30:00.000Z");
    // Row 3 names contact 2585 (Becca, a contact record, in Inquiry) through "Contact Name.id":
    // not lead 2585, and the playbook allows no attempt from Inquiry.
    let becca = error_of(3).expect("row 3 is refused by the stage rules");
    assert!(becca.contains("inquiry"), "{becca}");
    // Importing the file again adds nothing.
    let again = w.json(&[
        "import",
        "events",
        "--as",
        TOM,
        &crm("zoho_calls.csv"),
        "--mapping",
        &mapping,
        "--mode",
        "valid-rows",
    ]);
    assert_eq!(n(&again, "created"), 0, "{again:#}");
}

#[test]
fn an_email_several_contacts_share_never_links_a_record_to_one_of_them() {
    let w = playbook_only();
    let leads = csv(
        &w,
        "leads.csv",
        "Id,FirstName,LastName,Email\n00Q000000000001AAA,Ana,Uno,shared@x.example\n00Q000000000002AAA,Bea,Dos,shared@x.example\n",
    );
    let s = import(
        &w,
        "contacts",
        &leads,
        &["--system", "salesforce", "--record-type", "lead"],
    );
    assert_eq!(n(&s, "created"), 2);
    let contacts = csv(
        &w,
        "contacts.csv",
        "Id,FirstName,LastName,Email\n003000000000009AAA,Cara,Tres,shared@x.example\n",
    );
    let s = refused_import(
        &w,
        &[
            "import",
            "contacts",
            "--as",
            TOM,
            &contacts,
            "--system",
            "salesforce",
            "--record-type",
            "contact",
        ],
    );
    assert!(
        s["conflicts"][0]["message"]
            .as_str()
            .unwrap()
            .contains("2 contacts have the email"),
        "{s:#}"
    );
    assert_eq!(w.sql("SELECT group_concat(first_name, ',') FROM (SELECT first_name FROM contacts ORDER BY first_name)"), "Ana,Bea");
}

#[test]
fn a_merged_duplicates_ids_come_back_to_the_contact_it_joined() {
    let w = playbook_only();
    let file = csv(
        &w,
        "hubspot.csv",
        "Record ID,First Name,Last Name,Email,Lifecycle Stage\n101,Ann,Lee,ann@x.example,Lead\n103,Ann,Lee,ann@x.example,Lead\n",
    );
    import(&w, "contacts", &file, &[]);
    let ids = w.sql("SELECT c.id FROM contacts c JOIN contact_keys k ON k.contact_id = c.id ORDER BY k.external_id");
    let ids: Vec<&str> = ids.lines().collect();
    w.ok(&["contacts", "merge", ids[0], ids[1], "--as", TOM]);
    let again = import(&w, "contacts", &file, &[]);
    assert_eq!(
        (n(&again, "created"), n(&again, "rejected")),
        (0, 0),
        "{again:#}"
    );
    assert_eq!(
        w.sql("SELECT count(*) FROM contacts WHERE deleted_at IS NULL"),
        "1"
    );
}

#[test]
fn deals_without_ids_are_never_collapsed_and_amounts_keep_their_decimals() {
    let w = playbook_only();
    let file = csv(
        &w,
        "deals.csv",
        "Deal Name,Account Name,Amount,Currency,Stage,Close Date\n\
         \"Smith, David\",Acme,100,USD,Closed Lost,2021-05-01\n\
         \"Smith, David\",Acme,200,USD,Closed Lost,2021-05-02\n\
         Pilot,Acme,9225.225,PEN,Closed Won,2021-05-03\n\
         Big one,Acme,48000.00,PEN,Open,2021-09-01\n",
    );
    let s = import(&w, "opportunities", &file, &[]);
    assert_eq!(n(&s, "created"), 4, "{s:#}");
    assert!(s["warnings"].to_string().contains("no id column"));
    let again = import(&w, "opportunities", &file, &[]);
    assert_eq!(
        (n(&again, "created"), n(&again, "unchanged")),
        (0, 4),
        "{again:#}"
    );
    assert_eq!(
        w.sql("SELECT amount_minor FROM opportunities WHERE name = 'Pilot'"),
        "922523",
        "9225.225 is nine thousand, not nine million"
    );
    assert_eq!(
        w.sql("SELECT sum(amount_minor) FROM opportunities WHERE name = 'Smith, David'"),
        "30000"
    );
}

#[test]
fn companies_that_share_a_name_but_not_an_id_stay_apart() {
    let w = playbook_only();
    let file = csv(
        &w,
        "accounts.csv",
        "Id,Name,BillingCountry,Industry\n0015g00000WU001AAA,Western Union,Mexico,Finance\n0015g00000WU002AAA,WESTERN UNION,Ecuador,Finance\n",
    );
    let s = import(&w, "accounts", &file, &[]);
    assert_eq!(s["source"]["system"], "salesforce", "recognised by its ids");
    assert_eq!(n(&s, "created"), 2, "{s:#}");
    assert_eq!(w.sql("SELECT group_concat(country, ',') FROM (SELECT country FROM accounts ORDER BY country)"), "Ecuador,Mexico");
    let again = import(&w, "accounts", &file, &[]);
    assert_eq!(
        (n(&again, "updated"), n(&again, "unchanged")),
        (0, 2),
        "{again:#}"
    );
}

#[test]
fn an_accounts_details_follow_the_newest_row_not_the_rows_that_changed() {
    let w = playbook_only();
    let v1 = csv(
        &w,
        "v1.csv",
        "Email,First Name,Last Name,Title,Company,Industry,Last Modified Date\n\
         a@acme.example,A,One,CEO,Acme,Tech,2021-03-01\n\
         b@acme.example,B,Two,CTO,Acme,Finance,2021-02-01\n",
    );
    let s = import(&w, "contacts", &v1, &[]);
    assert_eq!(n(&s, "accountsCreated"), 1);
    assert_eq!(
        w.sql("SELECT industry FROM accounts WHERE name = 'Acme'"),
        "Tech",
        "the row modified last"
    );
    let v2 = csv(
        &w,
        "v2.csv",
        "Email,First Name,Last Name,Title,Company,Industry,Last Modified Date\n\
         a@acme.example,A,One,CEO,Acme,Tech,2021-03-01\n\
         b@acme.example,B,Two,COO,Acme,Finance,2021-02-01\n",
    );
    let s = import(&w, "contacts", &v2, &[]);
    assert_eq!(
        (n(&s, "updated"), n(&s, "accountsUpdated")),
        (1, 0),
        "{s:#}"
    );
    assert_eq!(
        w.sql("SELECT industry FROM accounts WHERE name = 'Acme'"),
        "Tech"
    );
}

#[test]
fn a_column_that_mixes_orders_follows_the_order_the_person_gave() {
    let w = playbook_only();
    let file = csv(
        &w,
        "mixed.csv",
        "Email,First Name,Last Name,Created\na@x.example,A,A,13/04/2021\nb@x.example,B,B,04/13/2021\nc@x.example,C,C,03/04/2021\n",
    );
    let s = import(&w, "contacts", &file, &["--date-order", "mdy"]);
    assert!(s["warnings"].to_string().contains("mix orders"), "{s:#}");
    assert_eq!(
        created_at(&w, "c@x.example"),
        "2021-03-04T00:00:00.000Z",
        "3 April? no: March 4, month first as asked"
    );
    assert_eq!(created_at(&w, "a@x.example"), "2021-04-13T00:00:00.000Z");
}

#[test]
fn invisible_characters_and_windows_encodings() {
    let w = playbook_only();
    let file = w.file("latin.csv");
    std::fs::write(
        &file,
        b"Email,First Name,Last Name\njose@x.example,Jos\xe9,Pe\xf1a\n",
    )
    .unwrap();
    let s = w.json(&["import", "contacts", "--as", TOM, file.to_str().unwrap()]);
    assert!(s["warnings"].to_string().contains("Windows-1252"), "{s:#}");
    assert_eq!(
        w.sql("SELECT first_name || ' ' || last_name FROM contacts WHERE email = 'jose@x.example'"),
        "José Peña"
    );
    let hidden = csv(
        &w,
        "hidden.csv",
        "Email,First Name,Last Name\nann\u{200b}@x.example,Ann,Zero\nbob@x.example,Bob,Ok\n",
    );
    let s = w.json(&[
        "import",
        "contacts",
        "--as",
        TOM,
        &hidden,
        "--mode",
        "valid-rows",
    ]);
    assert_eq!(
        (n(&s, "created"), n(&s, "rejected")),
        (1, 1),
        "an email with an invisible character is refused: {s:#}"
    );
}

#[test]
fn scores_after_a_re_import_are_what_a_full_rebuild_gives() {
    let w = playbook_only();
    let v1 = csv(
        &w,
        "v1.csv",
        "Email,First Name,Last Name,Title,Company,Industry,No. of Employees\n\
         a@acme.example,A,One,Analyst,Acme,Retail,20\n\
         b@acme.example,B,Two,Analyst,Acme,Retail,20\n\
         c@beta.example,C,Three,VP Sales,Beta,Software,500\n\
         d@gamma.example,D,Four,Clerk,Gamma,Retail,5\n",
    );
    import(&w, "contacts", &v1, &[]);
    assert_eq!(
        w.json(&["rebuild"])["scoresChanged"],
        0,
        "a fresh import scores right"
    );
    // A's title now senior; Acme now a Software company of 300 (B's score moves too, though
    // B's own row did not change); Gamma's details change within the file.
    let v2 = csv(
        &w,
        "v2.csv",
        "Email,First Name,Last Name,Title,Company,Industry,No. of Employees\n\
         a@acme.example,A,One,Head of Data,Acme,Software,300\n\
         b@acme.example,B,Two,Analyst,Acme,Software,300\n\
         c@beta.example,C,Three,VP Sales,Beta,Software,500\n\
         d@gamma.example,D,Four,Clerk,Gamma,Logistics,80\n\
         e@delta.example,E,Five,Clerk,Delta,Retail,10\n\
         f@delta.example,F,Six,Clerk,Delta,Software,90\n",
    );
    let s = import(&w, "contacts", &v2, &[]);
    assert!(n(&s, "accountsUpdated") >= 2, "{s:#}");
    let score = |email: &str| {
        w.sql(&format!(
            "SELECT score FROM contacts WHERE email = '{email}'"
        ))
    };
    let b = score("b@acme.example");
    assert_eq!(
        w.json(&["rebuild"])["scoresChanged"],
        0,
        "the import moved every score a rebuild would"
    );
    assert_eq!(score("b@acme.example"), b);
    assert_ne!(b, "0", "B gained points from Acme's new details");
}

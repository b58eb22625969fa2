//! No panics on any input: the numbers and dates a hostile tester tried, a closed output
//! pipe, and a bounded random search over hostile CSV and TOML that must end in a clear
//! error or a clean import, never a panic, and never a partial write.
mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::{Rng, Workspace, DANIEL, MAYA, TOM};

#[test]
fn out_of_range_scoring_models_are_refused_at_proposal() {
    let w = Workspace::demo();
    let file = w.file("playbook.toml");
    w.ok(&["export-playbook", file.to_str().unwrap()]);
    let text = std::fs::read_to_string(&file).unwrap();
    let before = w.everything();
    for (from, to, words) in [
        (
            "points = 20",
            "points = 2000000000",
            "Fit rule 1: points from -1000 to 1000",
        ),
        (
            "mqlThreshold = 60",
            "mqlThreshold = 3000000000",
            "MQL threshold: a number of points from 1 to 100000",
        ),
    ] {
        assert!(text.contains(from), "{from}");
        let bad = w.file("bad.toml");
        std::fs::write(&bad, text.replacen(from, to, 1)).unwrap();
        let err = w.refused(
            &[
                "import-playbook",
                bad.to_str().unwrap(),
                "--signed-by",
                &format!("{MAYA},{DANIEL}"),
            ],
            "invalid_input",
        );
        assert!(err.contains(words), "{err}");
    }
    assert_eq!(w.everything(), before);
    let err = w.refused(
        &[
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
    );
    assert!(err.contains("MQL threshold"), "{err}");
}

#[test]
fn huge_numbers_and_future_dates_are_answered_not_panicked() {
    let w = Workspace::demo();
    let list = w.json(&["contacts", "list", "--min-days-in-stage", "100000000"]);
    assert_eq!(
        list,
        serde_json::json!([]),
        "nobody has been in a stage that long"
    );
    let out = w.run(&["generate", "--contacts", "4294967295", "--as", TOM]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an absurd size is a usage error"
    );

    let mql = w.json(&["contacts", "list", "--stage", "mql", "--limit", "1"])[0]["email"]
        .as_str()
        .unwrap()
        .to_string();
    let events = w.file("events.csv");
    std::fs::write(
        &events,
        format!("Contact,Event,Date,Actor\n{mql},accepted,2999-01-01T00:00:00Z,sofia.marin@larkspur.example\n"),
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
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["errors"][0]["row"], 2);
    assert_eq!(s["errors"][0]["column"], "Date");
    assert!(
        s["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("in the future"),
        "{s}"
    );
    assert_eq!(w.everything(), before, "nothing of the file was written");
}

#[test]
fn a_closed_output_pipe_ends_the_command_quietly() {
    let w = Workspace::demo();
    // Far more output than a pipe buffers, so the writer meets the closed pipe.
    w.ok(&["generate", "--contacts", "3000", "--as", TOM]);
    for args in [
        vec!["members", "list"],
        vec!["--format", "json", "contacts", "list"],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_playbook"))
            .arg("--data-dir")
            .arg(w.path())
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        // The reader is gone, as `| head -1` goes.
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!first.is_empty());
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_ne!(out.status.code(), Some(101), "no panic exit");
    }
}

const PIECES: &[&str] = &[
    ",",
    ";",
    "\t",
    "\"",
    "\"\"",
    "\n",
    "\r\n",
    "\r",
    "\u{feff}",
    "\0",
    "=SUM(A1)",
    "+1",
    "-",
    "@x",
    "é",
    "Ĳ",
    "💥",
    "Email",
    "Lifecycle Stage",
    "Record ID",
    "Create Date",
    "4/15/21",
    "2999-01-01T00:00:00Z",
    "99999999999999999999",
    "-2147483649",
    "N/A",
    "-None-",
    "x@y.example",
    "Company, Inc.",
    "MQL",
    "Customer",
    " ",
    "'",
    "\\",
    "[[terms]]",
    "key = ",
    "format = 2",
    "points = ",
    "{",
    "}",
    "[",
    "]",
    "=",
    "\"\"\"",
    "#",
    "inf",
    "nan",
    "1e309",
];

fn hostile(rng: &mut Rng, header: &str) -> Vec<u8> {
    let mut s = String::from(header);
    for _ in 0..rng.below(400) {
        s.push_str(rng.pick(PIECES));
        if rng.below(10) == 0 {
            s.push_str(&"A".repeat(rng.below(5000)));
        }
    }
    let mut bytes = s.into_bytes();
    // Sometimes not even UTF-8.
    if rng.below(5) == 0 {
        let at = rng.below(bytes.len() + 1);
        bytes.insert(at, 0xff);
    }
    bytes
}

#[test]
fn hostile_csv_and_toml_never_panic_the_readers() {
    let mut rng = Rng(0x5eed);
    for _ in 0..3000 {
        let bytes = hostile(&mut rng, "");
        let _ = playbook::imports::csv_table::read(&bytes);
        if let Ok(mut rows) = playbook::imports::csv_table::Rows::open(&bytes) {
            while rows.next_row().is_some() {}
        }
        let text = String::from_utf8_lossy(&bytes);
        let _ = playbook::agreements::file::from_toml(&text);
        let _ = playbook::imports::Mapping::from_toml(&text);
    }
}

#[tokio::test]
async fn hostile_imports_end_in_an_answer_and_refusals_write_nothing() {
    use playbook::imports::run::{self, ImportKind, Options};
    use playbook::imports::{quiet, Mapping, Progress};
    let (_dir, db) = common::demo_db().await;
    let tom = common::signer(&db, TOM).await;
    let (cancel, report) = quiet();
    let progress = Progress {
        cancel: &cancel,
        report: &report,
    };
    let count = |db: playbook::db::Db| async move {
        sqlx::query_scalar::<_, String>(
            "SELECT (SELECT count(*) FROM contacts) || '/' || (SELECT count(*) FROM handoff_events) || '/' || (SELECT count(*) FROM activities)",
        )
        .fetch_one(&db)
        .await
        .unwrap()
    };
    let mut rng = Rng(0xfeed);
    let headers = [
        "Record ID,First Name,Last Name,Email,Company Name,Lifecycle Stage,Create Date\n",
        "Contact,Event,Date,Actor,Reason,Channel,Note\n",
        "Email Address,Activity Type,Activity Date,Asset\n",
    ];
    for i in 0..120 {
        let kind = [
            ImportKind::Contacts,
            ImportKind::Events,
            ImportKind::Activities,
        ][i % 3];
        let bytes = hostile(&mut rng, headers[i % 3]);
        let before = count(db.clone()).await;
        let result = run::import(
            &db,
            kind,
            &bytes,
            &Mapping::default(),
            Options::default(),
            &progress,
            &tom,
        )
        .await;
        let refused = match &result {
            Err(_) => true,
            Ok(s) => !s.written,
        };
        if refused {
            assert_eq!(
                count(db.clone()).await,
                before,
                "case {i}: a refused import wrote something"
            );
        }
    }
}

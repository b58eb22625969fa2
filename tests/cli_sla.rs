//! `playbook sla report` through the real binary on real SQLite files: the JSON shape,
//! the table, refusals that name the flag, an SLA changed mid-way through the CLI, and a
//! report reproduced in another workspace from nothing but exported and imported files.
mod common;

use common::{Workspace, DANIEL, MAYA, TOM};
use serde_json::Value;

/// An hour ago: the demo's history is written relative to when it is created.
fn as_of() -> String {
    (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339()
}

fn counts(report: &Value) -> Vec<(String, u64, u64, u64)> {
    report["slas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["key"].as_str().unwrap().to_string(),
                s["met"].as_u64().unwrap(),
                s["breached"].as_u64().unwrap(),
                s["pending"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn the_report_has_exactly_the_documented_shape() {
    let w = Workspace::demo();
    let r = w.json(&["sla", "report"]);
    let mut keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["asOf", "slas"]);
    let slas = r["slas"].as_array().unwrap();
    assert_eq!(slas.len(), 7, "the demo agrees seven SLAs");
    let mut seen_status = std::collections::HashSet::new();
    for s in slas {
        let mut keys: Vec<&str> = s.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "breached",
                "compliance",
                "earlier",
                "items",
                "key",
                "kind",
                "met",
                "name",
                "ownerSide",
                "pending",
                "target",
                "total",
                "version"
            ]
        );
        let (met, breached, pending) = (
            s["met"].as_u64().unwrap(),
            s["breached"].as_u64().unwrap(),
            s["pending"].as_u64().unwrap(),
        );
        assert_eq!(s["total"].as_u64().unwrap(), met + breached + pending);
        if met + breached > 0 {
            let c = s["compliance"].as_f64().unwrap();
            assert!((c - met as f64 / (met + breached) as f64).abs() < 1e-9);
        }
        for item in s["items"].as_array().unwrap() {
            let mut keys: Vec<&str> = item
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            keys.sort();
            assert_eq!(
                keys,
                [
                    "contactId",
                    "deadline",
                    "doneAt",
                    "externalId",
                    "startedAt",
                    "status"
                ]
            );
            seen_status.insert(item["status"].as_str().unwrap().to_string());
        }
        let per_contact = !matches!(s["kind"].as_str().unwrap(), "volume" | "conversion_rate");
        assert_eq!(
            s["items"].as_array().unwrap().len() as u64,
            if per_contact {
                s["total"].as_u64().unwrap()
            } else {
                0
            },
            "{}: items for the kinds that have them",
            s["key"]
        );
    }
    for status in ["met", "breached", "pending"] {
        assert!(
            seen_status.contains(status),
            "the demo history has {status} items"
        );
    }
    let sides: std::collections::HashSet<&str> = slas
        .iter()
        .map(|s| s["ownerSide"].as_str().unwrap())
        .collect();
    assert_eq!(sides.len(), 2, "both sides owe something");

    let text = w.ok(&["sla", "report"]);
    assert!(text.contains("MQL response time"), "{text}");
    assert!(text.contains("COMPLIANCE"));
    assert!(text.contains("Breaches ("));
}

#[test]
fn bad_flags_are_refused_by_name() {
    let w = Workspace::demo();
    let e = w.refused(&["sla", "report", "--from", "2026-13-01"], "invalid_input");
    assert!(e.contains("--from"), "{e}");
    let e = w.refused(
        &[
            "sla",
            "report",
            "--from",
            "2026-10-02",
            "--to",
            "2026-10-01",
        ],
        "invalid_input",
    );
    assert!(e.contains("--to"), "{e}");
    let e = w.refused(&["sla", "report", "--as-of", "yesterday"], "invalid_input");
    assert!(e.contains("as-of"), "{e}");
}

#[test]
fn a_window_and_an_earlier_instant_narrow_the_report() {
    let w = Workspace::demo();
    let as_of = as_of();
    let all = w.json(&["sla", "report", "--as-of", &as_of]);
    let q3 = w.json(&[
        "sla",
        "report",
        "--from",
        "2026-07-01",
        "--to",
        "2026-09-30",
        "--as-of",
        &as_of,
    ]);
    for (a, b) in all["slas"]
        .as_array()
        .unwrap()
        .iter()
        .zip(q3["slas"].as_array().unwrap())
    {
        assert!(b["total"].as_u64() <= a["total"].as_u64());
        for item in b["items"].as_array().unwrap() {
            let started = item["startedAt"].as_str().unwrap();
            assert!(("2026-07-01".."2026-10-01").contains(&started), "{started}");
        }
    }
    // A year earlier nothing of the last year has started yet.
    let year_ago = (chrono::Utc::now() - chrono::Duration::days(365))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let before = w.json(&["sla", "report", "--as-of", &year_ago]);
    for s in before["slas"].as_array().unwrap() {
        for item in s["items"].as_array().unwrap() {
            assert!(item["startedAt"].as_str().unwrap() <= year_ago.as_str());
        }
    }
}

#[test]
fn a_changed_sla_judges_only_what_starts_after_it() {
    let w = Workspace::demo();
    let before = w.json(&["sla", "report"]);
    let response = |r: &Value| {
        r["slas"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["key"] == "mql_response")
            .unwrap()
            .clone()
    };
    // Both managers agree on a stricter response time: 2 business hours.
    w.ok(&[
        "agreements",
        "propose",
        "--item",
        "sla/mql_response",
        "--target",
        "2",
        "--summary",
        "Leads go cold",
        "--as",
        MAYA,
    ]);
    w.ok(&["agreements", "approve", "sla/mql_response@2", "--as", MAYA]);
    w.ok(&[
        "agreements",
        "approve",
        "sla/mql_response@2",
        "--as",
        DANIEL,
    ]);
    let after = w.json(&["sla", "report"]);
    assert_eq!(response(&after)["version"], 2);
    assert_eq!(response(&after)["target"], "2 business hours");
    // The counts are never read against a target that did not judge them.
    assert_eq!(response(&before)["earlier"], serde_json::json!([]));
    let earlier = &response(&after)["earlier"][0];
    assert_eq!(earlier["version"], 1);
    assert_eq!(earlier["target"], "8 business hours");
    let text = w.ok(&["sla", "report"]);
    assert!(
        text.contains("mql_response: items started before")
            && text.contains("are judged by v1 (8 business hours)"),
        "{text}"
    );
    // Every item started before today was judged by v1 and keeps its verdict.
    assert_eq!(
        response(&before)["items"],
        response(&after)["items"],
        "old items are judged by the old version"
    );
    let diff = w.ok(&[
        "agreements",
        "diff",
        "sla/mql_response@1",
        "sla/mql_response@2",
    ]);
    assert!(
        diff.contains("8 business hours") && diff.contains("2 business hours"),
        "{diff}"
    );
}

#[test]
fn imported_events_reproduce_the_report() {
    let a = Workspace::demo();
    let events = a.file("events.csv");
    let contacts = a.file("contacts.csv");
    let playbook = a.file("playbook.toml");
    a.ok(&["export", "events", events.to_str().unwrap()]);
    a.ok(&["export", "contacts", contacts.to_str().unwrap()]);
    a.ok(&["export-playbook", playbook.to_str().unwrap()]);
    // The contacts enter at the start of their history (no lifecycle column): the events
    // file brings everything that happened to them.
    let mut reader = csv::Reader::from_path(&contacts).unwrap();
    let headers = reader.headers().unwrap().clone();
    let keep: Vec<usize> = headers
        .iter()
        .enumerate()
        .filter(|(_, h)| !["playbook_id", "lifecycle_stage", "stage_since", "score"].contains(h))
        .map(|(i, _)| i)
        .collect();
    let stripped = a.file("people.csv");
    let mut writer = csv::Writer::from_path(&stripped).unwrap();
    writer
        .write_record(keep.iter().map(|i| &headers[*i]))
        .unwrap();
    for row in reader.records() {
        let row = row.unwrap();
        writer.write_record(keep.iter().map(|i| &row[*i])).unwrap();
    }
    writer.flush().unwrap();

    let b = Workspace::empty();
    b.ok(&["import-playbook", playbook.to_str().unwrap()]);
    b.ok(&[
        "import",
        "contacts",
        stripped.to_str().unwrap(),
        "--as",
        TOM,
    ]);
    b.ok(&["import", "events", events.to_str().unwrap(), "--as", TOM]);
    let as_of = as_of();
    let ra = a.json(&["sla", "report", "--as-of", &as_of]);
    let rb = b.json(&["sla", "report", "--as-of", &as_of]);
    assert_eq!(counts(&ra), counts(&rb));
    let by_external = |r: &Value| {
        let mut v: Vec<(String, String, String, String)> = r["slas"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| {
                s["items"].as_array().unwrap().iter().map(move |i| {
                    (
                        s["key"].as_str().unwrap().to_string(),
                        i["externalId"].as_str().unwrap_or_default().to_string(),
                        i["startedAt"].as_str().unwrap().to_string(),
                        i["status"].as_str().unwrap().to_string(),
                    )
                })
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(by_external(&ra), by_external(&rb));
    assert!(!by_external(&ra).is_empty());
}

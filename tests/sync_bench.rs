//! The sync budgets of issue 15, measured against a real PostgreSQL 15 that this starts
//! (run by `scripts/bench-sync.sh`, never part of the test command: a benchmark, not a
//! timed test). Prints what it measured; asserts only that the replicas converged.
mod common;
#[path = "common/hub.rs"]
mod hub;

use std::time::Instant;

use common::Workspace;
use hub::PgServer;

const PASS: &str = "correct horse battery";
const MAYA: &str = "maya@acme.example";
const DAN: &str = "dan@acme.example";

fn run(w: &Workspace, args: &[&str]) -> String {
    let out = w.run_with(
        args,
        &[
            ("PLAYBOOK_PASSPHRASE", PASS),
            ("PLAYBOOK_NEW_PASSPHRASE", PASS),
        ],
    );
    assert!(
        out.status.success(),
        "`playbook {}`: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "a benchmark: scripts/bench-sync.sh runs it"]
async fn bench_ten_thousand_changes_pushed_and_pulled() {
    let changes: usize = std::env::var("SYNC_BENCH_CHANGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let pg = PgServer::start();
    pg.create_database("acme");
    let a = Workspace::empty();
    run(
        &a,
        &[
            "members",
            "add",
            "--email",
            MAYA,
            "--name",
            "Maya Field",
            "--side",
            "marketing",
            "--role",
            "manager",
        ],
    );
    run(
        &a,
        &[
            "members",
            "add",
            "--email",
            DAN,
            "--name",
            "Dan Ortiz",
            "--side",
            "sales",
            "--role",
            "manager",
            "--as",
            MAYA,
        ],
    );
    let url = pg.owner_url("acme");
    run(&a, &["hub", "init", "--url", &url]);
    let code = |email: &str| {
        let v: serde_json::Value = serde_json::from_str(&run(
            &a,
            &[
                "--format", "json", "hub", "enrol", "--url", &url, "--email", email,
            ],
        ))
        .unwrap();
        v["code"].as_str().unwrap().to_string()
    };
    let (code_a, code_b) = (code(MAYA), code(DAN));
    run(&a, &["sync", "join", &code_a]);

    // `changes` proposals written on laptop A (not measured).
    {
        let db = playbook::db::open(a.path()).await.unwrap();
        let maya = playbook::team::unlock(&db, &playbook::team::store::member_id_for(MAYA), PASS)
            .await
            .unwrap();
        for n in 0..changes {
            let p = playbook::agreements::Proposal {
                item_id: None,
                key: Some(format!("term_{n:05}")),
                name: format!("Term {n}"),
                body: playbook::agreements::AgreementBody::Term(playbook::agreements::TermBody {
                    definition: format!("Definition number {n}"),
                }),
                summary: String::new(),
                effective_from: None,
            };
            playbook::agreements::ops::propose(&db, &p, &maya)
                .await
                .unwrap();
        }
        db.close().await;
    }

    let t = Instant::now();
    let pushed = run(&a, &["--format", "json", "sync"]);
    let push_ms = t.elapsed().as_millis();
    let b = Workspace::empty();
    let t = Instant::now();
    let pulled = run(&b, &["--format", "json", "sync", "join", &code_b]);
    let pull_ms = t.elapsed().as_millis();
    // The floor: one CLI command that opens the workspace and unlocks a key, doing nothing else.
    let t = Instant::now();
    run(&a, &["--format", "json", "sync", "status"]);
    let floor_ms = t.elapsed().as_millis();
    let count = |w: &Workspace| w.sql("SELECT count(*) FROM agreement_versions");
    assert_eq!(count(&a), count(&b), "B holds every version A wrote");
    println!("sync bench: {changes} changes");
    println!(
        "  push from A (one `playbook sync`, whole process): {push_ms} ms  {}",
        pushed.replace('\n', " ")
    );
    println!("  first pull on B (`playbook sync join`, whole process, incl. unlocking the key): {pull_ms} ms  {}", pulled.replace('\n', " "));
    println!("  push + pull: {} ms (budget 2,000 ms); floor, one CLI command that opens the workspace: {floor_ms} ms", push_ms + pull_ms);
}

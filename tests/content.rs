//! The content library through the real CLI on real SQLite files: the store (dedup by hash,
//! paths and links that try to escape, a lying extension, an empty file), search ranking
//! and facet counts on a hand-made library, recommendations for a contact, sends logged as
//! signed activities, the manifest import's row errors, and the taxonomy as agreements.
mod common;

use std::path::Path;

use common::{Workspace, MAYA, SOFIA};
use serde_json::Value;

/// A PNG's first bytes (enough for any sniffer).
const PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, b'I', b'H', b'D', b'R', 0, 0, 0,
    1, 0, 0, 0, 1, 8, 6, 0, 0, 0,
];

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// Every regular file under `dir`.
fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            let t = e.file_type().unwrap();
            if t.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

fn add(w: &Workspace, source: &str, title: &str, extra: &[&str]) -> Value {
    let mut args = vec![
        "content",
        "add",
        source,
        "--title",
        title,
        "--kind",
        "one_pager",
        "--as",
        MAYA,
    ];
    args.extend_from_slice(extra);
    w.json(&args)
}

#[test]
fn the_same_file_is_stored_once_under_its_hash() {
    let w = Workspace::demo();
    let file = w.file("in/guide.md");
    write(&file, b"# Zephyrine guide\n\nHow to zephyrine a pipeline.");
    let store_files = files_under(&w.path().join("content")).len();
    let first = add(&w, file.to_str().unwrap(), "Zephyrine guide", &[]);
    let second = add(&w, file.to_str().unwrap(), "Zephyrine guide, again", &[]);
    assert_eq!(first["file"]["new"], true);
    assert_eq!(
        second["file"]["new"], false,
        "the same bytes are already stored"
    );
    let sha = first["file"]["sha256"].as_str().unwrap();
    assert_eq!(sha, second["file"]["sha256"].as_str().unwrap());
    assert_eq!(
        files_under(&w.path().join("content")).len(),
        store_files + 1,
        "one new file in the store for two assets"
    );
    let stored = w.path().join("content/sha256").join(&sha[..2]).join(sha);
    assert_eq!(
        std::fs::read(&stored).unwrap(),
        std::fs::read(&file).unwrap()
    );
    assert_eq!(first["file"]["mediaType"], "text/markdown");
    assert_eq!(
        first["asset"]["asset"]["fields"]["source"]["name"],
        "guide.md"
    );
    assert_eq!(
        w.sql(&format!(
            "SELECT count(*) FROM content_blobs WHERE sha256 = '{sha}'"
        )),
        "1"
    );
}

#[test]
fn a_file_whose_extension_lies_is_what_its_bytes_say() {
    let w = Workspace::demo();
    let file = w.file("in/deck.pdf");
    let mut png = PNG.to_vec();
    png.extend(std::iter::repeat_n(0u8, 64));
    write(&file, &png);
    let out = add(&w, file.to_str().unwrap(), "Not a PDF", &[]);
    assert_eq!(out["file"]["mediaType"], "image/png");
    assert_eq!(
        out["file"]["textStatus"], "none",
        "never handed to the PDF reader"
    );
    let warning = out["file"]["warning"].as_str().unwrap();
    assert!(
        warning.contains(".pdf") && warning.contains("image/png"),
        "{warning}"
    );
    assert_eq!(
        out["asset"]["asset"]["fields"]["source"]["mediaType"],
        "image/png"
    );
}

#[test]
fn an_empty_file_is_refused_and_nothing_is_written() {
    let w = Workspace::demo();
    let file = w.file("in/empty.pdf");
    write(&file, b"");
    let before = (files_under(&w.path().join("content")), w.everything());
    let err = w.refused(
        &[
            "content",
            "add",
            file.to_str().unwrap(),
            "--title",
            "Empty",
            "--kind",
            "one_pager",
            "--as",
            MAYA,
        ],
        "invalid_input",
    );
    assert!(err.contains("empty"), "{err}");
    assert_eq!(
        before.0,
        files_under(&w.path().join("content")),
        "no file kept, not even a temporary one"
    );
    assert_eq!(before.1, w.everything());
}

#[test]
fn names_and_links_cannot_make_the_store_write_elsewhere() {
    let w = Workspace::demo();
    let outside = w.file("outside");
    std::fs::create_dir_all(&outside).unwrap();

    // A link planted where the store keeps its temporary files: refused, nothing written.
    let tmp = w.path().join("content/tmp");
    std::fs::remove_dir_all(&tmp).ok();
    std::os::unix::fs::symlink(&outside, &tmp).unwrap();
    let file = w.file("in/plan.md");
    write(&file, b"# Escape plan\n\nquixotic words");
    let err = w.refused(
        &[
            "content",
            "add",
            file.to_str().unwrap(),
            "--title",
            "Plan",
            "--kind",
            "one_pager",
            "--as",
            MAYA,
        ],
        "io",
    );
    assert!(err.contains("link"), "{err}");
    assert!(
        files_under(&outside).is_empty(),
        "nothing was written through the link"
    );
    std::fs::remove_file(&tmp).unwrap();

    // A link planted where the file itself will go: replaced by the file, never followed.
    let sha = sha256_of(&std::fs::read(&file).unwrap());
    let dir = w.path().join("content/sha256").join(&sha[..2]);
    std::fs::create_dir_all(&dir).unwrap();
    let victim = outside.join("victim.txt");
    std::fs::write(&victim, b"untouched").unwrap();
    std::os::unix::fs::symlink(&victim, dir.join(&sha)).unwrap();
    let out = add(&w, file.to_str().unwrap(), "Plan", &[]);
    assert_eq!(out["file"]["sha256"], sha.as_str());
    let meta = std::fs::symlink_metadata(dir.join(&sha)).unwrap();
    assert!(
        meta.file_type().is_file(),
        "the planted link was replaced by the stored file"
    );
    assert_eq!(std::fs::read(&victim).unwrap(), b"untouched");

    // A manifest cannot reach outside its folder: ../, absolute paths, links leading out.
    let kit = w.file("kit");
    write(&kit.join("ok.md"), b"# Fine\n\nplain words");
    write(&w.file("secret.md"), b"# Secret\n\nnot for the library");
    std::os::unix::fs::symlink(w.file("secret.md"), kit.join("sneaky.md")).unwrap();
    let manifest = kit.join("manifest.csv");
    std::fs::write(
        &manifest,
        format!(
            "file,title,kind\nok.md,Fine,one_pager\n../secret.md,Up,one_pager\n{},Absolute,one_pager\nsneaky.md,Linked out,one_pager\n",
            w.file("secret.md").display()
        ),
    )
    .unwrap();
    let out = w.run(&[
        "--format",
        "json",
        "content",
        "import",
        manifest.to_str().unwrap(),
        "--mode",
        "valid-rows",
        "--as",
        MAYA,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["created"], 1);
    let errors = s["errors"].as_array().unwrap();
    let rows: Vec<u64> = errors.iter().map(|e| e["row"].as_u64().unwrap()).collect();
    assert_eq!(rows, vec![3, 4, 5], "{errors:?}");
    assert!(errors[0]["message"].as_str().unwrap().contains("outside"));
    assert!(errors[1]["message"].as_str().unwrap().contains("absolute"));
    assert!(errors[2]["message"].as_str().unwrap().contains("outside"));
    assert_eq!(
        w.json(&["content", "search", "not for the library"])["total"],
        0
    );
}

fn sha256_of(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

/// A small library whose right answers are known: distinctive words, chosen tags.
fn hand_made(w: &Workspace) -> Vec<String> {
    let dir = w.file("lib");
    let mut ids = Vec::new();
    let items: [(&str, &str, &str, &[&str]); 5] = [
        (
            "title.md",
            "Zephyrine forecasting",
            "# Notes\n\nPlanning the quarter.",
            &["--stage", "decision", "--persona", "economic_buyer"],
        ),
        (
            "body.md",
            "Quarterly planning",
            "# Notes\n\nA long text that mentions zephyrine once, deep inside.",
            &["--stage", "decision", "--persona", "champion"],
        ),
        (
            "summary.md",
            "Budget notes",
            "# Budget\n\nNumbers only.",
            &[
                "--stage",
                "awareness",
                "--persona",
                "economic_buyer",
                "--summary",
                "Why zephyrine matters to finance",
            ],
        ),
        (
            "risk.md",
            "Against Acme",
            "# Acme\n\nzephyrine versus Acme Cloud.",
            &["--stage", "decision", "--risk", "competitor:acme_cloud"],
        ),
        (
            "draft.md",
            "Zephyrine draft",
            "# Draft\n\nzephyrine zephyrine.",
            &["--stage", "decision", "--status", "draft"],
        ),
    ];
    for (name, title, text, extra) in items {
        let path = dir.join(name);
        write(&path, text.as_bytes());
        ids.push(
            add(w, path.to_str().unwrap(), title, extra)["asset"]["asset"]["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    ids
}

#[test]
fn search_ranks_title_over_summary_over_text_and_counts_facets() {
    let w = Workspace::demo();
    let ids = hand_made(&w);
    let r = w.json(&["content", "search", "zephyrine"]);
    let order: Vec<&str> = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap())
        .collect();
    assert_eq!(r["total"], 4, "the draft is not shown to reps");
    assert_eq!(order[0], ids[0], "a word in the title ranks first");
    assert_eq!(
        order.last().unwrap(),
        &ids[1],
        "a word deep in the text ranks last"
    );
    // Exactly the shape the issue names.
    let hit = r["results"][0].as_object().unwrap();
    let mut keys: Vec<&str> = hit.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        ["id", "kind", "personas", "risks", "score", "snippet", "stages", "title"]
    );
    assert!(
        r["results"][0]["score"].as_f64().unwrap() > r["results"][3]["score"].as_f64().unwrap()
    );
    assert!(r["results"][3]["snippet"]
        .as_str()
        .unwrap()
        .contains("zephyrine"));

    // Typing: a prefix finds the same; facets narrow; the draft appears when asked for.
    assert_eq!(w.json(&["content", "search", "zephyr"])["total"], 4);
    let decision = w.json(&["content", "search", "zephyrine", "--stage", "decision"]);
    assert_eq!(decision["total"], 3);
    let both = w.json(&[
        "content",
        "search",
        "zephyrine",
        "--stage",
        "decision",
        "--persona",
        "economic_buyer",
    ]);
    assert_eq!(both["total"], 1);
    assert_eq!(both["results"][0]["id"], ids[0].as_str());
    assert_eq!(
        w.json(&[
            "content",
            "search",
            "zephyrine",
            "--risk",
            "competitor:acme_cloud"
        ])["total"],
        1
    );
    assert_eq!(
        w.json(&[
            "content",
            "search",
            "zephyrine",
            "--status",
            "draft,published"
        ])["total"],
        5
    );
    // Words that are operators to FTS5 are just words.
    assert_eq!(
        w.json(&["content", "search", "zephyrine OR NOT \"x"])["total"],
        0
    );
}

#[test]
fn facet_counts_follow_the_other_facets() {
    let w = Workspace::demo();
    hand_made(&w);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use playbook::content::search::{FacetName, SearchQuery};
        let db = playbook::db::open(w.path()).await.unwrap();
        let q = SearchQuery {
            text: "zephyrine".into(),
            stages: vec!["decision".into()],
            ..SearchQuery::default()
        };
        let r = playbook::content::ops::search(&db, &q).await.unwrap();
        let count = |f: FacetName, v: &str| {
            r.facets
                .iter()
                .find(|x| x.name == f)
                .and_then(|x| x.values.iter().find(|c| c.value == v))
                .map_or(0, |c| c.count)
        };
        assert_eq!(r.total, 3);
        // The stage facet ignores its own selection: what choosing another stage would show.
        assert_eq!(count(FacetName::Stage, "decision"), 3);
        assert_eq!(count(FacetName::Stage, "awareness"), 1);
        // The others count within the selection.
        assert_eq!(count(FacetName::Persona, "economic_buyer"), 1);
        assert_eq!(count(FacetName::Persona, "champion"), 1);
        assert_eq!(count(FacetName::Risk, "competitor:acme_cloud"), 1);
        assert_eq!(count(FacetName::Status, "published"), 3);
        assert_eq!(
            count(FacetName::Status, "draft"),
            1,
            "what showing drafts would add"
        );
        assert_eq!(
            count(FacetName::Freshness, "current"),
            3,
            "a kind with a review period gives a date"
        );
        assert_eq!(r.results[0].title, "Zephyrine forecasting");
        assert_eq!(
            r.results[0].title_hits,
            vec![(0, 9)],
            "Zephyrine is marked in the title"
        );
        db.close().await;
    });
}

#[test]
fn a_contact_gets_what_fits_their_stage_role_and_the_accounts_risks() {
    let w = Workspace::demo();
    // A contact in the decision stage who is an economic buyer, not yet a customer.
    let row = w.sql(
        "SELECT id || ' ' || account_id FROM contacts WHERE buying_stage = 'decision' AND buying_role = 'economic_buyer'
         AND stage NOT IN ('opportunity', 'customer') AND account_id IS NOT NULL
         AND account_id NOT IN (SELECT account_id FROM account_risk_records) ORDER BY id LIMIT 1",
    );
    let (contact, account) = row.split_once(' ').unwrap();
    let dir = w.file("fit");
    let mk = |name: &str, title: &str, extra: &[&str]| {
        let p = dir.join(name);
        write(&p, format!("# {title}\n\ntext").as_bytes());
        add(&w, p.to_str().unwrap(), title, extra)["asset"]["asset"]["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let all = mk(
        "a.md",
        "Fits all three",
        &[
            "--stage",
            "decision",
            "--persona",
            "economic_buyer",
            "--risk",
            "competitor:pipewise",
        ],
    );
    let two = mk(
        "b.md",
        "Fits stage and role",
        &["--stage", "decision", "--persona", "economic_buyer"],
    );
    let unrelated = mk(
        "c.md",
        "For someone else",
        &["--stage", "awareness", "--persona", "end_user"],
    );
    w.json(&[
        "content",
        "risk",
        account,
        "--risk",
        "competitor:pipewise",
        "--note",
        "Pipewise quoted",
        "--as",
        SOFIA,
    ]);

    let fit = w.json(&["content", "recommend", contact]);
    assert_eq!(fit["stage"]["key"], "decision");
    assert!(fit["personas"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["key"] == "economic_buyer"));
    assert_eq!(fit["risks"].as_array().unwrap().len(), 1);
    assert_eq!(fit["risks"][0]["risk"], "competitor:pipewise");
    let recs = fit["recommendations"].as_array().unwrap();
    let ids: Vec<&str> = recs.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids[0], all,
        "the asset fitting stage, role and risk comes first"
    );
    assert_eq!(
        recs[0]["reason"],
        "decision stage · economic buyer · against competitor Pipewise"
    );
    let pos_two = ids
        .iter()
        .position(|i| *i == two)
        .expect("stage and role fit");
    assert!(recs[pos_two]["reason"]
        .as_str()
        .unwrap()
        .starts_with("decision stage · economic buyer"));
    assert!(
        !ids.contains(&unrelated.as_str()),
        "what fits neither stage, role nor risk is not offered"
    );

    // Once sent, it drops below what the contact has not seen.
    w.json(&["content", "send", &all, "--to", contact, "--as", SOFIA]);
    let again = w.json(&["content", "recommend", contact]);
    let first = &again["recommendations"][0];
    assert_ne!(first["id"], all.as_str());
    let sent = again["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == all.as_str())
        .unwrap();
    assert!(sent["lastSent"].is_string());

    // Clearing the risk clears the reason.
    w.json(&[
        "content",
        "risk",
        account,
        "--risk",
        "competitor:pipewise",
        "--clear",
        "--as",
        SOFIA,
    ]);
    assert_eq!(
        w.json(&["content", "recommend", contact])["risks"],
        serde_json::json!([])
    );
}

#[test]
fn a_send_is_a_signed_activity_on_the_timeline_and_counts_in_reports() {
    let w = Workspace::demo();
    let contact = w.sql("SELECT id FROM contacts ORDER BY id LIMIT 1");
    let found = w.json(&["content", "search", "Acme Cloud battlecard"]);
    let asset = found["results"][0]["id"].as_str().unwrap().to_string();
    let sent_before = w.json(&["content", "show", &asset])["sends"]
        .as_u64()
        .unwrap();

    // No network here at all: the send is written locally, signed, and syncs later.
    let a = w.json(&[
        "content",
        "send",
        &asset,
        "--to",
        &contact,
        "--channel",
        "attach",
        "--note",
        "after the call",
        "--as",
        SOFIA,
    ]);
    assert_eq!(a["kind"], "content_sent");
    assert_eq!(a["actorName"], "Sofia Marín");
    let shown = w.json(&["contacts", "show", &contact]);
    let on_timeline = shown["activities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == a["id"])
        .expect("on the timeline");
    assert_eq!(on_timeline["assetId"], asset.as_str());
    assert!(on_timeline["detail"]
        .as_str()
        .unwrap()
        .contains("Acme Cloud battlecard"));
    assert_eq!(
        w.json(&["content", "show", &asset])["sends"]
            .as_u64()
            .unwrap(),
        sent_before + 1
    );
    let most = w.json(&["content", "coverage"])["mostSent"].clone();
    assert!(most
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["sends"].as_u64().unwrap() > 0));
    assert!(w.json(&["verify"])["failures"]
        .as_array()
        .unwrap()
        .is_empty());

    // Rewritten behind Playbook's back, it no longer counts and verify names it.
    w.sql(&format!("DROP TRIGGER activities_no_update; UPDATE activities SET detail = 'something else' WHERE id = '{}'", a["id"].as_str().unwrap()));
    let out = w.run(&["--format", "json", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["failures"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["recordId"] == a["id"]));
    let shown = w.json(&["contacts", "show", &contact]);
    assert!(!shown["activities"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["id"] == a["id"]));

    // Drafts are not sent; unknown contacts and assets are named.
    let draft = w.json(&["content", "search", "--status", "draft"]);
    let draft_id = draft["results"][0]["id"].as_str().unwrap();
    w.refused(
        &["content", "send", draft_id, "--to", &contact, "--as", SOFIA],
        "not_allowed",
    );
    w.refused(
        &["content", "send", &asset, "--to", "nobody", "--as", SOFIA],
        "not_found",
    );
}

#[test]
fn manifest_rows_are_checked_and_reported_like_the_contacts_import() {
    let w = Workspace::demo();
    let kit = w.file("kit");
    write(&kit.join("a.md"), b"# A\n\nfine");
    write(&kit.join("b.md"), b"# B\n\nfine too");
    std::fs::write(
        kit.join("manifest.csv"),
        "file,url,title,kind,stages,personas,risks,owner,status\n\
         a.md,,Good one,case_study,decision,economic_buyer,budget,priya.raman@larkspur.example,published\n\
         b.md,,Bad kind,pamphlet,,,,,\n\
         ,https://example.com/x,Bad stage,webinar,purchase,,,,\n\
         missing.md,,Missing file,webinar,,,,,\n\
         ,https://example.com/y,,webinar,,,,,\n\
         ,https://example.com/z,Bad owner,webinar,,,,someone@else.example,\n\
         ,ftp://example.com/w,Bad link,webinar,,,,,\n",
    )
    .unwrap();
    let manifest = kit.join("manifest.csv");
    let before = w.everything();
    let out = w.run(&[
        "--format",
        "json",
        "content",
        "import",
        manifest.to_str().unwrap(),
        "--as",
        MAYA,
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "all or nothing: a bad row refuses the import"
    );
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors: Vec<(u64, String)> = s["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_u64().unwrap(),
                e["column"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        vec![
            (3, "kind".into()),
            (4, "stages".into()),
            (5, "file".into()),
            (6, "title".into()),
            (7, "owner".into()),
            (8, "source".into())
        ]
    );
    assert_eq!(s["written"], false);
    assert_eq!(before, w.everything(), "nothing half-written");
    assert_eq!(w.json(&["content", "search", "Good one"])["total"], 0);

    let out = w.json(&[
        "content",
        "import",
        manifest.to_str().unwrap(),
        "--mode",
        "valid-rows",
        "--as",
        MAYA,
    ]);
    assert_eq!(out["created"], 1);
    let good = w.json(&["content", "search", "Good one"]);
    assert_eq!(
        good["results"][0]["stages"],
        serde_json::json!(["decision"])
    );
}

#[test]
fn the_taxonomy_is_agreed_diffed_and_travels_in_the_playbook_file() {
    let w = Workspace::demo();
    let items = w.json(&["agreements", "list", "--kind", "risk"]);
    assert!(items
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["key"] == "competitor:acme_cloud" && !i["inForce"].is_null()));
    // A new competitor, proposed by marketing: not usable until sales signs too.
    let v = w.json(&[
        "agreements",
        "propose",
        "--kind",
        "risk",
        "--name",
        "Competitor: Zeta Labs",
        "--description",
        "Zeta is in the deal.",
        "--as",
        MAYA,
    ]);
    assert_eq!(v["key"], "competitor:zeta_labs");
    let file = w.file("z.md");
    write(&file, b"# Zeta\n\nwords");
    let err = w.refused(
        &[
            "content",
            "add",
            file.to_str().unwrap(),
            "--title",
            "Beat Zeta",
            "--kind",
            "battlecard",
            "--risk",
            "competitor:zeta_labs",
            "--as",
            MAYA,
        ],
        "invalid_input",
    );
    assert!(err.contains("not an agreed risk point"), "{err}");
    w.json(&[
        "agreements",
        "approve",
        "risk/competitor:zeta_labs",
        "--as",
        MAYA,
    ]);
    w.json(&[
        "agreements",
        "approve",
        "risk/competitor:zeta_labs",
        "--as",
        common::DANIEL,
    ]);
    add(
        &w,
        file.to_str().unwrap(),
        "Beat Zeta",
        &["--risk", "competitor:zeta_labs"],
    );

    // A change to an asset kind's review period is a version, compared in words.
    w.json(&[
        "agreements",
        "propose",
        "--item",
        "asset_kind/battlecard",
        "--review-months",
        "2",
        "--as",
        MAYA,
    ]);
    let d = w.json(&[
        "agreements",
        "diff",
        "asset_kind/battlecard@1",
        "asset_kind/battlecard@2",
    ]);
    let changed: Vec<&str> = d["fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["changed"] == true)
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(changed, vec!["Review every"]);

    // The file: sections for the taxonomy, and an empty directory gets it back signed.
    let toml = w.file("playbook.toml");
    w.ok(&["export-playbook", toml.to_str().unwrap()]);
    let text = std::fs::read_to_string(&toml).unwrap();
    for section in [
        "[[buying_stages]]",
        "[[personas]]",
        "[[risks]]",
        "[[asset_kinds]]",
    ] {
        assert!(text.contains(section), "{section} missing");
    }
    let fresh = Workspace::empty();
    fresh.ok(&["import-playbook", toml.to_str().unwrap()]);
    let risks = fresh.json(&["agreements", "list", "--kind", "risk"]);
    assert!(risks
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["key"] == "competitor:zeta_labs" && !i["inForce"].is_null()));
}

#[test]
fn an_asset_rewritten_behind_playbooks_back_is_found_by_verify_and_leaves_the_library() {
    let w = Workspace::demo();
    let hit = w.json(&["content", "search", "Acme Cloud battlecard"]);
    let id = hit["results"][0]["id"].as_str().unwrap().to_string();
    w.sql(&format!(
        "DROP TRIGGER content_records_no_update;
         UPDATE content_records SET body = replace(body, 'Acme Cloud battlecard', 'Acme Cloud battlecard (edited)') WHERE asset_id = '{id}'"
    ));
    let out = w.run(&["--format", "json", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let failures = report["failures"].as_array().unwrap();
    assert!(failures
        .iter()
        .any(|f| f["table"] == "content_records" && f["label"].as_str().unwrap().contains(&id)));
    let after = w.json(&["content", "search", "Acme Cloud battlecard"]);
    assert!(
        !after["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["id"] == id.as_str()),
        "its only record no longer counts"
    );
    w.refused(&["content", "show", &id], "not_found");
}

#[test]
fn a_new_file_is_a_new_version_and_the_old_ones_stay_in_the_history() {
    let w = Workspace::demo();
    let hit = w.json(&["content", "search", "Onboarding checklist"]);
    let id = hit["results"][0]["id"].as_str().unwrap().to_string();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let db = playbook::db::open(w.path()).await.unwrap();
        let maya = common::signer(&db, MAYA).await;
        let mut d = playbook::content::ops::get(&db, &id, None).await.unwrap();
        assert_eq!(d.versions.len(), 1);
        // A new title alone is not a new version.
        d.asset.fields.title = "Onboarding checklist (30 days)".into();
        let d = playbook::content::ops::save(&db, Some(&id), &d.asset.fields, &maya)
            .await
            .unwrap();
        assert_eq!(d.versions.len(), 1);
        let f = playbook::content::ops::store_bytes(
            &db,
            w.path(),
            "onboarding-v2.md",
            b"# Onboarding\n\nThe second edition.".to_vec(),
        )
        .await
        .unwrap();
        let mut fields = d.asset.fields.clone();
        fields.source = playbook::content::AssetSource::File {
            sha256: f.sha256.clone(),
            name: f.name,
            size: f.size,
            media_type: f.media_type,
        };
        let d = playbook::content::ops::save(&db, Some(&id), &fields, &maya)
            .await
            .unwrap();
        assert_eq!(d.asset.version, 2);
        assert_eq!(d.versions.len(), 2);
        assert_eq!(
            d.versions[0].sha256.as_deref(),
            Some(f.sha256.as_str()),
            "newest first"
        );
        assert_eq!(
            d.versions[1].file_name.as_deref(),
            Some("onboarding-checklist.md")
        );
        assert_eq!(d.versions[0].added_by.as_deref(), Some("Maya Okafor"));
        // Saving the same again changes nothing and says so.
        let err = playbook::content::ops::save(&db, Some(&id), &fields, &maya)
            .await
            .unwrap_err();
        assert!(err.message.contains("nothing changed"), "{}", err.message);
        db.close().await;
    });
    assert_eq!(
        w.json(&["content", "search", "second edition"])["results"][0]["id"],
        id.as_str()
    );
}

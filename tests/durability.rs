//! Writes that wait and files that stay whole, through the real binary on real files:
//! a write waits for another instead of failing, concurrent first opens, files that are
//! not workspaces (or are from a newer Playbook) left untouched, exports that never
//! overwrite the workspace or leave half a file, a damaged file turned read-only, and
//! backups that restore.
mod common;

use std::process::{Command, Stdio};

use common::{Workspace, DANIEL, DEMO_PASSPHRASE, SOFIA, TOM};

fn bytes(w: &Workspace) -> Vec<u8> {
    std::fs::read(w.data_file("playbook.sqlite3")).unwrap()
}

#[tokio::test]
async fn a_hand_over_during_another_write_waits_and_then_succeeds() {
    let w = Workspace::demo();
    let mql = w.json(&["contacts", "list", "--stage", "mql", "--limit", "1"])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Another writer (an import, say) holds the write lock for a second.
    let db = playbook::db::open(w.path()).await.unwrap();
    let tx = playbook::db::write(&db).await.unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_playbook"))
        .args([
            "--data-dir",
            w.path().to_str().unwrap(),
            "handoff",
            &mql,
            "accept",
            "--as",
            SOFIA,
        ])
        .env("PLAYBOOK_PASSPHRASE", DEMO_PASSPHRASE)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    tx.commit().await.unwrap();
    db.close().await;
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the hand-over waits for the lock instead of failing: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        w.json(&["contacts", "show", &mql])["contact"]["stage"],
        "sal"
    );
}

#[test]
fn concurrent_first_opens_of_one_directory_all_succeed() {
    let w = Workspace::empty();
    let children: Vec<_> = (0..24)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_playbook"))
                .args(["--data-dir", w.path().to_str().unwrap(), "members", "list"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn what_is_not_a_workspace_is_refused_and_left_alone() {
    for (content, words) in [
        (&b""[..], "the file is empty"),
        (&b"name,email\nAna,ana@x.example\n"[..], "not a SQLite file"),
    ] {
        let w = Workspace::empty();
        std::fs::write(w.data_file("playbook.sqlite3"), content).unwrap();
        let err = w.refused(&["members", "list"], "database");
        assert!(
            err.contains(words) && err.contains("left as it is"),
            "{err}"
        );
        assert_eq!(bytes(&w), content, "the file is never replaced");
    }
    // A workspace from a newer Playbook.
    let w = Workspace::demo();
    w.sql("INSERT INTO _sqlx_migrations (version, description, installed_on, success, checksum, execution_time)
           VALUES (99991231000000, 'from the future', '2099-01-01', 1, x'00', 0)");
    let before = bytes(&w);
    let err = w.refused(&["members", "list"], "database");
    assert!(
        err.contains("written by a newer version of Playbook"),
        "{err}"
    );
    assert_eq!(bytes(&w), before);
}

#[test]
fn exports_never_overwrite_the_workspace_nor_leave_half_a_file() {
    let w = Workspace::demo();
    let before = w.everything();
    let data = w.path().to_str().unwrap().to_string();
    for target in [
        format!("{data}/playbook.sqlite3"),
        format!(
            "{data}/../{}/playbook.sqlite3-wal",
            w.path().file_name().unwrap().to_str().unwrap()
        ),
        format!("{data}/settings.json"),
    ] {
        let err = w.refused(&["export", "contacts", &target], "not_allowed");
        assert!(err.contains("part of the workspace itself"), "{err}");
        let err = w.refused(&["export-playbook", &target], "not_allowed");
        assert!(err.contains("part of the workspace itself"), "{err}");
    }
    // A symlink pointing at the database is seen through.
    let link = w.file("innocent.csv");
    std::os::unix::fs::symlink(w.data_file("playbook.sqlite3"), &link).unwrap();
    w.refused(
        &["export", "contacts", link.to_str().unwrap()],
        "not_allowed",
    );
    assert_eq!(w.everything(), before, "the workspace is intact");

    // Over an existing file: replaced whole. Into a path that cannot be written: the old
    // file stays as it was.
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("contacts.csv");
    std::fs::write(&file, "old export\n").unwrap();
    w.ok(&["export", "contacts", file.to_str().unwrap()]);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.starts_with("playbook_id,") && text.lines().count() == 241,
        "{}",
        &text[..80]
    );
    let blocker = out.path().join("a-file");
    std::fs::write(&blocker, "x").unwrap();
    let inside = blocker.join("contacts.csv");
    w.refused(&["export", "contacts", inside.to_str().unwrap()], "io");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
    let leftovers: Vec<_> = std::fs::read_dir(out.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary file is left behind");
}

#[test]
fn a_damaged_workspace_turns_read_only_and_a_backup_restores_it() {
    let w = Workspace::demo();
    w.ok(&["generate", "--contacts", "1500", "--as", TOM]);
    let backup = w.json(&["backup"])["file"].as_str().unwrap().to_string();
    // A change after the backup, which the restore will undo.
    w.ok(&[
        "members",
        "add",
        "--email",
        "new@larkspur.example",
        "--name",
        "New Person",
        "--side",
        "sales",
        "--role",
        "rep",
        "--as",
        "daniel.brooks@larkspur.example",
    ]);
    w.sql("PRAGMA wal_checkpoint(TRUNCATE)");
    // 4 KB of garbage in the middle of the file.
    {
        use std::io::{Seek, SeekFrom, Write};
        let path = w.data_file("playbook.sqlite3");
        let len = std::fs::metadata(&path).unwrap().len();
        let mut f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        f.seek(SeekFrom::Start(len / 2 / 16384 * 16384)).unwrap();
        f.write_all(&[0xA5; 4096]).unwrap();
    }
    let mql = w.json(&["contacts", "list", "--stage", "mql", "--limit", "1"]);
    let err = w.refused(
        &[
            "handoff",
            mql[0]["id"].as_str().unwrap_or("x"),
            "accept",
            "--as",
            SOFIA,
        ],
        "read_only",
    );
    assert!(
        err.contains("damaged") && err.contains(&format!("playbook restore {backup}")),
        "the refusal names the backup to restore: {err}"
    );

    // A file that is not a workspace is refused and changes nothing.
    let before = bytes(&w);
    let junk = w.file("junk.sqlite3");
    std::fs::write(&junk, "not a database").unwrap();
    let err = w.refused(&["restore", junk.to_str().unwrap()], "invalid_input");
    assert!(err.contains("nothing was changed"), "{err}");
    assert_eq!(bytes(&w), before);

    let done = w.json(&["restore", &backup]);
    let aside = done["keptAside"].as_str().unwrap();
    assert!(
        std::path::Path::new(aside).exists(),
        "the damaged file is kept aside"
    );
    let members = w.json(&["members", "list"]);
    assert!(
        !members.to_string().contains("new@larkspur.example"),
        "the change after the backup is gone"
    );
    w.ok(&["verify"]);
    w.ok(&[
        "handoff",
        mql[0]["id"].as_str().unwrap(),
        "accept",
        "--as",
        SOFIA,
    ]);
}

#[tokio::test]
async fn f16_retention_prunes_only_automatic_snapshots() {
    let w = Workspace::demo();
    for _ in 0..9 {
        w.ok(&["backup"]);
    }
    let db = playbook::db::open(w.path()).await.unwrap();
    for _ in 0..9 {
        playbook::backup::snapshot(&db, w.path(), "daily")
            .await
            .unwrap();
    }
    db.close().await;
    let names: Vec<String> = std::fs::read_dir(w.data_file("backups"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    let count = |reason: &str| {
        names
            .iter()
            .filter(|n| n.ends_with(&format!("-{reason}.sqlite3")))
            .count()
    };
    assert_eq!(
        count("manual"),
        9,
        "a manual backup is never pruned: {names:?}"
    );
    assert_eq!(count("daily"), playbook::backup::KEEP, "{names:?}");
    // A named backup goes where it is told, and never over an existing file.
    let file = w.file("copy.sqlite3");
    w.ok(&["backup", file.to_str().unwrap()]);
    let err = w.refused(&["backup", file.to_str().unwrap()], "conflict");
    assert!(
        err.contains(&format!("{} already exists", file.display())),
        "{err}"
    );
}

#[test]
fn f13_restore_verifies_the_file_and_keeps_teams_apart() {
    let w = Workspace::demo();
    let backup = w.json(&["backup"])["file"].as_str().unwrap().to_string();
    let before = bytes(&w);
    // A directory.
    let err = w.refused(
        &["restore", w.data_file("backups").to_str().unwrap()],
        "invalid_input",
    );
    assert!(err.contains("it is a directory"), "{err}");
    // A backup rewritten behind Playbook's back: it does not verify.
    let forged = w.file("forged.sqlite3");
    std::fs::copy(&backup, &forged).unwrap();
    let sql = |file: &std::path::Path, q: &str| {
        let out = Command::new("sqlite3").arg(file).arg(q).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    sql(
        &forged,
        "REPLACE INTO agreement_versions (id, item_id, name, body, summary, effective_from, supersedes, author_id, created_at, hash, signature)
         SELECT id, item_id, name, json_set(body, '$.definition', 'Anyone.'), summary, effective_from, supersedes, author_id, created_at, hash, signature
         FROM agreement_versions WHERE body LIKE '%\"kind\":\"term\"%' LIMIT 1",
    );
    let err = w.refused(&["restore", forged.to_str().unwrap()], "tampered");
    assert!(
        err.contains("3 of its records do not verify (tampered term/")
            && err.contains("nothing was changed"),
        "{err}"
    );
    // Another team's workspace (another demo: same people, another founding record).
    let other = Workspace::demo();
    let theirs = other.json(&["backup"])["file"]
        .as_str()
        .unwrap()
        .to_string();
    let err = w.refused(&["restore", &theirs], "conflict");
    assert!(
        err.contains(
            "is another team's workspace (founded by Maya Okafor <maya.okafor@larkspur.example>"
        ) && err.contains("--other-team"),
        "{err}"
    );
    assert_eq!(bytes(&w), before, "nothing was changed");
    assert_eq!(
        std::fs::read_dir(w.data_file("backups")).unwrap().count(),
        1,
        "no scratch copy is left behind"
    );
    w.ok(&["restore", &theirs, "--other-team"]);
    w.ok(&["verify"]);
}

#[test]
fn f14_exports_stay_out_of_the_data_directory_except_exports() {
    let w = Workspace::demo();
    w.ok(&["backup"]);
    let before = w.everything();
    for (target, words) in [
        (
            w.data_file("backups/contacts.csv"),
            "is inside the workspace's data directory",
        ),
        (
            w.data_file("notes.csv"),
            "is inside the workspace's data directory",
        ),
        (
            w.data_file("playbook.lock"),
            "is part of the workspace itself",
        ),
    ] {
        let err = w.refused(
            &["export", "contacts", target.to_str().unwrap()],
            "not_allowed",
        );
        assert!(err.contains(words), "{err}");
        w.refused(
            &["export-playbook", target.to_str().unwrap()],
            "not_allowed",
        );
        w.refused(&["backup", target.to_str().unwrap()], "not_allowed");
    }
    let err = w.refused(
        &["export", "contacts", w.file("").to_str().unwrap()],
        "invalid_input",
    );
    assert!(err.contains("is a directory"), "{err}");
    assert_eq!(w.everything(), before);
    std::fs::create_dir(w.data_file("exports")).unwrap();
    w.ok(&[
        "export",
        "contacts",
        w.data_file("exports/contacts.csv").to_str().unwrap(),
    ]);
    // `-` is the standard output.
    let out = w.ok(&["export", "contacts", "-"]);
    assert!(
        out.starts_with("playbook_id,") && out.lines().count() == 241,
        "{}",
        &out[..60]
    );
}

/// Runs `script` (sh) in a private mount namespace with a tmpfs of `kib` KiB mounted on
/// `$1`; `$2` is the playbook binary. Returns its output.
fn on_small_disk(kib: u32, mount: &std::path::Path, script: &str) -> std::process::Output {
    std::fs::create_dir_all(mount).unwrap();
    Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "sh", "-c"])
        .arg(format!(
            "mount -t tmpfs -o size={kib}k tmpfs \"$1\" && {script}"
        ))
        .arg("sh")
        .arg(mount)
        .arg(env!("CARGO_BIN_EXE_playbook"))
        .env("PLAYBOOK_PASSPHRASE", DEMO_PASSPHRASE)
        .stdin(Stdio::null())
        .output()
        .expect("unshare runs")
}

#[test]
fn f15_f19_a_full_disk_leaves_nothing_half_written_and_says_so() {
    let w = Workspace::demo();
    w.ok(&["generate", "--contacts", "300", "--as", TOM]);
    // A backup to a disk too small for it: refused, no temporary file left behind.
    let mnt = w.file("small");
    let out = on_small_disk(
        256,
        &mnt,
        &format!(
            "\"$2\" --data-dir {} backup \"$1/copy.sqlite3\"; echo \"exit $?\"; ls -A \"$1\"",
            w.path().display()
        ),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("exit 1"), "{stdout} {stderr}");
    assert!(
        stderr.contains("[disk_full]")
            && stderr.contains("is full")
            && stderr.contains("copy.sqlite3 was not written"),
        "{stderr}"
    );
    assert_eq!(
        stdout.trim(),
        "exit 1",
        "nothing left on the small disk: {stdout}"
    );
    // A workspace on a disk that fills up: the write is refused in words, nothing changes.
    let out = on_small_disk(
        8192,
        &mnt,
        "\"$2\" --data-dir \"$1/data\" demo >/dev/null && \
         \"$2\" --data-dir \"$1/data\" generate --contacts 20000 --as tom.lindqvist@larkspur.example; echo \"exit $?\"; \
         \"$2\" --data-dir \"$1/data\" --format json contacts list | grep -c '\"id\"'",
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("[disk_full]") && stderr.contains("the disk is full"),
        "{stderr}"
    );
    assert!(
        stdout.contains("exit 1\n240"),
        "the demo's 240 contacts, nothing more: {stdout} {stderr}"
    );
}

#[test]
fn f19_a_read_only_file_system_is_said_in_words() {
    let w = Workspace::demo();
    let mql = w.json(&["contacts", "list", "--stage", "mql", "--limit", "1"])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let out = Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "sh", "-c"])
        .arg("mount --bind \"$1\" \"$1\" && mount -o remount,bind,ro \"$1\" && \"$2\" --data-dir \"$1\" handoff \"$3\" accept --as sofia.marin@larkspur.example")
        .arg("sh")
        .arg(w.path())
        .arg(env!("CARGO_BIN_EXE_playbook"))
        .arg(&mql)
        .env("PLAYBOOK_PASSPHRASE", DEMO_PASSPHRASE)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("[read_only]") && stderr.contains("is on a read-only file system"),
        "{stderr}"
    );
    assert_eq!(
        w.json(&["contacts", "show", &mql])["contact"]["stage"],
        "mql"
    );
}

#[test]
fn f17_f18_passphrases_keep_their_spaces_and_files_are_bounded() {
    let w = Workspace::demo();
    let new = w.file("new.txt");
    std::fs::write(&new, "two  words \r\n").unwrap();
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
        "--new-passphrase-file",
        new.to_str().unwrap(),
    ]);
    let mql = w.json(&["contacts", "list", "--stage", "mql", "--limit", "3"]);
    let accept = |i: usize| {
        vec![
            "handoff".to_string(),
            mql[i]["id"].as_str().unwrap().to_string(),
            "accept".into(),
            "--as".into(),
            "ana@larkspur.example".into(),
        ]
    };
    let file = w.file("pass.txt");
    // Only the line end is taken off: the trimmed passphrase is another passphrase.
    std::fs::write(&file, "two  words\n").unwrap();
    let mut args = vec![
        "--passphrase-file".to_string(),
        file.to_str().unwrap().to_string(),
    ];
    args.extend(accept(0));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let err = w.refused_with(&args, &[], "not_allowed");
    assert!(err.contains("the passphrase is wrong"), "{err}");
    std::fs::write(&file, "two  words \n").unwrap();
    let out = w.run_with(&args, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let a1 = accept(1);
    let a1: Vec<&str> = a1.iter().map(String::as_str).collect();
    let out = w.run_with(&a1, &[("PLAYBOOK_PASSPHRASE", "two  words \n")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // An endless file is refused after 64 KiB, quickly.
    let started = std::time::Instant::now();
    let a2 = accept(2);
    let mut args = vec!["--passphrase-file", "/dev/zero"];
    args.extend(a2.iter().map(String::as_str));
    let err = w.refused_with(&args, &[], "invalid_input");
    assert!(err.contains("/dev/zero is larger than 64 KiB"), "{err}");
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn f19_a_damaged_workspace_is_said_once_and_verify_reports_it() {
    let w = Workspace::demo();
    w.ok(&["generate", "--contacts", "1500", "--as", TOM]);
    let backup = w.json(&["backup"])["file"].as_str().unwrap().to_string();
    // Newer "backups" that are no backups: empty, and cut short.
    std::fs::write(
        w.data_file("backups/playbook-29990101T000000.000Z-manual.sqlite3"),
        "",
    )
    .unwrap();
    std::fs::write(
        w.data_file("backups/playbook-29990102T000000.000Z-manual.sqlite3"),
        "SQLite",
    )
    .unwrap();
    w.sql("PRAGMA wal_checkpoint(TRUNCATE)");
    {
        use std::io::{Seek, SeekFrom, Write};
        let path = w.data_file("playbook.sqlite3");
        let len = std::fs::metadata(&path).unwrap().len();
        let mut f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        f.seek(SeekFrom::Start(len / 2 / 16384 * 16384)).unwrap();
        f.write_all(&[0xA5; 16384 * 4]).unwrap();
    }
    let out = w.run(&["members", "list"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("damaged").count(), 1, "said once: {stderr}");
    assert!(stderr.lines().count() <= 2, "short: {stderr}");
    assert!(
        stderr.contains(&format!("playbook restore {backup}")),
        "the newest whole backup: {stderr}"
    );
    let out = w.run(&["--format", "json", "verify"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("[damaged]") && !stderr.contains("[read_only]"),
        "{stderr}"
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        report["damaged"].as_str().unwrap().contains(&backup),
        "{report}"
    );
    assert!(
        !report["damageDetails"].as_array().unwrap().is_empty(),
        "{report}"
    );
    let text = w.run(&["verify"]);
    assert!(String::from_utf8_lossy(&text.stdout).starts_with("The workspace file is damaged"));
}

#[test]
fn a_data_directory_that_is_a_file_is_named() {
    let w = Workspace::empty();
    let file = w.file("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_playbook"))
        .arg("--data-dir")
        .arg(&file)
        .args(["members", "list"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "{} is a file, not a data directory",
            file.display()
        )),
        "{stderr}"
    );
}

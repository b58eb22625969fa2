//! Writes that wait and files that stay whole, through the real binary on real files:
//! a write waits for another instead of failing, concurrent first opens, files that are
//! not workspaces (or are from a newer Playbook) left untouched, exports that never
//! overwrite the workspace or leave half a file, a damaged file turned read-only, and
//! backups that restore.
mod common;

use std::process::{Command, Stdio};

use common::{Workspace, DEMO_PASSPHRASE, SOFIA, TOM};

fn bytes(w: &Workspace) -> Vec<u8> {
    std::fs::read(w.file("playbook.sqlite3")).unwrap()
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
        std::fs::write(w.file("playbook.sqlite3"), content).unwrap();
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
    std::os::unix::fs::symlink(w.file("playbook.sqlite3"), &link).unwrap();
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
        let path = w.file("playbook.sqlite3");
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

#[test]
fn backups_keep_the_last_seven() {
    let w = Workspace::demo();
    for _ in 0..9 {
        w.ok(&["backup"]);
    }
    let kept = std::fs::read_dir(w.file("backups")).unwrap().count();
    assert_eq!(kept, playbook::backup::KEEP);
    // A named backup goes where it is told, and never over an existing file.
    let file = w.file("copy.sqlite3");
    w.ok(&["backup", file.to_str().unwrap()]);
    w.refused(&["backup", file.to_str().unwrap()], "conflict");
}

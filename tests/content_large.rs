//! A 200 MB file goes into the content store through the real CLI streamed: the process's
//! peak memory (measured by the kernel for that one process) is what adding a tiny file
//! costs, not the file's size; the stored copy is byte for byte the original, and its text
//! is indexed from a bounded prefix.
mod common;

use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

use common::{Workspace, DEMO_PASSPHRASE, MAYA};

const SIZE: u64 = 200 * 1024 * 1024;
/// What a 200 MiB file may cost above a tiny one: its 4 MiB text prefix and the text pulled
/// from it, a few times over; far below the file itself.
const EXTRA_LIMIT_KIB: i64 = 40 * 1024;

/// Runs `content add FILE` and returns its JSON output and its peak resident memory (KiB).
// The child is reaped by `wait4` (which also reports its peak memory), not `Child::wait`.
#[allow(clippy::zombie_processes)]
fn add_measured(w: &Workspace, path: &std::path::Path, title: &str) -> (String, i64) {
    let child = Command::new(env!("CARGO_BIN_EXE_playbook"))
        .arg("--data-dir")
        .arg(w.path())
        .args(["--format", "json", "content", "add"])
        .arg(path)
        .args(["--title", title, "--kind", "one_pager", "--as", MAYA])
        .env("PLAYBOOK_PASSPHRASE", DEMO_PASSPHRASE)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let mut stdout = child.stdout.unwrap();
    let reader = std::thread::spawn(move || {
        let mut out = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut out).unwrap();
        out
    });
    // wait4 reports the peak resident memory of this one child.
    let mut status: libc::c_int = 0;
    // SAFETY: plain FFI into wait4 with valid out-pointers.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(rc, pid);
    let out = reader.join().unwrap();
    assert!(
        std::process::ExitStatus::from_raw(status).success(),
        "content add failed: {out}"
    );
    (out, usage.ru_maxrss)
}

#[test]
fn a_200_mb_file_is_streamed_into_the_store() {
    let w = Workspace::demo();
    let path = w.file("big-notes.txt");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        let line = b"quarterly pipeline review notes with the sales and marketing teams, line after line\n";
        let mut written = 0u64;
        let mut n = 0u64;
        while written < SIZE {
            let l = format!("{n:010} ");
            f.write_all(l.as_bytes()).unwrap();
            f.write_all(line).unwrap();
            written += (l.len() + line.len()) as u64;
            n += 1;
        }
        f.flush().unwrap();
    }
    let size = std::fs::metadata(&path).unwrap().len();

    let tiny = w.file("tiny.txt");
    std::fs::write(&tiny, b"a few words").unwrap();
    let (_, base_kib) = add_measured(&w, &tiny, "Tiny notes");
    let (out, peak_kib) = add_measured(&w, &path, "Big notes");
    assert!(
        peak_kib - base_kib < EXTRA_LIMIT_KIB,
        "adding the {} MiB file peaked at {} MiB, a tiny one at {} MiB: the file was held in memory",
        size / (1024 * 1024),
        peak_kib / 1024,
        base_kib / 1024
    );

    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let file = &json["file"];
    assert_eq!(file["size"].as_u64().unwrap(), size);
    assert_eq!(file["mediaType"], "text/plain");
    assert_eq!(
        file["textStatus"], "truncated",
        "text is indexed from a bounded prefix"
    );
    let sha = file["sha256"].as_str().unwrap();
    let stored = w.path().join("content/sha256").join(&sha[..2]).join(sha);
    assert_eq!(std::fs::metadata(&stored).unwrap().len(), size);
    assert!(
        files_equal(&path, &stored),
        "the stored copy is the original"
    );
    assert_eq!(
        w.json(&["content", "search", "quarterly pipeline"])["results"][0]["title"],
        "Big notes"
    );
}

fn files_equal(a: &std::path::Path, b: &std::path::Path) -> bool {
    use std::io::Read;
    let (mut x, mut y) = (
        std::fs::File::open(a).unwrap(),
        std::fs::File::open(b).unwrap(),
    );
    let (mut bx, mut by) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
    loop {
        let n = x.read(&mut bx).unwrap();
        let m = y.read(&mut by[..n.max(1)]).unwrap();
        if n != m || bx[..n] != by[..m] {
            return false;
        }
        if n == 0 {
            return true;
        }
    }
}

/// A file over the 2 GiB limit (sparse: it costs no disk) is refused before a byte is
/// copied, in words, and the store holds nothing new.
#[test]
fn a_file_over_2_gib_is_refused_before_copying() {
    let w = Workspace::demo();
    let path = w.file("huge.bin");
    std::fs::File::create(&path)
        .unwrap()
        .set_len(3 * 1024 * 1024 * 1024)
        .unwrap();
    let store_size = || -> u64 {
        fn walk(p: &std::path::Path) -> u64 {
            std::fs::read_dir(p).map_or(0, |d| {
                d.flatten()
                    .map(|e| match e.file_type() {
                        Ok(t) if t.is_dir() => walk(&e.path()),
                        _ => e.metadata().map_or(0, |m| m.len()),
                    })
                    .sum()
            })
        }
        walk(&w.path().join("content"))
    };
    let before = store_size();
    let out = w.run_with(
        &[
            "content",
            "add",
            path.to_str().unwrap(),
            "--title",
            "huge",
            "--kind",
            "one_pager",
            "--as",
            MAYA,
        ],
        &[("PLAYBOOK_PASSPHRASE", DEMO_PASSPHRASE)],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("larger than 2 GiB"), "{err}");
    assert_eq!(store_size(), before, "nothing was copied into the store");
}

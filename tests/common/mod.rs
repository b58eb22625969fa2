//! Helpers shared by the integration tests: a temp data directory and the real CLI binary.
#![allow(dead_code)]
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const MAYA: &str = "maya.okafor@larkspur.example";
pub const DANIEL: &str = "daniel.brooks@larkspur.example";
pub const SOFIA: &str = "sofia.marin@larkspur.example";
pub const PRIYA: &str = "priya.raman@larkspur.example";
pub const TOM: &str = "tom.lindqvist@larkspur.example";
pub const LUKAS: &str = "lukas.weber@larkspur.example";
/// Every demo member's passphrase.
pub const DEMO_PASSPHRASE: &str = "playbook-demo";
/// The passphrase tests give members they add.
pub const NEW_PASSPHRASE: &str = "a new member's passphrase";

/// A fresh data directory (`ROOT/data`) beside a scratch folder for the files a test
/// reads and writes (`ROOT`), removed when dropped.
pub struct Workspace {
    pub dir: tempfile::TempDir,
    data: PathBuf,
    /// What `run` puts in PLAYBOOK_PASSPHRASE and PLAYBOOK_NEW_PASSPHRASE.
    passphrases: (&'static str, &'static str),
}

impl Workspace {
    pub fn empty() -> Workspace {
        Workspace::with_passphrases(DEMO_PASSPHRASE, NEW_PASSPHRASE)
    }

    /// An empty workspace whose commands type these passphrases (unlocking, and for a
    /// new or changed key).
    pub fn with_passphrases(pass: &'static str, new: &'static str) -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        Workspace {
            dir,
            data,
            passphrases: (pass, new),
        }
    }

    pub fn demo() -> Workspace {
        let w = Workspace::empty();
        w.ok(&["demo"]);
        w
    }

    /// The data directory.
    pub fn path(&self) -> &Path {
        &self.data
    }

    /// A file in the data directory (the database, its backups).
    pub fn data_file(&self, name: &str) -> PathBuf {
        self.data.join(name)
    }

    /// A scratch file beside the data directory (CSV, TOML, passphrase files, exports).
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs the real binary on this data directory, with the workspace's passphrase (the
    /// demo's unless made otherwise) in PLAYBOOK_PASSPHRASE (as an ops person's script
    /// would set it).
    pub fn run(&self, args: &[&str]) -> Output {
        self.run_with(
            args,
            &[
                ("PLAYBOOK_PASSPHRASE", self.passphrases.0),
                ("PLAYBOOK_NEW_PASSPHRASE", self.passphrases.1),
            ],
        )
    }

    /// Runs the real binary with these environment variables (and no others of Playbook's).
    pub fn run_with(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_playbook"));
        cmd.arg("--data-dir")
            .arg(self.path())
            .args(args)
            .env_remove("PLAYBOOK_DATA_DIR")
            .env_remove("PLAYBOOK_PASSPHRASE")
            .env_remove("PLAYBOOK_NEW_PASSPHRASE")
            .stdin(std::process::Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("the playbook binary runs")
    }

    /// Runs and expects success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "`playbook {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs with `--format json` and parses the output.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["--format", "json"];
        all.extend_from_slice(args);
        serde_json::from_str(&self.ok(&all)).expect("valid JSON output")
    }

    /// Runs, expects exit status 1 with the given error code; returns stderr.
    pub fn refused(&self, args: &[&str], code: &str) -> String {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(
            out.status.code(),
            Some(1),
            "`playbook {}` should be refused; stderr: {stderr}",
            args.join(" ")
        );
        assert!(
            stderr.contains(&format!("[{code}]")),
            "`playbook {}` should fail with {code}, got: {stderr}",
            args.join(" ")
        );
        stderr
    }

    /// Runs with these environment variables, expects exit status 1 with the given error
    /// code; returns stderr.
    pub fn refused_with(&self, args: &[&str], env: &[(&str, &str)], code: &str) -> String {
        let out = self.run_with(args, env);
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(
            out.status.code(),
            Some(1),
            "`playbook {}`: {stderr}",
            args.join(" ")
        );
        assert!(
            stderr.contains(&format!("[{code}]")),
            "`playbook {}` should fail with {code}, got: {stderr}",
            args.join(" ")
        );
        stderr
    }

    /// Everything the playbook holds, for before/after comparisons.
    pub fn snapshot(&self) -> serde_json::Value {
        serde_json::json!({
            "agreements": self.json(&["agreements", "list"]),
            "members": self.json(&["members", "list"]),
        })
    }

    /// The playbook, the team, every contact and the row counts of every log table.
    pub fn everything(&self) -> serde_json::Value {
        serde_json::json!({
            "playbook": self.snapshot(),
            "contacts": self.json(&["contacts", "list"]),
            "rows": self.sql(
                "SELECT (SELECT count(*) FROM member_records) || ' ' || (SELECT count(*) FROM agreement_versions) || ' ' ||
                        (SELECT count(*) FROM agreement_signoffs) || ' ' || (SELECT count(*) FROM handoff_events) || ' ' ||
                        (SELECT count(*) FROM activities) || ' ' || (SELECT count(*) FROM bulk_records)"
            ),
        })
    }

    /// Runs SQL on the database file with the sqlite3 shell, as an attacker with the file
    /// would (no Playbook code involved); returns its output.
    pub fn sql(&self, sql: &str) -> String {
        let out = Command::new("sqlite3")
            .arg(self.data_file("playbook.sqlite3"))
            .arg(sql)
            .output()
            .expect("sqlite3 runs");
        assert!(
            out.status.success(),
            "sqlite3 `{sql}` failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }
}

/// The demo workspace in a fresh directory, opened in-process (for tests of the domain
/// functions rather than the binary).
pub async fn demo_db() -> (tempfile::TempDir, playbook::db::Db) {
    let dir = tempfile::tempdir().unwrap();
    let db = playbook::db::open(dir.path()).await.unwrap();
    let mut tx = playbook::db::write(&db).await.unwrap();
    playbook::demo::create(&mut tx, chrono::Utc::now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    (dir, db)
}

/// A demo member's key, opened with the demo passphrase.
pub async fn signer(db: &playbook::db::Db, email: &str) -> playbook::trust::Signer {
    playbook::team::unlock(db, email, DEMO_PASSPHRASE)
        .await
        .unwrap()
}

/// A small deterministic generator (xorshift), so a failing random case replays by seed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next() % 10_000) as f64 / 10_000.0 < p
    }
    pub fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            v.swap(i, self.below(i + 1));
        }
    }
}

//! A laptop driven in-process for the sync fault tests and the campaign: its real SQLite
//! data directory opened with Playbook's own `db::open`, its member's key unlocked once, its
//! hub address (through the fault proxy when asked), the signed edits a person makes, and
//! the replica's folded state as of one instant, to compare replicas.
#![allow(dead_code)]
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use playbook::agreements::{store, AgreementBody, Proposal, TermBody};
use playbook::db::Db;
use playbook::error::AppResult;
use playbook::sync::hub::HubAddress;
use playbook::sync::{self, admin::Enrolment, SyncReport};
use playbook::trust::Signer;
use serde_json::Value;

pub struct Replica {
    pub dir: PathBuf,
    pub db: Db,
    pub signer: Signer,
    pub hub: HubAddress,
    /// How far this laptop's clock is from the true time.
    pub skew: chrono::Duration,
}

/// The hub address an enrolment code carries, through `port` instead of the hub's own
/// (the fault proxy), with calls bounded by `timeout`.
pub fn address(code: &str, hub_port: u16, port: u16, timeout: Duration) -> HubAddress {
    let mut a = Enrolment::parse(code).unwrap().address();
    a.url = a.url.replace(
        &format!("localhost:{hub_port}/"),
        &format!("localhost:{port}/"),
    );
    a.timeout = timeout;
    a
}

impl Replica {
    /// Opens the laptop in `dir` as `email` (whose key opens with `passphrase`).
    pub async fn open(dir: &Path, email: &str, passphrase: &str, hub: HubAddress) -> Replica {
        let db = playbook::db::open(dir).await.unwrap();
        let signer = playbook::team::unlock(&db, email, passphrase)
            .await
            .unwrap();
        Replica {
            dir: dir.to_path_buf(),
            db,
            signer,
            hub,
            skew: chrono::Duration::zero(),
        }
    }

    /// Opens the laptop in `dir` as the member whose key `signer` holds (unlocked before:
    /// the key derivation is slow on purpose).
    pub async fn with_signer(dir: &Path, signer: Signer, hub: HubAddress) -> Replica {
        Replica {
            dir: dir.to_path_buf(),
            db: playbook::db::open(dir).await.unwrap(),
            signer,
            hub,
            skew: chrono::Duration::zero(),
        }
    }

    /// The laptop's clock.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.skew
    }

    /// As if the app were killed and started again: the pool goes, the file is reopened.
    pub async fn restart(&mut self) {
        self.db.close().await;
        self.db = playbook::db::open(&self.dir).await.unwrap();
    }

    pub async fn sync(&self) -> AppResult<SyncReport> {
        sync::sync_once(&self.db, &self.hub).await
    }

    /// Proposes a term (a new item, or a new version of the item of that name).
    pub async fn propose(&self, name: &str, definition: &str) -> AppResult<String> {
        let proposal = Proposal {
            item_id: None,
            key: None,
            name: name.to_string(),
            body: AgreementBody::Term(TermBody {
                definition: definition.to_string(),
            }),
            summary: String::new(),
            effective_from: None,
        };
        let mut tx = playbook::db::write(&self.db).await?;
        let v = store::propose(&mut tx, &proposal, &self.signer, self.now()).await?;
        tx.commit().await?;
        Ok(v.id)
    }

    pub async fn approve(&self, version_id: &str) -> AppResult<()> {
        let mut tx = playbook::db::write(&self.db).await?;
        store::approve(&mut tx, version_id, &self.signer, "", self.now()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Proposed versions this member has not signed yet.
    pub async fn unsigned_proposals(&self) -> Vec<String> {
        sqlx::query_scalar(
            "SELECT v.id FROM agreement_versions v WHERE NOT EXISTS (
                 SELECT 1 FROM agreement_signoffs s WHERE s.version_id = v.id AND s.member_id = ?)
             ORDER BY v.id",
        )
        .bind(&self.signer.member_id)
        .fetch_all(&self.db)
        .await
        .unwrap()
    }

    pub async fn scalar(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_one(&self.db)
            .await
            .unwrap()
    }

    /// Changes written here that wait for the hub, and those it rejected.
    pub async fn waiting_and_rejected(&self) -> (i64, i64) {
        (
            self.scalar("SELECT count(*) FROM sync_outbox WHERE status = 'pending'")
                .await,
            self.scalar("SELECT count(*) FROM sync_outbox WHERE status = 'rejected'")
                .await,
        )
    }

    /// Every change id this laptop wrote (its outbox), in the order written.
    pub async fn written(&self) -> Vec<String> {
        sqlx::query_scalar("SELECT change_id FROM sync_outbox ORDER BY seq")
            .fetch_all(&self.db)
            .await
            .unwrap()
    }

    /// What every replica must agree on, as of `at`: the playbook folded (versions, who
    /// signed, what is in force), the team, and every row of the tables that replicate or
    /// are folded from them.
    pub async fn state(&self, at: DateTime<Utc>) -> Value {
        let mut conn = self.db.acquire().await.unwrap();
        let items = store::load_items(&mut conn, None, at).await.unwrap();
        let mut tables = serde_json::Map::new();
        for t in REPLICATED {
            tables.insert(t.to_string(), Value::from(dump(&self.db, t).await));
        }
        serde_json::json!({
            "playbook": serde_json::to_value(items).unwrap(),
            "tables": tables,
        })
    }
}

/// The tables whose rows every replica must hold alike: the signed records and what the
/// team and playbook fold into (never the outbox, the checkpoint or local caches).
pub const REPLICATED: &[&str] = &[
    "member_records",
    "members",
    "workspace",
    "agreement_items",
    "agreement_versions",
    "agreement_signoffs",
];

/// Every row of `table`, each as one text line, sorted.
pub async fn dump(db: &Db, table: &str) -> Vec<String> {
    let cols: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
    )))
    .fetch_all(db)
    .await
    .unwrap();
    assert!(!cols.is_empty(), "no table {table}");
    let row = cols
        .iter()
        .map(|c| format!("quote(\"{c}\")"))
        .collect::<Vec<_>>()
        .join(" || '|' || ");
    let mut rows: Vec<String> =
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT {row} FROM {table}")))
            .fetch_all(db)
            .await
            .unwrap();
    rows.sort();
    rows
}

/// Copies a data directory's files (a laptop cloned from another, as a restore would).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// The hub's owner, connected as the tests' superuser (verified TLS), to look at the feed.
pub async fn owner(url: &str) -> sqlx::PgConnection {
    use sqlx::ConnectOptions;
    let opts = playbook::sync::hub::options(&HubAddress {
        url: url.to_string(),
        ca_pem: None,
        password: None,
        timeout: Duration::from_secs(10),
    })
    .unwrap();
    opts.connect().await.unwrap()
}

/// The hub's feed: (position, change id), in feed order.
pub async fn feed(owner: &mut sqlx::PgConnection) -> Vec<(i64, String)> {
    sqlx::query_as("SELECT pos, change_id::text FROM sync.changes ORDER BY pos")
        .fetch_all(owner)
        .await
        .unwrap()
}

/// Members' sessions still open on the hub (a push cut off may still be running there).
pub async fn member_sessions(owner: &mut sqlx::PgConnection) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity a JOIN sync.members m ON m.role_name = a.usename",
    )
    .fetch_one(owner)
    .await
    .unwrap()
}

/// Waits until no member's session is left on the hub, so nothing cut off can still commit.
pub async fn wait_for_no_member_sessions(owner: &mut sqlx::PgConnection) {
    let until = std::time::Instant::now() + Duration::from_secs(20);
    while member_sessions(owner).await > 0 {
        assert!(
            std::time::Instant::now() < until,
            "members' sessions stay open on the hub"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Asserts the feed is whole: positions 1..n with no hole, each change once.
pub fn assert_feed_whole(feed: &[(i64, String)]) {
    for (i, (pos, _)) in feed.iter().enumerate() {
        assert_eq!(*pos, i as i64 + 1, "the feed has a hole before {pos}");
    }
    let ids: std::collections::HashSet<&String> = feed.iter().map(|(_, c)| c).collect();
    assert_eq!(ids.len(), feed.len(), "a change is on the hub twice");
}

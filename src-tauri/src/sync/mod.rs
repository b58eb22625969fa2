//! Team sync through the team's own PostgreSQL (DESIGN §3.7): every signed record written
//! here enters the outbox (a trigger, so no write path forgets it), a push sends the outbox
//! and records the hub's answer per change (applied or duplicate: sent; rejected: parked
//! with its reason, never blocking the rest), and a pull applies the hub's feed and moves
//! the checkpoint in the same local transaction.
pub mod admin;
pub mod config;
pub mod hub;
pub mod payload;

use chrono::Utc;
use serde::Serialize;
use specta::Type;

use crate::db::{self, ts, Db};
use crate::error::AppResult;
use hub::{HubAddress, OutgoingChange};

/// Most changes sent in one push call, and most payload bytes (a bulk write of 100k
/// contacts is one change and goes alone).
const PUSH_CHANGES: usize = 1000;
const PUSH_BYTES: usize = 8 << 20;
/// Most changes applied per pull call and local transaction.
const PULL_CHANGES: i32 = 2000;

/// What one sync did.
#[derive(Debug, Clone, Default, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct SyncReport {
    pub pushed: u32,
    pub duplicates: u32,
    pub rejected: u32,
    pub pulled: u32,
    pub waiting: u32,
}

/// A change the hub refused, with its reason.
#[derive(Debug, Clone, Serialize, Type, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct RejectedChange {
    pub change_id: String,
    pub kind: String,
    pub record_id: String,
    pub reason: String,
    pub written_at: String,
    pub rejected_at: String,
}

/// The state of sync on this laptop, for `playbook sync status` and the window.
#[derive(Debug, Clone, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct SyncStatus {
    /// Whether this laptop has joined a hub.
    pub joined: bool,
    pub hub: Option<String>,
    pub last_synced_at: Option<String>,
    /// Changes written here that the hub has not confirmed yet.
    pub waiting: u32,
    pub rejected: Vec<RejectedChange>,
    /// The hub's feed position applied last.
    pub checkpoint: String,
    /// Why the last sync failed (offline, refused), if it did.
    pub last_error: Option<String>,
}

async fn state(conn: &mut db::Conn, key: &str) -> AppResult<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT value FROM sync_state WHERE key = ?")
            .bind(key)
            .fetch_optional(conn)
            .await?,
    )
}

async fn set_state(conn: &mut db::Conn, key: &str, value: &str) -> AppResult<()> {
    sqlx::query("INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        .bind(key)
        .bind(value)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn status(db: &Db, hub: Option<String>) -> AppResult<SyncStatus> {
    let mut conn = db.acquire().await?;
    let waiting: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sync_outbox WHERE status = 'pending'")
            .fetch_one(&mut *conn)
            .await?;
    let rejected = sqlx::query_as(
        "SELECT change_id, kind, record_id, coalesce(reason, '') AS reason, created_at AS written_at,
                coalesce(settled_at, '') AS rejected_at
         FROM sync_outbox WHERE status = 'rejected' ORDER BY seq",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(SyncStatus {
        joined: hub.is_some(),
        hub,
        last_synced_at: state(&mut conn, "last_synced_at").await?,
        waiting: u32::try_from(waiting).unwrap_or(u32::MAX),
        rejected,
        checkpoint: state(&mut conn, "checkpoint")
            .await?
            .unwrap_or_else(|| "0".into()),
        last_error: state(&mut conn, "last_error").await?,
    })
}

/// Gives every waiting change its payload and hash, once: a retry sends exactly what the
/// first attempt sent, so the hub can tell a duplicate from a different change.
async fn materialise(db: &Db) -> AppResult<()> {
    loop {
        let mut tx = db::write(db).await?;
        let todo: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT seq, kind, record_id FROM sync_outbox
             WHERE status = 'pending' AND payload IS NULL ORDER BY seq LIMIT 500",
        )
        .fetch_all(&mut *tx)
        .await?;
        if todo.is_empty() {
            return Ok(());
        }
        for (seq, kind, record_id) in todo {
            match payload::build(&mut tx, &kind, &record_id).await? {
                Some(p) => {
                    sqlx::query(
                        "UPDATE sync_outbox SET payload = ?, payload_hash = ? WHERE seq = ?",
                    )
                    .bind(&p)
                    .bind(payload::hash(&p))
                    .bind(seq)
                    .execute(&mut *tx)
                    .await?;
                }
                None => {
                    sqlx::query("UPDATE sync_outbox SET status = 'rejected', reason = 'the record is no longer in this workspace', settled_at = ? WHERE seq = ?")
                        .bind(ts(Utc::now()))
                        .bind(seq)
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        tx.commit().await?;
    }
}

/// Sends the outbox; returns (applied, duplicates, rejected).
async fn push_all(
    db: &Db,
    conn: &mut sqlx::PgConnection,
    limit: std::time::Duration,
) -> AppResult<(u32, u32, u32)> {
    materialise(db).await?;
    let (mut applied, mut dups, mut rejected) = (0, 0, 0);
    let mut after = 0i64;
    loop {
        let rows: Vec<(i64, String, String, String, String, String)> = sqlx::query_as(
            "SELECT seq, change_id, kind, record_id, payload, payload_hash FROM sync_outbox
             WHERE status = 'pending' AND payload IS NOT NULL AND seq > ? ORDER BY seq LIMIT ?",
        )
        .bind(after)
        .bind(PUSH_CHANGES as i64)
        .fetch_all(db)
        .await?;
        if rows.is_empty() {
            return Ok((applied, dups, rejected));
        }
        let mut batch = Vec::new();
        let mut bytes = 0;
        for r in &rows {
            if !batch.is_empty() && bytes + r.4.len() > PUSH_BYTES {
                break;
            }
            bytes += r.4.len();
            after = r.0;
            batch.push(OutgoingChange {
                change_id: &r.1,
                kind: &r.2,
                record_id: &r.3,
                payload: &r.4,
                payload_hash: &r.5,
            });
        }
        let answers = hub::bounded(limit, "a push", hub::push(conn, &batch)).await?;
        // The hub has committed: record its answer. Killed before this commit, the next
        // push sends the same changes again and the hub answers "duplicate".
        let mut tx = db::write(db).await?;
        let now = ts(Utc::now());
        for a in answers {
            let (status, reason) = match a.status.as_str() {
                "applied" => {
                    applied += 1;
                    ("sent", None)
                }
                "duplicate" => {
                    dups += 1;
                    ("sent", None)
                }
                _ => {
                    rejected += 1;
                    ("rejected", a.reason)
                }
            };
            sqlx::query("UPDATE sync_outbox SET status = ?, reason = ?, settled_at = ? WHERE change_id = ? AND status = 'pending'")
                .bind(status)
                .bind(reason)
                .bind(&now)
                .bind(&a.change_id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    }
}

/// Applies the hub's feed after the checkpoint; returns how many changes it applied.
async fn pull_all(
    db: &Db,
    conn: &mut sqlx::PgConnection,
    limit: std::time::Duration,
) -> AppResult<u32> {
    let mut pulled = 0;
    loop {
        let after: i64 = {
            let mut c = db.acquire().await?;
            state(&mut c, "checkpoint")
                .await?
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        let feed = hub::bounded(limit, "a pull", hub::pull(conn, after, PULL_CHANGES)).await?;
        let Some(last) = feed.last().map(|c| c.pos) else {
            return Ok(pulled);
        };
        // A replica takes what the hub holds even when a row's counterpart is missing (a
        // record the hub rejected, say): foreign keys are off for this transaction, so a
        // pull never gets stuck, and `playbook verify` reports such rows as missing their
        // counterpart, as it does for rows deleted behind Playbook's back.
        db::refuse_if_read_only()?;
        let mut local = db.acquire().await?;
        sqlx::query("PRAGMA foreign_keys = OFF")
            .execute(&mut *local)
            .await?;
        let applied = apply_batch(&mut local, &feed, last).await;
        let restored = sqlx::query("PRAGMA foreign_keys = ON")
            .execute(&mut *local)
            .await;
        if restored.is_err() {
            local.close_on_drop();
        }
        applied?;
        pulled += feed.len() as u32;
    }
}

/// Applies one batch of the feed and moves the checkpoint, in one local transaction.
async fn apply_batch(local: &mut db::Conn, feed: &[hub::FeedChange], last: i64) -> AppResult<()> {
    let mut tx = sqlx::Connection::begin_with(local, "BEGIN IMMEDIATE").await?;
    sqlx::query("INSERT INTO sync_applying (one) VALUES (1)")
        .execute(&mut *tx)
        .await?;
    let columns = payload::Columns::load(&mut tx).await?;
    let mut touched = payload::Touched::default();
    for change in feed {
        if payload::hash(&change.payload) != change.payload_hash {
            return Err(crate::error::AppError::new(
                crate::error::ErrorCode::Tampered,
                format!(
                    "change {} from the hub does not match its hash; nothing was applied",
                    change.change_id
                ),
            ));
        }
        // A change this laptop wrote is here already, its projections with it: the feed
        // brings it back only to move the checkpoint past it.
        let ours: Option<i64> = sqlx::query_scalar("SELECT 1 FROM sync_outbox WHERE change_id = ?")
            .bind(&change.change_id)
            .fetch_optional(&mut *tx)
            .await?;
        if ours.is_some() {
            continue;
        }
        payload::apply(
            &mut tx,
            &columns,
            &change.kind,
            &change.payload,
            &mut touched,
        )
        .await?;
    }
    refresh(&mut tx, &touched).await?;
    sqlx::query("DELETE FROM sync_applying")
        .execute(&mut *tx)
        .await?;
    set_state(&mut tx, "checkpoint", &last.to_string()).await?;
    tx.commit().await?;
    Ok(())
}

/// Brings the local projections in line with what arrived: the team always; every stage
/// and score when the team, the playbook or a bulk write arrived, else the touched contacts.
async fn refresh(conn: &mut db::Conn, touched: &payload::Touched) -> AppResult<()> {
    crate::team::store::refresh(&mut *conn).await?;
    let now = Utc::now();
    if touched.everything {
        crate::leads::rebuild::stages(&mut *conn).await?;
        crate::leads::rebuild::scores(&mut *conn, now).await?;
    } else if !touched.contacts.is_empty() {
        let ledger = crate::handoffs::store::Ledger::load(&mut *conn).await?;
        let ids: Vec<String> = touched.contacts.iter().cloned().collect();
        for id in &ids {
            crate::handoffs::store::refresh_stage(&mut *conn, &ledger, id).await?;
        }
        crate::leads::scores::refresh(&mut *conn, &ledger.pb, &ids, now).await?;
    }
    refresh_records(conn, touched, now).await
}

/// Re-folds the content assets, meetings and merged contacts whose records arrived.
async fn refresh_records(
    conn: &mut db::Conn,
    touched: &payload::Touched,
    now: chrono::DateTime<Utc>,
) -> AppResult<()> {
    if !touched.assets.is_empty() {
        let tax = crate::content::taxonomy::Taxonomy::load(&mut *conn, now).await?;
        for asset in &touched.assets {
            crate::content::write::reproject(&mut *conn, asset, &tax).await?;
        }
    }
    if touched.meeting_entities.is_empty() && touched.merged.is_empty() {
        return Ok(());
    }
    let roster = crate::team::records::roster(&mut *conn).await?;
    use crate::meetings::records::Entity;
    // Meetings before what hangs off them.
    for entity in [
        Entity::Meeting,
        Entity::AgendaItem,
        Entity::Decision,
        Entity::ActionItem,
    ] {
        for (_, id) in touched
            .meeting_entities
            .iter()
            .filter(|(e, _)| e == entity.as_str())
        {
            crate::meetings::store::project(&mut *conn, &roster, entity, id).await?;
        }
    }
    for duplicate in &touched.merged {
        crate::leads::merge::project(&mut *conn, &roster, duplicate).await?;
    }
    Ok(())
}

/// One push, then one pull, with the hub at `hub`.
pub async fn sync_once(db: &Db, hub: &HubAddress) -> AppResult<SyncReport> {
    let mut conn = hub::connect(hub).await?;
    let result = async {
        let (pushed, duplicates, rejected) = push_all(db, &mut conn, hub.timeout).await?;
        let pulled = pull_all(db, &mut conn, hub.timeout).await?;
        AppResult::Ok((pushed, duplicates, rejected, pulled))
    }
    .await;
    hub::close(conn).await;
    let (pushed, duplicates, rejected, pulled) = result?;
    let mut tx = db::write(db).await?;
    set_state(&mut tx, "last_synced_at", &ts(Utc::now())).await?;
    tx.commit().await?;
    let waiting = status(db, None).await?.waiting;
    Ok(SyncReport {
        pushed,
        duplicates,
        rejected,
        pulled,
        waiting,
    })
}

/// Whether this workspace holds the demo data, which never leaves the laptop.
pub async fn holds_demo(db: &Db) -> AppResult<bool> {
    let mut conn = db.acquire().await?;
    Ok(state(&mut conn, "demo").await?.as_deref() == Some("true"))
}

fn demo_stays_home() -> crate::error::AppError {
    crate::error::AppError::not_allowed(
        "this workspace holds the demo data, which stays on this laptop; join the team's hub from a fresh data directory (--data-dir)",
    )
}

/// One push and pull as the member `signer` whose laptop joined the hub in `config`.
pub async fn sync_as(
    db: &Db,
    config: &config::HubConfig,
    signer: &crate::trust::Signer,
) -> AppResult<SyncReport> {
    if holds_demo(db).await? {
        return Err(demo_stays_home());
    }
    let result = sync_once(db, &config.address(signer)?).await;
    // Kept for the status line ("offline since …"); a success clears it.
    let mut tx = db::write(db).await?;
    match &result {
        Ok(_) => {
            sqlx::query("DELETE FROM sync_state WHERE key = 'last_error'")
                .execute(&mut *tx)
                .await?;
        }
        Err(e) => {
            set_state(
                &mut tx,
                "last_error",
                &format!("{} ({})", e.message, ts(Utc::now())),
            )
            .await?
        }
    }
    tx.commit().await?;
    result
}

/// `playbook sync join CODE`: a first push and pull with the enrolment's address (on a fresh
/// laptop this brings the whole team, the member's own sealed key with it), then the member
/// proves who they are and the link is kept, their hub password sealed under their key.
pub async fn join(
    db: &Db,
    data_dir: &std::path::Path,
    enrolment: &admin::Enrolment,
    unlock: impl AsyncFnOnce(&Db, &str) -> AppResult<crate::trust::Signer>,
) -> AppResult<SyncReport> {
    if holds_demo(db).await? {
        return Err(demo_stays_home());
    }
    let report = sync_once(db, &enrolment.address()).await?;
    let signer = unlock(db, &enrolment.email).await?;
    if signer.member_id != enrolment.member_id {
        return Err(crate::error::AppError::not_allowed(format!(
            "the enrolment code is for another member than {}",
            enrolment.email
        )));
    }
    config::save(data_dir, &config::from_enrolment(enrolment, &signer)?)?;
    Ok(report)
}

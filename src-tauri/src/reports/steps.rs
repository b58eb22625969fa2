//! The reports' projection of the handoff log: every contact's applied steps (attempts
//! aside) as `handoffs::replay` folds them through the stage definitions in force at each
//! event's time, kept in `report_steps` keyed by time, so a report reads one period as one
//! range instead of folding a million events.
//!
//! It is a local cache, refreshed before every report: contacts whose log grew are folded
//! again; a playbook or team change folds again the contacts with events from the earliest
//! time it can change (a new first version of an item, which applies to everything before
//! it, or a change in `verify`'s findings rebuild everything). A test checks that a
//! refreshed projection always equals a fresh build.
use std::collections::{BTreeMap, HashSet};

use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::bulk::{Bulk, Cell};
use crate::db::{self, Conn, Db};
use crate::error::AppResult;
use crate::handoffs::records::{EventRecord, COLUMNS};
use crate::handoffs::replay::{replay, Outcome};
use crate::handoffs::store::Ledger;
use crate::handoffs::EventKind;

/// One applied step of a contact's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub contact_id: String,
    /// Milliseconds since the epoch.
    pub at: i64,
    /// Its place in the contact's fold.
    pub seq: u32,
    pub kind: EventKind,
    /// The stage before (none for the contact's first event) and after.
    pub from: Option<String>,
    pub to: String,
    pub actor_id: Option<String>,
    pub reason: Option<String>,
}

impl Step {
    /// Whether the contact changed stage (a first event enters its first stage).
    pub fn moved(&self) -> bool {
        self.from.as_deref() != Some(self.to.as_str())
    }
}

/// What the projection was last built from. Counts and largest rowids of append-only
/// tables say cheaply whether anything changed; the agreed versions say what.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Marks {
    /// Bumped when what a step holds changes, so an older projection is rebuilt.
    format: u32,
    events: i64,
    members: i64,
    versions: i64,
    signoffs: i64,
    tampered: String,
    /// Agreed versions per `kind/key`: (effective time, version id), oldest first.
    playbook: BTreeMap<String, Vec<(String, String)>>,
}

const FORMAT: u32 = 1;
const STATE_KEY: &str = "report_steps";

async fn cheap_marks(conn: &mut Conn) -> AppResult<Marks> {
    let (events, members, versions, signoffs, tampered): (i64, i64, i64, i64, String) =
        sqlx::query_as(
            "SELECT (SELECT coalesce(max(rowid), 0) FROM handoff_events),
                    (SELECT coalesce(max(rowid), 0) FROM member_records),
                    (SELECT count(*) FROM agreement_versions),
                    (SELECT count(*) FROM agreement_signoffs),
                    (SELECT count(*) || ':' || coalesce(max(found_at), '') FROM tampered)",
        )
        .fetch_one(conn)
        .await?;
    Ok(Marks {
        format: FORMAT,
        events,
        members,
        versions,
        signoffs,
        tampered,
        playbook: BTreeMap::new(),
    })
}

async fn stored_marks(conn: &mut Conn) -> AppResult<Option<Marks>> {
    let text: Option<String> =
        sqlx::query_scalar("SELECT value FROM projection_state WHERE key = ?")
            .bind(STATE_KEY)
            .fetch_optional(conn)
            .await?;
    Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
}

fn same_counts(a: &Marks, b: &Marks) -> bool {
    (
        a.format,
        a.events,
        a.members,
        a.versions,
        a.signoffs,
        &a.tampered,
    ) == (
        b.format,
        b.events,
        b.members,
        b.versions,
        b.signoffs,
        &b.tampered,
    )
}

/// The agreed versions of every item, by effective time.
fn playbook_marks(
    items: &[crate::agreements::AgreementItem],
) -> BTreeMap<String, Vec<(String, String)>> {
    items
        .iter()
        .filter_map(|item| {
            let mut list: Vec<(String, String)> = item
                .versions
                .iter()
                .filter_map(|v| v.effective_at.clone().map(|at| (at, v.id.clone())))
                .collect();
            list.sort();
            (!list.is_empty()).then(|| (format!("{}/{}", item.kind.as_str(), item.key), list))
        })
        .collect()
}

/// What a refresh must fold again.
#[derive(Debug, PartialEq, Eq)]
enum Scope {
    Nothing,
    Everything,
    /// Contacts with events stored after this rowid, and (if set) with events at or after
    /// this time.
    Since {
        rowid: i64,
        at: Option<String>,
    },
}

/// The earliest time a change of agreed versions can affect, or `None` when a first
/// version changed (it applies to all history before it, so everything is affected).
fn playbook_change(
    old: &BTreeMap<String, Vec<(String, String)>>,
    new: &BTreeMap<String, Vec<(String, String)>>,
) -> Result<Option<String>, ()> {
    let mut earliest: Option<String> = None;
    let keys: HashSet<&String> = old.keys().chain(new.keys()).collect();
    for key in keys {
        let (a, b) = (
            old.get(key).map_or(&[][..], Vec::as_slice),
            new.get(key).map_or(&[][..], Vec::as_slice),
        );
        let Some(i) = (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i)) else {
            continue;
        };
        if i == 0 {
            return Err(());
        }
        let at = [a.get(i), b.get(i)]
            .into_iter()
            .flatten()
            .map(|(at, _)| at.clone())
            .min()
            .expect("one side has a version at the first difference");
        if earliest.as_ref().is_none_or(|e| at < *e) {
            earliest = Some(at);
        }
    }
    Ok(earliest)
}

async fn scope(conn: &mut Conn, old: Option<&Marks>, now: &Marks) -> AppResult<Scope> {
    let Some(old) = old else {
        return Ok(Scope::Everything);
    };
    if old.format != now.format || old.tampered != now.tampered {
        return Ok(Scope::Everything);
    }
    if same_counts(old, now) && old.playbook == now.playbook {
        return Ok(Scope::Nothing);
    }
    let mut at = match playbook_change(&old.playbook, &now.playbook) {
        Ok(at) => at,
        Err(()) => return Ok(Scope::Everything),
    };
    if now.members != old.members {
        // A member record (its time may be in the past, as one arriving from another
        // laptop) changes who could do what from its time on.
        let earliest: Option<String> =
            sqlx::query_scalar("SELECT min(at) FROM member_records WHERE rowid > ?")
                .bind(old.members)
                .fetch_one(&mut *conn)
                .await?;
        match earliest {
            Some(e) if at.as_ref().is_none_or(|a| e < *a) => at = Some(e),
            _ => {}
        }
        if now.members < old.members {
            return Ok(Scope::Everything);
        }
    }
    Ok(Scope::Since {
        rowid: old.events,
        at,
    })
}

/// Brings the projection up to date with the log; cheap when nothing changed.
pub async fn refresh(db: &Db) -> AppResult<()> {
    {
        let mut conn = db.acquire().await?;
        let now = cheap_marks(&mut conn).await?;
        if let Some(old) = stored_marks(&mut conn).await? {
            if same_counts(&old, &now) {
                return Ok(());
            }
        }
    }
    let mut tx = db::write(db).await?;
    // Another process may have refreshed while this one waited for the write lock.
    let mut now = cheap_marks(&mut tx).await?;
    let old = stored_marks(&mut tx).await?;
    if old.as_ref().is_some_and(|o| same_counts(o, &now)) {
        return Ok(());
    }
    let items = crate::agreements::store::load_items(&mut tx, None, Utc::now()).await?;
    now.playbook = playbook_marks(&items);
    match scope(&mut tx, old.as_ref(), &now).await? {
        Scope::Nothing => {}
        Scope::Everything => rebuild(&mut tx).await?,
        Scope::Since { rowid, at } => {
            let mut ids: Vec<String> = sqlx::query_scalar(
                "SELECT DISTINCT contact_id FROM handoff_events WHERE rowid > ?",
            )
            .bind(rowid)
            .fetch_all(&mut *tx)
            .await?;
            if let Some(at) = at {
                ids.extend(
                    sqlx::query_scalar::<_, String>(
                        "SELECT DISTINCT contact_id FROM handoff_events WHERE at >= ?",
                    )
                    .bind(at)
                    .fetch_all(&mut *tx)
                    .await?,
                );
            }
            ids.sort();
            ids.dedup();
            let contacts: i64 =
                sqlx::query_scalar("SELECT count(*) FROM contacts WHERE deleted_at IS NULL")
                    .fetch_one(&mut *tx)
                    .await?;
            // Past a fifth of the contacts, reading the whole log in order is cheaper.
            if ids.len() as i64 > contacts / 5 {
                rebuild(&mut tx).await?;
            } else {
                let ledger = Ledger::load(&mut tx).await?;
                for chunk in ids.chunks(CHUNK) {
                    refold(&mut tx, &ledger, chunk, true).await?;
                }
            }
        }
    }
    sqlx::query(
        "INSERT INTO projection_state (key, value) VALUES (?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(STATE_KEY)
    .bind(serde_json::to_string(&now).expect("marks serialise"))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// How many contacts are read and folded at a time.
const CHUNK: usize = 2000;

/// Folds every contact again from scratch.
async fn rebuild(conn: &mut Conn) -> AppResult<()> {
    sqlx::query("DELETE FROM report_steps")
        .execute(&mut *conn)
        .await?;
    let ledger = Ledger::load(&mut *conn).await?;
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT contact_id FROM handoff_events ORDER BY contact_id")
            .fetch_all(&mut *conn)
            .await?;
    for chunk in ids.chunks(CHUNK) {
        refold(&mut *conn, &ledger, chunk, false).await?;
    }
    Ok(())
}

/// Folds these contacts (sorted ids) again and replaces their steps. A run of ids that
/// are neighbours among all contacts with events (a rebuild) is read as one range of the
/// log's index; scattered ids one by one.
async fn refold(
    conn: &mut Conn,
    ledger: &Ledger,
    ids: &[String],
    scattered: bool,
) -> AppResult<()> {
    let (Some(first), Some(last)) = (ids.first(), ids.last()) else {
        return Ok(());
    };
    let mut records: Vec<EventRecord> = Vec::new();
    if scattered {
        for id in ids {
            records.extend(crate::handoffs::records::of_contact(&mut *conn, id).await?);
            sqlx::query("DELETE FROM report_steps WHERE contact_id = ?")
                .bind(id)
                .execute(&mut *conn)
                .await?;
        }
    } else {
        records = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM handoff_events WHERE contact_id BETWEEN ? AND ?
             ORDER BY contact_id, at, id"
        )))
        .bind(first)
        .bind(last)
        .fetch_all(&mut *conn)
        .await?;
    }
    let mut logs: Vec<&[EventRecord]> = Vec::new();
    let mut start = 0;
    for i in 1..=records.len() {
        if i == records.len() || records[i].contact_id != records[start].contact_id {
            logs.push(&records[start..i]);
            start = i;
        }
    }
    let steps = fold_all(&logs, ledger);
    let bulk = Bulk::lock(&mut *conn).await?;
    let mut insert = bulk.inserter(
        "report_steps",
        &[
            "at",
            "contact_id",
            "seq",
            "kind",
            "from_stage",
            "to_stage",
            "actor_id",
            "reason",
        ],
    )?;
    for s in &steps {
        insert.row(&[
            Cell::Int(s.at),
            Cell::Text(&s.contact_id),
            Cell::Int(i64::from(s.seq)),
            Cell::Text(s.kind.as_str()),
            s.from.as_deref().into(),
            Cell::Text(&s.to),
            s.actor_id.as_deref().into(),
            s.reason.as_deref().into(),
        ])?;
    }
    Ok(())
}

/// Folds contacts' logs (each in (time, id) order) on every core: each contact is
/// independent.
fn fold_all(logs: &[&[EventRecord]], ledger: &Ledger) -> Vec<Step> {
    let cores = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8);
    let share = logs.len().div_ceil(cores).max(1);
    let ctx = ledger.context();
    std::thread::scope(|scope| {
        let ctx = &ctx;
        let workers: Vec<_> = logs
            .chunks(share)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .flat_map(|log| steps_of(log, ctx))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a fold never panics"))
            .collect()
    })
}

/// One contact's applied steps.
pub fn steps_of(log: &[EventRecord], ctx: &crate::handoffs::replay::Context<'_>) -> Vec<Step> {
    let (outcomes, _) = replay(log, ctx);
    let mut order: Vec<usize> = (0..log.len()).collect();
    order.sort_by(|&a, &b| (&log[a].at, &log[a].id).cmp(&(&log[b].at, &log[b].id)));
    let mut steps = Vec::new();
    for (seq, i) in order.into_iter().enumerate() {
        let (r, Outcome::Applied(d)) = (&log[i], &outcomes[i]) else {
            continue;
        };
        let Some(kind) = EventKind::parse(&r.kind) else {
            continue;
        };
        if kind == EventKind::Attempt {
            continue;
        }
        let Ok(at) = db::parse_ts("at", &r.at) else {
            continue;
        };
        steps.push(Step {
            contact_id: r.contact_id.clone(),
            at: at.timestamp_millis(),
            seq: seq as u32,
            kind,
            from: d.from.clone(),
            to: d.to.clone(),
            actor_id: r.actor_id.clone(),
            reason: r.reason.clone(),
        });
    }
    steps
}

/// The steps of live contacts between two instants (ms, `to` excluded), ordered by
/// contact, then time. Read through the raw handle: a month at 100k contacts is tens of
/// thousands of rows, and decoding each into an owned sqlx row first cost most of a report.
pub async fn between(conn: &mut Conn, from: i64, to: i64) -> AppResult<Vec<Step>> {
    let mut steps = Vec::new();
    let bulk = Bulk::lock(&mut *conn).await?;
    bulk.each_row(
        "SELECT s.at, s.contact_id, s.seq, s.kind, s.from_stage, s.to_stage, s.actor_id, s.reason
         FROM report_steps s
         WHERE s.at >= ? AND s.at < ?
           AND NOT EXISTS (SELECT 1 FROM contacts c WHERE c.id = s.contact_id AND c.deleted_at IS NOT NULL)",
        &[Cell::Int(from), Cell::Int(to)],
        |row| {
            let (Ok(seq), Some(kind)) = (u32::try_from(row.int(2)), row.text(3).and_then(EventKind::parse)) else {
                return;
            };
            steps.push(Step {
                contact_id: row.text(1).unwrap_or_default().to_string(),
                at: row.int(0),
                seq,
                kind,
                from: row.text(4).map(str::to_string),
                to: row.text(5).unwrap_or_default().to_string(),
                actor_id: row.text(6).map(str::to_string),
                reason: row.text(7).map(str::to_string),
            });
        },
    )?;
    drop(bulk);
    steps.sort_unstable_by(|a, b| (&a.contact_id, a.at, a.seq).cmp(&(&b.contact_id, b.at, b.seq)));
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn a_later_version_affects_only_what_follows_it() {
        let mut old = BTreeMap::new();
        old.insert("stage/mql".to_string(), list(&[("2026-01-01", "v1")]));
        let mut new = old.clone();
        new.insert(
            "stage/mql".to_string(),
            list(&[("2026-01-01", "v1"), ("2026-11-27", "v2")]),
        );
        assert_eq!(playbook_change(&old, &new), Ok(Some("2026-11-27".into())));
        assert_eq!(playbook_change(&old, &old), Ok(None));
        // A new item's first version applies to all history before it.
        new.insert("reason/x".to_string(), list(&[("2026-11-27", "r1")]));
        assert_eq!(playbook_change(&old, &new), Err(()));
    }
}

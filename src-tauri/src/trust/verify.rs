//! `playbook verify`: re-checks every signed record (members, versions, sign-offs, bulk
//! writes and the rows they cover, each contact's event chain), reports records whose
//! counterpart row is gone, keeps the failures as a local projection (`tampered`) that every
//! fold ignores, and puts the local projections right (the `members` table, cached stages
//! and scores), saying how many it repaired.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;
use specta::Type;

use crate::agreements::records::VersionRecord;
use crate::agreements::store::{self as agreements, Signed};
use crate::agreements::SignoffAction;
use crate::db::{ts, Conn};
use crate::error::AppResult;
use crate::handoffs::records::{EventRecord, COLUMNS};
use crate::handoffs::replay::{event_problem, Context};
use crate::leads::activity_hash;
use crate::leads::store::ActivityRow;
use crate::team::records as members;
use crate::trust::bulk::{self, BulkRecord};
use crate::trust::{keys, Problem, ProblemKind};

/// Loads the workspace's passed signature checks into this process (once per process for
/// a large set; a check missing here is simply done again).
pub async fn preload(conn: &mut Conn) -> AppResult<()> {
    if !keys::preload_due() {
        return Ok(());
    }
    let memos: Vec<String> = sqlx::query_scalar("SELECT memo FROM verified_signatures")
        .fetch_all(conn)
        .await?;
    keys::remember(memos);
    Ok(())
}

/// Keeps the checks that passed since the last call in the workspace's projection (one
/// statement; best effort: a read-only workspace simply checks again next time). A few
/// hundred checks take milliseconds, so smaller sets are not worth a write on a read.
pub async fn persist(conn: &mut Conn) {
    persist_at_least(conn, 500).await
}

async fn persist_at_least(conn: &mut Conn, min: usize) {
    if crate::db::read_only().is_some() {
        return;
    }
    let memos = keys::take_unsaved(min);
    if memos.is_empty() {
        return;
    }
    let list = serde_json::to_string(&memos).expect("memos serialise");
    let _ = sqlx::query(
        "INSERT OR IGNORE INTO verified_signatures (memo) SELECT value FROM json_each(?)",
    )
    .bind(list)
    .execute(conn)
    .await;
}

/// `playbook verify`: checks everything in one write transaction (the findings are stored,
/// the projections repaired). A damaged workspace (opened read-only) is checked without
/// writing, and the report says what SQLite found.
pub async fn run(db: &crate::db::Db) -> AppResult<VerifyReport> {
    if let Some(damage) = crate::db::damage() {
        let mut conn = db.acquire().await?;
        let mut report = match check(&mut conn, Utc::now()).await {
            Ok(r) => r,
            Err(e) => VerifyReport {
                unreadable: Some(e.message),
                ..VerifyReport::default()
            },
        };
        report.damaged = Some(damage.message);
        report.damage_details = damage.details;
        return Ok(report);
    }
    let mut tx = crate::db::write(db).await?;
    let report = verify(&mut tx, Utc::now()).await?;
    tx.commit().await?;
    Ok(report)
}

/// The record ids `playbook verify` found tampered.
pub async fn tampered_ids(conn: &mut Conn) -> AppResult<HashSet<String>> {
    Ok(
        sqlx::query_scalar::<_, String>("SELECT record_id FROM tampered")
            .fetch_all(conn)
            .await?
            .into_iter()
            .collect(),
    )
}

/// One record that does not verify.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Failure {
    pub table: String,
    pub record_id: String,
    /// What the record is, in words (`stage/mql@3`, `event accepted of contact …`).
    pub label: String,
    /// Tampered, genuine but not authorised, or referring to a row that is gone.
    pub kind: ProblemKind,
    pub problem: String,
}

/// What `verify` put right in the local projections.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Repairs {
    /// Rows of the `members` table that disagreed with the signed member records.
    pub members: u32,
    /// Contacts whose cached stage disagreed with the fold of their log.
    pub stages: u32,
    pub scores: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct VerifyReport {
    pub members: u32,
    pub versions: u32,
    pub signoffs: u32,
    pub bulks: u32,
    pub events: u32,
    pub activities: u32,
    pub failures: Vec<Failure>,
    pub repaired: Repairs,
    /// Set when the workspace file is damaged: what to do, and SQLite's findings.
    pub damaged: Option<String>,
    pub damage_details: Vec<String>,
    /// Set when the records could not be read at all (a damaged file).
    pub unreadable: Option<String>,
}

/// Checks everything from scratch (ignoring earlier findings), stores the failures for the
/// folds, and repairs the projections (members, cached stages and scores). Run in one
/// transaction.
pub async fn verify(conn: &mut Conn, now: DateTime<Utc>) -> AppResult<VerifyReport> {
    // Nothing remembered counts here: every signature is checked again, and the projection
    // of passed checks is rebuilt from this run.
    keys::forget();
    sqlx::query("DELETE FROM verified_signatures")
        .execute(&mut *conn)
        .await?;
    let (mut report, content_assets) = check_all(&mut *conn, now).await?;
    persist_at_least(&mut *conn, 1).await;
    // Keep the findings for the folds; put the projections right.
    let before = tampered_ids(&mut *conn).await?;
    let after: HashSet<String> = report
        .failures
        .iter()
        .map(|f| f.record_id.clone())
        .collect();
    if before != after {
        sqlx::query("DELETE FROM tampered")
            .execute(&mut *conn)
            .await?;
        let found = ts(now);
        for f in &report.failures {
            sqlx::query("INSERT OR IGNORE INTO tampered (record_id, table_name, problem, found_at) VALUES (?, ?, ?, ?)")
                .bind(&f.record_id)
                .bind(&f.table)
                .bind(&f.problem)
                .bind(&found)
                .execute(&mut *conn)
                .await?;
        }
        // Content assets whose records changed verdict, or fail, show what verifies.
        let tax = crate::content::taxonomy::Taxonomy::load(&mut *conn, now).await?;
        let mut assets: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT r.asset_id FROM content_records r
             WHERE r.id IN (SELECT value FROM json_each(?))",
        )
        .bind(
            serde_json::to_string(&before.symmetric_difference(&after).collect::<Vec<_>>())
                .expect("ids serialise"),
        )
        .fetch_all(&mut *conn)
        .await?;
        assets.extend(content_assets);
        assets.sort();
        assets.dedup();
        for a in assets {
            crate::content::write::reproject(&mut *conn, &a, &tax).await?;
        }
    }
    report.repaired = Repairs {
        members: crate::team::store::refresh(&mut *conn).await?,
        stages: crate::leads::rebuild::stages(&mut *conn).await?,
        scores: crate::leads::rebuild::scores(&mut *conn, now).await?,
    };
    Ok(report)
}

/// Checks everything from scratch and reports, writing nothing (a candidate backup, a
/// damaged workspace).
pub async fn check(conn: &mut Conn, now: DateTime<Utc>) -> AppResult<VerifyReport> {
    Ok(check_all(conn, now).await?.0)
}

/// The report, and the content assets with a record that fails (their projections follow
/// the findings).
async fn check_all(conn: &mut Conn, now: DateTime<Utc>) -> AppResult<(VerifyReport, Vec<String>)> {
    keys::forget();
    let mut failures = Vec::new();
    let fail = |failures: &mut Vec<Failure>, table: &str, id: &str, label: String, p: Problem| {
        failures.push(Failure {
            table: table.into(),
            record_id: id.into(),
            label,
            kind: p.kind,
            problem: p.text,
        })
    };
    let missing = |text: &str| Problem {
        kind: ProblemKind::Missing,
        text: text.into(),
    };

    // Members.
    let genesis = members::genesis(&mut *conn).await?;
    let member_records = members::all(&mut *conn).await?;
    let labels: HashMap<String, String> = member_records
        .iter()
        .map(|r| {
            (
                r.id.clone(),
                format!(
                    "member {} ({} {})",
                    r.email,
                    r.side.as_str(),
                    r.role.as_str()
                ),
            )
        })
        .collect();
    let n_members = member_records.len() as u32;
    let roster = crate::team::roster::Roster::fold(member_records, genesis.as_deref());
    for (id, why) in &roster.rejected {
        let p = if why.not_authorised {
            Problem::not_authorised(why.why.clone())
        } else {
            Problem::tampered(why.why.clone())
        };
        fail(
            &mut failures,
            "member_records",
            id,
            labels.get(id).cloned().unwrap_or_default(),
            p,
        );
    }
    if genesis.is_none() && n_members > 0 {
        fail(
            &mut failures,
            "workspace",
            "workspace",
            "the workspace's founding record".into(),
            missing("the workspace row naming its founding record is gone; restore a backup"),
        );
    }

    // Versions and sign-offs, each checked on its own; the assembled items give the
    // versions' names (`stage/mql@2`) and the playbook the event folds use.
    let none = HashSet::new();
    let (versions, signoffs) = agreements::records(&mut *conn, None, None).await?;
    let (n_versions, n_signoffs) = (versions.len() as u32, signoffs.len() as u32);
    let references = version_references(&versions);
    let mut version_info: HashMap<String, (Option<String>, String)> = HashMap::new();
    for v in &versions {
        let problem = agreements::version_problem(v, &roster, &none);
        version_info.insert(
            v.id.clone(),
            (
                problem.is_none().then(|| v.hash.clone()).flatten(),
                v.created_at.clone(),
            ),
        );
        if let Some(p) = problem {
            let label = references.get(&v.id).cloned().unwrap_or_default();
            fail(&mut failures, "agreement_versions", &v.id, label, p);
        }
    }
    for s in &signoffs {
        let Some((hash, created_at)) = version_info.get(&s.version_id) else {
            continue;
        };
        let version = Signed {
            hash: hash.as_deref(),
            created_at,
        };
        if let Some(p) = agreements::signoff_problem(s, version, &roster, &none) {
            let label = format!(
                "{} of {} by {}",
                match s.action {
                    SignoffAction::Approved => "approval",
                    SignoffAction::Declined => "decline",
                    _ => "sign-off",
                },
                references.get(&s.version_id).cloned().unwrap_or_default(),
                s.member_id
                    .as_deref()
                    .map_or_else(|| "nobody".to_string(), |m| roster.describe(m))
            );
            fail(&mut failures, "agreement_signoffs", &s.id, label, p);
        }
    }
    let items = agreements::assemble(versions, signoffs, &roster, &none, now);
    // Rows whose counterpart is gone (deleted behind Playbook's back).
    let orphans: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT 'agreement_signoffs', s.id, s.action || ' of version ' || s.version_id
           FROM agreement_signoffs s LEFT JOIN agreement_versions v ON v.id = s.version_id
           WHERE v.id IS NULL
         UNION ALL
         SELECT 'agreement_versions', v.id, 'version ' || v.name || ' of item ' || v.item_id
           FROM agreement_versions v LEFT JOIN agreement_items i ON i.id = v.item_id
           WHERE i.id IS NULL
         UNION ALL
         SELECT 'handoff_events', e.id, 'event ' || e.kind || ' of contact ' || e.contact_id || ' at ' || e.at
           FROM handoff_events e LEFT JOIN contacts c ON c.id = e.contact_id
           WHERE c.id IS NULL
         UNION ALL
         SELECT 'activities', x.id, 'activity ' || x.kind || ' of contact ' || x.contact_id
           FROM activities x LEFT JOIN contacts c ON c.id = x.contact_id
           WHERE c.id IS NULL",
    )
    .fetch_all(&mut *conn)
    .await?;
    for (table, id, label) in orphans {
        let what = match table.as_str() {
            "agreement_signoffs" => "the version it signs is not in this workspace",
            "agreement_versions" => "the playbook item it belongs to is not in this workspace",
            _ => "the contact it belongs to is not in this workspace",
        };
        fail(&mut failures, &table, &id, label, missing(what));
    }

    // Events, contact by contact, and the rows of every bulk write.
    let bulks = bulk::all(&mut *conn).await?;
    let mut bulk_rows: HashMap<String, Vec<String>> = HashMap::new();
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT contact_id FROM handoff_events ORDER BY contact_id")
            .fetch_all(&mut *conn)
            .await?;
    // The bulk check needs all rows first; chains need the bulks' verdicts. So: hash rows
    // per bulk while reading, judge the bulks, then judge each contact's events.
    let mut events_by_contact: Vec<Vec<EventRecord>> = Vec::new();
    let mut n_events = 0u32;
    for chunk in ids.chunks(2000) {
        let list = serde_json::to_string(chunk).expect("ids serialise");
        let rows: Vec<EventRecord> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM handoff_events
             WHERE contact_id IN (SELECT value FROM json_each(?)) ORDER BY contact_id, at, id"
        )))
        .bind(list)
        .fetch_all(&mut *conn)
        .await?;
        n_events += rows.len() as u32;
        for r in &rows {
            if let Some(b) = &r.bulk_id {
                bulk_rows
                    .entry(b.clone())
                    .or_default()
                    .push(r.computed_hash());
            }
        }
        let mut group: Vec<EventRecord> = Vec::new();
        for r in rows {
            if group.last().is_some_and(|g| g.contact_id != r.contact_id) {
                events_by_contact.push(std::mem::take(&mut group));
            }
            group.push(r);
        }
        if !group.is_empty() {
            events_by_contact.push(group);
        }
    }
    let activities: Vec<ActivityRow> = sqlx::query_as(
        "SELECT contact_id, id, kind, at, detail, external_id, bulk_id, hash, actor_id, asset_id, signature FROM activities",
    )
    .fetch_all(&mut *conn)
    .await?;
    let n_activities = activities.len() as u32;
    for row in &activities {
        let (contact, id, kind, at, detail, external, bulk_id, hash, actor, ..) = row;
        if actor.is_some() {
            // Logged by a member (a content send): their own signature covers it.
            if let Some(p) = crate::leads::store::activity_problem(row, Some(&roster)) {
                fail(
                    &mut failures,
                    "activities",
                    id,
                    format!("activity {kind} of contact {contact}"),
                    Problem::tampered(p),
                );
            }
            continue;
        }
        let computed = activity_hash(
            id,
            contact,
            kind,
            at,
            detail,
            external.as_deref(),
            bulk_id.as_deref(),
        );
        let label = || format!("activity {kind} of contact {contact}");
        if hash.as_deref() != Some(computed.as_str()) {
            fail(
                &mut failures,
                "activities",
                id,
                label(),
                Problem::tampered("its content does not match what was signed"),
            );
        }
        match bulk_id {
            Some(b) => bulk_rows.entry(b.clone()).or_default().push(computed),
            None => fail(
                &mut failures,
                "activities",
                id,
                label(),
                Problem::tampered("it is not signed"),
            ),
        }
    }
    // The content library: asset records and risks noted on accounts.
    let mut content_assets: Vec<String> = Vec::new();
    for (id, asset, p) in crate::content::write::failures(&mut *conn, &roster).await? {
        fail(
            &mut failures,
            "content_records",
            &id,
            format!("content asset {asset}"),
            Problem::tampered(p),
        );
        content_assets.push(asset);
    }
    for (id, label, p) in crate::content::risks::failures(&mut *conn, &roster).await? {
        fail(
            &mut failures,
            "account_risk_records",
            &id,
            label,
            Problem::tampered(p),
        );
    }
    let mut valid_bulks = HashSet::new();
    for b in &bulks {
        match bulk_problem(b, bulk_rows.remove(&b.id).unwrap_or_default(), &roster) {
            None => {
                valid_bulks.insert(b.id.clone());
            }
            Some(p) => fail(
                &mut failures,
                "bulk_records",
                &b.id,
                format!("bulk write {} of {} rows at {}", b.kind, b.rows, b.at),
                p,
            ),
        }
    }
    let pb = crate::handoffs::playbook_at::PlaybookHistory::from_items(items);
    let ctx = Context {
        pb: &pb,
        roster: &roster,
        valid_bulks: &valid_bulks,
        tampered: &none,
    };
    for group in &events_by_contact {
        let chain: HashSet<String> = group.iter().filter_map(EventRecord::chain_hash).collect();
        for r in group {
            if let Some(p) = event_problem(r, &ctx, &chain) {
                fail(
                    &mut failures,
                    "handoff_events",
                    &r.id,
                    format!("event {} of contact {} at {}", r.kind, r.contact_id, r.at),
                    p,
                );
            }
        }
    }
    let report = VerifyReport {
        members: n_members,
        versions: n_versions,
        signoffs: n_signoffs,
        bulks: bulks.len() as u32,
        events: n_events,
        activities: n_activities,
        failures,
        ..VerifyReport::default()
    };
    Ok((report, content_assets))
}

/// Each version's name as people use it (`stage/mql@2`): numbered by (time, id) within
/// its item, as every fold numbers them.
fn version_references(versions: &[VersionRecord]) -> HashMap<String, String> {
    let mut order: Vec<&VersionRecord> = versions.iter().collect();
    order.sort_by(|a, b| {
        (&a.item_id, &a.created_at, &a.id).cmp(&(&b.item_id, &b.created_at, &b.id))
    });
    let mut out = HashMap::with_capacity(order.len());
    let mut n = 0;
    let mut item = "";
    for v in order {
        if v.item_id != item {
            item = &v.item_id;
            n = 0;
        }
        n += 1;
        out.insert(v.id.clone(), format!("{}/{}@{n}", v.kind, v.key));
    }
    out
}

fn bulk_problem(
    b: &BulkRecord,
    row_hashes: Vec<String>,
    roster: &crate::team::roster::Roster,
) -> Option<Problem> {
    if row_hashes.len() as i64 != b.rows {
        return Some(Problem::tampered(format!(
            "it signed {} rows; {} are stored",
            b.rows,
            row_hashes.len()
        )));
    }
    let computed = BulkRecord::computed_hash(
        &b.kind,
        &bulk::rows_hash(row_hashes),
        &b.id,
        &b.at,
        &b.signer_id,
    );
    if computed != b.hash {
        return Some(Problem::tampered("its rows do not match what was signed"));
    }
    let Some(signer) = roster.at(&b.signer_id, &b.at) else {
        return Some(roster.off_team(&b.signer_id, &b.at, &b.hash, &b.signature));
    };
    if !keys::verify(&signer.public_key, &b.hash, &b.signature) {
        return Some(Problem::tampered(format!(
            "{}'s signature does not verify",
            signer.email
        )));
    }
    None
}

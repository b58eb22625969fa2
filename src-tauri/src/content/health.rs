//! Library health for the alignment meeting: coverage (buying stage × persona, and a row
//! per risk point, counting published assets, empty cells included), assets past their
//! review date, the most and least sent, and the assets sent to contacts who moved forward
//! in the funnel within 30 days.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use specta::Type;

use super::taxonomy::Taxonomy;
use super::Named;
use crate::agreements::{store, AgreementBody, AgreementKind};
use crate::db::{parse_ts, ts, Conn};
use crate::error::AppResult;

/// How long after a send a step forward counts as following it.
pub const FORWARD_WINDOW_DAYS: i64 = 30;
const LISTED: i64 = 8;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct CoverageCell {
    pub stage: String,
    pub persona: String,
    pub count: u32,
}

/// One risk point across the buying stages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct RiskRow {
    pub risk: String,
    pub name: String,
    /// Published assets answering it, per buying stage (in the stages' order).
    pub counts: Vec<u32>,
    /// Published assets answering it at any stage.
    pub total: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct AssetLine {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub owner_name: Option<String>,
    pub review_by: Option<String>,
    pub sends: u32,
    pub last_sent: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ForwardLine {
    pub id: String,
    pub title: String,
    pub sends: u32,
    /// Contacts it was sent to.
    pub contacts: u32,
    /// Of those, how many moved forward in the funnel within 30 days of a send.
    pub moved_forward: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    pub stages: Vec<Named>,
    pub personas: Vec<Named>,
    /// Every stage × persona pair, empty ones with 0.
    pub cells: Vec<CoverageCell>,
    pub risks: Vec<RiskRow>,
    pub empty_cells: u32,
    pub published: u32,
    pub stale: Vec<AssetLine>,
    pub most_sent: Vec<AssetLine>,
    pub least_sent: Vec<AssetLine>,
    pub moved_forward: Vec<ForwardLine>,
}

async fn pairs(conn: &mut Conn, other: &str) -> AppResult<HashMap<(String, String), u32>> {
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT s.value, o.value, count(*) FROM content_tags s
         JOIN content_tags o ON o.asset_rowid = s.asset_rowid AND o.facet = ?1
         JOIN content_assets a ON a.rowid = s.asset_rowid AND a.status = 'published' AND a.deleted_at IS NULL
         WHERE s.facet = 'stage' GROUP BY 1, 2",
    )
    .bind(other)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(s, o, n)| ((s, o), n as u32))
        .collect())
}

type LineRow = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    i64,
    Option<String>,
);

async fn lines(conn: &mut Conn, filter: &str, order: &str) -> AppResult<Vec<AssetLine>> {
    let sql = format!(
        "SELECT a.id, a.title, a.kind, m.name, a.review_by,
                (SELECT count(*) FROM activities x WHERE x.asset_id = a.id
                   AND NOT EXISTS (SELECT 1 FROM tampered t WHERE t.record_id = x.id)) AS sends,
                (SELECT max(x.at) FROM activities x WHERE x.asset_id = a.id) AS last
         FROM content_assets a LEFT JOIN members m ON m.id = a.owner_id
         WHERE a.status = 'published' AND a.deleted_at IS NULL AND {filter}
         ORDER BY {order} LIMIT {LISTED}"
    );
    let rows: Vec<LineRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, title, kind, owner_name, review_by, sends, last_sent)| AssetLine {
                id,
                title,
                kind,
                owner_name,
                review_by,
                sends: sends as u32,
                last_sent,
            },
        )
        .collect())
}

/// The funnel's main path in force: from the first stage, each stage's first allowed next
/// stage (side stages such as nurture are off it). Rank by key.
async fn funnel_ranks(conn: &mut Conn, now: DateTime<Utc>) -> AppResult<HashMap<String, usize>> {
    let mut stages: Vec<(u32, String, Option<String>)> =
        store::load_items(conn, Some(AgreementKind::Stage), now)
            .await?
            .into_iter()
            .filter_map(|i| match i.in_force.map(|v| v.body) {
                Some(AgreementBody::Stage(s)) => {
                    Some((s.position, i.key, s.allowed_next.first().cloned()))
                }
                _ => None,
            })
            .collect();
    stages.sort();
    let next: HashMap<String, Option<String>> = stages
        .iter()
        .map(|(_, k, n)| (k.clone(), n.clone()))
        .collect();
    let mut ranks = HashMap::new();
    let mut current = stages.first().map(|s| s.1.clone());
    while let Some(k) = current {
        if ranks.contains_key(&k) {
            break;
        }
        ranks.insert(k.clone(), ranks.len());
        current = next.get(&k).cloned().flatten();
    }
    Ok(ranks)
}

async fn moved_forward(conn: &mut Conn, now: DateTime<Utc>) -> AppResult<Vec<ForwardLine>> {
    let ranks = funnel_ranks(&mut *conn, now).await?;
    let sends: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT x.asset_id, a.title, x.contact_id, x.at FROM activities x
         JOIN content_assets a ON a.id = x.asset_id
         WHERE x.asset_id IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM tampered t WHERE t.record_id = x.id)",
    )
    .fetch_all(&mut *conn)
    .await?;
    let events: Vec<(String, String, Option<String>, String)> = sqlx::query_as(
        "SELECT e.contact_id, e.at, e.from_stage, e.to_stage FROM handoff_events e
         WHERE e.contact_id IN (SELECT contact_id FROM activities WHERE asset_id IS NOT NULL)
           AND NOT EXISTS (SELECT 1 FROM tampered t WHERE t.record_id = e.id)",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut forward: HashMap<String, Vec<String>> = HashMap::new();
    for (contact, at, from, to) in events {
        let (Some(f), Some(t)) = (from.and_then(|f| ranks.get(&f).copied()), ranks.get(&to)) else {
            continue;
        };
        if *t > f {
            forward.entry(contact).or_default().push(at);
        }
    }
    let window = Duration::days(FORWARD_WINDOW_DAYS);
    // Per asset: title, sends, contacts sent to, contacts who moved forward.
    type Tally = (String, u32, HashSet<String>, HashSet<String>);
    let mut per: HashMap<String, Tally> = HashMap::new();
    for (asset, title, contact, at) in sends {
        let e = per
            .entry(asset)
            .or_insert_with(|| (title, 0, HashSet::new(), HashSet::new()));
        e.1 += 1;
        e.2.insert(contact.clone());
        let Ok(sent) = parse_ts("at", &at) else {
            continue;
        };
        let until = ts(sent + window);
        if forward
            .get(&contact)
            .is_some_and(|ats| ats.iter().any(|t| *t > at && *t <= until))
        {
            e.3.insert(contact);
        }
    }
    let mut out: Vec<ForwardLine> = per
        .into_iter()
        .map(|(id, (title, sends, contacts, moved))| ForwardLine {
            id,
            title,
            sends,
            contacts: contacts.len() as u32,
            moved_forward: moved.len() as u32,
        })
        .filter(|l| l.moved_forward > 0)
        .collect();
    out.sort_by(|a, b| {
        b.moved_forward
            .cmp(&a.moved_forward)
            .then(b.contacts.cmp(&a.contacts))
            .then(a.title.cmp(&b.title))
    });
    out.truncate(LISTED as usize);
    Ok(out)
}

/// The library's health as of `now`.
pub async fn health(conn: &mut Conn, now: DateTime<Utc>) -> AppResult<Health> {
    let tax = Taxonomy::load(&mut *conn, now).await?;
    let by_persona = pairs(&mut *conn, "persona").await?;
    let by_risk = pairs(&mut *conn, "risk").await?;
    let mut cells = Vec::new();
    for s in &tax.stages {
        for p in &tax.personas {
            cells.push(CoverageCell {
                stage: s.key.clone(),
                persona: p.key.clone(),
                count: by_persona
                    .get(&(s.key.clone(), p.key.clone()))
                    .copied()
                    .unwrap_or(0),
            });
        }
    }
    let totals: HashMap<String, i64> = sqlx::query_as::<_, (String, i64)>(
        "SELECT t.value, count(*) FROM content_tags t
         JOIN content_assets a ON a.rowid = t.asset_rowid AND a.status = 'published' AND a.deleted_at IS NULL
         WHERE t.facet = 'risk' GROUP BY 1",
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .collect();
    let risks = tax
        .risks
        .iter()
        .map(|r| RiskRow {
            risk: r.key.clone(),
            name: r.name.clone(),
            counts: tax
                .stages
                .iter()
                .map(|s| {
                    by_risk
                        .get(&(s.key.clone(), r.key.clone()))
                        .copied()
                        .unwrap_or(0)
                })
                .collect(),
            total: totals.get(&r.key).copied().unwrap_or(0) as u32,
        })
        .collect::<Vec<_>>();
    let empty_cells = cells.iter().filter(|c| c.count == 0).count() as u32
        + risks
            .iter()
            .map(|r| r.counts.iter().filter(|c| **c == 0).count() as u32)
            .sum::<u32>();
    let published: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM content_assets WHERE status = 'published' AND deleted_at IS NULL",
    )
    .fetch_one(&mut *conn)
    .await?;
    let today = now.date_naive().to_string();
    let stale = lines(
        &mut *conn,
        &format!("a.review_by < '{today}'"),
        "a.review_by, a.title",
    )
    .await?;
    let most_sent = lines(&mut *conn, "1", "sends DESC, a.title").await?;
    let least_sent = lines(&mut *conn, "1", "sends ASC, a.title").await?;
    Ok(Health {
        stages: tax.stages.clone(),
        personas: tax.personas.clone(),
        cells,
        risks,
        empty_cells,
        published: published as u32,
        stale,
        most_sent: most_sent.into_iter().filter(|l| l.sends > 0).collect(),
        least_sent,
        moved_forward: moved_forward(&mut *conn, now).await?,
    })
}

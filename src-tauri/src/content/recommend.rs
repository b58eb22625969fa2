//! "What do I send this person, at this stage, against this objection?": published assets
//! ranked by how well they fit a contact's buying stage and persona (from the agreed
//! taxonomy's definitions) and the risks known on the account, each with its reasons.
use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use specta::Type;

use super::risks::{self, AccountRisk};
use super::search::Freshness;
use super::taxonomy::Taxonomy;
use super::Named;
use crate::agreements::taxonomy::competitor_of;
use crate::db::Conn;
use crate::error::AppResult;

/// Weights of a fit: the stage matters most, then answering a known risk, then the persona.
const STAGE: f64 = 3.0;
const RISK: f64 = 2.5;
const PERSONA: f64 = 2.0;
/// A stale asset still shows, below a current one that fits as well.
const STALE: f64 = -1.5;
/// Something this contact already has goes below what they have not seen.
const ALREADY_SENT: f64 = -2.0;
const SHOWN: usize = 8;

#[derive(Debug, Clone, PartialEq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Recommendation {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub media_type: Option<String>,
    pub file_name: Option<String>,
    pub url: Option<String>,
    pub freshness: Freshness,
    pub score: f64,
    /// Why it fits, in words: "decision stage", "economic buyer", "against competitor Acme".
    pub reasons: Vec<String>,
    /// The reasons joined: "decision stage · economic buyer · against competitor Acme".
    pub reason: String,
    /// When it was last sent to this contact (or, on an account, to anyone there).
    pub last_sent: Option<String>,
}

/// What the contact page shows: who the contact is in the taxonomy's terms, and what fits.
#[derive(Debug, Clone, PartialEq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ContactFit {
    pub stage: Option<Named>,
    pub personas: Vec<Named>,
    pub risks: Vec<AccountRisk>,
    pub recommendations: Vec<Recommendation>,
}

/// What the account page shows: its known risks and the assets that answer them.
#[derive(Debug, Clone, PartialEq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct AccountFit {
    pub risks: Vec<AccountRisk>,
    pub recommendations: Vec<Recommendation>,
}

struct Candidate {
    id: String,
    title: String,
    kind: String,
    review_by: Option<String>,
    media_type: Option<String>,
    file_name: Option<String>,
    url: Option<String>,
    stages: Vec<String>,
    personas: Vec<String>,
    risks: Vec<String>,
}

type CandidateRow = (
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
);

/// Published assets tagged with any of these stages, personas or risks.
async fn candidates(
    conn: &mut Conn,
    stages: &[String],
    personas: &[String],
    risks: &[String],
) -> AppResult<Vec<Candidate>> {
    let list = |v: &[String]| serde_json::to_string(v).expect("keys serialise");
    let rows: Vec<CandidateRow> = sqlx::query_as(
        "SELECT a.id, a.title, a.kind, a.review_by, a.media_type, a.file_name, a.url,
                (SELECT group_concat(t.facet || '=' || t.value, char(31)) FROM content_tags t
                 WHERE t.asset_rowid = a.rowid AND t.facet IN ('stage', 'persona', 'risk'))
         FROM content_assets a
         WHERE a.status = 'published' AND a.deleted_at IS NULL AND a.rowid IN (
             SELECT asset_rowid FROM content_tags WHERE facet = 'stage' AND value IN (SELECT value FROM json_each(?1))
             UNION SELECT asset_rowid FROM content_tags WHERE facet = 'persona' AND value IN (SELECT value FROM json_each(?2))
             UNION SELECT asset_rowid FROM content_tags WHERE facet = 'risk' AND value IN (SELECT value FROM json_each(?3)))",
    )
    .bind(list(stages))
    .bind(list(personas))
    .bind(list(risks))
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, title, kind, review_by, media_type, file_name, url, tags)| {
                let mut c = Candidate {
                    id,
                    title,
                    kind,
                    review_by,
                    media_type,
                    file_name,
                    url,
                    stages: vec![],
                    personas: vec![],
                    risks: vec![],
                };
                for t in tags.split('\u{1f}') {
                    match t.split_once('=') {
                        Some(("stage", v)) => c.stages.push(v.into()),
                        Some(("persona", v)) => c.personas.push(v.into()),
                        Some(("risk", v)) => c.risks.push(v.into()),
                        _ => {}
                    }
                }
                c
            },
        )
        .collect())
}

fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if chars.clone().next().is_some_and(|d| d.is_lowercase()) => {
            c.to_lowercase().chain(chars).collect()
        }
        Some(c) => std::iter::once(c).chain(chars).collect(),
        None => String::new(),
    }
}

/// How a risk reads in a reason: "against competitor Acme Cloud", "answers “Budget”".
pub fn risk_reason(key: &str, name: &str) -> String {
    match competitor_of(key) {
        Some(_) => format!("against competitor {name}"),
        None => format!("answers “{}”", lower_first(name)),
    }
}

fn freshness(review_by: &Option<String>, today: NaiveDate) -> Freshness {
    Freshness::of(
        review_by
            .as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()),
        today,
    )
}

/// When each asset was last sent to these contacts.
async fn last_sent(conn: &mut Conn, contact_ids: &[String]) -> AppResult<HashMap<String, String>> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT asset_id, max(at) FROM activities
         WHERE asset_id IS NOT NULL AND contact_id IN (SELECT value FROM json_each(?))
         GROUP BY asset_id",
    )
    .bind(serde_json::to_string(contact_ids).expect("ids serialise"))
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().collect())
}

/// The assets that fit a contact, ranked, with the reasons.
pub async fn for_contact(
    conn: &mut Conn,
    contact_id: &str,
    now: DateTime<Utc>,
) -> AppResult<ContactFit> {
    let c = crate::leads::store::get(&mut *conn, contact_id).await?;
    let tax = Taxonomy::load(&mut *conn, now).await?;
    let stage = tax.stage_of(c.buying_stage, &c.stage).cloned();
    let personas: Vec<Named> = tax
        .personas_of(c.buying_role, &c.title)
        .into_iter()
        .cloned()
        .collect();
    let known = match &c.account {
        Some(a) => risks::of_account(&mut *conn, &a.id, &tax).await?,
        None => vec![],
    };
    let stage_keys: Vec<String> = stage.iter().map(|s| s.key.clone()).collect();
    let persona_keys: Vec<String> = personas.iter().map(|p| p.key.clone()).collect();
    let risk_keys: Vec<String> = known.iter().map(|r| r.risk.clone()).collect();
    let sent = last_sent(&mut *conn, &[contact_id.to_string()]).await?;
    let today = now.date_naive();
    let mut out = Vec::new();
    for a in candidates(&mut *conn, &stage_keys, &persona_keys, &risk_keys).await? {
        let mut score = 0.0;
        let mut reasons = Vec::new();
        if let Some(s) = stage.as_ref().filter(|s| a.stages.contains(&s.key)) {
            score += STAGE;
            reasons.push(format!("{} stage", lower_first(&s.name)));
        }
        if let Some(p) = personas.iter().find(|p| a.personas.contains(&p.key)) {
            score += PERSONA;
            reasons.push(lower_first(&p.name));
        }
        for r in known.iter().filter(|r| a.risks.contains(&r.risk)) {
            score += RISK;
            reasons.push(risk_reason(&r.risk, &r.name));
        }
        let fresh = freshness(&a.review_by, today);
        if fresh == Freshness::Stale {
            score += STALE;
            reasons.push("past its review date".into());
        }
        let last = sent.get(&a.id).cloned();
        if last.is_some() {
            score += ALREADY_SENT;
        }
        out.push(recommendation(a, score, reasons, fresh, last));
    }
    rank(&mut out);
    Ok(ContactFit {
        stage,
        personas,
        risks: known,
        recommendations: out,
    })
}

/// The assets that answer an account's known risks, ranked by the risks they answer and
/// by how many of its buying team they fit.
pub async fn for_account(
    conn: &mut Conn,
    account_id: &str,
    now: DateTime<Utc>,
) -> AppResult<AccountFit> {
    let tax = Taxonomy::load(&mut *conn, now).await?;
    let known = risks::of_account(&mut *conn, account_id, &tax).await?;
    let team = crate::leads::store::people_map(&mut *conn, account_id)
        .await?
        .people;
    let mut fits: Vec<(Option<String>, Vec<String>)> = Vec::new();
    for p in &team {
        let role = p
            .buying_role
            .as_deref()
            .and_then(crate::leads::BuyingRole::parse);
        let bstage = p
            .buying_stage
            .as_deref()
            .and_then(crate::leads::BuyingStage::parse);
        fits.push((
            tax.stage_of(bstage, &p.stage).map(|s| s.key.clone()),
            tax.personas_of(role, &p.title)
                .into_iter()
                .map(|l| l.key.clone())
                .collect(),
        ));
    }
    let risk_keys: Vec<String> = known.iter().map(|r| r.risk.clone()).collect();
    let mut stage_keys: Vec<String> = fits.iter().filter_map(|f| f.0.clone()).collect();
    stage_keys.dedup();
    let persona_keys: Vec<String> = fits.iter().flat_map(|f| f.1.clone()).collect();
    let ids: Vec<String> = team.iter().map(|p| p.id.clone()).collect();
    let sent = last_sent(&mut *conn, &ids).await?;
    let today = now.date_naive();
    let mut out = Vec::new();
    for a in candidates(&mut *conn, &stage_keys, &persona_keys, &risk_keys).await? {
        let answered: Vec<&AccountRisk> =
            known.iter().filter(|r| a.risks.contains(&r.risk)).collect();
        if !known.is_empty() && answered.is_empty() {
            continue;
        }
        let people = fits
            .iter()
            .filter(|(s, p)| {
                s.as_ref().is_some_and(|s| a.stages.contains(s))
                    && p.iter().any(|k| a.personas.contains(k))
            })
            .count();
        let mut score = RISK * answered.len() as f64 + 0.5 * people as f64;
        let mut reasons: Vec<String> = answered
            .iter()
            .map(|r| risk_reason(&r.risk, &r.name))
            .collect();
        if people > 0 {
            reasons.push(format!("fits {people} of {} people", team.len()));
        }
        let fresh = freshness(&a.review_by, today);
        if fresh == Freshness::Stale {
            score += STALE;
            reasons.push("past its review date".into());
        }
        if score <= 0.0 {
            continue;
        }
        let last = sent.get(&a.id).cloned();
        out.push(recommendation(a, score, reasons, fresh, last));
    }
    rank(&mut out);
    Ok(AccountFit {
        risks: known,
        recommendations: out,
    })
}

fn recommendation(
    a: Candidate,
    score: f64,
    reasons: Vec<String>,
    freshness: Freshness,
    last_sent: Option<String>,
) -> Recommendation {
    Recommendation {
        reason: reasons.join(" · "),
        reasons,
        id: a.id,
        title: a.title,
        kind: a.kind,
        media_type: a.media_type,
        file_name: a.file_name,
        url: a.url,
        freshness,
        score,
        last_sent,
    }
}

fn rank(out: &mut Vec<Recommendation>) {
    out.retain(|r| r.score > 0.0);
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.title.cmp(&b.title)));
    out.truncate(SHOWN);
}

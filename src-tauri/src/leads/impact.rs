//! What a proposal would do to today's contacts, before anyone signs it: who would cross
//! the MQL line or fall below it, and (for a stage) who would be overdue. Computed from the
//! stored contacts and activities with the same scoring the cached scores come from.
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use specta::Type;

use super::store;
use crate::agreements::{AgreementBody, AgreementKind, ScoringBody};
use crate::db::{parse_ts, ts, Conn};
use crate::error::AppResult;
use crate::handoffs::playbook_at::PlaybookHistory;
use crate::scoring::explain;

/// How many contacts of each list are sent back (the counts are always complete).
const LISTED: usize = 50;

/// What is previewed: a proposed body, for an existing item or a new one.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ImpactRequest {
    pub item_id: Option<String>,
    pub body: AgreementBody,
}

/// One contact whose standing would change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ImpactContact {
    pub id: String,
    pub name: String,
    pub account_name: Option<String>,
    pub stage: String,
    pub score_before: i32,
    pub score_after: i32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Impact {
    /// Contacts looked at (every live contact).
    pub contacts: u32,
    /// The score a contact needs to count as MQL, now and with the proposal (none when
    /// nothing checkable says so).
    pub threshold_before: Option<u32>,
    pub threshold_after: Option<u32>,
    /// Contacts that would reach the MQL line, and that would fall below it.
    pub crossing: u32,
    pub falling: u32,
    /// The first of them, highest score first.
    pub crossing_list: Vec<ImpactContact>,
    pub falling_list: Vec<ImpactContact>,
    /// For a stage: contacts in it, and how many are overdue now and would be.
    pub in_stage: Option<u32>,
    pub overdue_before: Option<u32>,
    pub overdue_after: Option<u32>,
    /// What the preview could not judge, in words.
    pub notes: Vec<String>,
}

/// The score threshold a stage's entry criteria state, where they state one checkably:
/// "score of at least 65", "score ≥ 65", "65 points or more".
///
/// ```
/// use playbook::leads::impact::stated_threshold;
/// assert_eq!(stated_threshold("Lead score of at least 65 and a stated need"), Some(65));
/// assert_eq!(stated_threshold("Score >= 40"), Some(40));
/// assert_eq!(stated_threshold("A person raised a hand"), None);
/// ```
pub fn stated_threshold(criteria: &str) -> Option<u32> {
    let lower = criteria.to_lowercase();
    let at = lower.find("score")?;
    let rest = &lower[at..];
    let start = rest.find(|c: char| c.is_ascii_digit())?;
    // Only when the words between say "at least" (or ≥): "score below 20" states no entry.
    let between = &rest[..start];
    if !(between.contains("at least") || between.contains('≥') || between.contains(">=")) {
        return None;
    }
    rest[start..]
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// The preview for a proposed body at `now`.
pub async fn preview(
    conn: &mut Conn,
    req: &ImpactRequest,
    now: DateTime<Utc>,
) -> AppResult<Impact> {
    let pb = PlaybookHistory::load(&mut *conn).await?;
    let current_model = pb.scoring_at(now).and_then(|v| match &v.body {
        AgreementBody::Scoring(m) => Some(m.clone()),
        _ => None,
    });
    let item_key: Option<(AgreementKind, String)> = match &req.item_id {
        Some(id) => sqlx::query_as::<_, (String, String)>(
            "SELECT kind, key FROM agreement_items WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .and_then(|(k, key)| AgreementKind::parse(&k).ok().map(|k| (k, key))),
        None => None,
    };
    let mut impact = Impact {
        contacts: sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM contacts INDEXED BY contacts_live_score WHERE deleted_at IS NULL",
        )
        .fetch_one(&mut *conn)
        .await? as u32,
        ..Impact::default()
    };
    match &req.body {
        AgreementBody::Scoring(proposed) => {
            scoring(conn, current_model.as_ref(), proposed, now, &mut impact).await?;
        }
        AgreementBody::Stage(proposed) => {
            let current = item_key.as_ref().and_then(|(_, key)| {
                match pb.at(AgreementKind::Stage, key, now).map(|v| &v.body) {
                    Some(AgreementBody::Stage(s)) => Some(s.clone()),
                    _ => None,
                }
            });
            let model_threshold = current_model.as_ref().map(|m| m.mql_threshold);
            let before = current
                .as_ref()
                .and_then(|s| stated_threshold(&s.entry_criteria));
            let after = stated_threshold(&proposed.entry_criteria);
            if before.is_some() || after.is_some() {
                impact.threshold_before = before.or(model_threshold);
                impact.threshold_after = after.or(model_threshold);
                by_threshold(conn, &mut impact).await?;
            } else {
                impact.notes.push(
                    "The entry criteria state no score threshold, so no contact crosses the MQL line by this change.".into(),
                );
            }
            if let Some((_, key)) = &item_key {
                let in_stage: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM contacts WHERE stage = ? AND deleted_at IS NULL",
                )
                .bind(key)
                .fetch_one(&mut *conn)
                .await?;
                impact.in_stage = Some(in_stage as u32);
                let before = current.as_ref().and_then(|s| s.max_days_in_stage);
                impact.overdue_before = Some(overdue(conn, key, before, now).await?);
                impact.overdue_after =
                    Some(overdue(conn, key, proposed.max_days_in_stage, now).await?);
            }
        }
        AgreementBody::Term(_) => impact
            .notes
            .push("A glossary term changes no contact's stage or score.".into()),
        AgreementBody::Reason(_) => impact.notes.push(
            "A reason changes no contact's stage or score; it changes what people may choose when they record a rejection, recycle, disqualification or loss.".into(),
        ),
        AgreementBody::Sla(_) => impact.notes.push(
            "An SLA changes no contact's stage or score; it changes which hand-overs and follow-ups are measured and by what target. The SLAs screen shows its effect once it is in force.".into(),
        ),
        AgreementBody::BuyingStage(_)
        | AgreementBody::Persona(_)
        | AgreementBody::Risk(_)
        | AgreementBody::AssetKind(_) => impact.notes.push(
            "The content taxonomy changes no contact's stage or score; it changes how assets are tagged and which assets are recommended for a contact.".into(),
        ),
        AgreementBody::BusinessCalendar(_) => impact.notes.push(
            "A business calendar changes no contact's stage or score; it changes when SLA clocks run and so which items are met or breached.".into(),
        ),
    }
    Ok(impact)
}

/// How many contacts of `stage` are in it longer than `days` (none without a maximum).
async fn overdue(
    conn: &mut Conn,
    stage: &str,
    days: Option<u32>,
    now: DateTime<Utc>,
) -> AppResult<u32> {
    let Some(days) = days else { return Ok(0) };
    let cutoff = now
        .checked_sub_signed(Duration::days(days.into()))
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let n: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM contacts WHERE stage = ? AND stage_since <= ? AND deleted_at IS NULL",
    )
    .bind(stage)
    .bind(ts(cutoff))
    .fetch_one(&mut *conn)
    .await?;
    Ok(n as u32)
}

/// Crossing and falling by cached scores against two thresholds (a stage's stated one):
/// the contacts between the two lines change sides.
async fn by_threshold(conn: &mut Conn, impact: &mut Impact) -> AppResult<()> {
    let (Some(before), Some(after)) = (impact.threshold_before, impact.threshold_after) else {
        return Ok(());
    };
    let (lo, hi) = (before.min(after), before.max(after));
    if lo == hi {
        return Ok(());
    }
    let rows: Vec<(String, String, Option<String>, String, i32)> = sqlx::query_as(
        "SELECT c.id, trim(c.first_name || ' ' || c.last_name), a.name, c.stage, c.score
         FROM contacts c LEFT JOIN accounts a ON a.id = c.account_id
         WHERE c.deleted_at IS NULL AND c.score >= ? AND c.score < ?
         ORDER BY c.score DESC, c.id",
    )
    .bind(i64::from(lo))
    .bind(i64::from(hi))
    .fetch_all(&mut *conn)
    .await?;
    let n = rows.len() as u32;
    let listed = rows
        .into_iter()
        .take(LISTED)
        .map(|(id, name, account_name, stage, score)| ImpactContact {
            id,
            name,
            account_name,
            stage,
            score_before: score,
            score_after: score,
        })
        .collect();
    if after < before {
        impact.crossing = n;
        impact.crossing_list = listed;
    } else {
        impact.falling = n;
        impact.falling_list = listed;
    }
    Ok(())
}

/// Every contact scored by the model in force and by the proposed one.
async fn scoring(
    conn: &mut Conn,
    current: Option<&ScoringBody>,
    proposed: &ScoringBody,
    now: DateTime<Utc>,
    impact: &mut Impact,
) -> AppResult<()> {
    impact.threshold_before = current.map(|m| m.mql_threshold);
    impact.threshold_after = Some(proposed.mql_threshold);
    let contacts = store::all(&mut *conn).await?;
    let mut acts = store::all_activities(&mut *conn)
        .await?
        .into_iter()
        .peekable();
    let (mut up, mut down) = (Vec::new(), Vec::new());
    for c in contacts {
        let mut mine = Vec::new();
        while let Some((id, _)) = acts.peek() {
            if *id < c.id {
                acts.next();
            } else if *id == c.id {
                let (_, a) = acts.next().expect("peeked");
                if let Ok(at) = parse_ts("at", &a.at) {
                    mine.push((a.kind, at));
                }
            } else {
                break;
            }
        }
        let profile = store::profile(&c);
        // Both models over the same profile and activities, as the cached score is made.
        let before = current.map(|m| explain(m, "", &profile, &mine, now));
        let after = explain(proposed, "", &profile, &mine, now);
        let (before_total, before_reaches) =
            before.map_or((0, false), |b| (b.total, b.reaches_mql));
        let row = || ImpactContact {
            id: c.id.clone(),
            name: c.name.clone(),
            account_name: c.account.as_ref().map(|a| a.name.clone()),
            stage: c.stage.clone(),
            score_before: before_total,
            score_after: after.total,
        };
        match (before_reaches, after.reaches_mql) {
            (false, true) => up.push(row()),
            (true, false) => down.push(row()),
            _ => {}
        }
    }
    up.sort_by(|a, b| b.score_after.cmp(&a.score_after).then(a.id.cmp(&b.id)));
    down.sort_by(|a, b| b.score_before.cmp(&a.score_before).then(a.id.cmp(&b.id)));
    impact.crossing = up.len() as u32;
    impact.falling = down.len() as u32;
    up.truncate(LISTED);
    down.truncate(LISTED);
    impact.crossing_list = up;
    impact.falling_list = down;
    Ok(())
}

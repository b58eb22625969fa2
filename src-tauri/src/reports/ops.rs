//! What the window, the CLI, the home screen and the agenda call: each report for a
//! period, read from the steps projection (brought up to date first) and the playbook.
use std::collections::HashMap;

use chrono::Utc;

use super::aging::{aging, AgingReport, Standing};
use super::funnel::{funnel, DealFlow, FunnelReport, Money};
use super::period::{self, Period, Span};
use super::reasons::{reasons, ContactInfo, ReasonsReport};
use super::sources::{sources, ContactSource, SourcesReport};
use super::stages::StageBook;
use super::steps::{self, Step};
use super::ReportKind;
use crate::agreements::{AgreementBody, AgreementKind};
use crate::bulk::{Bulk, Cell};
use crate::db::{Conn, Db};
use crate::error::AppResult;
use crate::handoffs::playbook_at::PlaybookHistory;
use crate::leads::store::full_name;

/// What every report reads besides the steps: the playbook by time, the workspace's time
/// zone and the team's names. Loaded once for several reports (the home screen, an agenda).
pub struct Basis {
    pub pb: PlaybookHistory,
    pub zone: chrono_tz::Tz,
    pub members: HashMap<String, String>,
}

impl Basis {
    /// Brings the projection up to date and loads the basis.
    pub async fn load(db: &Db) -> AppResult<Basis> {
        steps::refresh(db).await?;
        let mut conn = db.acquire().await?;
        let members: Vec<(String, String)> = sqlx::query_as("SELECT id, name FROM members")
            .fetch_all(&mut *conn)
            .await?;
        Ok(Basis {
            pb: PlaybookHistory::load(&mut conn).await?,
            zone: period::zone(&mut conn).await?,
            members: members.into_iter().collect(),
        })
    }

    pub fn book(&self) -> StageBook<'_> {
        StageBook::new(&self.pb)
    }

    pub fn span(&self, p: &Period) -> AppResult<Span> {
        p.span(self.zone)
    }

    /// A period from optional ends, today being today in the workspace's zone.
    pub fn period(&self, from: Option<&str>, to: Option<&str>) -> AppResult<Period> {
        Period::resolve(from, to, period::today(self.zone))
    }
}

pub async fn funnel_report(conn: &mut Conn, basis: &Basis, p: &Period) -> AppResult<FunnelReport> {
    let span = basis.span(p)?;
    let steps = steps::between(&mut *conn, span.start, span.end).await?;
    funnel_of(conn, basis, p, &steps).await
}

/// The funnel from steps already read (they may cover more than the period).
pub async fn funnel_of(
    conn: &mut Conn,
    basis: &Basis,
    p: &Period,
    steps: &[Step],
) -> AppResult<FunnelReport> {
    let span = basis.span(p)?;
    let mut report = funnel(steps, &basis.book(), p, span);
    report.deals = deals(conn, steps, p, span).await?;
    Ok(report)
}

/// New contacts, opportunities opened and deals won, where the workspace has opportunities.
async fn deals(
    conn: &mut Conn,
    steps: &[Step],
    p: &Period,
    span: Span,
) -> AppResult<Option<DealFlow>> {
    let any: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM opportunities WHERE deleted_at IS NULL LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?;
    if any.is_none() {
        return Ok(None);
    }
    let (start, end) = (super::time_text(span.start), super::time_text(span.end));
    let opened: Vec<(String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT currency, count(*), sum(amount_minor) FROM opportunities
         WHERE deleted_at IS NULL AND created_at >= ? AND created_at < ? GROUP BY currency ORDER BY currency",
    )
    .bind(&start)
    .bind(&end)
    .fetch_all(&mut *conn)
    .await?;
    let won: Vec<(String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT currency, count(*), sum(amount_minor) FROM opportunities
         WHERE deleted_at IS NULL AND status = 'won' AND close_date >= ? AND close_date <= ?
         GROUP BY currency ORDER BY currency",
    )
    .bind(&p.from)
    .bind(&p.to)
    .fetch_all(&mut *conn)
    .await?;
    let money = |rows: &[(String, i64, Option<i64>)]| -> Vec<Money> {
        rows.iter()
            .filter(|r| r.2.is_some())
            .map(|(currency, _, sum)| Money {
                currency: currency.clone(),
                amount_minor: sum.unwrap_or(0) as f64,
            })
            .collect()
    };
    Ok(Some(DealFlow {
        new_contacts: steps
            .iter()
            .filter(|s| s.from.is_none() && s.at >= span.start && s.at < span.end)
            .count() as u32,
        opportunities_opened: opened.iter().map(|r| r.1 as u32).sum(),
        pipeline: money(&opened),
        deals_won: won.iter().map(|r| r.1 as u32).sum(),
        revenue: money(&won),
    }))
}

pub async fn sources_report(
    conn: &mut Conn,
    basis: &Basis,
    p: &Period,
) -> AppResult<SourcesReport> {
    let span = basis.span(p)?;
    let steps = steps::between(&mut *conn, span.start, span.end).await?;
    sources_of(conn, basis, p, &steps).await
}

/// Sources from steps already read (they may cover more than the period).
pub async fn sources_of(
    conn: &mut Conn,
    basis: &Basis,
    p: &Period,
    steps: &[Step],
) -> AppResult<SourcesReport> {
    let span = basis.span(p)?;
    let mut contacts: HashMap<String, ContactSource> = HashMap::new();
    Bulk::lock(&mut *conn).await?.each_row(
        "SELECT DISTINCT s.contact_id, c.source_channel, c.source_campaign, c.score
         FROM report_steps s JOIN contacts c ON c.id = s.contact_id
         WHERE s.at >= ? AND s.at < ? AND s.kind = 'handed_over'",
        &[Cell::Int(span.start), Cell::Int(span.end)],
        |row| {
            contacts.insert(
                row.text(0).unwrap_or_default().to_string(),
                ContactSource {
                    channel: row.text(1).unwrap_or_default().to_string(),
                    campaign: row.text(2).unwrap_or_default().to_string(),
                    score: row.int(3),
                },
            );
        },
    )?;
    Ok(sources(steps, &contacts, p, span))
}

pub async fn reasons_report(
    conn: &mut Conn,
    basis: &Basis,
    p: &Period,
) -> AppResult<ReasonsReport> {
    let span = basis.span(p)?;
    let steps = steps::between(&mut *conn, span.start, span.end).await?;
    reasons_of(conn, basis, p, &steps).await
}

/// Reasons from steps already read (they may cover more than the period).
pub async fn reasons_of(
    conn: &mut Conn,
    basis: &Basis,
    p: &Period,
    steps: &[Step],
) -> AppResult<ReasonsReport> {
    let span = basis.span(p)?;
    let mut contacts: HashMap<String, ContactInfo> = HashMap::new();
    Bulk::lock(&mut *conn).await?.each_row(
        "SELECT DISTINCT s.contact_id, c.first_name, c.last_name, c.email, c.source_channel, a.name
             FROM report_steps s JOIN contacts c ON c.id = s.contact_id
             LEFT JOIN accounts a ON a.id = c.account_id
             WHERE s.at >= ? AND s.at < ? AND s.kind IN ('rejected', 'recycled')",
        &[Cell::Int(span.start), Cell::Int(span.end)],
        |row| {
            contacts.insert(
                row.text(0).unwrap_or_default().to_string(),
                ContactInfo {
                    name: full_name(
                        row.text(1).unwrap_or_default(),
                        row.text(2).unwrap_or_default(),
                        row.text(3),
                    ),
                    account_name: row.text(5).map(str::to_string),
                    channel: row.text(4).unwrap_or_default().to_string(),
                },
            );
        },
    )?;
    let mut report = reasons(steps, &basis.book(), &contacts, &basis.members, p, span);
    for row in &mut report.reasons {
        for e in &mut row.examples {
            let kind = e.kind.as_str();
            let note: Option<String> = sqlx::query_scalar(
                "SELECT note FROM handoff_events WHERE contact_id = ? AND at = ? AND kind = ? LIMIT 1",
            )
            .bind(&e.contact_id)
            .bind(&e.at)
            .bind(kind)
            .fetch_optional(&mut *conn)
            .await?;
            e.note = note.unwrap_or_default();
        }
    }
    Ok(report)
}

/// Aging as of the end of `to` (a date), or now.
pub async fn aging_report(
    conn: &mut Conn,
    basis: &Basis,
    to: Option<&str>,
) -> AppResult<AgingReport> {
    let now = Utc::now().timestamp_millis();
    let as_of = match to {
        Some(t) => basis
            .period(Some(t), Some(t))?
            .span(basis.zone)?
            .end
            .min(now),
        None => now,
    };
    let standings = standings(conn, basis, as_of, now).await?;
    Ok(aging(&standings, &basis.book(), &basis.members, as_of))
}

/// Where every live contact in a stage with a maximum time stood at `as_of`: from the
/// cached stages for now, from the steps for an earlier instant.
async fn standings(
    conn: &mut Conn,
    basis: &Basis,
    as_of: i64,
    now: i64,
) -> AppResult<Vec<Standing>> {
    let timed: Vec<String> = basis
        .pb
        .stage_keys()
        .into_iter()
        .filter(|k| {
            basis.pb.changes(AgreementKind::Stage).iter().any(|t| {
                crate::db::parse_ts("at", t).is_ok_and(|t| {
                    matches!(
                        basis.pb.at(AgreementKind::Stage, k, t).map(|v| &v.body),
                        Some(AgreementBody::Stage(s)) if s.max_days_in_stage.is_some()
                    )
                })
            })
        })
        .collect();
    if timed.is_empty() {
        return Ok(vec![]);
    }
    let list = serde_json::to_string(&timed).expect("keys serialise");
    // Tens of thousands of rows at 100k contacts: read through the raw handle.
    let (sql, params): (&'static str, Vec<Cell<'_>>) = if as_of >= now - 1000 {
        (
            "SELECT id, first_name, last_name, email, owner_id, stage, stage_since FROM contacts
             WHERE deleted_at IS NULL AND stage IN (SELECT value FROM json_each(?))",
            vec![Cell::Text(&list)],
        )
    } else {
        (
            "WITH latest AS (
                 SELECT contact_id, max(at) AS at FROM report_steps
                 WHERE at < ?1 AND (from_stage IS NULL OR from_stage <> to_stage)
                 GROUP BY contact_id)
             SELECT c.id, c.first_name, c.last_name, c.email, c.owner_id, s.to_stage, CAST(s.at AS TEXT)
             FROM latest l JOIN report_steps s ON s.contact_id = l.contact_id AND s.at = l.at
             JOIN contacts c ON c.id = l.contact_id AND c.deleted_at IS NULL
             WHERE s.to_stage IN (SELECT value FROM json_each(?2))",
            vec![Cell::Int(as_of), Cell::Text(&list)],
        )
    };
    let mut out = Vec::new();
    Bulk::lock(&mut *conn)
        .await?
        .each_row(sql, &params, |row| {
            let since = row.text(6).unwrap_or_default();
            let Some(since) = since.parse::<i64>().ok().or_else(|| {
                crate::db::parse_ts("since", since)
                    .ok()
                    .map(|t| t.timestamp_millis())
            }) else {
                return;
            };
            out.push(Standing {
                name: full_name(
                    row.text(1).unwrap_or_default(),
                    row.text(2).unwrap_or_default(),
                    row.text(3),
                ),
                contact_id: row.text(0).unwrap_or_default().to_string(),
                owner_id: row.text(4).map(str::to_string),
                stage: row.text(5).unwrap_or_default().to_string(),
                since,
            });
        })?;
    Ok(out)
}

/// A report as CSV (formula cells neutralised).
pub async fn csv(
    db: &Db,
    kind: ReportKind,
    from: Option<&str>,
    to: Option<&str>,
) -> AppResult<String> {
    let basis = Basis::load(db).await?;
    let mut conn = db.acquire().await?;
    let p = basis.period(from, to)?;
    match kind {
        ReportKind::Funnel => super::csv::funnel(&funnel_report(&mut conn, &basis, &p).await?),
        ReportKind::Sources => super::csv::sources(&sources_report(&mut conn, &basis, &p).await?),
        ReportKind::Reasons => super::csv::reasons(&reasons_report(&mut conn, &basis, &p).await?),
        ReportKind::Aging => super::csv::aging(&aging_report(&mut conn, &basis, to).await?),
    }
}

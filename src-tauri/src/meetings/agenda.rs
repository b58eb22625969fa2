//! The agenda a meeting's period calls for, built from the data: how the funnel and its
//! conversion moved against the period before, why leads were rejected or recycled (with
//! examples), how each side kept its SLAs, which sources progress, who holds leads past
//! their stage's time, what awaits sign-off, where the content library has gaps or stale
//! assets, and which actions of earlier meetings are still open. An item appears only when
//! its data has something to show; each keeps the numbers it showed.
use chrono::Utc;

use super::{AgendaFacts, FunnelChange, PendingSignoff};
use crate::db::Conn;
use crate::error::AppResult;
use crate::reports::funnel::FunnelReport;
use crate::reports::ops::{self as reports, Basis};
use crate::reports::period::Period;
use crate::reports::sla::SlaPeriodReport;
use crate::reports::{reasons, steps};
use crate::slas::ops::SlaCache;

/// One item the data calls for: its title in words and its numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct Built {
    pub title: String,
    pub facts: AgendaFacts,
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |v| format!("{v:.0}%"))
}

/// Stage by stage, this period against the one before.
pub fn changes(now: &FunnelReport, before: &FunnelReport) -> Vec<FunnelChange> {
    now.stages
        .iter()
        .map(|s| {
            let old = before.stages.iter().find(|b| b.key == s.key);
            FunnelChange {
                stage_key: s.key.clone(),
                stage_name: s.name.clone(),
                next_name: s.next.as_ref().map(|n| n.to_name.clone()),
                entries_before: old.map_or(0, |o| o.entries),
                entries_now: s.entries,
                rate_before: old.and_then(|o| o.next.as_ref()).and_then(|n| n.rate),
                rate_now: s.next.as_ref().and_then(|n| n.rate),
            }
        })
        .collect()
}

/// Names the conversion that moved most, weighing each change by the smaller of its two
/// periods' entries, so a stage with a handful of leads does not make the headline.
fn funnel_title(changes: &[FunnelChange]) -> String {
    let biggest = changes
        .iter()
        .filter_map(|c| match (c.rate_before, c.rate_now, &c.next_name) {
            (Some(b), Some(n), Some(next)) => {
                let weight = f64::from(c.entries_before.min(c.entries_now));
                Some(((n - b).abs() * weight, c, next, b, n))
            }
            _ => None,
        })
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match biggest {
        Some((_, c, next, b, n)) => format!(
            "Funnel and conversion: {} → {} {} (was {})",
            c.stage_name,
            next,
            pct(Some(n)),
            pct(Some(b))
        ),
        None => "Funnel and conversion".into(),
    }
}

/// "Sales 12 breached (81% kept, was 86%), Marketing 3 breached (95% kept)": each side with
/// anything judged in the period, the side with more breaches first.
fn sla_title(report: &SlaPeriodReport) -> String {
    let mut sides: Vec<_> = report
        .sides
        .iter()
        .filter(|s| s.now.met + s.now.breached > 0)
        .collect();
    sides.sort_by_key(|s| std::cmp::Reverse(s.now.breached));
    let parts: Vec<String> = sides
        .iter()
        .map(|s| {
            let was = s
                .before
                .compliance
                .map(|b| format!(", was {}", pct(Some(b))))
                .unwrap_or_default();
            format!(
                "{} {} breached ({} kept{was})",
                crate::labels::side(s.side),
                s.now.breached,
                pct(s.now.compliance)
            )
        })
        .collect();
    if parts.is_empty() {
        "SLAs: nothing judged yet in this period".into()
    } else {
        format!("SLA breaches by side: {}", parts.join(", "))
    }
}

/// "Content: 7 gaps in the library, 3 assets past their review date, 4 sent before contacts
/// moved forward".
fn content_title(r: &crate::reports::content::ContentHealth) -> String {
    let count =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut parts = Vec::new();
    if r.gap_count > 0 {
        parts.push(count(
            r.gap_count as usize,
            "gap in the library",
            "gaps in the library",
        ));
    }
    if r.stale_count > 0 {
        parts.push(count(
            r.stale_count as usize,
            "asset past its review date",
            "assets past their review date",
        ));
    }
    if !r.credited.is_empty() {
        parts.push(count(
            r.credited.len(),
            "asset sent before contacts moved forward",
            "assets sent before contacts moved forward",
        ));
    }
    format!("Content: {}", parts.join(", "))
}

/// The items the data of `period` calls for, in agenda order. `meeting` is the meeting
/// being built (its own action items are not carried into its agenda); `sla` is the SLA
/// state kept between calls (built on first use).
pub async fn build(
    conn: &mut Conn,
    basis: &Basis,
    period: &Period,
    held_on: &str,
    meeting: Option<&str>,
    sla: &SlaCache,
) -> AppResult<Vec<Built>> {
    let before = period.previous()?;
    let (span, prev_span) = (basis.span(period)?, basis.span(&before)?);
    let all = steps::between(&mut *conn, prev_span.start, span.end).await?;
    let mut items = Vec::new();

    let current = reports::funnel_of(&mut *conn, basis, period, &all).await?;
    let previous = reports::funnel_of(&mut *conn, basis, &before, &all).await?;
    if current
        .stages
        .iter()
        .chain(&previous.stages)
        .any(|s| s.entries > 0)
    {
        let changes = changes(&current, &previous);
        items.push(Built {
            title: funnel_title(&changes),
            facts: AgendaFacts::Funnel {
                current,
                previous,
                changes,
            },
        });
    }

    let report = reports::reasons_of(&mut *conn, basis, period, &all).await?;
    if report.total > 0 {
        let previous_total = all.iter().filter(|s| reasons::counts(s, prev_span)).count() as u32;
        let top = report
            .reasons
            .first()
            .map(|r| format!("; most often {} ({}%)", r.name, r.share.round()))
            .unwrap_or_default();
        items.push(Built {
            title: format!(
                "Rejected and recycled leads: {} (was {previous_total}){top}",
                report.total
            ),
            facts: AgendaFacts::Reasons {
                report,
                previous_total,
            },
        });
    }

    if let Some(report) =
        crate::reports::sla::for_period(&mut *conn, sla, period, (span, prev_span)).await?
    {
        items.push(Built {
            title: sla_title(&report),
            facts: AgendaFacts::Slas { report },
        });
    }

    let report = reports::sources_of(&mut *conn, basis, period, &all).await?;
    if report.total.handed_over > 0 {
        let answered: Vec<_> = report
            .by_channel
            .iter()
            .filter(|r| r.acceptance_rate.is_some() && r.accepted + r.rejected >= 5)
            .collect();
        let best = answered.iter().max_by(|a, b| {
            a.acceptance_rate
                .unwrap_or(0.0)
                .total_cmp(&b.acceptance_rate.unwrap_or(0.0))
        });
        let worst = answered.iter().min_by(|a, b| {
            a.acceptance_rate
                .unwrap_or(0.0)
                .total_cmp(&b.acceptance_rate.unwrap_or(0.0))
        });
        let range = match (best, worst) {
            (Some(b), Some(w)) if b.label != w.label => format!(
                "; {} {} to {} {}",
                b.label,
                pct(b.acceptance_rate),
                w.label,
                pct(w.acceptance_rate)
            ),
            _ => String::new(),
        };
        items.push(Built {
            title: format!(
                "Lead sources: {} handed over, {} accepted{range}",
                report.total.handed_over,
                pct(report.total.acceptance_rate)
            ),
            facts: AgendaFacts::Sources { report },
        });
    }

    let report = reports::aging_report(&mut *conn, basis, Some(&period.to)).await?;
    if report.overdue > 0 {
        let most = report
            .by_owner
            .first()
            .map(|o| format!(", most with {} ({})", o.owner_name, o.overdue))
            .unwrap_or_default();
        items.push(Built {
            title: format!("Leads past their stage's time: {}{most}", report.overdue),
            facts: AgendaFacts::Aging { report },
        });
    }

    let versions = pending_signoffs(&mut *conn).await?;
    if !versions.is_empty() {
        let title = match versions.as_slice() {
            [one] => format!("Awaiting sign-off: {}", one.label),
            many => format!("Awaiting sign-off: {} playbook changes", many.len()),
        };
        items.push(Built {
            title,
            facts: AgendaFacts::Signoffs { versions },
        });
    }

    if let Some(report) = crate::reports::content::content_health(&mut *conn, Utc::now())
        .await?
        .filter(|r| r.worth_an_item())
    {
        items.push(Built {
            title: content_title(&report),
            facts: AgendaFacts::Content { report },
        });
    }

    let open = super::store::open_actions(&mut *conn, Some(held_on), meeting, None).await?;
    if !open.is_empty() {
        items.push(Built {
            title: format!("Open actions from earlier meetings: {}", open.len()),
            facts: AgendaFacts::Actions { items: open },
        });
    }
    Ok(items)
}

/// Playbook versions proposed and not yet agreed.
pub async fn pending_signoffs(conn: &mut Conn) -> AppResult<Vec<PendingSignoff>> {
    let items = crate::agreements::store::load_items(conn, None, Utc::now()).await?;
    let mut out: Vec<PendingSignoff> = items
        .into_iter()
        .filter_map(|i| i.pending)
        .map(|v| PendingSignoff {
            reference: v.reference(),
            label: v.label(),
            version_id: v.id,
            item_id: v.item_id,
            kind: v.kind,
            name: v.name,
            summary: v.summary,
            awaiting: v.awaiting,
            proposed_at: v.created_at,
            author_name: v.author_name,
        })
        .collect();
    out.sort_by(|a, b| (&a.proposed_at, &a.version_id).cmp(&(&b.proposed_at, &b.version_id)));
    Ok(out)
}

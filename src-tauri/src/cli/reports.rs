//! `playbook report …`: the funnel, sources, reasons and aging reports for a period, as
//! readable tables, JSON (the window's shapes) or CSV.
use clap::{Args, Subcommand};

use super::{table, Format, Out};
use crate::db::Db;
use crate::error::AppResult;
use crate::reports::ops::{self, Basis};
use crate::reports::ReportKind;

#[derive(Subcommand)]
pub enum ReportCommand {
    /// Entries into each stage, conversion to the next, median days between, deals.
    Funnel(PeriodArgs),
    /// Handovers by source channel, campaign and score band: accepted, rejected, progressed.
    Sources(PeriodArgs),
    /// Rejection and recycle reasons, most frequent first, by source and by owner.
    Reasons(PeriodArgs),
    /// Contacts past their stage's maximum time, by owner (as of the end of --to, or now).
    Aging(PeriodArgs),
}

#[derive(Args)]
pub struct PeriodArgs {
    /// First day (YYYY-MM-DD, in the workspace's time zone); default: 30 days before --to.
    #[arg(long)]
    from: Option<String>,
    /// Last day, included; default: today.
    #[arg(long)]
    to: Option<String>,
}

fn pct(v: Option<f64>) -> String {
    v.map(|v| format!("{v}%")).unwrap_or_else(|| "—".into())
}

pub async fn report(cmd: ReportCommand, db: &Db, out: &Out) -> AppResult<()> {
    let (kind, args) = match cmd {
        ReportCommand::Funnel(a) => (ReportKind::Funnel, a),
        ReportCommand::Sources(a) => (ReportKind::Sources, a),
        ReportCommand::Reasons(a) => (ReportKind::Reasons, a),
        ReportCommand::Aging(a) => (ReportKind::Aging, a),
    };
    let (from, to) = (args.from.as_deref(), args.to.as_deref());
    if out.format == Format::Csv {
        print!("{}", ops::csv(db, kind, from, to).await?);
        return Ok(());
    }
    let basis = Basis::load(db).await?;
    let mut conn = db.acquire().await?;
    let period = basis.period(from, to)?;
    match kind {
        ReportKind::Funnel => {
            let r = ops::funnel_report(&mut conn, &basis, &period).await?;
            if out.json(&r) {
                return Ok(());
            }
            println!("Funnel {} to {}", r.period.from, r.period.to);
            let rows = r
                .stages
                .iter()
                .map(|s| {
                    let n = s.next.as_ref();
                    vec![
                        s.name.clone(),
                        s.entries.to_string(),
                        n.map(|n| format!("→ {}", n.to_name)).unwrap_or_default(),
                        n.map(|n| pct(n.rate)).unwrap_or_default(),
                        n.and_then(|n| n.median_days)
                            .map(|d| format!("{d} d"))
                            .unwrap_or_default(),
                    ]
                })
                .collect();
            table(
                &["STAGE", "ENTRIES", "NEXT", "CONVERTED", "MEDIAN TIME"],
                rows,
            );
            for s in &r.side_stages {
                println!("  off the funnel: {} {}", s.name, s.entries);
            }
            if let Some(d) = &r.deals {
                let money = |m: &[crate::reports::funnel::Money]| {
                    m.iter()
                        .map(|m| format!("{:.2} {}", m.amount_minor / 100.0, m.currency))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                println!(
                    "New contacts {} → opportunities {} ({}) → won {} ({})",
                    d.new_contacts,
                    d.opportunities_opened,
                    money(&d.pipeline),
                    d.deals_won,
                    money(&d.revenue)
                );
            }
        }
        ReportKind::Sources => {
            let r = ops::sources_report(&mut conn, &basis, &period).await?;
            if out.json(&r) {
                return Ok(());
            }
            println!("Handovers {} to {}", r.period.from, r.period.to);
            let mut rows = vec![];
            for (dim, list) in [
                ("all", std::slice::from_ref(&r.total)),
                ("channel", &r.by_channel[..]),
                ("campaign", &r.by_campaign[..]),
                ("score", &r.by_score_band[..]),
            ] {
                for s in list {
                    rows.push(vec![
                        dim.to_string(),
                        s.label.clone(),
                        s.handed_over.to_string(),
                        s.accepted.to_string(),
                        s.rejected.to_string(),
                        s.awaiting.to_string(),
                        pct(s.acceptance_rate),
                        s.converted.to_string(),
                        s.won.to_string(),
                    ]);
                }
            }
            table(
                &[
                    "BY",
                    "GROUP",
                    "HANDED OVER",
                    "ACCEPTED",
                    "REJECTED",
                    "AWAITING",
                    "ACCEPTANCE",
                    "OPPORTUNITY",
                    "WON",
                ],
                rows,
            );
        }
        ReportKind::Reasons => {
            let r = ops::reasons_report(&mut conn, &basis, &period).await?;
            if out.json(&r) {
                return Ok(());
            }
            println!(
                "Rejections and recycles {} to {}: {}",
                r.period.from, r.period.to, r.total
            );
            let rows = r
                .reasons
                .iter()
                .map(|x| {
                    vec![
                        x.name.clone(),
                        x.count.to_string(),
                        format!("{}%", x.share),
                        format!("{}%", x.cumulative_share),
                        x.examples
                            .iter()
                            .map(|e| e.contact_name.clone())
                            .collect::<Vec<_>>()
                            .join(", "),
                    ]
                })
                .collect();
            table(
                &["REASON", "COUNT", "SHARE", "CUMULATIVE", "EXAMPLES"],
                rows,
            );
        }
        ReportKind::Aging => {
            let r = ops::aging_report(&mut conn, &basis, to).await?;
            if out.json(&r) {
                return Ok(());
            }
            println!(
                "{} of {} contacts in timed stages are past their stage's maximum time (as of {})",
                r.overdue, r.in_timed_stages, r.as_of
            );
            let rows = r
                .by_owner
                .iter()
                .map(|o| {
                    vec![
                        o.owner_name.clone(),
                        o.overdue.to_string(),
                        o.stages
                            .iter()
                            .map(|s| format!("{} {}", s.key, s.count))
                            .collect::<Vec<_>>()
                            .join(", "),
                    ]
                })
                .collect();
            table(&["OWNER", "OVERDUE", "BY STAGE"], rows);
        }
    }
    Ok(())
}

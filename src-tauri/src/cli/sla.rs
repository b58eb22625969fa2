//! `playbook sla report`: every SLA's items met, breached or pending, as JSON or a table.
use clap::Subcommand;

use super::{table, Out};
use crate::db::Db;
use crate::error::AppResult;
use crate::slas::{ops, SlaReport};

#[derive(Subcommand)]
pub enum SlaCommand {
    /// Each SLA's items (met, breached, pending) and compliance = met / (met + breached),
    /// judged by the SLA version in force when each item started.
    Report {
        /// Only items started on or after this date (YYYY-MM-DD, UTC).
        #[arg(long)]
        from: Option<String>,
        /// Only items started on or before this date (YYYY-MM-DD, UTC).
        #[arg(long)]
        to: Option<String>,
        /// Judge as of this instant (RFC 3339); now if absent.
        #[arg(long)]
        as_of: Option<String>,
    },
}

pub async fn run(cmd: SlaCommand, db: &Db, out: &Out) -> AppResult<()> {
    match cmd {
        SlaCommand::Report { from, to, as_of } => {
            let w = ops::window(from.as_deref(), to.as_deref(), as_of.as_deref())?;
            let report = ops::report(db, &w).await?;
            if !out.json(&report) {
                print(&report);
            }
            Ok(())
        }
    }
}

fn percent(c: Option<f64>) -> String {
    c.map_or("—".into(), |c| format!("{:.1}%", c * 100.0))
}

fn print(r: &SlaReport) {
    println!("SLA compliance as of {}", r.as_of);
    let rows = r
        .slas
        .iter()
        .map(|s| {
            vec![
                s.key.clone(),
                s.name.clone(),
                s.owner_side.as_str().into(),
                format!("v{}", s.version),
                s.target.clone(),
                s.met.to_string(),
                s.breached.to_string(),
                s.pending.to_string(),
                percent(s.compliance),
            ]
        })
        .collect();
    table(
        &[
            "SLA",
            "NAME",
            "OWNER",
            "VERSION",
            "TARGET",
            "MET",
            "BREACHED",
            "PENDING",
            "COMPLIANCE",
        ],
        rows,
    );
    // Counts judged by earlier versions are said so, next to the target now in force.
    for s in &r.slas {
        for e in &s.earlier {
            println!(
                "  {}: items started before {} are judged by v{} ({})",
                s.key, e.until, e.version, e.target
            );
        }
    }
    let breached: Vec<Vec<String>> = r
        .slas
        .iter()
        .flat_map(|s| {
            s.items
                .iter()
                .filter(|i| i.status == crate::slas::ItemStatus::Breached)
                .map(move |i| {
                    vec![
                        s.key.clone(),
                        // The id every other command takes; the CRM's id beside it.
                        i.contact_id.clone(),
                        i.external_id.clone().unwrap_or_else(|| "—".into()),
                        i.started_at.clone(),
                        i.deadline.clone().unwrap_or_else(|| "—".into()),
                        i.done_at.clone().unwrap_or_else(|| "not done".into()),
                    ]
                })
        })
        .collect();
    if !breached.is_empty() {
        println!("\nBreaches ({}):", breached.len());
        table(
            &["SLA", "CONTACT", "CRM ID", "STARTED", "DEADLINE", "DONE"],
            breached,
        );
    }
}

//! The headless import command: every kind of file, its options, and the summary people
//! read (or JSON for machines).
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::identity::{unlock, Passphrases};
use super::Out;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::imports::run::{self, ImportKind, Options};
use crate::imports::{quiet, DateOrder, ImportMode, ImportSummary, Mapping, OnConflict, Progress};

/// What every import takes besides its file.
#[derive(Args)]
pub struct ImportArgs {
    file: PathBuf,
    /// A TOML file: [columns] field = "Header", [statuses] "Value" = "stage", [kinds],
    /// [channels], [reasons]; system, record_type, date_order, timezone, year_pivot.
    #[arg(long)]
    mapping: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = ModeArg::AllOrNothing)]
    mode: ModeArg,
    /// Check and report what would happen, write nothing.
    #[arg(long)]
    dry_run: bool,
    /// The source system the file's ids belong to (default: recognised from the file).
    #[arg(long)]
    system: Option<String>,
    /// The kind of record the file holds: lead, contact, person… (default: recognised).
    #[arg(long)]
    record_type: Option<String>,
    /// Two-digit years are read as years from this one to this one + 99 (e.g. 1950).
    #[arg(long)]
    year_pivot: Option<i32>,
    /// Day/month order for dates that fit both: dmy or mdy.
    #[arg(long)]
    date_order: Option<String>,
    /// IANA time zone for times written without one (e.g. Europe/Berlin).
    #[arg(long)]
    timezone: Option<String>,
    /// The ops member or manager who signs the import (email).
    #[arg(long = "as")]
    actor: String,
}

#[derive(Subcommand)]
pub enum ImportCommand {
    /// Contacts or leads exported from Salesforce, HubSpot, Zoho, Pipedrive, Marketo,
    /// SuiteCRM, Mautic or a spreadsheet.
    Contacts {
        #[command(flatten)]
        args: ImportArgs,
        /// A row whose id and email point at different people: report it and write nothing
        /// for it, or trust the email, or trust the id.
        #[arg(long, value_enum, default_value_t = ConflictArg::Report)]
        on_conflict: ConflictArg,
    },
    /// Accounts (companies, organizations): firmographics follow the newest row.
    Accounts {
        #[command(flatten)]
        args: ImportArgs,
    },
    /// Opportunities (deals, potentials): amount, stage, close date, owner, account,
    /// primary contact; they move the contact's lifecycle where the playbook allows.
    Opportunities {
        #[command(flatten)]
        args: ImportArgs,
    },
    /// Handoff events (contact, event, date, actor, reason, channel, note), or a CRM's
    /// calls and tasks with a mapping ([kinds] "Outbound" = "attempt").
    Events {
        #[command(flatten)]
        args: ImportArgs,
    },
    /// Activities (contact, activity, date, detail).
    Activities {
        #[command(flatten)]
        args: ImportArgs,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ConflictArg {
    Report,
    PreferEmail,
    PreferId,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ModeArg {
    AllOrNothing,
    ValidRows,
}

pub async fn import(
    cmd: ImportCommand,
    db: &Db,
    out: &Out,
    pass: &mut Passphrases,
) -> AppResult<()> {
    let (kind, args, on_conflict) = match cmd {
        ImportCommand::Contacts { args, on_conflict } => (ImportKind::Contacts, args, on_conflict),
        ImportCommand::Accounts { args } => (ImportKind::Accounts, args, ConflictArg::Report),
        ImportCommand::Opportunities { args } => {
            (ImportKind::Opportunities, args, ConflictArg::Report)
        }
        ImportCommand::Events { args } => (ImportKind::Events, args, ConflictArg::Report),
        ImportCommand::Activities { args } => (ImportKind::Activities, args, ConflictArg::Report),
    };
    let signer = unlock(db, &args.actor, pass).await?;
    let read = |p: &PathBuf| {
        std::fs::read(p).map_err(|e| AppError::io(format!("cannot read {}: {e}", p.display())))
    };
    let bytes = read(&args.file)?;
    let mut mapping = match &args.mapping {
        Some(p) => Mapping::from_toml(&String::from_utf8_lossy(&read(p)?))?,
        None => Mapping::default(),
    };
    if args.system.is_some() {
        mapping.system = args.system.clone();
    }
    if args.record_type.is_some() {
        mapping.record_type = args.record_type.clone();
    }
    if args.year_pivot.is_some() {
        mapping.year_pivot = args.year_pivot;
    }
    if args.timezone.is_some() {
        mapping.timezone = args.timezone.clone();
    }
    if let Some(o) = &args.date_order {
        mapping.date_order = Some(DateOrder::parse(o).ok_or_else(|| {
            AppError::invalid(
                "date-order",
                format!(
                    "--date-order: '{o}' is not an order; use dmy (15/04/2021) or mdy (04/15/2021)"
                ),
            )
        })?);
    }
    let options = Options {
        mode: match args.mode {
            ModeArg::AllOrNothing => ImportMode::AllOrNothing,
            ModeArg::ValidRows => ImportMode::ValidRows,
        },
        dry_run: args.dry_run,
        on_conflict: match on_conflict {
            ConflictArg::Report => OnConflict::Report,
            ConflictArg::PreferEmail => OnConflict::PreferEmail,
            ConflictArg::PreferId => OnConflict::PreferId,
        },
    };
    let file = args.file;
    let (cancel, report) = quiet();
    let progress = Progress {
        cancel: &cancel,
        report: &report,
    };
    let s = run::import(db, kind, &bytes, &mapping, options, &progress, &signer).await?;
    if !out.json(&s) {
        print_summary(&file, &s);
    }
    if !s.written && !s.dry_run {
        return Err(AppError::invalid(
            "file",
            format!(
                "{} rows were rejected; nothing was imported (use --mode valid-rows to import the rest)",
                s.rejected
            ),
        ));
    }
    Ok(())
}

/// The summary for people: counts, then what needs their eyes (rejected rows, conflicts,
/// possible duplicates, statuses that differ, owners not on the team, how dates were read).
fn print_summary(file: &std::path::Path, s: &ImportSummary) {
    let kind = s
        .source
        .as_ref()
        .filter(|src| !src.record_type.is_empty())
        .map(|src| match src.record_type.as_str() {
            "opportunity" => ", opportunities".to_string(),
            "person" => ", persons".to_string(),
            t => format!(", {t}s"),
        })
        .unwrap_or_default();
    println!(
        "{} ({}{kind}): {} rows read, {} created, {} updated, {} unchanged, {} rejected{}.",
        file.display(),
        s.dialect,
        s.rows_read,
        s.created,
        s.updated,
        s.unchanged,
        s.rejected,
        if s.dry_run {
            " (dry run: nothing written)"
        } else if !s.written {
            " (nothing written)"
        } else {
            ""
        }
    );
    let accounts = s
        .source
        .as_ref()
        .is_some_and(|src| src.record_type == "account");
    if s.linked > 0 && accounts {
        println!(
            "  {} contacts and deals that named these accounts by id are now linked to them",
            s.linked
        );
    } else if s.linked > 0 {
        println!(
            "  {} matched by email to a contact that had no id from this source yet (converted leads, say): linked",
            s.linked
        );
    }
    if s.accounts_created + s.accounts_updated > 0 {
        println!(
            "  accounts: {} created, {} updated (each field follows the last row that gives it)",
            s.accounts_created, s.accounts_updated
        );
    }
    for e in s.errors.iter().take(50) {
        println!("  row {} [{}]: {}", e.row, e.column, e.message);
    }
    if s.errors.len() > 50 {
        println!("  … and {} more", s.errors.len() - 50);
    }
    for c in &s.conflicts {
        println!(
            "  conflict in row {} ({}): {} [{}]",
            c.row,
            c.columns.join(" vs "),
            c.message,
            match c.resolution.as_str() {
                "reported" => "nothing written",
                "email" => "the email was trusted",
                _ => "the id was trusted",
            }
        );
    }
    for d in &s.possible_duplicates {
        let rows: Vec<String> = d.rows.iter().map(u32::to_string).collect();
        println!(
            "  possible duplicates: {} is on rows {} with different ids (kept apart; merge them with `playbook contacts merge` if they are one person)",
            d.email,
            rows.join(", ")
        );
    }
    for d in s.status_differs.iter().take(20) {
        println!(
            "  row {}: the file says '{}' ({}), but the log has the contact in {} (the log decides; not changed)",
            d.row, d.status, d.file_stage, d.stage
        );
    }
    if s.status_differs.len() > 20 {
        println!(
            "  … and {} more whose status differs",
            s.status_differs.len() - 20
        );
    }
    let mut lifecycle: std::collections::BTreeMap<(&str, &str), Vec<String>> = Default::default();
    for l in &s.lifecycle {
        lifecycle
            .entry((l.event.as_str(), l.outcome.as_str()))
            .or_default()
            .push(l.row.to_string());
    }
    for ((event, outcome), rows) in lifecycle {
        println!("  {event}: {outcome} (rows {})", rows.join(", "));
    }
    if !s.unmapped_statuses.is_empty() {
        println!(
            "  statuses mapped to no stage (entered the first stage): {}",
            s.unmapped_statuses.join(", ")
        );
    }
    if !s.unmatched_owners.is_empty() {
        println!(
            "  owners not on the team yet (kept as named; assigned when they join): {}",
            s.unmatched_owners.join(", ")
        );
    }
    for w in &s.warnings {
        println!("  note: {w}");
    }
    if s.dry_run {
        for m in &s.mapping {
            println!("  column {:?} → {}", m.column, m.label);
        }
        if !s.unmapped_columns.is_empty() {
            println!("  columns not imported: {}", s.unmapped_columns.join(", "));
        }
        for d in &s.dates {
            println!(
                "  dates in {:?}: {}{}; times without a zone are read in {}{}",
                d.column,
                d.order.map_or("", |o| match o {
                    DateOrder::DayFirst => "day first — ",
                    DateOrder::MonthFirst => "month first — ",
                }),
                d.why,
                d.zone,
                d.year_pivot
                    .map(|p| format!("; two-digit years are {p}–{}", p + 99))
                    .unwrap_or_default()
            );
        }
    }
}

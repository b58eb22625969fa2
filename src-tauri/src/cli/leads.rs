//! The headless lead commands: import, contacts, handoff, export, generate.
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::identity::{unlock, Passphrases};
use super::{table, Format, Out};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::exports::{ExportFormat, ExportKind};
use crate::handoffs::{EventKind, EventRequest};
use crate::imports::run::{self, ImportKind, Options};
use crate::imports::{quiet, DateOrder, ImportMode, Mapping, OnConflict, Progress};
use crate::leads::list::{LeadFilter, LeadSort};
use crate::leads::ops;
use crate::team;
use crate::trust::Signer;

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

#[derive(Subcommand)]
pub enum ContactsCommand {
    /// Contacts matching the filters (all matches unless --limit).
    List {
        #[arg(long)]
        stage: Option<String>,
        /// The owner's email.
        #[arg(long)]
        owner: Option<String>,
        #[arg(long)]
        source: Option<String>,
        #[arg(long)]
        min_score: Option<i32>,
        #[arg(long)]
        min_days_in_stage: Option<u32>,
        #[arg(long)]
        search: Option<String>,
        #[arg(long, value_enum, default_value_t = SortArg::Score)]
        sort: SortArg,
        #[arg(long)]
        limit: Option<u32>,
    },
    /// One contact with its events, activities and score explanation.
    Show {
        id: String,
        /// Show the actions this member (email) may take now.
        #[arg(long = "as")]
        viewer: Option<String>,
    },
    /// An account's buying team.
    Team { account_id: String },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum SortArg {
    Score,
    AgeInStage,
    Name,
    Newest,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ExportWhat {
    Contacts,
    Events,
    Activities,
}

pub async fn import(
    cmd: ImportCommand,
    db: &Db,
    out: &Out,
    pass: &mut Passphrases,
) -> AppResult<()> {
    let (kind, args, on_conflict) = match cmd {
        ImportCommand::Contacts { args, on_conflict } => (ImportKind::Contacts, args, on_conflict),
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
        println!(
            "{} ({}): {} rows read, {} created, {} updated, {} unchanged, {} rejected{}.",
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
        for e in s.errors.iter().take(50) {
            println!("  row {} [{}]: {}", e.row, e.column, e.message);
        }
        if s.errors.len() > 50 {
            println!("  … and {} more", s.errors.len() - 50);
        }
        if !s.unmapped_statuses.is_empty() {
            println!(
                "  statuses mapped to no stage (entered the first stage): {}",
                s.unmapped_statuses.join(", ")
            );
        }
        if !s.unmatched_owners.is_empty() {
            println!(
                "  owners not on the team (left unassigned): {}",
                s.unmatched_owners.join(", ")
            );
        }
    }
    if !s.written && !s.dry_run {
        return Err(AppError::invalid("file", format!("{} rows were rejected; nothing was imported (use --mode valid-rows to import the rest)", s.rejected)));
    }
    Ok(())
}

pub async fn contacts(cmd: ContactsCommand, db: &Db, out: &Out) -> AppResult<()> {
    match cmd {
        ContactsCommand::List {
            stage,
            owner,
            source,
            min_score,
            min_days_in_stage,
            search,
            sort,
            limit,
        } => {
            let owner_id = match owner {
                Some(email) => Some(
                    team::store::by_email(&mut *db.acquire().await?, &email)
                        .await?
                        .id,
                ),
                None => None,
            };
            let filter = LeadFilter {
                stage,
                owner_id,
                source,
                min_score,
                min_days_in_stage,
                search,
                sort: match sort {
                    SortArg::Score => LeadSort::ScoreDesc,
                    SortArg::AgeInStage => LeadSort::OldestInStage,
                    SortArg::Name => LeadSort::Name,
                    SortArg::Newest => LeadSort::Newest,
                },
                limit: limit.unwrap_or(0),
                ..LeadFilter::default()
            };
            let page = ops::list(db, &filter).await?;
            if !out.json(&page.rows) {
                let rows = page
                    .rows
                    .iter()
                    .map(|r| {
                        vec![
                            r.id.clone(),
                            if r.name.is_empty() {
                                r.email.clone().unwrap_or_default()
                            } else {
                                r.name.clone()
                            },
                            r.account_name.clone().unwrap_or_default(),
                            r.stage.clone(),
                            r.score.to_string(),
                            r.owner_name.clone().unwrap_or_default(),
                        ]
                    })
                    .collect();
                table(&["ID", "NAME", "ACCOUNT", "STAGE", "SCORE", "OWNER"], rows);
                println!("{} of {} contacts", page.rows.len(), page.total);
            }
        }
        ContactsCommand::Show { id, viewer } => {
            let viewer = match viewer {
                Some(email) => Some(
                    team::store::by_email(&mut *db.acquire().await?, &email)
                        .await?
                        .id,
                ),
                None => None,
            };
            let d = ops::detail(db, &id, viewer.as_deref()).await?;
            if !out.json(&d) {
                let c = &d.contact;
                println!(
                    "{} · {} · {}",
                    c.name,
                    c.title,
                    c.account
                        .as_ref()
                        .map(|a| a.name.as_str())
                        .unwrap_or("no account")
                );
                println!(
                    "stage {} since {} · score {} (MQL at {})",
                    c.stage, c.stage_since, d.score.total, d.score.threshold
                );
                for l in &d.score.lines {
                    println!(
                        "  {:+4}  {}{}",
                        l.points,
                        l.rule,
                        if l.detail.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", l.detail)
                        }
                    );
                }
                println!("history:");
                for e in &d.events {
                    let extra = [
                        e.reason.clone(),
                        e.channel.clone(),
                        Some(e.note.clone()).filter(|n| !n.is_empty()),
                    ]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" · ");
                    println!(
                        "  {} {} → {} {} {}",
                        e.at,
                        e.kind,
                        e.to_stage,
                        e.actor_name.clone().unwrap_or_default(),
                        extra
                    );
                }
                let allowed: Vec<&str> = d.allowed_actions.iter().map(|k| k.as_str()).collect();
                println!("allowed now: {}", allowed.join(", "));
            }
        }
        ContactsCommand::Team { account_id } => {
            let map = ops::people_map(db, &account_id).await?;
            if !out.json(&map) {
                println!("{}", map.account.name);
                let rows = map
                    .people
                    .iter()
                    .map(|p| {
                        vec![
                            p.name.clone(),
                            p.title.clone(),
                            p.buying_role.clone().unwrap_or_default(),
                            p.buying_stage.clone().unwrap_or_default(),
                            p.stage.clone(),
                        ]
                    })
                    .collect();
                table(&["NAME", "TITLE", "ROLE", "BUYING STAGE", "STAGE"], rows);
            }
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub async fn handoff(
    db: &Db,
    out: &Out,
    id: String,
    action: String,
    reason: Option<String>,
    channel: Option<String>,
    note: String,
    signer: &Signer,
    to: Option<String>,
    at: Option<String>,
) -> AppResult<()> {
    let kind = EventKind::parse(&action).ok_or_else(|| {
        let all: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
        AppError::invalid(
            "action",
            format!(
                "'{action}' is not a handoff action; use one of {}",
                all.join(", ")
            ),
        )
    })?;
    let mut conn = db.acquire().await?;
    let assignee_id = match to {
        Some(email) => Some(team::store::by_email(&mut conn, &email).await?.id),
        None => None,
    };
    drop(conn);
    let req = EventRequest {
        kind,
        reason,
        channel,
        note,
        assignee_id,
    };
    let e = ops::record(db, &id, &req, signer, at.as_deref()).await?;
    out.done(
        &e,
        &format!("Recorded {} for {}: now {}.", e.kind, id, e.to_stage),
    )
}

pub async fn export(db: &Db, what: ExportWhat, file: PathBuf, format: Format) -> AppResult<()> {
    let kind = match what {
        ExportWhat::Contacts => ExportKind::Contacts,
        ExportWhat::Events => ExportKind::Events,
        ExportWhat::Activities => ExportKind::Activities,
    };
    let fmt = if format == Format::Json {
        ExportFormat::Json
    } else {
        ExportFormat::Csv
    };
    let n = ops::export(db, kind, fmt, &file).await?;
    println!("Wrote {n} rows to {}.", file.display());
    Ok(())
}

//! The headless lead commands: import, contacts, handoff, export, generate.
use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};

use super::identity::{unlock, Passphrases};
use super::{table, Format, Out};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::exports::{ExportFormat, ExportKind};
use crate::handoffs::{EventKind, EventRequest, EventStatus};
use crate::leads::list::{LeadFilter, LeadSort};
use crate::leads::merge::MergeAction;
use crate::leads::ops;
use crate::team;
use crate::trust::Signer;

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
    /// Merge a duplicate into the contact it really is (signed; undone by unmerge): the
    /// duplicate leaves the lists, its history stays its own.
    Merge {
        /// The contact that stays.
        survivor: String,
        /// The duplicate.
        duplicate: String,
        /// The ops member or manager who merges (email).
        #[arg(long = "as")]
        signer: String,
    },
    /// Undo the merge of a duplicate.
    Unmerge {
        duplicate: String,
        #[arg(long = "as")]
        signer: String,
    },
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
    Accounts,
    Opportunities,
    Events,
    Activities,
}

pub async fn contacts(
    cmd: ContactsCommand,
    db: &Db,
    out: &Out,
    pass: &mut Passphrases,
) -> AppResult<()> {
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
            fresh_scores(db).await;
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
            let page = ops::list(db, &filter, None).await?;
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
                    let status = match e.status {
                        EventStatus::Applied => "applied".to_string(),
                        EventStatus::Skipped => format!(
                            "skipped: {}",
                            e.problem.as_deref().unwrap_or("not allowed then")
                        ),
                        EventStatus::Tampered => format!(
                            "TAMPERED, ignored: {}",
                            e.problem.as_deref().unwrap_or("does not verify")
                        ),
                    };
                    println!(
                        "  {} {} → {} · {}{} [{status}]",
                        e.at,
                        e.kind,
                        e.to_stage,
                        e.by,
                        if extra.is_empty() {
                            String::new()
                        } else {
                            format!(" · {extra}")
                        }
                    );
                }
                let allowed: Vec<&str> = d.allowed_actions.iter().map(|k| k.as_str()).collect();
                println!("allowed now: {}", allowed.join(", "));
                print_ownership_and_deals(&d);
            }
        }
        ContactsCommand::Merge {
            survivor,
            duplicate,
            signer,
        } => {
            let signer = unlock(db, &signer, pass).await?;
            ops::merge(db, MergeAction::Merge, &duplicate, Some(&survivor), &signer).await?;
            out.done(
                &serde_json::json!({ "merged": duplicate, "into": survivor }),
                &format!("Merged {duplicate} into {survivor} (playbook contacts unmerge {duplicate} undoes it)."),
            )?;
        }
        ContactsCommand::Unmerge { duplicate, signer } => {
            let signer = unlock(db, &signer, pass).await?;
            ops::merge(db, MergeAction::Unmerge, &duplicate, None, &signer).await?;
            out.done(
                &serde_json::json!({ "unmerged": duplicate }),
                &format!("{duplicate} is its own contact again."),
            )?;
        }
        ContactsCommand::Team { account_id } => {
            let map = ops::people_map(db, &account_id).await?;
            if !out.json(&map) {
                println!("{}", map.account.name);
                for o in &map.opportunities {
                    println!(
                        "  deal: {} · {} · {}{}",
                        o.name,
                        o.status,
                        o.amount_minor
                            .map(|a| format!("{} {}.{:02}", o.currency, a / 100, a % 100))
                            .unwrap_or_default(),
                        o.close_date
                            .as_ref()
                            .map(|d| format!(" · closes {d}"))
                            .unwrap_or_default()
                    );
                }
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

/// Brings the cached scores up to date before they are shown (decay, a scheduled model). A
/// workspace that cannot be written just now (a full disk) shows them as last computed,
/// and says so: a read is never refused for a cache.
async fn fresh_scores(db: &Db) {
    if let Err(e) = crate::leads::rebuild::refresh_scores(db, chrono::Utc::now()).await {
        eprintln!(
            "note: scores are shown as last computed; bringing them up to date failed: {}",
            e.message
        );
    }
}

pub async fn export(db: &Db, what: ExportWhat, file: PathBuf, format: Format) -> AppResult<()> {
    let kind = match what {
        ExportWhat::Contacts => ExportKind::Contacts,
        ExportWhat::Accounts => ExportKind::Accounts,
        ExportWhat::Opportunities => ExportKind::Opportunities,
        ExportWhat::Events => ExportKind::Events,
        ExportWhat::Activities => ExportKind::Activities,
    };
    if kind == ExportKind::Contacts {
        fresh_scores(db).await;
    }
    let fmt = if format == Format::Json {
        ExportFormat::Json
    } else {
        ExportFormat::Csv
    };
    if file.as_os_str() == "-" {
        use std::io::Write;
        let (_, bytes) = crate::exports::render(&mut *db.acquire().await?, kind, fmt).await?;
        let mut out = std::io::stdout().lock();
        return out
            .write_all(&bytes)
            .and_then(|_| out.flush())
            .map_err(|e| AppError::io(format!("cannot write to the standard output: {e}")));
    }
    let n = ops::export(db, kind, fmt, &file).await?;
    println!("Wrote {n} rows to {}.", file.display());
    Ok(())
}

/// The contact page's owner (as named, while not on the team), deals and possible
/// duplicates, for people.
fn print_ownership_and_deals(d: &crate::leads::ContactDetail) {
    let c = &d.contact;
    match (&c.owner_name, &c.owner_ref) {
        (Some(name), _) => println!("owner: {name}"),
        (None, Some(named)) => {
            println!("owner: {named} (named by the import; not on the team yet)")
        }
        (None, None) => println!("owner: nobody"),
    }
    for o in &d.opportunities {
        println!(
            "deal: {} · {} · {}{}",
            o.name,
            o.status,
            o.amount_minor
                .map(|a| format!("{} {}.{:02}", o.currency, a / 100, a % 100))
                .unwrap_or_default(),
            o.close_date
                .as_ref()
                .map(|d| format!(" · closes {d}"))
                .unwrap_or_default()
        );
    }
    if !d.same_email.is_empty() {
        println!(
            "same email as: {} (possible duplicates; `playbook contacts merge` joins them)",
            d.same_email.join(", ")
        );
    }
}

//! `playbook meetings …`: create a meeting (its agenda built from the data), show and edit
//! the agenda, record decisions (signed in the room with `--signed-by`), action items,
//! close it and write its minutes.
use crate::slas::ops::SlaCache;
use clap::{Args, Subcommand};

use super::identity::{unlock, Passphrases};
use super::{table, Format, Out};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::meetings::{
    minutes, ops, ActionStatus, AgendaEdit, AgendaFacts, Meeting, MeetingDetail, NewAction,
    NewDecision, NewMeeting,
};

#[derive(Subcommand)]
pub enum MeetingsCommand {
    /// Create a meeting; its agenda is built from the data of its period (by default the
    /// days since the previous meeting).
    New(NewArgs),
    /// Every meeting, newest first.
    List,
    /// A meeting with its agenda, decisions and action items (ID or `latest`).
    Show { id: String },
    /// Show the agenda, or change it: add an item by hand, drop or restore one, move one,
    /// or build its data items again from the period's data.
    Agenda(AgendaArgs),
    /// Record a decision against an agenda item; `--version` names the playbook version it
    /// proposes (made with `agreements propose`), and `--signed-by` managers sign it in the
    /// room, each with their own passphrase.
    Decide(DecideArgs),
    /// Add an action item, or (`--done`, `--drop`, `--reopen`) change one's status.
    Action(ActionArgs),
    /// Close a meeting: its agenda, decisions and actions become final.
    Close {
        id: String,
        #[arg(long = "as")]
        signer: String,
    },
    /// The minutes: --format md (default) or html (a printable page), or json.
    Minutes { id: String },
}

#[derive(Args)]
pub struct NewArgs {
    #[arg(long)]
    title: String,
    /// The day it is held (YYYY-MM-DD); default today.
    #[arg(long)]
    date: Option<String>,
    /// Attendees' emails; default: who creates it.
    #[arg(long, value_delimiter = ',')]
    attendees: Vec<String>,
    /// The period its agenda covers (default: since the previous meeting).
    #[arg(long)]
    from: Option<String>,
    #[arg(long)]
    to: Option<String>,
    #[arg(long = "as")]
    signer: String,
}

#[derive(Args)]
pub struct AgendaArgs {
    id: String,
    /// Add an item by hand with this title.
    #[arg(long)]
    add: Option<String>,
    /// A note for the item added.
    #[arg(long, default_value = "")]
    note: String,
    /// Drop item N (its number on the agenda, or its id).
    #[arg(long)]
    drop: Option<String>,
    /// Put a dropped item back.
    #[arg(long)]
    restore: Option<String>,
    /// Move item N …
    #[arg(long = "move", requires = "to")]
    move_item: Option<String>,
    /// … to place P (1 = first).
    #[arg(long)]
    to: Option<u32>,
    /// Build the data items again from the period's data.
    #[arg(long)]
    refresh: bool,
    #[arg(long = "as")]
    signer: Option<String>,
}

#[derive(Args)]
pub struct DecideArgs {
    id: String,
    #[arg(long)]
    text: String,
    /// The agenda item (number or id) it answers.
    #[arg(long)]
    item: Option<String>,
    /// A proposed playbook version (kind/key@N or id) this decision puts to signature.
    #[arg(long)]
    version: Option<String>,
    /// Managers who sign the version now (a marketing and a sales manager), each proving
    /// it with their passphrase.
    #[arg(long, value_delimiter = ',', requires = "version")]
    signed_by: Vec<String>,
    #[arg(long = "as")]
    signer: String,
}

#[derive(Args)]
pub struct ActionArgs {
    id: String,
    #[arg(long, conflicts_with_all = ["done", "drop", "reopen"])]
    title: Option<String>,
    /// The owner's email.
    #[arg(long)]
    owner: Option<String>,
    /// Due date (YYYY-MM-DD).
    #[arg(long)]
    due: Option<String>,
    /// The agenda item (number or id) it comes from.
    #[arg(long)]
    item: Option<String>,
    /// Mark this action item (its id) done.
    #[arg(long)]
    done: Option<String>,
    #[arg(long)]
    drop: Option<String>,
    #[arg(long)]
    reopen: Option<String>,
    #[arg(long = "as")]
    signer: String,
}

/// An agenda item by its number on the agenda (1 = first) or its id.
fn item_id(detail: &MeetingDetail, reference: &str) -> AppResult<String> {
    let r = reference.trim();
    if let Ok(n) = r.parse::<usize>() {
        return detail
            .agenda
            .get(n.wrapping_sub(1))
            .map(|i| i.id.clone())
            .ok_or_else(|| {
                AppError::invalid(
                    "item",
                    format!(
                        "item: the agenda has items 1 to {}, not {n}",
                        detail.agenda.len()
                    ),
                )
            });
    }
    detail
        .agenda
        .iter()
        .find(|i| i.id == r)
        .map(|i| i.id.clone())
        .ok_or_else(|| AppError::invalid("item", format!("item: {r} is not on this agenda")))
}

fn print_meetings(list: &[Meeting]) {
    let rows = list
        .iter()
        .map(|m| {
            vec![
                m.id.clone(),
                m.held_on.clone(),
                m.title.clone(),
                format!("{} to {}", m.period.from, m.period.to),
                format!("{:?}", m.status).to_lowercase(),
                m.decisions.to_string(),
                m.open_actions.to_string(),
            ]
        })
        .collect();
    table(
        &[
            "ID",
            "HELD ON",
            "TITLE",
            "PERIOD",
            "STATUS",
            "DECISIONS",
            "OPEN ACTIONS",
        ],
        rows,
    );
}

fn print_agenda(d: &MeetingDetail) {
    for (n, item) in d.agenda.iter().enumerate() {
        let kind = item.facts.kind();
        println!(
            "{:>2}. {}{}  [{kind}{}]",
            n + 1,
            item.title,
            if item.dropped { " (dropped)" } else { "" },
            if matches!(item.facts, AgendaFacts::Manual) {
                String::new()
            } else {
                ", from the data".into()
            }
        );
        if !item.note.is_empty() {
            println!("      {}", item.note);
        }
    }
}

fn print_detail(d: &MeetingDetail) {
    let m = &d.meeting;
    println!(
        "{} · held on {} · covering {} to {} · {}",
        m.title,
        m.held_on,
        m.period.from,
        m.period.to,
        format!("{:?}", m.status).to_lowercase()
    );
    println!(
        "Attendees: {}",
        m.attendees
            .iter()
            .map(|a| a.name.clone())
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!("\nAgenda");
    print_agenda(d);
    if !d.decisions.is_empty() {
        println!("\nDecisions");
        for x in &d.decisions {
            println!("  {} {}", x.id, x.text);
            if let Some(o) = minutes::outcome(x) {
                println!("    → {o}");
            }
        }
    }
    if !d.actions.is_empty() {
        println!("\nAction items");
        for a in &d.actions {
            println!(
                "  {} [{}] {} — {}{}",
                a.id,
                a.status.as_str(),
                a.title,
                a.owner_name.as_deref().unwrap_or("no owner"),
                a.due_on
                    .as_ref()
                    .map(|d| format!(", due {d}"))
                    .unwrap_or_default()
            );
        }
    }
}

pub async fn meetings(
    cmd: MeetingsCommand,
    db: &Db,
    out: &Out,
    pass: &mut Passphrases,
) -> AppResult<()> {
    match cmd {
        MeetingsCommand::New(a) => {
            let signer = unlock(db, &a.signer, pass).await?;
            let d = ops::create(
                db,
                &NewMeeting {
                    title: a.title,
                    held_on: a.date,
                    attendees: a.attendees,
                    period_from: a.from,
                    period_to: a.to,
                },
                &signer,
                // One command, one SLA fold (the window keeps its state between calls).
                &SlaCache::default(),
            )
            .await?;
            if !out.json(&d) {
                println!("Created meeting {} ({}).", d.meeting.title, d.meeting.id);
                print_agenda(&d);
            }
            Ok(())
        }
        MeetingsCommand::List => {
            let list = ops::list(db).await?;
            if !out.json(&list) {
                print_meetings(&list);
            }
            Ok(())
        }
        MeetingsCommand::Show { id } => {
            let d = ops::detail(db, &id).await?;
            if !out.json(&d) {
                print_detail(&d);
            }
            Ok(())
        }
        MeetingsCommand::Agenda(a) => agenda(a, db, out, pass).await,
        MeetingsCommand::Decide(a) => {
            let signer = unlock(db, &a.signer, pass).await?;
            let detail = ops::detail(db, &a.id).await?;
            let item = match &a.item {
                Some(i) => Some(item_id(&detail, i)?),
                None => None,
            };
            let mut managers = Vec::new();
            for who in a
                .signed_by
                .iter()
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
            {
                managers.push(unlock(db, who, pass).await?);
            }
            let decision = ops::decide_signed(
                db,
                &detail.meeting.id,
                &NewDecision {
                    agenda_item_id: item,
                    text: a.text,
                    proposal: None,
                    version: a.version,
                },
                &signer,
                &managers,
            )
            .await?;
            if !out.json(&decision) {
                println!("Recorded decision {}.", decision.id);
                if let Some(o) = minutes::outcome(&decision) {
                    println!("  → {o}");
                }
            }
            Ok(())
        }
        MeetingsCommand::Action(a) => {
            let signer = unlock(db, &a.signer, pass).await?;
            let change = [
                (&a.done, ActionStatus::Done),
                (&a.drop, ActionStatus::Dropped),
                (&a.reopen, ActionStatus::Open),
            ]
            .into_iter()
            .find_map(|(id, s)| id.clone().map(|id| (id, s)));
            let action = match change {
                Some((id, status)) => ops::set_action_status(db, &id, status, &signer).await?,
                None => {
                    let detail = ops::detail(db, &a.id).await?;
                    let item = match &a.item {
                        Some(i) => Some(item_id(&detail, i)?),
                        None => None,
                    };
                    let title = a.title.ok_or_else(|| {
                        AppError::invalid("title", "--title: say what is to be done")
                    })?;
                    ops::add_action(
                        db,
                        &detail.meeting.id,
                        &NewAction {
                            agenda_item_id: item,
                            title,
                            owner: a.owner,
                            due_on: a.due,
                        },
                        &signer,
                    )
                    .await?
                }
            };
            out.done(
                &action,
                &format!(
                    "Action item {} ({}): {}.",
                    action.id,
                    action.title,
                    action.status.as_str()
                ),
            )
        }
        MeetingsCommand::Close { id, signer } => {
            let signer = unlock(db, &signer, pass).await?;
            let m = ops::close(db, &id, &signer).await?;
            out.done(&m, &format!("Closed {}.", m.title))
        }
        MeetingsCommand::Minutes { id } => {
            let d = ops::detail(db, &id).await?;
            match out.format {
                Format::Json => {
                    out.json(&d);
                }
                Format::Html => print!("{}", minutes::html(&d)),
                Format::Csv => {
                    return Err(AppError::invalid(
                        "format",
                        "--format: minutes come as md, html or json",
                    ))
                }
                Format::Text | Format::Md => print!("{}", minutes::markdown(&d)),
            }
            Ok(())
        }
    }
}

async fn agenda(a: AgendaArgs, db: &Db, out: &Out, pass: &mut Passphrases) -> AppResult<()> {
    let detail = ops::detail(db, &a.id).await?;
    let changes = a.add.is_some()
        || a.drop.is_some()
        || a.restore.is_some()
        || a.move_item.is_some()
        || a.refresh;
    if !changes {
        if !out.json(&detail.agenda) {
            print_agenda(&detail);
        }
        return Ok(());
    }
    let who = a.signer.as_deref().ok_or_else(|| {
        AppError::invalid(
            "as",
            "--as: say who changes the agenda (their passphrase signs it)",
        )
    })?;
    let signer = unlock(db, who, pass).await?;
    let id = detail.meeting.id.clone();
    let mut d = detail;
    if a.refresh {
        d = ops::refresh_agenda(db, &id, &signer, &SlaCache::default()).await?;
    }
    if let Some(title) = &a.add {
        d = ops::add_agenda_item(db, &id, title, &a.note, &signer).await?;
    }
    for (target, dropped) in [(&a.drop, true), (&a.restore, false)] {
        if let Some(r) = target {
            let item = item_id(&d, r)?;
            let edit = AgendaEdit {
                dropped: Some(dropped),
                ..AgendaEdit::default()
            };
            d = ops::edit_agenda_item(db, &item, &edit, &signer).await?;
        }
    }
    if let (Some(r), Some(to)) = (&a.move_item, a.to) {
        let item = item_id(&d, r)?;
        let edit = AgendaEdit {
            move_to: Some(to.saturating_sub(1)),
            ..AgendaEdit::default()
        };
        d = ops::edit_agenda_item(db, &item, &edit, &signer).await?;
    }
    if !out.json(&d.agenda) {
        print_agenda(&d);
    }
    Ok(())
}

//! The headless command line: the same domain functions as the window, printing readable
//! text or (`--format json`) the same camelCase JSON the window receives.
mod content;
mod identity;
mod imports;
mod leads;
mod meetings;
mod members;
mod reports;
mod sla;
mod sync;
mod workspace;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::Serialize;

use crate::agreements::diff::{DiffOp, VersionDiff};
use crate::agreements::{
    ops, AgreementBody, AgreementItem, AgreementKind, AgreementVersion, AssetKindBody,
    BuyingStageBody, PersonaBody, Proposal, ReasonBody, ReasonUse, RiskBody, StageBody, TermBody,
};
use crate::db::{self, Db};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::team::{self, Member, NewMember, Role, Side};

#[derive(Parser)]
#[command(
    name = "playbook",
    version,
    about = "The shared sales and marketing playbook. Without a subcommand, opens the window."
)]
pub struct Cli {
    /// The data directory (database and settings); defaults to the window's.
    #[arg(long, env = "PLAYBOOK_DATA_DIR", global = true)]
    data_dir: Option<PathBuf>,
    /// Output format of reads.
    #[arg(long, value_enum, default_value_t = Format::Text, global = true)]
    format: Format,
    /// A file with the passphrase of whoever signs (one line per person named by --as or
    /// --signed-by, in that order); else PLAYBOOK_PASSPHRASE, else a prompt.
    #[arg(long, global = true)]
    passphrase_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
    /// For exports: CSV (the default there).
    Csv,
    /// For minutes: Markdown.
    Md,
    /// For minutes: a printable HTML page.
    Html,
}

#[derive(Subcommand)]
enum Command {
    /// Create the demo workspace (team and playbook) in an empty data directory; every
    /// demo member's passphrase is `playbook-demo`.
    Demo,
    /// Re-check every signature and chain; list what does not verify (exit 1 if anything).
    Verify,
    /// Rebuild the cached stages and scores from the log and the playbook in force.
    Rebuild,
    /// Write a consistent copy of the workspace (default: a new file in DATA/backups/).
    Backup { file: Option<PathBuf> },
    /// Put a backup in place of the workspace: it is checked and every signature in it
    /// verified first, and the current database is kept aside in DATA/backups/.
    Restore {
        file: PathBuf,
        /// Allow a workspace founded by another team to replace this one.
        #[arg(long)]
        other_team: bool,
    },
    /// The team: who works in marketing and sales.
    #[command(subcommand)]
    Members(MembersCommand),
    /// The playbook's stages, glossary terms and reasons, and their versions.
    #[command(subcommand)]
    Agreements(AgreementsCommand),
    /// Write the agreed playbook and the team to a TOML file.
    ExportPlaybook { file: PathBuf },
    /// Read a playbook TOML file in: versions whose signatures verify here are taken as
    /// signed; the rest are signed off by --signed-by.
    ImportPlaybook {
        file: PathBuf,
        /// Managers of this workspace (a marketing and a sales manager) who sign what the
        /// file brings without valid signatures; each proves it with a passphrase.
        #[arg(long, value_delimiter = ',')]
        signed_by: Vec<String>,
    },
    /// Import contacts, handoff events or activities from CSV exports.
    #[command(subcommand)]
    Import(imports::ImportCommand),
    /// Contacts (leads): list, show, buying team.
    #[command(subcommand)]
    Contacts(leads::ContactsCommand),
    /// Opportunities (deals) imported from the CRM.
    #[command(subcommand)]
    Opportunities(workspace::OpportunitiesCommand),
    /// The workspace's settings: the time zone and date order imports read dates in.
    Settings {
        #[command(subcommand)]
        cmd: Option<workspace::SettingsCommand>,
    },
    /// Record a handoff event for a contact: hand-over, accept, reject, attempt, qualify, recycle…
    Handoff {
        id: String,
        action: String,
        /// An agreed reason key (reject, recycle, disqualify, lost).
        #[arg(long)]
        reason: Option<String>,
        /// For attempts: phone, email, linkedin, meeting, video, sms, chat, other.
        #[arg(long)]
        channel: Option<String>,
        #[arg(long, default_value = "")]
        note: String,
        /// Who did it (email); their passphrase signs it.
        #[arg(long = "as")]
        actor: String,
        /// For a hand-over: the sales member who takes the lead (email).
        #[arg(long)]
        to: Option<String>,
        /// When it happened (RFC 3339), if not now.
        #[arg(long)]
        at: Option<String>,
    },
    /// Alignment meetings: agenda from the data, decisions signed in the room, minutes.
    #[command(subcommand)]
    Meetings(meetings::MeetingsCommand),
    /// Reports for a period: funnel, sources, reasons, aging (--format json or csv).
    #[command(subcommand)]
    Report(reports::ReportCommand),
    /// Service levels between sales and marketing, measured from the handoff log.
    #[command(subcommand)]
    Sla(sla::SlaCommand),
    /// Export contacts, events or activities (--format csv or json); FILE `-` writes to
    /// the standard output.
    Export {
        what: leads::ExportWhat,
        file: PathBuf,
    },
    /// Add a synthetic workspace of the given size (for trials and benchmarks).
    Generate {
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
        contacts: u32,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// The ops member or manager who signs the generated records.
        #[arg(long = "as")]
        actor: String,
    },
    /// The team hub on the company's PostgreSQL (run by the database's owner).
    #[command(subcommand)]
    Hub(sync::HubCommand),
    /// Sync with the team hub (one push and pull); `sync join CODE`, `sync status`.
    Sync(sync::SyncArgs),
    /// The content library: add, import, search, show, recommend, risk, send, coverage.
    #[command(subcommand)]
    Content(content::ContentCommand),
    /// Print a PDF's text (the bounded helper the app runs to index PDFs).
    #[command(hide = true)]
    ExtractText { file: PathBuf },
    /// Measure import and list speed against the sqlite3 shell's floor.
    Bench {
        #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
        contacts: u32,
        /// How many times to measure the import and its floor (medians are reported).
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=50))]
        runs: u32,
        /// Measure only the import against the floor, not the generated workspace.
        #[arg(long)]
        import_only: bool,
        /// Measure only the reports, a meeting's agenda and the home screen's data.
        #[arg(long, conflicts_with = "import_only")]
        reports: bool,
        /// Measure only the SLAs: the full report and the scorecard after one new event.
        #[arg(long, conflicts_with_all = ["import_only", "reports"])]
        sla: bool,
        /// Measure the content library instead: search over a synthetic library of this
        /// many assets, with and without facets, against the raw FTS5 query.
        #[arg(long, num_args = 0..=1, default_missing_value = "100000", value_parser = clap::value_parser!(u32).range(100..=1_000_000))]
        content: Option<u32>,
    },
}

#[derive(Subcommand)]
enum MembersCommand {
    List,
    /// One member and every signed change to them (who added them, role changes, keys).
    Show {
        email: String,
    },
    /// Add a member, signed by a manager (--as). In a workspace without members, founds it:
    /// the first member is a manager and needs no --as. Someone removed is added again
    /// this way, with a new key (a forgotten passphrase).
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = parse_side)]
        side: Side,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// The manager who adds them (email).
        #[arg(long = "as")]
        signer: Option<String>,
        /// A file whose first line is the new member's passphrase (else
        /// PLAYBOOK_NEW_PASSPHRASE, else a prompt).
        #[arg(long)]
        new_passphrase_file: Option<PathBuf>,
    },
    /// Add a CRM's users (Zoho Users, Salesforce User, HubSpot owners) in bulk, signed by
    /// a manager: active users not on the team become reps (ops by their role) with a
    /// one-time passphrase each, printed once; every user's CRM id and name are remembered
    /// so the records they own resolve to them.
    Import(members::ImportUsers),
    /// Change a member's side or role, signed by another manager.
    SetRole {
        email: String,
        #[arg(long, value_parser = parse_side)]
        side: Side,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        #[arg(long = "as")]
        signer: String,
    },
    /// Rename a member, signed by another manager.
    Rename {
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long = "as")]
        signer: String,
    },
    /// Remove a member from the team, signed by another manager (their signatures keep
    /// verifying; add them again with a new key if they forgot their passphrase).
    Remove {
        email: String,
        #[arg(long = "as")]
        signer: String,
    },
    /// Seal your own key under a new passphrase (--as yourself; your current passphrase
    /// proves it), or replace it with a new key (--new-key).
    Passphrase {
        #[arg(long = "as")]
        signer: String,
        #[arg(long)]
        new_key: bool,
        /// A file whose first line is the new passphrase (else PLAYBOOK_NEW_PASSPHRASE,
        /// else a prompt).
        #[arg(long)]
        new_passphrase_file: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum AgreementsCommand {
    /// Items with what is in force and what awaits sign-off.
    List {
        #[arg(long, value_parser = parse_kind)]
        kind: Option<AgreementKind>,
    },
    /// One item and its history (REF: kind/key, kind/key@N, or an id).
    Show { reference: String },
    /// Propose a new item, or a new version of one (--item), for sign-off.
    Propose(Box<ProposeArgs>),
    /// Sign a proposed version off as a manager.
    Approve {
        reference: String,
        #[arg(long = "as")]
        signer: String,
        #[arg(long, default_value = "")]
        comment: String,
    },
    /// Decline a proposed version, saying why; it returns to draft.
    Decline {
        reference: String,
        #[arg(long = "as")]
        signer: String,
        #[arg(long)]
        comment: String,
    },
    /// Compare two versions of an item side by side.
    Diff { left: String, right: String },
}

#[derive(Args, Clone)]
struct ProposeArgs {
    /// The item to change (kind/key or id); without it a new item is proposed.
    #[arg(long)]
    item: Option<String>,
    /// The kind of a new item.
    #[arg(long, value_parser = parse_kind)]
    kind: Option<AgreementKind>,
    /// Key of a new item (derived from the name when absent).
    #[arg(long)]
    key: Option<String>,
    #[arg(long)]
    name: Option<String>,
    /// Why the change is proposed.
    #[arg(long, default_value = "")]
    summary: String,
    /// The proposer's email; their passphrase signs the proposal.
    #[arg(long = "as")]
    author: String,
    /// Earliest time the version may take force (RFC 3339).
    #[arg(long)]
    effective_from: Option<String>,
    #[arg(long, value_parser = parse_side)]
    side: Option<Side>,
    #[arg(long)]
    position: Option<u32>,
    #[arg(long)]
    entry: Option<String>,
    #[arg(long)]
    exit: Option<String>,
    /// Maximum days in stage; 0 for none.
    #[arg(long)]
    max_days: Option<u32>,
    #[arg(long, value_delimiter = ',')]
    allowed_next: Option<Vec<String>>,
    #[arg(long)]
    definition: Option<String>,
    #[arg(long, value_delimiter = ',', value_parser = parse_use)]
    applies_to: Option<Vec<ReasonUse>>,
    #[arg(long)]
    description: Option<String>,
    /// Scoring model: the score at which a contact is ready for the MQL handover.
    #[arg(long)]
    threshold: Option<u32>,
    /// SLA: the rule's number (hours or days, attempts, count per period, or percent).
    #[arg(long)]
    target: Option<u32>,
    /// Business calendar: the IANA time zone.
    #[arg(long)]
    time_zone: Option<String>,
    /// Business calendar: working hours, e.g. 09:00-12:00,13:00-17:00.
    #[arg(long, value_delimiter = ',')]
    hours: Option<Vec<String>>,
    /// Business calendar: the holiday dates (YYYY-MM-DD), replacing the list.
    #[arg(long, value_delimiter = ',')]
    holidays: Option<Vec<String>>,
    /// Buying stage: the contact buying stages (awareness, consideration, decision) it covers.
    #[arg(long, value_delimiter = ',', value_parser = parse_buying_stage)]
    contact_stages: Option<Vec<crate::leads::BuyingStage>>,
    /// Buying stage: the lifecycle stage keys it covers.
    #[arg(long, value_delimiter = ',')]
    lifecycle_stages: Option<Vec<String>>,
    /// Persona: the buying roles that are this persona.
    #[arg(long, value_delimiter = ',', value_parser = parse_buying_role)]
    buying_roles: Option<Vec<crate::leads::BuyingRole>>,
    /// Persona: words in a job title that make a contact this persona.
    #[arg(long, value_delimiter = ',')]
    title_keywords: Option<Vec<String>>,
    /// Asset kind: months until an asset of the kind is due for review (0: none).
    #[arg(long)]
    review_months: Option<u32>,
}

pub(crate) fn parse_side(s: &str) -> Result<Side, String> {
    Side::parse("side", s).map_err(|e| e.message)
}
fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse("role", s).map_err(|e| e.message)
}
fn parse_kind(s: &str) -> Result<AgreementKind, String> {
    AgreementKind::parse(s).map_err(|e| e.message)
}
fn parse_use(s: &str) -> Result<ReasonUse, String> {
    ReasonUse::parse(s).map_err(|e| e.message)
}
fn parse_buying_stage(s: &str) -> Result<crate::leads::BuyingStage, String> {
    crate::leads::BuyingStage::parse(s).ok_or_else(|| {
        format!("'{s}' is not a buying stage; use awareness, consideration or decision")
    })
}
fn parse_buying_role(s: &str) -> Result<crate::leads::BuyingRole, String> {
    crate::leads::BuyingRole::parse(s).ok_or_else(|| {
        let all: Vec<&str> = crate::leads::BuyingRole::ALL
            .iter()
            .map(|r| r.as_str())
            .collect();
        format!("'{s}' is not a buying role; use one of {}", all.join(", "))
    })
}

/// Parses the arguments and runs: the window without a subcommand, else the command.
/// Exit status: 0 done, 1 refused (message on stderr), 2 usage error.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let data_dir = cli.data_dir.clone().unwrap_or_else(db::default_data_dir);
    let result = match cli.command {
        None => crate::run_window(data_dir),
        Some(command) => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(AppError::from)
            .and_then(|rt| rt.block_on(run(command, cli.format, data_dir, cli.passphrase_file))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let e = humanise(e);
            eprintln!("error [{}]: {}", e.code.as_str(), e.message);
            ExitCode::from(1)
        }
    }
}

/// The command-line flag that sets a field, for messages that name the field.
fn flag_for(field: &str) -> Option<&'static str> {
    Some(match field {
        "mqlThreshold" => "--threshold",
        "effectiveFrom" => "--effective-from",
        "entryCriteria" => "--entry",
        "exitCriteria" => "--exit",
        "allowedNext" => "--allowed-next",
        "appliesTo" => "--applies-to",
        "maxDaysInStage" => "--max-days",
        "definition" => "--definition",
        "description" => "--description",
        "summary" => "--summary",
        "comment" => "--comment",
        "note" => "--note",
        "name" => "--name",
        "email" => "--email",
        "position" => "--position",
        "at" => "--at",
        "reason" => "--reason",
        "channel" => "--channel",
        "assignee" => "--to",
        "key" => "--key",
        "kind" => "--kind",
        "signedBy" => "--signed-by",
        "passphraseFile" => "--passphrase-file",
        "newPassphraseFile" => "--new-passphrase-file",
        _ => return None,
    })
}

/// A message that begins with a field's code (`mqlThreshold: …`) names the flag instead
/// (`--threshold: …`); the error keeps its `field` code for scripts.
fn humanise(e: AppError) -> AppError {
    let Some(flag) = e.field.as_deref().and_then(flag_for) else {
        return e;
    };
    let field = e.field.clone().unwrap_or_default();
    match e.message.strip_prefix(&format!("{field}: ")) {
        Some(rest) => AppError {
            message: format!("{flag}: {rest}"),
            ..e
        },
        None => e,
    }
}

async fn run(
    command: Command,
    format: Format,
    data_dir: PathBuf,
    passphrase_file: Option<PathBuf>,
) -> AppResult<()> {
    let mut passphrases = identity::Passphrases::new(passphrase_file.as_ref())?;
    db::set_data_dir(&data_dir);
    if let Command::Restore { file, other_team } = &command {
        let aside = crate::backup::restore(&data_dir, file, *other_team).await?;
        let kept = aside
            .as_ref()
            .map(|a| format!(" The workspace it replaced is kept as {}.", a.display()))
            .unwrap_or_default();
        return Out { format }.done(
            &serde_json::json!({ "restored": file, "keptAside": aside }),
            &format!("Restored {}.{kept}", file.display()),
        );
    }
    if let Command::ExtractText { file } = &command {
        return content::extract_text(file);
    }
    if let Command::Bench {
        contacts,
        runs,
        import_only,
        reports,
        sla,
        content,
    } = command
    {
        let json = format == Format::Json;
        if reports {
            return crate::reports::bench::run(contacts, runs, json).await;
        }
        if sla {
            return crate::bench::run_sla(contacts, runs, json).await;
        }
        if let Some(assets) = content {
            return crate::content::bench::run(assets, json).await;
        }
        return crate::bench::run(contacts, runs, import_only, json).await;
    }
    let db = db::open(&data_dir).await?;
    let damaged = db::check_integrity(&db, &data_dir).await?;
    let verifying = matches!(command, Command::Verify);
    let result = dispatch(command, Out { format }, &db, &data_dir, &mut passphrases).await;
    // Said once: a refusal or `verify` already says it.
    if let Some(problem) = damaged {
        let said = verifying
            || matches!(&result, Err(e) if matches!(e.code, ErrorCode::ReadOnly | ErrorCode::Damaged));
        if !said {
            eprintln!("warning: {problem}");
        }
    }
    // Closing the last connection checkpoints the WAL, so the next command starts clean.
    db.close().await;
    result
}

async fn dispatch(
    command: Command,
    out: Out,
    db: &Db,
    data_dir: &std::path::Path,
    pass: &mut identity::Passphrases,
) -> AppResult<()> {
    match command {
        Command::Backup { file } => {
            let path = match file {
                Some(f) => {
                    crate::exports::guard(data_dir, &f)?;
                    crate::backup::copy_to(db, &f).await?;
                    f
                }
                None => crate::backup::snapshot(db, data_dir, "manual").await?,
            };
            out.done(
                &serde_json::json!({ "file": path }),
                &format!("Backed up the workspace to {}.", path.display()),
            )
        }
        Command::Restore { .. } => unreachable!("handled before the database opens"),
        Command::Verify => {
            let report = crate::trust::verify::run(db).await?;
            if !out.json(&report) {
                print_verify(&report);
            }
            verdict(&report)
        }
        Command::Rebuild => {
            let (members, stages, scores) = crate::leads::ops::rebuild(db).await?;
            out.done(
                &serde_json::json!({ "membersChanged": members, "stagesChanged": stages, "scoresChanged": scores }),
                &format!("Rebuilt the local copies: {members} members, {stages} stages and {scores} scores changed."),
            )
        }
        Command::Demo => {
            let mut tx = db::write(db).await?;
            crate::demo::create(&mut tx, chrono::Utc::now()).await?;
            tx.commit().await?;
            crate::content::demo::create(db, data_dir, chrono::Utc::now()).await?;
            out.done(
                &serde_json::json!({ "created": true }),
                "Created the demo workspace.",
            )
        }
        Command::Members(cmd) => members(cmd, db, &out, pass).await,
        Command::Agreements(cmd) => agreements(cmd, db, &out, pass).await,
        Command::ExportPlaybook { file } => {
            crate::exports::guard(data_dir, &file)?;
            let f = ops::export_file(db, &file).await?;
            let n = f.stages.len()
                + f.terms.len()
                + f.reasons.len()
                + f.scoring.len()
                + f.calendars.len()
                + f.slas.len()
                + f.buying_stages.len()
                + f.personas.len()
                + f.risks.len()
                + f.asset_kinds.len();
            out.done(
                &serde_json::json!({ "file": file, "items": n, "members": f.members.len() }),
                &format!(
                    "Wrote {n} agreed items and {} members to {}.",
                    f.members.len(),
                    file.display()
                ),
            )
        }
        Command::Import(cmd) => imports::import(cmd, db, &out, pass).await,
        Command::Contacts(cmd) => leads::contacts(cmd, db, &out, pass).await,
        Command::Opportunities(cmd) => workspace::opportunities(cmd, db, &out).await,
        Command::Settings { cmd } => {
            workspace::settings(
                cmd.unwrap_or(workspace::SettingsCommand::Show),
                db,
                &out,
                pass,
            )
            .await
        }
        Command::Sla(cmd) => sla::run(cmd, db, &out).await,
        Command::Handoff {
            id,
            action,
            reason,
            channel,
            note,
            actor,
            to,
            at,
        } => {
            let signer = identity::unlock(db, &actor, pass).await?;
            leads::handoff(db, &out, id, action, reason, channel, note, &signer, to, at).await
        }
        Command::Report(cmd) => reports::report(cmd, db, &out).await,
        Command::Meetings(cmd) => meetings::meetings(cmd, db, &out, pass).await,
        Command::Export { what, file } => {
            if file.as_os_str() != "-" {
                crate::exports::guard(data_dir, &file)?;
            }
            leads::export(db, what, file, out.format).await
        }
        Command::Generate {
            contacts,
            seed,
            actor,
        } => {
            let signer = identity::unlock(db, &actor, pass).await?;
            let g = crate::leads::ops::generate(db, contacts, seed, &signer).await?;
            out.done(
                &g,
                &format!(
                    "Generated {} accounts, {} contacts, {} handoff events and {} activities.",
                    g.accounts, g.contacts, g.events, g.activities
                ),
            )
        }
        Command::Bench { .. } => unreachable!("handled before the database opens"),
        Command::Hub(cmd) => sync::hub(cmd, db, &out).await,
        Command::Sync(args) => sync::sync(args, db, data_dir, &out, pass).await,
        Command::ExtractText { .. } => unreachable!("handled before the database opens"),
        Command::Content(cmd) => content::run(cmd, db, data_dir, &out, pass).await,
        Command::ImportPlaybook { file, signed_by } => {
            // The file is read and checked before anyone is asked for a passphrase.
            let parsed =
                crate::agreements::file::from_toml(&crate::agreements::file::read(&file)?)?;
            let mut signers = Vec::new();
            for email in signed_by.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
                signers.push(identity::unlock(db, email, pass).await?);
            }
            let s = ops::import_file(db, &parsed, &signers).await?;
            out.done(
                &s,
                &format!(
                    "Imported {}: {} members added, {} skipped; {} versions taken as signed, {} proposed, {} agreed, {} unchanged.",
                    file.display(),
                    s.members_added,
                    s.members_skipped,
                    s.versions_verbatim,
                    s.versions_proposed,
                    s.versions_agreed,
                    s.unchanged
                ),
            )
        }
    }
}

fn print_verify(report: &crate::trust::verify::VerifyReport) {
    if let Some(d) = &report.damaged {
        println!("The workspace file is damaged: {d}");
        if let Some(why) = &report.unreadable {
            println!("Its records could not be read ({why}).");
            return;
        }
    }
    println!(
        "Checked {} member records, {} versions, {} sign-offs, {} bulk writes, {} events and {} activities.",
        report.members, report.versions, report.signoffs, report.bulks, report.events, report.activities
    );
    for f in &report.failures {
        println!(
            "  {} {} {}: {}",
            f.kind.label(),
            f.table,
            f.label,
            f.problem
        );
    }
    let r = &report.repaired;
    if r.members + r.stages + r.scores > 0 {
        println!(
            "Repaired the local copies: {} rows of the members list, {} cached stages and {} cached scores disagreed with the signed records.",
            r.members, r.stages, r.scores
        );
    }
    if report.failures.is_empty() && report.damaged.is_none() {
        println!("Everything verifies.");
    }
}

/// `verify`'s exit: refused when the file is damaged or any record fails.
fn verdict(report: &crate::trust::verify::VerifyReport) -> AppResult<()> {
    if let Some(d) = &report.damaged {
        return Err(AppError::new(ErrorCode::Damaged, d.clone()));
    }
    if report.failures.is_empty() {
        return Ok(());
    }
    use crate::trust::ProblemKind;
    let count = |k: ProblemKind| report.failures.iter().filter(|f| f.kind == k).count();
    let parts: Vec<String> = [
        (ProblemKind::Tampered, "tampered"),
        (ProblemKind::NotAuthorised, "not authorised"),
        (ProblemKind::Missing, "referring to rows that are gone"),
    ]
    .into_iter()
    .filter(|(k, _)| count(*k) > 0)
    .map(|(k, w)| format!("{} {w}", count(k)))
    .collect();
    Err(AppError::new(
        ErrorCode::Tampered,
        format!(
            "{} records do not verify ({}); folds ignore them",
            report.failures.len(),
            parts.join(", ")
        ),
    ))
}

async fn members(
    cmd: MembersCommand,
    db: &Db,
    out: &Out,
    pass: &mut identity::Passphrases,
) -> AppResult<()> {
    let described = |m: &Member| format!("{} ({} {})", m.name, m.side.as_str(), m.role.as_str());
    match cmd {
        MembersCommand::List => out.members(&team::list(db).await?),
        MembersCommand::Import(args) => members::import_users(args, db, out, pass).await,
        MembersCommand::Show { email } => {
            let h = team::history(db, &email).await?;
            if !out.json(&h) {
                let m = &h.member;
                println!(
                    "{} <{}> · {} {}",
                    m.name,
                    m.email,
                    m.side.as_str(),
                    m.role.as_str()
                );
                if let Some(note) = key_note(m) {
                    println!("{note}");
                }
                for c in &h.changes {
                    println!(
                        "  {}  {} · signed by {}{}",
                        c.at,
                        c.what,
                        c.signed_by,
                        c.key_set_by
                            .as_ref()
                            .map(|by| format!(" · key set by {by}"))
                            .unwrap_or_default()
                    );
                }
            }
            Ok(())
        }
        MembersCommand::Add {
            email,
            name,
            side,
            role,
            signer,
            new_passphrase_file,
        } => {
            let member = NewMember {
                email,
                name,
                side,
                role,
            };
            let new_pass = || identity::new_passphrase(new_passphrase_file.as_ref(), &member.email);
            let m = match signer {
                Some(s) => {
                    let signer = identity::unlock(db, &s, pass).await?;
                    team::add(db, &member, &new_pass()?, &signer).await?
                }
                None => team::found(db, &member, &new_pass()?).await?,
            };
            out.done(&m, &format!("Added {}.", described(&m)))
        }
        MembersCommand::SetRole {
            email,
            side,
            role,
            signer,
        } => {
            let signer = identity::unlock(db, &signer, pass).await?;
            let m = team::change_role(db, &email, side, role, &signer).await?;
            out.done(
                &m,
                &format!(
                    "{} is now a {} {}.",
                    m.name,
                    m.side.as_str(),
                    m.role.as_str()
                ),
            )
        }
        MembersCommand::Rename {
            email,
            name,
            signer,
        } => {
            let signer = identity::unlock(db, &signer, pass).await?;
            let m = team::rename(db, &email, &name, &signer).await?;
            out.done(&m, &format!("{} is now called {}.", m.email, m.name))
        }
        MembersCommand::Remove { email, signer } => {
            let signer = identity::unlock(db, &signer, pass).await?;
            let m = team::remove(db, &email, &signer).await?;
            out.done(&m, &format!("Removed {} from the team.", described(&m)))
        }
        MembersCommand::Passphrase {
            signer,
            new_key,
            new_passphrase_file,
        } => {
            let signer = identity::unlock(db, &signer, pass).await?;
            let me = team::store::get(&mut *db.acquire().await?, &signer.member_id).await?;
            let new = identity::new_passphrase(new_passphrase_file.as_ref(), &me.email)?;
            let m = team::change_passphrase(db, &signer, &new, new_key).await?;
            out.done(
                &m,
                &if new_key {
                    format!("{} has a new key, sealed under the new passphrase.", m.name)
                } else {
                    format!("{}'s key is sealed under the new passphrase.", m.name)
                },
            )
        }
    }
}

/// "key set by Maya Okafor on 2026-11-27", for a member whose key someone else replaced.
fn key_note(m: &Member) -> Option<String> {
    let by = m.key_set_by.as_ref()?;
    let at = m.key_set_at.as_deref().unwrap_or_default();
    Some(format!("key set by {by} on {}", at.get(..10).unwrap_or(at)))
}

async fn agreements(
    cmd: AgreementsCommand,
    db: &Db,
    out: &Out,
    pass: &mut identity::Passphrases,
) -> AppResult<()> {
    match cmd {
        AgreementsCommand::List { kind } => out.items(&ops::list(db, kind, None).await?),
        AgreementsCommand::Show { reference } => out.item(&ops::item(db, &reference).await?),
        AgreementsCommand::Propose(args) => {
            let proposal = build_proposal(db, &args).await?;
            let author = identity::unlock(db, &args.author, pass).await?;
            let v = ops::propose(db, &proposal, &author).await?;
            out.version(&v, "Proposed")
        }
        AgreementsCommand::Approve {
            reference,
            signer,
            comment,
        } => {
            let signer = identity::unlock(db, &signer, pass).await?;
            let v = ops::approve(db, &reference, &signer, &comment).await?;
            out.version(&v, "Approved")
        }
        AgreementsCommand::Decline {
            reference,
            signer,
            comment,
        } => {
            let signer = identity::unlock(db, &signer, pass).await?;
            let v = ops::decline(db, &reference, &signer, &comment).await?;
            out.version(&v, "Declined")
        }
        AgreementsCommand::Diff { left, right } => out.diff(&ops::diff(db, &left, &right).await?),
    }
}

/// A proposal from the flags: a change starts from the item's newest version and
/// replaces only the fields given; a new item needs its kind's fields.
async fn build_proposal(db: &Db, a: &ProposeArgs) -> AppResult<Proposal> {
    let a = a.clone();
    let base = match &a.item {
        Some(reference) => Some(ops::item(db, reference).await?),
        None => None,
    };
    let kind = match (&base, a.kind) {
        (Some(item), _) => item.kind,
        (None, Some(kind)) => kind,
        (None, None) => {
            return Err(AppError::invalid(
                "kind",
                "--kind is needed for a new item (stage, term or reason)",
            ))
        }
    };
    let newest = base.as_ref().map(|i| &i.versions[0]);
    let name = a
        .name
        .clone()
        .or_else(|| newest.map(|v| v.name.clone()))
        .unwrap_or_default();
    let body = match (kind, newest.map(|v| &v.body)) {
        (AgreementKind::Stage, base) => {
            let b = match base {
                Some(AgreementBody::Stage(s)) => s.clone(),
                _ => StageBody {
                    side: a.side.unwrap_or(Side::Marketing),
                    position: match a.position {
                        Some(p) => p,
                        None => next_position(db).await?,
                    },
                    entry_criteria: String::new(),
                    exit_criteria: String::new(),
                    max_days_in_stage: None,
                    allowed_next: vec![],
                    actions: vec![],
                },
            };
            AgreementBody::Stage(StageBody {
                side: a.side.unwrap_or(b.side),
                position: a.position.unwrap_or(b.position),
                entry_criteria: a.entry.unwrap_or(b.entry_criteria),
                exit_criteria: a.exit.unwrap_or(b.exit_criteria),
                max_days_in_stage: a
                    .max_days
                    .map(|d| Some(d).filter(|d| *d > 0))
                    .unwrap_or(b.max_days_in_stage),
                allowed_next: a.allowed_next.unwrap_or(b.allowed_next),
                actions: b.actions,
            })
        }
        (AgreementKind::Term, base) => {
            let old = match base {
                Some(AgreementBody::Term(t)) => t.definition.clone(),
                _ => String::new(),
            };
            AgreementBody::Term(TermBody {
                definition: a.definition.unwrap_or(old),
            })
        }
        (AgreementKind::Reason, base) => {
            let (uses, desc) = match base {
                Some(AgreementBody::Reason(r)) => (r.applies_to.clone(), r.description.clone()),
                _ => (vec![], String::new()),
            };
            AgreementBody::Reason(ReasonBody {
                applies_to: a.applies_to.unwrap_or(uses),
                description: a.description.unwrap_or(desc),
            })
        }
        (AgreementKind::Scoring, base) => {
            let Some(AgreementBody::Scoring(model)) = base else {
                return Err(AppError::invalid(
                    "kind",
                    "a new scoring model comes from a playbook file (import-playbook); here you can change a model's --threshold",
                ));
            };
            let mut model = model.clone();
            model.mql_threshold = a.threshold.unwrap_or(model.mql_threshold);
            AgreementBody::Scoring(model)
        }
        (AgreementKind::Sla, base) => {
            let Some(AgreementBody::Sla(sla)) = base else {
                return Err(AppError::invalid(
                    "kind",
                    "a new SLA comes from a playbook file (import-playbook) or the window; here you can change an SLA's --target",
                ));
            };
            let mut sla = sla.clone();
            if let Some(t) = a.target {
                sla.rule.set_target(t);
            }
            AgreementBody::Sla(sla)
        }
        (AgreementKind::BusinessCalendar, base) => {
            let Some(AgreementBody::BusinessCalendar(cal)) = base else {
                return Err(AppError::invalid(
                    "kind",
                    "a new business calendar comes from a playbook file (import-playbook) or the window; here you can change --time-zone, --hours and --holidays",
                ));
            };
            let mut cal = cal.clone();
            if let Some(zone) = a.time_zone {
                cal.time_zone = zone;
            }
            if let Some(hours) = a.hours {
                cal.hours = hours
                    .iter()
                    .map(|h| {
                        let (from, to) = h.split_once('-').unwrap_or((h, ""));
                        crate::agreements::sla_model::WorkingHours {
                            from: from.trim().into(),
                            to: to.trim().into(),
                        }
                    })
                    .collect();
            }
            if let Some(dates) = a.holidays {
                cal.holidays = dates
                    .iter()
                    .filter(|d| !d.trim().is_empty())
                    .map(|d| crate::agreements::sla_model::Holiday {
                        name: cal
                            .holidays
                            .iter()
                            .find(|h| h.date == d.trim())
                            .map(|h| h.name.clone())
                            .unwrap_or_default(),
                        date: d.trim().into(),
                    })
                    .collect();
            }
            AgreementBody::BusinessCalendar(cal)
        }
        (AgreementKind::BuyingStage, base) => {
            let b = match base {
                Some(AgreementBody::BuyingStage(b)) => b.clone(),
                _ => BuyingStageBody {
                    position: 1,
                    description: String::new(),
                    contact_stages: vec![],
                    lifecycle_stages: vec![],
                },
            };
            AgreementBody::BuyingStage(BuyingStageBody {
                position: a.position.unwrap_or(b.position),
                description: a.description.unwrap_or(b.description),
                contact_stages: a.contact_stages.unwrap_or(b.contact_stages),
                lifecycle_stages: a.lifecycle_stages.unwrap_or(b.lifecycle_stages),
            })
        }
        (AgreementKind::Persona, base) => {
            let b = match base {
                Some(AgreementBody::Persona(b)) => b.clone(),
                _ => PersonaBody {
                    description: String::new(),
                    buying_roles: vec![],
                    title_keywords: vec![],
                },
            };
            AgreementBody::Persona(PersonaBody {
                description: a.description.unwrap_or(b.description),
                buying_roles: a.buying_roles.unwrap_or(b.buying_roles),
                title_keywords: a.title_keywords.unwrap_or(b.title_keywords),
            })
        }
        (AgreementKind::Risk, base) => {
            let old = match base {
                Some(AgreementBody::Risk(r)) => r.description.clone(),
                _ => String::new(),
            };
            AgreementBody::Risk(RiskBody {
                description: a.description.unwrap_or(old),
            })
        }
        (AgreementKind::AssetKind, base) => {
            let b = match base {
                Some(AgreementBody::AssetKind(b)) => b.clone(),
                _ => AssetKindBody {
                    description: String::new(),
                    review_months: None,
                },
            };
            AgreementBody::AssetKind(AssetKindBody {
                description: a.description.unwrap_or(b.description),
                review_months: a.review_months.or(b.review_months),
            })
        }
    };
    Ok(Proposal {
        item_id: base.map(|i| i.id),
        key: a.key,
        name,
        body,
        summary: a.summary,
        effective_from: a.effective_from,
    })
}

async fn next_position(db: &Db) -> AppResult<u32> {
    let items = ops::list(db, Some(AgreementKind::Stage), None).await?;
    let max = items
        .iter()
        .filter_map(|i| match &i.versions[0].body {
            AgreementBody::Stage(s) => Some(s.position),
            _ => None,
        })
        .max()
        .unwrap_or(0);
    Ok(max + 1)
}

struct Out {
    format: Format,
}

impl Out {
    fn json<T: Serialize>(&self, value: &T) -> bool {
        if self.format == Format::Json {
            println!(
                "{}",
                serde_json::to_string_pretty(value).expect("output serialises")
            );
            true
        } else {
            false
        }
    }

    fn done<T: Serialize>(&self, value: &T, text: &str) -> AppResult<()> {
        if !self.json(value) {
            println!("{text}");
        }
        Ok(())
    }

    fn members(&self, members: &[Member]) -> AppResult<()> {
        if !self.json(&members) {
            let rows = members
                .iter()
                .map(|m| {
                    vec![
                        m.name.clone(),
                        m.email.clone(),
                        m.side.as_str().into(),
                        m.role.as_str().into(),
                        key_note(m).unwrap_or_default(),
                    ]
                })
                .collect();
            table(&["NAME", "EMAIL", "SIDE", "ROLE", "KEY"], rows);
        }
        Ok(())
    }

    fn items(&self, items: &[AgreementItem]) -> AppResult<()> {
        if !self.json(&items) {
            let rows = items
                .iter()
                .map(|i| {
                    let pending = match (&i.pending, &i.draft) {
                        (Some(p), _) => format!(
                            "v{} awaits {}",
                            p.number,
                            p.awaiting
                                .iter()
                                .map(|s| s.as_str())
                                .collect::<Vec<_>>()
                                .join(" and ")
                        ),
                        (None, Some(d)) => format!("v{} declined, draft", d.number),
                        _ => String::new(),
                    };
                    vec![
                        format!("{}/{}", i.kind.as_str(), i.key),
                        i.name.clone(),
                        i.in_force
                            .as_ref()
                            .map(|v| format!("v{}", v.number))
                            .unwrap_or_else(|| "-".into()),
                        pending,
                    ]
                })
                .collect();
            table(&["ITEM", "NAME", "IN FORCE", "PENDING"], rows);
        }
        Ok(())
    }

    fn item(&self, item: &AgreementItem) -> AppResult<()> {
        if self.json(item) {
            return Ok(());
        }
        println!("{} ({}/{})", item.name, item.kind.as_str(), item.key);
        for v in &item.versions {
            println!();
            print_version(v);
        }
        Ok(())
    }

    fn version(&self, v: &AgreementVersion, verb: &str) -> AppResult<()> {
        if !self.json(v) {
            println!("{verb} {}: now {}.", v.reference(), status_text(v));
        }
        Ok(())
    }

    fn diff(&self, d: &VersionDiff) -> AppResult<()> {
        if self.json(d) {
            return Ok(());
        }
        println!("{}  →  {}", d.left.reference(), d.right.reference());
        for f in &d.fields {
            if !f.changed {
                println!("  {}: unchanged", f.field);
                continue;
            }
            let marked: String = f
                .segments
                .iter()
                .map(|s| match s.op {
                    DiffOp::Same => s.text.clone(),
                    DiffOp::Removed => format!("[-{}-]", s.text),
                    DiffOp::Added => format!("{{+{}+}}", s.text),
                })
                .collect();
            println!(
                "  {}:\n    was: {}\n    now: {}\n    change: {}",
                f.field, f.left, f.right, marked
            );
        }
        Ok(())
    }
}

fn status_text(v: &AgreementVersion) -> String {
    use crate::agreements::VersionStatus::*;
    match v.status {
        Draft => "draft".into(),
        Proposed => format!(
            "proposed, awaiting {}",
            v.awaiting
                .iter()
                .map(|s| format!("{} manager", s.as_str()))
                .collect::<Vec<_>>()
                .join(" and ")
        ),
        Scheduled => format!(
            "agreed, in force from {}",
            v.effective_at.clone().unwrap_or_default()
        ),
        InForce => "in force".into(),
        Superseded => "superseded".into(),
        Tampered => format!(
            "TAMPERED, ignored: {}",
            v.problem.clone().unwrap_or_default()
        ),
    }
}

fn print_version(v: &AgreementVersion) {
    println!("v{} · {} · {}", v.number, v.name, status_text(v));
    if !v.summary.is_empty() {
        println!("  why: {}", v.summary);
    }
    for (label, value) in v.body.fields(&|key| key.to_string()) {
        if !value.is_empty() {
            println!("  {label}: {value}");
        }
    }
    for e in &v.log {
        let who = e.member_name.clone().unwrap_or_else(|| "—".into());
        let comment = if e.comment.is_empty() {
            String::new()
        } else {
            format!(": {}", e.comment)
        };
        let problem = e
            .problem
            .as_ref()
            .map(|p| format!("  [does not count: {p}]"))
            .unwrap_or_default();
        println!("  {} {:?} {}{}{}", e.at, e.action, who, comment, problem);
    }
}

pub(crate) fn table(headers: &[&str], rows: Vec<Vec<String>>) {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let parts: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("{}", parts.join("  ").trim_end());
    };
    line(headers.iter().map(|h| h.to_string()).collect());
    for row in rows {
        line(row);
    }
}

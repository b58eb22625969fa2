//! The headless member command that adds a CRM's users in bulk.
use std::path::PathBuf;

use clap::Args;

use super::identity::{unlock, Passphrases};
use super::{parse_side, Out};
use crate::db::{self, Db};
use crate::error::{AppError, AppResult};
use crate::imports::{ImportMode, Mapping};
use crate::team::{crm_users, Side};

#[derive(Args)]
pub struct ImportUsers {
    file: PathBuf,
    /// The side every new member joins (default: from each user's role, department or
    /// team: marketing when it says so, else sales).
    #[arg(long, value_parser = parse_side)]
    side: Option<Side>,
    /// A TOML mapping file ([columns] email = "…", …; system = "…").
    #[arg(long)]
    mapping: Option<PathBuf>,
    /// Add users whatever their email domain (by default, only users at the team's own
    /// domains are added: a CRM's integration users and contractors are listed instead).
    #[arg(long)]
    any_domain: bool,
    /// Import the valid rows and report the others (default: all or nothing).
    #[arg(long)]
    valid_rows: bool,
    /// Check and report, add nobody.
    #[arg(long)]
    dry_run: bool,
    /// The manager who adds them (email).
    #[arg(long = "as")]
    signer: String,
}

pub async fn import_users(
    args: ImportUsers,
    db: &Db,
    out: &Out,
    pass: &mut Passphrases,
) -> AppResult<()> {
    let signer = unlock(db, &args.signer, pass).await?;
    let read = |p: &PathBuf| {
        std::fs::read(p).map_err(|e| AppError::io(format!("cannot read {}: {e}", p.display())))
    };
    let bytes = read(&args.file)?;
    let mapping = match &args.mapping {
        Some(p) => Mapping::from_toml(&String::from_utf8_lossy(&read(p)?))?,
        None => Mapping::default(),
    };
    let mode = if args.valid_rows {
        ImportMode::ValidRows
    } else {
        ImportMode::AllOrNothing
    };
    let mut tx = db::write(db).await?;
    let mut s = crm_users::import(
        &mut tx,
        &bytes,
        &mapping,
        args.side,
        args.any_domain,
        mode,
        &signer,
        chrono::Utc::now(),
    )
    .await?;
    s.dry_run = args.dry_run;
    if s.written && !args.dry_run {
        tx.commit().await?;
    } else {
        s.written = false;
        if args.dry_run {
            // Nothing is added on a dry run: no passphrase was handed out.
            for a in &mut s.added {
                a.passphrase.clear();
            }
        }
    }
    if !out.json(&s) {
        println!(
            "{} ({}): {} rows read, {} added, {} already on the team, {} inactive, {} rejected{}.",
            args.file.display(),
            s.dialect,
            s.rows_read,
            s.added.len(),
            s.already,
            s.inactive.len(),
            s.rejected,
            if s.dry_run {
                " (dry run: nobody added)"
            } else if !s.written {
                " (nobody added)"
            } else {
                ""
            }
        );
        for e in &s.errors {
            println!("  row {} [{}]: {}", e.row, e.column, e.message);
        }
        if !s.skipped.is_empty() {
            println!("  not added: {}", s.skipped.join(", "));
        }
        if !s.inactive.is_empty() {
            println!(
                "  inactive in the CRM (remembered as owners, not added): {}",
                s.inactive.join(", ")
            );
        }
        if s.written && !s.added.is_empty() {
            println!("  New members and their one-time passphrases (shown once; each changes theirs with `playbook members passphrase --as EMAIL`):");
            for a in &s.added {
                println!(
                    "    {:<40} {:<10} {:<4} {}",
                    a.email,
                    a.side.as_str(),
                    a.role.as_str(),
                    a.passphrase
                );
            }
        }
        if s.owners_resolved > 0 {
            println!(
                "  {} contacts and opportunities now have their owner.",
                s.owners_resolved
            );
        }
    }
    if !s.written && !s.dry_run {
        return Err(AppError::invalid(
            "file",
            format!(
                "{} rows were rejected; nobody was added (use --valid-rows to add the rest)",
                s.rejected
            ),
        ));
    }
    Ok(())
}

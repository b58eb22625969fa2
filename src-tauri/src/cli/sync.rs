//! `playbook hub …` (the database owner sets up the company's hub) and `playbook sync …`
//! (a member's laptop joins it and syncs).
use clap::{Args, Subcommand};

use super::identity::{self, Passphrases};
use super::Out;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::sync::{self, admin, config};

#[derive(Subcommand)]
pub enum HubCommand {
    /// Create the hub in the company's database (run once, as its owner): the sync schema,
    /// the two functions members may call, and their group role.
    Init {
        /// postgres://OWNER@HOST:PORT/DATABASE?sslmode=verify-full[&sslrootcert=CA.crt]
        #[arg(long, env = "PLAYBOOK_HUB_URL")]
        url: String,
    },
    /// Give a member of this workspace a login to the hub; prints their one-time
    /// enrolment code (`{"code": …}` with --format json).
    Enrol {
        #[arg(long, env = "PLAYBOOK_HUB_URL")]
        url: String,
        #[arg(long)]
        email: String,
    },
    /// Stop a member's access: their login is disabled and their sessions end.
    Revoke {
        #[arg(long, env = "PLAYBOOK_HUB_URL")]
        url: String,
        #[arg(long)]
        email: String,
    },
}

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SyncArgs {
    #[command(subcommand)]
    action: Option<SyncCommand>,
}

#[derive(Subcommand)]
enum SyncCommand {
    /// Join the team's hub with the code `playbook hub enrol` printed: a first sync, then
    /// your passphrase proves who you are and the link is kept.
    Join { code: String },
    /// What waits to be sent, what the hub rejected and why, when this laptop last synced.
    Status,
}

pub async fn hub(cmd: HubCommand, db: &Db, out: &Out) -> AppResult<()> {
    match cmd {
        HubCommand::Init { url } => {
            let name = admin::init(&url).await?;
            out.done(
                &serde_json::json!({ "database": name }),
                &format!("The hub is ready in the database {name}; enrol members with `playbook hub enrol --email E`."),
            )
        }
        HubCommand::Enrol { url, email } => {
            let mut conn = db.acquire().await?;
            let member = crate::team::store::by_email(&mut conn, &email).await?;
            let key: Option<String> =
                sqlx::query_scalar("SELECT public_key FROM members WHERE id = ?")
                    .bind(&member.id)
                    .fetch_one(&mut *conn)
                    .await?;
            drop(conn);
            let e = admin::enrol(&url, &member, &key.unwrap_or_default()).await?;
            let code = e.code();
            out.done(
                &serde_json::json!({ "code": code }),
                &format!(
                    "Enrolment code for {} (give it to them; it holds their hub password):\n{code}",
                    member.email
                ),
            )
        }
        HubCommand::Revoke { url, email } => {
            admin::revoke(&url, &email).await?;
            out.done(
                &serde_json::json!({ "revoked": email }),
                &format!("{email} can no longer reach the hub."),
            )
        }
    }
}

fn report_text(r: &sync::SyncReport) -> String {
    format!(
        "Synced: {} sent ({} already on the hub), {} rejected, {} received; {} waiting.",
        r.pushed + r.duplicates,
        r.duplicates,
        r.rejected,
        r.pulled,
        r.waiting
    )
}

pub async fn sync(
    args: SyncArgs,
    db: &Db,
    data_dir: &std::path::Path,
    out: &Out,
    pass: &mut Passphrases,
) -> AppResult<()> {
    let linked = config::load(data_dir)?;
    match args.action {
        Some(SyncCommand::Join { code }) => {
            let e = admin::Enrolment::parse(&code)?;
            let r = sync::join(db, data_dir, &e, async |db, email| {
                identity::unlock(db, email, pass).await
            })
            .await?;
            out.done(
                &r,
                &format!("Joined the hub as {}. {}", e.email, report_text(&r)),
            )
        }
        Some(SyncCommand::Status) => {
            let s = sync::status(db, linked.as_ref().map(config::HubConfig::label)).await?;
            if !out.json(&s) {
                match &s.hub {
                    Some(h) => println!("Hub: {h}"),
                    None => println!("Not joined to a hub (playbook sync join CODE)."),
                }
                println!(
                    "Last synced: {}",
                    s.last_synced_at.as_deref().unwrap_or("never")
                );
                println!("Waiting to be sent: {}", s.waiting);
                println!("Rejected by the hub: {}", s.rejected.len());
                for r in &s.rejected {
                    println!(
                        "  {} {} ({}): {}",
                        r.kind, r.record_id, r.written_at, r.reason
                    );
                }
            }
            Ok(())
        }
        None => {
            let c = linked.ok_or_else(|| {
                AppError::not_found("this laptop has not joined a hub; run `playbook sync join CODE` with the code from `playbook hub enrol`")
            })?;
            let signer = identity::unlock(db, &c.email, pass).await?;
            let r = sync::sync_as(db, &c, &signer).await?;
            out.done(&r, &report_text(&r))
        }
    }
}

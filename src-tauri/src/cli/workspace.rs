//! The headless commands for opportunities and the workspace's settings (the time zone and
//! date order that imports read dates in).
use clap::Subcommand;

use super::identity::{unlock, Passphrases};
use super::{table, Out};
use crate::db::{self, Db};
use crate::error::AppResult;
use crate::leads::opportunities::{self, OpportunityFilter};
use crate::workspace;

#[derive(Subcommand)]
pub enum OpportunitiesCommand {
    /// Deals, open first (all, or one account's, one contact's, or one status's).
    List {
        #[arg(long)]
        account: Option<String>,
        #[arg(long)]
        contact: Option<String>,
        /// open, won or lost.
        #[arg(long)]
        status: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum SettingsCommand {
    /// The workspace's settings, and whether each was set or follows this laptop.
    Show,
    /// Set one: `timezone Europe/Berlin`, or `date-order dmy|mdy` (for dates that fit
    /// both orders); as a manager or ops member.
    Set {
        key: String,
        value: String,
        #[arg(long = "as")]
        signer: String,
    },
}

pub async fn opportunities(cmd: OpportunitiesCommand, db: &Db, out: &Out) -> AppResult<()> {
    let OpportunitiesCommand::List {
        account,
        contact,
        status,
    } = cmd;
    let list = opportunities::list(
        &mut *db.acquire().await?,
        &OpportunityFilter {
            account_id: account,
            contact_id: contact,
            status,
        },
    )
    .await?;
    if !out.json(&list) {
        let rows = list
            .iter()
            .map(|o| {
                vec![
                    o.name.clone(),
                    o.account_name.clone().unwrap_or_default(),
                    o.amount_minor
                        .map(|a| format!("{} {}.{:02}", o.currency, a / 100, a % 100))
                        .unwrap_or_default(),
                    o.status.clone(),
                    o.stage.clone(),
                    o.close_date.clone().unwrap_or_default(),
                    o.owner_name
                        .clone()
                        .or_else(|| o.owner_ref.clone())
                        .unwrap_or_default(),
                ]
            })
            .collect();
        table(
            &[
                "DEAL", "ACCOUNT", "AMOUNT", "STATUS", "STAGE", "CLOSE", "OWNER",
            ],
            rows,
        );
    }
    Ok(())
}

pub async fn settings(
    cmd: SettingsCommand,
    db: &Db,
    out: &Out,
    pass: &mut Passphrases,
) -> AppResult<()> {
    if let SettingsCommand::Set { key, value, signer } = cmd {
        let signer = unlock(db, &signer, pass).await?;
        let mut tx = db::write(db).await?;
        workspace::set(&mut tx, &key, &value, &signer).await?;
        tx.commit().await?;
    }
    let s = workspace::get(&mut *db.acquire().await?).await?;
    let how = |set: bool| {
        if set {
            "set for the workspace"
        } else {
            "this laptop's"
        }
    };
    out.done(
        &s,
        &format!(
            "timezone    {} ({})\ndate-order  {} ({})",
            s.timezone,
            how(s.timezone_set),
            s.date_order.as_str(),
            how(s.date_order_set)
        ),
    )
}

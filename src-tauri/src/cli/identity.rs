//! Proving who runs a command: `--as EMAIL` names the member, and their passphrase (from
//! `--passphrase-file`, `PLAYBOOK_PASSPHRASE`, or a prompt on the terminal) opens their key.
use std::io::IsTerminal;
use std::path::PathBuf;

use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::team;
use crate::trust::Signer;

/// Where passphrases come from, in this order: the file (one line per person, in the
/// order they are named; a single line serves everyone), the environment, the terminal.
pub struct Passphrases {
    lines: Vec<String>,
    next: usize,
}

impl Passphrases {
    pub fn new(file: Option<&PathBuf>) -> AppResult<Passphrases> {
        let lines = match file {
            Some(p) => std::fs::read_to_string(p)
                .map_err(|e| AppError::io(format!("cannot read {}: {e}", p.display())))?
                .lines()
                .map(|l| l.trim_end_matches('\r').to_string())
                .filter(|l| !l.is_empty())
                .collect(),
            None => match std::env::var("PLAYBOOK_PASSPHRASE") {
                Ok(p) if !p.is_empty() => vec![p],
                _ => vec![],
            },
        };
        Ok(Passphrases { lines, next: 0 })
    }

    /// The passphrase for `who`.
    pub fn for_member(&mut self, who: &str) -> AppResult<String> {
        if !self.lines.is_empty() {
            let i = self.next.min(self.lines.len() - 1);
            self.next += 1;
            return Ok(self.lines[i].clone());
        }
        prompt(&format!("Passphrase for {who}: "), who)
    }
}

fn prompt(text: &str, who: &str) -> AppResult<String> {
    if !std::io::stdin().is_terminal() {
        return Err(AppError {
            field: Some("passphrase".into()),
            ..AppError::not_allowed(format!(
                "no passphrase for {who}: set PLAYBOOK_PASSPHRASE, use --passphrase-file, or run in a terminal"
            ))
        });
    }
    rpassword::prompt_password(text)
        .map_err(|e| AppError::io(format!("cannot read the passphrase: {e}")))
}

/// The passphrase a new member's key is sealed under: `--new-passphrase-file`,
/// `PLAYBOOK_NEW_PASSPHRASE`, or typed twice on the terminal.
pub fn new_passphrase(file: Option<&PathBuf>, who: &str) -> AppResult<String> {
    if let Some(p) = file {
        return std::fs::read_to_string(p)
            .map(|t| t.lines().next().unwrap_or_default().trim_end().to_string())
            .map_err(|e| AppError::io(format!("cannot read {}: {e}", p.display())));
    }
    if let Ok(p) = std::env::var("PLAYBOOK_NEW_PASSPHRASE") {
        if !p.is_empty() {
            return Ok(p);
        }
    }
    let first = prompt(&format!("New passphrase for {who}: "), who)?;
    let again = prompt(&format!("Once more, for {who}: "), who)?;
    if first != again {
        return Err(AppError::invalid(
            "passphrase",
            "passphrase: the two passphrases differ",
        ));
    }
    Ok(first)
}

/// Opens `email`'s key: the proof that the person running the command is that member.
pub async fn unlock(db: &Db, email: &str, passphrases: &mut Passphrases) -> AppResult<Signer> {
    let member = team::store::by_email(&mut *db.acquire().await?, email).await?;
    let passphrase = passphrases.for_member(&member.email)?;
    team::unlock(db, &member.id, &passphrase).await
}

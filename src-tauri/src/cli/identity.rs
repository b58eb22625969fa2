//! Proving who runs a command: `--as EMAIL` names the member, and their passphrase (from
//! `--passphrase-file`, `PLAYBOOK_PASSPHRASE`, or a prompt on the terminal) opens their key.
//! One rule for every passphrase source: only a trailing `\n` or `\r\n` is removed (spaces
//! are part of a passphrase), and a file is read up to 64 KiB.
use std::io::{IsTerminal, Read};
use std::path::PathBuf;

use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::team;
use crate::trust::Signer;

/// Largest passphrase file read: far more than any passphrase, and a file such as
/// `/dev/zero` is refused after 64 KiB instead of filling the memory.
pub const MAX_PASSPHRASE_FILE: u64 = 64 * 1024;

/// Where passphrases come from, in this order: the file (one line per person, in the
/// order they are named; a single line serves everyone), the environment, the terminal.
pub struct Passphrases {
    lines: Vec<String>,
    next: usize,
}

/// A passphrase as given: without the line ending that files and `echo` add, nothing else
/// removed.
pub fn strip_line_end(text: &str) -> &str {
    text.strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(text)
}

/// The lines of a passphrase file: each without its `\n` or `\r\n`, empty lines skipped.
fn read_lines(path: &PathBuf) -> AppResult<Vec<String>> {
    let cannot = |e: std::io::Error| AppError::io(format!("cannot read {}: {e}", path.display()));
    if path.is_dir() {
        return Err(AppError::invalid(
            "passphraseFile",
            format!("{} is a directory, not a passphrase file", path.display()),
        ));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(cannot)?
        .take(MAX_PASSPHRASE_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > MAX_PASSPHRASE_FILE {
        return Err(AppError::invalid(
            "passphraseFile",
            format!(
                "{} is larger than 64 KiB; a passphrase file holds one passphrase per line",
                path.display()
            ),
        ));
    }
    let text = String::from_utf8(bytes).map_err(|_| {
        AppError::invalid(
            "passphraseFile",
            format!("{} is not text (UTF-8)", path.display()),
        )
    })?;
    Ok(text
        .split_inclusive('\n')
        .map(|l| strip_line_end(l).to_string())
        .filter(|l| !l.is_empty())
        .collect())
}

/// A passphrase from the environment, by the same rule as a file's line.
fn from_env(name: &str) -> Option<String> {
    let value = std::env::var(name).ok()?;
    let value = strip_line_end(&value);
    (!value.is_empty()).then(|| value.to_string())
}

impl Passphrases {
    pub fn new(file: Option<&PathBuf>) -> AppResult<Passphrases> {
        let lines = match file {
            Some(p) => read_lines(p)?,
            None => from_env("PLAYBOOK_PASSPHRASE").into_iter().collect(),
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
        prompt(
            &format!("Passphrase for {who}: "),
            &format!("no passphrase for {who}: set PLAYBOOK_PASSPHRASE, use --passphrase-file, or run in a terminal"),
        )
    }
}

/// Asks on the terminal; without one, refuses with `missing` (which says where else the
/// passphrase can come from).
fn prompt(text: &str, missing: &str) -> AppResult<String> {
    if !std::io::stdin().is_terminal() {
        return Err(AppError {
            field: Some("passphrase".into()),
            ..AppError::not_allowed(missing)
        });
    }
    rpassword::prompt_password(text)
        .map_err(|e| AppError::io(format!("cannot read the passphrase: {e}")))
}

/// The new passphrase a key is sealed under: the first line of `--new-passphrase-file`,
/// `PLAYBOOK_NEW_PASSPHRASE`, or typed twice on the terminal.
pub fn new_passphrase(file: Option<&PathBuf>, who: &str) -> AppResult<String> {
    if let Some(p) = file {
        return read_lines(p)?.into_iter().next().ok_or_else(|| {
            AppError::invalid(
                "newPassphraseFile",
                format!("{} holds no passphrase", p.display()),
            )
        });
    }
    if let Some(p) = from_env("PLAYBOOK_NEW_PASSPHRASE") {
        return Ok(p);
    }
    let missing = format!("no new passphrase for {who}: set PLAYBOOK_NEW_PASSPHRASE, use --new-passphrase-file, or run in a terminal");
    let first = prompt(&format!("New passphrase for {who}: "), &missing)?;
    let again = prompt(&format!("Once more, for {who}: "), &missing)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_line_end_is_removed() {
        assert_eq!(strip_line_end("  pass phrase \n"), "  pass phrase ");
        assert_eq!(strip_line_end("pass\r\n"), "pass");
        assert_eq!(strip_line_end("pass\n\n"), "pass\n");
        assert_eq!(strip_line_end("pass\t"), "pass\t");
    }
}

//! Risks noted on an account (a competitor in the deal, the status quo, budget…): signed,
//! append-only records of noting or clearing a risk point of the agreed taxonomy; the
//! account's known risks are a fold over them in (time, id) order.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use specta::Type;

use super::taxonomy::Taxonomy;
use crate::agreements::taxonomy::risk_key;
use crate::db::{new_id, ts, Conn};
use crate::error::{AppError, AppResult};
use crate::team::roster::Roster;
use crate::trust::canon::Canon;
use crate::trust::{keys, Signer};

/// A risk known on an account, as the fold leaves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct AccountRisk {
    pub risk: String,
    pub name: String,
    pub note: String,
    pub noted_by: Option<String>,
    pub noted_at: String,
}

/// What a member notes (or clears) on an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct RiskNote {
    pub risk: String,
    /// False clears a risk noted before.
    pub present: bool,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct RiskRecord {
    id: String,
    account_id: String,
    risk: String,
    present: bool,
    note: String,
    at: String,
    author_id: String,
    hash: String,
    signature: String,
}

fn hash_of(
    id: &str,
    account: &str,
    risk: &str,
    present: bool,
    note: &str,
    at: &str,
    author: &str,
) -> String {
    Canon::new("account-risk/v1")
        .text(id)
        .text(account)
        .text(risk)
        .int(i64::from(present))
        .text(note)
        .text(at)
        .text(author)
        .finish()
}

impl RiskRecord {
    fn problem(&self, roster: &Roster) -> Option<String> {
        let h = hash_of(
            &self.id,
            &self.account_id,
            &self.risk,
            self.present,
            &self.note,
            &self.at,
            &self.author_id,
        );
        if h != self.hash {
            return Some("its content does not match what was signed".into());
        }
        let Some(m) = roster.at(&self.author_id, &self.at) else {
            return Some("its author was not on the team then".into());
        };
        (!keys::verify(&m.public_key, &self.hash, &self.signature))
            .then(|| format!("{}'s signature does not verify", m.email))
    }
}

/// The risks known on an account now, in the taxonomy's order.
pub async fn of_account(
    conn: &mut Conn,
    account_id: &str,
    tax: &Taxonomy,
) -> AppResult<Vec<AccountRisk>> {
    let roster = crate::team::records::roster(&mut *conn).await?;
    let tampered = crate::trust::verify::tampered_ids(&mut *conn).await?;
    let rows: Vec<RiskRecord> = sqlx::query_as(
        "SELECT id, account_id, risk, present, note, at, author_id, hash, signature
         FROM account_risk_records WHERE account_id = ? ORDER BY at, id",
    )
    .bind(account_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut latest: HashMap<String, RiskRecord> = HashMap::new();
    for r in rows {
        if tampered.contains(&r.id) || r.problem(&roster).is_some() {
            continue;
        }
        latest.insert(r.risk.clone(), r);
    }
    Ok(tax
        .risks
        .iter()
        .filter_map(|l| {
            let r = latest.get(&l.key).filter(|r| r.present)?;
            Some(AccountRisk {
                risk: l.key.clone(),
                name: l.name.clone(),
                note: r.note.clone(),
                noted_by: roster.latest(&r.author_id).map(|m| m.name.clone()),
                noted_at: r.at.clone(),
            })
        })
        .collect())
}

/// Notes or clears a risk on an account, signed by `signer`.
pub async fn note(
    conn: &mut Conn,
    account_id: &str,
    n: &RiskNote,
    signer: &Signer,
    at: DateTime<Utc>,
    tax: &Taxonomy,
) -> AppResult<Vec<AccountRisk>> {
    let exists: Option<String> =
        sqlx::query_scalar("SELECT id FROM accounts WHERE id = ? AND deleted_at IS NULL")
            .bind(account_id)
            .fetch_optional(&mut *conn)
            .await?;
    if exists.is_none() {
        return Err(AppError::not_found(format!(
            "no account with id {account_id}"
        )));
    }
    let risk = Taxonomy::check(&tax.risks, "risk", "risk point", &[risk_key(&n.risk)])?
        .pop()
        .unwrap_or_default();
    let note: String = n.note.trim().chars().take(500).collect();
    let roster = crate::team::records::roster(&mut *conn).await?;
    let at = ts(at);
    if roster.at(&signer.member_id, &at).is_none() {
        return Err(AppError::not_allowed(
            "you are not on the team, so you cannot note risks",
        ));
    }
    let id = new_id();
    let hash = hash_of(
        &id,
        account_id,
        &risk,
        n.present,
        &note,
        &at,
        &signer.member_id,
    );
    sqlx::query(
        "INSERT INTO account_risk_records (id, account_id, risk, present, note, at, author_id, hash, signature)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&id)
    .bind(account_id)
    .bind(&risk)
    .bind(n.present)
    .bind(&note)
    .bind(&at)
    .bind(&signer.member_id)
    .bind(&hash)
    .bind(signer.sign(&hash))
    .execute(&mut *conn)
    .await?;
    of_account(conn, account_id, tax).await
}

/// Risk records that do not verify (for `playbook verify`): (id, label, problem).
pub async fn failures(
    conn: &mut Conn,
    roster: &Roster,
) -> AppResult<Vec<(String, String, String)>> {
    let rows: Vec<RiskRecord> = sqlx::query_as(
        "SELECT id, account_id, risk, present, note, at, author_id, hash, signature FROM account_risk_records",
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let p = r.problem(roster)?;
            Some((
                r.id,
                format!("risk {} noted on account {}", r.risk, r.account_id),
                p,
            ))
        })
        .collect())
}

//! Adding a CRM's users in bulk (Zoho Users, Salesforce User, HubSpot owners): each active
//! user not yet on the team becomes a member — signed by the manager who imports them, a
//! rep (or ops, by their role), never a manager — with a one-time passphrase to hand over.
//! Every user, active or not, is remembered by their CRM id and name, so records that
//! name their owner that way resolve to the member at once and whenever they join.
use std::collections::HashSet;

use chrono::{DateTime, Utc};
use rand_core::{OsRng, RngCore};
use serde::Serialize;
use specta::Type;

use super::{store, NewMember, Role, Side};
use crate::db::{ts, Conn};
use crate::error::AppResult;
use crate::imports::csv_table;
use crate::imports::dialects::detect;
use crate::imports::fields::{ColumnUse, Columns, UserField as F};
use crate::imports::values::clean;
use crate::imports::{ImportMode, Mapping, RowError};
use crate::leads::norm;
use crate::trust::Signer;

/// A member the import added, with the passphrase their key is sealed under (shown once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct AddedMember {
    pub email: String,
    pub name: String,
    pub side: Side,
    pub role: Role,
    pub passphrase: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct UsersSummary {
    pub dialect: String,
    pub rows_read: u32,
    pub added: Vec<AddedMember>,
    /// Users already on the team (by email).
    pub already: u32,
    /// Inactive or archived users: remembered for the records they own, not added.
    pub inactive: Vec<String>,
    /// Users without an email, and system or integration users: they cannot join.
    pub skipped: Vec<String>,
    pub rejected: u32,
    pub errors: Vec<RowError>,
    /// Records whose owner resolved to a member thanks to this import.
    pub owners_resolved: u32,
    pub mapping: Vec<ColumnUse>,
    pub unmapped_columns: Vec<String>,
    pub dry_run: bool,
    pub written: bool,
}

/// A passphrase of 20 characters from an alphabet without look-alikes (about 100 bits).
pub fn one_time_passphrase() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let mut bytes = [0u8; 20];
    OsRng.fill_bytes(&mut bytes);
    bytes
        .chunks(5)
        .map(|c| {
            c.iter()
                .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// Marketing if the user's role, department or team says so, else sales; ops when it
/// says operations or admin.
fn side_and_role(team: &str) -> (Side, Role) {
    let t = norm(team);
    let side = if t.contains("market") {
        Side::Marketing
    } else {
        Side::Sales
    };
    let role = if t.contains("operation") || t.contains("ops") || t.contains("admin") {
        Role::Ops
    } else {
        Role::Rep
    };
    (side, role)
}

/// Whether a user row says the user no longer works in the CRM.
fn inactive(active: Option<&str>, archived: Option<&str>) -> bool {
    let no = |v: &str| {
        matches!(
            norm(v).as_str(),
            "false" | "no" | "0" | "inactive" | "deactivated" | "disabled" | "suspended"
        )
    };
    let yes = |v: &str| {
        matches!(
            norm(v).as_str(),
            "true" | "yes" | "1" | "archived" | "deactivated"
        )
    };
    active.is_some_and(no) || archived.is_some_and(yes)
}

/// Imports a users file inside the caller's transaction; `side` overrides the side each
/// user's role suggests.
#[allow(clippy::too_many_arguments)]
pub async fn import(
    conn: &mut Conn,
    bytes: &[u8],
    mapping: &Mapping,
    side: Option<Side>,
    any_domain: bool,
    mode: ImportMode,
    signer: &Signer,
    now: DateTime<Utc>,
) -> AppResult<UsersSummary> {
    store::require_manager(&mut *conn, signer, "add members").await?;
    let (bytes, _) = csv_table::decode(bytes);
    let table = csv_table::read(&bytes)?;
    let columns = Columns::<F>::resolve(&table.headers, &table.duplicates, mapping)?;
    if !columns.has(F::Email) {
        return Err(columns.missing("the user's email", &[F::Email]));
    }
    let first_id = columns
        .get(F::ExternalId)
        .and_then(|i| table.rows.first().and_then(|(_, r)| r.get(i)))
        .map(str::to_string);
    let source = detect(
        &table.headers,
        first_id.as_deref(),
        mapping.system.as_deref(),
        Some("user"),
    );
    let on_team: HashSet<String> = sqlx::query_scalar::<_, String>(
        "SELECT lower(email) FROM members WHERE deleted_at IS NULL",
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .collect();
    // The team's own email domains: a CRM user elsewhere (an integration user at the
    // CRM's own domain, a contractor) is listed, not added.
    let domains: HashSet<String> = on_team
        .iter()
        .filter_map(|e| e.rsplit_once('@').map(|(_, d)| d.to_string()))
        .collect();
    let mut summary = UsersSummary {
        dialect: source.name.clone(),
        rows_read: (table.rows.len() + table.broken.len()) as u32,
        mapping: columns.uses(),
        unmapped_columns: columns.unmapped(),
        ..UsersSummary::default()
    };
    for (row, message) in &table.broken {
        summary.errors.push(RowError {
            row: *row,
            column: String::new(),
            message: message.clone(),
        });
        summary.rejected += 1;
    }
    let now_text = ts(now);
    let unresolved = || {
        sqlx::query_scalar::<_, i64>(
            "SELECT (SELECT count(*) FROM contacts WHERE owner_id IS NULL AND owner_ref IS NOT NULL)
                  + (SELECT count(*) FROM opportunities WHERE owner_id IS NULL AND owner_ref IS NOT NULL)",
        )
    };
    let before = unresolved().fetch_one(&mut *conn).await?;
    let mut seen = HashSet::new();
    for (row, r) in &table.rows {
        let cell = |f: F| columns.get(f).and_then(|i| r.get(i)).and_then(clean);
        let fail = |f: F, message: String| RowError {
            row: *row,
            column: columns.header(f),
            message,
        };
        let name_of = |email: &str| match (cell(F::FirstName), cell(F::LastName), cell(F::FullName))
        {
            (_, _, Some(full)) if columns.get(F::FullName) != columns.get(F::ExternalId) => {
                full.to_string()
            }
            (first, Some(last), _) => format!("{} {last}", first.unwrap_or_default())
                .trim()
                .to_string(),
            (Some(first), None, _) => first.to_string(),
            _ => email.to_string(),
        };
        let Some(email) = cell(F::Email).map(str::to_lowercase) else {
            let who = name_of("");
            summary.skipped.push(format!(
                "{} (no email)",
                if who.is_empty() {
                    format!("row {row}")
                } else {
                    who
                }
            ));
            continue;
        };
        let name = name_of(&email);
        // Remembered whatever else happens: owners named by this id or name resolve.
        if let Some(ext) = cell(F::ExternalId) {
            sqlx::query(
                "INSERT INTO crm_users (system, external_id, name, email, created_at, updated_at)
                 VALUES (?, ?, ?, ?, ?, ?)
                 ON CONFLICT (system, external_id) DO UPDATE SET name = excluded.name,
                     email = excluded.email, updated_at = excluded.updated_at",
            )
            .bind(&source.system)
            .bind(ext)
            .bind(&name)
            .bind(&email)
            .bind(&now_text)
            .bind(&now_text)
            .execute(&mut *conn)
            .await?;
        }
        if !seen.insert(email.clone()) {
            continue;
        }
        // System, integration and queue users are not people who can join.
        if cell(F::Kind)
            .is_some_and(|k| !matches!(norm(k).as_str(), "standard" | "person" | "user"))
        {
            summary
                .skipped
                .push(format!("{name} <{email}> (a system or integration user)"));
            continue;
        }
        if !any_domain
            && !email
                .rsplit_once('@')
                .is_some_and(|(_, d)| domains.contains(d))
        {
            summary.skipped.push(format!(
                "{name} <{email}> (not the team's email domain; --any-domain adds them)"
            ));
            continue;
        }
        if inactive(cell(F::Active), cell(F::Archived)) {
            summary.inactive.push(format!("{name} <{email}>"));
            continue;
        }
        if on_team.contains(&email) {
            summary.already += 1;
            continue;
        }
        let (guessed_side, role) = side_and_role(cell(F::Team).unwrap_or_default());
        let member = NewMember {
            email: email.clone(),
            name: name.clone(),
            side: side.unwrap_or(guessed_side),
            role,
        };
        let passphrase = one_time_passphrase();
        let mut sp = sqlx::Connection::begin(&mut *conn).await?;
        match store::add(&mut sp, &member, &passphrase, signer, now).await {
            Ok(m) => {
                sp.commit().await?;
                summary.added.push(AddedMember {
                    email: m.email,
                    name: m.name,
                    side: m.side,
                    role: m.role,
                    passphrase,
                });
            }
            Err(e) => {
                drop(sp);
                let column = match e.field.as_deref() {
                    Some("name") => F::FullName,
                    _ => F::Email,
                };
                summary.errors.push(fail(column, e.message));
                summary.rejected += 1;
            }
        }
    }
    summary.errors.sort_by_key(|e| e.row);
    if mode == ImportMode::AllOrNothing && summary.rejected > 0 {
        summary.added.clear();
        return Ok(summary);
    }
    crate::leads::owners::resolve_owners(&mut *conn).await?;
    let after = unresolved().fetch_one(&mut *conn).await?;
    summary.owners_resolved = (before - after).max(0) as u32;
    summary.written = true;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sides_roles_and_activity_from_what_crms_write() {
        assert_eq!(side_and_role("Marketing"), (Side::Marketing, Role::Rep));
        assert_eq!(side_and_role("Sales Operations"), (Side::Sales, Role::Ops));
        assert_eq!(side_and_role("Account Executive"), (Side::Sales, Role::Rep));
        assert!(inactive(Some("Inactive"), None));
        assert!(inactive(Some("false"), None));
        assert!(inactive(None, Some("true")));
        assert!(!inactive(Some("Active"), Some("false")));
        let p = one_time_passphrase();
        assert_eq!(p.len(), 23);
        assert!(p.chars().all(|c| c == '-' || c.is_ascii_alphanumeric()));
    }
}

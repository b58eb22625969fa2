//! Importing accounts (Zoho Accounts, Salesforce Accounts, HubSpot companies, Pipedrive
//! organizations, plain spreadsheets): matched by their id in the source system, else by
//! name; each firmographic (website, industry, employees, revenue, country) follows the
//! newest row that gives it. Contacts and opportunities that named an account by id before
//! it was known are linked at once.
use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::csv_table;
use super::dialects::detect;
use super::fields::{AccountField as F, Columns};
use super::values::{clean, domain_of, parse_amount};
use super::{ImportMode, ImportSummary, Mapping, Progress, RowError};
use crate::db::{ts, Conn};
use crate::error::AppResult;

/// An account as stored, with what the file may change.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
struct Firmographics {
    id: String,
    name: String,
    domain: Option<String>,
    industry: Option<String>,
    employees: Option<i64>,
    revenue: Option<i64>,
    country: Option<String>,
    owner_ref: Option<String>,
}

/// Imports an accounts file inside the caller's transaction.
pub async fn import(
    conn: &mut Conn,
    bytes: &[u8],
    mapping: &Mapping,
    mode: ImportMode,
    progress: &Progress<'_>,
    now: DateTime<Utc>,
) -> AppResult<ImportSummary> {
    let table = csv_table::read(bytes)?;
    let columns = Columns::<F>::resolve(&table.headers, &table.duplicates, mapping)?;
    if !columns.has(F::Name) {
        return Err(columns.missing("the account's name", &[F::Name]));
    }
    let first_id = columns
        .get(F::ExternalId)
        .and_then(|i| table.rows.first().and_then(|(_, r)| r.get(i)))
        .map(str::to_string);
    let source = detect(
        &table.headers,
        first_id.as_deref(),
        mapping.system.as_deref(),
        Some("account"),
    );
    let stored: Vec<Firmographics> = sqlx::query_as(
        "SELECT id, name, domain, industry, employees, revenue, country, owner_ref
         FROM accounts WHERE deleted_at IS NULL",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut accounts: Vec<(Firmographics, bool)> = stored.into_iter().map(|a| (a, false)).collect();
    let mut by_name: HashMap<String, usize> = accounts
        .iter()
        .enumerate()
        .map(|(i, (a, _))| (a.name.to_lowercase(), i))
        .collect();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    let keys: Vec<(String, String)> =
        sqlx::query_as("SELECT external_id, account_id FROM account_keys WHERE system = ?")
            .bind(&source.system)
            .fetch_all(&mut *conn)
            .await?;
    for (ext, id) in keys {
        if let Some(i) = accounts.iter().position(|(a, _)| a.id == id) {
            by_key.insert(ext, i);
        }
    }
    let mut summary = ImportSummary {
        dialect: source.name.clone(),
        source: Some(source.clone()),
        rows_read: (table.rows.len() + table.broken.len()) as u32,
        mapping: columns.uses(),
        unmapped_columns: columns.unmapped(),
        ..ImportSummary::default()
    };
    for (row, message) in &table.broken {
        summary.errors.push(RowError {
            row: *row,
            column: String::new(),
            message: message.clone(),
        });
        summary.rejected += 1;
    }
    let mut new_keys: Vec<(String, usize)> = Vec::new();
    let mut created: Vec<usize> = Vec::new();
    let mut seen: HashMap<String, u32> = HashMap::new();
    let total = table.rows.len() as u32;
    for (n, (row, r)) in table.rows.iter().enumerate() {
        if n % 1000 == 0 {
            progress.check(n as u32, total)?;
        }
        let cell = |f: F| columns.get(f).and_then(|i| r.get(i)).and_then(clean);
        let mut errors = Vec::new();
        let mut fail = |f: F, message: String| {
            errors.push(RowError {
                row: *row,
                column: columns.header(f),
                message,
            })
        };
        let name = cell(F::Name);
        if name.is_none() {
            fail(F::Name, "an account needs a name".into());
        }
        let number = |f: F, what: &str, fail: &mut dyn FnMut(F, String)| {
            cell(f).and_then(|t| match parse_amount(t) {
                Some(v) => Some(v / 100),
                None => {
                    fail(f, format!("'{t}' is not {what}"));
                    None
                }
            })
        };
        let employees = number(F::Employees, "a number of employees", &mut fail);
        let revenue = number(F::Revenue, "an amount of revenue", &mut fail);
        let ext = cell(F::ExternalId).map(str::to_string);
        if let Some(e) = &ext {
            if let Some(first) = seen.get(e) {
                fail(
                    F::ExternalId,
                    format!("'{e}' appears again: a duplicate of row {first}"),
                );
            }
        }
        if !errors.is_empty() {
            summary.rejected += 1;
            summary.errors.extend(errors);
            continue;
        }
        let name = name.unwrap_or_default().to_string();
        if let Some(e) = &ext {
            seen.insert(e.clone(), *row);
        }
        let found = ext
            .as_ref()
            .and_then(|e| by_key.get(e))
            .or_else(|| by_name.get(&name.to_lowercase()))
            .copied();
        let i = match found {
            Some(i) => i,
            None => {
                accounts.push((
                    Firmographics {
                        id: crate::leads::account_id_for(&name),
                        name: name.clone(),
                        domain: None,
                        industry: None,
                        employees: None,
                        revenue: None,
                        country: None,
                        owner_ref: None,
                    },
                    false,
                ));
                let i = accounts.len() - 1;
                by_name.insert(name.to_lowercase(), i);
                created.push(i);
                summary.created += 1;
                i
            }
        };
        if let Some(e) = &ext {
            if !by_key.contains_key(e) {
                by_key.insert(e.clone(), i);
                new_keys.push((e.clone(), i));
            }
        }
        let (a, dirty) = &mut accounts[i];
        let before = a.clone();
        let text = |f: F| cell(f).map(str::to_string);
        if let Some(v) = cell(F::Website) {
            a.domain = Some(domain_of(v));
        }
        if let Some(v) = text(F::Industry) {
            a.industry = Some(v);
        }
        if let Some(v) = text(F::Country) {
            a.country = Some(v);
        }
        if let Some(v) = text(F::Owner) {
            a.owner_ref = Some(v);
        }
        a.employees = employees.or(a.employees);
        a.revenue = revenue.or(a.revenue);
        if *a != before {
            *dirty = true;
        } else if found.is_some() {
            summary.unchanged += 1;
        }
    }
    summary.updated = accounts
        .iter()
        .enumerate()
        .filter(|(i, (_, dirty))| *dirty && !created.contains(i))
        .count() as u32;
    summary.errors.sort_by_key(|e| e.row);
    if mode == ImportMode::AllOrNothing && summary.rejected > 0 {
        summary.created = 0;
        summary.updated = 0;
        summary.unchanged = 0;
        return Ok(summary);
    }
    let now_at = now;
    let now = ts(now);
    for (i, (a, dirty)) in accounts.iter().enumerate() {
        if created.contains(&i) {
            sqlx::query(
                "INSERT INTO accounts (id, name, domain, industry, employees, revenue, country, owner_ref, created_at, updated_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(&a.id)
            .bind(&a.name)
            .bind(&a.domain)
            .bind(&a.industry)
            .bind(a.employees)
            .bind(a.revenue)
            .bind(&a.country)
            .bind(&a.owner_ref)
            .bind(&now)
            .bind(&now)
            .execute(&mut *conn)
            .await?;
        } else if *dirty {
            sqlx::query(
                "UPDATE accounts SET domain = ?, industry = ?, employees = ?, revenue = ?, country = ?,
                    owner_ref = ?, updated_at = ? WHERE id = ?",
            )
            .bind(&a.domain)
            .bind(&a.industry)
            .bind(a.employees)
            .bind(a.revenue)
            .bind(&a.country)
            .bind(&a.owner_ref)
            .bind(&now)
            .bind(&a.id)
            .execute(&mut *conn)
            .await?;
        }
    }
    for (ext, i) in &new_keys {
        sqlx::query(
            "INSERT INTO account_keys (system, external_id, account_id, created_at) VALUES (?, ?, ?, ?)
             ON CONFLICT DO NOTHING",
        )
        .bind(&source.system)
        .bind(ext)
        .bind(&accounts[*i].0.id)
        .bind(&now)
        .execute(&mut *conn)
        .await?;
    }
    // Contacts and opportunities that named these accounts by id are linked now.
    summary.linked = crate::leads::owners::resolve_accounts(&mut *conn).await? as u32;
    // Their contacts' fit follows the firmographics.
    let changed: Vec<String> = accounts
        .iter()
        .filter(|(_, dirty)| *dirty)
        .map(|(a, _)| a.id.clone())
        .collect();
    let rescore = crate::leads::owners::contacts_of(&mut *conn, &changed).await?;
    let pb = crate::handoffs::playbook_at::PlaybookHistory::load(&mut *conn).await?;
    crate::leads::scores::refresh(&mut *conn, &pb, &rescore, now_at).await?;
    summary.written = true;
    Ok(summary)
}

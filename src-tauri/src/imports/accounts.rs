//! Importing accounts (Zoho Accounts, Salesforce Accounts, HubSpot companies, Pipedrive
//! organizations, plain spreadsheets): matched by their id in the source system, else by
//! name; each firmographic (website, industry, employees, revenue, country) follows the
//! newest row that gives it. Contacts and opportunities that named an account by id before
//! it was known are linked at once.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::csv_table;
use super::dates::DateColumn;
use super::dialects::detect;
use super::fields::{AccountField as F, Columns};
use super::values::{clean, decimal_point, domain_of, parse_amount};
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
         FROM accounts WHERE deleted_at IS NULL ORDER BY id",
    )
    .fetch_all(&mut *conn)
    .await?;
    // Each account as stored (None for one this file creates), and as the file leaves it.
    let mut original: Vec<Option<Firmographics>> = stored.iter().cloned().map(Some).collect();
    let mut accounts: Vec<Firmographics> = stored;
    let index: HashMap<String, usize> = accounts
        .iter()
        .enumerate()
        .map(|(i, a)| (a.id.clone(), i))
        .collect();
    let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, a) in accounts.iter().enumerate() {
        by_name.entry(a.name.to_lowercase()).or_default().push(i);
    }
    let mut by_key: HashMap<String, usize> = HashMap::new();
    let keys: Vec<(String, String)> =
        sqlx::query_as("SELECT external_id, account_id FROM account_keys WHERE system = ?")
            .bind(&source.system)
            .fetch_all(&mut *conn)
            .await?;
    for (ext, id) in keys {
        if let Some(&i) = index.get(&id) {
            by_key.insert(ext, i);
        }
    }
    let prefs = crate::workspace::date_prefs(&mut *conn, mapping).await?;
    let modified_dates = DateColumn::decide(
        table.rows.iter().filter_map(|(row, r)| {
            columns
                .get(F::ModifiedAt)
                .and_then(|i| r.get(i))
                .and_then(clean)
                .map(|v| (*row, v))
        }),
        &prefs,
    );
    // The newest modification applied to each account so far (with a modified column).
    let mut newest: HashMap<usize, DateTime<Utc>> = HashMap::new();
    let mut summary = ImportSummary {
        dialect: source.name.clone(),
        source: Some(source.clone()),
        rows_read: (table.rows.len() + table.broken.len()) as u32,
        mapping: columns.uses(),
        unmapped_columns: columns.unmapped(),
        ..ImportSummary::default()
    };
    summary.warnings.extend(super::blank_note(table.blank));
    for (row, message) in &table.broken {
        summary.errors.push(RowError {
            row: *row,
            column: String::new(),
            message: message.clone(),
        });
        summary.rejected += 1;
    }
    let point_of = |f: F| {
        decimal_point(
            table
                .rows
                .iter()
                .filter_map(|(_, r)| columns.get(f).and_then(|i| r.get(i)).and_then(clean)),
        )
    };
    let (employees_point, revenue_point) = (point_of(F::Employees), point_of(F::Revenue));
    let mut new_keys: Vec<(String, usize)> = Vec::new();
    // The accounts the file names, and those with an id from this source.
    let mut touched: HashSet<usize> = HashSet::new();
    let mut keyed: HashSet<usize> = by_key.values().copied().collect();
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
            let point = if f == F::Revenue {
                revenue_point
            } else {
                employees_point
            };
            cell(f).and_then(|t| match parse_amount(t, point) {
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
        // By this source's id; else an account of that name that has no id from this
        // source yet; accounts that share a name but not an id are different companies.
        let found = ext
            .as_ref()
            .and_then(|e| by_key.get(e))
            .copied()
            .or_else(|| {
                by_name.get(&name.to_lowercase()).and_then(|c| {
                    c.iter()
                        .copied()
                        .find(|i| ext.is_none() || !keyed.contains(i))
                })
            });
        let i = match found {
            Some(i) => i,
            None => {
                let id = match &ext {
                    Some(e) => crate::leads::account_id_for_key(&source.system, e),
                    None => crate::leads::account_id_for(&name),
                };
                accounts.push(Firmographics {
                    id,
                    name: name.clone(),
                    domain: None,
                    industry: None,
                    employees: None,
                    revenue: None,
                    country: None,
                    owner_ref: None,
                });
                original.push(None);
                let i = accounts.len() - 1;
                by_name.entry(name.to_lowercase()).or_default().push(i);
                summary.created += 1;
                i
            }
        };
        touched.insert(i);
        if let Some(e) = &ext {
            if !by_key.contains_key(e) {
                by_key.insert(e.clone(), i);
                keyed.insert(i);
                new_keys.push((e.clone(), i));
            }
        }
        // Each field follows the newest row that gives it: by the file's modified time
        // when it has one, else by its order.
        if let Some(m) = cell(F::ModifiedAt).and_then(|t| modified_dates.read(t).ok()) {
            if newest.get(&i).is_some_and(|seen| *seen > m) {
                continue;
            }
            newest.insert(i, m);
        }
        let a = &mut accounts[i];
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
    }
    // What changed is what differs at the end, however many rows named the account.
    let changed: Vec<usize> = (0..accounts.len())
        .filter(|i| original[*i].as_ref().is_some_and(|o| *o != accounts[*i]))
        .collect();
    summary.updated = changed.len() as u32;
    summary.unchanged = touched
        .iter()
        .filter(|i| original[**i].as_ref() == Some(&accounts[**i]))
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
    for (i, a) in accounts.iter().enumerate() {
        if original[i].is_none() {
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
        } else if changed.contains(&i) {
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
        .bind(&accounts[*i].id)
        .bind(&now)
        .execute(&mut *conn)
        .await?;
    }
    // Contacts and opportunities that named these accounts by id are linked now.
    summary.linked = crate::leads::owners::resolve_accounts(&mut *conn).await? as u32;
    // Their contacts' fit follows the firmographics.
    let changed: Vec<String> = changed.iter().map(|i| accounts[*i].id.clone()).collect();
    let rescore = crate::leads::owners::contacts_of(&mut *conn, &changed).await?;
    let pb = crate::handoffs::playbook_at::PlaybookHistory::load(&mut *conn).await?;
    crate::leads::scores::refresh(&mut *conn, &pb, &rescore, now_at).await?;
    summary.written = true;
    Ok(summary)
}

//! Importing opportunities (Zoho Potentials, Salesforce Opportunities, HubSpot deals,
//! Pipedrive deals, a plain pipeline sheet) as their own records: name, amount and
//! currency, the source's stage and whether it is open, won or lost, close date, owner,
//! account, primary contact, product, loss reason. A deal moves its primary contact's
//! lifecycle through `converted`, `won` and `lost` events — where the stage definitions in
//! force allow them; what they refuse is reported, never forced — so reports can follow a
//! lead to revenue.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use specta::Type;
use sqlx::Connection;

use super::contacts::Owners;
use super::csv_table;
use super::dates::DateColumn;
use super::dialects::{detect, is_yes};
use super::fields::{Columns, OpportunityField as F};
use super::history::ContactRefs;
use super::values::{clean, decimal_point, parse_amount};
use super::{ImportMode, ImportSummary, LifecycleNote, Mapping, Progress, RowError};
use crate::agreements::{AgreementBody, AgreementKind};
use crate::db::{new_id, ts, Conn};
use crate::error::AppResult;
use crate::handoffs::playbook_at::PlaybookHistory;
use crate::handoffs::store::{self as handoffs, Author, Ledger};
use crate::handoffs::{EventKind, EventRequest};
use crate::leads::norm;
use crate::trust::{bulk, Signer};

/// Where a deal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum DealStatus {
    Open,
    Won,
    Lost,
}

impl DealStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DealStatus::Open => "open",
            DealStatus::Won => "won",
            DealStatus::Lost => "lost",
        }
    }

    /// From a status column (open/won/lost), the won and closed flags, or the stage's
    /// name ("Closed Won", "Lost").
    fn of(
        status: Option<&str>,
        won: Option<&str>,
        closed: Option<&str>,
        stage: Option<&str>,
    ) -> DealStatus {
        if let Some(s) = status {
            match norm(s).as_str() {
                "won" | "closedwon" => return DealStatus::Won,
                "lost" | "closedlost" => return DealStatus::Lost,
                "open" => return DealStatus::Open,
                _ => {}
            }
        }
        if let Some(c) = closed {
            if is_yes(c) {
                return if won.is_some_and(is_yes) {
                    DealStatus::Won
                } else {
                    DealStatus::Lost
                };
            }
            return DealStatus::Open;
        }
        if won.is_some_and(is_yes) {
            return DealStatus::Won;
        }
        let s = norm(stage.unwrap_or_default());
        if s.contains("won") {
            DealStatus::Won
        } else if s.contains("lost") {
            DealStatus::Lost
        } else {
            DealStatus::Open
        }
    }
}

/// A cleaned row.
struct Deal {
    row: u32,
    external_id: Option<String>,
    name: String,
    account_name: Option<String>,
    account_ref: Option<String>,
    contact: Option<String>,
    amount_minor: Option<i64>,
    currency: String,
    stage: String,
    status: DealStatus,
    close: Option<DateTime<Utc>>,
    created: Option<DateTime<Utc>>,
    owner_ref: Option<String>,
    owner_id: Option<String>,
    product: String,
    loss_reason: String,
}

/// Imports an opportunities file inside the caller's transaction.
#[allow(clippy::too_many_arguments)]
pub async fn import(
    conn: &mut Conn,
    bytes: &[u8],
    mapping: &Mapping,
    mode: ImportMode,
    progress: &Progress<'_>,
    now: DateTime<Utc>,
    signer: &Signer,
) -> AppResult<ImportSummary> {
    let table = csv_table::read(bytes)?;
    let columns = Columns::<F>::resolve(&table.headers, &table.duplicates, mapping)?;
    if !columns.has(F::Name) && !columns.has(F::ExternalId) {
        return Err(columns.missing("the opportunity's name or id", &[F::Name, F::ExternalId]));
    }
    let first_id = columns
        .get(F::ExternalId)
        .and_then(|i| table.rows.first().and_then(|(_, r)| r.get(i)))
        .map(str::to_string);
    let source = detect(
        &table.headers,
        first_id.as_deref(),
        mapping.system.as_deref(),
        Some("opportunity"),
    );
    let prefs = crate::workspace::date_prefs(&mut *conn, mapping).await?;
    let date_column = |f: F| {
        let i = columns.get(f);
        DateColumn::decide(
            table
                .rows
                .iter()
                .filter_map(|(row, r)| i.and_then(|i| r.get(i)).and_then(clean).map(|v| (*row, v))),
            &prefs,
        )
    };
    let close_dates = date_column(F::CloseDate);
    let created_dates = date_column(F::CreatedAt);
    let owners = Owners::load(&mut *conn, &source.system).await?;
    let contacts = ContactRefs::load(&mut *conn).await?;
    let mut summary = ImportSummary {
        dialect: source.name.clone(),
        source: Some(source.clone()),
        rows_read: (table.rows.len() + table.broken.len()) as u32,
        mapping: columns.uses(),
        unmapped_columns: columns.unmapped(),
        dates: [F::CloseDate, F::CreatedAt]
            .into_iter()
            .filter(|f| columns.has(*f))
            .map(|f| {
                if f == F::CloseDate {
                    close_dates.choice(&columns.header(f))
                } else {
                    created_dates.choice(&columns.header(f))
                }
            })
            .collect(),
        warnings: [(F::CloseDate, &close_dates), (F::CreatedAt, &created_dates)]
            .into_iter()
            .filter_map(|(f, d)| d.warning(&columns.header(f)))
            .collect(),
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
    if !columns.has(F::ExternalId) {
        summary.warnings.push(
            "the file has no id column: each row is its own deal, matched on a re-import only when nothing in it changed; map the deals' id column to follow them as they change"
                .to_string(),
        );
    }
    let contact_type = if source.system == "pipedrive" {
        "person"
    } else {
        "contact"
    };
    let amount_point = decimal_point(table.rows.iter().filter_map(|(_, r)| {
        columns
            .get(F::Amount)
            .and_then(|i| r.get(i))
            .and_then(clean)
    }));
    let mut deals = Vec::new();
    let mut seen: HashMap<String, u32> = HashMap::new();
    for (row, r) in &table.rows {
        let cell = |f: F| columns.get(f).and_then(|i| r.get(i)).and_then(clean);
        let mut errors = Vec::new();
        let mut fail = |f: F, message: String| {
            errors.push(RowError {
                row: *row,
                column: columns.header(f),
                message,
            })
        };
        let name = cell(F::Name)
            .or(cell(F::ExternalId))
            .unwrap_or_default()
            .to_string();
        // Without an id column a row is known by everything it says: a changed deal
        // cannot be told from a new one (the summary says so).
        let external_id = cell(F::ExternalId).map(str::to_string).or_else(|| {
            (!columns.has(F::ExternalId)).then(|| {
                let mut h = super::contacts::Fnv(0xcbf29ce484222325);
                for c in r.iter() {
                    h.opt(Some(c.trim()));
                }
                format!("row:{:016x}", h.0)
            })
        });
        if name.is_empty() {
            fail(F::Name, "an opportunity needs a name or an id".into());
        }
        if let Some(e) = &external_id {
            if let Some(first) = seen.get(e) {
                if e.starts_with("row:") {
                    fail(F::Name, format!("this row repeats row {first} exactly"));
                } else {
                    fail(
                        F::ExternalId,
                        format!("'{e}' appears again: a duplicate of row {first}"),
                    );
                }
            }
        }
        let amount_minor = cell(F::Amount).and_then(|t| {
            parse_amount(t, amount_point).or_else(|| {
                fail(F::Amount, format!("'{t}' is not an amount"));
                None
            })
        });
        let close = cell(F::CloseDate)
            .and_then(|t| close_dates.read(t).map_err(|m| fail(F::CloseDate, m)).ok());
        let created = cell(F::CreatedAt).and_then(|t| match created_dates.read(t) {
            Ok(d) if d <= now + crate::handoffs::CLOCK_SKEW => Some(d),
            Ok(_) => {
                fail(F::CreatedAt, format!("'{t}' is in the future"));
                None
            }
            Err(m) => {
                fail(F::CreatedAt, m);
                None
            }
        });
        let status = DealStatus::of(
            cell(F::Status),
            cell(F::IsWon),
            cell(F::IsClosed),
            cell(F::Stage),
        );
        // Salesforce and HubSpot cells can list several contacts: the first is primary.
        let first_of = |v: &str| v.split(';').next().unwrap_or(v).trim().to_string();
        let contact_id_cell = cell(F::ContactId).map(first_of);
        let contact = match contact_id_cell {
            Some(id) => match contacts
                .find(&id, &source.system, Some(contact_type))
                .or_else(|_| contacts.find(&id, &source.system, None))
            {
                Ok(c) => Some(c),
                Err(m) => {
                    summary
                        .warnings
                        .push(format!("row {row}: primary contact not linked: {m}"));
                    None
                }
            },
            None => cell(F::Contact).map(first_of).and_then(|c| {
                let found = if c.contains('@') {
                    contacts.find(&c, &source.system, None)
                } else {
                    contacts.by_name(&c)
                };
                match found {
                    Ok(found) => Some(found),
                    Err(m) => {
                        summary
                            .warnings
                            .push(format!("row {row}: primary contact not linked: {m}"));
                        None
                    }
                }
            }),
        };
        let owner_ref = cell(F::Owner).map(str::to_string);
        let owner_id = owner_ref.as_deref().and_then(|o| {
            let m = owners.resolve(o);
            if m.is_none() {
                summary.unmatched_owners.push(o.to_string());
            }
            m
        });
        if !errors.is_empty() {
            summary.rejected += 1;
            summary.errors.extend(errors);
            continue;
        }
        if let Some(e) = &external_id {
            seen.insert(e.clone(), *row);
        }
        deals.push(Deal {
            row: *row,
            external_id,
            name,
            account_name: cell(F::Account).map(str::to_string),
            account_ref: cell(F::AccountId)
                .map(first_of)
                .map(|a| format!("{}:{a}", source.system)),
            contact,
            amount_minor,
            currency: cell(F::Currency).unwrap_or_default().to_uppercase(),
            stage: cell(F::Stage).unwrap_or_default().to_string(),
            status,
            close,
            created,
            owner_ref,
            owner_id,
            product: cell(F::Product).unwrap_or_default().to_string(),
            loss_reason: cell(F::LossReason).unwrap_or_default().to_string(),
        });
    }
    summary.unmatched_owners.sort();
    summary.unmatched_owners.dedup();
    summary.errors.sort_by_key(|e| e.row);
    if mode == ImportMode::AllOrNothing && summary.rejected > 0 {
        return Ok(summary);
    }
    let bulk_id = new_id();
    let mut ledger = Ledger::load(&mut *conn).await?;
    ledger.valid_bulks.insert(bulk_id.clone());
    let mut hashes = Vec::new();
    let now_text = ts(now);
    let total = deals.len() as u32;
    for (n, d) in deals.iter().enumerate() {
        if n % 200 == 0 {
            progress.check(n as u32, total)?;
        }
        let account_id = account_of(&mut *conn, d).await?;
        let existing: Option<(String, Option<String>)> = sqlx::query_as(
            "SELECT id, import_hash FROM opportunities WHERE source_system = ? AND external_id = ? AND deleted_at IS NULL",
        )
        .bind(&source.system)
        .bind(&d.external_id)
        .fetch_optional(&mut *conn)
        .await?;
        let fingerprint = fingerprint(d, account_id.as_deref());
        let close_date = d.close.map(|c| c.format("%Y-%m-%d").to_string());
        match existing {
            Some((_, hash)) if hash.as_deref() == Some(fingerprint.as_str()) => {
                summary.unchanged += 1;
            }
            Some((id, _)) => {
                sqlx::query(
                    "UPDATE opportunities SET name = ?, account_id = coalesce(?, account_id),
                        account_ref = coalesce(?, account_ref),
                        primary_contact_id = coalesce(?, primary_contact_id), amount_minor = ?, currency = ?,
                        stage = ?, status = ?, close_date = ?, owner_id = CASE WHEN ? IS NULL THEN owner_id ELSE ? END,
                        owner_ref = coalesce(?, owner_ref), product = ?, loss_reason = ?, import_hash = ?, updated_at = ?
                     WHERE id = ?",
                )
                .bind(&d.name)
                .bind(&account_id)
                .bind(&d.account_ref)
                .bind(&d.contact)
                .bind(d.amount_minor)
                .bind(&d.currency)
                .bind(&d.stage)
                .bind(d.status.as_str())
                .bind(&close_date)
                .bind(&d.owner_ref)
                .bind(&d.owner_id)
                .bind(&d.owner_ref)
                .bind(&d.product)
                .bind(&d.loss_reason)
                .bind(&fingerprint)
                .bind(&now_text)
                .bind(&id)
                .execute(&mut *conn)
                .await?;
                summary.updated += 1;
            }
            None => {
                sqlx::query(
                    "INSERT INTO opportunities (id, name, account_id, account_ref, primary_contact_id, amount_minor,
                        currency, stage, status, close_date, owner_id, owner_ref, product, loss_reason,
                        source_system, external_id, import_hash, created_at, updated_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(new_id())
                .bind(&d.name)
                .bind(&account_id)
                .bind(&d.account_ref)
                .bind(&d.contact)
                .bind(d.amount_minor)
                .bind(&d.currency)
                .bind(&d.stage)
                .bind(d.status.as_str())
                .bind(&close_date)
                .bind(&d.owner_id)
                .bind(&d.owner_ref)
                .bind(&d.product)
                .bind(&d.loss_reason)
                .bind(&source.system)
                .bind(&d.external_id)
                .bind(&fingerprint)
                .bind(ts(d.created.unwrap_or(now)))
                .bind(&now_text)
                .execute(&mut *conn)
                .await?;
                summary.created += 1;
            }
        }
        if let Some(contact) = &d.contact {
            let notes = move_lifecycle(
                &mut *conn,
                &ledger,
                &bulk_id,
                &source.system,
                mapping,
                d,
                contact,
                now,
            )
            .await?;
            for (note, hash) in notes {
                if let Some(h) = hash {
                    hashes.push(h);
                }
                summary.lifecycle.push(note);
            }
        }
    }
    if !hashes.is_empty() {
        bulk::seal(
            &mut *conn,
            &bulk_id,
            "opportunities_import",
            hashes,
            signer,
            now,
        )
        .await?;
    }
    crate::leads::owners::resolve_accounts(&mut *conn).await?;
    summary.written = true;
    Ok(summary)
}

/// The account a deal names: by the source's id, else by name (created if new).
async fn account_of(conn: &mut Conn, d: &Deal) -> AppResult<Option<String>> {
    if let Some(r) = &d.account_ref {
        let found: Option<String> = sqlx::query_scalar(
            "SELECT account_id FROM account_keys WHERE system || ':' || external_id = ?",
        )
        .bind(r)
        .fetch_optional(&mut *conn)
        .await?;
        if found.is_some() {
            return Ok(found);
        }
    }
    let Some(name) = &d.account_name else {
        return Ok(None);
    };
    let found: Option<String> = sqlx::query_scalar(
        "SELECT id FROM accounts WHERE name = ? COLLATE NOCASE AND deleted_at IS NULL",
    )
    .bind(name)
    .fetch_optional(&mut *conn)
    .await?;
    if found.is_some() {
        return Ok(found);
    }
    let id = crate::leads::account_id_for(name);
    let now = ts(Utc::now());
    sqlx::query("INSERT INTO accounts (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)")
        .bind(&id)
        .bind(name)
        .bind(&now)
        .bind(&now)
        .execute(&mut *conn)
        .await?;
    Ok(Some(id))
}

fn fingerprint(d: &Deal, account_id: Option<&str>) -> String {
    let mut h = super::contacts::Fnv(0xcbf29ce484222325);
    for v in [
        Some(d.name.as_str()),
        account_id,
        d.account_ref.as_deref(),
        d.contact.as_deref(),
        d.amount_minor.map(|a| a.to_string()).as_deref(),
        Some(d.currency.as_str()),
        Some(d.stage.as_str()),
        Some(d.status.as_str()),
        d.close.map(ts).as_deref(),
        d.owner_ref.as_deref(),
        Some(d.product.as_str()),
        Some(d.loss_reason.as_str()),
    ] {
        h.opt(v);
    }
    format!("{:016x}", h.0)
}

/// Records `converted` (when the deal was created) and `won` or `lost` (at its close) for
/// its primary contact, each once; returns what happened to each, with the hash of what
/// was written.
#[allow(clippy::too_many_arguments)]
async fn move_lifecycle(
    conn: &mut Conn,
    ledger: &Ledger,
    bulk_id: &str,
    system: &str,
    mapping: &Mapping,
    d: &Deal,
    contact: &str,
    now: DateTime<Utc>,
) -> AppResult<Vec<(LifecycleNote, Option<String>)>> {
    let deal_key = d.external_id.clone().unwrap_or_else(|| d.name.clone());
    let mut steps = vec![(EventKind::Converted, d.created.or(d.close), None)];
    match d.status {
        DealStatus::Won => steps.push((EventKind::Won, d.close, None)),
        DealStatus::Lost => {
            let reason = (!d.loss_reason.is_empty()).then(|| {
                let n = norm(&d.loss_reason);
                mapping
                    .reasons
                    .iter()
                    .find(|(k, _)| norm(k) == n)
                    .map_or(d.loss_reason.clone(), |(_, v)| v.clone())
            });
            steps.push((EventKind::Lost, d.close, reason))
        }
        DealStatus::Open => {}
    }
    let mut notes = Vec::new();
    let mut stage = handoffs::lifecycle(&mut *conn, ledger, contact)
        .await?
        .map(|l| l.stage);
    for (kind, at, reason) in steps {
        let note = |outcome: String| LifecycleNote {
            row: d.row,
            contact_id: contact.to_string(),
            event: kind.as_str().to_string(),
            outcome,
        };
        let Some(at) = at else {
            notes.push((
                note("not recorded: the deal has no date for it".into()),
                None,
            ));
            continue;
        };
        if at > now + crate::handoffs::CLOCK_SKEW {
            notes.push((note("not recorded: its date is in the future".into()), None));
            continue;
        }
        let external = format!("deal:{system}:{deal_key}:{}", kind.as_str());
        let known: Option<String> =
            sqlx::query_scalar("SELECT id FROM handoff_events WHERE external_id = ?")
                .bind(&external)
                .fetch_optional(&mut *conn)
                .await?;
        if known.is_some() {
            notes.push((note("already in the log".into()), None));
            continue;
        }
        if stage
            .as_deref()
            .is_some_and(|s| leads_to(&ledger.pb, kind, s, at))
        {
            notes.push((note(format!("already {}", kind.as_str())), None));
            continue;
        }
        let first: Option<String> =
            sqlx::query_scalar("SELECT min(at) FROM handoff_events WHERE contact_id = ?")
                .bind(contact)
                .fetch_one(&mut *conn)
                .await?;
        if let Some(first) = first.filter(|f| ts(at) < *f) {
            notes.push((
                note(format!(
                    "not recorded: the deal's date ({}) is before the contact's history starts ({}; a contact imported without a created date starts when it was imported)",
                    &ts(at)[..10],
                    &first[..10.min(first.len())]
                )),
                None,
            ));
            continue;
        }
        let req = EventRequest {
            kind,
            reason,
            channel: None,
            note: format!("Deal: {}", d.name),
            assignee_id: None,
        };
        let mut sp = conn.begin().await?;
        let author = Author::Bulk {
            bulk_id,
            actor_id: d.owner_id.clone(),
            external_id: Some(external),
        };
        match handoffs::record(&mut sp, ledger, contact, &req, author, at, now).await {
            Ok(written) => {
                sp.commit().await?;
                stage = Some(written.to_stage.clone());
                notes.push((note("recorded".into()), written.hash));
            }
            Err(e) => {
                drop(sp);
                notes.push((note(format!("not recorded: {}", e.message)), None));
            }
        }
    }
    Ok(notes)
}

/// Whether `stage` is where a `kind` action of the stage definitions in force at `at` leads:
/// the contact is there already (a converted lead's contact needs no `converted`).
fn leads_to(pb: &PlaybookHistory, kind: EventKind, stage: &str, at: DateTime<Utc>) -> bool {
    pb.stage_keys()
        .iter()
        .filter_map(|k| pb.at(AgreementKind::Stage, k, at))
        .any(|v| match &v.body {
            AgreementBody::Stage(s) => s
                .actions
                .iter()
                .any(|a| a.event == kind && a.to.as_deref() == Some(stage)),
            _ => false,
        })
}

//! Running an import: one transaction (begun immediate, so it waits for other writers),
//! committed only when the summary says `written`; signed by an ops member or a manager as
//! one bulk record. The window and the CLI both come through here.
use chrono::Utc;
use serde::{Deserialize, Serialize};
use specta::Type;
use sqlx::Connection;

use super::dates::DateColumn;
use super::{accounts, contacts, csv_table, dialects, fields, history, opportunities, values};
use super::{ImportMode, ImportSummary, Mapping, OnConflict, Progress};
use crate::db::{self, Conn, Db};
use crate::error::{AppError, AppResult};
use crate::team::Role;
use crate::trust::Signer;

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    Contacts,
    Accounts,
    Opportunities,
    Events,
    Activities,
}

/// How an import runs beyond its mapping.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Options {
    pub mode: ImportMode,
    /// Check and count, write nothing.
    pub dry_run: bool,
    pub on_conflict: OnConflict,
}

/// Runs an import in one transaction, committed only when the summary says `written`;
/// `signer` (an ops member or a manager) signs it as one bulk record.
pub async fn import(
    db: &Db,
    kind: ImportKind,
    bytes: &[u8],
    mapping: &Mapping,
    options: Options,
    progress: &Progress<'_>,
    signer: &Signer,
) -> AppResult<ImportSummary> {
    require_bulk_writer(&mut *db.acquire().await?, signer).await?;
    let mut conn = db::begin_large_write(db).await?;
    let result = import_on(&mut conn, kind, bytes, mapping, options, progress, signer).await;
    db::end_large_write(db, conn).await;
    result
}

/// Bulk writes (imports, generated workspaces) are for ops people and managers: one
/// signature stands for every row.
pub async fn require_bulk_writer(conn: &mut Conn, signer: &Signer) -> AppResult<()> {
    let m = crate::team::store::get(conn, &signer.member_id).await?;
    if matches!(m.role, Role::Ops | Role::Manager) {
        Ok(())
    } else {
        Err(AppError::not_allowed(format!(
            "imports are signed by ops or managers; {} is a {} {}",
            m.name,
            m.side.as_str(),
            m.role.as_str()
        )))
    }
}

async fn import_on(
    conn: &mut Conn,
    kind: ImportKind,
    bytes: &[u8],
    mapping: &Mapping,
    options: Options,
    progress: &Progress<'_>,
    signer: &Signer,
) -> AppResult<ImportSummary> {
    mapping.check()?;
    let (decoded, note) = csv_table::decode(bytes);
    let bytes: &[u8] = &decoded;
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    let now = Utc::now();
    let mut summary = match kind {
        ImportKind::Contacts => {
            contacts::import(&mut tx, bytes, mapping, options, progress, now, signer).await?
        }
        ImportKind::Accounts => {
            accounts::import(&mut tx, bytes, mapping, options.mode, progress, now).await?
        }
        ImportKind::Opportunities => {
            opportunities::import(&mut tx, bytes, mapping, options.mode, progress, now, signer)
                .await?
        }
        ImportKind::Events => {
            history::import_events(&mut tx, bytes, mapping, options.mode, progress, signer, now)
                .await?
        }
        ImportKind::Activities => {
            history::import_activities(&mut tx, bytes, mapping, options.mode, progress, now, signer)
                .await?
        }
    };
    if let Some(n) = note {
        summary.warnings.insert(0, n);
    }
    if summary.written && !options.dry_run {
        tx.commit().await?;
    }
    summary.dry_run = options.dry_run;
    if options.dry_run {
        summary.written = false;
    }
    Ok(summary)
}

/// Reads a file and proposes how its columns map, for the window's mapping step.
pub async fn preview(
    db: &Db,
    kind: ImportKind,
    bytes: &[u8],
    mapping: &Mapping,
) -> AppResult<contacts::ImportPreview> {
    let mut conn = db.acquire().await?;
    let (decoded, _) = csv_table::decode(bytes);
    let bytes: &[u8] = &decoded;
    match kind {
        ImportKind::Contacts => contacts::preview(&mut conn, bytes, mapping).await,
        ImportKind::Accounts => {
            generic::<fields::AccountField>(&mut conn, bytes, mapping, "account", &[]).await
        }
        ImportKind::Opportunities => {
            use fields::OpportunityField as F;
            generic::<F>(
                &mut conn,
                bytes,
                mapping,
                "opportunity",
                &[F::CloseDate, F::CreatedAt],
            )
            .await
        }
        ImportKind::Events => {
            generic::<fields::EventField>(&mut conn, bytes, mapping, "", &[fields::EventField::At])
                .await
        }
        ImportKind::Activities => {
            generic::<fields::ActivityField>(
                &mut conn,
                bytes,
                mapping,
                "",
                &[fields::ActivityField::At],
            )
            .await
        }
    }
}

/// The preview of a file whose rows need no status mapping.
async fn generic<F: fields::Field>(
    conn: &mut Conn,
    bytes: &[u8],
    mapping: &Mapping,
    record_type: &str,
    date_fields: &[F],
) -> AppResult<contacts::ImportPreview> {
    let table = csv_table::read(bytes)?;
    let columns = fields::Columns::<F>::resolve(&table.headers, &table.duplicates, mapping)?;
    let prefs = crate::workspace::date_prefs(&mut *conn, mapping).await?;
    let source = dialects::detect(
        &table.headers,
        None,
        mapping.system.as_deref(),
        Some(mapping.record_type.as_deref().unwrap_or(record_type)),
    );
    let dates = date_fields
        .iter()
        .filter_map(|f| columns.get(*f).map(|i| (*f, i)))
        .map(|(f, i)| {
            DateColumn::decide(
                table
                    .rows
                    .iter()
                    .filter_map(|(row, r)| r.get(i).and_then(values::clean).map(|v| (*row, v))),
                &prefs,
            )
            .choice(&columns.header(f))
        })
        .collect();
    let mut resolved = mapping.clone();
    resolved.columns = columns
        .uses()
        .into_iter()
        .map(|u| (u.field, u.column))
        .collect();
    Ok(contacts::ImportPreview {
        dialect: source.name.clone(),
        source,
        fields: columns.fields(),
        sample: table
            .rows
            .iter()
            .take(8)
            .map(|(_, r)| r.iter().map(str::to_string).collect())
            .collect(),
        rows: table.rows.len() as u32 + table.broken.len() as u32,
        headers: table.headers,
        mapping: resolved,
        statuses: Vec::new(),
        dates,
    })
}

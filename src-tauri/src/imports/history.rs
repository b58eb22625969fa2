//! Importing history from another system: handoff events (each checked against the
//! playbook in force when it happened) and activities. Rows without an id get a
//! fingerprint, so importing the same file twice adds nothing.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::Connection;

use super::csv_table::{self, Table};
use super::values::{clean, parse_date};
use super::{ImportMode, ImportSummary, Progress, RowError};
use crate::agreements::ActivityKind;
use crate::db::{insert_many, new_id, ts, Conn, Val};
use crate::error::{AppError, AppResult};
use crate::handoffs::playbook_at::PlaybookHistory;
use crate::handoffs::store::{self as handoffs, Author, Ledger};
use crate::handoffs::{EventKind, EventRequest};
use crate::leads::{activity_hash, norm};
use crate::trust::{bulk, Signer};

fn find(table: &Table, names: &[&str]) -> Option<usize> {
    table
        .headers
        .iter()
        .position(|h| names.contains(&norm(h).as_str()))
}

fn fingerprint(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in parts.join("\u{1f}").bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("fp:{h:016x}")
}

/// Contacts by external id and by email, for matching history rows.
async fn contact_index(conn: &mut Conn) -> AppResult<HashMap<String, String>> {
    let rows: Vec<(String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT id, external_id, lower(email) FROM contacts WHERE deleted_at IS NULL",
    )
    .fetch_all(conn)
    .await?;
    let mut index = HashMap::with_capacity(rows.len() * 2);
    for (id, ext, email) in rows {
        if let Some(e) = email {
            index.insert(e, id.clone());
        }
        if let Some(x) = ext {
            index.insert(x, id);
        }
    }
    Ok(index)
}

struct Columns {
    contact: usize,
    kind: usize,
    at: usize,
    id: Option<usize>,
}

fn required(
    table: &Table,
    what: &str,
    contact: &[&str],
    kind: &[&str],
    at: &[&str],
) -> AppResult<Columns> {
    let missing = |name: &str| {
        AppError::invalid(
            "file",
            format!(
                "{what} file: no {name} column (headers: {})",
                table.headers.join(", ")
            ),
        )
    };
    Ok(Columns {
        contact: find(table, contact).ok_or_else(|| missing("contact (email or contact id)"))?,
        kind: find(table, kind).ok_or_else(|| missing("event type"))?,
        at: find(table, at).ok_or_else(|| missing("date"))?,
        id: find(table, &["id", "eventid", "activityid", "externalid"]),
    })
}

const CONTACT: [&str; 8] = [
    "contact",
    "contactid",
    "contactexternalid",
    "contactemail",
    "email",
    "emailaddress",
    "externalid",
    "leadid",
];

/// Imports handoff events, one checked event at a time, in file order.
pub async fn import_events(
    conn: &mut Conn,
    bytes: &[u8],
    mode: ImportMode,
    progress: &Progress<'_>,
    signer: &Signer,
    now: DateTime<Utc>,
) -> AppResult<ImportSummary> {
    let table = csv_table::read(bytes)?;
    let cols = required(
        &table,
        "events",
        &CONTACT,
        &["event", "kind", "type", "eventtype", "action"],
        &["at", "date", "timestamp", "time", "occurredat"],
    )?;
    let actor_col = find(&table, &["actor", "by", "user", "owner", "actoremail"]);
    let reason_col = find(&table, &["reason", "reasoncode"]);
    let channel_col = find(&table, &["channel"]);
    let note_col = find(&table, &["note", "notes", "comment"]);
    let assignee_col = find(&table, &["assignee", "assignedto", "handedto"]);
    let bulk_id = new_id();
    let mut ledger = Ledger::load(&mut *conn).await?;
    // This import's own rows count while it runs; its signature seals them at the end.
    ledger.valid_bulks.insert(bulk_id.clone());
    let mut hashes = Vec::new();
    let contacts = contact_index(&mut *conn).await?;
    let members: HashMap<String, String> = sqlx::query_as::<_, (String, String, String)>(
        "SELECT id, lower(email), lower(name) FROM members WHERE deleted_at IS NULL",
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .flat_map(|(id, email, name)| [(email, id.clone()), (name, id)])
    .collect();
    let total = (table.rows.len() + table.broken.len()) as u32;
    let mut summary = ImportSummary {
        dialect: "Events".into(),
        rows_read: total,
        ..ImportSummary::default()
    };
    for (row, message) in &table.broken {
        summary.errors.push(RowError {
            row: *row,
            column: String::new(),
            message: message.clone(),
        });
    }
    for (n, (row, r)) in table.rows.iter().enumerate() {
        if n % 500 == 0 {
            progress.check(n as u32, total)?;
        }
        let cell = |i: Option<usize>| i.and_then(|i| r.get(i)).and_then(clean);
        let header = |i: usize| table.headers[i].clone();
        let err = |col: usize, message: String| RowError {
            row: *row,
            column: header(col),
            message,
        };
        let outcome: Result<Option<String>, RowError> = async {
            let key = cell(Some(cols.contact))
                .ok_or_else(|| err(cols.contact, "no contact given".into()))?;
            let contact = contacts
                .get(&key.to_lowercase())
                .or_else(|| contacts.get(key))
                .ok_or_else(|| {
                    err(
                        cols.contact,
                        format!("no contact '{key}'; import the contacts first"),
                    )
                })?;
            let kind_text = cell(Some(cols.kind)).unwrap_or_default();
            let kind = EventKind::parse(kind_text).ok_or_else(|| {
                let all: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
                err(
                    cols.kind,
                    format!("'{kind_text}' is not an event ({})", all.join(", ")),
                )
            })?;
            let at_text = cell(Some(cols.at)).unwrap_or_default();
            let at: DateTime<Utc> = parse_date(at_text)
                .ok_or_else(|| err(cols.at, format!("'{at_text}' is not a date")))?;
            not_in_future(at, now).map_err(|m| err(cols.at, m))?;
            let person = |col: Option<usize>| -> Result<Option<String>, RowError> {
                match cell(col) {
                    None => Ok(None),
                    Some(p) => members
                        .get(&p.to_lowercase())
                        .cloned()
                        .map(Some)
                        .ok_or_else(|| err(col.unwrap_or(0), format!("'{p}' is not on the team"))),
                }
            };
            let actor = person(actor_col)?;
            let assignee = person(assignee_col)?;
            let reason = cell(reason_col).map(str::to_string);
            let external = match cell(cols.id) {
                Some(id) => id.to_string(),
                None => fingerprint(&[
                    contact,
                    kind.as_str(),
                    &ts(at),
                    reason.as_deref().unwrap_or(""),
                ]),
            };
            let known: Option<String> =
                sqlx::query_scalar("SELECT id FROM handoff_events WHERE external_id = ?")
                    .bind(&external)
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(|e| err(cols.id.unwrap_or(0), e.to_string()))?;
            if known.is_some() {
                return Ok(None);
            }
            // A contact imported from a contacts file already has its `created` event.
            if kind == EventKind::Created {
                let has: Option<String> = sqlx::query_scalar(
                    "SELECT id FROM handoff_events WHERE contact_id = ? LIMIT 1",
                )
                .bind(contact)
                .fetch_optional(&mut *conn)
                .await
                .map_err(|e| err(cols.kind, e.to_string()))?;
                if has.is_some() {
                    return Ok(None);
                }
            }
            let req = EventRequest {
                kind,
                reason,
                channel: cell(channel_col).map(str::to_string),
                note: cell(note_col).unwrap_or_default().to_string(),
                assignee_id: assignee,
            };
            let mut sp = conn
                .begin()
                .await
                .map_err(|e| err(cols.kind, e.to_string()))?;
            let author = Author::Bulk {
                bulk_id: &bulk_id,
                actor_id: actor,
                external_id: Some(external),
            };
            match handoffs::record(&mut sp, &ledger, contact, &req, author, at, now).await {
                Ok(written) => {
                    sp.commit()
                        .await
                        .map_err(|e| err(cols.kind, e.to_string()))?;
                    Ok(written.hash)
                }
                Err(e) => {
                    let col = match e.field.as_deref() {
                        Some("reason") => reason_col.unwrap_or(cols.kind),
                        Some("channel") => channel_col.unwrap_or(cols.kind),
                        Some("at") => cols.at,
                        Some("actor") => actor_col.unwrap_or(cols.kind),
                        _ => cols.kind,
                    };
                    Err(err(col, e.message))
                }
            }
        }
        .await;
        match outcome {
            Ok(Some(hash)) => {
                summary.created += 1;
                hashes.push(hash);
            }
            Ok(None) => summary.unchanged += 1,
            Err(e) => {
                summary.rejected += 1;
                summary.errors.push(e);
            }
        }
    }
    summary.rejected += table.broken.len() as u32;
    let summary = finish(summary, mode)?;
    if summary.written && !hashes.is_empty() {
        bulk::seal(conn, &bulk_id, "events_import", hashes, signer, now).await?;
    }
    Ok(summary)
}

/// Imports activities in bulk and refreshes the scores of the contacts they belong to.
pub async fn import_activities(
    conn: &mut Conn,
    bytes: &[u8],
    mode: ImportMode,
    progress: &Progress<'_>,
    now: DateTime<Utc>,
    signer: &Signer,
) -> AppResult<ImportSummary> {
    let bulk_id = new_id();
    let mut hashes = Vec::new();
    let table = csv_table::read(bytes)?;
    let cols = required(
        &table,
        "activities",
        &CONTACT,
        &["activity", "activitytype", "type", "kind", "event"],
        &[
            "at",
            "date",
            "activitydate",
            "timestamp",
            "time",
            "occurredat",
        ],
    )?;
    let detail_col = find(
        &table,
        &[
            "detail",
            "details",
            "asset",
            "page",
            "url",
            "campaign",
            "description",
            "name",
        ],
    );
    let contacts = contact_index(&mut *conn).await?;
    let known: std::collections::HashSet<String> = sqlx::query_scalar::<_, String>(
        "SELECT external_id FROM activities WHERE external_id IS NOT NULL",
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .collect();
    let total = (table.rows.len() + table.broken.len()) as u32;
    let mut summary = ImportSummary {
        dialect: "Activities".into(),
        rows_read: total,
        ..ImportSummary::default()
    };
    for (row, message) in &table.broken {
        summary.errors.push(RowError {
            row: *row,
            column: String::new(),
            message: message.clone(),
        });
    }
    let mut rows = Vec::new();
    let mut touched = std::collections::BTreeSet::new();
    let mut seen = std::collections::HashSet::new();
    let now_text = ts(now);
    for (n, (row, r)) in table.rows.iter().enumerate() {
        if n % 20_000 == 0 {
            progress.check(n as u32 / 2, total)?;
        }
        let cell = |i: usize| r.get(i).and_then(clean);
        let err = |col: usize, message: String| RowError {
            row: *row,
            column: table.headers[col].clone(),
            message,
        };
        let parsed = (|| {
            let key =
                cell(cols.contact).ok_or_else(|| err(cols.contact, "no contact given".into()))?;
            let contact = contacts
                .get(&key.to_lowercase())
                .or_else(|| contacts.get(key))
                .ok_or_else(|| {
                    err(
                        cols.contact,
                        format!("no contact '{key}'; import the contacts first"),
                    )
                })?;
            let kind_text = cell(cols.kind).unwrap_or_default();
            let kind = ActivityKind::parse(kind_text).ok_or_else(|| {
                let all: Vec<&str> = ActivityKind::ALL.iter().map(|k| k.as_str()).collect();
                err(
                    cols.kind,
                    format!("'{kind_text}' is not an activity ({})", all.join(", ")),
                )
            })?;
            let at_text = cell(cols.at).unwrap_or_default();
            let at = parse_date(at_text)
                .ok_or_else(|| err(cols.at, format!("'{at_text}' is not a date")))?;
            not_in_future(at, now).map_err(|m| err(cols.at, m))?;
            let detail = detail_col.and_then(cell).unwrap_or_default().to_string();
            let external = match cols.id.and_then(cell) {
                Some(id) => id.to_string(),
                None => fingerprint(&[contact, kind.as_str(), &ts(at), &detail]),
            };
            Ok((contact.clone(), kind, ts(at), detail, external))
        })();
        match parsed {
            Ok((contact, kind, at, detail, external)) => {
                if known.contains(&external) || !seen.insert(external.clone()) {
                    summary.unchanged += 1;
                    continue;
                }
                touched.insert(contact.clone());
                let id = new_id();
                let hash = activity_hash(
                    &id,
                    &contact,
                    kind.as_str(),
                    &at,
                    &detail,
                    Some(&external),
                    Some(&bulk_id),
                );
                hashes.push(hash.clone());
                rows.push(vec![
                    Val::Text(id),
                    Val::Text(contact),
                    Val::Text(kind.as_str().into()),
                    Val::Text(at),
                    Val::Text(detail),
                    Val::Text(external),
                    Val::Text(now_text.clone()),
                    Val::Text(hash),
                    Val::Text(bulk_id.clone()),
                ]);
            }
            Err(e) => {
                summary.rejected += 1;
                summary.errors.push(e);
            }
        }
    }
    summary.rejected += table.broken.len() as u32;
    summary.created = rows.len() as u32;
    if mode == ImportMode::AllOrNothing && summary.rejected > 0 {
        summary.created = 0;
        summary.unchanged = 0;
        return Ok(summary);
    }
    insert_many(
        conn,
        "activities",
        &[
            "id",
            "contact_id",
            "kind",
            "at",
            "detail",
            "external_id",
            "recorded_at",
            "hash",
            "bulk_id",
        ],
        rows,
    )
    .await?;
    if !hashes.is_empty() {
        bulk::seal(
            &mut *conn,
            &bulk_id,
            "activities_import",
            hashes,
            signer,
            now,
        )
        .await?;
    }
    progress.check(total * 3 / 4, total)?;
    let pb = PlaybookHistory::load(&mut *conn).await?;
    let ids: Vec<String> = touched.into_iter().collect();
    crate::leads::scores::refresh(conn, &pb, &ids, now).await?;
    summary.written = true;
    Ok(summary)
}

/// History that has not happened yet is refused (beyond the clock skew laptops may have):
/// an event dated 2999 would otherwise sit at the end of the contact's history for good.
fn not_in_future(at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), String> {
    if at > now + crate::handoffs::CLOCK_SKEW {
        Err(format!(
            "{} is in the future; history is imported once it has happened",
            ts(at)
        ))
    } else {
        Ok(())
    }
}

fn finish(mut summary: ImportSummary, mode: ImportMode) -> AppResult<ImportSummary> {
    summary.errors.sort_by_key(|e| e.row);
    if mode == ImportMode::AllOrNothing && summary.rejected > 0 {
        summary.created = 0;
        summary.unchanged = 0;
        summary.written = false;
    } else {
        summary.written = true;
    }
    Ok(summary)
}

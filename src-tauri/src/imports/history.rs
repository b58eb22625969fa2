//! Importing history from another system: handoff events (each checked against the
//! playbook in force when it happened) and activities, from a history export or a CRM's
//! calls and tasks (with a mapping: which column is what, which of its types is which
//! event or activity, which channel). Rows without an id get a fingerprint, so importing
//! the same file twice adds nothing.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::Connection;

use super::csv_table::{self, Table};
use super::dates::DateColumn;
use super::dialects::detect;
use super::fields::{ActivityField, Columns, EventField, Field};
use super::values::clean;
use super::{ImportMode, ImportSummary, Mapping, Progress, RowError};
use crate::agreements::ActivityKind;
use crate::db::{insert_many, new_id, ts, Conn, Val};
use crate::error::AppResult;
use crate::handoffs::playbook_at::PlaybookHistory;
use crate::handoffs::store::{self as handoffs, Author, Ledger};
use crate::handoffs::{EventKind, EventRequest};
use crate::leads::{activity_hash, norm};
use crate::trust::{bulk, Signer};

fn fingerprint(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in parts.join("\u{1f}").bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("fp:{h:016x}")
}

/// Contacts as a history file may name them: Playbook's id, an email, or an id in the
/// source system (keyed by system and record type, so a lead 2585 and a contact 2585 are
/// told apart by a record-type column or the mapping's `record_type`).
pub struct ContactRefs {
    ids: HashSet<String>,
    /// Every live contact with each email (several share one now and then).
    emails: HashMap<String, Vec<String>>,
    /// Every live contact by lower-case full name (for deals that name their contact).
    names: HashMap<String, Vec<String>>,
    keys: HashMap<String, Vec<(String, String, String)>>,
}

impl ContactRefs {
    pub async fn load(conn: &mut Conn) -> AppResult<ContactRefs> {
        let rows: Vec<(String, Option<String>, String)> = sqlx::query_as(
            "SELECT id, lower(email), lower(trim(first_name || ' ' || last_name)) FROM contacts WHERE deleted_at IS NULL",
        )
                .fetch_all(&mut *conn)
                .await?;
        let mut refs = ContactRefs {
            ids: HashSet::with_capacity(rows.len()),
            emails: HashMap::with_capacity(rows.len()),
            names: HashMap::with_capacity(rows.len()),
            keys: HashMap::new(),
        };
        for (id, email, name) in rows {
            if !name.is_empty() {
                refs.names.entry(name).or_default().push(id.clone());
            }
            if let Some(e) = email {
                refs.emails.entry(e).or_default().push(id.clone());
            }
            refs.ids.insert(id);
        }
        // A merged-away contact's ids name its survivor.
        let keys: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT k.external_id, k.system, k.record_type, coalesce(c.merged_into, k.contact_id)
             FROM contact_keys k JOIN contacts c ON c.id = k.contact_id
             WHERE c.deleted_at IS NULL OR c.merged_into IS NOT NULL",
        )
        .fetch_all(&mut *conn)
        .await?;
        for (ext, system, record_type, contact) in keys {
            refs.keys
                .entry(ext)
                .or_default()
                .push((system, record_type, contact));
        }
        Ok(refs)
    }

    /// The one contact with this full name.
    pub fn by_name(&self, name: &str) -> Result<String, String> {
        match self
            .names
            .get(&name.trim().to_lowercase())
            .map(Vec::as_slice)
        {
            Some([one]) => Ok(one.clone()),
            Some(many) if many.len() > 1 => Err(format!(
                "{} contacts are named {name}; give the contact's id or email",
                many.len()
            )),
            _ => Err(format!("no contact named {name}")),
        }
    }

    /// The contact `key` names, preferring ids of `system`, and of `record_type` when given.
    pub fn find(
        &self,
        key: &str,
        system: &str,
        record_type: Option<&str>,
    ) -> Result<String, String> {
        if self.ids.contains(key) {
            return Ok(key.to_string());
        }
        match self.emails.get(&key.to_lowercase()).map(Vec::as_slice) {
            Some([one]) => return Ok(one.clone()),
            Some(many) if many.len() > 1 => {
                return Err(format!(
                "{} contacts have the email {key}; name the contact by its id in the source system",
                many.len()
            ))
            }
            _ => {}
        }
        let Some(all) = self.keys.get(key) else {
            return Err(format!("no contact '{key}'; import the contacts first"));
        };
        let fits = |(s, t, _): &&(String, String, String)| {
            record_type.is_none_or(|r| t == r) && (s == system || s.is_empty())
        };
        let mut found: Vec<&(String, String, String)> = all.iter().filter(fits).collect();
        if found.is_empty() && record_type.is_none() {
            found = all.iter().collect();
        }
        found.sort_by(|a, b| a.2.cmp(&b.2));
        found.dedup_by(|a, b| a.2 == b.2);
        match found.as_slice() {
            [] => Err(format!(
                "no {} '{key}'; import those records first",
                record_type.unwrap_or("contact")
            )),
            [one] => Ok(one.2.clone()),
            many => {
                let kinds: Vec<String> = many
                    .iter()
                    .map(|(s, t, _)| {
                        format!(
                            "{} {}",
                            if s.is_empty() {
                                "an unknown system's"
                            } else {
                                s
                            },
                            if t.is_empty() { "record" } else { t }
                        )
                    })
                    .collect();
                Err(format!(
                    "'{key}' is the id of more than one contact ({}); say which kind of record the file means (a record-type column, or record_type in the mapping)",
                    kinds.join(", ")
                ))
            }
        }
    }
}

/// Who a row is about: the contact column's person, else the related record when its type
/// is a person (a lead or a contact); the record type to look the id up with; and whether
/// the related column was used.
fn person<'a>(
    contact: Option<&'a str>,
    related: Option<&'a str>,
    related_type: Option<&str>,
    mapping: &Mapping,
) -> Result<(&'a str, Option<String>, bool), String> {
    if let Some(c) = contact {
        return Ok((c, mapping.record_type.clone(), false));
    }
    let Some(r) = related else {
        return Err("no contact given".into());
    };
    let kind = related_type.map(record_type_of);
    match kind.as_deref() {
        None | Some("lead" | "contact" | "person") => {
            Ok((r, kind.or_else(|| mapping.record_type.clone()), true))
        }
        Some(other) => Err(format!(
            "the row is about {} {r}, not a person; it names no contact",
            match other {
                "account" => "an account",
                "potential" | "deal" | "opportunity" => "a deal",
                _ => "a record",
            }
        )),
    }
}

/// "Leads" → "lead", "Contacts" → "contact": a record-type cell as keys store it.
fn record_type_of(cell: &str) -> String {
    let n = norm(cell);
    n.strip_suffix('s').map(str::to_string).unwrap_or(n)
}

/// A value of the file looked up in one of the mapping's tables (keys compared
/// case-insensitively), else the value itself.
fn mapped<'a>(table: &'a std::collections::BTreeMap<String, String>, value: &'a str) -> &'a str {
    let n = norm(value);
    table
        .iter()
        .find(|(k, _)| norm(k) == n)
        .map_or(value, |(_, v)| v.as_str())
}

/// Reads a history file and everything its rows are read with.
struct Prepared<F: Field> {
    table: Table,
    columns: Columns<F>,
    dates: DateColumn,
    system: String,
}

async fn prepare<F: Field>(
    conn: &mut Conn,
    bytes: &[u8],
    mapping: &Mapping,
    what: &str,
    contact: F,
    kind: F,
    at: F,
) -> AppResult<Prepared<F>> {
    let table = csv_table::read(bytes)?;
    let columns = Columns::<F>::resolve(&table.headers, &table.duplicates, mapping)?;
    for (f, name) in [
        (contact, "the contact"),
        (kind, "the type"),
        (at, "the date"),
    ] {
        // A related record's id (a lead a call is about) can stand for the contact.
        let related = F::parse("related").filter(|_| f == contact);
        if !columns.has(f) && !related.is_some_and(|r| columns.has(r)) {
            return Err(columns.missing(&format!("{name} of each {what}"), &[f]));
        }
    }
    let prefs = crate::workspace::date_prefs(&mut *conn, mapping).await?;
    let at_col = columns.get(at).unwrap_or(0);
    let dates = DateColumn::decide(
        table
            .rows
            .iter()
            .filter_map(|(row, r)| r.get(at_col).and_then(clean).map(|v| (*row, v))),
        &prefs,
    );
    let first = columns
        .get(contact)
        .and_then(|i| table.rows.first().and_then(|(_, r)| r.get(i)))
        .map(str::to_string);
    let system = detect(
        &table.headers,
        first.as_deref(),
        mapping.system.as_deref(),
        mapping.record_type.as_deref(),
    )
    .system;
    Ok(Prepared {
        table,
        columns,
        dates,
        system,
    })
}

fn summary_for<F: Field>(p: &Prepared<F>, dialect: &str, at: F) -> ImportSummary {
    let total = (p.table.rows.len() + p.table.broken.len()) as u32;
    let mut summary = ImportSummary {
        dialect: dialect.into(),
        rows_read: total,
        mapping: p.columns.uses(),
        unmapped_columns: p.columns.unmapped(),
        dates: vec![p.dates.choice(&p.columns.header(at))],
        warnings: p
            .dates
            .warning(&p.columns.header(at))
            .into_iter()
            .chain(super::blank_note(p.table.blank))
            .collect(),
        ..ImportSummary::default()
    };
    for (row, message) in &p.table.broken {
        summary.errors.push(RowError {
            row: *row,
            column: String::new(),
            message: message.clone(),
        });
    }
    summary
}

/// Imports handoff events, one checked event at a time, in file order.
pub async fn import_events(
    conn: &mut Conn,
    bytes: &[u8],
    mapping: &Mapping,
    mode: ImportMode,
    progress: &Progress<'_>,
    signer: &Signer,
    now: DateTime<Utc>,
) -> AppResult<ImportSummary> {
    use EventField as F;
    let p = prepare(
        &mut *conn,
        bytes,
        mapping,
        "event",
        F::Contact,
        F::Kind,
        F::At,
    )
    .await?;
    let contact_header = norm(&p.columns.header(F::Contact));
    let bulk_id = new_id();
    let mut ledger = Ledger::load(&mut *conn).await?;
    // This import's own rows count while it runs; its signature seals them at the end.
    ledger.valid_bulks.insert(bulk_id.clone());
    let mut hashes = Vec::new();
    let contacts = ContactRefs::load(&mut *conn).await?;
    let owners = super::contacts::Owners::load(&mut *conn, &p.system).await?;
    let total = p.table.rows.len() as u32;
    let mut summary = summary_for(&p, "Events", F::At);
    let header = |f: F| p.columns.header(f);
    for (n, (row, r)) in p.table.rows.iter().enumerate() {
        if n % 500 == 0 {
            progress.check(n as u32, total)?;
        }
        let cell = |f: F| p.columns.get(f).and_then(|i| r.get(i)).and_then(clean);
        let err = |f: F, message: String| RowError {
            row: *row,
            column: header(f),
            message,
        };
        let outcome: Result<Option<String>, RowError> = async {
            let (key, record_type, related) = person(
                cell(F::Contact),
                cell(F::Related),
                cell(F::ContactType),
                mapping,
            )
            .map_err(|m| err(F::Contact, m))?;
            let column = if related { F::Related } else { F::Contact };
            // A column named for contacts ("Contact Name.id") means a contact record when
            // the id alone is ambiguous.
            let hint = (!related && record_type.is_none() && contact_header.starts_with("contact"))
                .then_some("contact");
            let contact = contacts
                .find(key, &p.system, record_type.as_deref().or(hint))
                .or_else(|e| match hint {
                    Some(_) => contacts.find(key, &p.system, None),
                    None => Err(e),
                })
                .map_err(|m| err(column, m))?;
            let kind_cell = cell(F::Kind).unwrap_or_default();
            let kind_text = mapped(&mapping.kinds, kind_cell);
            let kind = EventKind::parse(kind_text).ok_or_else(|| {
                let all: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
                err(
                    F::Kind,
                    format!("'{kind_cell}' is not an event ({}); a mapping's [kinds] can say which it is", all.join(", ")),
                )
            })?;
            let at_text = cell(F::At).unwrap_or_default();
            let at = p.dates.read(at_text).map_err(|m| err(F::At, m))?;
            not_in_future(at, now).map_err(|m| err(F::At, m))?;
            let person = |f: F| -> Result<Option<String>, RowError> {
                match cell(f) {
                    None => Ok(None),
                    Some(who) => owners
                        .resolve(who)
                        .map(Some)
                        .ok_or_else(|| err(f, format!("'{who}' is not on the team; add them (playbook members add or members import) first"))),
                }
            };
            let actor = person(F::Actor)?;
            let assignee = person(F::Assignee)?;
            let reason = cell(F::Reason).map(|r| mapped(&mapping.reasons, r).to_string());
            let channel = cell(F::Channel)
                .map(str::to_string)
                .or_else(|| {
                    let c = mapped(&mapping.channels, kind_cell);
                    (c != kind_cell).then(|| c.to_string())
                });
            let external = match cell(F::Id) {
                Some(id) => format!("{}:{id}", p.system),
                None => fingerprint(&[
                    &contact,
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
                    .map_err(|e| err(F::Id, e.to_string()))?;
            if known.is_some() {
                return Ok(None);
            }
            // A contact imported from a contacts file already has its `created` event.
            if kind == EventKind::Created {
                let has: Option<String> = sqlx::query_scalar(
                    "SELECT id FROM handoff_events WHERE contact_id = ? LIMIT 1",
                )
                .bind(&contact)
                .fetch_optional(&mut *conn)
                .await
                .map_err(|e| err(F::Kind, e.to_string()))?;
                if has.is_some() {
                    return Ok(None);
                }
            }
            let req = EventRequest {
                kind,
                reason,
                channel,
                note: cell(F::Note).unwrap_or_default().to_string(),
                assignee_id: assignee,
            };
            let mut sp = conn
                .begin()
                .await
                .map_err(|e| err(F::Kind, e.to_string()))?;
            let author = Author::Bulk {
                bulk_id: &bulk_id,
                actor_id: actor,
                external_id: Some(external),
            };
            match handoffs::record(&mut sp, &ledger, &contact, &req, author, at, now).await {
                Ok(written) => {
                    sp.commit().await.map_err(|e| err(F::Kind, e.to_string()))?;
                    Ok(written.hash)
                }
                Err(e) => {
                    let col = match e.field.as_deref() {
                        Some("reason") => F::Reason,
                        Some("channel") if p.columns.has(F::Channel) => F::Channel,
                        Some("at") => F::At,
                        Some("actor") if p.columns.has(F::Actor) => F::Actor,
                        _ => F::Kind,
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
    summary.rejected += p.table.broken.len() as u32;
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
    mapping: &Mapping,
    mode: ImportMode,
    progress: &Progress<'_>,
    now: DateTime<Utc>,
    signer: &Signer,
) -> AppResult<ImportSummary> {
    use ActivityField as F;
    let p = prepare(
        &mut *conn,
        bytes,
        mapping,
        "activity",
        F::Contact,
        F::Kind,
        F::At,
    )
    .await?;
    let contact_header = norm(&p.columns.header(F::Contact));
    let bulk_id = new_id();
    let mut hashes = Vec::new();
    let contacts = ContactRefs::load(&mut *conn).await?;
    let known: HashSet<String> = sqlx::query_scalar::<_, String>(
        "SELECT external_id FROM activities WHERE external_id IS NOT NULL",
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .collect();
    let total = p.table.rows.len() as u32;
    let mut summary = summary_for(&p, "Activities", F::At);
    let mut rows = Vec::new();
    let mut touched = std::collections::BTreeSet::new();
    let mut seen = HashSet::new();
    let now_text = ts(now);
    for (n, (row, r)) in p.table.rows.iter().enumerate() {
        if n % 20_000 == 0 {
            progress.check(n as u32 / 2, total)?;
        }
        let cell = |f: F| p.columns.get(f).and_then(|i| r.get(i)).and_then(clean);
        let err = |f: F, message: String| RowError {
            row: *row,
            column: p.columns.header(f),
            message,
        };
        let parsed = (|| {
            let (key, record_type, related) = person(
                cell(F::Contact),
                cell(F::Related),
                cell(F::ContactType),
                mapping,
            )
            .map_err(|m| err(F::Contact, m))?;
            let column = if related { F::Related } else { F::Contact };
            // A column named for contacts ("Contact Name.id") means a contact record when
            // the id alone is ambiguous.
            let hint = (!related && record_type.is_none() && contact_header.starts_with("contact"))
                .then_some("contact");
            let contact = contacts
                .find(key, &p.system, record_type.as_deref().or(hint))
                .or_else(|e| match hint {
                    Some(_) => contacts.find(key, &p.system, None),
                    None => Err(e),
                })
                .map_err(|m| err(column, m))?;
            let kind_cell = cell(F::Kind).unwrap_or_default();
            let kind = ActivityKind::parse(mapped(&mapping.kinds, kind_cell)).ok_or_else(|| {
                let all: Vec<&str> = ActivityKind::ALL.iter().map(|k| k.as_str()).collect();
                err(
                    F::Kind,
                    format!("'{kind_cell}' is not an activity ({}); a mapping's [kinds] can say which it is", all.join(", ")),
                )
            })?;
            let at_text = cell(F::At).unwrap_or_default();
            let at = p.dates.read(at_text).map_err(|m| err(F::At, m))?;
            not_in_future(at, now).map_err(|m| err(F::At, m))?;
            let detail = cell(F::Detail).unwrap_or_default().to_string();
            let external = match cell(F::Id) {
                Some(id) => format!("{}:{id}", p.system),
                None => fingerprint(&[&contact, kind.as_str(), &ts(at), &detail]),
            };
            Ok((contact, kind, ts(at), detail, external))
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
    summary.rejected += p.table.broken.len() as u32;
    summary.created = rows.len() as u32;
    let summary = finish(summary, mode)?;
    if !summary.written {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_related_record_stands_for_the_contact_only_when_it_is_a_person() {
        let m = Mapping::default();
        assert_eq!(
            person(Some("c1"), Some("r1"), Some("Accounts"), &m),
            Ok(("c1", None, false))
        );
        assert_eq!(
            person(None, Some("L-1"), Some("Leads"), &m),
            Ok(("L-1", Some("lead".to_string()), true))
        );
        let e = person(None, Some("D-7"), Some("Potentials"), &m).unwrap_err();
        assert!(e.contains("a deal") && e.contains("not a person"), "{e}");
        assert_eq!(
            person(None, None, None, &m).unwrap_err(),
            "no contact given"
        );
    }
}

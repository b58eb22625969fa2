//! Writing a contacts import: a planner thread cleans, matches and prepares the rows (ids,
//! accounts, scores) while the connection's thread writes them through prepared inserts,
//! so the two halves of the work overlap. Everything lands in the caller's transaction.
use std::collections::BTreeSet;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use chrono::{DateTime, Utc};
// Keys here are the file's own ids and emails, hashed 100k times per import: FxHash, not
// SipHash (nothing here is exposed to a network peer).
use rustc_hash::FxHashMap as HashMap;

use super::contacts::{Cleaner, Record};
use super::csv_table::Rows;
use super::{Progress, RowError};
use crate::agreements::{AgreementBody, AgreementKind, ScoringBody};
use crate::bulk::{Bulk, Cell};
use crate::db::{new_id, ts, Conn};
use crate::error::AppResult;
use crate::handoffs::playbook_at::PlaybookHistory;
use crate::handoffs::records::EventRecord;
use crate::handoffs::EventKind;
use crate::scoring::{explain, Profile};

const ACCOUNT_COLUMNS: [&str; 8] = [
    "id",
    "name",
    "domain",
    "industry",
    "employees",
    "country",
    "created_at",
    "updated_at",
];

const CONTACT_COLUMNS: [&str; 28] = [
    "id",
    "external_id",
    "account_id",
    "email",
    "first_name",
    "last_name",
    "title",
    "phone",
    "country",
    "owner_id",
    "source_channel",
    "source_campaign",
    "budget_known",
    "budget_note",
    "authority_known",
    "authority_note",
    "need_known",
    "need_note",
    "timeline_known",
    "timeline_note",
    "buying_role",
    "buying_stage",
    "stage",
    "stage_since",
    "score",
    "import_hash",
    "created_at",
    "updated_at",
];

/// No `hash`: a bulk row's hash is its content's (see `EventRecord::chain_hash`).
const EVENT_COLUMNS: [&str; 9] = [
    "id",
    "contact_id",
    "kind",
    "at",
    "to_stage",
    "note",
    "playbook",
    "recorded_at",
    "bulk_id",
];

/// The note on the `created` event of an imported contact.
const CREATED_NOTE: &str = "Imported";

/// Rows per message from the planner to the writer.
const BATCH: u32 = 1000;

/// A stored contact's id, external id, lower-case email and import fingerprint.
type StoredKeys = (String, Option<String>, Option<String>, Option<String>);

/// What is already stored that the rows are matched against.
pub struct Stored {
    /// Live contacts: id and import fingerprint, found by external id or lower-case email.
    contacts: Vec<(String, Option<String>)>,
    by_ext: HashMap<String, usize>,
    by_email: HashMap<String, usize>,
    /// Live accounts by lower-case name.
    accounts: HashMap<String, String>,
}

impl Stored {
    pub async fn load(conn: &mut Conn) -> AppResult<Stored> {
        let rows: Vec<StoredKeys> = sqlx::query_as(
            "SELECT id, external_id, lower(email), import_hash FROM contacts WHERE deleted_at IS NULL",
        )
        .fetch_all(&mut *conn)
        .await?;
        let mut s = Stored {
            contacts: Vec::with_capacity(rows.len()),
            by_ext: HashMap::with_capacity_and_hasher(rows.len(), Default::default()),
            by_email: HashMap::with_capacity_and_hasher(rows.len(), Default::default()),
            accounts: HashMap::default(),
        };
        for (i, (id, ext, email, hash)) in rows.into_iter().enumerate() {
            if let Some(e) = ext {
                s.by_ext.insert(e, i);
            }
            if let Some(e) = email {
                s.by_email.entry(e).or_insert(i);
            }
            s.contacts.push((id, hash));
        }
        s.accounts =
            sqlx::query_as("SELECT lower(name), id FROM accounts WHERE deleted_at IS NULL")
                .fetch_all(&mut *conn)
                .await?
                .into_iter()
                .collect();
        Ok(s)
    }
}

/// How the planner treats the rows.
pub struct Plan<'a> {
    pub cleaner: Cleaner<'a>,
    pub pb: &'a PlaybookHistory,
    pub stored: Stored,
    /// Whether to prepare writes at all (not for a dry run).
    pub write: bool,
    /// All or nothing: after the first rejected row nothing more needs writing.
    pub all_or_nothing: bool,
    pub now: DateTime<Utc>,
    /// The bulk record whose signature will cover the rows written.
    pub bulk_id: &'a str,
}

/// What planning every row gave, beside the writes.
#[derive(Default)]
pub struct Planned {
    /// Rows read (blank rows are not counted).
    pub rows_read: u32,
    pub created: u32,
    pub unchanged: u32,
    /// Stored contacts to update: id, what the file says now, its fingerprint, its account.
    pub updates: Vec<Update>,
    pub errors: Vec<RowError>,
    pub rejected: BTreeSet<u32>,
    pub unmapped: BTreeSet<String>,
    pub unmatched: BTreeSet<String>,
    /// Hashes of the `created` events written, for the bulk record's signature.
    pub event_hashes: Vec<String>,
}

pub struct Update {
    pub id: String,
    pub rec: Record,
    pub fingerprint: String,
    pub account_id: Option<String>,
}

struct NewAccount {
    id: String,
    name: String,
    domain: Option<String>,
    industry: Option<String>,
    employees: Option<i64>,
    country: Option<String>,
}

struct NewContact {
    id: String,
    event_id: String,
    account_id: Option<String>,
    rec: Record,
    fingerprint: String,
    /// When it was created (from the file, else now), as stored.
    at: String,
    score: i64,
    /// The stage definition in force then.
    stage_ref: String,
    /// The hash of its `created` event.
    event_hash: String,
}

/// One message to the writer: accounts first (contacts refer to them), then contacts.
#[derive(Default)]
struct Batch {
    rows_done: u32,
    accounts: Vec<NewAccount>,
    contacts: Vec<NewContact>,
}

/// Plans `rows` on another thread and writes what it prepares on this one. Returns what
/// the rows gave; an error (a write refused, or the user cancelling) stops both.
pub fn run(
    bulk: &Bulk<'_>,
    plan: Plan<'_>,
    rows: Rows<'_>,
    progress: &Progress<'_>,
    total: u32,
) -> AppResult<Planned> {
    let now_text = ts(plan.now);
    let bulk_id = plan.bulk_id.to_string();
    let (sender, receiver) = sync_channel::<Batch>(4);
    std::thread::scope(|scope| {
        let planner = scope.spawn(move || plan.rows(rows, &sender));
        let written = write(bulk, &receiver, &now_text, &bulk_id, progress, total);
        // Dropping the receiver stops a planner still sending after a failed write.
        drop(receiver);
        let planned = planner
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        written.map(|()| planned)
    })
}

fn write(
    bulk: &Bulk<'_>,
    batches: &Receiver<Batch>,
    now: &str,
    bulk_id: &str,
    progress: &Progress<'_>,
    total: u32,
) -> AppResult<()> {
    let mut accounts = bulk.inserter("accounts", &ACCOUNT_COLUMNS)?;
    let mut contacts = bulk.inserter("contacts", &CONTACT_COLUMNS)?;
    let mut events = bulk.inserter("handoff_events", &EVENT_COLUMNS)?;
    progress.check(0, total)?;
    for batch in batches {
        for a in &batch.accounts {
            accounts.row(&[
                Cell::Text(&a.id),
                Cell::Text(&a.name),
                a.domain.as_deref().into(),
                a.industry.as_deref().into(),
                a.employees.into(),
                a.country.as_deref().into(),
                Cell::Text(now),
                Cell::Text(now),
            ])?;
        }
        for c in &batch.contacts {
            let rec = &c.rec;
            let bant = |i: usize| {
                rec.bant[i]
                    .as_ref()
                    .map_or((0, ""), |(known, note)| (i64::from(*known), note.as_str()))
            };
            let (b, a, n, t) = (bant(0), bant(1), bant(2), bant(3));
            contacts.row(&[
                Cell::Text(&c.id),
                rec.external_id.as_deref().into(),
                c.account_id.as_deref().into(),
                rec.email.as_deref().into(),
                Cell::or_empty(&rec.first_name),
                Cell::or_empty(&rec.last_name),
                Cell::or_empty(&rec.title),
                Cell::or_empty(&rec.phone),
                Cell::or_empty(&rec.country),
                rec.owner_id.as_deref().into(),
                Cell::or_empty(&rec.source_channel),
                Cell::or_empty(&rec.source_campaign),
                Cell::Int(b.0),
                Cell::Text(b.1),
                Cell::Int(a.0),
                Cell::Text(a.1),
                Cell::Int(n.0),
                Cell::Text(n.1),
                Cell::Int(t.0),
                Cell::Text(t.1),
                rec.buying_role.map(|r| r.as_str()).into(),
                rec.buying_stage.map(|s| s.as_str()).into(),
                Cell::Text(&rec.stage),
                Cell::Text(&c.at),
                Cell::Int(c.score),
                Cell::Text(&c.fingerprint),
                Cell::Text(&c.at),
                Cell::Text(now),
            ])?;
            events.row(&[
                Cell::Text(&c.event_id),
                Cell::Text(&c.id),
                Cell::Text("created"),
                Cell::Text(&c.at),
                Cell::Text(&rec.stage),
                Cell::Text(CREATED_NOTE),
                Cell::Text(&c.stage_ref),
                Cell::Text(now),
                Cell::Text(bulk_id),
            ])?;
        }
        progress.check(batch.rows_done, total)?;
    }
    Ok(())
}

impl Plan<'_> {
    /// Cleans, matches and prepares every row in order, sending writes in batches.
    fn rows(mut self, mut rows: Rows<'_>, sender: &SyncSender<Batch>) -> Planned {
        let scoring = self.pb.scoring_at(self.now).and_then(|v| match &v.body {
            AgreementBody::Scoring(m) => Some((m.clone(), v.reference())),
            _ => None,
        });
        let mut out = Planned::default();
        let mut seen_ext: HashMap<String, u32> = HashMap::default();
        let mut seen_email: HashMap<String, u32> = HashMap::default();
        let mut batch = Batch::default();
        while let Some((row, record)) = rows.next_row() {
            if out.rows_read > 0 && out.rows_read % BATCH == 0 {
                batch.rows_done = row;
                if sender.send(std::mem::take(&mut batch)).is_err() {
                    return out;
                }
            }
            out.rows_read += 1;
            let record = match record {
                Ok(r) => r,
                Err(message) => {
                    out.errors.push(RowError {
                        row,
                        column: String::new(),
                        message,
                    });
                    out.rejected.insert(row);
                    continue;
                }
            };
            let Some(rec) = self.cleaner.clean_row(row, record, &mut out) else {
                continue;
            };
            let first = rec
                .external_id
                .as_ref()
                .and_then(|e| seen_ext.get(e))
                .or_else(|| rec.email.as_ref().and_then(|e| seen_email.get(e)));
            if let Some(first) = first {
                let (column, value) = match &rec.external_id {
                    Some(e) => (self.cleaner.external_id_header(), e.clone()),
                    None => (
                        self.cleaner.email_header(),
                        rec.email.clone().unwrap_or_default(),
                    ),
                };
                out.errors.push(RowError {
                    row: rec.row,
                    column,
                    message: format!("'{value}' appears again: a duplicate of row {first}"),
                });
                out.rejected.insert(rec.row);
                continue;
            }
            if let Some(e) = &rec.external_id {
                seen_ext.insert(e.clone(), rec.row);
            }
            if let Some(e) = &rec.email {
                seen_email.insert(e.clone(), rec.row);
            }
            let found = rec
                .external_id
                .as_ref()
                .and_then(|e| self.stored.by_ext.get(e))
                .or_else(|| rec.email.as_ref().and_then(|e| self.stored.by_email.get(e)))
                .copied();
            let fingerprint = rec.fingerprint();
            match found {
                Some(i) if self.stored.contacts[i].1.as_deref() == Some(fingerprint.as_str()) => {
                    out.unchanged += 1;
                }
                Some(i) => {
                    let account_id = if self.writing(&out) {
                        self.account_for(&rec, &mut batch.accounts)
                    } else {
                        None
                    };
                    out.updates.push(Update {
                        id: self.stored.contacts[i].0.clone(),
                        rec,
                        fingerprint,
                        account_id,
                    });
                }
                None => {
                    out.created += 1;
                    if self.writing(&out) {
                        let score = scoring.as_ref().map_or(0, |(model, reference)| {
                            fit(model, reference, &rec, self.now)
                        });
                        let contact = self.prepare(rec, fingerprint, score, &mut batch.accounts);
                        out.event_hashes.push(contact.event_hash.clone());
                        batch.contacts.push(contact);
                    }
                }
            }
        }
        batch.rows_done = out.rows_read.max(batch.rows_done);
        let _ = sender.send(batch);
        out
    }

    /// Whether what is planned now will be written: not for a dry run, and not once an
    /// all-or-nothing import has a rejected row.
    fn writing(&self, out: &Planned) -> bool {
        self.write && (!self.all_or_nothing || out.rejected.is_empty())
    }

    /// The account a row's company names: a stored one by name, else a new one (once).
    fn account_for(&mut self, rec: &Record, new_accounts: &mut Vec<NewAccount>) -> Option<String> {
        rec.company.as_ref().map(|name| {
            let key = name.to_lowercase();
            if let Some(id) = self.stored.accounts.get(&key) {
                return id.clone();
            }
            let id = crate::leads::account_id_for(name);
            new_accounts.push(NewAccount {
                id: id.clone(),
                name: name.clone(),
                domain: rec.domain.clone(),
                industry: rec.industry.clone(),
                employees: rec.employees,
                country: rec.country.clone(),
            });
            self.stored.accounts.insert(key, id.clone());
            id
        })
    }

    fn prepare(
        &mut self,
        rec: Record,
        fingerprint: String,
        score: i64,
        new_accounts: &mut Vec<NewAccount>,
    ) -> NewContact {
        let account_id = self.account_for(&rec, new_accounts);
        let created = rec.created_at.unwrap_or(self.now);
        let stage_ref = self
            .pb
            .at(AgreementKind::Stage, &rec.stage, created)
            .map(|v| v.reference())
            .unwrap_or_default();
        let (id, event_id, at) = (new_id(), new_id(), ts(created));
        let event_hash = EventRecord {
            id: event_id.clone(),
            contact_id: id.clone(),
            kind: EventKind::Created.as_str().to_string(),
            at: at.clone(),
            actor_id: None,
            assignee_id: None,
            to_stage: rec.stage.clone(),
            reason: None,
            channel: None,
            note: CREATED_NOTE.to_string(),
            external_id: None,
            prev_hash: None,
            hash: None,
            signature: None,
            bulk_id: Some(self.bulk_id.to_string()),
        }
        .computed_hash();
        NewContact {
            id,
            event_id,
            account_id,
            at,
            score,
            stage_ref,
            rec,
            fingerprint,
            event_hash,
        }
    }
}

/// The fit part of the score a new contact starts with (it has no activity yet).
fn fit(model: &ScoringBody, reference: &str, rec: &Record, now: DateTime<Utc>) -> i64 {
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let p = Profile {
        title: text(&rec.title),
        industry: text(&rec.industry),
        employees: rec.employees,
        country: text(&rec.country),
        source_channel: text(&rec.source_channel),
        buying_role: rec
            .buying_role
            .map(|r| r.as_str().to_string())
            .unwrap_or_default(),
        email: text(&rec.email),
        bant: rec.bant.clone().map(|b| b.is_some_and(|(known, _)| known)),
    };
    i64::from(explain(model, reference, &p, &[], now).total)
}

/// Updates stored contacts with what the file says now (a value the file leaves empty keeps
/// what is stored; the stage never moves), then refreshes their scores.
pub async fn update(
    conn: &mut Conn,
    pb: &PlaybookHistory,
    updates: Vec<Update>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let now_text = ts(now);
    for Update {
        id,
        rec,
        fingerprint,
        account_id,
    } in &updates
    {
        let bant = |i: usize| rec.bant[i].clone();
        sqlx::query(
            "UPDATE contacts SET external_id = coalesce(?, external_id), email = coalesce(?, email),
                first_name = coalesce(?, first_name), last_name = coalesce(?, last_name), title = coalesce(?, title),
                phone = coalesce(?, phone), country = coalesce(?, country), account_id = coalesce(?, account_id),
                owner_id = coalesce(?, owner_id), source_channel = coalesce(?, source_channel),
                source_campaign = coalesce(?, source_campaign),
                budget_known = coalesce(?, budget_known), budget_note = coalesce(?, budget_note),
                authority_known = coalesce(?, authority_known), authority_note = coalesce(?, authority_note),
                need_known = coalesce(?, need_known), need_note = coalesce(?, need_note),
                timeline_known = coalesce(?, timeline_known), timeline_note = coalesce(?, timeline_note),
                buying_role = coalesce(?, buying_role), buying_stage = coalesce(?, buying_stage),
                import_hash = ?, updated_at = ?
             WHERE id = ?",
        )
        .bind(&rec.external_id)
        .bind(&rec.email)
        .bind(&rec.first_name)
        .bind(&rec.last_name)
        .bind(&rec.title)
        .bind(&rec.phone)
        .bind(&rec.country)
        .bind(account_id.as_deref())
        .bind(&rec.owner_id)
        .bind(&rec.source_channel)
        .bind(&rec.source_campaign)
        .bind(bant(0).map(|b| b.0))
        .bind(bant(0).map(|b| b.1))
        .bind(bant(1).map(|b| b.0))
        .bind(bant(1).map(|b| b.1))
        .bind(bant(2).map(|b| b.0))
        .bind(bant(2).map(|b| b.1))
        .bind(bant(3).map(|b| b.0))
        .bind(bant(3).map(|b| b.1))
        .bind(rec.buying_role.map(|r| r.as_str()))
        .bind(rec.buying_stage.map(|s| s.as_str()))
        .bind(fingerprint)
        .bind(&now_text)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    }
    let changed: Vec<String> = updates.into_iter().map(|u| u.id).collect();
    crate::leads::scores::refresh(conn, pb, &changed, now).await
}

//! Writing a contacts import: a planner thread cleans, identifies (`identity`) and prepares
//! the rows (ids, accounts, scores, updates) while the connection's thread writes them
//! through prepared statements, so the two halves of the work overlap. Everything lands in
//! the caller's transaction.
use std::collections::{BTreeMap, BTreeSet};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use chrono::{DateTime, Utc};
// Keys here are the file's own ids and emails, hashed 100k times per import: FxHash, not
// SipHash (nothing here is exposed to a network peer).
use rustc_hash::FxHashMap as HashMap;

use super::contacts::{Cleaner, Record};
use super::csv_table::Rows;
use super::dialects::Source;
use super::fields::ContactField;
use super::identity::{Decision, Identities};
use super::{Conflict, OnConflict, PossibleDuplicate, Progress, RowError, StatusDiffers};
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

const CONTACT_COLUMNS: [&str; 31] = [
    "id",
    "external_id",
    "account_id",
    "account_ref",
    "email",
    "salutation",
    "first_name",
    "last_name",
    "title",
    "phone",
    "country",
    "owner_id",
    "owner_ref",
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

const CONTACT_KEY_COLUMNS: [&str; 6] = [
    "system",
    "record_type",
    "external_id",
    "contact_id",
    "import_hash",
    "created_at",
];

const UPDATE_KEY: &str = "UPDATE contact_keys SET import_hash = ?1
    WHERE system = ?2 AND record_type = ?3 AND external_id = ?4";

const ACCOUNT_KEY_COLUMNS: [&str; 4] = ["system", "external_id", "account_id", "created_at"];

/// What the file says now, over what is stored: a value the file leaves empty keeps what
/// is stored; an owner the file names replaces the stored one (even one not yet on the
/// team); the stage never moves (the log owns it).
const UPDATE_CONTACT: &str = "UPDATE contacts SET
    external_id = coalesce(external_id, ?1), email = coalesce(?2, email),
    salutation = coalesce(?3, salutation), first_name = coalesce(?4, first_name),
    last_name = coalesce(?5, last_name), title = coalesce(?6, title), phone = coalesce(?7, phone),
    country = coalesce(?8, country), account_id = coalesce(?9, account_id),
    account_ref = coalesce(?10, account_ref),
    owner_id = CASE WHEN ?11 IS NULL THEN owner_id ELSE ?12 END, owner_ref = coalesce(?11, owner_ref),
    source_channel = coalesce(?13, source_channel), source_campaign = coalesce(?14, source_campaign),
    budget_known = coalesce(?15, budget_known), budget_note = coalesce(?16, budget_note),
    authority_known = coalesce(?17, authority_known), authority_note = coalesce(?18, authority_note),
    need_known = coalesce(?19, need_known), need_note = coalesce(?20, need_note),
    timeline_known = coalesce(?21, timeline_known), timeline_note = coalesce(?22, timeline_note),
    buying_role = coalesce(?23, buying_role), buying_stage = coalesce(?24, buying_stage),
    import_hash = ?25, updated_at = ?26
  WHERE id = ?27";

const UPDATE_ACCOUNT: &str = "UPDATE accounts SET domain = ?1, industry = ?2, employees = ?3,
    country = ?4, updated_at = ?5 WHERE id = ?6";

/// The note on the `created` event of an imported contact.
const CREATED_NOTE: &str = "Imported";

/// Rows per message from the planner to the writer.
const BATCH: u32 = 1000;

/// An account as the import knows it: what it holds now, and whether the file changed it.
struct AccountState {
    id: String,
    domain: Option<String>,
    industry: Option<String>,
    employees: Option<i64>,
    country: Option<String>,
    stored: bool,
    dirty: bool,
}

type AccountRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
);

/// What is already stored that the rows are matched against.
pub struct Stored {
    ids: Identities,
    /// This import's (system, record type).
    source: u16,
    system: String,
    record_type: String,
    /// Live accounts by lower-case name.
    accounts: HashMap<String, AccountState>,
    /// Accounts by their id in this system (`system:id`).
    account_keys: HashMap<String, String>,
}

impl Stored {
    pub async fn load(conn: &mut Conn, source: &Source) -> AppResult<Stored> {
        let rows: Vec<(String, Option<String>, Option<String>, String)> = sqlx::query_as(
            "SELECT id, lower(email), import_hash, stage FROM contacts WHERE deleted_at IS NULL",
        )
        .fetch_all(&mut *conn)
        .await?;
        let mut ids = Identities::default();
        let this = ids.source(&source.system, &source.record_type);
        let mut index: HashMap<String, usize> =
            HashMap::with_capacity_and_hasher(rows.len(), Default::default());
        for (id, email, hash, stage) in rows {
            let i = ids.add(id.clone(), email, hash, stage);
            index.insert(id, i);
        }
        let keys: Vec<(String, String, String, String, Option<String>)> = sqlx::query_as(
            "SELECT system, record_type, external_id, contact_id, import_hash FROM contact_keys",
        )
        .fetch_all(&mut *conn)
        .await?;
        for (system, record_type, ext, contact, hash) in keys {
            if let Some(&i) = index.get(&contact) {
                let s = ids.source(&system, &record_type);
                ids.add_key(i, s, &ext, hash);
            }
        }
        let accounts: Vec<AccountRow> = sqlx::query_as(
            "SELECT lower(name), id, domain, industry, employees, country FROM accounts WHERE deleted_at IS NULL",
        )
        .fetch_all(&mut *conn)
        .await?;
        let accounts = accounts
            .into_iter()
            .map(|(name, id, domain, industry, employees, country)| {
                (
                    name,
                    AccountState {
                        id,
                        domain,
                        industry,
                        employees,
                        country,
                        stored: true,
                        dirty: false,
                    },
                )
            })
            .collect();
        let account_keys = sqlx::query_as::<_, (String, String)>(
            "SELECT system || ':' || external_id, account_id FROM account_keys WHERE system = ?",
        )
        .bind(&source.system)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .collect();
        Ok(Stored {
            ids,
            source: this,
            system: source.system.clone(),
            record_type: source.record_type.clone(),
            accounts,
            account_keys,
        })
    }
}

/// How the planner treats the rows.
pub struct Plan<'a> {
    pub cleaner: &'a Cleaner<'a>,
    pub pb: &'a PlaybookHistory,
    pub stored: Stored,
    /// Whether to prepare writes at all (not for a dry run).
    pub write: bool,
    /// All or nothing: after the first rejected row nothing more needs writing.
    pub all_or_nothing: bool,
    pub on_conflict: OnConflict,
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
    pub updated: u32,
    pub unchanged: u32,
    pub linked: u32,
    pub errors: Vec<RowError>,
    pub rejected: BTreeSet<u32>,
    pub unmapped: BTreeSet<String>,
    pub unmatched: BTreeSet<String>,
    pub conflicts: Vec<Conflict>,
    pub duplicates: Vec<PossibleDuplicate>,
    pub status_differs: Vec<StatusDiffers>,
    pub accounts_created: u32,
    pub accounts_updated: u32,
    /// Row notes that stop nothing (a time the clock change skipped, say).
    pub warnings: Vec<String>,
    /// Hashes of the `created` events written, for the bulk record's signature.
    pub event_hashes: Vec<String>,
    /// Stored contacts whose profile changed: their scores are refreshed.
    pub rescore: Vec<String>,
    /// Accounts whose firmographics changed (their contacts' fit may have changed too).
    pub accounts_changed: Vec<String>,
}

struct Update {
    id: String,
    rec: Record,
    fingerprint: String,
    account_id: Option<String>,
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
    stage: String,
    fingerprint: String,
    /// When it was created (from the file, else now), as stored.
    at: String,
    score: i64,
    /// The stage definition in force then.
    stage_ref: String,
}

/// One message to the writer, written in this order: accounts, contacts (they refer to
/// accounts), keys, updates.
#[derive(Default)]
struct Batch {
    rows_done: u32,
    accounts: Vec<NewAccount>,
    account_keys: Vec<(String, String)>,
    contacts: Vec<NewContact>,
    /// (contact id, external id, fingerprint) of ids given to contacts.
    keys: Vec<(String, String, String)>,
    updates: Vec<Update>,
    /// Accounts whose firmographics the file changed: (id, domain, industry, employees, country).
    account_updates: Vec<AccountRow>,
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
    let keys = (plan.stored.system.clone(), plan.stored.record_type.clone());
    let (sender, receiver) = sync_channel::<Batch>(4);
    std::thread::scope(|scope| {
        let planner = scope.spawn(move || plan.rows(rows, &sender));
        let written = write(bulk, &receiver, &now_text, &bulk_id, &keys, progress, total);
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
    (system, record_type): &(String, String),
    progress: &Progress<'_>,
    total: u32,
) -> AppResult<()> {
    let mut accounts = bulk.inserter("accounts", &ACCOUNT_COLUMNS)?;
    let mut contacts = bulk.inserter("contacts", &CONTACT_COLUMNS)?;
    let mut events = bulk.inserter("handoff_events", &EVENT_COLUMNS)?;
    let mut contact_keys = bulk.inserter("contact_keys", &CONTACT_KEY_COLUMNS)?;
    let mut account_keys = bulk.inserter("account_keys", &ACCOUNT_KEY_COLUMNS)?;
    let mut updates = bulk.statement("contacts", UPDATE_CONTACT, 27)?;
    let mut account_updates = bulk.statement("accounts", UPDATE_ACCOUNT, 6)?;
    let mut key_updates = bulk.statement("contact_keys", UPDATE_KEY, 4)?;
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
        for (key, id) in &batch.account_keys {
            let ext = key.split_once(':').map_or(key.as_str(), |(_, e)| e);
            account_keys.row(&[
                Cell::Text(system),
                Cell::Text(ext),
                Cell::Text(id),
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
                rec.account_ref.as_deref().into(),
                rec.email.as_deref().into(),
                Cell::or_empty(&rec.salutation),
                Cell::or_empty(&rec.first_name),
                Cell::or_empty(&rec.last_name),
                Cell::or_empty(&rec.title),
                Cell::or_empty(&rec.phone),
                Cell::or_empty(&rec.country),
                rec.owner_id.as_deref().into(),
                rec.owner_ref.as_deref().into(),
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
                Cell::Text(&c.stage),
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
                Cell::Text(&c.stage),
                Cell::Text(CREATED_NOTE),
                Cell::Text(&c.stage_ref),
                Cell::Text(now),
                Cell::Text(bulk_id),
            ])?;
        }
        for (contact, ext, fingerprint) in &batch.keys {
            contact_keys.row(&[
                Cell::Text(system),
                Cell::Text(record_type),
                Cell::Text(ext),
                Cell::Text(contact),
                Cell::Text(fingerprint),
                Cell::Text(now),
            ])?;
        }
        for u in &batch.updates {
            let rec = &u.rec;
            let bant = |i: usize| {
                rec.bant[i]
                    .as_ref()
                    .map(|(k, n)| (i64::from(*k), n.as_str()))
            };
            let (b, a, n, t) = (bant(0), bant(1), bant(2), bant(3));
            updates.row(&[
                rec.external_id.as_deref().into(),
                rec.email.as_deref().into(),
                rec.salutation.as_deref().into(),
                rec.first_name.as_deref().into(),
                rec.last_name.as_deref().into(),
                rec.title.as_deref().into(),
                rec.phone.as_deref().into(),
                rec.country.as_deref().into(),
                u.account_id.as_deref().into(),
                rec.account_ref.as_deref().into(),
                rec.owner_ref.as_deref().into(),
                rec.owner_id.as_deref().into(),
                rec.source_channel.as_deref().into(),
                rec.source_campaign.as_deref().into(),
                known(b),
                note(b),
                known(a),
                note(a),
                known(n),
                note(n),
                known(t),
                note(t),
                rec.buying_role.map(|r| r.as_str()).into(),
                rec.buying_stage.map(|s| s.as_str()).into(),
                Cell::Text(&u.fingerprint),
                Cell::Text(now),
                Cell::Text(&u.id),
            ])?;
            if let Some(ext) = &rec.external_id {
                key_updates.row(&[
                    Cell::Text(&u.fingerprint),
                    Cell::Text(system),
                    Cell::Text(record_type),
                    Cell::Text(ext),
                ])?;
            }
        }
        for (id, _, domain, industry, employees, country) in &batch.account_updates {
            account_updates.row(&[
                domain.as_deref().into(),
                industry.as_deref().into(),
                (*employees).into(),
                country.as_deref().into(),
                Cell::Text(now),
                Cell::Text(id),
            ])?;
        }
        progress.check(batch.rows_done, total)?;
    }
    Ok(())
}

fn known(v: Option<(i64, &str)>) -> Cell<'_> {
    v.map(|v| v.0).into()
}

fn note(v: Option<(i64, &str)>) -> Cell<'_> {
    v.map(|v| v.1).into()
}

impl Plan<'_> {
    /// Cleans, identifies and prepares every row in order, sending writes in batches.
    fn rows(mut self, mut rows: Rows<'_>, sender: &SyncSender<Batch>) -> Planned {
        let scoring = self.pb.scoring_at(self.now).and_then(|v| match &v.body {
            AgreementBody::Scoring(m) => Some((m.clone(), v.reference())),
            _ => None,
        });
        let mut out = Planned::default();
        let mut seen_id: HashMap<String, u32> = HashMap::default();
        let mut seen_email: HashMap<String, u32> = HashMap::default();
        // The row that created or matched each contact, for duplicate groups.
        let mut row_of: HashMap<usize, u32> = HashMap::default();
        let mut duplicates: BTreeMap<String, BTreeSet<u32>> = BTreeMap::new();
        let mut updated: BTreeSet<usize> = BTreeSet::new();
        let mut batch = Batch::default();
        let id_header = self.cleaner.header(ContactField::ExternalId);
        let email_header = self.cleaner.header(ContactField::Email);
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
            // The same record twice in one file.
            let again = match (&rec.external_id, &rec.email) {
                (Some(id), _) => seen_id
                    .get(id)
                    .map(|first| (id_header.clone(), id.clone(), *first)),
                (None, Some(e)) => seen_email
                    .get(e)
                    .map(|first| (email_header.clone(), e.clone(), *first)),
                (None, None) => None,
            };
            if let Some((column, value, first)) = again {
                out.errors.push(RowError {
                    row,
                    column,
                    message: format!("'{value}' appears again: a duplicate of row {first}"),
                });
                out.rejected.insert(row);
                continue;
            }
            match &rec.external_id {
                Some(id) => {
                    seen_id.insert(id.clone(), row);
                }
                None => {
                    if let Some(e) = &rec.email {
                        seen_email.insert(e.clone(), row);
                    }
                }
            }
            let source = self.stored.source;
            let mut decision =
                self.stored
                    .ids
                    .decide(source, rec.external_id.as_deref(), rec.email.as_deref());
            if let Decision::Conflict {
                by_id,
                by_email,
                why,
            } = &decision
            {
                let contact_ids: Vec<String> = [by_id, by_email]
                    .into_iter()
                    .flatten()
                    .map(|i| self.stored.ids.known(*i).id.clone())
                    .collect();
                let resolved = match (self.on_conflict, by_id, by_email) {
                    (OnConflict::PreferId, Some(k), _) => Some((Decision::Same(*k), "id")),
                    (OnConflict::PreferEmail, _, Some(e)) => Some((Decision::Same(*e), "email")),
                    (OnConflict::PreferEmail, Some(_), None) => Some((Decision::New, "email")),
                    _ => None,
                };
                out.conflicts.push(Conflict {
                    row,
                    columns: vec![id_header.clone(), email_header.clone()],
                    message: why.clone(),
                    contact_ids,
                    resolution: resolved.as_ref().map_or("reported", |r| r.1).to_string(),
                });
                match resolved {
                    Some((d, _)) => decision = d,
                    None => {
                        out.errors.push(RowError {
                            row,
                            column: id_header.clone(),
                            message: format!(
                                "conflict: {why}; nothing was written for this row (--on-conflict prefer-email or prefer-id says which to trust)"
                            ),
                        });
                        out.rejected.insert(row);
                        continue;
                    }
                }
            }
            let fingerprint = rec.fingerprint();
            match decision {
                Decision::New | Decision::NewDuplicate(_) => {
                    if let Decision::NewDuplicate(other) = decision {
                        let group = duplicates
                            .entry(rec.email.clone().unwrap_or_default())
                            .or_default();
                        group.insert(row);
                        if let Some(r) = row_of.get(&other) {
                            group.insert(*r);
                        }
                    }
                    out.created += 1;
                    // A key only when the id is free (a conflict resolved by email leaves
                    // the id with the contact that has it).
                    let key_free = rec.external_id.as_deref().is_some_and(|k| {
                        !matches!(
                            self.stored.ids.decide(source, Some(k), None),
                            Decision::Same(_)
                        )
                    });
                    let stage = rec.file_stage.clone().unwrap_or_else(|| self.first_stage());
                    let i = self.stored.ids.add(
                        String::new(),
                        rec.email.clone(),
                        Some(fingerprint.clone()),
                        stage.clone(),
                    );
                    row_of.insert(i, row);
                    if key_free {
                        if let Some(k) = &rec.external_id {
                            self.stored
                                .ids
                                .add_key(i, source, k, Some(fingerprint.clone()));
                        }
                    }
                    if self.writing(&out) {
                        let score = scoring.as_ref().map_or(0, |(model, reference)| {
                            fit(model, reference, &rec, self.now)
                        });
                        let contact =
                            self.prepare(rec, stage, fingerprint, score, &mut batch, &mut out);
                        if key_free {
                            if let Some(k) = &contact.rec.external_id {
                                batch.keys.push((
                                    contact.id.clone(),
                                    k.clone(),
                                    contact.fingerprint.clone(),
                                ));
                            }
                        }
                        out.event_hashes.push(event_hash(&contact, self.bulk_id));
                        self.stored.ids.contacts[i].id = contact.id.clone();
                        batch.contacts.push(contact);
                    }
                }
                Decision::Same(i) | Decision::Link(i) => {
                    row_of.insert(i, row);
                    let known = self.stored.ids.known(i);
                    if let (Some(status), Some(file_stage)) = (&rec.status, &rec.file_stage) {
                        if *file_stage != known.stage {
                            out.status_differs.push(StatusDiffers {
                                row,
                                contact_id: known.id.clone(),
                                status: status.clone(),
                                file_stage: file_stage.clone(),
                                stage: known.stage.clone(),
                            });
                        }
                    }
                    let link = matches!(decision, Decision::Link(_));
                    let unchanged =
                        self.stored
                            .ids
                            .fingerprint(i, source, rec.external_id.as_deref())
                            == Some(fingerprint.as_str());
                    let id = known.id.clone();
                    let email_changed = rec
                        .email
                        .as_ref()
                        .filter(|e| known.email.as_ref() != Some(*e))
                        .cloned();
                    if link {
                        out.linked += 1;
                        if let Some(k) = &rec.external_id {
                            self.stored.ids.add_key(i, source, k, None);
                            if self.writing(&out) {
                                batch.keys.push((id.clone(), k.clone(), String::new()));
                            }
                        }
                    }
                    if unchanged && !link {
                        out.unchanged += 1;
                        continue;
                    }
                    if updated.insert(i) {
                        out.updated += 1;
                    }
                    if let Some(e) = &email_changed {
                        self.stored.ids.set_email(i, e);
                    }
                    self.stored.ids.set_fingerprint(
                        i,
                        source,
                        rec.external_id.as_deref(),
                        fingerprint.clone(),
                    );
                    if self.writing(&out) {
                        let account_id = self.account_for(&rec, &mut batch, &mut out);
                        out.rescore.push(id.clone());
                        batch.updates.push(Update {
                            id,
                            rec,
                            fingerprint,
                            account_id,
                        });
                    }
                }
                Decision::Conflict { .. } => unreachable!("conflicts are resolved above"),
            }
        }
        if self.writing(&out) {
            batch.account_updates = self
                .stored
                .accounts
                .drain()
                .filter(|(_, a)| a.dirty)
                .map(|(name, a)| (a.id, name, a.domain, a.industry, a.employees, a.country))
                .collect();
            out.accounts_changed = batch.account_updates.iter().map(|a| a.0.clone()).collect();
        }
        out.duplicates = duplicates
            .into_iter()
            .map(|(email, rows)| PossibleDuplicate {
                email,
                rows: rows.into_iter().collect(),
            })
            .collect();
        batch.rows_done = out.rows_read.max(batch.rows_done);
        let _ = sender.send(batch);
        out
    }

    fn first_stage(&self) -> String {
        self.cleaner.first_stage().to_string()
    }

    /// Whether what is planned now will be written: not for a dry run, and not once an
    /// all-or-nothing import has a rejected row.
    fn writing(&self, out: &Planned) -> bool {
        self.write && (!self.all_or_nothing || out.rejected.is_empty())
    }

    /// The account a row names: by company name (created once, its firmographics following
    /// the newest row that gives each), else by the file's account id.
    fn account_for(
        &mut self,
        rec: &Record,
        batch: &mut Batch,
        out: &mut Planned,
    ) -> Option<String> {
        let Some(name) = &rec.company else {
            return rec
                .account_ref
                .as_ref()
                .and_then(|r| self.stored.account_keys.get(r).cloned());
        };
        let key = name.to_lowercase();
        let id = match self.stored.accounts.get_mut(&key) {
            Some(a) => {
                let before = a.dirty;
                let set = |slot: &mut Option<String>, v: &Option<String>| {
                    if v.is_some() && slot != v {
                        slot.clone_from(v);
                        true
                    } else {
                        false
                    }
                };
                let mut changed = set(&mut a.domain, &rec.domain);
                changed |= set(&mut a.industry, &rec.industry);
                changed |= set(&mut a.country, &rec.country);
                if rec.employees.is_some() && a.employees != rec.employees {
                    a.employees = rec.employees;
                    changed = true;
                }
                if changed {
                    a.dirty = true;
                    if a.stored && !before {
                        out.accounts_updated += 1;
                    }
                }
                a.id.clone()
            }
            None => {
                let id = crate::leads::account_id_for(name);
                batch.accounts.push(NewAccount {
                    id: id.clone(),
                    name: name.clone(),
                    domain: rec.domain.clone(),
                    industry: rec.industry.clone(),
                    employees: rec.employees,
                    country: rec.country.clone(),
                });
                out.accounts_created += 1;
                self.stored.accounts.insert(
                    key,
                    AccountState {
                        id: id.clone(),
                        domain: rec.domain.clone(),
                        industry: rec.industry.clone(),
                        employees: rec.employees,
                        country: rec.country.clone(),
                        stored: false,
                        dirty: false,
                    },
                );
                id
            }
        };
        if let Some(r) = &rec.account_ref {
            if !self.stored.account_keys.contains_key(r) {
                self.stored.account_keys.insert(r.clone(), id.clone());
                batch.account_keys.push((r.clone(), id.clone()));
            }
        }
        Some(id)
    }

    fn prepare(
        &mut self,
        rec: Record,
        stage: String,
        fingerprint: String,
        score: i64,
        batch: &mut Batch,
        out: &mut Planned,
    ) -> NewContact {
        let account_id = self.account_for(&rec, batch, out);
        let created = rec.created_at.unwrap_or(self.now);
        let stage_ref = self
            .pb
            .at(AgreementKind::Stage, &stage, created)
            .map(|v| v.reference())
            .unwrap_or_default();
        NewContact {
            id: new_id(),
            event_id: new_id(),
            account_id,
            at: ts(created),
            score,
            stage_ref,
            stage,
            rec,
            fingerprint,
        }
    }
}

/// The hash of a new contact's `created` event (what the bulk record's signature covers).
fn event_hash(c: &NewContact, bulk_id: &str) -> String {
    EventRecord {
        id: c.event_id.clone(),
        contact_id: c.id.clone(),
        kind: EventKind::Created.as_str().to_string(),
        at: c.at.clone(),
        actor_id: None,
        assignee_id: None,
        to_stage: c.stage.clone(),
        reason: None,
        channel: None,
        note: CREATED_NOTE.to_string(),
        external_id: None,
        prev_hash: None,
        hash: None,
        signature: None,
        bulk_id: Some(bulk_id.to_string()),
    }
    .computed_hash()
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

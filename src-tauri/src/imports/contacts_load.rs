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
use crate::bulk::{Bulk, Cell, Inserter};
use crate::db::{new_id, ts};
use crate::error::AppResult;
use crate::handoffs::playbook_at::PlaybookHistory;
use crate::handoffs::records::EventRecord;
use crate::handoffs::EventKind;
use crate::scoring::{fit_points, Profile};

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

/// The columns a re-import may change, in the order `Stored` remembers them. An update
/// writes only the columns whose value changes (an index is only touched when a column it
/// covers is written), and nothing when no value changes.
const UPDATABLE: [&str; 24] = [
    "external_id",
    "email",
    "salutation",
    "first_name",
    "last_name",
    "title",
    "phone",
    "country",
    "account_id",
    "account_ref",
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
];

/// A value a column takes (what the writer binds).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    Text(String),
    Int(i64),
    Null,
}

impl Value {
    fn cell(&self) -> Cell<'_> {
        match self {
            Value::Text(t) => Cell::Text(t),
            Value::Int(i) => Cell::Int(*i),
            Value::Null => Cell::Null,
        }
    }

    /// A fingerprint of the value, as [`stored_hash`] makes one from a stored column.
    fn hash(&self) -> u64 {
        match self {
            Value::Text(t) => text_hash(t),
            Value::Int(i) => text_hash(&i.to_string()),
            Value::Null => 0,
        }
    }
}

fn text_hash(t: &str) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = rustc_hash::FxBuildHasher.build_hasher();
    h.write(t.as_bytes());
    h.finish() | 1
}

/// The stored value's fingerprint (0 for NULL; integers hashed as their text).
fn stored_hash(text: Option<&str>) -> u64 {
    text.map_or(0, text_hash)
}

const UPDATE_ACCOUNT: &str = "UPDATE accounts SET domain = ?1, industry = ?2, employees = ?3,
    country = ?4, updated_at = ?5 WHERE id = ?6";

/// The note on the `created` event of an imported contact.
const CREATED_NOTE: &str = "Imported";

/// Rows per message from the planner to the writer.
const BATCH: u32 = 1000;

/// An account as the import knows it: what it holds now, and whether the file changed it.
struct AccountState {
    id: String,
    details: Firmographics,
    /// The details as stored (or as this import first wrote them): what changed is what
    /// differs from these at the end.
    original: Firmographics,
    stored: bool,
    /// The newest modification time of a row that gave these details.
    newest: Option<DateTime<Utc>>,
    /// How many times this file changed the details (new contacts' scores follow them).
    version: u32,
}

/// Website (as its domain), industry, employees, country.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Firmographics {
    domain: Option<String>,
    industry: Option<String>,
    employees: Option<i64>,
    country: Option<String>,
}

impl Firmographics {
    /// Takes every detail a row gives.
    fn take(&mut self, rec: &Record) {
        for (slot, v) in [
            (&mut self.domain, &rec.domain),
            (&mut self.industry, &rec.industry),
            (&mut self.country, &rec.country),
        ] {
            if v.is_some() {
                slot.clone_from(v);
            }
        }
        if rec.employees.is_some() {
            self.employees = rec.employees;
        }
    }
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
    /// The stored contacts' profiles (as stored, and as the file leaves them) and cached
    /// scores, by the index `ids` gives them.
    profiles: Vec<(StoredProfile, Option<StoredProfile>, i64)>,
    /// The stored contacts' values of the `UPDATABLE` columns, as fingerprints.
    columns: Vec<[u64; UPDATABLE.len()]>,
    /// New contacts with an account: their profile, the account, its details and version
    /// when their score was computed, and that score.
    fresh: Vec<(String, StoredProfile, usize, Firmographics, u32, i64)>,
    /// This import's (system, record type).
    source: u16,
    system: String,
    record_type: String,
    /// Live accounts, found by lower-case name (the first of a name) and by id.
    accounts: Vec<AccountState>,
    account_by_name: HashMap<String, usize>,
    account_by_id: HashMap<String, usize>,
    /// Accounts by their id in this system (`system:id`).
    account_keys: HashMap<String, String>,
}

impl Stored {
    /// Everything matching and rescoring need about what is stored, read through the raw
    /// handle (100k contacts and their keys in a few hundred milliseconds).
    pub fn load(bulk: &Bulk<'_>, source: &Source) -> AppResult<Stored> {
        let owned = |v: Option<&str>| v.map(str::to_string);
        let mut ids = Identities::default();
        let this = ids.source(&source.system, &source.record_type);
        let mut index: HashMap<String, usize> = HashMap::default();
        let mut profiles = Vec::new();
        let mut columns = Vec::new();
        bulk.each_row(
            "SELECT id, lower(email), import_hash, stage, title, country, source_channel, buying_role,
                    budget_known, authority_known, need_known, timeline_known, account_id, score,
                    external_id, email, salutation, first_name, last_name, title, phone, country,
                    account_id, account_ref, owner_id, owner_ref, source_channel, source_campaign,
                    budget_known, budget_note, authority_known, authority_note, need_known,
                    need_note, timeline_known, timeline_note, buying_role, buying_stage
             FROM contacts WHERE deleted_at IS NULL",
            &[],
            |r| {
                let mut hashes = [0u64; UPDATABLE.len()];
                for (i, h) in hashes.iter_mut().enumerate() {
                    *h = stored_hash(r.text(14 + i as i32));
                }
                columns.push(hashes);
                let id = r.text(0).unwrap_or_default().to_string();
                let email = owned(r.text(1));
                profiles.push((
                    StoredProfile {
                        title: r.text(4).unwrap_or_default().to_string(),
                        country: r.text(5).unwrap_or_default().to_string(),
                        source_channel: r.text(6).unwrap_or_default().to_string(),
                        buying_role: owned(r.text(7)),
                        email: email.clone(),
                        bant: [r.int(8) != 0, r.int(9) != 0, r.int(10) != 0, r.int(11) != 0],
                        account_id: owned(r.text(12)),
                    },
                    None,
                    r.int(13),
                ));
                let stage = r.text(3).unwrap_or_default().to_string();
                let i = ids.add(id.clone(), email, owned(r.text(2)), stage);
                // A Playbook export names each contact by its own id.
                if source.system == "playbook" {
                    ids.add_key(i, this, &id, None);
                }
                index.insert(id, i);
            },
        )?;
        // A merged-away contact's ids are its survivor's.
        let mut merged: HashMap<String, String> = HashMap::default();
        bulk.each_row(
            "SELECT id, merged_into FROM contacts WHERE merged_into IS NOT NULL",
            &[],
            |r| {
                if let (Some(id), Some(into)) = (r.text(0), r.text(1)) {
                    merged.insert(id.to_string(), into.to_string());
                }
            },
        )?;
        bulk.each_row(
            "SELECT system, record_type, external_id, contact_id, import_hash FROM contact_keys",
            &[],
            |r| {
                let mut contact = r.text(3).unwrap_or_default();
                for _ in 0..16 {
                    match merged.get(contact) {
                        Some(into) => contact = into,
                        None => break,
                    }
                }
                if let Some(&i) = index.get(contact) {
                    let s =
                        ids.source(r.text(0).unwrap_or_default(), r.text(1).unwrap_or_default());
                    ids.add_key(i, s, r.text(2).unwrap_or_default(), owned(r.text(4)));
                }
            },
        )?;
        let mut accounts = Vec::new();
        let mut account_by_name = HashMap::default();
        let mut account_by_id = HashMap::default();
        bulk.each_row(
            "SELECT lower(name), id, domain, industry, employees, country FROM accounts
             WHERE deleted_at IS NULL ORDER BY id",
            &[],
            |r| {
                let details = Firmographics {
                    domain: owned(r.text(2)),
                    industry: owned(r.text(3)),
                    employees: r.text(4).map(|_| r.int(4)),
                    country: owned(r.text(5)),
                };
                let id = r.text(1).unwrap_or_default().to_string();
                account_by_name
                    .entry(r.text(0).unwrap_or_default().to_string())
                    .or_insert(accounts.len());
                account_by_id.insert(id.clone(), accounts.len());
                accounts.push(AccountState {
                    id,
                    original: details.clone(),
                    details,
                    stored: true,
                    newest: None,
                    version: 0,
                });
            },
        )?;
        let mut account_keys = HashMap::default();
        bulk.each_row(
            "SELECT system || ':' || external_id, account_id FROM account_keys WHERE system = ?",
            &[Cell::Text(&source.system)],
            |r| {
                if let (Some(k), Some(id)) = (r.text(0), r.text(1)) {
                    account_keys.insert(k.to_string(), id.to_string());
                }
            },
        )?;
        Ok(Stored {
            ids,
            profiles,
            columns,
            fresh: Vec::new(),
            source: this,
            system: source.system.clone(),
            record_type: source.record_type.clone(),
            accounts,
            account_by_name,
            account_by_id,
            account_keys,
        })
    }
}

impl Stored {
    /// The share of `sample` (the file's first rows) that would be new contacts.
    pub fn new_share(&self, cleaner: &Cleaner<'_>, sample: &[csv::StringRecord]) -> f64 {
        let mut scratch = Planned::default();
        let decided: Vec<bool> = sample
            .iter()
            .filter_map(|r| cleaner.clean_row(0, r, &mut scratch))
            .map(|rec| {
                matches!(
                    self.ids.decide(
                        self.source,
                        rec.external_id.as_deref(),
                        rec.email.as_deref()
                    ),
                    Decision::New | Decision::NewDuplicate(_)
                )
            })
            .collect();
        if decided.is_empty() {
            return 1.0;
        }
        decided.iter().filter(|new| **new).count() as f64 / decided.len() as f64
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
}

struct Update {
    id: String,
    /// The columns whose value changes (indexes into `UPDATABLE`), with their new values.
    changes: Vec<(usize, Value)>,
    fingerprint: String,
    /// The source's id of the record, whose remembered fingerprint moves too.
    external_id: Option<String>,
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
    /// Stored contacts whose score the file moved: (id, new score).
    scores: Vec<(String, i64)>,
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
    // One statement per set of changed columns, prepared when first needed.
    let mut updates: HashMap<u32, Inserter<'_>> = HashMap::default();
    let mut hash_updates = bulk.statement(
        "contacts",
        "UPDATE contacts SET import_hash = ?1 WHERE id = ?2",
        2,
    )?;
    let mut account_updates = bulk.statement("accounts", UPDATE_ACCOUNT, 6)?;
    let mut key_updates = bulk.statement("contact_keys", UPDATE_KEY, 4)?;
    let mut score_updates = bulk.statement(
        "contacts",
        "UPDATE contacts SET score = ?1 WHERE id = ?2",
        2,
    )?;
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
            if !u.changes.is_empty() {
                let mask = u.changes.iter().fold(0u32, |m, (i, _)| m | (1 << i));
                let statement = match updates.entry(mask) {
                    std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::hash_map::Entry::Vacant(e) => {
                        let sets: Vec<String> = u
                            .changes
                            .iter()
                            .enumerate()
                            .map(|(n, (i, _))| format!("{} = ?{}", UPDATABLE[*i], n + 1))
                            .collect();
                        let n = u.changes.len();
                        let sql = format!(
                            "UPDATE contacts SET {}, import_hash = ?{}, updated_at = ?{} WHERE id = ?{}",
                            sets.join(", "),
                            n + 1,
                            n + 2,
                            n + 3
                        );
                        e.insert(bulk.prepare("contacts", &sql, n + 3)?)
                    }
                };
                let mut cells: Vec<Cell<'_>> = u.changes.iter().map(|(_, v)| v.cell()).collect();
                cells.extend([
                    Cell::Text(&u.fingerprint),
                    Cell::Text(now),
                    Cell::Text(&u.id),
                ]);
                statement.row(&cells)?;
            } else if u.external_id.is_none() {
                hash_updates.row(&[Cell::Text(&u.fingerprint), Cell::Text(&u.id)])?;
            }
            if let Some(ext) = &u.external_id {
                key_updates.row(&[
                    Cell::Text(&u.fingerprint),
                    Cell::Text(system),
                    Cell::Text(record_type),
                    Cell::Text(ext),
                ])?;
            }
        }
        for (id, score) in &batch.scores {
            score_updates.row(&[Cell::Int(*score), Cell::Text(id)])?;
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

impl Plan<'_> {
    /// Cleans, identifies and prepares every row in order, sending writes in batches.
    fn rows(mut self, mut rows: Rows<'_>, sender: &SyncSender<Batch>) -> Planned {
        let scoring = self.pb.scoring_at(self.now).and_then(|v| match &v.body {
            AgreementBody::Scoring(m) => Some(m.clone()),
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
            // Every row names its account, changed or not: the account's details follow
            // the newest row whatever else the row does.
            let writing = self.writing(&out);
            let account_id = self.account_for(&rec, &mut batch, &mut out, writing);
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
                        let mut profile = StoredProfile::default();
                        profile.take(&rec);
                        let account = account_id
                            .as_ref()
                            .and_then(|id| self.stored.account_by_id.get(id))
                            .map(|&a| {
                                let s = &self.stored.accounts[a];
                                (a, s.details.clone(), s.version)
                            });
                        let details = account.as_ref().map(|a| a.1.clone()).unwrap_or_default();
                        let score = scoring.as_ref().map_or(0, |model| {
                            i64::from(fit_points(model, &profile.profile(&details)))
                        });
                        let contact = self.prepare(rec, account_id, stage, fingerprint, score);
                        if let Some((a, details, version)) = account {
                            self.stored.fresh.push((
                                contact.id.clone(),
                                profile,
                                a,
                                details,
                                version,
                                score,
                            ));
                        }
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
                    let changes = self.changes(i, &rec, &account_id);
                    if changes.is_empty() && !link {
                        // The file says something new only about what Playbook does not
                        // keep (its status, say): nothing to write but its fingerprint.
                        out.unchanged += 1;
                    } else if updated.insert(i) {
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
                    // What the contact is now, for its score at the end.
                    if let Some((stored, now, _)) = self.stored.profiles.get_mut(i) {
                        let merged = now.get_or_insert_with(|| stored.clone());
                        merged.take(&rec);
                        if account_id.is_some() {
                            merged.account_id.clone_from(&account_id);
                        }
                    }
                    if self.writing(&out) {
                        batch.updates.push(Update {
                            id,
                            changes,
                            fingerprint,
                            external_id: rec.external_id,
                        });
                    }
                }
                Decision::Conflict { .. } => unreachable!("conflicts are resolved above"),
            }
        }
        // An account changed when its details differ at the end from what was stored (or
        // first written), however many rows named it.
        let changed: Vec<&AccountState> = self
            .stored
            .accounts
            .iter()
            .filter(|a| a.details != a.original)
            .collect();
        out.accounts_updated = changed.iter().filter(|a| a.stored).count() as u32;
        if self.writing(&out) {
            batch.account_updates = changed
                .iter()
                .map(|a| {
                    let d = &a.details;
                    (
                        a.id.clone(),
                        String::new(),
                        d.domain.clone(),
                        d.industry.clone(),
                        d.employees,
                        d.country.clone(),
                    )
                })
                .collect();
            if let Some(model) = &scoring {
                batch.scores = self.rescored(model);
            }
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
        out.warnings.extend(super::blank_note(rows.blank));
        out
    }

    /// The columns of contact `i` whose value the row changes, with their new values: what
    /// the file gives, where it differs from what is stored (a value the file leaves empty
    /// keeps the stored one; an owner the file names replaces the stored one, even one not
    /// yet on the team; the first id a contact was imported with stays the one shown).
    fn changes(&self, i: usize, rec: &Record, account_id: &Option<String>) -> Vec<(usize, Value)> {
        let stored = self
            .stored
            .columns
            .get(i)
            .copied()
            .unwrap_or([0; UPDATABLE.len()]);
        let text = |v: &Option<String>| v.clone().map(Value::Text);
        let str = |v: Option<&str>| v.map(|s| Value::Text(s.to_string()));
        let bant = |b: &Option<(bool, String)>| {
            (
                b.as_ref().map(|(k, _)| Value::Int(i64::from(*k))),
                b.as_ref().map(|(_, n)| Value::Text(n.clone())),
            )
        };
        let [b, a, n, t] = &rec.bant;
        let (b, a, n, t) = (bant(b), bant(a), bant(n), bant(t));
        let external_id = if stored[0] == 0 {
            text(&rec.external_id)
        } else {
            None
        };
        let owner_id = rec
            .owner_ref
            .as_ref()
            .map(|_| rec.owner_id.clone().map_or(Value::Null, Value::Text));
        let wanted: [Option<Value>; UPDATABLE.len()] = [
            external_id,
            text(&rec.email),
            text(&rec.salutation),
            text(&rec.first_name),
            text(&rec.last_name),
            text(&rec.title),
            text(&rec.phone),
            text(&rec.country),
            text(account_id),
            text(&rec.account_ref),
            owner_id,
            text(&rec.owner_ref),
            text(&rec.source_channel),
            text(&rec.source_campaign),
            b.0,
            b.1,
            a.0,
            a.1,
            n.0,
            n.1,
            t.0,
            t.1,
            str(rec.buying_role.map(|r| r.as_str())),
            str(rec.buying_stage.map(|s| s.as_str())),
        ];
        wanted
            .into_iter()
            .enumerate()
            .filter_map(|(c, v)| v.filter(|v| v.hash() != stored[c]).map(|v| (c, v)))
            .collect()
    }

    /// The new scores of the stored contacts whose fit this file moved (their own values,
    /// or their account's details): the cached score moves by the change in fit (a score is
    /// fit plus behaviour, and a file changes no activity).
    fn rescored(&self, model: &ScoringBody) -> Vec<(String, i64)> {
        let account = |id: &Option<String>, now: bool| {
            id.as_ref()
                .and_then(|id| self.stored.account_by_id.get(id))
                .map(|&i| {
                    let a = &self.stored.accounts[i];
                    if now {
                        a.details.clone()
                    } else {
                        a.original.clone()
                    }
                })
                .unwrap_or_default()
        };
        let changed_account = |id: &Option<String>| {
            id.as_ref()
                .and_then(|id| self.stored.account_by_id.get(id))
                .is_some_and(|&i| {
                    let a = &self.stored.accounts[i];
                    a.details != a.original
                })
        };
        // New contacts whose account's details a later row changed.
        let fresh = self
            .stored
            .fresh
            .iter()
            .filter(|(_, _, a, _, version, _)| self.stored.accounts[*a].version != *version)
            .filter_map(|(id, profile, a, used, _, score)| {
                let before = fit_points(model, &profile.profile(used));
                let after = fit_points(model, &profile.profile(&self.stored.accounts[*a].details));
                (before != after).then(|| {
                    (
                        id.clone(),
                        score.saturating_add(i64::from(after) - i64::from(before)),
                    )
                })
            });
        self.stored
            .profiles
            .iter()
            .enumerate()
            .filter(|(_, (stored, now, _))| now.is_some() || changed_account(&stored.account_id))
            .filter_map(|(i, (stored, now, score))| {
                let now = now.as_ref().unwrap_or(stored);
                let before =
                    fit_points(model, &stored.profile(&account(&stored.account_id, false)));
                let after = fit_points(model, &now.profile(&account(&now.account_id, true)));
                (before != after).then(|| {
                    let id = self.stored.ids.known(i).id.clone();
                    (
                        id,
                        score.saturating_add(i64::from(after) - i64::from(before)),
                    )
                })
            })
            .chain(fresh)
            .collect()
    }

    fn first_stage(&self) -> String {
        self.cleaner.first_stage().to_string()
    }

    /// Whether what is planned now will be written: not for a dry run, and not once an
    /// all-or-nothing import has a rejected row.
    fn writing(&self, out: &Planned) -> bool {
        self.write && (!self.all_or_nothing || out.rejected.is_empty())
    }

    /// The account a row names: by the file's account id when it has one, else by company
    /// name (created once). Its details follow the newest row that gives each: by the
    /// file's modified time when it has one, else by the file's order. Nothing is queued for
    /// writing unless `write`.
    fn account_for(
        &mut self,
        rec: &Record,
        batch: &mut Batch,
        out: &mut Planned,
        write: bool,
    ) -> Option<String> {
        let by_ref = rec
            .account_ref
            .as_ref()
            .and_then(|r| self.stored.account_keys.get(r))
            .and_then(|id| self.stored.account_by_id.get(id))
            .copied();
        let by_name = rec
            .company
            .as_ref()
            .and_then(|n| self.stored.account_by_name.get(&n.to_lowercase()))
            .copied();
        let i = match (by_ref.or(by_name), &rec.company) {
            (Some(i), _) => i,
            (None, None) => return None,
            (None, Some(name)) => {
                let id = match &rec.account_ref {
                    Some(r) => {
                        let (system, ext) = r.split_once(':').unwrap_or(("", r));
                        crate::leads::account_id_for_key(system, ext)
                    }
                    None => crate::leads::account_id_for(name),
                };
                let mut details = Firmographics::default();
                details.take(rec);
                if write {
                    batch.accounts.push(NewAccount {
                        id: id.clone(),
                        name: name.clone(),
                        domain: details.domain.clone(),
                        industry: details.industry.clone(),
                        employees: details.employees,
                        country: details.country.clone(),
                    });
                }
                out.accounts_created += 1;
                let i = self.stored.accounts.len();
                self.stored.account_by_name.insert(name.to_lowercase(), i);
                self.stored.account_by_id.insert(id.clone(), i);
                self.stored.accounts.push(AccountState {
                    id,
                    original: details.clone(),
                    details,
                    stored: false,
                    newest: rec.modified_at,
                    version: 0,
                });
                i
            }
        };
        let a = &mut self.stored.accounts[i];
        let newer = match (rec.modified_at, a.newest) {
            (Some(m), Some(seen)) => m >= seen,
            _ => true,
        };
        if newer {
            let before = a.details.clone();
            a.details.take(rec);
            if a.details != before {
                a.version += 1;
            }
            a.newest = rec.modified_at.or(a.newest);
        }
        let id = a.id.clone();
        if let Some(r) = &rec.account_ref {
            if !self.stored.account_keys.contains_key(r) {
                self.stored.account_keys.insert(r.clone(), id.clone());
                if write {
                    batch.account_keys.push((r.clone(), id.clone()));
                }
            }
        }
        Some(id)
    }

    fn prepare(
        &self,
        rec: Record,
        account_id: Option<String>,
        stage: String,
        fingerprint: String,
        score: i64,
    ) -> NewContact {
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

/// What the fit rules look at in a stored contact (its account's details apart), and its
/// cached score: enough to move the score by what a re-import changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct StoredProfile {
    title: String,
    country: String,
    source_channel: String,
    buying_role: Option<String>,
    email: Option<String>,
    bant: [bool; 4],
    account_id: Option<String>,
}

impl StoredProfile {
    /// Takes every value a row gives (what the UPDATE writes: a value the file leaves
    /// empty keeps the stored one).
    fn take(&mut self, rec: &Record) {
        for (slot, v) in [
            (&mut self.title, &rec.title),
            (&mut self.country, &rec.country),
            (&mut self.source_channel, &rec.source_channel),
        ] {
            if let Some(v) = v {
                slot.clone_from(v);
            }
        }
        if let Some(r) = rec.buying_role {
            self.buying_role = Some(r.as_str().to_string());
        }
        if rec.email.is_some() {
            self.email.clone_from(&rec.email);
        }
        for (slot, b) in self.bant.iter_mut().zip(&rec.bant) {
            if let Some((known, _)) = b {
                *slot = *known;
            }
        }
    }

    fn profile(&self, account: &Firmographics) -> Profile {
        Profile {
            title: self.title.clone(),
            industry: account.industry.clone().unwrap_or_default(),
            employees: account.employees,
            country: if self.country.is_empty() {
                account.country.clone().unwrap_or_default()
            } else {
                self.country.clone()
            },
            source_channel: self.source_channel.clone(),
            buying_role: self.buying_role.clone().unwrap_or_default(),
            email: self.email.clone().unwrap_or_default(),
            bant: self.bant,
        }
    }
}

//! Importing contacts: recognise the file's source and columns, clean and check every cell
//! (dates by their column's order, owners and accounts as named), match what is already
//! stored without merging two people (`identity`), and hand the rows to `contacts_load`,
//! which writes them. Re-importing the same file updates, never duplicates.
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use serde::Serialize;
use specta::Type;

use super::contacts_load::{self, Plan, Planned, Stored};
use super::csv_table;
use super::dates::{self, DateChoice, DateColumn, DatePrefs};
use super::dialects::{default_status_stage, detect, is_yes, Source};
use super::fields::{Columns, ContactField, FieldInfo};
use super::run::Options;
use super::values::{clean, domain_of, invisible, normalise_source};
use super::{ImportMode, ImportSummary, Mapping, Progress, RowError};
use crate::agreements::AgreementKind;
use crate::bulk::{Bulk, SetAside};
use crate::db::{new_id, Conn};
use crate::error::{AppError, AppResult};
use crate::handoffs::playbook_at::PlaybookHistory;
use crate::leads::{norm, BuyingRole, BuyingStage};
use crate::team::is_plausible_email;
use crate::trust::{bulk, Signer};

/// A row, cleaned and checked.
#[derive(Debug, Clone, Default)]
pub struct Record {
    pub row: u32,
    pub external_id: Option<String>,
    pub email: Option<String>,
    pub salutation: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company: Option<String>,
    /// The account as the file's account-id column names it (`system:id`).
    pub account_ref: Option<String>,
    pub domain: Option<String>,
    pub title: Option<String>,
    pub phone: Option<String>,
    pub country: Option<String>,
    pub industry: Option<String>,
    pub employees: Option<i64>,
    /// The owner as the file names them, and the member that is, if on the team.
    pub owner_ref: Option<String>,
    pub owner_id: Option<String>,
    pub source_channel: Option<String>,
    pub source_campaign: Option<String>,
    /// The status as written, and the stage it maps to (a converted flag wins).
    pub status: Option<String>,
    pub file_stage: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    /// When the source last changed the record (decides whose account details are newest).
    pub modified_at: Option<DateTime<Utc>>,
    pub buying_role: Option<BuyingRole>,
    pub buying_stage: Option<BuyingStage>,
    /// Budget, authority, need, timeline: (known, note) when the file says.
    pub bant: [Option<(bool, String)>; 4],
}

impl Record {
    /// A stable fingerprint of what the file says (FNV-1a), to tell unchanged rows apart.
    /// The status is not in it: the log owns the stage, a changed status is reported apart.
    pub fn fingerprint(&self) -> String {
        let mut h = Fnv(0xcbf29ce484222325);
        for v in [
            &self.external_id,
            &self.email,
            &self.salutation,
            &self.first_name,
            &self.last_name,
            &self.company,
            &self.account_ref,
            &self.domain,
            &self.title,
            &self.phone,
            &self.country,
            &self.industry,
            &self.owner_ref,
            &self.source_channel,
            &self.source_campaign,
        ] {
            h.opt(v.as_deref());
        }
        h.opt(self.employees.map(|n| n.to_string()).as_deref());
        h.opt(self.buying_role.map(|r| r.as_str()));
        h.opt(self.buying_stage.map(|s| s.as_str()));
        for b in &self.bant {
            h.opt(
                b.as_ref()
                    .map(|(known, _)| if *known { "known" } else { "unknown" }),
            );
            h.opt(b.as_ref().map(|(_, note)| note.as_str()));
        }
        format!("{:016x}", h.0)
    }
}

/// FNV-1a over optional fields, each framed so that ("ab", "") and ("a", "b") differ.
pub struct Fnv(pub u64);

impl Fnv {
    fn bytes(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x100000001b3);
        }
    }
    pub fn opt(&mut self, v: Option<&str>) {
        match v {
            Some(s) => {
                self.bytes(&(s.len() as u64).to_le_bytes());
                self.bytes(s.as_bytes());
            }
            None => self.bytes(&[0xff]),
        }
    }
}

/// What the file's columns and status values will become, before anything is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ImportPreview {
    /// The system that wrote the file, as people know it.
    pub dialect: String,
    pub source: Source,
    pub headers: Vec<String>,
    /// Every field, with the column it will be read from.
    pub fields: Vec<FieldInfo>,
    /// The mapping as resolved (the given one, completed with what was recognised).
    pub mapping: Mapping,
    /// The first rows as the file has them.
    pub sample: Vec<Vec<String>>,
    pub rows: u32,
    /// Distinct values of the status column, each with the stage it maps to (empty: none).
    pub statuses: Vec<(String, String)>,
    /// How the date columns will be read.
    pub dates: Vec<DateChoice>,
}

/// The first rows of a file, to recognise it before the import reads it all.
const SAMPLE_ROWS: usize = 200;

/// Resolves the columns of a contacts file, and what its first rows tell about it: the
/// source (system, record type), and whether its title column holds salutations.
fn recognise(
    table_headers: &[String],
    duplicates: &[(String, Vec<usize>)],
    sample: &[csv::StringRecord],
    mapping: &Mapping,
) -> AppResult<(Columns<ContactField>, Source)> {
    let mut columns = Columns::<ContactField>::resolve(table_headers, duplicates, mapping)?;
    let cells = |columns: &Columns<ContactField>, f: ContactField| -> Vec<String> {
        columns.get(f).map_or(Vec::new(), |i| {
            sample
                .iter()
                .filter_map(|r| r.get(i).and_then(clean).map(str::to_string))
                .collect()
        })
    };
    // Mautic and some spreadsheets call the salutation "title": a column of Mr., Ms., Dr.
    // is a salutation, not a job title.
    let titles = cells(&columns, ContactField::Title);
    let salutations = titles.iter().filter(|t| is_salutation(t)).count();
    if !titles.is_empty()
        && salutations * 10 >= titles.len() * 8
        && !mapping.columns.keys().any(|k| norm(k) == "title")
        && !columns.has(ContactField::Salutation)
    {
        columns.remap(ContactField::Title, ContactField::Salutation);
    }
    if !columns.has(ContactField::Email) && !columns.has(ContactField::ExternalId) {
        return Err(columns.missing(
            "the email or the source's id (needed to match rows on re-import)",
            &[ContactField::Email, ContactField::ExternalId],
        ));
    }
    let first_id = cells(&columns, ContactField::ExternalId).into_iter().next();
    let source = detect(
        table_headers,
        first_id.as_deref(),
        mapping.system.as_deref(),
        mapping.record_type.as_deref(),
    );
    Ok((columns, source))
}

fn is_salutation(text: &str) -> bool {
    matches!(
        norm(text).as_str(),
        "mr" | "mrs"
            | "ms"
            | "miss"
            | "mx"
            | "dr"
            | "prof"
            | "sir"
            | "madam"
            | "herr"
            | "frau"
            | "mme"
            | "mlle"
            | "m"
            | "sr"
            | "sra"
            | "srta"
            | "rev"
            | "mrsms"
    )
}

/// Reads the file and proposes a mapping, for the mapping step.
pub async fn preview(conn: &mut Conn, bytes: &[u8], mapping: &Mapping) -> AppResult<ImportPreview> {
    let table = csv_table::read(bytes)?;
    let pb = PlaybookHistory::load(&mut *conn).await?;
    let prefs = crate::workspace::date_prefs(&mut *conn, mapping).await?;
    let sample: Vec<csv::StringRecord> = table
        .rows
        .iter()
        .take(SAMPLE_ROWS)
        .map(|(_, r)| r.clone())
        .collect();
    let (columns, source) = recognise(&table.headers, &table.duplicates, &sample, mapping)?;
    let stages = StageMap::new(&pb, mapping)?;
    let mut statuses = BTreeMap::new();
    if let Some(i) = columns.get(ContactField::Status) {
        for (_, r) in &table.rows {
            if let Some(v) = r.get(i).and_then(clean) {
                statuses
                    .entry(v.to_string())
                    .or_insert_with(|| stages.map(v).unwrap_or_default());
            }
        }
    }
    let dates = match columns.get(ContactField::CreatedAt) {
        Some(i) => vec![DateColumn::decide(
            table
                .rows
                .iter()
                .filter_map(|(row, r)| r.get(i).and_then(clean).map(|v| (*row, v))),
            &prefs,
        )
        .choice(&columns.header(ContactField::CreatedAt))],
        None => Vec::new(),
    };
    let mut resolved = mapping.clone();
    resolved.columns = columns
        .uses()
        .into_iter()
        .map(|u| (u.field, u.column))
        .collect();
    Ok(ImportPreview {
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
        statuses: statuses.into_iter().collect(),
        dates,
    })
}

/// Status value → stage key: the user's mapping, a stage's own key or name, then the
/// common CRM defaults (when the playbook has that stage).
pub struct StageMap {
    user: HashMap<String, String>,
    stages: HashMap<String, String>,
    pub first: String,
}

impl StageMap {
    pub fn new(pb: &PlaybookHistory, mapping: &Mapping) -> AppResult<StageMap> {
        let now = Utc::now();
        let mut stages = HashMap::new();
        for key in pb.stage_keys() {
            if let Some(v) = pb.at(AgreementKind::Stage, &key, now) {
                stages.insert(norm(&v.name), key.clone());
            }
            stages.insert(norm(&key), key);
        }
        let first = pb.first_stage(now).ok_or_else(|| {
            AppError::not_allowed(
                "the playbook has no agreed stages yet; agree the lifecycle first",
            )
        })?;
        let mut user: HashMap<String, String> = HashMap::new();
        for (value, stage) in &mapping.statuses {
            let key = stages.get(&norm(stage)).cloned().ok_or_else(|| {
                AppError::invalid(
                    "mapping",
                    format!("mapping: status '{value}' maps to '{stage}', which is not a stage"),
                )
            })?;
            if let Some(other) = user.insert(norm(value), key.clone()).filter(|o| *o != key) {
                return Err(AppError::invalid(
                    "mapping",
                    format!(
                        "mapping: status '{value}' is mapped to both {other} and {key} (statuses are compared without case and punctuation)"
                    ),
                ));
            }
        }
        Ok(StageMap {
            user,
            stages,
            first,
        })
    }

    pub fn map(&self, value: &str) -> Option<String> {
        let n = norm(value);
        self.user
            .get(&n)
            .or_else(|| self.stages.get(&n))
            .cloned()
            .or_else(|| {
                default_status_stage(value)
                    .filter(|k| self.stages.contains_key(*k))
                    .map(str::to_string)
            })
    }
}

/// Who owns what: members by email and name, and the source CRM's users (by their id or
/// name) to members by email.
pub struct Owners {
    by_email: HashMap<String, String>,
    by_name: HashMap<String, String>,
    users: HashMap<String, String>,
}

impl Owners {
    pub async fn load(conn: &mut Conn, system: &str) -> AppResult<Owners> {
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT id, lower(email), lower(name) FROM members WHERE deleted_at IS NULL",
        )
        .fetch_all(&mut *conn)
        .await?;
        let mut o = Owners {
            by_email: HashMap::new(),
            by_name: HashMap::new(),
            users: HashMap::new(),
        };
        for (id, email, name) in rows {
            o.by_email.insert(email, id.clone());
            o.by_name.insert(name, id);
        }
        let users: Vec<(String, String, Option<String>)> = sqlx::query_as(
            "SELECT lower(external_id), lower(name), lower(email) FROM crm_users WHERE system = ?",
        )
        .bind(system)
        .fetch_all(conn)
        .await?;
        for (ext, name, email) in users {
            if let Some(e) = email {
                o.users.insert(ext, e.clone());
                if !name.is_empty() {
                    o.users.entry(name).or_insert(e);
                }
            }
        }
        Ok(o)
    }

    /// The member an owner cell names, if on the team.
    pub fn resolve(&self, raw: &str) -> Option<String> {
        let key = raw.trim().to_lowercase();
        self.by_email
            .get(&key)
            .or_else(|| self.by_name.get(&key))
            .or_else(|| self.users.get(&key).and_then(|e| self.by_email.get(e)))
            .cloned()
    }
}

/// Cleans and checks rows against the columns, stages and team of one import.
pub struct Cleaner<'a> {
    pub columns: &'a Columns<ContactField>,
    pub source: &'a Source,
    stages: &'a StageMap,
    owners: &'a Owners,
    prefs: &'a DatePrefs,
    /// The whole file, to decide a date column's order from all its values when the first
    /// date whose order matters turns up.
    bytes: &'a [u8],
    created: OnceLock<DateColumn>,
    modified: OnceLock<DateColumn>,
    /// For values whose day and month cannot be swapped (no decision needed).
    plain_dates: DateColumn,
    now: DateTime<Utc>,
}

impl<'a> Cleaner<'a> {
    pub fn new(
        columns: &'a Columns<ContactField>,
        source: &'a Source,
        stages: &'a StageMap,
        owners: &'a Owners,
        prefs: &'a DatePrefs,
        bytes: &'a [u8],
        now: DateTime<Utc>,
    ) -> Self {
        Cleaner {
            columns,
            source,
            stages,
            owners,
            prefs,
            bytes,
            created: OnceLock::new(),
            modified: OnceLock::new(),
            plain_dates: DateColumn::decide([], prefs),
            now,
        }
    }

    pub fn header(&self, f: ContactField) -> String {
        self.columns.header(f)
    }

    /// The stage a new contact enters when the file does not say.
    pub fn first_stage(&self) -> &str {
        &self.stages.first
    }

    /// What the summary should say about the created column's dates, if anything.
    pub fn date_warnings(&self) -> Vec<String> {
        self.created
            .get()
            .and_then(|c| c.warning(&self.header(ContactField::CreatedAt)))
            .into_iter()
            .collect()
    }

    /// How the created column's dates were read (for the summary).
    pub fn date_choices(&self) -> Vec<DateChoice> {
        match self.columns.get(ContactField::CreatedAt) {
            Some(_) => {
                let col = self
                    .created
                    .get()
                    .cloned()
                    .unwrap_or_else(|| DateColumn::decide([], self.prefs));
                vec![col.choice(&self.header(ContactField::CreatedAt))]
            }
            None => Vec::new(),
        }
    }

    /// How `field`'s dates are read: decided from all of the column's values the first
    /// time a value whose day and month could be swapped turns up.
    fn date_column<'c>(
        &'c self,
        field: ContactField,
        decided: &'c OnceLock<DateColumn>,
        text: &str,
    ) -> &'c DateColumn {
        if let Some(c) = decided.get() {
            return c;
        }
        if !dates::order_matters(text) {
            return &self.plain_dates;
        }
        let i = self.columns.get(field).unwrap_or(0);
        let mut all = Vec::new();
        if let Ok(mut rows) = csv_table::Rows::open(self.bytes) {
            while let Some((row, r)) = rows.next_row() {
                if let Some(v) = r.ok().and_then(|r| r.get(i)).and_then(clean) {
                    all.push((row, v.to_string()));
                }
            }
        }
        decided.get_or_init(|| {
            DateColumn::decide(all.iter().map(|(r, v)| (*r, v.as_str())), self.prefs)
        })
    }

    /// Cleans one row: its record, or `None` with its errors (and the status values and
    /// owners it could not place) added to `out`.
    pub fn clean_row(&self, row: u32, r: &csv::StringRecord, out: &mut Planned) -> Option<Record> {
        let cell = |f: ContactField| self.columns.get(f).and_then(|i| r.get(i)).and_then(clean);
        let text = |f: ContactField| cell(f).map(str::to_string);
        let mut errors = Vec::new();
        let mut fail = |f: ContactField, message: String| {
            errors.push(RowError {
                row,
                column: self.header(f),
                message,
            })
        };

        let email = cell(ContactField::Email)
            .map(|e| e.strip_prefix("mailto:").unwrap_or(e).trim().to_lowercase());
        if let Some(e) = &email {
            if !is_plausible_email(e) || e.chars().any(invisible) {
                fail(
                    ContactField::Email,
                    format!("'{e}' is not an email address"),
                );
            }
        }
        let external_id = text(ContactField::ExternalId);
        if email.is_none() && external_id.is_none() {
            fail(
                if self.columns.has(ContactField::Email) {
                    ContactField::Email
                } else {
                    ContactField::ExternalId
                },
                "needs an email or an id to be matched on re-import".into(),
            );
        }
        let created_at = cell(ContactField::CreatedAt).and_then(|t| {
            match self
                .date_column(ContactField::CreatedAt, &self.created, t)
                .read_noted(t)
            {
                Ok((d, note)) if d <= self.now + crate::handoffs::CLOCK_SKEW => {
                    if let Some(n) = note {
                        out.warnings.push(format!("row {row}: {n}"));
                    }
                    Some(d)
                }
                Ok(_) => {
                    fail(
                        ContactField::CreatedAt,
                        format!("'{t}' is in the future; a contact is created once it exists"),
                    );
                    None
                }
                Err(message) => {
                    fail(ContactField::CreatedAt, message);
                    None
                }
            }
        });
        let employees = match cell(ContactField::Employees) {
            Some(t) => match parse_employees(t) {
                Some(n) => Some(n),
                None => {
                    fail(
                        ContactField::Employees,
                        format!("'{t}' is not a number of employees"),
                    );
                    None
                }
            },
            None => None,
        };
        let buying_role = match cell(ContactField::BuyingRole) {
            Some(t) => BuyingRole::parse(t).or_else(|| {
                let all: Vec<&str> = BuyingRole::ALL.iter().map(|r| r.as_str()).collect();
                fail(
                    ContactField::BuyingRole,
                    format!("'{t}' is not a buying role ({})", all.join(", ")),
                );
                None
            }),
            None => None,
        };
        let buying_stage = match cell(ContactField::BuyingStage) {
            Some(t) => BuyingStage::parse(t).or_else(|| {
                fail(
                    ContactField::BuyingStage,
                    format!("'{t}' is not a buying stage (awareness, consideration, decision)"),
                );
                None
            }),
            None => None,
        };
        // A Salesforce queue (00G…) owns nobody's lead the way a person does.
        let owner_ref = text(ContactField::Owner)
            .filter(|o| !(self.source.system == "salesforce" && o.starts_with("00G")));
        let owner_id = owner_ref.as_deref().and_then(|o| {
            let found = self.owners.resolve(o);
            if found.is_none() {
                out.unmatched.insert(o.to_string());
            }
            found
        });
        let status = text(ContactField::Status);
        let converted = cell(ContactField::Converted).is_some_and(is_yes);
        let file_stage = if converted {
            self.stages.map("converted")
        } else {
            None
        }
        .or_else(|| {
            status.as_deref().and_then(|s| {
                let stage = self.stages.map(s);
                if stage.is_none() {
                    out.unmapped.insert(s.to_string());
                }
                stage
            })
        });
        let (mut first_name, mut last_name) =
            (text(ContactField::FirstName), text(ContactField::LastName));
        if first_name.is_none() && last_name.is_none() {
            if let Some(full) = cell(ContactField::FullName) {
                (first_name, last_name) = split_full_name(full);
            }
        }
        let bant_of = |f: ContactField| {
            cell(f).map(|v| {
                let unknown = matches!(norm(v).as_str(), "no" | "false" | "unknown" | "0");
                (!unknown, v.to_string())
            })
        };
        if !errors.is_empty() {
            out.rejected.insert(row);
            out.errors.extend(errors);
            return None;
        }
        Some(Record {
            row,
            external_id,
            email,
            salutation: text(ContactField::Salutation),
            first_name,
            last_name,
            company: text(ContactField::Company),
            account_ref: cell(ContactField::AccountId)
                .map(|a| format!("{}:{a}", self.source.system)),
            domain: cell(ContactField::Domain).map(domain_of),
            title: text(ContactField::Title),
            phone: text(ContactField::Phone),
            country: text(ContactField::Country),
            industry: text(ContactField::Industry),
            employees,
            owner_ref,
            owner_id,
            source_channel: cell(ContactField::SourceChannel).map(normalise_source),
            source_campaign: text(ContactField::SourceCampaign),
            status,
            file_stage,
            created_at,
            modified_at: cell(ContactField::ModifiedAt).and_then(|t| {
                self.date_column(ContactField::ModifiedAt, &self.modified, t)
                    .read(t)
                    .ok()
            }),
            buying_role,
            buying_stage,
            bant: [
                bant_of(ContactField::Budget),
                bant_of(ContactField::Authority),
                bant_of(ContactField::Need),
                bant_of(ContactField::Timeline),
            ],
        })
    }
}

/// "Lewis, James" is James Lewis; "Ana María López" is Ana María López; "Dr. Anna Maria
/// von Trapp" is Anna Maria von Trapp (a salutation in front is not a first name, and the
/// particles of a family name stay with it).
fn split_full_name(full: &str) -> (Option<String>, Option<String>) {
    const PARTICLES: [&str; 18] = [
        "von", "van", "de", "der", "den", "da", "di", "du", "le", "la", "del", "della", "dos",
        "das", "ten", "ter", "bin", "al",
    ];
    let some = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    if let Some((last, first)) = full.split_once(',') {
        if !first.trim().is_empty() {
            return (some(first), some(last));
        }
    }
    let mut words: Vec<&str> = full.split_whitespace().collect();
    if words.len() > 1 && is_salutation(words[0]) {
        words.remove(0);
    }
    let Some(mut start) = words.len().checked_sub(1) else {
        return (None, some(full));
    };
    while start > 1 && PARTICLES.contains(&words[start - 1].to_lowercase().as_str()) {
        start -= 1;
    }
    (
        some(&words[..start].join(" ")),
        some(&words[start..].join(" ")),
    )
}

fn parse_employees(text: &str) -> Option<i64> {
    // Ranges ("51-200") count by their upper end; "1,200" and "1.200" are 1200.
    let t = text.trim();
    let upper = t.rsplit(['-', '–']).next().unwrap_or(t);
    let digits: String = upper
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(|c| c.is_ascii_digit() || *c == ',' || *c == '.' || *c == ' ')
        .filter(char::is_ascii_digit)
        .collect();
    digits.parse().ok().filter(|n: &i64| *n < 100_000_000)
}

/// Imports a contacts file inside the caller's transaction. Nothing is written for a dry
/// run, and the caller commits only when the summary says `written` (an all-or-nothing
/// import with rejected rows is rolled back with whatever it had already written).
pub async fn import(
    conn: &mut Conn,
    bytes: &[u8],
    mapping: &Mapping,
    options: Options,
    progress: &Progress<'_>,
    now: DateTime<Utc>,
    signer: &Signer,
) -> AppResult<ImportSummary> {
    let rows = csv_table::Rows::open(bytes)?;
    let sample: Vec<csv::StringRecord> = {
        let mut peek = csv_table::Rows::open(bytes)?;
        let mut v = Vec::new();
        while let Some((_, r)) = peek.next_row() {
            if let Ok(r) = r {
                v.push(r.clone());
            }
            if v.len() >= SAMPLE_ROWS {
                break;
            }
        }
        v
    };
    let (columns, source) = recognise(&rows.headers, &rows.duplicates, &sample, mapping)?;
    let bulk_id = new_id();
    let pb = PlaybookHistory::load(&mut *conn).await?;
    let stages = StageMap::new(&pb, mapping)?;
    let owners = Owners::load(&mut *conn, &source.system).await?;
    let prefs = crate::workspace::date_prefs(&mut *conn, mapping).await?;
    let total = rows.estimate();
    let write = !options.dry_run;
    let cleaner = Cleaner::new(&columns, &source, &stages, &owners, &prefs, bytes, now);
    let stored = Stored::load(&Bulk::lock(&mut *conn).await?, &source)?;
    // A load of mostly new rows sets the list indexes aside (and rebuilds them from
    // sorted keys); one of mostly updates keeps them (it writes only changed columns).
    let new_rows = (f64::from(total) * stored.new_share(&cleaner, &sample)) as usize;
    let set_aside = if write {
        SetAside::for_load(conn, &["contacts", "handoff_events"], new_rows).await?
    } else {
        SetAside::default()
    };
    let planned = {
        let bulk = Bulk::lock(&mut *conn).await?;
        let plan = Plan {
            cleaner: &cleaner,
            pb: &pb,
            stored,
            write,
            all_or_nothing: options.mode == ImportMode::AllOrNothing,
            on_conflict: options.on_conflict,
            now,
            bulk_id: &bulk_id,
        };
        contacts_load::run(&bulk, plan, rows, progress, total)?
    };
    let mut summary = ImportSummary {
        dialect: source.name.clone(),
        source: Some(source.clone()),
        rows_read: planned.rows_read,
        dry_run: options.dry_run,
        errors: planned.errors,
        rejected: planned.rejected.len() as u32,
        created: planned.created,
        updated: planned.updated,
        unchanged: planned.unchanged,
        linked: planned.linked,
        mapping: columns.uses(),
        unmapped_columns: columns.unmapped(),
        dates: cleaner.date_choices(),
        unmapped_statuses: planned.unmapped.into_iter().collect(),
        unmatched_owners: planned.unmatched.into_iter().collect(),
        conflicts: planned.conflicts,
        possible_duplicates: planned.duplicates,
        status_differs: planned.status_differs,
        accounts_created: planned.accounts_created,
        accounts_updated: planned.accounts_updated,
        warnings: cleaner
            .date_warnings()
            .into_iter()
            .chain(planned.warnings)
            .collect(),
        ..ImportSummary::default()
    };
    summary.errors.sort_by_key(|e| e.row);
    if options.dry_run {
        return Ok(summary);
    }
    if options.mode == ImportMode::AllOrNothing && summary.rejected > 0 {
        summary.created = 0;
        summary.updated = 0;
        summary.unchanged = 0;
        summary.linked = 0;
        summary.accounts_created = 0;
        summary.accounts_updated = 0;
        // Rolled back by the caller: set-aside indexes come back without being rebuilt.
        return Ok(summary);
    }
    set_aside.rebuild(conn).await?;
    if !planned.event_hashes.is_empty() {
        bulk::seal(
            &mut *conn,
            &bulk_id,
            "contacts_import",
            planned.event_hashes,
            signer,
            now,
        )
        .await?;
    }
    crate::leads::owners::resolve_accounts(&mut *conn).await?;

    progress.check(total, total)?;
    summary.written = true;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_crms_write_them() {
        let s = |f: &str, l: &str| (Some(f.to_string()), Some(l.to_string()));
        assert_eq!(split_full_name("Lewis, James"), s("James", "Lewis"));
        assert_eq!(split_full_name("Ana María López"), s("Ana María", "López"));
        assert_eq!(split_full_name("Cher"), (None, Some("Cher".to_string())));
        assert_eq!(
            split_full_name("Lewis,"),
            (None, Some("Lewis,".to_string()))
        );
        assert_eq!(
            split_full_name("Dr. Anna Maria von Trapp"),
            s("Anna Maria", "von Trapp")
        );
    }

    #[test]
    fn employee_counts_and_ranges() {
        assert_eq!(parse_employees("1,200"), Some(1200));
        assert_eq!(parse_employees("51-200"), Some(200));
        assert_eq!(parse_employees("approx. 45"), Some(45));
        assert_eq!(parse_employees("many"), None);
        assert_eq!(parse_employees("99999999999999999999"), None);
    }
}

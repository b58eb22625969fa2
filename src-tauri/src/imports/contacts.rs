//! Importing contacts: recognise the columns, clean and check every cell, match what is
//! already stored (by external id, else email), then write new accounts, contacts and
//! their `created` events in bulk. Re-importing the same file updates, never duplicates.
use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};

use super::csv_table::{self, Table};
use super::dialects::{default_mapping, default_status_stage, detect_dialect, ContactField};
use super::values::{clean, parse_date};
use super::{ImportMode, ImportSummary, Mapping, Progress, RowError};
use crate::agreements::{AgreementBody, AgreementKind};
use crate::bulk::{Bulk, Cell};
use crate::db::{insert_many, new_id, ts, Conn, Val};
use crate::error::{AppError, AppResult};
use crate::handoffs::playbook_at::PlaybookHistory;
use crate::leads::{norm, BuyingRole, BuyingStage};
use crate::scoring::{explain, Profile};
use crate::team::is_plausible_email;

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

const EVENT_COLUMNS: [&str; 8] = [
    "id",
    "contact_id",
    "kind",
    "at",
    "to_stage",
    "note",
    "playbook",
    "recorded_at",
];

/// A row, cleaned and checked.
#[derive(Debug, Clone, Default)]
struct Record {
    row: u32,
    external_id: Option<String>,
    email: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    company: Option<String>,
    domain: Option<String>,
    title: Option<String>,
    phone: Option<String>,
    country: Option<String>,
    industry: Option<String>,
    employees: Option<i64>,
    owner_id: Option<String>,
    source_channel: Option<String>,
    source_campaign: Option<String>,
    stage: String,
    created_at: Option<DateTime<Utc>>,
    buying_role: Option<BuyingRole>,
    buying_stage: Option<BuyingStage>,
    bant: [Option<(bool, String)>; 4],
}

impl Record {
    /// A stable fingerprint of what the file says (FNV-1a), to tell unchanged rows apart.
    fn fingerprint(&self) -> String {
        let mut h = Fnv(0xcbf29ce484222325);
        for v in [
            &self.external_id,
            &self.email,
            &self.first_name,
            &self.last_name,
            &self.company,
            &self.domain,
            &self.title,
            &self.phone,
            &self.country,
            &self.industry,
            &self.owner_id,
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
struct Fnv(u64);

impl Fnv {
    fn bytes(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x100000001b3);
        }
    }
    fn opt(&mut self, v: Option<&str>) {
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
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ImportPreview {
    pub dialect: String,
    pub headers: Vec<String>,
    pub mapping: Mapping,
    /// The first rows as the file has them.
    pub sample: Vec<Vec<String>>,
    pub rows: u32,
    /// Distinct values of the status column, each with the stage it maps to (empty: none).
    pub statuses: Vec<(String, String)>,
}

/// Reads the file and proposes a mapping, for the mapping step.
pub async fn preview(conn: &mut Conn, bytes: &[u8], mapping: &Mapping) -> AppResult<ImportPreview> {
    let table = csv_table::read(bytes)?;
    let pb = PlaybookHistory::load(conn).await?;
    let columns = resolve_columns(&table, mapping)?;
    let stages = StageMap::new(&pb, mapping)?;
    let mut statuses = BTreeMap::new();
    if let Some(&i) = columns.get(&ContactField::Status) {
        for (_, r) in &table.rows {
            if let Some(v) = r.get(i).and_then(clean) {
                statuses
                    .entry(v.to_string())
                    .or_insert_with(|| stages.map(v).unwrap_or_default());
            }
        }
    }
    let mut resolved = mapping.clone();
    resolved.columns = columns
        .iter()
        .map(|(f, i)| (*f, table.headers[*i].clone()))
        .collect();
    Ok(ImportPreview {
        dialect: detect_dialect(&table.headers).to_string(),
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
    })
}

fn resolve_columns(table: &Table, mapping: &Mapping) -> AppResult<BTreeMap<ContactField, usize>> {
    let mut names = default_mapping(&table.headers);
    for (field, header) in &mapping.columns {
        if header.trim().is_empty() {
            names.remove(field);
        } else {
            names.insert(*field, header.clone());
        }
    }
    let mut columns = BTreeMap::new();
    for (field, header) in names {
        let i = table.column(&header).ok_or_else(|| {
            AppError::invalid(
                "mapping",
                format!(
                    "mapping: the file has no column '{header}' (for {})",
                    field.as_str()
                ),
            )
        })?;
        columns.insert(field, i);
    }
    if !columns.contains_key(&ContactField::Email)
        && !columns.contains_key(&ContactField::ExternalId)
    {
        return Err(AppError::invalid(
            "mapping",
            "the file has no email or id column that Playbook recognises; map one of them",
        ));
    }
    Ok(columns)
}

/// Status value → stage key: the user's mapping, a stage's own key or name, then the
/// common CRM defaults (when the playbook has that stage).
struct StageMap {
    user: HashMap<String, String>,
    stages: HashMap<String, String>,
    first: String,
}

impl StageMap {
    fn new(pb: &PlaybookHistory, mapping: &Mapping) -> AppResult<StageMap> {
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
        let mut user = HashMap::new();
        for (value, stage) in &mapping.statuses {
            let key = stages.get(&norm(stage)).cloned().ok_or_else(|| {
                AppError::invalid(
                    "mapping",
                    format!("mapping: status '{value}' maps to '{stage}', which is not a stage"),
                )
            })?;
            user.insert(norm(value), key);
        }
        Ok(StageMap {
            user,
            stages,
            first,
        })
    }

    fn map(&self, value: &str) -> Option<String> {
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

/// Cleans and checks rows against the columns, stages and team of one import.
struct Cleaner<'a> {
    columns: &'a BTreeMap<ContactField, usize>,
    headers: &'a [String],
    stages: &'a StageMap,
    team: &'a Team,
    now: DateTime<Utc>,
}

/// What cleaning some rows gave: records, and the rows and values it could not take.
#[derive(Default)]
struct Cleaned {
    records: Vec<Record>,
    errors: Vec<RowError>,
    rejected: BTreeSet<u32>,
    unmapped: BTreeSet<String>,
    unmatched: BTreeSet<String>,
}

impl Cleaner<'_> {
    fn header(&self, f: ContactField) -> String {
        self.columns
            .get(&f)
            .map(|i| self.headers[*i].clone())
            .unwrap_or_else(|| f.as_str().to_string())
    }

    fn clean(
        &self,
        rows: &[(u32, csv::StringRecord)],
        progress: &Progress<'_>,
        total: u32,
    ) -> AppResult<Cleaned> {
        let mut out = Cleaned {
            records: Vec::with_capacity(rows.len()),
            ..Cleaned::default()
        };
        for (n, (row, r)) in rows.iter().enumerate() {
            if n % 10_000 == 0 {
                // Cleaning is the first half of the work.
                progress.check(n as u32 / 2, total)?;
            }
            let cell =
                |f: ContactField| self.columns.get(&f).and_then(|i| r.get(*i)).and_then(clean);
            let text = |f: ContactField| cell(f).map(str::to_string);
            let mut errors = Vec::new();
            let mut fail = |f: ContactField, message: String| {
                errors.push(RowError {
                    row: *row,
                    column: self.header(f),
                    message,
                })
            };

            let email = cell(ContactField::Email).map(|e| e.to_lowercase());
            if let Some(e) = &email {
                if !is_plausible_email(e) {
                    fail(
                        ContactField::Email,
                        format!("'{e}' is not an email address"),
                    );
                }
            }
            let external_id = text(ContactField::ExternalId);
            if email.is_none() && external_id.is_none() {
                fail(
                    ContactField::Email,
                    "needs an email or an id to be matched on re-import".into(),
                );
            }
            let created_at = match cell(ContactField::CreatedAt) {
                Some(t) => match parse_date(t) {
                    Some(d) if d <= self.now => Some(d),
                    Some(_) => {
                        fail(ContactField::CreatedAt, format!("'{t}' is in the future"));
                        None
                    }
                    None => {
                        fail(ContactField::CreatedAt, format!("'{t}' is not a date Playbook reads (e.g. 2021-04-15, 04/15/2021 3:05 PM, 15.04.2021)"));
                        None
                    }
                },
                None => None,
            };
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
            let owner_id = cell(ContactField::Owner).and_then(|o| {
                let key = o.to_lowercase();
                let found = self
                    .team
                    .by_email
                    .get(&key)
                    .or_else(|| self.team.by_name.get(&key))
                    .cloned();
                if found.is_none() {
                    out.unmatched.insert(o.to_string());
                }
                found
            });
            let stage = match cell(ContactField::Status) {
                Some(s) => self.stages.map(s).unwrap_or_else(|| {
                    out.unmapped.insert(s.to_string());
                    self.stages.first.clone()
                }),
                None => self.stages.first.clone(),
            };
            let (mut first_name, mut last_name) =
                (text(ContactField::FirstName), text(ContactField::LastName));
            if first_name.is_none() && last_name.is_none() {
                if let Some(full) = cell(ContactField::FullName) {
                    let (f, l) = full.rsplit_once(' ').unwrap_or(("", full));
                    first_name = Some(f.trim().to_string()).filter(|s| !s.is_empty());
                    last_name = Some(l.trim().to_string());
                }
            }
            let bant_of = |f: ContactField| {
                cell(f).map(|v| {
                    let unknown = matches!(norm(v).as_str(), "no" | "false" | "unknown" | "0");
                    (!unknown, v.to_string())
                })
            };
            if !errors.is_empty() {
                out.rejected.insert(*row);
                out.errors.extend(errors);
                continue;
            }
            out.records.push(Record {
                row: *row,
                external_id,
                email,
                first_name,
                last_name,
                company: text(ContactField::Company),
                domain: text(ContactField::Domain),
                title: text(ContactField::Title),
                phone: text(ContactField::Phone),
                country: text(ContactField::Country),
                industry: text(ContactField::Industry),
                employees,
                owner_id,
                source_channel: text(ContactField::SourceChannel),
                source_campaign: text(ContactField::SourceCampaign),
                stage,
                created_at,
                buying_role,
                buying_stage,
                bant: [
                    bant_of(ContactField::Budget),
                    bant_of(ContactField::Authority),
                    bant_of(ContactField::Need),
                    bant_of(ContactField::Timeline),
                ],
            });
        }
        Ok(out)
    }
}

struct Team {
    by_email: HashMap<String, String>,
    by_name: HashMap<String, String>,
}

async fn load_team(conn: &mut Conn) -> AppResult<Team> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT id, lower(email), lower(name) FROM members WHERE deleted_at IS NULL",
    )
    .fetch_all(conn)
    .await?;
    let mut t = Team {
        by_email: HashMap::new(),
        by_name: HashMap::new(),
    };
    for (id, email, name) in rows {
        t.by_email.insert(email, id.clone());
        t.by_name.insert(name, id);
    }
    Ok(t)
}

fn parse_employees(text: &str) -> Option<i64> {
    let digits: String = text
        .trim()
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(|c| c.is_ascii_digit() || *c == ',' || *c == '.' || *c == ' ')
        .filter(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// A stored contact's matching keys: id, external id, lower-case email, import hash.
type StoredKeys = (String, Option<String>, Option<String>, Option<String>);

/// Imports a contacts file inside the caller's transaction. Nothing is written for a dry
/// run or when an all-or-nothing import has rejected rows; the caller commits only when
/// the summary says `written`.
pub async fn import(
    conn: &mut Conn,
    bytes: &[u8],
    mapping: &Mapping,
    mode: ImportMode,
    dry_run: bool,
    progress: &Progress<'_>,
    now: DateTime<Utc>,
) -> AppResult<ImportSummary> {
    let table = csv_table::read(bytes)?;
    let columns = resolve_columns(&table, mapping)?;
    let pb = PlaybookHistory::load(&mut *conn).await?;
    let stages = StageMap::new(&pb, mapping)?;
    let team = load_team(&mut *conn).await?;
    let total = (table.rows.len() + table.broken.len()) as u32;
    let mut summary = ImportSummary {
        dialect: detect_dialect(&table.headers).to_string(),
        rows_read: total,
        dry_run,
        ..ImportSummary::default()
    };
    for (row, message) in &table.broken {
        summary.errors.push(RowError {
            row: *row,
            column: String::new(),
            message: message.clone(),
        });
    }

    let header = |f: ContactField| {
        columns
            .get(&f)
            .map(|i| table.headers[*i].clone())
            .unwrap_or_else(|| f.as_str().to_string())
    };
    let cleaner = Cleaner {
        columns: &columns,
        headers: &table.headers,
        stages: &stages,
        team: &team,
        now,
    };
    let cleaned = cleaner.clean(&table.rows, progress, total)?;
    let Cleaned {
        records,
        errors,
        rejected: mut rejected_rows,
        unmapped,
        unmatched,
    } = cleaned;
    summary.errors.extend(errors);

    // Match against what is stored, and against earlier rows of the same file.
    let existing: Vec<StoredKeys> = sqlx::query_as(
        "SELECT id, external_id, lower(email), import_hash FROM contacts WHERE deleted_at IS NULL",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut by_ext: HashMap<String, usize> = HashMap::with_capacity(existing.len());
    let mut by_email: HashMap<String, usize> = HashMap::with_capacity(existing.len());
    for (i, (_, ext, email, _)) in existing.iter().enumerate() {
        if let Some(e) = ext {
            by_ext.insert(e.clone(), i);
        }
        if let Some(e) = email {
            by_email.entry(e.clone()).or_insert(i);
        }
    }
    let mut seen: HashMap<String, u32> = HashMap::new();
    let mut creates = Vec::new();
    let mut updates = Vec::new();
    for rec in records {
        let keys: Vec<String> = rec
            .external_id
            .iter()
            .map(|e| format!("id:{e}"))
            .chain(rec.email.iter().map(|e| format!("email:{e}")))
            .collect();
        if let Some(first) = keys.iter().find_map(|k| seen.get(k)) {
            let (field, value) = match &rec.external_id {
                Some(e) => (ContactField::ExternalId, e.clone()),
                None => (ContactField::Email, rec.email.clone().unwrap_or_default()),
            };
            summary.errors.push(RowError {
                row: rec.row,
                column: header(field),
                message: format!("'{value}' appears again: a duplicate of row {first}"),
            });
            rejected_rows.insert(rec.row);
            continue;
        }
        for k in keys {
            seen.insert(k, rec.row);
        }
        let found = rec
            .external_id
            .as_ref()
            .and_then(|e| by_ext.get(e))
            .or_else(|| rec.email.as_ref().and_then(|e| by_email.get(e)))
            .copied();
        let fingerprint = rec.fingerprint();
        match found {
            Some(i) if existing[i].3.as_deref() == Some(fingerprint.as_str()) => {
                summary.unchanged += 1
            }
            Some(i) => updates.push((existing[i].0.clone(), rec, fingerprint)),
            None => creates.push((rec, fingerprint)),
        }
    }
    summary.rejected = rejected_rows.len() as u32 + table.broken.len() as u32;
    summary.errors.sort_by_key(|e| e.row);
    summary.created = creates.len() as u32;
    summary.updated = updates.len() as u32;
    summary.unmapped_statuses = unmapped.into_iter().collect();
    summary.unmatched_owners = unmatched.into_iter().collect();
    if dry_run {
        return Ok(summary);
    }
    if mode == ImportMode::AllOrNothing && summary.rejected > 0 {
        summary.created = 0;
        summary.updated = 0;
        summary.unchanged = 0;
        return Ok(summary);
    }
    progress.check(total / 2, total)?;
    write(conn, &pb, creates, updates, progress, total, now).await?;
    summary.written = true;
    Ok(summary)
}

async fn write(
    conn: &mut Conn,
    pb: &PlaybookHistory,
    creates: Vec<(Record, String)>,
    updates: Vec<(String, Record, String)>,
    progress: &Progress<'_>,
    total: u32,
    now: DateTime<Utc>,
) -> AppResult<()> {
    // Accounts by name: existing ones are reused, new ones created once.
    let rows: Vec<(String, String, Option<String>, Option<i64>)> = sqlx::query_as(
        "SELECT id, lower(name), industry, employees FROM accounts WHERE deleted_at IS NULL",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut accounts: HashMap<String, (String, Option<String>, Option<i64>)> = rows
        .into_iter()
        .map(|(id, name, ind, emp)| (name, (id, ind, emp)))
        .collect();
    let mut new_accounts = Vec::new();
    let now_text = ts(now);
    let mut account_of = |rec: &Record| -> Option<String> {
        let name = rec.company.as_ref()?;
        let key = name.to_lowercase();
        if let Some((id, _, _)) = accounts.get(&key) {
            return Some(id.clone());
        }
        let id = new_id();
        new_accounts.push(vec![
            Val::Text(id.clone()),
            Val::Text(name.clone()),
            Val::OptText(rec.domain.clone()),
            Val::OptText(rec.industry.clone()),
            Val::OptInt(rec.employees),
            Val::OptText(rec.country.clone()),
            Val::Text(now_text.clone()),
            Val::Text(now_text.clone()),
        ]);
        accounts.insert(key, (id.clone(), rec.industry.clone(), rec.employees));
        Some(id)
    };
    let scoring = pb.scoring_at(now).and_then(|v| match &v.body {
        AgreementBody::Scoring(m) => Some((m.clone(), v.reference())),
        _ => None,
    });
    let fit = |rec: &Record| -> i64 {
        let Some((model, reference)) = &scoring else {
            return 0;
        };
        let p = Profile {
            title: rec.title.clone().unwrap_or_default(),
            industry: rec.industry.clone().unwrap_or_default(),
            employees: rec.employees,
            country: rec.country.clone().unwrap_or_default(),
            source_channel: rec.source_channel.clone().unwrap_or_default(),
            buying_role: rec
                .buying_role
                .map(|r| r.as_str().to_string())
                .unwrap_or_default(),
            email: rec.email.clone().unwrap_or_default(),
            bant: rec.bant.clone().map(|b| b.is_some_and(|(known, _)| known)),
        };
        i64::from(explain(model, reference, &p, &[], now).total)
    };

    let create_accounts: Vec<Option<String>> =
        creates.iter().map(|(rec, _)| account_of(rec)).collect();
    let update_accounts: Vec<Option<String>> =
        updates.iter().map(|(_, rec, _)| account_of(rec)).collect();
    insert_many(
        conn,
        "accounts",
        &[
            "id",
            "name",
            "domain",
            "industry",
            "employees",
            "country",
            "created_at",
            "updated_at",
        ],
        new_accounts,
    )
    .await?;

    // New contacts and their `created` events go through one prepared statement each.
    let step = 10_000;
    let mut done = total / 2;
    {
        let bulk = Bulk::lock(&mut *conn).await?;
        let mut contacts = bulk.inserter("contacts", &CONTACT_COLUMNS)?;
        let mut events = bulk.inserter("handoff_events", &EVENT_COLUMNS)?;
        for (n, ((rec, fingerprint), account_id)) in
            creates.iter().zip(&create_accounts).enumerate()
        {
            if n % step == 0 {
                progress.check(done + n as u32 / 2, total)?;
            }
            let id = new_id();
            let created = rec.created_at.unwrap_or(now);
            let at = ts(created);
            let stage_ref = pb
                .at(AgreementKind::Stage, &rec.stage, created)
                .map(|v| v.reference())
                .unwrap_or_default();
            let bant = |i: usize| {
                rec.bant[i]
                    .as_ref()
                    .map_or((0, ""), |(known, note)| (i64::from(*known), note.as_str()))
            };
            let (b, a, nd, t) = (bant(0), bant(1), bant(2), bant(3));
            contacts.row(&[
                Cell::Text(&id),
                rec.external_id.as_deref().into(),
                account_id.as_deref().into(),
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
                Cell::Int(nd.0),
                Cell::Text(nd.1),
                Cell::Int(t.0),
                Cell::Text(t.1),
                rec.buying_role.map(|r| r.as_str()).into(),
                rec.buying_stage.map(|s| s.as_str()).into(),
                Cell::Text(&rec.stage),
                Cell::Text(&at),
                Cell::Int(fit(rec)),
                Cell::Text(fingerprint),
                Cell::Text(&at),
                Cell::Text(&now_text),
            ])?;
            events.row(&[
                Cell::Text(&new_id()),
                Cell::Text(&id),
                Cell::Text("created"),
                Cell::Text(&at),
                Cell::Text(&rec.stage),
                Cell::Text("Imported"),
                Cell::Text(&stage_ref),
                Cell::Text(&now_text),
            ])?;
        }
    }
    done += creates.len() as u32 / 2;

    for (n, ((id, rec, fingerprint), account_id)) in updates.iter().zip(update_accounts).enumerate()
    {
        if n % step == 0 {
            progress.check(done + n as u32 / 2, total)?;
        }
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
        .bind(account_id)
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
    let changed: Vec<String> = updates.into_iter().map(|(id, _, _)| id).collect();
    crate::leads::scores::refresh(conn, pb, &changed, now).await?;
    progress.check(total, total)?;
    Ok(())
}

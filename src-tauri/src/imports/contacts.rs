//! Importing contacts: recognise the columns, clean and check every cell, match what is
//! already stored (by external id, else email); `contacts_load` writes new accounts,
//! contacts and their `created` events. Re-importing the same file updates, never duplicates.
use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use super::contacts_load::{self, Plan, Planned, Stored};
use super::csv_table;
use super::dialects::{default_mapping, default_status_stage, detect_dialect, ContactField};
use super::values::{clean, parse_date};
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
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company: Option<String>,
    pub domain: Option<String>,
    pub title: Option<String>,
    pub phone: Option<String>,
    pub country: Option<String>,
    pub industry: Option<String>,
    pub employees: Option<i64>,
    pub owner_id: Option<String>,
    pub source_channel: Option<String>,
    pub source_campaign: Option<String>,
    pub stage: String,
    pub created_at: Option<DateTime<Utc>>,
    pub buying_role: Option<BuyingRole>,
    pub buying_stage: Option<BuyingStage>,
    /// Budget, authority, need, timeline: (known, note) when the file says.
    pub bant: [Option<(bool, String)>; 4],
}

impl Record {
    /// A stable fingerprint of what the file says (FNV-1a), to tell unchanged rows apart.
    pub fn fingerprint(&self) -> String {
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
    let columns = resolve_columns(&table.headers, mapping)?;
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

fn resolve_columns(
    headers: &[String],
    mapping: &Mapping,
) -> AppResult<BTreeMap<ContactField, usize>> {
    let mut names = default_mapping(headers);
    for (field, header) in &mapping.columns {
        if header.trim().is_empty() {
            names.remove(field);
        } else {
            names.insert(*field, header.clone());
        }
    }
    let mut columns = BTreeMap::new();
    for (field, header) in names {
        let i = headers.iter().position(|h| *h == header).ok_or_else(|| {
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
pub struct Cleaner<'a> {
    columns: &'a BTreeMap<ContactField, usize>,
    headers: &'a [String],
    stages: &'a StageMap,
    team: &'a Team,
    now: DateTime<Utc>,
}

impl Cleaner<'_> {
    fn header(&self, f: ContactField) -> String {
        self.columns
            .get(&f)
            .map(|i| self.headers[*i].clone())
            .unwrap_or_else(|| f.as_str().to_string())
    }

    pub fn external_id_header(&self) -> String {
        self.header(ContactField::ExternalId)
    }

    pub fn email_header(&self) -> String {
        self.header(ContactField::Email)
    }

    /// Cleans one row: its record, or `None` with its errors (and the status values and
    /// owners it could not place) added to `out`.
    pub fn clean_row(&self, row: u32, r: &csv::StringRecord, out: &mut Planned) -> Option<Record> {
        let cell = |f: ContactField| self.columns.get(&f).and_then(|i| r.get(*i)).and_then(clean);
        let text = |f: ContactField| cell(f).map(str::to_string);
        let mut errors = Vec::new();
        let mut fail = |f: ContactField, message: String| {
            errors.push(RowError {
                row,
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
            out.rejected.insert(row);
            out.errors.extend(errors);
            return None;
        }
        Some(Record {
            row,
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
        })
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

#[allow(clippy::too_many_arguments)]
/// Imports a contacts file inside the caller's transaction. Nothing is written for a dry
/// run, and the caller commits only when the summary says `written` (an all-or-nothing
/// import with rejected rows is rolled back with whatever it had already written).
pub async fn import(
    conn: &mut Conn,
    bytes: &[u8],
    mapping: &Mapping,
    mode: ImportMode,
    dry_run: bool,
    progress: &Progress<'_>,
    now: DateTime<Utc>,
    signer: &Signer,
) -> AppResult<ImportSummary> {
    let rows = csv_table::Rows::open(bytes)?;
    let bulk_id = new_id();
    let headers = rows.headers.clone();
    let columns = resolve_columns(&headers, mapping)?;
    let pb = PlaybookHistory::load(&mut *conn).await?;
    let stages = StageMap::new(&pb, mapping)?;
    let team = load_team(&mut *conn).await?;
    let stored = Stored::load(&mut *conn).await?;
    let total = rows.estimate();
    let plan = Plan {
        cleaner: Cleaner {
            columns: &columns,
            headers: &headers,
            stages: &stages,
            team: &team,
            now,
        },
        pb: &pb,
        stored,
        write: !dry_run,
        all_or_nothing: mode == ImportMode::AllOrNothing,
        now,
        bulk_id: &bulk_id,
    };
    let set_aside = if dry_run {
        SetAside::default()
    } else {
        SetAside::for_load(conn, &["contacts", "handoff_events"], total as usize).await?
    };
    let planned = {
        let bulk = Bulk::lock(&mut *conn).await?;
        contacts_load::run(&bulk, plan, rows, progress, total)?
    };
    let mut summary = ImportSummary {
        dialect: detect_dialect(&headers).to_string(),
        rows_read: planned.rows_read,
        dry_run,
        errors: planned.errors,
        rejected: planned.rejected.len() as u32,
        created: planned.created,
        updated: planned.updates.len() as u32,
        unchanged: planned.unchanged,
        unmapped_statuses: planned.unmapped.into_iter().collect(),
        unmatched_owners: planned.unmatched.into_iter().collect(),
        written: false,
    };
    summary.errors.sort_by_key(|e| e.row);
    if dry_run {
        return Ok(summary);
    }
    if mode == ImportMode::AllOrNothing && summary.rejected > 0 {
        summary.created = 0;
        summary.updated = 0;
        summary.unchanged = 0;
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
    contacts_load::update(conn, &pb, planned.updates, now).await?;
    progress.check(total, total)?;
    summary.written = true;
    Ok(summary)
}

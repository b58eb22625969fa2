//! Imports from what teams really have: CRM and marketing-automation CSV exports of
//! contacts, handoff events and activities. Every rejected row is reported with its row,
//! column and reason; the whole import is one transaction, cancellable, all or nothing
//! or the valid rows only.
pub mod accounts;
pub mod contacts;
mod contacts_load;
pub mod csv_table;
pub mod dates;
pub mod dialects;
pub mod fields;
pub mod history;
pub mod identity;
pub mod opportunities;
pub mod run;
pub mod values;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::error::{AppError, AppResult, ErrorCode};
pub use dates::{DateChoice, DateOrder};
pub use dialects::Source;
pub use fields::{ColumnUse, ContactField, FieldInfo};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "kebab-case")]
pub enum ImportMode {
    /// Any rejected row stops the import; nothing is written.
    #[default]
    AllOrNothing,
    /// The valid rows are imported; the rejected ones are reported.
    ValidRows,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct RowError {
    /// The spreadsheet row: the header is row 1, the first record row 2.
    pub row: u32,
    pub column: String,
    pub message: String,
}

/// What to do with a row whose id and email point at different people.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "kebab-case")]
pub enum OnConflict {
    /// Report the row and write nothing for it.
    #[default]
    Report,
    /// The email says who the person is.
    PreferEmail,
    /// The source system's id says who the person is (their email changed there).
    PreferId,
}

/// A row whose id and email point at different people, or whose id belongs to someone
/// with another email: never an overwrite unless the import was told which to trust.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Conflict {
    pub row: u32,
    /// The columns that disagree (the id's and the email's).
    pub columns: Vec<String>,
    pub message: String,
    /// The contacts involved: the one the id names, the one the email names.
    pub contact_ids: Vec<String>,
    /// What was done: `reported` (nothing written), `email` or `id` (the one trusted).
    pub resolution: String,
}

/// Contacts that share an email but are different records in the source system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PossibleDuplicate {
    pub email: String,
    /// The rows of this file that carry the email.
    pub rows: Vec<u32>,
}

/// A stored contact whose status in the file no longer matches its stage in the log (the
/// log owns the stage once it has taken over; the difference is reported, not applied).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct StatusDiffers {
    pub row: u32,
    pub contact_id: String,
    /// The status as the file writes it, and the stage it maps to.
    pub status: String,
    pub file_stage: String,
    /// The contact's stage in Playbook.
    pub stage: String,
}

/// What happened to a primary contact's lifecycle when an opportunity was imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct LifecycleNote {
    pub row: u32,
    pub contact_id: String,
    /// `converted`, `won` or `lost`.
    pub event: String,
    /// `recorded`, `already` (the log has it), or why it was not recorded.
    pub outcome: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ImportSummary {
    /// The system that wrote the file, as people know it ("Zoho CRM", "Spreadsheet").
    pub dialect: String,
    /// Where the file's ids come from (system and record type).
    pub source: Option<Source>,
    pub rows_read: u32,
    pub created: u32,
    pub updated: u32,
    pub unchanged: u32,
    pub rejected: u32,
    pub errors: Vec<RowError>,
    /// Which column fed which field, and the columns nothing reads.
    pub mapping: Vec<ColumnUse>,
    pub unmapped_columns: Vec<String>,
    /// How each date column was read (day/month order, zone, two-digit years).
    pub dates: Vec<DateChoice>,
    /// Status values that map to no stage: those contacts entered the first stage.
    pub unmapped_statuses: Vec<String>,
    /// Owners named in the file who are not on the team: kept on the records, resolved
    /// as soon as the member exists.
    pub unmatched_owners: Vec<String>,
    pub conflicts: Vec<Conflict>,
    /// Rows matched to a stored contact by email that had no id from this source yet
    /// (a converted lead's contact record, say): linked, not duplicated.
    pub linked: u32,
    pub possible_duplicates: Vec<PossibleDuplicate>,
    pub status_differs: Vec<StatusDiffers>,
    pub accounts_created: u32,
    pub accounts_updated: u32,
    /// Opportunities: what their primary contacts' lifecycles did.
    pub lifecycle: Vec<LifecycleNote>,
    /// Anything else worth knowing that did not stop a row.
    pub warnings: Vec<String>,
    pub dry_run: bool,
    /// Whether anything was written (false for a dry run or a refused all-or-nothing import).
    pub written: bool,
}

/// How the columns of a file map onto Playbook's fields, its values onto stages, reasons
/// and kinds, and how its ids and dates are to be read. What is not given is recognised
/// automatically. Field names and headers are compared case-insensitively.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase", default)]
pub struct Mapping {
    /// Field name → the header of the column it is read from ("" for none).
    pub columns: BTreeMap<String, String>,
    /// Status value (as written in the file) → stage key.
    pub statuses: BTreeMap<String, String>,
    /// Reason as written in the file (a loss reason, a rejection reason) → reason key.
    pub reasons: BTreeMap<String, String>,
    /// Event or activity type as written in the file → Playbook's kind.
    pub kinds: BTreeMap<String, String>,
    /// Event type as written in the file → the channel of an attempt (phone, email, …).
    pub channels: BTreeMap<String, String>,
    /// The source system the file's ids belong to (overrides the guess).
    pub system: Option<String>,
    /// The kind of record the file holds: lead, contact, person… (overrides the guess).
    pub record_type: Option<String>,
    /// Day/month order for date columns whose values fit both.
    pub date_order: Option<DateOrder>,
    /// IANA time zone for times written without one (e.g. Europe/Berlin).
    pub timezone: Option<String>,
    /// Two-digit years are read as years from this one to this one + 99.
    pub year_pivot: Option<i32>,
}

impl Mapping {
    /// Reads a mapping file (TOML: `[columns] field = "Header"`, `[statuses] "Value" =
    /// "stage"`, `[reasons]`, `[kinds]`, `[channels]`, and `system`, `record_type`,
    /// `date_order`, `timezone`, `year_pivot`).
    pub fn from_toml(text: &str) -> AppResult<Mapping> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct File {
            #[serde(default)]
            columns: BTreeMap<String, String>,
            #[serde(default)]
            statuses: BTreeMap<String, String>,
            #[serde(default)]
            reasons: BTreeMap<String, String>,
            #[serde(default)]
            kinds: BTreeMap<String, String>,
            #[serde(default)]
            channels: BTreeMap<String, String>,
            system: Option<String>,
            record_type: Option<String>,
            date_order: Option<String>,
            timezone: Option<String>,
            year_pivot: Option<i32>,
        }
        let f: File = toml::from_str(text)
            .map_err(|e| AppError::invalid("mapping", format!("mapping file: {}", e.message())))?;
        let date_order = match f.date_order.as_deref() {
            None => None,
            Some(t) => Some(DateOrder::parse(t).ok_or_else(|| {
                AppError::invalid(
                    "mapping",
                    format!("mapping file: date_order '{t}' is not an order; use \"dmy\" (15/04/2021) or \"mdy\" (04/15/2021)"),
                )
            })?),
        };
        let m = Mapping {
            columns: f.columns,
            statuses: f.statuses,
            reasons: f.reasons,
            kinds: f.kinds,
            channels: f.channels,
            system: f.system,
            record_type: f.record_type,
            date_order,
            timezone: f.timezone,
            year_pivot: f.year_pivot,
        };
        m.check()?;
        Ok(m)
    }

    /// Refuses values no import could use: an unknown time zone, a pivot outside 1900–2100.
    pub fn check(&self) -> AppResult<()> {
        if let Some(z) = &self.timezone {
            z.parse::<chrono_tz::Tz>().map_err(|_| {
                AppError::invalid(
                    "mapping",
                    format!("mapping: timezone '{z}' is not an IANA time zone (e.g. Europe/Berlin, America/New_York)"),
                )
            })?;
        }
        if let Some(p) = self.year_pivot {
            if !(1900..=2100).contains(&p) {
                return Err(AppError::invalid(
                    "mapping",
                    format!(
                        "mapping: year_pivot {p} must be a year between 1900 and 2100 (e.g. 1950)"
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// What the summary says about rows with nothing in them, if there were any.
pub fn blank_note(blank: u32) -> Option<String> {
    (blank > 0).then(|| {
        format!("{blank} rows with every cell empty were skipped (not counted as rows read)")
    })
}

/// Reports progress and carries the cancel flag of a long import.
pub struct Progress<'a> {
    pub cancel: &'a AtomicBool,
    pub report: &'a (dyn Fn(u32, u32) + Sync),
}

impl Progress<'_> {
    pub fn check(&self, done: u32, total: u32) -> AppResult<()> {
        (self.report)(done, total);
        if self.cancel.load(Ordering::Relaxed) {
            Err(AppError::new(
                ErrorCode::Cancelled,
                "the import was cancelled; nothing was written",
            ))
        } else {
            Ok(())
        }
    }
}

/// A progress that never cancels and reports nothing.
pub fn quiet() -> (AtomicBool, impl Fn(u32, u32) + Sync) {
    (AtomicBool::new(false), |_, _| {})
}

//! Imports from what teams really have: CRM and marketing-automation CSV exports of
//! contacts, handoff events and activities. Every rejected row is reported with its row,
//! column and reason; the whole import is one transaction, cancellable, all or nothing
//! or the valid rows only.
pub mod contacts;
mod contacts_load;
pub mod csv_table;
pub mod dialects;
pub mod history;
pub mod values;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::error::{AppError, AppResult, ErrorCode};
pub use dialects::ContactField;

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

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ImportSummary {
    pub dialect: String,
    pub rows_read: u32,
    pub created: u32,
    pub updated: u32,
    pub unchanged: u32,
    pub rejected: u32,
    pub errors: Vec<RowError>,
    /// Status values that map to no stage: those contacts entered the first stage.
    pub unmapped_statuses: Vec<String>,
    /// Owners named in the file who are not on the team: those contacts have no owner.
    pub unmatched_owners: Vec<String>,
    pub dry_run: bool,
    /// Whether anything was written (false for a dry run or a refused all-or-nothing import).
    pub written: bool,
}

/// How the columns of a contacts file map onto Playbook's fields, and its status values
/// onto lifecycle stages. What is not given is recognised automatically.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase", default)]
pub struct Mapping {
    pub columns: BTreeMap<ContactField, String>,
    /// Status value (as written in the file) → stage key.
    pub statuses: BTreeMap<String, String>,
}

impl Mapping {
    /// Reads a mapping file (TOML: `[columns]` field = "Header", `[statuses]` "Value" = "stage").
    pub fn from_toml(text: &str) -> AppResult<Mapping> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct File {
            #[serde(default)]
            columns: BTreeMap<String, String>,
            #[serde(default)]
            statuses: BTreeMap<String, String>,
        }
        let f: File = toml::from_str(text)
            .map_err(|e| AppError::invalid("mapping", format!("mapping file: {}", e.message())))?;
        let mut columns = BTreeMap::new();
        for (field, header) in f.columns {
            let key = ContactField::parse(&field).ok_or_else(|| {
                let all: Vec<&str> = ContactField::ALL.iter().map(|f| f.as_str()).collect();
                AppError::invalid(
                    "mapping",
                    format!(
                        "mapping file: '{field}' is not a field; use one of {}",
                        all.join(", ")
                    ),
                )
            })?;
            columns.insert(key, header);
        }
        Ok(Mapping {
            columns,
            statuses: f.statuses,
        })
    }
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

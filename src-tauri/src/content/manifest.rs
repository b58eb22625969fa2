//! `playbook content import MANIFEST.csv`: many assets at once from a spreadsheet beside a
//! folder of files. Each row names a file (relative to the manifest's folder, never
//! outside it) or a URL, and the asset's fields; every rejected row is reported with its
//! row, column and reason, as the contacts import does, and the rows are written in one
//! transaction (all or nothing, or the valid rows only).
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{AssetFields, AssetSource, AssetStatus};
use crate::error::{AppError, AppResult};
use crate::imports::csv_table;
use crate::imports::{ImportMode, ImportSummary, RowError};

/// One manifest row, read and resolved (its file not yet stored).
pub struct Row {
    pub row: u32,
    pub file: Option<PathBuf>,
    pub fields: AssetFields,
    pub owner_email: Option<String>,
}

const COLUMNS: [&str; 12] = [
    "file",
    "url",
    "title",
    "kind",
    "summary",
    "stages",
    "personas",
    "risks",
    "industries",
    "languages",
    "owner",
    "status",
];

fn list(cell: &str) -> Vec<String> {
    cell.split([';', '|', ','])
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Reads a manifest: the rows that are well formed, and the errors of the others. A file
/// path must stay inside `folder` (the manifest's own): `../` and absolute paths, and links
/// that lead out of it, are refused.
pub fn read(bytes: &[u8], folder: &Path) -> AppResult<(Vec<Row>, Vec<RowError>, u32)> {
    let table = csv_table::read(bytes)?;
    let col = |name: &str| {
        table
            .headers
            .iter()
            .position(|h| crate::leads::norm(h) == crate::leads::norm(name))
    };
    let cols: HashMap<&str, Option<usize>> = COLUMNS
        .iter()
        .chain(["review_by"].iter())
        .map(|c| (*c, col(c)))
        .collect();
    if cols["title"].is_none()
        || cols["kind"].is_none()
        || (cols["file"].is_none() && cols["url"].is_none())
    {
        return Err(AppError::invalid(
            "file",
            format!(
                "manifest: needs the columns title, kind and file or url (found: {})",
                table.headers.join(", ")
            ),
        ));
    }
    let root = folder
        .canonicalize()
        .map_err(|e| AppError::io(format!("cannot read {}: {e}", folder.display())))?;
    let mut rows = Vec::new();
    let mut errors: Vec<RowError> = table
        .broken
        .iter()
        .map(|(row, message)| RowError {
            row: *row,
            column: String::new(),
            message: message.clone(),
        })
        .collect();
    let read_rows = (table.rows.len() + table.broken.len()) as u32;
    for (row, rec) in &table.rows {
        let cell = |name: &str| -> String {
            cols.get(name)
                .copied()
                .flatten()
                .and_then(|i| rec.get(i))
                .unwrap_or("")
                .trim()
                .to_string()
        };
        let fail = |column: &str, message: String| RowError {
            row: *row,
            column: column.into(),
            message,
        };
        let (file, url) = (cell("file"), cell("url"));
        let source_file = match (file.is_empty(), url.is_empty()) {
            (false, true) => match inside(&root, &file) {
                Ok(p) => Some(p),
                Err(m) => {
                    errors.push(fail("file", m));
                    continue;
                }
            },
            (true, false) => None,
            (false, false) => {
                errors.push(fail("file", "give a file or a url, not both".into()));
                continue;
            }
            (true, true) => {
                errors.push(fail("file", "a file or a url is required".into()));
                continue;
            }
        };
        let status = match cell("status").as_str() {
            "" => AssetStatus::Published,
            s => match AssetStatus::parse("status", s) {
                Ok(s) => s,
                Err(e) => {
                    errors.push(fail("status", e.message));
                    continue;
                }
            },
        };
        let owner = cell("owner");
        rows.push(Row {
            row: *row,
            file: source_file.clone(),
            owner_email: (!owner.is_empty()).then_some(owner),
            fields: AssetFields {
                title: cell("title"),
                kind: cell("kind"),
                summary: cell("summary"),
                stages: list(&cell("stages")),
                personas: list(&cell("personas")),
                risks: list(&cell("risks")),
                industries: list(&cell("industries")),
                languages: list(&cell("languages")),
                owner_id: None,
                status,
                review_by: Some(cell("review_by")).filter(|d| !d.is_empty()),
                source: match source_file {
                    Some(p) => AssetSource::File {
                        sha256: String::new(),
                        name: super::blobs::display_name(&p.to_string_lossy()),
                        size: 0,
                        media_type: String::new(),
                    },
                    None => AssetSource::Link { url },
                },
            },
        });
    }
    Ok((rows, errors, read_rows))
}

/// `file`, resolved inside `root`, or why not.
fn inside(root: &Path, file: &str) -> Result<PathBuf, String> {
    let given = Path::new(file);
    if given.is_absolute() {
        return Err(format!(
            "'{file}' is an absolute path; name files relative to the manifest's folder"
        ));
    }
    let path = root
        .join(given)
        .canonicalize()
        .map_err(|_| format!("'{file}' does not exist in the manifest's folder"))?;
    if !path.starts_with(root) {
        return Err(format!(
            "'{file}' leads outside the manifest's folder; it is not read"
        ));
    }
    if !path.is_file() {
        return Err(format!("'{file}' is not a file"));
    }
    Ok(path)
}

/// The summary, once the rows were tried (mode decides whether any was written).
pub fn summary(
    read_rows: u32,
    created: u32,
    errors: Vec<RowError>,
    mode: ImportMode,
) -> ImportSummary {
    let mut errors = errors;
    errors.sort_by_key(|e| e.row);
    let rejected = errors
        .iter()
        .map(|e| e.row)
        .collect::<std::collections::BTreeSet<_>>()
        .len() as u32;
    let written = !(mode == ImportMode::AllOrNothing && rejected > 0);
    ImportSummary {
        dialect: "content manifest".into(),
        rows_read: read_rows,
        created: if written { created } else { 0 },
        rejected,
        errors,
        written,
        ..ImportSummary::default()
    }
}

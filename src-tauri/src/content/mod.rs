//! The content library: assets (files in a content-addressed store, or links) tagged with
//! the agreed taxonomy, found by facets and full-text search, recommended for a contact,
//! sent and tracked as signed activities, and the library's health (coverage, staleness,
//! what was sent before contacts moved forward).
pub mod bench;
pub mod blobs;
pub mod demo;
pub mod extract;
pub mod health;
pub mod highlight;
pub mod manifest;
pub mod ops;
pub mod raw;
pub mod recommend;
pub mod records;
pub mod risks;
pub mod search;
pub mod send;
pub mod taxonomy;
pub mod write;

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum AssetStatus {
    /// Being written or reviewed; only its authors and marketing see it by default.
    Draft,
    /// What reps see and send.
    Published,
    /// Kept for the history of what was sent, no longer offered.
    Retired,
}

impl AssetStatus {
    pub const ALL: [AssetStatus; 3] = [
        AssetStatus::Draft,
        AssetStatus::Published,
        AssetStatus::Retired,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            AssetStatus::Draft => "draft",
            AssetStatus::Published => "published",
            AssetStatus::Retired => "retired",
        }
    }
    pub fn parse(field: &str, text: &str) -> AppResult<AssetStatus> {
        let t = text.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == t)
            .ok_or_else(|| {
                AppError::invalid(
                    field,
                    format!("{field}: '{text}' is not a status; use draft, published or retired"),
                )
            })
    }
}

/// Where an asset's content is: a file in the store (named by its SHA-256), or a link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AssetSource {
    #[serde(rename_all = "camelCase")]
    File {
        sha256: String,
        /// The original file name, for display only (never a path).
        name: String,
        /// Bytes (files larger than 2 GiB are not stored).
        size: u32,
        /// Sniffed from the content, not the name.
        media_type: String,
    },
    Link {
        url: String,
    },
}

/// What a member writes about an asset: every state of an asset is one signed record of
/// these fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct AssetFields {
    pub title: String,
    /// An asset kind key from the agreed taxonomy.
    pub kind: String,
    #[serde(default)]
    pub summary: String,
    /// Buying stage keys from the agreed taxonomy.
    #[serde(default)]
    pub stages: Vec<String>,
    /// Persona keys.
    #[serde(default)]
    pub personas: Vec<String>,
    /// Risk point keys (`competitor:acme`, `budget`…).
    #[serde(default)]
    pub risks: Vec<String>,
    /// Free tags: industries the asset speaks to ("Manufacturing").
    #[serde(default)]
    pub industries: Vec<String>,
    /// Languages, as ISO 639-1 codes ("en", "de").
    #[serde(default)]
    pub languages: Vec<String>,
    pub owner_id: Option<String>,
    pub status: AssetStatus,
    /// The date (YYYY-MM-DD) by which the asset must be reviewed.
    pub review_by: Option<String>,
    pub source: AssetSource,
}

/// One file (or link) an asset has had.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct AssetVersion {
    pub number: i32,
    pub sha256: Option<String>,
    pub file_name: Option<String>,
    pub file_size: Option<i32>,
    pub media_type: Option<String>,
    pub url: Option<String>,
    pub added_at: String,
    pub added_by: Option<String>,
}

/// An asset as the library shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Asset {
    pub id: String,
    pub fields: AssetFields,
    pub owner_name: Option<String>,
    /// How many files (or links) it has had.
    pub version: u32,
    pub created_at: String,
    pub updated_at: String,
    /// Whether the text inside the file is searchable: indexed, truncated, none, failed: …
    pub text_status: Option<String>,
}

/// An asset with its history and how often it was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct AssetDetail {
    pub asset: Asset,
    pub versions: Vec<AssetVersion>,
    pub sends: u32,
    /// Whether the person asking may publish or retire it (the backend's rule, rendered).
    pub you_may_publish: bool,
}

/// A file just put into the store (from the picker, a drop or the CLI), before an asset
/// names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct StoredFile {
    pub sha256: String,
    pub name: String,
    pub size: u32,
    pub media_type: String,
    /// False when the same bytes were already in the store (stored once).
    pub new: bool,
    pub text_status: String,
    /// When the name's extension says something other than the content (a `.pdf` that
    /// is a PNG): what the content really is.
    pub warning: Option<String>,
}

/// A key and its name in the agreed taxonomy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Named {
    pub key: String,
    pub name: String,
}

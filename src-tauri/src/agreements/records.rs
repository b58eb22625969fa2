//! Signed playbook records as stored and as they travel (in the playbook file, and later
//! through sync): versions signed by their author, sign-offs signed by a manager, with
//! the canonical hashes those signatures cover.
use serde::{Deserialize, Serialize};

use super::{AgreementBody, AgreementKind, SignoffAction};
use crate::trust::canon::Canon;

/// A version as written by its author.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct VersionRecord {
    pub id: String,
    pub item_id: String,
    pub kind: String,
    pub key: String,
    pub name: String,
    /// The body as stored (JSON).
    pub body: String,
    pub summary: String,
    pub effective_from: Option<String>,
    /// Hash of the version in force when this one was proposed.
    pub supersedes: Option<String>,
    pub author_id: Option<String>,
    pub created_at: String,
    pub hash: Option<String>,
    pub signature: Option<String>,
}

/// The body in its canonical JSON form (what the hash covers), or None if unreadable.
pub fn canonical_body(body: &str) -> Option<String> {
    let parsed: AgreementBody = serde_json::from_str(body).ok()?;
    serde_json::to_string(&parsed).ok()
}

impl VersionRecord {
    /// The hash the author signs: kind, key, name, body, summary, effective time, the
    /// version it supersedes, author and time. None when the body is unreadable.
    pub fn computed_hash(&self) -> Option<String> {
        let body = canonical_body(&self.body)?;
        Some(
            Canon::new("version/v1")
                .text(&self.id)
                .text(&self.kind)
                .text(&self.key)
                .text(&self.name)
                .text(&body)
                .text(&self.summary)
                .opt(self.effective_from.as_deref())
                .opt(self.supersedes.as_deref())
                .opt(self.author_id.as_deref())
                .text(&self.created_at)
                .finish(),
        )
    }

    pub fn kind(&self) -> Option<AgreementKind> {
        AgreementKind::parse(&self.kind).ok()
    }
}

/// An approval or decline of a version, signed by a manager.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct SignoffRecord {
    pub id: String,
    pub version_id: String,
    pub action: SignoffAction,
    pub member_id: Option<String>,
    pub comment: String,
    pub at: String,
    pub hash: Option<String>,
    pub signature: Option<String>,
}

impl SignoffRecord {
    /// The hash the signer signs, binding the sign-off to the version's own hash.
    pub fn computed_hash(&self, version_hash: &str) -> String {
        Canon::new("signoff/v1")
            .text(&self.id)
            .text(&self.version_id)
            .text(version_hash)
            .text(match self.action {
                SignoffAction::Proposed => "proposed",
                SignoffAction::Approved => "approved",
                SignoffAction::Declined => "declined",
                SignoffAction::Agreed => "agreed",
            })
            .opt(self.member_id.as_deref())
            .text(&self.comment)
            .text(&self.at)
            .finish()
    }
}

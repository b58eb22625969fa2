//! The whole agreed playbook, team included, as one readable TOML file: exported for review
//! under version control, imported into another data directory as new versions.
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use specta::Type;

use super::{
    store, AgreementBody, AgreementItem, AgreementKind, Proposal, ReasonBody, ScoringBody,
    StageBody, TermBody, VersionStatus,
};
use crate::db::Conn;
use crate::error::{AppError, AppResult};
use crate::team::{self, NewMember, Side};

pub const FORMAT: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaybookFile {
    pub format: u32,
    #[serde(default)]
    pub members: Vec<NewMember>,
    #[serde(default)]
    pub stages: Vec<Entry<StageBody>>,
    #[serde(default)]
    pub terms: Vec<Entry<TermBody>>,
    #[serde(default)]
    pub reasons: Vec<Entry<ReasonBody>>,
    #[serde(default)]
    pub scoring: Vec<Entry<ScoringBody>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry<B> {
    pub key: String,
    pub name: String,
    #[serde(flatten)]
    pub body: B,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ImportSummary {
    pub members_added: u32,
    pub versions_proposed: u32,
    pub versions_agreed: u32,
    pub unchanged: u32,
}

/// The agreed playbook in force at `at`, and the team.
pub async fn snapshot(conn: &mut Conn, at: DateTime<Utc>) -> AppResult<PlaybookFile> {
    let mut file = PlaybookFile {
        format: FORMAT,
        members: team::store::list(&mut *conn)
            .await?
            .into_iter()
            .map(|m| NewMember {
                email: m.email,
                name: m.name,
                side: m.side,
                role: m.role,
            })
            .collect(),
        stages: vec![],
        terms: vec![],
        reasons: vec![],
        scoring: vec![],
    };
    for item in store::load_items(conn, None, at).await? {
        let Some(v) = item.in_force else { continue };
        let (key, name) = (item.key, v.name);
        match v.body {
            AgreementBody::Stage(body) => file.stages.push(Entry { key, name, body }),
            AgreementBody::Term(body) => file.terms.push(Entry { key, name, body }),
            AgreementBody::Reason(body) => file.reasons.push(Entry { key, name, body }),
            AgreementBody::Scoring(body) => file.scoring.push(Entry { key, name, body }),
        }
    }
    Ok(file)
}

pub fn to_toml(file: &PlaybookFile) -> String {
    let body = toml::to_string_pretty(file).expect("a playbook serialises to TOML");
    format!(
        "# Playbook: the agreed lead definitions of marketing and sales.\n\
         # Import with `playbook import-playbook FILE --signed-by MARKETING_MANAGER,SALES_MANAGER`.\n\n{body}"
    )
}

pub fn from_toml(text: &str) -> AppResult<PlaybookFile> {
    let file: PlaybookFile = toml::from_str(text).map_err(|e| {
        let span = e
            .span()
            .map(|s| format!(" (line {})", text[..s.start].lines().count().max(1)))
            .unwrap_or_default();
        AppError::invalid(
            "file",
            format!("not a playbook file{span}: {}", e.message()),
        )
    })?;
    if file.format != FORMAT {
        return Err(AppError::invalid(
            "format",
            format!(
                "format {} is not supported; this Playbook reads format {FORMAT}",
                file.format
            ),
        ));
    }
    Ok(file)
}

/// Writes the in-force playbook to `path`.
pub async fn export(conn: &mut Conn, path: &Path, at: DateTime<Utc>) -> AppResult<PlaybookFile> {
    let file = snapshot(conn, at).await?;
    std::fs::write(path, to_toml(&file))
        .map_err(|e| AppError::io(format!("cannot write {}: {e}", path.display())))?;
    Ok(file)
}

/// Brings a playbook file in: adds missing team members, proposes a new version of every
/// entry that differs from what is in force, and, when `signers` name a manager of each
/// side, signs them off. Run it inside one transaction: it stops at the first refusal.
pub async fn import(
    conn: &mut Conn,
    file: &PlaybookFile,
    signers: &[String],
    at: DateTime<Utc>,
) -> AppResult<ImportSummary> {
    let mut summary = ImportSummary {
        members_added: 0,
        versions_proposed: 0,
        versions_agreed: 0,
        unchanged: 0,
    };
    for (i, m) in file.members.iter().enumerate() {
        let m = m.validated().map_err(|e| AppError {
            message: format!("members[{}]: {}", i + 1, e.message),
            ..e
        })?;
        if team::store::find_by_email(&mut *conn, &m.email)
            .await?
            .is_none()
        {
            team::store::add(&mut *conn, &m, at).await?;
            summary.members_added += 1;
        }
    }
    let mut signer_ids = Vec::new();
    for email in signers.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let m = team::store::by_email(&mut *conn, email).await?;
        if !m.is_manager() {
            return Err(AppError::not_allowed(format!(
                "--signed-by: {} is a {} {}, not a manager",
                m.email,
                m.side.as_str(),
                m.role.as_str()
            )));
        }
        signer_ids.push(m);
    }
    if !signer_ids.is_empty() {
        for side in Side::ALL {
            if !signer_ids.iter().any(|m| m.side == side) {
                return Err(AppError::invalid(
                    "signedBy",
                    format!("--signed-by must name a {} manager too", side.as_str()),
                ));
            }
        }
    }
    let author = signer_ids.first().map(|m| m.id.clone());

    let stage_keys: Vec<String> = file.stages.iter().map(|e| e.key.clone()).collect();
    let entries = file
        .stages
        .iter()
        .map(|e| (&e.key, &e.name, AgreementBody::Stage(e.body.clone())))
        .chain(
            file.terms
                .iter()
                .map(|e| (&e.key, &e.name, AgreementBody::Term(e.body.clone()))),
        )
        .chain(
            file.reasons
                .iter()
                .map(|e| (&e.key, &e.name, AgreementBody::Reason(e.body.clone()))),
        )
        .chain(
            file.scoring
                .iter()
                .map(|e| (&e.key, &e.name, AgreementBody::Scoring(e.body.clone()))),
        );
    for (key, name, body) in entries {
        let label = format!("{}/{}", body.kind().as_str(), key);
        let in_context = |e: AppError| AppError {
            message: format!("{label}: {}", e.message),
            ..e
        };
        let existing = find(conn, body.kind(), key, at).await?;
        if existing
            .as_ref()
            .and_then(|i| i.in_force.as_ref())
            .is_some_and(|v| v.name == name.trim() && v.body == body)
        {
            summary.unchanged += 1;
            continue;
        }
        let proposal = Proposal {
            item_id: existing.map(|i| i.id),
            key: Some(key.clone()),
            name: name.clone(),
            body,
            summary: "Imported from a playbook file".into(),
            effective_from: None,
        };
        let mut version =
            store::propose_with_known_stages(conn, &proposal, author.as_deref(), at, &stage_keys)
                .await
                .map_err(in_context)?;
        summary.versions_proposed += 1;
        for signer in &signer_ids {
            if version.status != VersionStatus::Proposed {
                break;
            }
            version = store::approve(conn, &version.id, &signer.id, "Signed off on import", at)
                .await
                .map_err(in_context)?;
        }
        if version.status != VersionStatus::Proposed {
            summary.versions_agreed += 1;
        }
    }
    Ok(summary)
}

async fn find(
    conn: &mut Conn,
    kind: AgreementKind,
    key: &str,
    at: DateTime<Utc>,
) -> AppResult<Option<AgreementItem>> {
    match store::resolve_item(conn, &format!("{}/{}", kind.as_str(), key), at).await {
        Ok(item) => Ok(Some(item)),
        Err(e) if e.code == crate::error::ErrorCode::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

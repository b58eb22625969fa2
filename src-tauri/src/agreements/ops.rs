//! The playbook operations the window and the CLI call: each one transaction, as of now.
use chrono::Utc;

use super::diff::{compare, VersionDiff};
use super::file::{self, ImportSummary, PlaybookFile};
use super::rules::check_signoff;
use super::{store, AgreementItem, AgreementKind, AgreementVersion, Proposal, VersionStatus};
use crate::db::{self, Db};
use crate::error::AppResult;
use crate::trust::Signer;

/// The playbook; with a `viewer` (a member id), each version says whether they may sign it.
pub async fn list(
    db: &Db,
    kind: Option<AgreementKind>,
    viewer: Option<&str>,
) -> AppResult<Vec<AgreementItem>> {
    let mut conn = db.acquire().await?;
    let mut items = store::load_items(&mut conn, kind, Utc::now()).await?;
    let viewer = match viewer {
        Some(id) => Some(crate::team::store::get(&mut conn, id).await?),
        None => None,
    };
    for item in &mut items {
        for v in item.versions.iter_mut().chain(item.pending.iter_mut()) {
            let check = match &viewer {
                Some(m) => check_signoff(v, m, false).map_err(|e| e.message),
                None => Err("Unlock with your passphrase to sign".to_string()),
            };
            v.you_may_sign = check.is_ok();
            v.sign_blocker = check.err();
        }
    }
    Ok(items)
}

pub async fn item(db: &Db, reference: &str) -> AppResult<AgreementItem> {
    store::resolve_item(&mut *db.acquire().await?, reference, Utc::now()).await
}

pub async fn version(db: &Db, reference: &str) -> AppResult<AgreementVersion> {
    store::resolve_version(&mut *db.acquire().await?, reference, Utc::now()).await
}

/// Proposes a new version, signed by its author.
pub async fn propose(db: &Db, proposal: &Proposal, author: &Signer) -> AppResult<AgreementVersion> {
    let mut tx = db::write(db).await?;
    let v = store::propose(&mut tx, proposal, author, Utc::now()).await?;
    tx.commit().await?;
    Ok(v)
}

/// Signs a version off. A scoring model that takes force now rebuilds the cached scores in
/// the same transaction, so the list and the contact page never disagree.
pub async fn approve(
    db: &Db,
    version: &str,
    signer: &Signer,
    comment: &str,
) -> AppResult<AgreementVersion> {
    let now = Utc::now();
    let mut tx = db::write(db).await?;
    let v = store::approve(&mut tx, version, signer, comment, now).await?;
    if v.kind == AgreementKind::Scoring && v.status == VersionStatus::InForce {
        crate::leads::rebuild::scores_if_stale(&mut tx, now).await?;
    }
    tx.commit().await?;
    Ok(v)
}

pub async fn decline(
    db: &Db,
    version: &str,
    signer: &Signer,
    comment: &str,
) -> AppResult<AgreementVersion> {
    let mut tx = db::write(db).await?;
    let v = store::decline(&mut tx, version, signer, comment, Utc::now()).await?;
    tx.commit().await?;
    Ok(v)
}

pub async fn diff(db: &Db, left: &str, right: &str) -> AppResult<VersionDiff> {
    let mut conn = db.acquire().await?;
    let now = Utc::now();
    let l = store::resolve_version(&mut conn, left, now).await?;
    let r = store::resolve_version(&mut conn, right, now).await?;
    let names: std::collections::HashMap<String, String> =
        store::load_items(&mut conn, Some(AgreementKind::Stage), now)
            .await?
            .into_iter()
            .map(|i| (i.key, i.name))
            .collect();
    compare(l, r, &|key| {
        names.get(key).cloned().unwrap_or_else(|| key.to_string())
    })
}

pub async fn export_file(db: &Db, path: &std::path::Path) -> AppResult<PlaybookFile> {
    file::export(&mut *db.acquire().await?, path, Utc::now()).await
}

/// Imports a parsed playbook file all or nothing; `signers` (members of this workspace who
/// proved themselves) sign what the file brings without valid signatures.
pub async fn import_file(
    db: &Db,
    parsed: &PlaybookFile,
    signers: &[Signer],
) -> AppResult<ImportSummary> {
    let now = Utc::now();
    let mut tx = db::write(db).await?;
    let summary = file::import(&mut tx, parsed, signers, now).await?;
    crate::leads::rebuild::scores_if_stale(&mut tx, now).await?;
    tx.commit().await?;
    Ok(summary)
}

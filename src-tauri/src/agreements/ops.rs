//! The playbook operations the window and the CLI call: each one transaction, as of now.
use chrono::Utc;

use super::diff::{compare, VersionDiff};
use super::file::{self, ImportSummary, PlaybookFile};
use super::{store, AgreementItem, AgreementKind, AgreementVersion, Proposal};
use crate::db::Db;
use crate::error::AppResult;

pub async fn list(db: &Db, kind: Option<AgreementKind>) -> AppResult<Vec<AgreementItem>> {
    store::load_items(&mut *db.acquire().await?, kind, Utc::now()).await
}

pub async fn item(db: &Db, reference: &str) -> AppResult<AgreementItem> {
    store::resolve_item(&mut *db.acquire().await?, reference, Utc::now()).await
}

pub async fn version(db: &Db, reference: &str) -> AppResult<AgreementVersion> {
    store::resolve_version(&mut *db.acquire().await?, reference, Utc::now()).await
}

pub async fn propose(
    db: &Db,
    proposal: &Proposal,
    author_id: Option<&str>,
) -> AppResult<AgreementVersion> {
    let mut tx = db.begin().await?;
    let v = store::propose(&mut tx, proposal, author_id, Utc::now()).await?;
    tx.commit().await?;
    Ok(v)
}

pub async fn approve(
    db: &Db,
    version: &str,
    signer_id: &str,
    comment: &str,
) -> AppResult<AgreementVersion> {
    let mut tx = db.begin().await?;
    let v = store::approve(&mut tx, version, signer_id, comment, Utc::now()).await?;
    tx.commit().await?;
    Ok(v)
}

pub async fn decline(
    db: &Db,
    version: &str,
    signer_id: &str,
    comment: &str,
) -> AppResult<AgreementVersion> {
    let mut tx = db.begin().await?;
    let v = store::decline(&mut tx, version, signer_id, comment, Utc::now()).await?;
    tx.commit().await?;
    Ok(v)
}

pub async fn diff(db: &Db, left: &str, right: &str) -> AppResult<VersionDiff> {
    let mut conn = db.acquire().await?;
    let now = Utc::now();
    let l = store::resolve_version(&mut conn, left, now).await?;
    let r = store::resolve_version(&mut conn, right, now).await?;
    compare(l, r)
}

pub async fn export_file(db: &Db, path: &std::path::Path) -> AppResult<PlaybookFile> {
    file::export(&mut *db.acquire().await?, path, Utc::now()).await
}

/// Imports a playbook file all or nothing.
pub async fn import_file(db: &Db, text: &str, signers: &[String]) -> AppResult<ImportSummary> {
    let parsed = file::from_toml(text)?;
    let mut tx = db.begin().await?;
    let summary = file::import(&mut tx, &parsed, signers, Utc::now()).await?;
    tx.commit().await?;
    Ok(summary)
}

//! The library operations the window and the CLI call: each one transaction where it
//! writes, file work (hashing, copying, text extraction) on a blocking thread first.
use std::path::{Path, PathBuf};

use chrono::Utc;

use super::blobs::{self, Store};
use super::health::{self, Health};
use super::manifest;
use super::recommend::{self, AccountFit, ContactFit};
use super::risks::{self, AccountRisk, RiskNote};
use super::search::{self, SearchQuery, SearchResults};
use super::send::{self, SendDraft, SendRequest};
use super::taxonomy::Taxonomy;
use super::write::{self, Writer};
use super::{Asset, AssetDetail, AssetFields, AssetSource, AssetVersion, StoredFile};
use crate::db::{self, Db};
use crate::error::{AppError, AppResult};
use crate::imports::{ImportMode, ImportSummary, RowError};
use crate::leads::Activity;
use crate::trust::Signer;

pub async fn taxonomy(db: &Db) -> AppResult<Taxonomy> {
    Taxonomy::load(&mut *db.acquire().await?, Utc::now()).await
}

/// Copies a file into the store (streamed, hashed, sniffed, its text pulled out) and
/// records it; the same bytes are stored once.
pub async fn store_file(db: &Db, data_dir: &Path, path: &Path) -> AppResult<StoredFile> {
    let (dir, src) = (data_dir.to_path_buf(), path.to_path_buf());
    let name = blobs::display_name(&path.to_string_lossy());
    let stored = tokio::task::spawn_blocking(move || put_and_extract(&dir, &src, &name))
        .await
        .map_err(|e| AppError::io(format!("storing the file stopped: {e}")))??;
    record(db, &stored.0, stored.1).await
}

/// [`store_file`] for bytes made in memory (the demo's files).
pub async fn store_bytes(
    db: &Db,
    data_dir: &Path,
    name: &str,
    bytes: Vec<u8>,
) -> AppResult<StoredFile> {
    let dir = data_dir.to_path_buf();
    let name = blobs::display_name(name);
    let stored = tokio::task::spawn_blocking(move || {
        let put = Store::of(&dir).put_bytes(&bytes)?;
        finish_put(put, &name)
    })
    .await
    .map_err(|e| AppError::io(format!("storing the file stopped: {e}")))??;
    record(db, &stored.0, stored.1).await
}

fn put_and_extract(
    data_dir: &Path,
    src: &Path,
    name: &str,
) -> AppResult<(StoredFile, super::extract::Extracted)> {
    let put = Store::of(data_dir).put_file(src)?;
    finish_put(put, name)
}

fn finish_put(put: blobs::Put, name: &str) -> AppResult<(StoredFile, super::extract::Extracted)> {
    let media_type = blobs::refine_text_type(&put.media_type, name);
    let text = super::extract::extract(&put.path, &media_type);
    Ok((
        StoredFile {
            warning: blobs::extension_warning(name, &media_type),
            sha256: put.sha256,
            name: name.to_string(),
            size: u32::try_from(put.size).unwrap_or(u32::MAX),
            media_type,
            new: put.new,
            text_status: text.status.clone(),
        },
        text,
    ))
}

async fn record(db: &Db, f: &StoredFile, text: super::extract::Extracted) -> AppResult<StoredFile> {
    let mut tx = db::write(db).await?;
    write::record_blob(
        &mut tx,
        &f.sha256,
        u64::from(f.size),
        &f.media_type,
        &text,
        Utc::now(),
    )
    .await?;
    // The blob may have been recorded before (with its first text): report that.
    let status: String =
        sqlx::query_scalar("SELECT text_status FROM content_blobs WHERE sha256 = ?")
            .bind(&f.sha256)
            .fetch_one(&mut *tx)
            .await?;
    tx.commit().await?;
    Ok(StoredFile {
        text_status: status,
        ..f.clone()
    })
}

/// Writes an asset (new when `asset_id` is None) as `signer`; returns it.
pub async fn save(
    db: &Db,
    asset_id: Option<&str>,
    fields: &AssetFields,
    signer: &Signer,
) -> AppResult<AssetDetail> {
    let now = Utc::now();
    let mut tx = db::write(db).await?;
    let tax = Taxonomy::load(&mut tx, now).await?;
    let mut w = Writer::new(&mut tx, &tax, signer, now).await?;
    let id = w.save(&mut tx, asset_id, fields).await?;
    let may_publish = w.may_publish();
    let detail = load_detail(&mut tx, &id, may_publish).await?;
    tx.commit().await?;
    Ok(detail)
}

/// Whether `signer` may publish and retire assets.
pub async fn may_publish(db: &Db, signer: &Signer) -> AppResult<bool> {
    let tax = Taxonomy::default();
    Ok(
        Writer::new(&mut *db.acquire().await?, &tax, signer, Utc::now())
            .await?
            .may_publish(),
    )
}

/// An asset with its versions; `viewer` (a member id) learns whether they may publish.
pub async fn get(db: &Db, id: &str, viewer: Option<&Signer>) -> AppResult<AssetDetail> {
    let mut conn = db.acquire().await?;
    let may = match viewer {
        Some(s) => {
            let tax = Taxonomy::default();
            Writer::new(&mut conn, &tax, s, Utc::now())
                .await?
                .may_publish()
        }
        None => false,
    };
    load_detail(&mut conn, id, may).await
}

/// body, created, updated, record id, owner name, version, text status.
type DetailRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    i64,
    Option<String>,
);

async fn load_detail(
    conn: &mut db::Conn,
    id: &str,
    you_may_publish: bool,
) -> AppResult<AssetDetail> {
    let row: Option<DetailRow> = sqlx::query_as(
        "SELECT r.body, a.created_at, a.updated_at, a.record_id, m.name, a.version, b.text_status
         FROM content_assets a JOIN content_records r ON r.id = a.record_id
         LEFT JOIN members m ON m.id = a.owner_id
         LEFT JOIN content_blobs b ON b.sha256 = a.sha256
         WHERE a.id = ? AND a.deleted_at IS NULL",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((body, created_at, updated_at, _, owner_name, version, text_status)) = row else {
        return Err(AppError::not_found(format!(
            "no content asset with id {id}"
        )));
    };
    let fields: AssetFields = serde_json::from_str(&body).map_err(|_| {
        AppError::new(
            crate::error::ErrorCode::Tampered,
            "the asset's record is unreadable",
        )
    })?;
    let versions: Vec<AssetVersion> = sqlx::query_as(
        "SELECT v.number, v.sha256, v.file_name, v.file_size, v.media_type, v.url, v.added_at, m.name AS added_by
         FROM content_versions v LEFT JOIN members m ON m.id = v.added_by
         WHERE v.asset_id = ? ORDER BY v.number DESC",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let sends: i64 = sqlx::query_scalar("SELECT count(*) FROM activities WHERE asset_id = ?")
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    Ok(AssetDetail {
        asset: Asset {
            id: id.to_string(),
            fields,
            owner_name,
            version: version as u32,
            created_at,
            updated_at,
            text_status,
        },
        versions,
        sends: sends as u32,
        you_may_publish,
    })
}

pub async fn search(db: &Db, q: &SearchQuery) -> AppResult<SearchResults> {
    search::search(&mut *db.acquire().await?, q, Utc::now()).await
}

pub async fn for_contact(db: &Db, contact_id: &str) -> AppResult<ContactFit> {
    recommend::for_contact(&mut *db.acquire().await?, contact_id, Utc::now()).await
}

pub async fn for_account(db: &Db, account_id: &str) -> AppResult<AccountFit> {
    recommend::for_account(&mut *db.acquire().await?, account_id, Utc::now()).await
}

pub async fn note_risk(
    db: &Db,
    account_id: &str,
    note: &RiskNote,
    signer: &Signer,
) -> AppResult<Vec<AccountRisk>> {
    let now = Utc::now();
    let mut tx = db::write(db).await?;
    let tax = Taxonomy::load(&mut tx, now).await?;
    let risks = risks::note(&mut tx, account_id, note, signer, now, &tax).await?;
    tx.commit().await?;
    Ok(risks)
}

/// The message for a send, signed off with the sender's name.
pub async fn draft(
    db: &Db,
    asset_id: &str,
    contact_id: &str,
    sender: Option<&Signer>,
) -> AppResult<SendDraft> {
    let mut conn = db.acquire().await?;
    let name = match sender {
        Some(s) => crate::team::store::get(&mut conn, &s.member_id).await?.name,
        None => String::new(),
    };
    send::draft(&mut conn, asset_id, contact_id, &name).await
}

/// Logs a send against the contact, signed by `signer` (offline too: nothing leaves).
pub async fn log_send(db: &Db, req: &SendRequest, signer: &Signer) -> AppResult<Activity> {
    let mut tx = db::write(db).await?;
    let a = send::log(&mut tx, req, signer, Utc::now()).await?;
    tx.commit().await?;
    Ok(a)
}

pub async fn health(db: &Db) -> AppResult<Health> {
    health::health(&mut *db.acquire().await?, Utc::now()).await
}

/// What opening an asset opens: its stored file (checked to be inside the store) or its link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    File(PathBuf),
    Link(String),
}

pub async fn target(db: &Db, data_dir: &Path, asset_id: &str) -> AppResult<Target> {
    match send::source_of(&mut *db.acquire().await?, asset_id).await? {
        AssetSource::File { sha256, .. } => Ok(Target::File(Store::of(data_dir).path_of(&sha256)?)),
        AssetSource::Link { url } => Ok(Target::Link(url)),
    }
}

/// Imports a manifest of assets (files relative to its folder, or URLs) as `signer`.
pub async fn import_manifest(
    db: &Db,
    data_dir: &Path,
    manifest: &Path,
    mode: ImportMode,
    signer: &Signer,
) -> AppResult<ImportSummary> {
    let bytes = std::fs::read(manifest)
        .map_err(|e| AppError::io(format!("cannot read {}: {e}", manifest.display())))?;
    let folder = manifest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let (rows, mut errors, read_rows) = manifest::read(&bytes, folder)?;
    // Files first (outside the transaction: the store keeps what it holds either way).
    let mut ready = Vec::new();
    for mut r in rows {
        if let Some(path) = &r.file {
            match store_file(db, data_dir, path).await {
                Ok(f) => {
                    r.fields.source = AssetSource::File {
                        sha256: f.sha256,
                        name: f.name,
                        size: f.size,
                        media_type: f.media_type,
                    }
                }
                Err(e) => {
                    errors.push(RowError {
                        row: r.row,
                        column: "file".into(),
                        message: e.message,
                    });
                    continue;
                }
            }
        }
        ready.push(r);
    }
    let now = Utc::now();
    let mut tx = db::write(db).await?;
    let tax = Taxonomy::load(&mut tx, now).await?;
    let mut w = Writer::new(&mut tx, &tax, signer, now).await?;
    let mut created = 0;
    for mut r in ready {
        if let Some(email) = &r.owner_email {
            match crate::team::store::find_by_email(&mut tx, email).await? {
                Some(m) => r.fields.owner_id = Some(m.id),
                None => {
                    errors.push(RowError {
                        row: r.row,
                        column: "owner".into(),
                        message: format!("'{email}' is not on the team"),
                    });
                    continue;
                }
            }
        }
        match w.save(&mut tx, None, &r.fields).await {
            Ok(_) => created += 1,
            Err(e) => errors.push(RowError {
                row: r.row,
                column: e.field.clone().unwrap_or_default(),
                message: e.message,
            }),
        }
    }
    let summary = manifest::summary(read_rows, created, errors, mode);
    if summary.written {
        tx.commit().await?;
    }
    Ok(summary)
}

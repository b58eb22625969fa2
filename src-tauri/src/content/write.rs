//! The one write path of the library: an asset's new state is checked against the agreed
//! taxonomy, signed by its author as a record (append-only), and projected into the rows
//! the library reads (the asset, its tags, its versions and its full-text entry), in the
//! caller's transaction. A generation stamp tells cached search indexes to reload.
use chrono::{DateTime, Months, NaiveDate, Utc};

use super::records::ContentRecord;
use super::taxonomy::Taxonomy;
use super::{AssetFields, AssetSource, AssetStatus};
use crate::agreements::slug;
use crate::agreements::taxonomy::risk_key;
use crate::db::{insert_many, ts, Conn, Val};
use crate::error::{AppError, AppResult};
use crate::team::roster::Roster;
use crate::team::{Role, Side};
use crate::trust::Signer;

/// Longest title and summary accepted.
const MAX_TITLE: usize = 300;
const MAX_SUMMARY: usize = 4000;

/// Writes assets as one member, against the taxonomy and team loaded once.
pub struct Writer<'a> {
    pub tax: &'a Taxonomy,
    roster: Roster,
    author: &'a Signer,
    at: DateTime<Utc>,
    next_rowid: i64,
}

impl<'a> Writer<'a> {
    pub async fn new(
        conn: &mut Conn,
        tax: &'a Taxonomy,
        author: &'a Signer,
        at: DateTime<Utc>,
    ) -> AppResult<Writer<'a>> {
        let roster = crate::team::records::roster(&mut *conn).await?;
        if roster.at(&author.member_id, &ts(at)).is_none() {
            return Err(AppError::not_allowed(
                "you are not on the team, so you cannot change the library",
            ));
        }
        let next_rowid: i64 =
            sqlx::query_scalar("SELECT coalesce(max(rowid), 0) + 1 FROM content_assets")
                .fetch_one(&mut *conn)
                .await?;
        Ok(Writer {
            tax,
            roster,
            author,
            at,
            next_rowid,
        })
    }

    /// May the author publish or retire assets? Marketing owns the library; managers of
    /// either side may too. Anyone on the team may write drafts.
    pub fn may_publish(&self) -> bool {
        self.roster
            .at(&self.author.member_id, &ts(self.at))
            .is_some_and(|m| m.side == Side::Marketing || m.role == Role::Manager)
    }

    /// Checks and completes fields: keys normalised and agreed, the file known to the
    /// store (its size and media type taken from there, not from the caller), a link that
    /// is a web address, an owner on the team, a review date (by default the kind's period).
    pub async fn checked(&self, conn: &mut Conn, f: &AssetFields) -> AppResult<AssetFields> {
        let title = f.title.trim().to_string();
        if title.is_empty() {
            return Err(AppError::invalid("title", "title: an asset needs a title"));
        }
        if title.chars().count() > MAX_TITLE {
            return Err(AppError::invalid(
                "title",
                format!("title: at most {MAX_TITLE} characters"),
            ));
        }
        let summary = f.summary.trim().to_string();
        if summary.chars().count() > MAX_SUMMARY {
            return Err(AppError::invalid(
                "summary",
                format!("summary: at most {MAX_SUMMARY} characters"),
            ));
        }
        let kind = Taxonomy::check(&self.tax.kinds, "kind", "asset kind", &[slug(&f.kind)])?
            .pop()
            .unwrap_or_default();
        let keys = |v: &[String], risk: bool| -> Vec<String> {
            v.iter()
                .map(|k| if risk { risk_key(k) } else { slug(k) })
                .filter(|k| !k.is_empty())
                .collect()
        };
        let stages = Taxonomy::check(
            &self.tax.stages,
            "stages",
            "buying stage",
            &keys(&f.stages, false),
        )?;
        let personas = Taxonomy::check(
            &self.tax.personas,
            "personas",
            "persona",
            &keys(&f.personas, false),
        )?;
        let risks = Taxonomy::check(
            &self.tax.risks,
            "risks",
            "risk point",
            &keys(&f.risks, true),
        )?;
        let mut industries: Vec<String> = Vec::new();
        for i in &f.industries {
            let i = i.trim();
            if !i.is_empty() && !industries.iter().any(|x| x.eq_ignore_ascii_case(i)) {
                industries.push(i.chars().take(80).collect());
            }
        }
        let mut languages: Vec<String> = Vec::new();
        for l in &f.languages {
            let l = l.trim().to_ascii_lowercase();
            if l.is_empty() {
                continue;
            }
            if !(2..=3).contains(&l.len()) || !l.bytes().all(|b| b.is_ascii_lowercase()) {
                return Err(AppError::invalid(
                    "languages",
                    format!("languages: '{l}' is not a language code such as en, de or fr"),
                ));
            }
            if !languages.contains(&l) {
                languages.push(l);
            }
        }
        if let Some(owner) = &f.owner_id {
            if self.roster.latest(owner).is_none_or(|m| m.removed) {
                return Err(AppError::invalid(
                    "ownerId",
                    format!("ownerId: '{owner}' is not on the team"),
                ));
            }
        }
        let review_by = match f.review_by.as_deref().map(str::trim) {
            Some(d) if !d.is_empty() => Some(
                NaiveDate::parse_from_str(d, "%Y-%m-%d")
                    .map_err(|_| {
                        AppError::invalid(
                            "reviewBy",
                            format!("reviewBy: '{d}' is not a date such as 2027-03-31"),
                        )
                    })?
                    .to_string(),
            ),
            _ => self.tax.review_months(&kind).and_then(|m| {
                self.at
                    .date_naive()
                    .checked_add_months(Months::new(m))
                    .map(|d| d.to_string())
            }),
        };
        let source = match &f.source {
            AssetSource::File { sha256, name, .. } => {
                let blob: Option<(i64, String)> =
                    sqlx::query_as("SELECT size, media_type FROM content_blobs WHERE sha256 = ?")
                        .bind(sha256)
                        .fetch_optional(&mut *conn)
                        .await?;
                let Some((size, media_type)) = blob else {
                    return Err(AppError::invalid(
                        "source",
                        format!("source: the file {sha256} is not in the content store; add the file first"),
                    ));
                };
                AssetSource::File {
                    sha256: sha256.clone(),
                    name: super::blobs::display_name(name),
                    size: u32::try_from(size).unwrap_or(u32::MAX),
                    media_type,
                }
            }
            AssetSource::Link { url } => AssetSource::Link {
                url: checked_url(url)?,
            },
        };
        Ok(AssetFields {
            title,
            kind,
            summary,
            stages,
            personas,
            risks,
            industries,
            languages,
            owner_id: f.owner_id.clone(),
            status: f.status,
            review_by,
            source,
        })
    }

    /// Writes a new state of an asset (a new asset when `asset_id` is None); returns its id.
    pub async fn save(
        &mut self,
        conn: &mut Conn,
        asset_id: Option<&str>,
        fields: &AssetFields,
    ) -> AppResult<String> {
        let fields = self.checked(&mut *conn, fields).await?;
        let (asset_id, history, rowid) = match asset_id {
            Some(id) => {
                let history = valid_records(&mut *conn, id, &self.roster).await?;
                let rowid: Option<i64> =
                    sqlx::query_scalar("SELECT rowid FROM content_assets WHERE id = ?")
                        .bind(id)
                        .fetch_optional(&mut *conn)
                        .await?;
                let (Some(rowid), Some((_, current))) = (rowid, history.last()) else {
                    return Err(AppError::not_found(format!(
                        "no content asset with id {id}"
                    )));
                };
                if *current == fields {
                    return Err(AppError::invalid(
                        "fields",
                        "nothing changed: this is what the asset already says",
                    ));
                }
                if current.status != fields.status && !self.may_publish() {
                    return Err(status_refusal(fields.status));
                }
                (id.to_string(), history, rowid)
            }
            None => {
                if fields.status != AssetStatus::Draft && !self.may_publish() {
                    return Err(status_refusal(fields.status));
                }
                let rowid = self.next_rowid;
                self.next_rowid += 1;
                (crate::db::new_id(), vec![], rowid)
            }
        };
        let record = ContentRecord::signed(&asset_id, &fields, self.author, &ts(self.at));
        insert_record(&mut *conn, &record).await?;
        let mut all = history;
        all.push((record, fields));
        clear(&mut *conn, rowid, &asset_id).await?;
        let p = projection(&mut *conn, rowid, &asset_id, &all, self.tax).await?;
        store(&mut *conn, vec![p]).await?;
        bump(&mut *conn).await?;
        Ok(asset_id)
    }
}

fn status_refusal(status: AssetStatus) -> AppError {
    AppError::not_allowed(format!(
        "marking an asset {} is for marketing or a manager; save it as a draft",
        status.as_str()
    ))
}

/// A web address people can open: http or https, a host, no spaces.
pub fn checked_url(url: &str) -> AppResult<String> {
    let u = url.trim();
    let rest = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"));
    let ok = rest.is_some_and(|r| {
        let host = r.split(['/', '?', '#']).next().unwrap_or("");
        (!host.is_empty() && host.contains('.')) || host.starts_with("localhost")
    }) && u.len() <= 2000
        && !u.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(u.to_string())
    } else {
        Err(AppError::invalid(
            "source",
            format!("source: '{u}' is not a web address (https://…)"),
        ))
    }
}

async fn insert_record(conn: &mut Conn, r: &ContentRecord) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO content_records (id, asset_id, body, at, author_id, hash, signature) VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&r.id)
    .bind(&r.asset_id)
    .bind(&r.body)
    .bind(&r.at)
    .bind(&r.author_id)
    .bind(&r.hash)
    .bind(&r.signature)
    .execute(conn)
    .await?;
    Ok(())
}

/// The records of an asset that count, oldest first, with their fields.
pub async fn valid_records(
    conn: &mut Conn,
    asset_id: &str,
    roster: &Roster,
) -> AppResult<Vec<(ContentRecord, AssetFields)>> {
    let tampered = crate::trust::verify::tampered_ids(&mut *conn).await?;
    let rows: Vec<ContentRecord> = sqlx::query_as(
        "SELECT id, asset_id, body, at, author_id, hash, signature FROM content_records
         WHERE asset_id = ? ORDER BY at, id",
    )
    .bind(asset_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter(|r| !tampered.contains(&r.id) && r.problem(roster).is_none())
        .filter_map(|r| r.fields().map(|f| (r, f)))
        .collect())
}

/// The rows of one asset's projection.
pub struct Projection {
    asset: Vec<Val>,
    tags: Vec<Vec<Val>>,
    fts: Vec<Val>,
    versions: Vec<Vec<Val>>,
}

/// The projection of an asset from its valid records (oldest first, at least one).
pub async fn projection(
    conn: &mut Conn,
    rowid: i64,
    asset_id: &str,
    records: &[(ContentRecord, AssetFields)],
    tax: &Taxonomy,
) -> AppResult<Projection> {
    let body = match &records.last().expect("an asset has a record").1.source {
        AssetSource::File { sha256, .. } => {
            sqlx::query_scalar::<_, String>("SELECT text FROM content_blobs WHERE sha256 = ?")
                .bind(sha256)
                .fetch_optional(&mut *conn)
                .await?
                .unwrap_or_default()
        }
        AssetSource::Link { .. } => String::new(),
    };
    Ok(project_rows(rowid, asset_id, records, tax, body))
}

/// An asset source as its version columns: sha256, file name, size, media type, url.
type SourceColumns = (
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<String>,
);

fn source_columns(source: &AssetSource) -> SourceColumns {
    match source {
        AssetSource::File {
            sha256,
            name,
            size,
            media_type,
        } => (
            Some(sha256.clone()),
            Some(name.clone()),
            Some(i64::from(*size)),
            Some(media_type.clone()),
            None,
        ),
        AssetSource::Link { url } => (None, None, None, None, Some(url.clone())),
    }
}

/// Builds the projection rows (a pure function, shared by single writes and bulk loads).
pub fn project_rows(
    rowid: i64,
    asset_id: &str,
    records: &[(ContentRecord, AssetFields)],
    tax: &Taxonomy,
    body: String,
) -> Projection {
    let (first, _) = &records[0];
    let (last, f) = records.last().expect("an asset has a record");
    let mut versions = Vec::new();
    let mut previous: Option<&AssetSource> = None;
    for (r, fields) in records {
        if previous != Some(&fields.source) {
            let (sha, name, size, media, url) = source_columns(&fields.source);
            versions.push(vec![
                Val::Text(asset_id.to_string()),
                Val::Int(versions.len() as i64 + 1),
                Val::Text(r.id.clone()),
                Val::OptText(sha),
                Val::OptText(name),
                Val::OptInt(size),
                Val::OptText(media),
                Val::OptText(url),
                Val::Text(r.at.clone()),
                Val::Text(r.author_id.clone()),
            ]);
            previous = Some(&fields.source);
        }
    }
    let (sha, name, size, media, url) = source_columns(&f.source);
    let asset = vec![
        Val::Int(rowid),
        Val::Text(asset_id.to_string()),
        Val::Text(last.id.clone()),
        Val::Text(f.title.clone()),
        Val::Text(f.kind.clone()),
        Val::Text(f.summary.clone()),
        Val::Text(f.status.as_str().into()),
        Val::OptText(f.owner_id.clone()),
        Val::OptText(f.review_by.clone()),
        Val::OptText(sha),
        Val::OptText(name),
        Val::OptInt(size),
        Val::OptText(media),
        Val::OptText(url),
        Val::Int(versions.len() as i64),
        Val::Text(first.at.clone()),
        Val::Text(last.at.clone()),
    ];
    let mut tags = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut tag = |facet: &str, values: &[String], labels: Option<&[super::Named]>| {
        for v in values {
            tags.push(vec![
                Val::Int(rowid),
                Val::Text(facet.into()),
                Val::Text(v.clone()),
            ]);
            words.push(v.replace([':', '_'], " "));
            if let Some(name) = labels.and_then(|l| Taxonomy::name_of(l, v)) {
                words.push(name.to_string());
            }
        }
    };
    tag("stage", &f.stages, Some(&tax.stages));
    tag("persona", &f.personas, Some(&tax.personas));
    tag("risk", &f.risks, Some(&tax.risks));
    tag("industry", &f.industries, None);
    tag("language", &f.languages, None);
    if let Some(kind) = Taxonomy::name_of(&tax.kinds, &f.kind) {
        words.push(kind.to_string());
    }
    let fts = vec![
        Val::Int(rowid),
        Val::Text(f.title.clone()),
        Val::Text(f.summary.clone()),
        Val::Text(words.join(" · ")),
        Val::Text(body),
    ];
    Projection {
        asset,
        tags,
        fts,
        versions,
    }
}

/// Removes an asset's projection rows before they are written again.
async fn clear(conn: &mut Conn, rowid: i64, asset_id: &str) -> AppResult<()> {
    for sql in [
        "DELETE FROM content_tags WHERE asset_rowid = ?1",
        "DELETE FROM content_fts WHERE rowid = ?1",
        "DELETE FROM content_assets WHERE rowid = ?1",
    ] {
        sqlx::query(sql).bind(rowid).execute(&mut *conn).await?;
    }
    sqlx::query("DELETE FROM content_versions WHERE asset_id = ?")
        .bind(asset_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Writes projections in multi-row statements.
pub async fn store(conn: &mut Conn, projections: Vec<Projection>) -> AppResult<()> {
    let (mut assets, mut tags, mut fts, mut versions) = (vec![], vec![], vec![], vec![]);
    for p in projections {
        assets.push(p.asset);
        tags.extend(p.tags);
        fts.push(p.fts);
        versions.extend(p.versions);
    }
    insert_many(
        conn,
        "content_assets",
        &[
            "rowid",
            "id",
            "record_id",
            "title",
            "kind",
            "summary",
            "status",
            "owner_id",
            "review_by",
            "sha256",
            "file_name",
            "file_size",
            "media_type",
            "url",
            "version",
            "created_at",
            "updated_at",
        ],
        assets,
    )
    .await?;
    insert_many(
        conn,
        "content_tags",
        &["asset_rowid", "facet", "value"],
        tags,
    )
    .await?;
    insert_many(
        conn,
        "content_fts",
        &["rowid", "title", "summary", "tags", "body"],
        fts,
    )
    .await?;
    insert_many(
        conn,
        "content_versions",
        &[
            "asset_id",
            "number",
            "record_id",
            "sha256",
            "file_name",
            "file_size",
            "media_type",
            "url",
            "added_at",
            "added_by",
        ],
        versions,
    )
    .await
}

/// Inserts records in multi-row statements (bulk loads of new assets).
pub async fn insert_records(conn: &mut Conn, records: &[ContentRecord]) -> AppResult<()> {
    let rows = records
        .iter()
        .map(|r| {
            vec![
                Val::Text(r.id.clone()),
                Val::Text(r.asset_id.clone()),
                Val::Text(r.body.clone()),
                Val::Text(r.at.clone()),
                Val::Text(r.author_id.clone()),
                Val::Text(r.hash.clone()),
                Val::Text(r.signature.clone()),
            ]
        })
        .collect();
    insert_many(
        conn,
        "content_records",
        &[
            "id",
            "asset_id",
            "body",
            "at",
            "author_id",
            "hash",
            "signature",
        ],
        rows,
    )
    .await
}

/// A new generation stamp: cached search indexes of the library reload.
pub async fn bump(conn: &mut Conn) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO projection_state (key, value) VALUES ('content_generation', ?1)
         ON CONFLICT (key) DO UPDATE SET value = ?1",
    )
    .bind(crate::db::new_id())
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a stored file and its text (local to this laptop; the same bytes once).
pub async fn record_blob(
    conn: &mut Conn,
    sha256: &str,
    size: u64,
    media_type: &str,
    text: &super::extract::Extracted,
    at: DateTime<Utc>,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO content_blobs (sha256, size, media_type, text_status, text, stored_at)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING",
    )
    .bind(sha256)
    .bind(size as i64)
    .bind(media_type)
    .bind(&text.status)
    .bind(&text.text)
    .bind(ts(at))
    .execute(conn)
    .await?;
    Ok(())
}

/// Asset records that do not verify (for `playbook verify`): (id, asset id, problem).
pub async fn failures(
    conn: &mut Conn,
    roster: &Roster,
) -> AppResult<Vec<(String, String, String)>> {
    let rows: Vec<ContentRecord> = sqlx::query_as(
        "SELECT id, asset_id, body, at, author_id, hash, signature FROM content_records",
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let p = r.problem(roster)?;
            Some((r.id, r.asset_id, p))
        })
        .collect())
}

/// Projects an asset again from the records that count (after `playbook verify` changed
/// what counts); an asset with none left leaves the library.
pub async fn reproject(conn: &mut Conn, asset_id: &str, tax: &Taxonomy) -> AppResult<()> {
    let roster = crate::team::records::roster(&mut *conn).await?;
    let records = valid_records(&mut *conn, asset_id, &roster).await?;
    let rowid: Option<i64> = sqlx::query_scalar("SELECT rowid FROM content_assets WHERE id = ?")
        .bind(asset_id)
        .fetch_optional(&mut *conn)
        .await?;
    let rowid = match rowid {
        Some(r) => r,
        None => {
            sqlx::query_scalar("SELECT coalesce(max(rowid), 0) + 1 FROM content_assets")
                .fetch_one(&mut *conn)
                .await?
        }
    };
    clear(&mut *conn, rowid, asset_id).await?;
    if !records.is_empty() {
        let p = projection(&mut *conn, rowid, asset_id, &records, tax).await?;
        store(&mut *conn, vec![p]).await?;
    }
    bump(conn).await
}

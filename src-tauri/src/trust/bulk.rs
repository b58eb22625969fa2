//! Bulk writes (an import, a generated workspace) as one signed record: its hash covers
//! the hashes of all the rows it wrote, so signing costs nothing per row.
use chrono::{DateTime, Utc};

use crate::db::{ts, Conn};
use crate::error::AppResult;
use crate::trust::canon::{self, Canon};
use crate::trust::Signer;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BulkRecord {
    pub id: String,
    pub kind: String,
    pub rows: i64,
    pub at: String,
    pub signer_id: String,
    pub hash: String,
    pub signature: String,
}

impl BulkRecord {
    pub fn computed_hash(kind: &str, rows_hash: &str, id: &str, at: &str, signer: &str) -> String {
        Canon::new("bulk/v1")
            .text(id)
            .text(kind)
            .text(rows_hash)
            .text(at)
            .text(signer)
            .finish()
    }
}

/// The hash of a bulk write's rows: their hashes, sorted (so the order they are read back
/// in does not matter), then hashed.
pub fn rows_hash(mut row_hashes: Vec<String>) -> String {
    row_hashes.sort_unstable();
    canon::of_rows("rows", row_hashes.iter().map(String::as_str))
}

/// Signs and stores the record of a bulk write whose rows (already stored, naming `id` in
/// their `bulk_id`) have these hashes.
pub async fn seal(
    conn: &mut Conn,
    id: &str,
    kind: &str,
    row_hashes: Vec<String>,
    signer: &Signer,
    at: DateTime<Utc>,
) -> AppResult<()> {
    let rows = row_hashes.len() as i64;
    let at = ts(at);
    let hash = BulkRecord::computed_hash(kind, &rows_hash(row_hashes), id, &at, &signer.member_id);
    sqlx::query(
        "INSERT INTO bulk_records (id, kind, rows, at, signer_id, hash, signature) VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(id)
    .bind(kind)
    .bind(rows)
    .bind(&at)
    .bind(&signer.member_id)
    .bind(&hash)
    .bind(signer.sign(&hash))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn all(conn: &mut Conn) -> AppResult<Vec<BulkRecord>> {
    Ok(sqlx::query_as(
        "SELECT id, kind, rows, at, signer_id, hash, signature FROM bulk_records ORDER BY at, id",
    )
    .fetch_all(conn)
    .await?)
}

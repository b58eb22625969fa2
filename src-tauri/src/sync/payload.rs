//! What a change carries: the rows of one signed record (a bulk write's with all its rows),
//! as JSON objects of column → value, sorted keys and rows by id so the same record always
//! gives the same payload and hash; and applying a pulled payload to this replica.
use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use sqlx::{Column, Row};

use crate::db::Conn;
use crate::error::{AppError, AppResult};

/// Tables a pulled payload may write, in the order they are applied (parents first).
const APPLY_ORDER: &[&str] = &[
    "member_records",
    "workspace",
    "accounts",
    "contacts",
    "agreement_items",
    "agreement_versions",
    "agreement_signoffs",
    "bulk_records",
    "handoff_events",
    "activities",
    "content_records",
    "account_risk_records",
    "contact_merges",
    "meeting_records",
];

/// The payload's SHA-256, hex: what the hub checks and compares for duplicates.
pub fn hash(payload: &str) -> String {
    hex::encode(Sha256::digest(payload.as_bytes()))
}

async fn rows(conn: &mut Conn, sql: &str, id: &str) -> AppResult<Vec<Value>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .bind(id)
        .fetch_all(conn)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let mut obj = Map::new();
        for (i, col) in row.columns().iter().enumerate() {
            obj.insert(col.name().to_string(), crate::db::cell_json(&row, i)?);
        }
        out.push(Value::Object(obj));
    }
    Ok(out)
}

/// The payload of a change, or None when its record is not (or no longer) here.
pub async fn build(conn: &mut Conn, kind: &str, record_id: &str) -> AppResult<Option<String>> {
    let queries: &[(&str, &str)] = match kind {
        "member" => &[("member_records", "SELECT * FROM member_records WHERE id = ?")],
        "workspace" => &[("workspace", "SELECT * FROM workspace WHERE id = ?")],
        "version" => &[
            ("agreement_versions", "SELECT * FROM agreement_versions WHERE id = ?"),
            ("agreement_items", "SELECT * FROM agreement_items WHERE id = (SELECT item_id FROM agreement_versions WHERE id = ?)"),
        ],
        "signoff" => &[("agreement_signoffs", "SELECT * FROM agreement_signoffs WHERE id = ?")],
        "event" => &[("handoff_events", "SELECT * FROM handoff_events WHERE id = ?")],
        "bulk" => &[
            ("bulk_records", "SELECT * FROM bulk_records WHERE id = ?"),
            ("handoff_events", "SELECT * FROM handoff_events WHERE bulk_id = ?1 ORDER BY id"),
            ("activities", "SELECT * FROM activities WHERE bulk_id = ?1 ORDER BY id"),
            ("contacts", "SELECT * FROM contacts WHERE id IN (SELECT contact_id FROM handoff_events WHERE bulk_id = ?1 UNION SELECT contact_id FROM activities WHERE bulk_id = ?1) ORDER BY id"),
            ("accounts", "SELECT * FROM accounts WHERE id IN (SELECT account_id FROM contacts WHERE id IN (SELECT contact_id FROM handoff_events WHERE bulk_id = ?1 UNION SELECT contact_id FROM activities WHERE bulk_id = ?1)) ORDER BY id"),
        ],
        "activity" => &[("activities", "SELECT * FROM activities WHERE id = ?")],
        "content" => &[("content_records", "SELECT * FROM content_records WHERE id = ?")],
        "risk" => &[("account_risk_records", "SELECT * FROM account_risk_records WHERE id = ?")],
        "merge" => &[("contact_merges", "SELECT * FROM contact_merges WHERE id = ?")],
        "meeting" => &[("meeting_records", "SELECT * FROM meeting_records WHERE id = ?")],
        other => return Err(AppError::invalid("kind", format!("unknown kind of change {other:?}"))),
    };
    let mut tables = BTreeMap::new();
    for (i, (table, sql)) in queries.iter().enumerate() {
        let found = rows(&mut *conn, sql, record_id).await?;
        if i == 0 && found.is_empty() {
            return Ok(None);
        }
        if !found.is_empty() {
            tables.insert(table.to_string(), Value::Array(found));
        }
    }
    let payload = serde_json::json!({ "rows": tables });
    Ok(Some(payload.to_string()))
}

/// What applying a batch touched, so the caches and projections can be refreshed.
#[derive(Default)]
pub struct Touched {
    pub contacts: BTreeSet<String>,
    /// Content assets whose records arrived.
    pub assets: BTreeSet<String>,
    /// Meeting entities (entity kind, id) whose records arrived.
    pub meeting_entities: BTreeSet<(String, String)>,
    /// Duplicate contacts whose merge records arrived.
    pub merged: BTreeSet<String>,
    /// Anything but single events arrived (team, playbook, bulk): rebuild every cache.
    pub everything: bool,
}

/// Columns of this replica's tables, for checking what a payload writes.
pub struct Columns(HashMap<String, Vec<String>>);

impl Columns {
    pub async fn load(conn: &mut Conn) -> AppResult<Columns> {
        let mut map = HashMap::new();
        for t in APPLY_ORDER {
            let cols: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT name FROM pragma_table_info('{t}')"
            )))
            .fetch_all(&mut *conn)
            .await?;
            map.insert(t.to_string(), cols);
        }
        Ok(Columns(map))
    }
}

/// Writes a pulled payload's rows that this replica does not have yet (by id; a row
/// already here is left as it is: records are append-only, and what differs from the
/// signed original fails verification). A contact whose external id another contact here
/// already holds keeps its id but not the external id, so neither is lost.
pub async fn apply(
    conn: &mut Conn,
    columns: &Columns,
    kind: &str,
    payload: &str,
    touched: &mut Touched,
) -> AppResult<()> {
    let bad =
        |why: String| AppError::invalid("payload", format!("a {kind} change from the hub: {why}"));
    let parsed: Value = serde_json::from_str(payload).map_err(|e| bad(e.to_string()))?;
    let tables = parsed
        .get("rows")
        .and_then(Value::as_object)
        .ok_or_else(|| bad("no rows".into()))?;
    for t in tables.keys() {
        if !APPLY_ORDER.contains(&t.as_str()) {
            return Err(bad(format!("rows for an unknown table {t}")));
        }
    }
    let main_rows = |table: &str| {
        tables
            .get(table)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
    };
    let text = |r: &Value, col: &str| r.get(col).and_then(Value::as_str).map(str::to_string);
    match kind {
        "event" | "activity" => {
            let table = if kind == "event" {
                "handoff_events"
            } else {
                "activities"
            };
            touched
                .contacts
                .extend(main_rows(table).filter_map(|r| text(r, "contact_id")));
        }
        "content" => touched
            .assets
            .extend(main_rows("content_records").filter_map(|r| text(r, "asset_id"))),
        "meeting" => touched.meeting_entities.extend(
            main_rows("meeting_records")
                .filter_map(|r| Some((text(r, "entity")?, text(r, "entity_id")?))),
        ),
        "merge" => touched
            .merged
            .extend(main_rows("contact_merges").filter_map(|r| text(r, "duplicate_id"))),
        // An account's risks are folded when read.
        "risk" => {}
        _ => touched.everything = true,
    }
    for table in APPLY_ORDER {
        let Some(rows) = tables.get(*table).and_then(Value::as_array) else {
            continue;
        };
        let known = &columns.0[*table];
        for row in rows {
            let obj = row
                .as_object()
                .ok_or_else(|| bad(format!("a {table} row is not an object")))?;
            let mut obj = obj.clone();
            if let Some(unknown) = obj.keys().find(|k| !known.contains(k)) {
                return Err(bad(format!(
                    "{table} has no column {unknown} here; update Playbook on this laptop"
                )));
            }
            if *table == "contacts" {
                release_external_id(&mut *conn, &mut obj).await?;
            }
            let cols: Vec<&String> = obj.keys().collect();
            let sql = format!(
                "INSERT INTO {table} ({}) VALUES ({}) ON CONFLICT (id) DO NOTHING",
                cols.iter()
                    .map(|c| format!("\"{c}\""))
                    .collect::<Vec<_>>()
                    .join(","),
                vec!["?"; cols.len()].join(",")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for c in &cols {
                q = match &obj[c.as_str()] {
                    Value::Null => q.bind(None::<String>),
                    Value::Bool(b) => q.bind(i64::from(*b)),
                    Value::Number(n) => match n.as_i64() {
                        Some(i) => q.bind(i),
                        None => q.bind(n.as_f64().unwrap_or_default()),
                    },
                    Value::String(s) => q.bind(s.clone()),
                    other => q.bind(other.to_string()),
                };
            }
            q.execute(&mut *conn).await?;
        }
    }
    Ok(())
}

/// Two laptops that imported the same source made two contacts with one external id: the
/// arriving one keeps its id and history but gives up the external id.
async fn release_external_id(conn: &mut Conn, obj: &mut Map<String, Value>) -> AppResult<()> {
    let (Some(id), Some(ext)) = (
        obj.get("id").and_then(Value::as_str),
        obj.get("external_id").and_then(Value::as_str),
    ) else {
        return Ok(());
    };
    let holder: Option<String> = sqlx::query_scalar(
        "SELECT id FROM contacts WHERE external_id = ? AND deleted_at IS NULL AND id <> ?",
    )
    .bind(ext)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    if holder.is_some() {
        obj.insert("external_id".into(), Value::Null);
    }
    Ok(())
}

//! The leads list: filters and sorts that run on indexes, one page at a time, so the
//! window stays fast at 100k contacts.
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use specta::Type;
use sqlx::AssertSqlSafe;

use crate::db::{ts, Conn};
use crate::error::AppResult;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum LeadSort {
    #[default]
    ScoreDesc,
    OldestInStage,
    Name,
    Newest,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase", default)]
pub struct LeadFilter {
    pub stage: Option<String>,
    pub owner_id: Option<String>,
    pub source: Option<String>,
    pub account_id: Option<String>,
    pub min_score: Option<i32>,
    pub max_score: Option<i32>,
    /// At least this many days in the current stage.
    pub min_days_in_stage: Option<u32>,
    /// Start of a last name, an email or a company name.
    pub search: Option<String>,
    pub sort: LeadSort,
    pub offset: u32,
    /// Page size; 0 means all matches.
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct LeadRow {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub title: String,
    pub account_id: Option<String>,
    pub account_name: Option<String>,
    pub stage: String,
    pub stage_since: String,
    pub owner_name: Option<String>,
    pub source_channel: String,
    pub score: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct LeadPage {
    pub total: u32,
    pub offset: u32,
    pub rows: Vec<LeadRow>,
}

enum Bind {
    Text(String),
    Int(i64),
}

/// The WHERE clause (from fixed fragments only) and its values.
fn conditions(f: &LeadFilter, now: DateTime<Utc>) -> (String, Vec<Bind>) {
    let mut sql = String::from("c.deleted_at IS NULL");
    let mut binds = Vec::new();
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    if let Some(v) = text(&f.stage) {
        sql.push_str(" AND c.stage = ?");
        binds.push(Bind::Text(v));
    }
    if let Some(v) = text(&f.owner_id) {
        sql.push_str(" AND c.owner_id = ?");
        binds.push(Bind::Text(v));
    }
    if let Some(v) = text(&f.source) {
        sql.push_str(" AND c.source_channel = ?");
        binds.push(Bind::Text(v));
    }
    if let Some(v) = text(&f.account_id) {
        sql.push_str(" AND c.account_id = ?");
        binds.push(Bind::Text(v));
    }
    if let Some(v) = f.min_score {
        sql.push_str(" AND c.score >= ?");
        binds.push(Bind::Int(v.into()));
    }
    if let Some(v) = f.max_score {
        sql.push_str(" AND c.score <= ?");
        binds.push(Bind::Int(v.into()));
    }
    if let Some(days) = f.min_days_in_stage.filter(|d| *d > 0) {
        // Unary plus: checked on the score index's copy of stage_since, never a reason to
        // range-scan the stage_since index (that would read the table for every old row).
        sql.push_str(" AND +c.stage_since <= ?");
        // Beyond any date SQLite can hold: nobody has been in a stage that long.
        let since = now
            .checked_sub_signed(Duration::days(days.into()))
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        binds.push(Bind::Text(ts(since)));
    }
    if let Some(v) = text(&f.search) {
        let like = format!("{}%", v.replace(['%', '_'], ""));
        // One indexed range per term, as a union: an OR across columns would scan them all.
        // Rowids, not ids: the email and account indexes hold them, so those ranges need
        // no table reads, and the outer lookup is by the table's own key.
        sql.push_str(
            " AND c.rowid IN (
                SELECT rowid FROM contacts WHERE deleted_at IS NULL AND last_name LIKE ?
                UNION ALL SELECT rowid FROM contacts WHERE email LIKE ?
                UNION ALL SELECT rowid FROM contacts WHERE account_id IN
                    (SELECT id FROM accounts WHERE deleted_at IS NULL AND name LIKE ?))",
        );
        for _ in 0..3 {
            binds.push(Bind::Text(like.clone()));
        }
    }
    (sql, binds)
}

fn order_by(sort: LeadSort) -> &'static str {
    match sort {
        LeadSort::ScoreDesc => "c.score DESC, c.id",
        LeadSort::OldestInStage => "c.stage_since, c.id",
        LeadSort::Name => "c.last_name COLLATE NOCASE, c.first_name COLLATE NOCASE, c.id",
        LeadSort::Newest => "c.created_at DESC, c.id DESC",
    }
}

/// One page of leads matching the filter, and how many match in all.
pub async fn page(conn: &mut Conn, f: &LeadFilter, now: DateTime<Utc>) -> AppResult<LeadPage> {
    let (cond, binds) = conditions(f, now);
    // Unfiltered, SQLite would count by reading the whole table: the live score index
    // holds exactly the live rows in a tenth of the pages.
    let count_sql = if binds.is_empty() {
        format!("SELECT count(*) FROM contacts c INDEXED BY contacts_live_score WHERE {cond}")
    } else {
        format!("SELECT count(*) FROM contacts c WHERE {cond}")
    };
    let mut q = sqlx::query_scalar::<_, i64>(AssertSqlSafe(count_sql));
    for b in &binds {
        q = match b {
            Bind::Text(t) => q.bind(t.clone()),
            Bind::Int(i) => q.bind(*i),
        };
    }
    let total = q.fetch_one(&mut *conn).await?;
    let limit = if f.limit == 0 { -1 } else { i64::from(f.limit) };
    // The page's rowids are chosen first and everything else joined after: a sort carries
    // only its keys, and accounts and owners are looked up for 50 rows, not every match.
    let sql = format!(
        "SELECT c.id, trim(c.first_name || ' ' || c.last_name) AS name, c.email, c.title, c.account_id,
                a.name AS account_name, c.stage, c.stage_since, m.name AS owner_name, c.source_channel, c.score
         FROM (SELECT c.rowid AS r FROM contacts c WHERE {cond} ORDER BY {order} LIMIT ? OFFSET ?) p
         JOIN contacts c ON c.rowid = p.r
         LEFT JOIN accounts a ON a.id = c.account_id
         LEFT JOIN members m ON m.id = c.owner_id
         ORDER BY {order}",
        order = order_by(f.sort)
    );
    let mut q = sqlx::query_as::<_, LeadRow>(AssertSqlSafe(sql));
    for b in binds {
        q = match b {
            Bind::Text(t) => q.bind(t),
            Bind::Int(i) => q.bind(i),
        };
    }
    let rows = q
        .bind(limit)
        .bind(i64::from(f.offset))
        .fetch_all(conn)
        .await?;
    Ok(LeadPage {
        total: total as u32,
        offset: f.offset,
        rows,
    })
}

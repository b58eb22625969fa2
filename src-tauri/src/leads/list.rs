//! The leads list at 100k contacts: filters and sorts that run on indexes, and keyset
//! (seek) paging, so a deep page costs what the first does. A list is opened with
//! [`window`] (the count and the first page), then [`anchors`]: the sort key of every
//! [`PAGE`]th row, read once from the index; any later page is "the rows after anchor k"
//! ([`page`] with `after`), an index seek rather than an OFFSET that walks every row
//! before it.
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use specta::Type;
use sqlx::AssertSqlSafe;

use super::search_index::fts_query;
use crate::agreements::{AgreementBody, AgreementKind};
use crate::db::{ts, Conn};
use crate::error::{AppError, AppResult};
use crate::handoffs::playbook_at::PlaybookHistory;
use crate::handoffs::{rules, EventKind};
use crate::team::roster::MemberState;

/// Rows per page, and the distance between two anchors.
pub const PAGE: u32 = 100;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum LeadSort {
    /// Highest score first; among equal scores, longest in stage first.
    #[default]
    ScoreDesc,
    OldestInStage,
    Name,
    Newest,
    /// With a search: the best matches first (names count most, then email, then company).
    BestMatch,
}

/// What a person's queue holds: the work the stage definitions in force give their side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum Awaiting {
    /// Handed over to me, awaiting my acceptance or rejection.
    Response,
    /// Rejected by the other side; mine to dispute or to let stand.
    RejectionReview,
    /// A rejection disputed; mine to uphold or overturn.
    DisputeDecision,
}

impl Awaiting {
    pub const ALL: [Awaiting; 3] = [
        Awaiting::Response,
        Awaiting::RejectionReview,
        Awaiting::DisputeDecision,
    ];
    /// The event that answers this kind of work, and the newest event that creates it.
    fn answer(self) -> (EventKind, Option<EventKind>) {
        match self {
            Awaiting::Response => (EventKind::Accepted, None),
            Awaiting::RejectionReview => (EventKind::Disputed, Some(EventKind::Rejected)),
            Awaiting::DisputeDecision => (EventKind::DisputeUpheld, Some(EventKind::Disputed)),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase", default)]
pub struct LeadFilter {
    pub stage: Option<String>,
    pub owner_id: Option<String>,
    /// Only contacts nobody owns.
    pub unassigned: bool,
    pub source: Option<String>,
    pub account_id: Option<String>,
    pub min_score: Option<i32>,
    pub max_score: Option<i32>,
    /// At least this many days in the current stage.
    pub min_days_in_stage: Option<u32>,
    /// Only contacts longer in their stage than its agreed maximum.
    pub overdue: bool,
    /// Words of a name, an email or a company, each matched at the start of a word.
    pub search: Option<String>,
    /// The viewer's queue (needs a viewer).
    pub awaiting: Option<Awaiting>,
    pub sort: LeadSort,
    /// Rows to skip (the command line's paging); the window pages with `after`.
    pub offset: u32,
    /// Page size; 0 means all matches.
    pub limit: u32,
    /// An anchor from [`window`]: the page starts after that row.
    pub after: Option<String>,
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
    pub owner_id: Option<String>,
    pub owner_name: Option<String>,
    pub source_channel: String,
    pub score: i32,
    /// Longer in its stage than the stage's agreed maximum.
    #[sqlx(default)]
    pub overdue: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct LeadPage {
    pub total: u32,
    pub offset: u32,
    pub rows: Vec<LeadRow>,
}

/// An opened list: how many match and the first page. Where every later page starts
/// comes from [`anchors`], asked right after, so the first rows never wait for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct LeadWindow {
    pub total: u32,
    pub page_size: u32,
    pub rows: Vec<LeadRow>,
}

#[derive(Debug, Clone)]
enum Bind {
    Text(String),
    Int(i64),
    Real(f64),
}

/// How a sort orders rows: its key columns, each ascending or descending, ending with the
/// rowid. The rowid only keeps pages stable on this laptop (two rows with the same key
/// must come in one order from page to page); nothing is derived from it.
struct Order {
    tag: &'static str,
    keys: &'static [(&'static str, bool)],
}

fn order(sort: LeadSort) -> Order {
    match sort {
        // contacts_live_score is (score DESC, stage_since): the key is the index order.
        LeadSort::ScoreDesc => Order {
            tag: "score",
            keys: &[
                ("c.score", true),
                ("c.stage_since", false),
                ("c.rowid", false),
            ],
        },
        LeadSort::OldestInStage => Order {
            tag: "since",
            keys: &[("c.stage_since", false), ("c.rowid", false)],
        },
        LeadSort::Name => Order {
            tag: "name",
            keys: &[
                ("c.last_name COLLATE NOCASE", false),
                ("c.first_name COLLATE NOCASE", false),
                ("c.rowid", false),
            ],
        },
        LeadSort::Newest => Order {
            tag: "newest",
            keys: &[("c.created_at", true), ("c.rowid", true)],
        },
        LeadSort::BestMatch => Order {
            tag: "match",
            keys: &[("f.rank", false), ("c.rowid", false)],
        },
    }
}

impl Order {
    fn order_by(&self) -> String {
        self.keys
            .iter()
            .map(|(k, desc)| format!("{k}{}", if *desc { " DESC" } else { "" }))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The columns of the key, as selected (aliases k0, k1…).
    fn select(&self) -> String {
        self.keys
            .iter()
            .enumerate()
            .map(|(i, (k, _))| format!("{} AS k{i}", k.trim_end_matches(" COLLATE NOCASE")))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// "After this key" as SQL: the first column's bound (which the index seeks to), then
    /// the lexicographic comparison that decides within equal first columns.
    fn after(&self, values: &[Value]) -> AppResult<(String, Vec<Bind>)> {
        if values.len() != self.keys.len() {
            return Err(stale());
        }
        let binds: Vec<Bind> = values
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(Bind::Text(s.clone())),
                Value::Number(n) if n.is_i64() => Ok(Bind::Int(n.as_i64().unwrap_or(0))),
                Value::Number(n) => Ok(Bind::Real(n.as_f64().unwrap_or(0.0))),
                _ => Err(stale()),
            })
            .collect::<AppResult<_>>()?;
        let cmp = |i: usize, strict: bool| {
            let (k, desc) = self.keys[i];
            let op = match (desc, strict) {
                (false, true) => ">",
                (false, false) => ">=",
                (true, true) => "<",
                (true, false) => "<=",
            };
            format!("{k} {op} ?")
        };
        let mut sql = format!("{} AND (", cmp(0, false));
        let mut out = vec![binds[0].clone()];
        for i in 0..self.keys.len() {
            if i > 0 {
                sql.push_str(" OR ");
            }
            sql.push('(');
            for (j, b) in binds.iter().enumerate().take(i) {
                sql.push_str(&format!("{} = ? AND ", self.keys[j].0));
                out.push(b.clone());
            }
            sql.push_str(&cmp(i, true));
            out.push(binds[i].clone());
            sql.push(')');
        }
        sql.push(')');
        Ok((sql, out))
    }
}

fn stale() -> AppError {
    AppError::invalid(
        "after",
        "the list changed since it was opened; open it again",
    )
}

fn encode(tag: &str, key: Vec<Value>) -> String {
    let mut all = vec![Value::String(tag.into())];
    all.extend(key);
    Value::Array(all).to_string()
}

fn decode(tag: &str, cursor: &str) -> AppResult<Vec<Value>> {
    match serde_json::from_str::<Value>(cursor) {
        Ok(Value::Array(mut v)) if v.first() == Some(&Value::String(tag.into())) => {
            v.remove(0);
            Ok(v)
        }
        _ => Err(stale()),
    }
}

/// What a list query needs beside the filter: the time, the stage definitions in force
/// (maximum days, who answers what) and who is asking.
pub struct Context<'a> {
    pub now: DateTime<Utc>,
    pub pb: PlaybookHistory,
    pub viewer: Option<&'a MemberState>,
}

impl<'a> Context<'a> {
    pub async fn load(
        conn: &mut Conn,
        now: DateTime<Utc>,
        viewer: Option<&'a MemberState>,
    ) -> AppResult<Context<'a>> {
        let stages =
            crate::agreements::store::load_items(conn, Some(AgreementKind::Stage), now).await?;
        Ok(Context {
            now,
            pb: PlaybookHistory::from_items(stages),
            viewer,
        })
    }

    /// Each stage with a maximum time, and the instant before which entering it is overdue.
    fn overdue_since(&self) -> Vec<(String, String)> {
        self.pb
            .stage_keys()
            .into_iter()
            .filter_map(|key| {
                let v = self.pb.at(AgreementKind::Stage, &key, self.now)?;
                match &v.body {
                    AgreementBody::Stage(s) => s.max_days_in_stage.map(|d| {
                        let cutoff = self
                            .now
                            .checked_sub_signed(Duration::days(d.into()))
                            .unwrap_or(DateTime::<Utc>::MIN_UTC);
                        (key.clone(), ts(cutoff))
                    }),
                    _ => None,
                }
            })
            .collect()
    }
}

/// The WHERE clause (from fixed fragments only) and its values.
fn conditions(f: &LeadFilter, cx: &Context<'_>) -> AppResult<(String, Vec<Bind>)> {
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
    match (text(&f.owner_id), f.unassigned) {
        (Some(_), true) => {
            return Err(AppError::invalid(
                "ownerId",
                "choose an owner or unassigned leads, not both",
            ))
        }
        (Some(v), false) => {
            sql.push_str(" AND c.owner_id = ?");
            binds.push(Bind::Text(v));
        }
        (None, true) => sql.push_str(" AND c.owner_id IS NULL"),
        (None, false) => {}
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
        let since = cx
            .now
            .checked_sub_signed(Duration::days(days.into()))
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        binds.push(Bind::Text(ts(since)));
    }
    if f.overdue {
        let limits = cx.overdue_since();
        if limits.is_empty() {
            sql.push_str(" AND 0");
        } else {
            let parts = vec!["(c.stage = ? AND +c.stage_since <= ?)"; limits.len()];
            sql.push_str(&format!(" AND ({})", parts.join(" OR ")));
            for (stage, cutoff) in limits {
                binds.push(Bind::Text(stage));
                binds.push(Bind::Text(cutoff));
            }
        }
    }
    if let Some(awaiting) = f.awaiting {
        let Some(me) = cx.viewer else {
            return Err(AppError::not_allowed("sign in to see your queue"));
        };
        let (answer, latest) = awaiting.answer();
        let stages = rules::stages_allowing(&cx.pb, cx.now, answer, me);
        if stages.is_empty() {
            sql.push_str(" AND 0");
        } else {
            sql.push_str(&format!(
                " AND c.stage IN ({})",
                vec!["?"; stages.len()].join(",")
            ));
            binds.extend(stages.into_iter().map(Bind::Text));
        }
        match latest {
            None => {
                sql.push_str(" AND c.owner_id = ?");
                binds.push(Bind::Text(me.member_id.clone()));
            }
            Some(kind) => {
                // The work exists while the newest event is the one that created it.
                sql.push_str(
                    " AND (SELECT e.kind FROM handoff_events e WHERE e.contact_id = c.id
                           ORDER BY e.at DESC, e.id DESC LIMIT 1) = ?",
                );
                binds.push(Bind::Text(kind.as_str().into()));
            }
        }
    }
    Ok((sql, binds))
}

/// The FROM clause: with a search, the index's matches (joined for a ranked order).
fn source(f: &LeadFilter) -> AppResult<(String, Vec<Bind>)> {
    let query = f.search.as_deref().and_then(fts_query);
    match (query, f.sort) {
        // CROSS JOIN keeps the index's matches as the outer loop: with a stage filter the
        // planner would otherwise walk the stage and run the full-text query per contact.
        (Some(q), LeadSort::BestMatch) => Ok((
            "contacts_fts f CROSS JOIN contacts c ON c.rowid = f.rowid WHERE contacts_fts MATCH ? AND"
                .into(),
            vec![Bind::Text(q)],
        )),
        (Some(q), _) => Ok((
            "contacts c WHERE c.rowid IN (SELECT rowid FROM contacts_fts WHERE contacts_fts MATCH ?) AND"
                .into(),
            vec![Bind::Text(q)],
        )),
        (None, LeadSort::BestMatch) => Err(AppError::invalid(
            "sort",
            "best match orders a search; type what to search for, or choose another order",
        )),
        (None, _) => Ok(("contacts c WHERE".into(), vec![])),
    }
}

fn bind_all<'q, O>(
    mut q: sqlx::query::QueryAs<'q, sqlx::Sqlite, O, sqlx::sqlite::SqliteArguments>,
    binds: &[Bind],
) -> sqlx::query::QueryAs<'q, sqlx::Sqlite, O, sqlx::sqlite::SqliteArguments> {
    for b in binds {
        q = match b {
            Bind::Text(t) => q.bind(t.clone()),
            Bind::Int(i) => q.bind(*i),
            Bind::Real(r) => q.bind(*r),
        };
    }
    q
}

async fn count(conn: &mut Conn, from: &str, cond: &str, binds: &[Bind]) -> AppResult<u32> {
    // Unfiltered, SQLite would count by reading the whole table: the live score index
    // holds exactly the live rows in a tenth of the pages.
    let sql = if binds.is_empty() {
        format!("SELECT count(*) FROM contacts c INDEXED BY contacts_live_score WHERE {cond}")
    } else {
        format!("SELECT count(*) FROM {from} {cond}")
    };
    let (n,): (i64,) = bind_all(sqlx::query_as(AssertSqlSafe(sql)), binds)
        .fetch_one(conn)
        .await?;
    Ok(n as u32)
}

/// One page of rows, starting after `after` (a decoded anchor) or at `offset`.
async fn rows(
    conn: &mut Conn,
    f: &LeadFilter,
    cx: &Context<'_>,
    after: Option<Vec<Value>>,
    limit: u32,
) -> AppResult<Vec<LeadRow>> {
    let ord = order(f.sort);
    let (from, mut binds) = source(f)?;
    let (mut cond, more) = conditions(f, cx)?;
    binds.extend(more);
    if let Some(key) = after {
        let (seek, values) = ord.after(&key)?;
        cond.push_str(&format!(" AND {seek}"));
        binds.extend(values);
    }
    let limit = if limit == 0 { -1 } else { i64::from(limit) };
    let offset = if f.after.is_some() { 0 } else { f.offset };
    // The page's rowids are chosen first and everything else joined after: a sort carries
    // only its keys, and accounts and owners are looked up for one page, not every match.
    let sql = format!(
        "SELECT c.id, trim(c.first_name || ' ' || c.last_name) AS name, c.email, c.title, c.account_id,
                a.name AS account_name, c.stage, c.stage_since, c.owner_id, m.name AS owner_name,
                c.source_channel, c.score
         FROM (SELECT c.rowid AS r, {keys} FROM {from} {cond} ORDER BY {order} LIMIT ? OFFSET ?) p
         JOIN contacts c ON c.rowid = p.r
         LEFT JOIN accounts a ON a.id = c.account_id
         LEFT JOIN members m ON m.id = c.owner_id
         ORDER BY {outer}",
        keys = ord.select(),
        order = ord.order_by(),
        outer = ord
            .keys
            .iter()
            .enumerate()
            .map(|(i, (k, desc))| {
                // The page keeps the order it was chosen in, collation included.
                let nocase = if k.ends_with(" COLLATE NOCASE") { " COLLATE NOCASE" } else { "" };
                format!("p.k{i}{nocase}{}", if *desc { " DESC" } else { "" })
            })
            .collect::<Vec<_>>()
            .join(", "),
    );
    let mut out: Vec<LeadRow> = bind_all(sqlx::query_as(AssertSqlSafe(sql)), &binds)
        .bind(limit)
        .bind(i64::from(offset))
        .fetch_all(conn)
        .await?;
    let limits = cx.overdue_since();
    for r in &mut out {
        r.overdue = limits
            .iter()
            .any(|(stage, cutoff)| *stage == r.stage && r.stage_since <= *cutoff);
    }
    Ok(out)
}

/// One page of leads (at `offset`, or after the anchor in `after`) and how many match.
pub async fn page(conn: &mut Conn, f: &LeadFilter, cx: &Context<'_>) -> AppResult<LeadPage> {
    let ord = order(f.sort);
    let after = f.after.as_deref().map(|a| decode(ord.tag, a)).transpose()?;
    let (from, mut binds) = source(f)?;
    let (cond, more) = conditions(f, cx)?;
    binds.extend(more);
    let total = count(&mut *conn, &from, &cond, &binds).await?;
    let rows = rows(conn, f, cx, after, f.limit).await?;
    Ok(LeadPage {
        total,
        offset: f.offset,
        rows,
    })
}

/// Opens a list: the count and the first page.
pub async fn window(conn: &mut Conn, f: &LeadFilter, cx: &Context<'_>) -> AppResult<LeadWindow> {
    let (from, mut binds) = source(f)?;
    let (cond, more) = conditions(f, cx)?;
    binds.extend(more);
    let total = count(&mut *conn, &from, &cond, &binds).await?;
    let first = LeadFilter {
        after: None,
        offset: 0,
        ..f.clone()
    };
    let rows = rows(&mut *conn, &first, cx, None, PAGE).await?;
    Ok(LeadWindow {
        total,
        page_size: PAGE,
        rows,
    })
}

/// The anchors of a list: `anchors[k]` is the sort key of the last row of page k, so page
/// k + 1 is `after: anchors[k]`. One pass over the sort's keys (`row_number()` over the
/// index order), however deep the list.
pub async fn anchors(conn: &mut Conn, f: &LeadFilter, cx: &Context<'_>) -> AppResult<Vec<String>> {
    let ord = order(f.sort);
    let (from, mut binds) = source(f)?;
    let (cond, more) = conditions(f, cx)?;
    binds.extend(more);
    let sql = format!(
        "SELECT * FROM (SELECT {keys}, row_number() OVER (ORDER BY {order}) AS n
                        FROM {from} {cond})
         WHERE n % {PAGE} = 0",
        keys = ord.select(),
        order = ord.order_by(),
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for b in &binds {
        q = match b {
            Bind::Text(t) => q.bind(t.clone()),
            Bind::Int(i) => q.bind(*i),
            Bind::Real(r) => q.bind(*r),
        };
    }
    let mut anchors = Vec::new();
    for row in q.fetch_all(&mut *conn).await? {
        let mut key = Vec::with_capacity(ord.keys.len());
        for i in 0..ord.keys.len() {
            key.push(crate::db::cell_json(&row, i)?);
        }
        anchors.push(encode(ord.tag, key));
    }
    Ok(anchors)
}

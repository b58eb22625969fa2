//! Find: full-text search (SQLite FTS5, ranked by bm25 with the title weighing most)
//! combined with facets (stage, persona, risk, kind, industry, language, owner, freshness,
//! status) and their counts. The facets of every asset are held in a compact in-memory
//! index, reloaded when the library's generation stamp changes; a search steps the FTS
//! matches once on the raw handle and filters and counts them against that index, so
//! faceting costs little more than the full-text query itself.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use specta::Type;

use super::raw::{Arg, Raw};
use super::AssetStatus;
use crate::db::Conn;
use crate::error::{AppError, AppResult};

/// Every match of a full-text query with its rank: bm25 with column weights for title (8),
/// summary (2), tags (4) and file text (1), since a word in the title says far more about
/// what an asset is than the same word on page 30 of its PDF. One pass gives the facets
/// their counts and the page its order.
const MATCH_SQL: &str =
    "SELECT rowid, bm25(content_fts, 8.0, 2.0, 4.0, 1.0) FROM content_fts WHERE content_fts MATCH ?1";
/// The raw floor the benchmark compares with: the same MATCH, ranked by the same bm25,
/// first 50, nothing else.
pub const RAW_FLOOR_SQL: &str = "SELECT rowid, bm25(content_fts, 8.0, 2.0, 4.0, 1.0) AS r FROM content_fts WHERE content_fts MATCH ?1 ORDER BY r LIMIT 50";
/// Review-by dates within this many days are "due soon".
pub const DUE_SOON_DAYS: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum Freshness {
    Current,
    DueSoon,
    Stale,
    NoReviewDate,
}

impl Freshness {
    pub const ALL: [Freshness; 4] = [
        Freshness::Current,
        Freshness::DueSoon,
        Freshness::Stale,
        Freshness::NoReviewDate,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Freshness::Current => "current",
            Freshness::DueSoon => "due_soon",
            Freshness::Stale => "stale",
            Freshness::NoReviewDate => "no_review_date",
        }
    }
    /// Of a review-by date, as of `today`.
    pub fn of(review_by: Option<NaiveDate>, today: NaiveDate) -> Freshness {
        match review_by {
            None => Freshness::NoReviewDate,
            Some(d) if d < today => Freshness::Stale,
            Some(d) if d <= today + Duration::days(DUE_SOON_DAYS) => Freshness::DueSoon,
            Some(_) => Freshness::Current,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum FacetName {
    Stage,
    Persona,
    Risk,
    Kind,
    Industry,
    Language,
    Owner,
    Freshness,
    Status,
}

const FACETS: [FacetName; 9] = [
    FacetName::Stage,
    FacetName::Persona,
    FacetName::Risk,
    FacetName::Kind,
    FacetName::Industry,
    FacetName::Language,
    FacetName::Owner,
    FacetName::Freshness,
    FacetName::Status,
];

/// What to find. Empty lists select everything; `statuses` empty means published only
/// (what reps see).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase", default)]
pub struct SearchQuery {
    pub text: String,
    pub stages: Vec<String>,
    pub personas: Vec<String>,
    pub risks: Vec<String>,
    pub kinds: Vec<String>,
    pub industries: Vec<String>,
    pub languages: Vec<String>,
    pub owners: Vec<String>,
    pub freshness: Vec<Freshness>,
    pub statuses: Vec<AssetStatus>,
    /// Results per page (default 50, at most 200).
    pub limit: u32,
    pub offset: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct FacetCount {
    pub value: String,
    pub count: u32,
}

/// A facet's values with how many assets each would show, given the query and the other
/// facets' selections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Facet {
    pub name: FacetName,
    pub values: Vec<FacetCount>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub stages: Vec<String>,
    pub personas: Vec<String>,
    pub risks: Vec<String>,
    pub industries: Vec<String>,
    pub languages: Vec<String>,
    pub owner_id: Option<String>,
    pub status: AssetStatus,
    pub review_by: Option<String>,
    pub freshness: Freshness,
    pub media_type: Option<String>,
    pub file_name: Option<String>,
    pub url: Option<String>,
    /// Relevance: higher is better (bm25, negated); 0 without search words.
    pub score: f64,
    /// The title and a passage, as plain text, with the matched words as
    /// [start, end) offsets in UTF-16 code units (how JavaScript indexes strings).
    pub title_hits: Vec<(u32, u32)>,
    pub snippet: String,
    pub snippet_hits: Vec<(u32, u32)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct SearchResults {
    pub total: u32,
    pub results: Vec<SearchHit>,
    pub facets: Vec<Facet>,
}

/// A facet's distinct values, numbered.
#[derive(Default)]
struct Dict {
    values: Vec<String>,
    ids: HashMap<String, u16>,
}

impl Dict {
    fn id(&mut self, v: &str) -> u16 {
        if let Some(i) = self.ids.get(v) {
            return *i;
        }
        let i = self.values.len() as u16;
        self.values.push(v.to_string());
        self.ids.insert(v.to_string(), i);
        i
    }
}

struct Entry {
    rowid: i64,
    id: String,
    title: String,
    /// The title lowercased, for browsing in title order.
    title_key: String,
    summary: String,
    /// Per facet (in FACETS order), the value ids it has.
    values: [Vec<u16>; 9],
    owner_id: Option<String>,
    status: AssetStatus,
    review_by: Option<NaiveDate>,
    media_type: Option<String>,
    file_name: Option<String>,
    url: Option<String>,
}

/// Every asset's facets, for one generation of the library.
pub struct Index {
    generation: String,
    entries: Vec<Entry>,
    /// Entry by rowid (rowids are dense; u32::MAX where none).
    by_rowid: Vec<u32>,
    dicts: Vec<Dict>,
}

impl Index {
    fn slot(by_rowid: &[u32], rowid: i64) -> Option<u32> {
        usize::try_from(rowid)
            .ok()
            .and_then(|r| by_rowid.get(r))
            .copied()
            .filter(|i| *i != u32::MAX)
    }
}

static CACHE: Mutex<Option<Arc<Index>>> = Mutex::new(None);

fn facet_pos(f: FacetName) -> usize {
    FACETS.iter().position(|x| *x == f).expect("a facet")
}

/// The library's generation stamp (changes with every write).
async fn generation(conn: &mut Conn) -> AppResult<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT value FROM projection_state WHERE key = 'content_generation'")
            .fetch_optional(conn)
            .await?,
    )
}

/// The index for the library as it is now (from the cache when nothing was written since).
pub async fn index(conn: &mut Conn) -> AppResult<Arc<Index>> {
    let gen = generation(&mut *conn).await?.unwrap_or_default();
    if !gen.is_empty() {
        if let Some(i) = CACHE.lock().ok().and_then(|c| c.clone()) {
            if i.generation == gen {
                return Ok(i);
            }
        }
    }
    let index = Arc::new(load(conn, gen.clone()).await?);
    if !gen.is_empty() {
        if let Ok(mut c) = CACHE.lock() {
            *c = Some(index.clone());
        }
    }
    Ok(index)
}

type AssetRow = (
    i64,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

async fn load(conn: &mut Conn, generation: String) -> AppResult<Index> {
    let rows: Vec<AssetRow> = sqlx::query_as(
        "SELECT rowid, id, title, summary, kind, status, owner_id, review_by, media_type, file_name, url
         FROM content_assets WHERE deleted_at IS NULL",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut dicts: Vec<Dict> = FACETS.iter().map(|_| Dict::default()).collect();
    let mut entries = Vec::with_capacity(rows.len());
    let max_rowid = rows.iter().map(|r| r.0).max().unwrap_or(0).max(0) as usize;
    let mut by_rowid = vec![u32::MAX; max_rowid + 1];
    for (rowid, id, title, summary, kind, status, owner, review_by, media, file, url) in rows {
        let status = AssetStatus::parse("status", &status).unwrap_or(AssetStatus::Draft);
        let mut values: [Vec<u16>; 9] = Default::default();
        values[facet_pos(FacetName::Kind)].push(dicts[facet_pos(FacetName::Kind)].id(&kind));
        values[facet_pos(FacetName::Status)]
            .push(dicts[facet_pos(FacetName::Status)].id(status.as_str()));
        if let Some(o) = &owner {
            values[facet_pos(FacetName::Owner)].push(dicts[facet_pos(FacetName::Owner)].id(o));
        }
        if let Some(slot) = usize::try_from(rowid)
            .ok()
            .and_then(|r| by_rowid.get_mut(r))
        {
            *slot = entries.len() as u32;
        }
        entries.push(Entry {
            rowid,
            id,
            title_key: title.to_lowercase(),
            title,
            summary,
            values,
            owner_id: owner,
            status,
            review_by: review_by.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
            media_type: media,
            file_name: file,
            url,
        });
    }
    let tags: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT asset_rowid, facet, value FROM content_tags")
            .fetch_all(&mut *conn)
            .await?;
    for (rowid, facet, value) in tags {
        let f = match facet.as_str() {
            "stage" => FacetName::Stage,
            "persona" => FacetName::Persona,
            "risk" => FacetName::Risk,
            "industry" => FacetName::Industry,
            "language" => FacetName::Language,
            _ => continue,
        };
        if let Some(i) = Index::slot(&by_rowid, rowid) {
            let p = facet_pos(f);
            let id = dicts[p].id(&value);
            entries[i as usize].values[p].push(id);
        }
    }
    Ok(Index {
        generation,
        entries,
        by_rowid,
        dicts,
    })
}

/// The FTS5 query for what a person typed: each word quoted (so no word is an operator),
/// all required, the last one as a prefix while they are still typing it.
///
/// ```
/// use playbook::content::search::fts_query;
/// assert_eq!(fts_query("ROI calc").as_deref(), Some("\"roi\" \"calc\"*"));
/// assert_eq!(fts_query("acme NOT \"x\" ").as_deref(), Some("\"acme\" \"not\" \"x\""));
/// assert_eq!(fts_query("  -- ").as_deref(), None);
/// ```
pub fn fts_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(12)
        .map(|w| w.to_lowercase())
        .collect();
    if words.is_empty() {
        return None;
    }
    let typing = !text.ends_with(|c: char| c.is_whitespace() || c == '"');
    let n = words.len();
    Some(
        words
            .iter()
            .enumerate()
            .map(|(i, w)| {
                if i + 1 == n && typing {
                    format!("\"{w}\"*")
                } else {
                    format!("\"{w}\"")
                }
            })
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// Searches the library as of `now`.
pub async fn search(
    conn: &mut Conn,
    q: &SearchQuery,
    now: DateTime<Utc>,
) -> AppResult<SearchResults> {
    let index = index(&mut *conn).await?;
    let today = now.date_naive();
    let fts = fts_query(&q.text);
    // Every full-text match with its rank, or every asset without words.
    let mut hits: Vec<(u32, f64)> = Vec::new();
    match &fts {
        Some(m) => {
            let raw = Raw::lock(&mut *conn).await?;
            raw.each(MATCH_SQL, &[Arg::Text(m)], |row| {
                if let Some(i) = Index::slot(&index.by_rowid, row.int(0)) {
                    hits.push((i, row.real(1)));
                }
            })?;
        }
        None => hits.extend((0..index.entries.len() as u32).map(|i| (i, 0.0))),
    }

    // The selection per facet, as value ids (a value nobody has selects nothing).
    let statuses: Vec<AssetStatus> = if q.statuses.is_empty() {
        vec![AssetStatus::Published]
    } else {
        q.statuses.clone()
    };
    let picks: Vec<(FacetName, Vec<String>)> = vec![
        (FacetName::Stage, q.stages.clone()),
        (FacetName::Persona, q.personas.clone()),
        (FacetName::Risk, q.risks.clone()),
        (FacetName::Kind, q.kinds.clone()),
        (FacetName::Industry, q.industries.clone()),
        (FacetName::Language, q.languages.clone()),
        (FacetName::Owner, q.owners.clone()),
        (
            FacetName::Status,
            statuses.iter().map(|s| s.as_str().to_string()).collect(),
        ),
    ];
    let mut selected: Vec<Option<Vec<u16>>> = vec![None; FACETS.len()];
    for (f, values) in picks {
        if values.is_empty() {
            continue;
        }
        let p = facet_pos(f);
        selected[p] = Some(
            values
                .iter()
                .map(|v| index.dicts[p].ids.get(v).copied().unwrap_or(u16::MAX))
                .collect(),
        );
    }
    let fresh_pos = facet_pos(FacetName::Freshness);

    let mut counts: Vec<Vec<u32>> = index
        .dicts
        .iter()
        .map(|d| vec![0; d.values.len()])
        .collect();
    let mut fresh_counts = [0u32; 4];
    let mut shown: Vec<(u32, f64)> = Vec::new();
    for &(i, rank) in &hits {
        let e = &index.entries[i as usize];
        let freshness = Freshness::of(e.review_by, today);
        let mut fails = 0;
        let mut failing = usize::MAX;
        for (p, sel) in selected.iter().enumerate() {
            let ok = match sel {
                None => true,
                Some(sel) => e.values[p].iter().any(|v| sel.contains(v)),
            };
            if !ok {
                fails += 1;
                failing = p;
            }
        }
        if !q.freshness.is_empty() && !q.freshness.contains(&freshness) {
            fails += 1;
            failing = fresh_pos;
        }
        if fails == 0 {
            shown.push((i, rank));
        }
        if fails > 1 {
            continue;
        }
        // Each facet counts the assets that pass every other facet's selection.
        for (p, c) in counts.iter_mut().enumerate() {
            if fails == 1 && failing != p {
                continue;
            }
            if p == fresh_pos {
                fresh_counts[Freshness::ALL
                    .iter()
                    .position(|f| *f == freshness)
                    .unwrap_or(0)] += 1;
            } else {
                for v in &e.values[p] {
                    c[*v as usize] += 1;
                }
            }
        }
    }
    let total = shown.len() as u32;
    let limit = if q.limit == 0 { 50 } else { q.limit.min(200) } as usize;
    let wanted = q.offset as usize + limit;

    // The page: by rank with words (only the first ones sorted), by title without.
    let page: Vec<(u32, f64)> = if fts.is_some() {
        let by_rank = |a: &(u32, f64), b: &(u32, f64)| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0));
        if shown.len() > wanted {
            shown.select_nth_unstable_by(wanted, by_rank);
            shown.truncate(wanted);
        }
        shown.sort_by(by_rank);
        shown.into_iter().skip(q.offset as usize).collect()
    } else {
        shown.sort_by(|a, b| {
            let (x, y) = (&index.entries[a.0 as usize], &index.entries[b.0 as usize]);
            x.title_key.cmp(&y.title_key).then(a.0.cmp(&b.0))
        });
        shown
            .into_iter()
            .skip(q.offset as usize)
            .take(limit)
            .collect()
    };

    // Highlights on the few results shown: their text by rowid, the words marked here.
    let mut texts: HashMap<u32, (String, String)> = HashMap::new();
    if fts.is_some() && !page.is_empty() {
        let ids: Vec<i64> = page
            .iter()
            .map(|(i, _)| index.entries[*i as usize].rowid)
            .collect();
        let list = serde_json::to_string(&ids).expect("ids serialise");
        let raw = Raw::lock(&mut *conn).await?;
        raw.each(
            "SELECT rowid, summary, substr(body, 1, 65536) FROM content_fts WHERE rowid IN (SELECT value FROM json_each(?1))",
            &[Arg::Text(&list)],
            |row| {
                if let Some(i) = Index::slot(&index.by_rowid, row.int(0)) {
                    texts.insert(i, (row.text(1), row.text(2)));
                }
            },
        )?;
    }
    let words = super::highlight::Words::of(&q.text);

    let values_of = |e: &Entry, f: FacetName| -> Vec<String> {
        let p = facet_pos(f);
        e.values[p]
            .iter()
            .map(|v| index.dicts[p].values[*v as usize].clone())
            .collect()
    };
    let results = page
        .into_iter()
        .map(|(i, rank)| {
            let e = &index.entries[i as usize];
            let (title_hits, (snippet, snippet_hits)) = match texts.get(&i) {
                Some((summary, body)) => (
                    super::highlight::marks(&e.title, &words),
                    super::highlight::passage(body, &words, 24)
                        .or_else(|| super::highlight::passage(summary, &words, 24))
                        .unwrap_or_else(|| (short(&e.summary), vec![])),
                ),
                None => (vec![], (short(&e.summary), vec![])),
            };
            SearchHit {
                id: e.id.clone(),
                title: e.title.clone(),
                kind: values_of(e, FacetName::Kind).pop().unwrap_or_default(),
                stages: values_of(e, FacetName::Stage),
                personas: values_of(e, FacetName::Persona),
                risks: values_of(e, FacetName::Risk),
                industries: values_of(e, FacetName::Industry),
                languages: values_of(e, FacetName::Language),
                owner_id: e.owner_id.clone(),
                status: e.status,
                review_by: e.review_by.map(|d| d.to_string()),
                freshness: Freshness::of(e.review_by, today),
                media_type: e.media_type.clone(),
                file_name: e.file_name.clone(),
                url: e.url.clone(),
                score: ((-rank) * 1000.0).round() / 1000.0,
                title_hits,
                snippet,
                snippet_hits,
            }
        })
        .collect();

    let mut facets = Vec::with_capacity(FACETS.len());
    for (p, f) in FACETS.iter().enumerate() {
        let mut values: Vec<FacetCount> = if *f == FacetName::Freshness {
            Freshness::ALL
                .iter()
                .zip(fresh_counts)
                .filter(|(_, c)| *c > 0)
                .map(|(fr, c)| FacetCount {
                    value: fr.as_str().into(),
                    count: c,
                })
                .collect()
        } else {
            counts[p]
                .iter()
                .enumerate()
                .filter(|(_, c)| **c > 0)
                .map(|(v, c)| FacetCount {
                    value: index.dicts[p].values[v].clone(),
                    count: *c,
                })
                .collect()
        };
        // Selected values stay listed (with 0) so they can be cleared.
        let chosen: Vec<String> = match f {
            FacetName::Freshness => q.freshness.iter().map(|x| x.as_str().to_string()).collect(),
            _ => selected[p]
                .iter()
                .flatten()
                .filter_map(|v| index.dicts[p].values.get(*v as usize).cloned())
                .collect(),
        };
        for c in chosen {
            if !values.iter().any(|v| v.value == c) {
                values.push(FacetCount { value: c, count: 0 });
            }
        }
        values.sort_by(|a, b| b.count.cmp(&a.count).then(a.value.cmp(&b.value)));
        facets.push(Facet { name: *f, values });
    }
    Ok(SearchResults {
        total,
        results,
        facets,
    })
}

fn short(text: &str) -> String {
    let mut s: String = text.chars().take(180).collect();
    if text.chars().count() > 180 {
        s.push('…');
    }
    s
}

/// The raw FTS5 floor: the same MATCH ranked by the same bm25, first 50, nothing else.
pub async fn raw_floor(conn: &mut Conn, text: &str) -> AppResult<Vec<(i64, f64)>> {
    let Some(m) = fts_query(text) else {
        return Err(AppError::invalid("query", "query: no words to search for"));
    };
    let raw = Raw::lock(conn).await?;
    let mut out = Vec::with_capacity(50);
    raw.each(RAW_FLOOR_SQL, &[Arg::Text(&m)], |row| {
        out.push((row.int(0), row.real(1)));
    })?;
    Ok(out)
}

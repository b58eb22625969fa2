//! `playbook bench --content [N]`: a synthetic library of N assets (100k by default) with
//! text bodies, in the demo workspace's taxonomy; search latency (median, p95) for typical
//! queries with and without facets, and the same FTS5 query run raw on the same database
//! in the same run, taking turns, with the ratio. Budget: faceted p95 ≤ 20 ms, ≤ 2× raw.
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde::Serialize;

use super::records::ContentRecord;
use super::search::{self, SearchQuery};
use super::taxonomy::Taxonomy;
use super::write;
use super::{AssetFields, AssetSource, AssetStatus};
use crate::db::{self, Db};
use crate::error::AppResult;
use crate::generator::Rng;

const RUNS: usize = 40;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Case {
    name: String,
    text: String,
    facets: String,
    matches: u32,
    search_median_ms: f64,
    search_p95_ms: f64,
    raw_median_ms: Option<f64>,
    raw_p95_ms: Option<f64>,
    ratio_p95: Option<f64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    assets: u32,
    generate_ms: f64,
    database_mb: f64,
    index_load_ms: f64,
    cases: Vec<Case>,
    faceted_p95_ms: f64,
    worst_ratio_p95: f64,
}

const TOPICS: [&str; 48] = [
    "forecasting",
    "pipeline",
    "handover",
    "scoring",
    "nurture",
    "onboarding",
    "renewal",
    "pricing",
    "security",
    "migration",
    "integration",
    "governance",
    "attribution",
    "routing",
    "enablement",
    "territory",
    "quota",
    "churn",
    "expansion",
    "procurement",
    "compliance",
    "analytics",
    "webinar",
    "benchmark",
    "roi",
    "calculator",
    "objection",
    "battlecard",
    "segmentation",
    "persona",
    "journey",
    "retention",
    "upsell",
    "discovery",
    "demo",
    "proposal",
    "negotiation",
    "implementation",
    "adoption",
    "training",
    "partner",
    "channel",
    "events",
    "advertising",
    "search",
    "social",
    "privacy",
    "audit",
];
const INDUSTRIES: [&str; 8] = [
    "Software",
    "Manufacturing",
    "Financial Services",
    "Healthcare",
    "Retail",
    "Logistics",
    "Energy",
    "Education",
];
const COMMON: [&str; 40] = [
    "revenue",
    "team",
    "sales",
    "marketing",
    "lead",
    "customer",
    "process",
    "data",
    "report",
    "meeting",
    "quarter",
    "target",
    "result",
    "buyer",
    "account",
    "deal",
    "cost",
    "time",
    "value",
    "return",
    "risk",
    "review",
    "plan",
    "growth",
    "conversion",
    "response",
    "agreed",
    "definition",
    "stage",
    "owner",
    "metric",
    "budget",
    "evidence",
    "contract",
    "approval",
    "workflow",
    "dashboard",
    "playbook",
    "objection",
    "competitor",
];

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 100_000.0).round() / 100.0
}

fn stats(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort();
    let p95 = v[((v.len() as f64 * 0.95).ceil() as usize)
        .saturating_sub(1)
        .min(v.len() - 1)];
    (ms(v[v.len() / 2]), ms(p95))
}

/// Fills the library with `n` synthetic published assets, signed by `signer`.
async fn generate(db: &Db, n: u32, signer: &crate::trust::Signer) -> AppResult<()> {
    let now = Utc::now();
    let mut tx = db::write(db).await?;
    let tax = Taxonomy::load(&mut tx, now).await?;
    let mut rng = Rng(2026);
    // A vocabulary of made-up words besides the domain's, so bodies are not all alike.
    let rare: Vec<String> = (0..4000)
        .map(|i| {
            let syl = [
                "ka", "lo", "mi", "ren", "tas", "vo", "pel", "dri", "sun", "ba", "quo", "xen",
            ];
            format!(
                "{}{}{}",
                syl[i % 12],
                syl[(i / 12) % 12],
                syl[(i / 144) % 12]
            )
        })
        .collect();
    let pick = |rng: &mut Rng, labels: &[super::Named], max: usize| -> Vec<String> {
        let k = 1 + rng.below(max);
        let mut out: Vec<String> = (0..k)
            .map(|_| labels[rng.below(labels.len())].key.clone())
            .collect();
        out.sort();
        out.dedup();
        out
    };
    let mut rowid: i64 = 1;
    let batch = 5000;
    let mut done = 0;
    while done < n {
        let mut records = Vec::new();
        let mut projections = Vec::new();
        for _ in 0..batch.min(n - done) {
            let topic = TOPICS[rng.below(TOPICS.len())];
            let other = TOPICS[rng.below(TOPICS.len())];
            let kind = &tax.kinds[rng.below(tax.kinds.len())];
            let industry = INDUSTRIES[rng.below(INDUSTRIES.len())];
            let fields = AssetFields {
                title: format!(
                    "{} and {other}: {} for {industry}",
                    capitalise(topic),
                    kind.name.to_lowercase()
                ),
                kind: kind.key.clone(),
                summary: format!(
                    "How {} teams in {industry} handle {topic} and {other}, with {} {}.",
                    COMMON[rng.below(COMMON.len())],
                    COMMON[rng.below(COMMON.len())],
                    COMMON[rng.below(COMMON.len())]
                ),
                stages: pick(&mut rng, &tax.stages, 2),
                personas: pick(&mut rng, &tax.personas, 2),
                risks: if rng.below(3) == 0 {
                    pick(&mut rng, &tax.risks, 2)
                } else {
                    vec![]
                },
                industries: vec![industry.into()],
                languages: vec![if rng.below(5) == 0 { "de" } else { "en" }.into()],
                owner_id: Some(signer.member_id.clone()),
                status: AssetStatus::Published,
                review_by: Some(
                    (now.date_naive() + chrono::Duration::days(rng.below(720) as i64 - 120))
                        .to_string(),
                ),
                source: AssetSource::Link {
                    url: format!("https://content.larkspur.example/a/{rowid}"),
                },
            };
            let words = 60 + rng.below(140);
            let mut body = String::with_capacity(words * 8);
            for w in 0..words {
                // Mostly the long tail of a big vocabulary, some everyday words, and now and
                // then a topic word: a topic is in a few percent of the library, as in life.
                let word: &str = match rng.below(100) {
                    0..=24 => COMMON[rng.skewed(COMMON.len())],
                    25..=27 => TOPICS[rng.below(TOPICS.len())],
                    _ => &rare[rng.skewed(rare.len())],
                };
                if w > 0 {
                    body.push(' ');
                }
                body.push_str(word);
            }
            let asset_id = db::new_id();
            let record = ContentRecord::signed(&asset_id, &fields, signer, &db::ts(now));
            projections.push(write::project_rows(
                rowid,
                &asset_id,
                &[(record.clone(), fields)],
                &tax,
                body,
            ));
            records.push(record);
            rowid += 1;
        }
        done += records.len() as u32;
        write::insert_records(&mut tx, &records).await?;
        write::store(&mut tx, projections).await?;
    }
    write::bump(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

pub async fn run(assets: u32, json: bool) -> AppResult<()> {
    let dir = std::env::temp_dir().join(format!("playbook-content-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let result = measure(&dir, assets).await;
    let _ = std::fs::remove_dir_all(&dir);
    let r = result?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&r).expect("report serialises")
        );
        return Ok(());
    }
    println!(
        "Content library benchmark: {} assets with text bodies (generated in {:.1} s, {:.0} MB database); {RUNS} runs per case, search and raw FTS5 taking turns",
        r.assets,
        r.generate_ms / 1000.0,
        r.database_mb
    );
    println!(
        "  facet index load (first search after a write) {:.1} ms",
        r.index_load_ms
    );
    println!(
        "  {:<34} {:>8} {:>9} {:>9} {:>9} {:>9} {:>7}",
        "case", "matches", "med ms", "p95 ms", "raw med", "raw p95", "ratio"
    );
    for c in &r.cases {
        println!(
            "  {:<34} {:>8} {:>9.2} {:>9.2} {:>9} {:>9} {:>7}",
            c.name,
            c.matches,
            c.search_median_ms,
            c.search_p95_ms,
            c.raw_median_ms.map_or("-".into(), |x| format!("{x:.2}")),
            c.raw_p95_ms.map_or("-".into(), |x| format!("{x:.2}")),
            c.ratio_p95.map_or("-".into(), |x| format!("{x:.2}×")),
        );
    }
    println!(
        "  faceted search p95 (worst case) {:.2} ms   budget 20 ms; worst p95 ratio to raw FTS5 {:.2}×   budget 2×",
        r.faceted_p95_ms, r.worst_ratio_p95
    );
    Ok(())
}

async fn measure(dir: &Path, assets: u32) -> AppResult<Report> {
    let pool = db::open(dir).await?;
    {
        let mut tx = db::write(&pool).await?;
        crate::demo::create(&mut tx, Utc::now()).await?;
        tx.commit().await?;
    }
    super::demo::agree_taxonomy(&pool, Utc::now()).await?;
    let signer = crate::team::unlock(
        &pool,
        "maya.okafor@larkspur.example",
        crate::trust::keys::DEMO_PASSPHRASE,
    )
    .await?;
    let start = Instant::now();
    generate(&pool, assets, &signer).await?;
    let generate_time = start.elapsed();
    let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&pool)
        .await;
    let size = std::fs::metadata(dir.join(db::DB_FILE))
        .map(|m| m.len())
        .unwrap_or(0);

    let mut conn = pool.acquire().await?;
    let start = Instant::now();
    search::index(&mut conn).await?;
    let index_load = start.elapsed();
    let q = |text: &str| SearchQuery {
        text: text.into(),
        ..SearchQuery::default()
    };
    let cases: Vec<(&str, SearchQuery)> = vec![
        ("'forecasting'", q("forecasting")),
        ("'security review'", q("security review")),
        ("'pricing objection'", q("pricing objection")),
        ("'roi calculator'", q("roi calculator")),
        ("'onboard' (typing)", q("onboard")),
        (
            "'forecasting' + decision stage",
            SearchQuery {
                stages: vec!["decision".into()],
                ..q("forecasting")
            },
        ),
        (
            "'security' + IT persona + decision",
            SearchQuery {
                stages: vec!["decision".into()],
                personas: vec!["it_security".into()],
                ..q("security")
            },
        ),
        (
            "'pricing' + competitor + kind",
            SearchQuery {
                risks: vec!["competitor:acme_cloud".into()],
                kinds: vec!["battlecard".into()],
                ..q("pricing")
            },
        ),
        (
            "'renewal budget' + CFO + English",
            SearchQuery {
                personas: vec!["economic_buyer".into()],
                languages: vec!["en".into()],
                ..q("renewal budget")
            },
        ),
        (
            "facets only: decision × economic buyer",
            SearchQuery {
                stages: vec!["decision".into()],
                personas: vec!["economic_buyer".into()],
                ..SearchQuery::default()
            },
        ),
    ];
    let mut out = Vec::new();
    for (name, query) in cases {
        let has_text = search::fts_query(&query.text).is_some();
        let first = search::search(&mut conn, &query, Utc::now()).await?;
        if has_text {
            search::raw_floor(&mut conn, &query.text).await?;
        }
        let (mut s_times, mut r_times) = (Vec::new(), Vec::new());
        for _ in 0..RUNS {
            let t = Instant::now();
            let r = search::search(&mut conn, &query, Utc::now()).await?;
            s_times.push(t.elapsed());
            std::hint::black_box(r);
            if has_text {
                let t = Instant::now();
                let r = search::raw_floor(&mut conn, &query.text).await?;
                r_times.push(t.elapsed());
                std::hint::black_box(r);
            }
        }
        let (s_med, s_p95) = stats(s_times);
        let raw = (!r_times.is_empty()).then(|| stats(r_times));
        let facets = [
            ("stage", &query.stages),
            ("persona", &query.personas),
            ("risk", &query.risks),
            ("kind", &query.kinds),
            ("language", &query.languages),
        ]
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(f, v)| format!("{f}={}", v.join("|")))
        .collect::<Vec<_>>()
        .join(" ");
        out.push(Case {
            name: name.into(),
            text: query.text.clone(),
            facets,
            matches: first.total,
            search_median_ms: s_med,
            search_p95_ms: s_p95,
            raw_median_ms: raw.map(|r| r.0),
            raw_p95_ms: raw.map(|r| r.1),
            ratio_p95: raw.map(|r| ((s_p95 / r.1.max(0.001)) * 100.0).round() / 100.0),
        });
    }
    drop(conn);
    pool.close().await;
    let faceted_p95 = out
        .iter()
        .filter(|c| !c.facets.is_empty())
        .map(|c| c.search_p95_ms)
        .fold(0.0, f64::max);
    let worst_ratio = out.iter().filter_map(|c| c.ratio_p95).fold(0.0, f64::max);
    Ok(Report {
        assets,
        generate_ms: ms(generate_time),
        database_mb: (size as f64 / 1e6 * 10.0).round() / 10.0,
        index_load_ms: ms(index_load),
        cases: out,
        faceted_p95_ms: faceted_p95,
        worst_ratio_p95: worst_ratio,
    })
}

//! The SLA part of `playbook bench`: the full report over a generated workspace (read,
//! fold and judge every event), beside the floor of merely reading the log's rows; then
//! the scorecard after one new event, from the window's cache and its kept counts,
//! checked equal to a fresh build.
use std::time::{Duration, Instant};

use serde::Serialize;

use super::cache::State;
use super::ops::{self, SlaCache};
use super::report::{self, TrendPeriod};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::handoffs::{rules::reason_use, EventKind, EventRequest};
use crate::trust::Signer;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SlaFigures {
    pub events: u64,
    pub items: u64,
    /// Stepping through the log's rows and the columns a report needs, keeping nothing:
    /// the floor of any full report.
    pub read_floor_ms: f64,
    /// The whole report from scratch: read, fold, judge, count (median).
    pub full_report_ms: f64,
    pub full_report_runs: Vec<f64>,
    /// Of which reading, folding and judging every contact (median)…
    pub build_ms: f64,
    /// …(reading the log: rows decoded and grouped by contact; folding and judging)…
    pub read_ms: f64,
    pub judge_ms: f64,
    /// …and counting and writing out the items (median).
    pub count_ms: f64,
    /// Printing the report as `playbook sla report --format json` does (pretty JSON), to
    /// nowhere: not in the full report's figure, which ends with the report in memory.
    pub json_ms: f64,
    pub json_bytes: u64,
    /// The scorecard after one new event, from the cache (median and max).
    pub after_one_event_ms: f64,
    pub after_one_event_max_ms: f64,
}

const FLOOR: &str = "SELECT contact_id, id, kind, at, actor_id, assignee_id, to_stage, reason,
    channel, note <> '', bulk_id IS NOT NULL FROM handoff_events";

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 100_000.0).round() / 100.0
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Measures on the workspace in `db`; `rep` records the new events (a sales rep).
pub async fn measure(db: &Db, rep: &Signer, runs: u32) -> AppResult<SlaFigures> {
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM handoff_events")
        .fetch_one(db)
        .await?;
    let w = ops::window(None, None, None)?;
    let mut floor = vec![];
    let mut full = vec![];
    let (mut build, mut count) = (vec![], vec![]);
    let (mut read, mut judge, mut json) = (vec![], vec![], vec![]);
    let (mut items, mut json_bytes) = (0, 0);
    for _ in 0..runs.max(1) {
        let mut conn = db.acquire().await?;
        let start = Instant::now();
        let mut rows = 0u64;
        super::load::each_row(&mut conn, FLOOR, &[], |row| {
            rows += u64::from(row.text(0).is_some() && row.text(3).is_some());
        })
        .await?;
        floor.push(ms(start.elapsed()));
        std::hint::black_box(rows);
        drop(conn);
        // What `ops::report` does, timed in its two parts.
        let start = Instant::now();
        let mut conn = db.acquire().await?;
        let (state, spans) = State::build_timed(&mut conn).await?;
        let built = start.elapsed();
        let r = report::sla_report(&state, &w);
        let total = start.elapsed();
        drop(conn);
        full.push(ms(total));
        build.push(ms(built));
        read.push(ms(spans.read));
        judge.push(ms(spans.judge));
        count.push(ms(total - built));
        items = r.slas.iter().map(|s| s.items.len() as u64).sum();
        let start = Instant::now();
        let text = serde_json::to_string_pretty(&r).expect("the report serialises");
        json.push(ms(start.elapsed()));
        json_bytes = text.len() as u64;
        std::hint::black_box(text);
        std::hint::black_box(r);
    }

    // The window's cache, warm; then one new event at a time.
    let cache = SlaCache::default();
    ops::scorecard(db, &cache, TrendPeriod::Week).await?;
    let contacts: Vec<String> =
        sqlx::query_scalar("SELECT id FROM contacts ORDER BY random() LIMIT 400")
            .fetch_all(db)
            .await?;
    let mut after = vec![];
    for id in contacts {
        if after.len() >= 7 {
            break;
        }
        let detail = crate::leads::ops::detail(db, &id, Some(&rep.member_id)).await?;
        let Some(kind) = detail
            .allowed_actions
            .iter()
            .copied()
            .find(|k| reason_use(*k).is_none() && *k != EventKind::Attempt)
            .or_else(|| detail.allowed_actions.first().copied())
        else {
            continue;
        };
        let req = EventRequest {
            kind,
            reason: reason_use(kind).map(|_| "bad_timing".to_string()),
            channel: (kind == EventKind::Attempt).then(|| "phone".to_string()),
            note: "bench".into(),
            assignee_id: None,
        };
        if crate::leads::ops::record(db, &id, &req, rep, None)
            .await
            .is_err()
        {
            continue;
        }
        let start = Instant::now();
        let card = ops::scorecard(db, &cache, TrendPeriod::Week).await?;
        after.push(ms(start.elapsed()));
        std::hint::black_box(card);
    }
    if after.is_empty() {
        return Err(AppError::invalid(
            "bench",
            "no contact allowed the bench's rep to record an event",
        ));
    }
    // The cache after those events equals a fresh build.
    let mut conn = db.acquire().await?;
    let fresh = State::build(&mut conn).await?;
    let w = ops::window(None, None, None)?;
    let same = cache
        .with(&mut conn, |cached: &mut State| {
            // Owners are listed by interning order until `ops` sorts them by name.
            let by_member = |mut card: report::Scorecard| {
                card.owners.sort_by(|a, b| a.member_id.cmp(&b.member_id));
                card
            };
            cached.contents() == fresh.contents()
                && report::sla_report(cached, &w) == report::sla_report(&fresh, &w)
                && by_member(cached.scorecard(&w, TrendPeriod::Week))
                    == by_member(report::scorecard(&fresh, &w, TrendPeriod::Week))
        })
        .await?;
    if !same {
        return Err(AppError::invalid(
            "bench",
            "the cached SLA state differs from a full recomputation",
        ));
    }
    Ok(SlaFigures {
        events: events as u64,
        items,
        read_floor_ms: median(floor),
        full_report_ms: median(full.clone()),
        full_report_runs: full,
        build_ms: median(build),
        read_ms: median(read),
        judge_ms: median(judge),
        count_ms: median(count),
        json_ms: median(json),
        json_bytes,
        after_one_event_max_ms: after.iter().copied().fold(0.0, f64::max),
        after_one_event_ms: median(after),
    })
}

/// The figures as lines of the bench's table.
pub fn print(f: &SlaFigures) {
    println!(
        "  SLA report, full (read, fold, judge {} events; {} items) {:>8.1} ms   budget 1000 ms",
        f.events, f.items, f.full_report_ms
    );
    println!(
        "    of which read, fold and judge {:.1} ms (read {:.1}, fold and judge {:.1}), count and write out {:.1} ms",
        f.build_ms, f.read_ms, f.judge_ms, f.count_ms
    );
    println!(
        "    then printed as `sla report --format json` does ({:.1} MB)   {:>8.1} ms   (not in the figure above)",
        f.json_bytes as f64 / 1e6,
        f.json_ms
    );
    println!(
        "    floor: reading the log's rows                         {:>8.1} ms",
        f.read_floor_ms
    );
    println!(
        "  SLA scorecard after one new event (median, max)          {:>8.2} ms, {:.2} ms   budget 50 ms (equal to a full build: checked)",
        f.after_one_event_ms, f.after_one_event_max_ms
    );
}

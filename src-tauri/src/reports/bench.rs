//! `playbook bench --reports`: the reports, a meeting's agenda and the home screen's data
//! on a generated workspace, beside the floor of reading the handoff log once, and what
//! keeping the steps projection costs (a full build, and the refresh after one new event).
use std::time::{Duration, Instant};

use serde::Serialize;

use super::ops::{self, Basis};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::trust::Signer;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportFigures {
    pub events: i64,
    pub steps: i64,
    pub period: String,
    /// Reading every event's kind and time once (`SELECT … FROM handoff_events`): what
    /// any report would cost without the projection.
    pub read_log_floor_ms: f64,
    /// Folding every contact's log into the projection from scratch.
    pub projection_build_ms: f64,
    /// Bringing it up to date after one new event.
    pub projection_refresh_one_ms: f64,
    /// Steps in the period, and reading them (the floor of every report of the period).
    pub period_steps: usize,
    pub period_read_ms: (f64, f64),
    /// What every report loads besides them: the projection checked, the playbook by time,
    /// the zone and the team's names.
    pub basis_ms: (f64, f64),
    /// Each report as the window asks for it (projection checked, playbook loaded,
    /// period read and counted): median and slowest of the runs.
    pub funnel_ms: (f64, f64),
    pub sources_ms: (f64, f64),
    pub reasons_ms: (f64, f64),
    pub aging_ms: (f64, f64),
    /// Creating a meeting: its agenda built from the period's data and written, signed,
    /// with the SLA state kept as the window keeps it.
    pub agenda_ms: (f64, f64),
    /// The same as the CLI runs it: the SLA state folded from the log first.
    pub agenda_cold_sla_ms: (f64, f64),
    /// The home screen's data for a manager, computed.
    pub home_ms: (f64, f64),
    /// The same as kept from the last time: what the window's first paint shows.
    pub home_kept_ms: (f64, f64),
    /// Its SLA part, from the SLA state kept as the window keeps it.
    pub home_extras_ms: (f64, f64),
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 100_000.0).round() / 100.0
}

fn median_max(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort();
    (ms(v[v.len() / 2]), ms(*v.last().expect("at least one run")))
}

async fn time<F, Fut, T>(runs: u32, mut f: F) -> AppResult<(f64, f64)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = AppResult<T>>,
{
    std::hint::black_box(f().await?);
    let mut times = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        std::hint::black_box(f().await?);
        times.push(start.elapsed());
    }
    Ok(median_max(times))
}

/// Measures on `db` (a generated workspace); `manager` creates the meetings, `rep` records
/// the one new event.
pub async fn measure(
    db: &Db,
    manager: &Signer,
    rep: &Signer,
    runs: u32,
) -> AppResult<ReportFigures> {
    let start = Instant::now();
    let (n, _): (i64, i64) =
        sqlx::query_as("SELECT count(*), sum(length(kind) + length(at)) FROM handoff_events")
            .fetch_one(db)
            .await?;
    let floor = start.elapsed();

    let start = Instant::now();
    super::steps::refresh(db).await?;
    let build = start.elapsed();

    let one_event = async {
        let contact: String = sqlx::query_scalar(
            "SELECT id FROM contacts WHERE owner_id = ? AND stage IN
                 (SELECT value FROM json_each(?)) ORDER BY stage_since DESC LIMIT 1",
        )
        .bind(&rep.member_id)
        .bind(r#"["sal","sql"]"#)
        .fetch_one(db)
        .await?;
        let req = crate::handoffs::EventRequest {
            kind: crate::handoffs::EventKind::Attempt,
            reason: None,
            channel: Some("phone".into()),
            note: "bench".into(),
            assignee_id: None,
        };
        crate::leads::ops::record(db, &contact, &req, rep, None).await?;
        let start = Instant::now();
        super::steps::refresh(db).await?;
        AppResult::Ok(start.elapsed())
    }
    .await?;

    let steps: i64 = sqlx::query_scalar("SELECT count(*) FROM report_steps")
        .fetch_one(db)
        .await?;
    let basis = Basis::load(db).await?;
    let period = basis.period(None, None)?;
    let span = basis.span(&period)?;
    let period_steps = super::steps::between(&mut *db.acquire().await?, span.start, span.end)
        .await?
        .len();
    let period_read = time(runs, || async {
        super::steps::between(&mut *db.acquire().await?, span.start, span.end).await
    })
    .await?;
    let basis_load = time(runs, || Basis::load(db)).await?;
    let funnel = time(runs, || async {
        let b = Basis::load(db).await?;
        ops::funnel_report(&mut *db.acquire().await?, &b, &period).await
    })
    .await?;
    let sources = time(runs, || async {
        let b = Basis::load(db).await?;
        ops::sources_report(&mut *db.acquire().await?, &b, &period).await
    })
    .await?;
    let reasons = time(runs, || async {
        let b = Basis::load(db).await?;
        ops::reasons_report(&mut *db.acquire().await?, &b, &period).await
    })
    .await?;
    let aging = time(runs, || async {
        let b = Basis::load(db).await?;
        ops::aging_report(&mut *db.acquire().await?, &b, None).await
    })
    .await?;
    // The window keeps its SLA state between calls (built at start for the deadline
    // warnings): the agenda and home are measured with it kept, after the first run built it.
    let sla = crate::slas::ops::SlaCache::default();
    let agenda = time(runs, || async {
        let new = crate::meetings::NewMeeting {
            title: "Bench alignment".into(),
            held_on: None,
            attendees: vec![],
            period_from: Some(period.from.clone()),
            period_to: Some(period.to.clone()),
        };
        crate::meetings::ops::create(db, &new, manager, &sla).await
    })
    .await?;
    let home = time(runs, || crate::home::home(db, Some(&manager.member_id), 30)).await?;
    let home_kept = time(runs, || {
        crate::home::cache::kept(db, Some(&manager.member_id), 30)
    })
    .await?;
    let home_extras = time(runs, || {
        crate::home::extras::extras(db, Some(&manager.member_id), 30, &sla)
    })
    .await?;
    // As the CLI builds it: the SLA state folded afresh for the one command.
    let agenda_cold = time(1, || async {
        let new = crate::meetings::NewMeeting {
            title: "Bench alignment (CLI)".into(),
            held_on: None,
            attendees: vec![],
            period_from: Some(period.from.clone()),
            period_to: Some(period.to.clone()),
        };
        crate::meetings::ops::create(db, &new, manager, &crate::slas::ops::SlaCache::default())
            .await
    })
    .await?;
    if steps == 0 {
        return Err(AppError::invalid("bench", "the projection holds no steps"));
    }
    Ok(ReportFigures {
        events: n,
        steps,
        period: format!("{} to {}", period.from, period.to),
        read_log_floor_ms: ms(floor),
        projection_build_ms: ms(build),
        projection_refresh_one_ms: ms(one_event),
        period_steps,
        period_read_ms: period_read,
        basis_ms: basis_load,
        funnel_ms: funnel,
        sources_ms: sources,
        reasons_ms: reasons,
        aging_ms: aging,
        agenda_ms: agenda,
        agenda_cold_sla_ms: agenda_cold,
        home_ms: home,
        home_kept_ms: home_kept,
        home_extras_ms: home_extras,
    })
}

/// Measures on a generated workspace made from the demo (its manager creates the meetings,
/// its sales rep records the new event).
pub async fn on_demo_workspace(db: &Db, runs: u32) -> AppResult<ReportFigures> {
    let unlock =
        |email: &'static str| crate::team::unlock(db, email, crate::trust::keys::DEMO_PASSPHRASE);
    let manager = unlock("maya.okafor@larkspur.example").await?;
    let rep = unlock("sofia.marin@larkspur.example").await?;
    measure(db, &manager, &rep, runs).await
}

/// `--reports` alone: a generated workspace of `contacts`, then the figures.
pub async fn run(contacts: u32, runs: u32, json: bool) -> AppResult<()> {
    let dir = std::env::temp_dir().join(format!("playbook-bench-reports-{}", std::process::id()));
    let result = async {
        let db = crate::db::open(&dir).await?;
        let ops_signer = crate::bench::demo_workspace(&db).await?;
        crate::leads::ops::generate(&db, contacts, 2026, &ops_signer).await?;
        let figures = on_demo_workspace(&db, runs.max(1)).await;
        db.close().await;
        figures
    }
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    let f = result?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&f).expect("figures serialise")
        );
    } else {
        println!("Playbook reports benchmark at {contacts} contacts");
        print(&f);
    }
    Ok(())
}

pub fn print(f: &ReportFigures) {
    println!(
        "  reports over {} events ({} steps), period {}",
        f.events, f.steps, f.period
    );
    println!(
        "    read the log once (floor)    {:>8.1} ms",
        f.read_log_floor_ms
    );
    println!(
        "    projection, full build       {:>8.1} ms",
        f.projection_build_ms
    );
    println!(
        "    projection, after one event  {:>8.1} ms",
        f.projection_refresh_one_ms
    );
    println!(
        "    read the period's {} steps (floor of a report) {:>6.1} ms median, {:.1} max",
        f.period_steps, f.period_read_ms.0, f.period_read_ms.1
    );
    println!(
        "    playbook, zone and team loaded {:>10.1} ms median, {:.1} max",
        f.basis_ms.0, f.basis_ms.1
    );
    for (name, (median, max), budget) in [
        ("funnel report", f.funnel_ms, "300"),
        ("sources report", f.sources_ms, "300"),
        ("reasons report", f.reasons_ms, "300"),
        ("aging report", f.aging_ms, "—"),
        ("meeting agenda (create)", f.agenda_ms, "500"),
        ("  the same, SLAs folded afresh", f.agenda_cold_sla_ms, "—"),
        ("home screen data, computed", f.home_ms, "—"),
        ("  the same, as kept", f.home_kept_ms, "—"),
        ("  its SLA part", f.home_extras_ms, "—"),
    ] {
        println!("    {name:<28} {median:>8.1} ms median, {max:.1} max   budget {budget} ms");
    }
}

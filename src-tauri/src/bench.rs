//! `playbook bench`: measures the budgets of the leads area in one run on this machine:
//! contacts CSV import against the sqlite3 shell's `.import` floor, the leads list's first
//! page with filters, and one contact's timeline, at the requested size.
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::db;
use crate::error::{AppError, AppResult};
use crate::leads::list::{self, LeadFilter, LeadSort};
use crate::leads::ops;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    contacts: u32,
    import: crate::bench_import::ImportFigures,
    workspace: Option<WorkspaceFigures>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WorkspaceFigures {
    /// The SLA report and the scorecard after one new event, on this workspace.
    sla: crate::slas::bench::SlaFigures,
    generated_contacts: u32,
    generated_events: u32,
    generated_activities: u32,
    generate_ms: f64,
    list_first_page_ms: Vec<(String, f64)>,
    timeline_median_ms: f64,
    timeline_max_ms: f64,
    /// Opening the workspace with every signature of the team, the playbook and the bulk
    /// records checked (cold: no remembered verdicts).
    open_verified_ms: f64,
    /// `playbook verify`: every record re-checked, rows of bulk writes re-hashed.
    verify_all_ms: f64,
    /// `import-playbook` of a file with 20,000 glossary terms, signed by two managers.
    import_playbook_20k_ms: f64,
    /// Listing that playbook (every item, signatures checked): as a new command would, the
    /// passed checks loaded from the workspace; and again in the same process.
    list_playbook_20k_cold_ms: f64,
    list_playbook_20k_warm_ms: f64,
    /// The reports, a meeting's agenda and the home screen (as `--reports` alone).
    reports: crate::reports::bench::ReportFigures,
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0 * 100.0).round() / 100.0
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// A HubSpot-shaped contacts export of `n` rows (also used by the tests).
pub fn write_csv(path: &Path, n: u32) -> AppResult<()> {
    let stages = [
        "Subscriber",
        "Lead",
        "Marketing Qualified Lead",
        "Sales Qualified Lead",
        "Opportunity",
        "Customer",
    ];
    let sources = [
        "Organic Search",
        "Paid Search",
        "Offline Sources",
        "Referrals",
        "Email Marketing",
    ];
    let industries = [
        "Software",
        "Manufacturing",
        "Financial Services",
        "Healthcare",
        "Retail",
    ];
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(f, "Record ID,First Name,Last Name,Email,Company Name,Job Title,Phone Number,Lifecycle Stage,Contact owner,Create Date,Original Source,Industry,Number of Employees,Country/Region")?;
    for i in 0..n {
        writeln!(
            f,
            "{},Person{i},Example{},person{i}@company{}.example,\"Company {}, Inc.\",Head of Operations,+1 555 {:07},{},Daniel Brooks,2025-{:02}-{:02} 10:{:02},{},{},{},United States",
            900_000 + i,
            i % 97,
            i / 7,
            i / 7,
            i,
            stages[(i % 6) as usize],
            1 + i % 12,
            1 + i % 28,
            i % 60,
            sources[(i % 5) as usize],
            industries[(i % 5) as usize],
            10 + (i % 40) * 25
        )?;
    }
    f.flush()?;
    Ok(())
}

pub async fn run(contacts: u32, runs: u32, import_only: bool, json: bool) -> AppResult<()> {
    let dir = std::env::temp_dir().join(format!("playbook-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let result = measure(&dir, contacts, runs.max(1), import_only).await;
    let _ = std::fs::remove_dir_all(&dir);
    let r = result?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&r).expect("report serialises")
        );
        return Ok(());
    }
    let i = &r.import;
    println!(
        "Playbook benchmark at {} contacts; the import is a whole process on a {}-column Lead.csv of {} MB, until its data is durable",
        r.contacts,
        i.columns,
        i.csv_bytes / 1_000_000
    );
    println!(
        "  sqlite3 .import floor (process)   {:>9.1} ms median",
        i.median_sqlite3_ms
    );
    println!(
        "  playbook import contacts (process){:>9.1} ms median, {:.2}× floor (median of per-pair ratios)   budget ≤ 3000 ms, ≤ 4× floor",
        i.median_playbook_ms, i.median_ratio
    );
    for (n, p) in i.pairs.iter().enumerate() {
        println!(
            "    pair {} ({} first): floor {:.1} ms, import {:.1} ms, {:.2}×",
            n + 1,
            p.first,
            p.sqlite3_ms,
            p.playbook_ms,
            p.ratio
        );
    }
    println!(
        "  re-import, every row changed      {:>9.1} ms median ({} runs)   budget ≤ 3000 ms",
        i.median_reimport_ms,
        i.reimport_ms.len()
    );
    let Some(w) = &r.workspace else {
        return Ok(());
    };
    println!(
        "  generated workspace            {:>9.1} ms  ({} contacts, {} handoff events, {} activities)",
        w.generate_ms, w.generated_contacts, w.generated_events, w.generated_activities
    );
    for (name, t) in &w.list_first_page_ms {
        println!("  leads list first page {name:<18} {t:>6.2} ms   budget 30 ms");
    }
    println!(
        "  contact timeline (median, max) {:>6.2} ms, {:.2} ms   budget 10 ms (signatures checked)",
        w.timeline_median_ms, w.timeline_max_ms
    );
    println!(
        "  open the workspace, verified   {:>9.1} ms",
        w.open_verified_ms
    );
    println!(
        "  playbook verify (everything)   {:>9.1} ms",
        w.verify_all_ms
    );
    println!(
        "  import-playbook, 20,000 terms  {:>9.1} ms",
        w.import_playbook_20k_ms
    );
    println!(
        "  agreements list, 20,000 terms  {:>9.1} ms cold, {:.1} ms warm",
        w.list_playbook_20k_cold_ms, w.list_playbook_20k_warm_ms
    );
    crate::reports::bench::print(&w.reports);
    crate::slas::bench::print(&w.sla);
    Ok(())
}

/// `playbook bench --sla`: a generated workspace and the SLA figures alone.
pub async fn run_sla(contacts: u32, runs: u32, json: bool) -> AppResult<()> {
    let dir = std::env::temp_dir().join(format!("playbook-bench-sla-{}", std::process::id()));
    let result = async {
        let db = db::open(&dir).await?;
        let ops_signer = demo_workspace(&db).await?;
        crate::leads::ops::generate(&db, contacts, 2026, &ops_signer).await?;
        let figures = sla_figures(&db, runs).await;
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
        println!("Playbook SLA benchmark at {contacts} contacts");
        crate::slas::bench::print(&f);
    }
    Ok(())
}

/// The SLA figures on a generated workspace, with a sales rep recording the new events.
async fn sla_figures(db: &db::Db, runs: u32) -> AppResult<crate::slas::bench::SlaFigures> {
    let rep = crate::team::unlock(
        db,
        "sofia.marin@larkspur.example",
        crate::trust::keys::DEMO_PASSPHRASE,
    )
    .await?;
    crate::slas::bench::measure(db, &rep, runs).await
}

async fn measure(dir: &Path, contacts: u32, runs: u32, import_only: bool) -> AppResult<Report> {
    // The workspace every import run starts from: the demo team and playbook.
    let template = dir.join("template");
    let pool = db::open(&template).await?;
    demo_workspace(&pool).await?;
    pool.close().await;
    let import = crate::bench_import::measure(dir, &template, contacts, runs)?;
    let workspace = if import_only {
        None
    } else {
        Some(workspace(&dir.join("big"), contacts).await?)
    };
    Ok(Report {
        contacts,
        import,
        workspace,
    })
}

/// The demo workspace, and its marketing ops member's key (who signs bulk writes).
pub async fn demo_workspace(pool: &db::Db) -> AppResult<crate::trust::Signer> {
    let mut tx = db::write(pool).await?;
    crate::demo::create(&mut tx, chrono::Utc::now()).await?;
    tx.commit().await?;
    crate::team::unlock(pool, crate::demo::OPS, crate::trust::keys::DEMO_PASSPHRASE).await
}

/// A workspace of the requested size with histories: generation, list pages, timelines.
async fn workspace(dir: &Path, contacts: u32) -> AppResult<WorkspaceFigures> {
    let big = db::open(dir).await?;
    let ops_signer = demo_workspace(&big).await?;
    let start = Instant::now();
    let g = ops::generate(&big, contacts, 2026, &ops_signer).await?;
    let generate_time = start.elapsed();
    // No ANALYZE: Playbook never runs it, so the lists are measured on the plans users get.

    let owner: String = sqlx::query_scalar("SELECT owner_id FROM contacts WHERE owner_id IS NOT NULL GROUP BY owner_id ORDER BY count(*) DESC LIMIT 1")
        .fetch_one(&big)
        .await?;
    let filters = vec![
        (
            "all, by score",
            LeadFilter {
                limit: 50,
                ..LeadFilter::default()
            },
        ),
        (
            "stage mql",
            LeadFilter {
                stage: Some("mql".into()),
                limit: 50,
                ..LeadFilter::default()
            },
        ),
        (
            "owner + stage",
            LeadFilter {
                owner_id: Some(owner.clone()),
                stage: Some("sal".into()),
                sort: LeadSort::OldestInStage,
                limit: 50,
                ..LeadFilter::default()
            },
        ),
        (
            "score ≥ 60, 7+ days",
            LeadFilter {
                min_score: Some(60),
                min_days_in_stage: Some(7),
                limit: 50,
                ..LeadFilter::default()
            },
        ),
        (
            "source + name sort",
            LeadFilter {
                source: Some("webinar".into()),
                sort: LeadSort::Name,
                limit: 50,
                ..LeadFilter::default()
            },
        ),
        (
            "all, oldest in stage",
            LeadFilter {
                sort: LeadSort::OldestInStage,
                limit: 50,
                ..LeadFilter::default()
            },
        ),
        (
            "stage sal, oldest",
            LeadFilter {
                stage: Some("sal".into()),
                sort: LeadSort::OldestInStage,
                limit: 50,
                ..LeadFilter::default()
            },
        ),
        (
            "all, newest first",
            LeadFilter {
                sort: LeadSort::Newest,
                limit: 50,
                ..LeadFilter::default()
            },
        ),
        (
            "search 'nor'",
            LeadFilter {
                search: Some("nor".into()),
                limit: 50,
                ..LeadFilter::default()
            },
        ),
        (
            "search 'liam hughes'",
            LeadFilter {
                search: Some("liam hughes".into()),
                sort: LeadSort::BestMatch,
                limit: 50,
                ..LeadFilter::default()
            },
        ),
        (
            "search 'logistics'",
            LeadFilter {
                search: Some("logistics".into()),
                sort: LeadSort::BestMatch,
                limit: 50,
                ..LeadFilter::default()
            },
        ),
        (
            "search 'hughes' in a stage",
            LeadFilter {
                search: Some("hughes".into()),
                stage: Some("nurture".into()),
                sort: LeadSort::BestMatch,
                limit: 50,
                ..LeadFilter::default()
            },
        ),
        (
            "overdue",
            LeadFilter {
                overdue: true,
                limit: 50,
                ..LeadFilter::default()
            },
        ),
    ];
    let mut list_times = Vec::new();
    for (name, f) in filters {
        ops::list(&big, &f, None).await?;
        let mut times = Vec::new();
        for _ in 0..15 {
            let start = Instant::now();
            let page = ops::list(&big, &f, None).await?;
            times.push(start.elapsed());
            std::hint::black_box(page);
        }
        list_times.push((name.to_string(), ms(median(times))));
    }

    // Deep pages: row 50,000 of the default order by keyset (after the anchor opening the
    // list returned) against OFFSET, which walks every row before it; and opening the list
    // (count, first page and every anchor).
    let anchors = ops::anchors(&big, &LeadFilter::default(), None).await?;
    let deep = |after: Option<String>, offset: u32| LeadFilter {
        after,
        offset,
        limit: list::PAGE,
        ..LeadFilter::default()
    };
    let middle = anchors.get(anchors.len() / 2).cloned();
    let last = anchors.last().cloned();
    for (name, f) in [
        ("open (count, first page)", None),
        ("row 50k, keyset", Some(deep(middle, 0))),
        ("row 50k, offset", Some(deep(None, contacts / 2))),
        ("last page, keyset", Some(deep(last, 0))),
        (
            "last page, offset",
            Some(deep(None, contacts.saturating_sub(list::PAGE))),
        ),
    ] {
        let mut times = Vec::new();
        for _ in 0..15 {
            let start = Instant::now();
            match &f {
                Some(f) => std::hint::black_box(ops::list(&big, f, None).await?)
                    .rows
                    .len(),
                None => {
                    std::hint::black_box(ops::open_list(&big, &LeadFilter::default(), None).await?)
                        .rows
                        .len()
                }
            };
            times.push(start.elapsed());
        }
        list_times.push((name.to_string(), ms(median(times))));
    }

    let mut times = Vec::new();
    for _ in 0..15 {
        let start = Instant::now();
        std::hint::black_box(ops::anchors(&big, &LeadFilter::default(), None).await?);
        times.push(start.elapsed());
    }
    list_times.push(("anchors of every page".to_string(), ms(median(times))));

    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM contacts ORDER BY random() LIMIT 60")
        .fetch_all(&big)
        .await?;
    let mut times = Vec::new();
    for id in &ids {
        let start = Instant::now();
        let d = ops::detail(&big, id, Some(&ops_signer.member_id)).await?;
        times.push(start.elapsed());
        std::hint::black_box(d);
    }
    let timeline_max = *times.iter().max().expect("some contacts");
    let reports = crate::reports::bench::on_demo_workspace(&big, 5).await?;
    let sla = sla_figures(&big, 3).await?;
    big.close().await;

    // Open again, as the window does, with nothing remembered.
    crate::trust::keys::forget();
    let start = Instant::now();
    let big = db::open(dir).await?;
    let ledger = crate::handoffs::store::Ledger::load(&mut *big.acquire().await?).await?;
    let open_verified = start.elapsed();
    std::hint::black_box(ledger);
    crate::trust::keys::forget();
    let start = Instant::now();
    let report = crate::trust::verify::run(&big).await?;
    let verify_all = start.elapsed();
    if !report.failures.is_empty() {
        return Err(AppError::invalid(
            "bench",
            format!(
                "the generated workspace does not verify: {:?}",
                report.failures.first()
            ),
        ));
    }
    big.close().await;
    let (import_playbook, list_cold, list_warm) = playbook_import(&dir.join("playbook")).await?;

    Ok(WorkspaceFigures {
        sla,
        generated_contacts: g.contacts,
        generated_events: g.events,
        generated_activities: g.activities,
        generate_ms: ms(generate_time),
        list_first_page_ms: list_times,
        timeline_median_ms: ms(median(times)),
        timeline_max_ms: ms(timeline_max),
        open_verified_ms: ms(open_verified),
        verify_all_ms: ms(verify_all),
        import_playbook_20k_ms: ms(import_playbook),
        list_playbook_20k_cold_ms: ms(list_cold),
        list_playbook_20k_warm_ms: ms(list_warm),
        reports,
    })
}

/// Imports a playbook file of 20,000 glossary terms into the demo workspace, signed off by
/// its two managers (proposing stays linear however many entries a file has), then lists
/// the playbook cold and warm.
async fn playbook_import(dir: &Path) -> AppResult<(Duration, Duration, Duration)> {
    let pool = db::open(dir).await?;
    demo_workspace(&pool).await?;
    let mut text = String::from("format = 2\n");
    for i in 0..20_000 {
        text.push_str(&format!(
            "\n[[terms]]\nkey = \"term_{i}\"\nname = \"Term {i}\"\ndefinition = \"What both sides mean by term {i}.\"\n"
        ));
    }
    let signers = [
        crate::team::unlock(
            &pool,
            "maya.okafor@larkspur.example",
            crate::trust::keys::DEMO_PASSPHRASE,
        )
        .await?,
        crate::team::unlock(
            &pool,
            "daniel.brooks@larkspur.example",
            crate::trust::keys::DEMO_PASSPHRASE,
        )
        .await?,
    ];
    let start = Instant::now();
    let parsed = crate::agreements::file::from_toml(&text)?;
    let s = crate::agreements::ops::import_file(&pool, &parsed, &signers).await?;
    let took = start.elapsed();
    if s.versions_agreed != 20_000 {
        return Err(AppError::invalid(
            "bench",
            format!(
                "the playbook import agreed {} of 20000 terms",
                s.versions_agreed
            ),
        ));
    }
    pool.close().await;
    let pool = db::open(dir).await?;
    crate::trust::keys::forget();
    let start = Instant::now();
    let items = crate::agreements::ops::list(&pool, None, None).await?;
    let cold = start.elapsed();
    let start = Instant::now();
    crate::agreements::ops::list(&pool, None, None).await?;
    let warm = start.elapsed();
    pool.close().await;
    if items.len() < 20_000 {
        return Err(AppError::invalid(
            "bench",
            format!("the playbook lists {} items", items.len()),
        ));
    }
    Ok((took, cold, warm))
}

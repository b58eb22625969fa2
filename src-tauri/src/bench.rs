//! `playbook bench`: measures the budgets of the leads area in one run on this machine:
//! contacts CSV import against the sqlite3 shell's `.import` floor, the leads list's first
//! page with filters, and one contact's timeline, at the requested size.
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::db;
use crate::error::{AppError, AppResult};
use crate::imports::{quiet, ImportMode, Mapping, Progress};
use crate::leads::list::{LeadFilter, LeadSort};
use crate::leads::ops::{self, ImportKind};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    contacts: u32,
    csv_bytes: u64,
    sqlite3_import_ms: Option<f64>,
    playbook_import_ms: f64,
    import_rows_per_second: f64,
    import_ratio_to_floor: Option<f64>,
    generated_contacts: u32,
    generated_events: u32,
    generated_activities: u32,
    generate_ms: f64,
    list_first_page_ms: Vec<(String, f64)>,
    timeline_median_ms: f64,
    timeline_max_ms: f64,
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

pub async fn run(contacts: u32, json: bool) -> AppResult<()> {
    let dir = std::env::temp_dir().join(format!("playbook-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let result = measure(&dir, contacts).await;
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
        "Playbook benchmark at {} contacts ({} MB CSV)",
        r.contacts,
        r.csv_bytes / 1_000_000
    );
    match r.sqlite3_import_ms {
        Some(floor) => println!("  sqlite3 .import floor          {floor:>9.1} ms"),
        None => println!("  sqlite3 .import floor          unavailable (no sqlite3 shell)"),
    }
    println!(
        "  contacts import                {:>9.1} ms  ({:.0} rows/s{})   budget 3000 ms, ≤ 4× floor",
        r.playbook_import_ms,
        r.import_rows_per_second,
        r.import_ratio_to_floor.map(|x| format!(", {x:.2}× floor")).unwrap_or_default()
    );
    println!(
        "  generated workspace            {:>9.1} ms  ({} contacts, {} handoff events, {} activities)",
        r.generate_ms, r.generated_contacts, r.generated_events, r.generated_activities
    );
    for (name, t) in &r.list_first_page_ms {
        println!("  leads list first page {name:<18} {t:>6.2} ms   budget 30 ms");
    }
    println!(
        "  contact timeline (median, max) {:>6.2} ms, {:.2} ms   budget 10 ms",
        r.timeline_median_ms, r.timeline_max_ms
    );
    Ok(())
}

async fn measure(dir: &Path, contacts: u32) -> AppResult<Report> {
    let csv = dir.join("contacts.csv");
    write_csv(&csv, contacts)?;
    let csv_bytes = std::fs::metadata(&csv)?.len();

    // The floor: the sqlite3 shell loading the same file into a plain table.
    let floor = {
        let start = Instant::now();
        let status = std::process::Command::new("sqlite3")
            .arg(dir.join("floor.sqlite3"))
            .arg("-cmd")
            .arg(".mode csv")
            .arg(format!(".import '{}' contacts_raw", csv.display()))
            .status();
        match status {
            Ok(s) if s.success() => Some(start.elapsed()),
            _ => None,
        }
    };

    // Playbook's import into a workspace with a team and an agreed playbook.
    let import_dir = dir.join("import");
    let pool = db::open(&import_dir).await?;
    {
        let mut tx = pool.begin().await?;
        crate::demo::create(&mut tx, chrono::Utc::now()).await?;
        tx.commit().await?;
    }
    let bytes = std::fs::read(&csv)?;
    let (cancel, report) = quiet();
    let progress = Progress {
        cancel: &cancel,
        report: &report,
    };
    let start = Instant::now();
    let s = ops::import(
        &pool,
        ImportKind::Contacts,
        &bytes,
        &Mapping::default(),
        ImportMode::AllOrNothing,
        false,
        &progress,
    )
    .await?;
    let import_time = start.elapsed();
    if s.created != contacts {
        return Err(AppError::invalid(
            "bench",
            format!(
                "the import created {} of {contacts} contacts: {:?}",
                s.created,
                s.errors.first()
            ),
        ));
    }
    pool.close().await;

    // A workspace of the requested size with histories, for the list and timeline.
    let big = db::open(&dir.join("big")).await?;
    {
        let mut tx = big.begin().await?;
        crate::demo::create(&mut tx, chrono::Utc::now()).await?;
        tx.commit().await?;
    }
    let start = Instant::now();
    let g = ops::generate(&big, contacts, 2026).await?;
    let generate_time = start.elapsed();
    sqlx::query("ANALYZE").execute(&big).await?;

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
            "search 'nor'",
            LeadFilter {
                search: Some("nor".into()),
                limit: 50,
                ..LeadFilter::default()
            },
        ),
    ];
    let mut list_times = Vec::new();
    for (name, f) in filters {
        ops::list(&big, &f).await?;
        let mut times = Vec::new();
        for _ in 0..15 {
            let start = Instant::now();
            let page = ops::list(&big, &f).await?;
            times.push(start.elapsed());
            std::hint::black_box(page);
        }
        list_times.push((name.to_string(), ms(median(times))));
    }

    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM contacts ORDER BY random() LIMIT 60")
        .fetch_all(&big)
        .await?;
    let mut times = Vec::new();
    for id in &ids {
        let start = Instant::now();
        let d = ops::detail(&big, id).await?;
        times.push(start.elapsed());
        std::hint::black_box(d);
    }
    let timeline_max = *times.iter().max().expect("some contacts");
    big.close().await;

    let import_ms = ms(import_time);
    Ok(Report {
        contacts,
        csv_bytes,
        sqlite3_import_ms: floor.map(ms),
        playbook_import_ms: import_ms,
        import_rows_per_second: (contacts as f64 / import_time.as_secs_f64()).round(),
        import_ratio_to_floor: floor
            .map(|f| ((import_time.as_secs_f64() / f.as_secs_f64()) * 100.0).round() / 100.0),
        generated_contacts: g.contacts,
        generated_events: g.events,
        generated_activities: g.activities,
        generate_ms: ms(generate_time),
        list_first_page_ms: list_times,
        timeline_median_ms: ms(median(times)),
        timeline_max_ms: ms(timeline_max),
    })
}

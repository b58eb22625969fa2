//! The contacts import measured as the user waits for it: a whole `playbook import contacts`
//! process, from start until it exits with the data durable (the pool's close checkpoints
//! the WAL), on a fixed, wide export in Salesforce's Lead.csv shape (58 columns, every cell
//! quoted), against the `sqlite3` shell's `.import` of the same file into a new database
//! (its defaults: rollback journal, synchronous FULL, durable at commit). The two take
//! turns, each pair in alternating order, and the ratio is taken per pair. Then the same
//! workspace re-imports the file with every row changed, as team sync will apply changes.
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::error::{AppError, AppResult};

/// The header of Salesforce's Lead.csv (Data Loader / weekly export), as it is.
const LEAD_HEADER: &str = "\"Id\",\"IsDeleted\",\"MasterRecordId\",\"LastName\",\"FirstName\",\"Salutation\",\"Name\",\"Title\",\"Company\",\"Street\",\"City\",\"State\",\"PostalCode\",\"Country\",\"Latitude\",\"Longitude\",\"GeocodeAccuracy\",\"Phone\",\"MobilePhone\",\"Fax\",\"Email\",\"Website\",\"PhotoUrl\",\"Description\",\"LeadSource\",\"Status\",\"Industry\",\"Rating\",\"CurrencyIsoCode\",\"AnnualRevenue\",\"NumberOfEmployees\",\"OwnerId\",\"HasOptedOutOfEmail\",\"IsConverted\",\"ConvertedDate\",\"ConvertedAccountId\",\"ConvertedContactId\",\"ConvertedOpportunityId\",\"IsUnreadByOwner\",\"CreatedDate\",\"CreatedById\",\"LastModifiedDate\",\"LastModifiedById\",\"SystemModstamp\",\"LastActivityDate\",\"DoNotCall\",\"HasOptedOutOfFax\",\"LastViewedDate\",\"LastReferencedDate\",\"LastTransferDate\",\"Jigsaw\",\"JigsawContactId\",\"CleanStatus\",\"CompanyDunsNumber\",\"DandbCompanyId\",\"EmailBouncedReason\",\"EmailBouncedDate\",\"IndividualId\"";

/// Writes `n` leads in Lead.csv's shape; `edition` 1 changes every row's title and phone
/// (the re-import).
pub fn write_leads(path: &Path, n: u32, edition: u32) -> AppResult<()> {
    const STATUSES: [&str; 5] = [
        "Open - Not Contacted",
        "Working - Contacted",
        "Closed - Converted",
        "Closed - Not Converted",
        "Qualified",
    ];
    const SOURCES: [&str; 5] = [
        "Web",
        "Phone Inquiry",
        "Partner Referral",
        "Purchased List",
        "Trade Show",
    ];
    const INDUSTRIES: [&str; 5] = [
        "Technology",
        "Manufacturing",
        "Finance",
        "Healthcare",
        "Retail",
    ];
    const TITLES: [&str; 4] = ["VP Sales", "Head of Operations", "CFO", "IT Manager"];
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(f, "{LEAD_HEADER}")?;
    for i in 0..n {
        let id = format!("00Q5g{:010}EAF", i);
        let (first, last) = (format!("Person{i}"), format!("Example{}", i % 997));
        let company = format!("Company {}, Inc.", i / 7);
        let title = TITLES[((i + edition) % 4) as usize];
        let phone = format!("+1 555 {:07}", (i + edition * 31) % 10_000_000);
        let created = format!(
            "2025-{:02}-{:02}T{:02}:{:02}:00.000+0000",
            1 + i % 12,
            1 + i % 28,
            i % 24,
            i % 60
        );
        let cells: [&str; 58] = [
            &id,
            "false",
            "",
            &last,
            &first,
            ["Mr.", "Ms.", "Dr.", ""][(i % 4) as usize],
            &format!("{first} {last}"),
            title,
            &company,
            &format!("{} Market Street", 1 + i % 900),
            "San Francisco",
            "CA",
            "94105",
            "United States",
            "",
            "",
            "",
            &phone,
            "",
            "",
            &format!("person{i}@company{}.example", i / 7),
            &format!("www.company{}.example", i / 7),
            "",
            "",
            SOURCES[(i % 5) as usize],
            STATUSES[(i % 5) as usize],
            // A company's details are the same on each of its (seven) people's rows.
            INDUSTRIES[((i / 7) % 5) as usize],
            ["Hot", "Warm", "Cold"][(i % 3) as usize],
            "USD",
            &format!("{}", 1_000_000 + ((i / 7) % 50) * 250_000),
            &format!("{}", 10 + ((i / 7) % 40) * 25),
            "0055g00001AbCdEAAV",
            "false",
            "false",
            "",
            "",
            "",
            "",
            "false",
            &created,
            "0055g00001AbCdLAAV",
            &created,
            "0055g00001AbCdLAAV",
            &created,
            "",
            "false",
            "false",
            "",
            "",
            "",
            "",
            "",
            "Pending",
            "",
            "",
            "",
            "",
            "",
        ];
        let quoted: Vec<String> = cells
            .iter()
            .map(|c| format!("\"{}\"", c.replace('"', "\"\"")))
            .collect();
        writeln!(f, "{}", quoted.join(","))?;
    }
    f.flush()?;
    Ok(())
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pair {
    pub sqlite3_ms: f64,
    pub playbook_ms: f64,
    pub ratio: f64,
    /// Which ran first in this pair.
    pub first: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportFigures {
    pub rows: u32,
    pub columns: u32,
    pub csv_bytes: u64,
    pub pairs: Vec<Pair>,
    pub median_sqlite3_ms: f64,
    pub median_playbook_ms: f64,
    /// The median of the per-pair ratios.
    pub median_ratio: f64,
    /// Re-importing every row changed (title and phone), whole process.
    pub reimport_ms: Vec<f64>,
    pub median_reimport_ms: f64,
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0 * 10.0).round() / 10.0
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Runs a process to its end and times it; its failure is the bench's.
fn timed(cmd: &mut Command, what: &str) -> AppResult<Duration> {
    let start = Instant::now();
    let out = cmd
        .output()
        .map_err(|e| AppError::io(format!("{what}: cannot start: {e}")))?;
    let took = start.elapsed();
    if !out.status.success() {
        return Err(AppError::io(format!(
            "{what} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(took)
}

fn copy_dir(from: &Path, to: &Path) -> AppResult<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name()))?;
        }
    }
    Ok(())
}

/// `runs` pairs of the import and its floor, then `runs` re-imports; `template` is a data
/// directory with the demo team and playbook (copied fresh for every run, untimed).
pub fn measure(dir: &Path, template: &Path, rows: u32, runs: u32) -> AppResult<ImportFigures> {
    let exe: PathBuf = std::env::current_exe()?;
    let csv = dir.join("leads.csv");
    let changed = dir.join("leads-changed.csv");
    write_leads(&csv, rows, 0)?;
    write_leads(&changed, rows, 1)?;
    let playbook = |data: &Path, file: &Path| {
        let mut c = Command::new(&exe);
        c.arg("--data-dir")
            .arg(data)
            .args([
                "import",
                "contacts",
                "--as",
                "tom.lindqvist@larkspur.example",
            ])
            .arg(file)
            .env("PLAYBOOK_PASSPHRASE", crate::trust::keys::DEMO_PASSPHRASE);
        c
    };
    let mut pairs = Vec::new();
    let mut reimports = Vec::new();
    for run in 0..runs {
        let floor_db = dir.join(format!("floor{run}.sqlite3"));
        let data = dir.join(format!("workspace{run}"));
        copy_dir(template, &data)?;
        let floor = || {
            timed(
                Command::new("sqlite3")
                    .arg(&floor_db)
                    .arg(".mode csv")
                    .arg(format!(".import '{}' leads_raw", csv.display())),
                "the sqlite3 shell's .import",
            )
        };
        let (s, p, first) = if run % 2 == 0 {
            let s = floor()?;
            (
                s,
                timed(&mut playbook(&data, &csv), "playbook import")?,
                "sqlite3",
            )
        } else {
            let p = timed(&mut playbook(&data, &csv), "playbook import")?;
            (floor()?, p, "playbook")
        };
        pairs.push(Pair {
            sqlite3_ms: ms(s),
            playbook_ms: ms(p),
            ratio: (p.as_secs_f64() / s.as_secs_f64() * 100.0).round() / 100.0,
            first,
        });
        reimports.push(ms(timed(
            &mut playbook(&data, &changed),
            "playbook re-import",
        )?));
        let _ = std::fs::remove_dir_all(&data);
        let _ = std::fs::remove_file(&floor_db);
    }
    Ok(ImportFigures {
        rows,
        columns: 58,
        csv_bytes: std::fs::metadata(&csv)?.len(),
        median_sqlite3_ms: median(pairs.iter().map(|p| p.sqlite3_ms).collect()),
        median_playbook_ms: median(pairs.iter().map(|p| p.playbook_ms).collect()),
        median_ratio: median(pairs.iter().map(|p| p.ratio).collect()),
        pairs,
        median_reimport_ms: median(reimports.clone()),
        reimport_ms: reimports,
    })
}

//! The headless content commands: add, import, search, show, recommend, risk, send,
//! coverage; and `extract-text`, the bounded child that reads a PDF's text.
use std::path::{Path, PathBuf};

use clap::Subcommand;
use serde::Serialize;

use super::identity::{unlock, Passphrases};
use super::imports::ModeArg;
use super::{table, Out};
use crate::content::ops;
use crate::content::risks::RiskNote;
use crate::content::search::SearchQuery;
use crate::content::send::{SendChannel, SendRequest};
use crate::content::{AssetFields, AssetSource, AssetStatus};
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::imports::ImportMode;
use crate::trust::Signer;

#[derive(Subcommand)]
pub enum ContentCommand {
    /// Add a file (copied into the content store) or a link (http/https) as an asset.
    Add {
        /// A file, or a URL.
        source: String,
        #[arg(long)]
        title: String,
        /// Buying stages (repeat, or separate with commas).
        #[arg(long = "stage", value_delimiter = ',')]
        stages: Vec<String>,
        #[arg(long = "persona", value_delimiter = ',')]
        personas: Vec<String>,
        /// Risk points: competitor:<name>, do_nothing, budget…
        #[arg(long = "risk", value_delimiter = ',')]
        risks: Vec<String>,
        /// The asset kind (needed when more than one is agreed).
        #[arg(long)]
        kind: Option<String>,
        #[arg(long, default_value = "")]
        summary: String,
        #[arg(long = "industry", value_delimiter = ',')]
        industries: Vec<String>,
        #[arg(long = "language", value_delimiter = ',')]
        languages: Vec<String>,
        /// The owner's email (default: whoever adds it).
        #[arg(long)]
        owner: Option<String>,
        /// draft, published or retired (default: published when you may publish).
        #[arg(long)]
        status: Option<String>,
        /// Review-by date (YYYY-MM-DD; default: the asset kind's review period).
        #[arg(long)]
        review_by: Option<String>,
        /// Who adds it (email); default: the member last signed in on this laptop.
        #[arg(long = "as")]
        actor: Option<String>,
    },
    /// Add many assets from a CSV manifest (columns: file or url, title, kind, summary,
    /// stages, personas, risks, industries, languages, owner, status, review_by), files
    /// named relative to the manifest's folder.
    Import {
        manifest: PathBuf,
        #[arg(long, value_enum, default_value_t = ModeArg::AllOrNothing)]
        mode: ModeArg,
        #[arg(long = "as")]
        actor: Option<String>,
    },
    /// Find assets: full-text over title, summary, tags and file text, with facets.
    Search {
        query: Option<String>,
        #[arg(long = "stage", value_delimiter = ',')]
        stages: Vec<String>,
        #[arg(long = "persona", value_delimiter = ',')]
        personas: Vec<String>,
        #[arg(long = "risk", value_delimiter = ',')]
        risks: Vec<String>,
        #[arg(long = "kind", value_delimiter = ',')]
        kinds: Vec<String>,
        /// Statuses to include (default: published).
        #[arg(long = "status", value_delimiter = ',')]
        statuses: Vec<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// One asset with its versions.
    Show { id: String },
    /// The assets that fit a contact (stage, persona, the account's risks), with reasons.
    Recommend { contact: String },
    /// Note (or --clear) a risk on an account: a competitor, the status quo, budget…
    Risk {
        account: String,
        #[arg(long)]
        risk: String,
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long)]
        clear: bool,
        #[arg(long = "as")]
        actor: Option<String>,
    },
    /// Log a send of an asset to a contact (signed; offline too).
    Send {
        id: String,
        /// The contact's id.
        #[arg(long)]
        to: String,
        /// email, copy, attach or other.
        #[arg(long, default_value = "email")]
        channel: String,
        #[arg(long, default_value = "")]
        note: String,
        #[arg(long = "as")]
        actor: Option<String>,
    },
    /// Coverage (stage × persona, risk rows), stale, most and least sent, moved forward.
    Coverage,
}

/// `--as`, or the member last signed in on this laptop (the window remembers it).
async fn who(
    db: &Db,
    data_dir: &Path,
    actor: Option<String>,
    pass: &mut Passphrases,
) -> AppResult<Signer> {
    let email = match actor {
        Some(a) => a,
        None => {
            let id = std::fs::read_to_string(crate::settings::store_path(data_dir))
                .ok()
                .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                .and_then(|v| {
                    v.get("identity")
                        .and_then(|i| i.as_str())
                        .map(str::to_string)
                })
                .ok_or_else(|| {
                    AppError::invalid(
                        "as",
                        "say who does it with --as EMAIL (nobody has signed in on this laptop)",
                    )
                })?;
            crate::team::store::get(&mut *db.acquire().await?, &id)
                .await?
                .email
        }
    };
    unlock(db, &email, pass).await
}

/// What `content search --format json` prints.
#[derive(Serialize)]
struct SearchOut {
    total: u32,
    results: Vec<HitOut>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HitOut {
    id: String,
    title: String,
    kind: String,
    stages: Vec<String>,
    personas: Vec<String>,
    risks: Vec<String>,
    score: f64,
    snippet: String,
}

pub async fn run(
    cmd: ContentCommand,
    db: &Db,
    data_dir: &Path,
    out: &Out,
    pass: &mut Passphrases,
) -> AppResult<()> {
    match cmd {
        ContentCommand::Add {
            source,
            title,
            stages,
            personas,
            risks,
            kind,
            summary,
            industries,
            languages,
            owner,
            status,
            review_by,
            actor,
        } => {
            let signer = who(db, data_dir, actor, pass).await?;
            let tax = ops::taxonomy(db).await?;
            let kind = match kind {
                Some(k) => k,
                None if tax.kinds.len() == 1 => tax.kinds[0].key.clone(),
                None => {
                    let all: Vec<&str> = tax.kinds.iter().map(|k| k.key.as_str()).collect();
                    return Err(AppError::invalid(
                        "kind",
                        format!("--kind is needed: use one of {}", all.join(", ")),
                    ));
                }
            };
            let looks_like_url = source.starts_with("http://") || source.starts_with("https://");
            let (src, stored) = if looks_like_url {
                (
                    AssetSource::Link {
                        url: source.clone(),
                    },
                    None,
                )
            } else {
                let f = ops::store_file(db, data_dir, Path::new(&source)).await?;
                (
                    AssetSource::File {
                        sha256: f.sha256.clone(),
                        name: f.name.clone(),
                        size: f.size,
                        media_type: f.media_type.clone(),
                    },
                    Some(f),
                )
            };
            let owner_id = match owner {
                Some(email) => Some(
                    crate::team::store::by_email(&mut *db.acquire().await?, &email)
                        .await?
                        .id,
                ),
                None => Some(signer.member_id.clone()),
            };
            let status = match status {
                Some(s) => AssetStatus::parse("status", &s)?,
                None if ops::may_publish(db, &signer).await? => AssetStatus::Published,
                None => AssetStatus::Draft,
            };
            let fields = AssetFields {
                title,
                kind,
                summary,
                stages,
                personas,
                risks,
                industries,
                languages,
                owner_id,
                status,
                review_by,
                source: src,
            };
            let d = ops::save(db, None, &fields, &signer).await?;
            if !out.json(&serde_json::json!({ "asset": d, "file": stored })) {
                println!(
                    "Added {} ({}): {}.",
                    d.asset.fields.title,
                    d.asset.id,
                    d.asset.fields.status.as_str()
                );
                if let Some(f) = stored {
                    println!(
                        "  {} · {} · {} bytes · {}{} · text {}",
                        f.name,
                        f.media_type,
                        f.size,
                        f.sha256,
                        if f.new { "" } else { " (already in the store)" },
                        f.text_status
                    );
                    if let Some(w) = f.warning {
                        println!("  note: {w}");
                    }
                }
            }
            Ok(())
        }
        ContentCommand::Import {
            manifest,
            mode,
            actor,
        } => {
            let signer = who(db, data_dir, actor, pass).await?;
            let mode = match mode {
                ModeArg::AllOrNothing => ImportMode::AllOrNothing,
                ModeArg::ValidRows => ImportMode::ValidRows,
            };
            let s = ops::import_manifest(db, data_dir, &manifest, mode, &signer).await?;
            if !out.json(&s) {
                println!(
                    "{}: {} rows read, {} assets created, {} rejected{}.",
                    manifest.display(),
                    s.rows_read,
                    s.created,
                    s.rejected,
                    if s.written { "" } else { " (nothing written)" }
                );
                for e in s.errors.iter().take(50) {
                    println!("  row {} [{}]: {}", e.row, e.column, e.message);
                }
            }
            if !s.written {
                return Err(AppError::invalid(
                    "file",
                    format!("{} rows were rejected; nothing was imported (use --mode valid-rows to import the rest)", s.rejected),
                ));
            }
            Ok(())
        }
        ContentCommand::Search {
            query,
            stages,
            personas,
            risks,
            kinds,
            statuses,
            limit,
        } => {
            let statuses = statuses
                .iter()
                .map(|s| AssetStatus::parse("status", s))
                .collect::<AppResult<Vec<_>>>()?;
            let q = SearchQuery {
                text: query.unwrap_or_default(),
                stages,
                personas,
                risks,
                kinds,
                statuses,
                limit,
                ..SearchQuery::default()
            };
            let r = ops::search(db, &q).await?;
            let printed = SearchOut {
                total: r.total,
                results: r
                    .results
                    .into_iter()
                    .map(|h| HitOut {
                        id: h.id,
                        title: h.title,
                        kind: h.kind,
                        stages: h.stages,
                        personas: h.personas,
                        risks: h.risks,
                        score: h.score,
                        snippet: h.snippet,
                    })
                    .collect(),
            };
            if !out.json(&printed) {
                let rows = printed
                    .results
                    .iter()
                    .map(|h| {
                        vec![
                            h.id.clone(),
                            h.title.clone(),
                            h.kind.clone(),
                            h.stages.join(","),
                            h.personas.join(","),
                            h.risks.join(","),
                            format!("{:.2}", h.score),
                        ]
                    })
                    .collect();
                table(
                    &[
                        "ID", "TITLE", "KIND", "STAGES", "PERSONAS", "RISKS", "SCORE",
                    ],
                    rows,
                );
                println!("{} of {} assets", printed.results.len(), printed.total);
            }
            Ok(())
        }
        ContentCommand::Show { id } => {
            let d = ops::get(db, &id, None).await?;
            if !out.json(&d) {
                let f = &d.asset.fields;
                println!(
                    "{} ({}) · {} · {}",
                    f.title,
                    f.kind,
                    f.status.as_str(),
                    d.asset.id
                );
                println!(
                    "  stages {} · personas {} · risks {}",
                    f.stages.join(", "),
                    f.personas.join(", "),
                    f.risks.join(", ")
                );
                println!(
                    "  review by {} · sent {} times",
                    f.review_by.clone().unwrap_or_else(|| "-".into()),
                    d.sends
                );
                for v in &d.versions {
                    println!(
                        "  v{} {} {} {}",
                        v.number,
                        v.added_at,
                        v.file_name.clone().or(v.url.clone()).unwrap_or_default(),
                        v.sha256.clone().unwrap_or_default()
                    );
                }
            }
            Ok(())
        }
        ContentCommand::Recommend { contact } => {
            let fit = ops::for_contact(db, &contact).await?;
            if !out.json(&fit) {
                let rows = fit
                    .recommendations
                    .iter()
                    .map(|r| {
                        vec![
                            r.id.clone(),
                            r.title.clone(),
                            format!("{:.1}", r.score),
                            r.reason.clone(),
                        ]
                    })
                    .collect();
                table(&["ID", "TITLE", "SCORE", "WHY"], rows);
            }
            Ok(())
        }
        ContentCommand::Risk {
            account,
            risk,
            note,
            clear,
            actor,
        } => {
            let signer = who(db, data_dir, actor, pass).await?;
            let n = RiskNote {
                risk,
                present: !clear,
                note,
            };
            let risks = ops::note_risk(db, &account, &n, &signer).await?;
            if !out.json(&risks) {
                let names: Vec<&str> = risks.iter().map(|r| r.name.as_str()).collect();
                println!(
                    "Known risks: {}.",
                    if names.is_empty() {
                        "none".to_string()
                    } else {
                        names.join(", ")
                    }
                );
            }
            Ok(())
        }
        ContentCommand::Send {
            id,
            to,
            channel,
            note,
            actor,
        } => {
            let signer = who(db, data_dir, actor, pass).await?;
            let req = SendRequest {
                asset_id: id,
                contact_id: to,
                channel: SendChannel::parse(&channel)?,
                note,
            };
            let a = ops::log_send(db, &req, &signer).await?;
            out.done(
                &a,
                &format!("Logged: sent {} to {}.", a.detail, req.contact_id),
            )
        }
        ContentCommand::Coverage => {
            let h = ops::health(db).await?;
            if !out.json(&h) {
                let mut rows = Vec::new();
                for s in &h.stages {
                    let mut row = vec![s.name.clone()];
                    for p in &h.personas {
                        let n = h
                            .cells
                            .iter()
                            .find(|c| c.stage == s.key && c.persona == p.key)
                            .map_or(0, |c| c.count);
                        row.push(if n == 0 { "·".into() } else { n.to_string() });
                    }
                    rows.push(row);
                }
                let mut headers = vec!["STAGE \\ PERSONA".to_string()];
                headers.extend(h.personas.iter().map(|p| p.name.clone()));
                let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
                table(&headers, rows);
                println!();
                let mut headers = vec!["RISK".to_string()];
                headers.extend(h.stages.iter().map(|s| s.name.clone()));
                let rows = h
                    .risks
                    .iter()
                    .map(|r| {
                        let mut row = vec![r.name.clone()];
                        row.extend(r.counts.iter().map(|n| {
                            if *n == 0 {
                                "·".into()
                            } else {
                                n.to_string()
                            }
                        }));
                        row
                    })
                    .collect();
                let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
                table(&headers, rows);
                println!(
                    "\n{} published assets; {} empty cells.",
                    h.published, h.empty_cells
                );
                for s in &h.stale {
                    println!(
                        "  stale: {} (review by {})",
                        s.title,
                        s.review_by.clone().unwrap_or_default()
                    );
                }
                for m in &h.moved_forward {
                    println!(
                        "  sent before a step forward: {} ({} of {} contacts)",
                        m.title, m.moved_forward, m.contacts
                    );
                }
            }
            Ok(())
        }
    }
}

/// `playbook extract-text FILE`: prints a PDF's text (the bounded child of the app).
pub fn extract_text(file: &Path) -> AppResult<()> {
    use std::io::Write;
    let text = crate::content::extract::pdf_in_process(file)?;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    Ok(())
}

//! The whole agreed playbook, team included, as one readable TOML file: exported for review
//! under version control, imported into another data directory. Each in-force version
//! travels with its author's and its signers' signatures, and the team with its signed
//! member records, so an empty data directory reproduces the agreed playbook with its
//! original, verified signatures.
use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use specta::Type;

use super::records::{SignoffRecord, VersionRecord};
use super::store::{self, ItemIndex};
use super::{
    AgreementBody, AgreementKind, AssetKindBody, BuyingStageBody, CalendarBody, PersonaBody,
    Proposal, ReasonBody, RiskBody, ScoringBody, SignoffAction, SlaBody, StageBody, TermBody,
    VersionStatus,
};
use crate::db::{ts, Conn};
use crate::error::{AppError, AppResult};
use crate::team::records::{self as member_records, MemberRecord};
use crate::team::roster::Roster;
use crate::team::{self, NewMember, Side};
use crate::trust::Signer;

/// Format 2 carries signatures; format 1 files (no signatures) are still read.
pub const FORMAT: u32 = 2;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaybookFile {
    pub format: u32,
    /// The member record that founded the team the signatures come from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub founded_by: Option<String>,
    /// The team as it stands (for people to read).
    #[serde(default)]
    pub members: Vec<NewMember>,
    #[serde(default)]
    pub stages: Vec<Entry<StageBody>>,
    #[serde(default)]
    pub terms: Vec<Entry<TermBody>>,
    #[serde(default)]
    pub reasons: Vec<Entry<ReasonBody>>,
    #[serde(default)]
    pub scoring: Vec<Entry<ScoringBody>>,
    /// Business calendars (before the SLAs that count in them).
    #[serde(default)]
    pub calendars: Vec<Entry<CalendarBody>>,
    #[serde(default)]
    pub slas: Vec<Entry<SlaBody>>,
    /// The content taxonomy: buying stages, personas, risk points and asset kinds.
    #[serde(default)]
    pub buying_stages: Vec<Entry<BuyingStageBody>>,
    #[serde(default)]
    pub personas: Vec<Entry<PersonaBody>>,
    #[serde(default)]
    pub risks: Vec<Entry<RiskBody>>,
    #[serde(default)]
    pub asset_kinds: Vec<Entry<AssetKindBody>>,
    /// The signed member records behind the signatures (for machines to check).
    #[serde(default)]
    pub member_records: Vec<MemberRecord>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry<B> {
    pub key: String,
    pub name: String,
    #[serde(flatten)]
    pub body: B,
    /// The version's record and sign-offs, as signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed: Option<Signed>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Signed {
    pub id: String,
    pub created_at: String,
    pub author: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supersedes: Option<String>,
    pub hash: String,
    pub signature: String,
    #[serde(default)]
    pub signoffs: Vec<SignedOff>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedOff {
    pub id: String,
    pub action: SignoffAction,
    pub member: String,
    #[serde(default)]
    pub comment: String,
    pub at: String,
    pub hash: String,
    pub signature: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ImportSummary {
    pub members_added: u32,
    /// Members named by the file who could not be added (no valid signature, no signer).
    pub members_skipped: u32,
    pub versions_proposed: u32,
    pub versions_agreed: u32,
    /// Versions taken as they were signed, with their original signatures.
    pub versions_verbatim: u32,
    pub unchanged: u32,
}

/// The agreed playbook in force at `at`, its signatures, and the team.
pub async fn snapshot(conn: &mut Conn, at: DateTime<Utc>) -> AppResult<PlaybookFile> {
    let (versions, signoffs) = store::records(&mut *conn, None, None).await?;
    let versions: HashMap<String, VersionRecord> =
        versions.into_iter().map(|v| (v.id.clone(), v)).collect();
    let mut signoffs_of: HashMap<String, Vec<SignoffRecord>> = HashMap::new();
    for s in signoffs {
        signoffs_of.entry(s.version_id.clone()).or_default().push(s);
    }
    let mut file = PlaybookFile {
        format: FORMAT,
        founded_by: member_records::genesis(&mut *conn).await?,
        members: team::store::list(&mut *conn)
            .await?
            .into_iter()
            .map(|m| NewMember {
                email: m.email,
                name: m.name,
                side: m.side,
                role: m.role,
            })
            .collect(),
        stages: vec![],
        terms: vec![],
        reasons: vec![],
        scoring: vec![],
        calendars: vec![],
        slas: vec![],
        buying_stages: vec![],
        personas: vec![],
        risks: vec![],
        asset_kinds: vec![],
        member_records: member_records::all(&mut *conn).await?,
    };
    for item in store::load_items(conn, None, at).await? {
        let Some(v) = item.in_force else { continue };
        let signed = versions.get(&v.id).and_then(|r| {
            Some(Signed {
                id: r.id.clone(),
                created_at: r.created_at.clone(),
                author: r.author_id.clone()?,
                summary: r.summary.clone(),
                effective_from: r.effective_from.clone(),
                supersedes: r.supersedes.clone(),
                hash: r.hash.clone()?,
                signature: r.signature.clone()?,
                signoffs: signoffs_of
                    .remove(&r.id)
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|s| {
                        Some(SignedOff {
                            id: s.id,
                            action: s.action,
                            member: s.member_id?,
                            comment: s.comment,
                            at: s.at,
                            hash: s.hash?,
                            signature: s.signature?,
                        })
                    })
                    .collect(),
            })
        });
        let (key, name) = (item.key, v.name);
        match v.body {
            AgreementBody::Stage(body) => file.stages.push(Entry {
                key,
                name,
                body,
                signed,
            }),
            AgreementBody::Term(body) => file.terms.push(Entry {
                key,
                name,
                body,
                signed,
            }),
            AgreementBody::Reason(body) => file.reasons.push(Entry {
                key,
                name,
                body,
                signed,
            }),
            AgreementBody::Scoring(body) => file.scoring.push(Entry {
                key,
                name,
                body,
                signed,
            }),
            AgreementBody::BusinessCalendar(body) => file.calendars.push(Entry {
                key,
                name,
                body,
                signed,
            }),
            AgreementBody::Sla(body) => file.slas.push(Entry {
                key,
                name,
                body,
                signed,
            }),
            AgreementBody::BuyingStage(body) => file.buying_stages.push(Entry {
                key,
                name,
                body,
                signed,
            }),
            AgreementBody::Persona(body) => file.personas.push(Entry {
                key,
                name,
                body,
                signed,
            }),
            AgreementBody::Risk(body) => file.risks.push(Entry {
                key,
                name,
                body,
                signed,
            }),
            AgreementBody::AssetKind(body) => file.asset_kinds.push(Entry {
                key,
                name,
                body,
                signed,
            }),
        }
    }
    Ok(file)
}

pub fn to_toml(file: &PlaybookFile) -> AppResult<String> {
    let body = toml::to_string_pretty(file)
        .map_err(|e| AppError::io(format!("the playbook could not be written as TOML: {e}")))?;
    Ok(format!(
        "# Playbook: the agreed lead definitions of marketing and sales, with the signatures\n\
         # that put them in force. Import with `playbook import-playbook FILE`; entries whose\n\
         # signatures do not verify in the receiving workspace need `--signed-by M,S`.\n\n{body}"
    ))
}

/// Largest playbook file read: a playbook of 50,000 entries with their signatures fits
/// in well under this; anything larger is refused before it is read.
pub const MAX_FILE_BYTES: u64 = 20 * 1024 * 1024;
/// Most entries (items and member records) one file may bring.
pub const MAX_ENTRIES: usize = 50_000;

/// Reads a playbook file, refusing a directory, a file over [`MAX_FILE_BYTES`] (also one
/// that never ends, such as a pipe) and one that is not text.
pub fn read(path: &Path) -> AppResult<String> {
    use std::io::Read;
    let cannot = |e: std::io::Error| AppError::io(format!("cannot read {}: {e}", path.display()));
    if path.is_dir() {
        return Err(AppError::invalid(
            "file",
            format!("{} is a directory; give the playbook file", path.display()),
        ));
    }
    let too_big = || {
        AppError::invalid(
            "file",
            format!(
                "{} is larger than {} MB; a playbook file holds at most {MAX_ENTRIES} entries",
                path.display(),
                MAX_FILE_BYTES / (1024 * 1024)
            ),
        )
    };
    if std::fs::metadata(path).map_err(cannot)?.len() > MAX_FILE_BYTES {
        return Err(too_big());
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(cannot)?
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_big());
    }
    String::from_utf8(bytes)
        .map_err(|_| AppError::invalid("file", format!("{} is not text (UTF-8)", path.display())))
}

pub fn from_toml(text: &str) -> AppResult<PlaybookFile> {
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(AppError::invalid(
            "file",
            format!(
                "the playbook file is larger than {} MB",
                MAX_FILE_BYTES / (1024 * 1024)
            ),
        ));
    }
    // Counted before parsing, so a huge file is refused before it takes memory.
    let entries = text
        .lines()
        .filter(|l| {
            matches!(
                l.trim(),
                "[[stages]]"
                    | "[[terms]]"
                    | "[[reasons]]"
                    | "[[scoring]]"
                    | "[[members]]"
                    | "[[member_records]]"
            )
        })
        .count();
    if entries > MAX_ENTRIES {
        return Err(AppError::invalid(
            "file",
            format!("the playbook file has {entries} entries; at most {MAX_ENTRIES} are imported at once"),
        ));
    }
    let file: PlaybookFile = toml::from_str(text).map_err(|e| {
        AppError::invalid(
            "file",
            super::toml_errors::describe(text, e.message(), e.span().map(|s| s.start)),
        )
    })?;
    if file.format != 1 && file.format != FORMAT {
        return Err(AppError::invalid(
            "format",
            format!(
                "format {} is not supported; this Playbook reads formats 1 and {FORMAT}",
                file.format
            ),
        ));
    }
    Ok(file)
}

/// Writes the in-force playbook to `path`.
pub async fn export(conn: &mut Conn, path: &Path, at: DateTime<Utc>) -> AppResult<PlaybookFile> {
    let file = snapshot(conn, at).await?;
    let text = to_toml(&file)?;
    crate::exports::write_whole(path, text.as_bytes())?;
    Ok(file)
}

/// Brings a playbook file in, inside the caller's transaction (it stops at the first
/// refusal). Signed member records and versions whose signatures verify in this workspace
/// are taken as they are; what does not verify here is signed by `signers` (members of this
/// workspace who proved themselves, a manager of each side), or refused. Linear in the
/// size of the file: the playbook is loaded once.
pub async fn import(
    conn: &mut Conn,
    file: &PlaybookFile,
    signers: &[Signer],
    at: DateTime<Utc>,
) -> AppResult<ImportSummary> {
    let mut summary = ImportSummary {
        members_added: 0,
        members_skipped: 0,
        versions_proposed: 0,
        versions_agreed: 0,
        versions_verbatim: 0,
        unchanged: 0,
    };
    check_signers(&mut *conn, signers).await?;
    let roster = import_members(&mut *conn, file, signers, at, &mut summary).await?;

    let mut index = ItemIndex::load(&mut *conn, None, at).await?.deferred();
    let stage_keys: Vec<String> = file.stages.iter().map(|e| e.key.clone()).collect();
    let mut seen: HashSet<(AgreementKind, String)> = HashSet::new();
    let entries = file
        .stages
        .iter()
        .map(|e| (e, AgreementBody::Stage(e.body.clone())))
        .map(|(e, b)| (&e.key, &e.name, b, &e.signed))
        .chain(file.terms.iter().map(|e| {
            (
                &e.key,
                &e.name,
                AgreementBody::Term(e.body.clone()),
                &e.signed,
            )
        }))
        .chain(file.reasons.iter().map(|e| {
            (
                &e.key,
                &e.name,
                AgreementBody::Reason(e.body.clone()),
                &e.signed,
            )
        }))
        .chain(file.scoring.iter().map(|e| {
            (
                &e.key,
                &e.name,
                AgreementBody::Scoring(e.body.clone()),
                &e.signed,
            )
        }))
        .chain(file.calendars.iter().map(|e| {
            (
                &e.key,
                &e.name,
                AgreementBody::BusinessCalendar(e.body.clone()),
                &e.signed,
            )
        }))
        .chain(file.slas.iter().map(|e| {
            (
                &e.key,
                &e.name,
                AgreementBody::Sla(e.body.clone()),
                &e.signed,
            )
        }))
        .chain(file.buying_stages.iter().map(|e| {
            (
                &e.key,
                &e.name,
                AgreementBody::BuyingStage(e.body.clone()),
                &e.signed,
            )
        }))
        .chain(file.personas.iter().map(|e| {
            (
                &e.key,
                &e.name,
                AgreementBody::Persona(e.body.clone()),
                &e.signed,
            )
        }))
        .chain(file.risks.iter().map(|e| {
            (
                &e.key,
                &e.name,
                AgreementBody::Risk(e.body.clone()),
                &e.signed,
            )
        }))
        .chain(file.asset_kinds.iter().map(|e| {
            (
                &e.key,
                &e.name,
                AgreementBody::AssetKind(e.body.clone()),
                &e.signed,
            )
        }));
    for (key, name, body, signed) in entries {
        let kind = body.kind();
        let label = format!("{}/{}", kind.as_str(), key);
        let in_context = |e: AppError| AppError {
            message: format!("{label}: {}", e.message),
            ..e
        };
        if !seen.insert((kind, key.clone())) {
            return Err(AppError::invalid(
                "file",
                format!("{label} appears twice in the file"),
            ));
        }
        let existing = index.get(kind, key).cloned();
        if existing
            .as_ref()
            .and_then(|i| i.in_force.as_ref())
            .is_some_and(|v| v.name == name.trim() && v.body == body)
        {
            summary.unchanged += 1;
            continue;
        }
        if let Some(s) = signed {
            let stored = existing
                .as_ref()
                .and_then(|i| i.versions.iter().find(|v| v.id == s.id));
            match stored {
                Some(v) if v.name == name.trim() && v.body == body => {
                    summary.unchanged += 1;
                    continue;
                }
                // Edited after it was signed: its signatures no longer hold.
                Some(_) => {}
                None => {
                    if take_verbatim(&mut *conn, kind, key, name, &body, s, &roster, at).await? {
                        summary.versions_verbatim += 1;
                        summary.versions_agreed += 1;
                        continue;
                    }
                }
            }
        }
        let Some(author) = signers.first() else {
            return Err(AppError::not_allowed(format!(
                "{label}: its signatures do not verify in this workspace; import with --signed-by MARKETING_MANAGER,SALES_MANAGER"
            )));
        };
        let proposal = Proposal {
            item_id: existing.as_ref().map(|i| i.id.clone()),
            key: Some(key.clone()),
            name: name.clone(),
            body,
            summary: "Imported from a playbook file".into(),
            effective_from: None,
        };
        let record = store::propose_in(conn, &mut index, &proposal, author, at, &stage_keys)
            .await
            .map_err(in_context)?;
        summary.versions_proposed += 1;
        if index.deferred_rows() >= 5_000 {
            // Written in batches as the file is read, so memory stays bounded.
            index.flush(&mut *conn).await?;
        }
        let hash = record.hash.clone().unwrap_or_default();
        for signer in signers {
            let s = store::signed_signoff(
                &record.id,
                &hash,
                SignoffAction::Approved,
                signer,
                "Signed off on import",
                at,
            );
            index.sign_off(&mut *conn, s).await?;
        }
        if !signers.is_empty() {
            summary.versions_agreed += 1;
        }
    }
    index.flush(&mut *conn).await?;
    Ok(summary)
}

/// `--signed-by`: managers of this workspace, one of each side at least.
async fn check_signers(conn: &mut Conn, signers: &[Signer]) -> AppResult<()> {
    if signers.is_empty() {
        return Ok(());
    }
    let mut sides = Vec::new();
    for s in signers {
        let m = team::store::get(&mut *conn, &s.member_id).await?;
        if !m.is_manager() {
            return Err(AppError::not_allowed(format!(
                "--signed-by: {} is a {} {}, not a manager",
                m.email,
                m.side.as_str(),
                m.role.as_str()
            )));
        }
        sides.push(m.side);
    }
    for side in Side::ALL {
        if !sides.contains(&side) {
            return Err(AppError::invalid(
                "signedBy",
                format!("--signed-by must name a {} manager too", side.as_str()),
            ));
        }
    }
    Ok(())
}

/// Takes the file's member records that are valid here (together with this workspace's
/// own); members the file names but cannot vouch for are added by the first signer (a
/// manager here) when their key travels in the file, else skipped. Returns the roster.
async fn import_members(
    conn: &mut Conn,
    file: &PlaybookFile,
    signers: &[Signer],
    at: DateTime<Utc>,
    summary: &mut ImportSummary,
) -> AppResult<Roster> {
    let mut genesis = member_records::genesis(&mut *conn).await?;
    let fresh = genesis.is_none() && !team::store::has_members(&mut *conn).await?;
    if fresh {
        genesis = file.founded_by.clone();
    }
    let existing = member_records::all(&mut *conn).await?;
    let known: HashSet<String> = existing.iter().map(|r| r.id.clone()).collect();
    let mut all = existing.clone();
    all.extend(
        file.member_records
            .iter()
            .filter(|r| !known.contains(&r.id))
            .cloned(),
    );
    let trial = Roster::fold(all, genesis.as_deref());
    let rejected: HashSet<&str> = trial.rejected.iter().map(|(id, _)| id.as_str()).collect();
    let mut added_any = false;
    for r in &file.member_records {
        if known.contains(&r.id) || rejected.contains(r.id.as_str()) {
            continue;
        }
        member_records::insert(&mut *conn, r).await?;
        added_any = true;
    }
    if fresh && added_any {
        if let Some(g) = &genesis {
            sqlx::query(
                "INSERT INTO workspace (id, genesis_record_id, created_at) VALUES (?, ?, ?)",
            )
            .bind(crate::db::new_id())
            .bind(g)
            .bind(ts(at))
            .execute(&mut *conn)
            .await?;
        }
    }
    team::store::refresh(&mut *conn).await?;
    let mut roster = member_records::roster(&mut *conn).await?;
    for (i, m) in file.members.iter().enumerate() {
        let m = m.validated().map_err(|e| AppError {
            message: format!("members[{}]: {}", i + 1, e.message),
            ..e
        })?;
        let id = team::store::member_id_for(&m.email);
        if roster.latest(&id).is_some() {
            continue;
        }
        // A member whose key travels in the file, re-signed by a manager here.
        let carried = file.member_records.iter().rev().find(|r| r.member_id == id);
        match (carried, signers.first()) {
            (Some(r), Some(signer)) => {
                let envelope = serde_json::from_str(&r.key_envelope).map_err(|_| {
                    AppError::invalid(
                        "members",
                        format!("members[{}]: the key of {} is damaged", i + 1, m.email),
                    )
                })?;
                team::store::add_with_key(&mut *conn, &m, &r.public_key, &envelope, signer, at)
                    .await
                    .map_err(|e| AppError {
                        message: format!("members[{}]: {}", i + 1, e.message),
                        ..e
                    })?;
                summary.members_added += 1;
            }
            _ => summary.members_skipped += 1,
        }
    }
    let records_added = file
        .member_records
        .iter()
        .filter(|r| !known.contains(&r.id) && !rejected.contains(r.id.as_str()))
        .map(|r| &r.member_id)
        .collect::<HashSet<_>>()
        .len() as u32;
    summary.members_added += records_added;
    if summary.members_added > 0 {
        roster = member_records::roster(&mut *conn).await?;
    }
    Ok(roster)
}

/// Stores a version as it was signed, with its sign-offs, if its signatures verify here
/// and they put it in force; otherwise stores nothing and says so.
#[allow(clippy::too_many_arguments)]
async fn take_verbatim(
    conn: &mut Conn,
    kind: AgreementKind,
    key: &str,
    name: &str,
    body: &AgreementBody,
    s: &Signed,
    roster: &Roster,
    at: DateTime<Utc>,
) -> AppResult<bool> {
    let none = HashSet::new();
    let record = VersionRecord {
        id: s.id.clone(),
        item_id: store::item_id_for(kind, key),
        kind: kind.as_str().to_string(),
        key: key.to_string(),
        name: name.to_string(),
        body: serde_json::to_string(body).expect("a body serialises"),
        summary: s.summary.clone(),
        effective_from: s.effective_from.clone(),
        supersedes: s.supersedes.clone(),
        author_id: Some(s.author.clone()),
        created_at: s.created_at.clone(),
        hash: Some(s.hash.clone()),
        signature: Some(s.signature.clone()),
    };
    if store::version_problem(&record, roster, &none).is_some() {
        return Ok(false);
    }
    let signoffs: Vec<SignoffRecord> = s
        .signoffs
        .iter()
        .map(|o| SignoffRecord {
            id: o.id.clone(),
            version_id: s.id.clone(),
            action: o.action,
            member_id: Some(o.member.clone()),
            comment: o.comment.clone(),
            at: o.at.clone(),
            hash: Some(o.hash.clone()),
            signature: Some(o.signature.clone()),
        })
        .filter(|o| {
            let version = store::Signed {
                hash: Some(&s.hash),
                created_at: &s.created_at,
            };
            store::signoff_problem(o, version, roster, &none).is_none()
        })
        .collect();
    let items = store::assemble(vec![record.clone()], signoffs.clone(), roster, &none, at);
    let agreed = items
        .first()
        .and_then(|i| i.versions.first())
        .is_some_and(|v| {
            matches!(
                v.status,
                VersionStatus::InForce | VersionStatus::Scheduled | VersionStatus::Superseded
            )
        });
    if !agreed {
        return Ok(false);
    }
    let item_id = store::ensure_item(&mut *conn, kind, key, at).await?;
    store::insert_version(&mut *conn, &VersionRecord { item_id, ..record }).await?;
    for o in &signoffs {
        store::insert_signoff(&mut *conn, o).await?;
    }
    Ok(true)
}

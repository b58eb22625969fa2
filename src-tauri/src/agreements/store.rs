//! SQL for the playbook: loading items with their versions and logs (every signature
//! checked), proposing and signing off.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::records::{SignoffRecord, VersionRecord};
use super::rules::{check_signoff, settle_item};
use super::{
    AgreementBody, AgreementItem, AgreementKind, AgreementVersion, Proposal, SignoffAction,
    SignoffEvent, VersionStatus,
};
use crate::db::{new_id, parse_ts, ts, Conn};
use crate::error::{AppError, AppResult};
use crate::team::roster::Roster;
use crate::team::{self, Role};
use crate::trust::{keys, Problem, Signer};

/// Every item (of one kind, or all), with all its versions settled as of `now`.
/// Items come in funnel order for stages and by name otherwise.
pub async fn load_items(
    conn: &mut Conn,
    kind: Option<AgreementKind>,
    now: DateTime<Utc>,
) -> AppResult<Vec<AgreementItem>> {
    load(conn, kind, None, now).await
}

/// One item with its whole history.
pub async fn load_item(
    conn: &mut Conn,
    item_id: &str,
    now: DateTime<Utc>,
) -> AppResult<AgreementItem> {
    load(conn, None, Some(item_id), now)
        .await?
        .pop()
        .ok_or_else(|| AppError::not_found(format!("no playbook item with id {item_id}")))
}

/// The stored version and sign-off records (of one kind, or one item, or all).
pub async fn records(
    conn: &mut Conn,
    kind: Option<AgreementKind>,
    item_id: Option<&str>,
) -> AppResult<(Vec<VersionRecord>, Vec<SignoffRecord>)> {
    let kind = kind.map(|k| k.as_str());
    let versions: Vec<VersionRecord> = sqlx::query_as(
        "SELECT v.id, v.item_id, i.kind, i.key, v.name, v.body, v.summary, v.effective_from,
                v.supersedes, v.author_id, v.created_at, v.hash, v.signature
         FROM agreement_versions v
         JOIN agreement_items i ON i.id = v.item_id AND i.deleted_at IS NULL
         WHERE (?1 IS NULL OR i.kind = ?1) AND (?2 IS NULL OR i.id = ?2)
         ORDER BY v.item_id, v.created_at, v.id",
    )
    .bind(kind)
    .bind(item_id)
    .fetch_all(&mut *conn)
    .await?;
    let signoffs: Vec<SignoffRecord> = sqlx::query_as(
        "SELECT s.id, s.version_id, s.action, s.member_id, s.comment, s.at, s.hash, s.signature
         FROM agreement_signoffs s
         JOIN agreement_versions v ON v.id = s.version_id
         JOIN agreement_items i ON i.id = v.item_id AND i.deleted_at IS NULL
         WHERE (?1 IS NULL OR i.kind = ?1) AND (?2 IS NULL OR i.id = ?2)
         ORDER BY s.at, s.id",
    )
    .bind(kind)
    .bind(item_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok((versions, signoffs))
}

async fn load(
    conn: &mut Conn,
    kind: Option<AgreementKind>,
    item_id: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<Vec<AgreementItem>> {
    crate::trust::verify::preload(&mut *conn).await?;
    let roster = team::records::roster(&mut *conn).await?;
    let tampered = crate::trust::verify::tampered_ids(&mut *conn).await?;
    let (versions, signoffs) = records(&mut *conn, kind, item_id).await?;
    let items = assemble(versions, signoffs, &roster, &tampered, now);
    crate::trust::verify::persist(&mut *conn).await;
    Ok(items)
}

/// Why a version does not count, if it does not: the check every fold relies on.
pub fn version_problem(
    r: &VersionRecord,
    roster: &Roster,
    tampered: &HashSet<String>,
) -> Option<Problem> {
    let problem = (|| {
        let Some(hash) = r.computed_hash() else {
            return Some(Problem::tampered("its content is unreadable"));
        };
        let (Some(stored), Some(signature), Some(author)) = (&r.hash, &r.signature, &r.author_id)
        else {
            return Some(Problem::tampered("it is not signed"));
        };
        if hash != *stored {
            return Some(Problem::tampered(
                "its content does not match what its author signed",
            ));
        }
        let Some(state) = roster.at(author, &r.created_at) else {
            return Some(roster.off_team(author, &r.created_at, stored, signature));
        };
        if !keys::verify(&state.public_key, stored, signature) {
            return Some(Problem::tampered(format!(
                "{}'s signature does not verify",
                state.email
            )));
        }
        None
    })();
    problem.or_else(|| {
        tampered
            .contains(&r.id)
            .then(|| Problem::tampered("found tampered by `playbook verify`"))
    })
}

/// The version a sign-off signs, as far as the sign-off's check needs it.
#[derive(Debug, Clone, Copy)]
pub struct Signed<'a> {
    /// Its hash, when it verifies.
    pub hash: Option<&'a str>,
    pub created_at: &'a str,
}

/// Why a sign-off does not count, if it does not: it must be signed, over this very
/// version's hash, by someone who was a manager when they signed, and not dated before the
/// version was written (a back-dated signature claims a role its signer may no longer hold).
pub fn signoff_problem(
    s: &SignoffRecord,
    version: Signed<'_>,
    roster: &Roster,
    tampered: &HashSet<String>,
) -> Option<Problem> {
    let problem = (|| {
        let (Some(stored), Some(signature), Some(member)) = (&s.hash, &s.signature, &s.member_id)
        else {
            return Some(Problem::tampered("it is not signed"));
        };
        if !matches!(s.action, SignoffAction::Approved | SignoffAction::Declined) {
            return Some(Problem::tampered(
                "only approvals and declines are signed off",
            ));
        }
        let Some(version_hash) = version.hash else {
            return Some(Problem::tampered("the version it signs does not verify"));
        };
        if s.computed_hash(version_hash) != *stored {
            return Some(Problem::tampered(
                "its content does not match what was signed",
            ));
        }
        let Some(state) = roster.at(member, &s.at) else {
            return Some(roster.off_team(member, &s.at, stored, signature));
        };
        if !keys::verify(&state.public_key, stored, signature) {
            return Some(Problem::tampered(format!(
                "{}'s signature does not verify",
                state.email
            )));
        }
        if s.at.as_str() < version.created_at {
            return Some(Problem::not_authorised(format!(
                "{} <{}> dated it {}, before the version it signs was written ({}); a sign-off cannot come before what it signs",
                state.name, state.email, s.at, version.created_at
            )));
        }
        if state.role != Role::Manager {
            return Some(Problem::not_authorised(format!(
                "{} <{}> was a {} {} then, not a manager",
                state.name,
                state.email,
                state.side.as_str(),
                state.role.as_str()
            )));
        }
        None
    })();
    problem.or_else(|| {
        tampered
            .contains(&s.id)
            .then(|| Problem::tampered("found tampered by `playbook verify`"))
    })
}

/// Builds items from their records: checks every signature, derives numbers from time
/// order, and settles each version as of `now`. A pure function of its inputs.
pub fn assemble(
    versions: Vec<VersionRecord>,
    signoffs: Vec<SignoffRecord>,
    roster: &Roster,
    tampered: &HashSet<String>,
    now: DateTime<Utc>,
) -> Vec<AgreementItem> {
    let name_of = |id: &str| roster.latest(id).map(|m| m.name.clone());
    let mut checked: HashMap<String, Option<String>> = HashMap::new();
    let mut hashes: HashMap<String, (Option<String>, String)> = HashMap::new();
    for v in &versions {
        let problem = version_problem(v, roster, tampered).map(|p| p.text);
        hashes.insert(
            v.id.clone(),
            (
                problem.is_none().then(|| v.hash.clone()).flatten(),
                v.created_at.clone(),
            ),
        );
        checked.insert(v.id.clone(), problem);
    }
    let mut logs: HashMap<String, Vec<SignoffEvent>> = HashMap::new();
    let mut signoffs = signoffs;
    signoffs.sort_by(|a, b| (&a.at, &a.id).cmp(&(&b.at, &b.id)));
    for s in signoffs {
        let signed = hashes.get(&s.version_id).map_or(
            Signed {
                hash: None,
                created_at: "",
            },
            |(hash, created_at)| Signed {
                hash: hash.as_deref(),
                created_at,
            },
        );
        let problem = signoff_problem(&s, signed, roster, tampered).map(|p| p.text);
        let state = s.member_id.as_deref().and_then(|m| roster.at(m, &s.at));
        logs.entry(s.version_id.clone())
            .or_default()
            .push(SignoffEvent {
                member_name: s.member_id.as_deref().and_then(name_of),
                member_side: state.map(|m| m.side),
                member_role: state.map(|m| m.role),
                id: s.id,
                action: s.action,
                member_id: s.member_id,
                comment: s.comment,
                at: s.at,
                problem,
            });
    }

    let mut by_item: Vec<(String, Vec<AgreementVersion>)> = Vec::new();
    let mut versions = versions;
    versions.sort_by(|a, b| {
        (&a.item_id, &a.created_at, &a.id).cmp(&(&b.item_id, &b.created_at, &b.id))
    });
    for row in versions {
        let problem = checked.remove(&row.id).flatten();
        let body: AgreementBody = serde_json::from_str(&row.body).unwrap_or_else(|_| {
            AgreementBody::Term(super::TermBody {
                definition: "(this version's content is unreadable)".into(),
            })
        });
        let mut log = vec![SignoffEvent {
            id: row.id.clone(),
            action: SignoffAction::Proposed,
            member_id: row.author_id.clone(),
            member_name: row.author_id.as_deref().and_then(name_of),
            member_side: row
                .author_id
                .as_deref()
                .and_then(|a| roster.at(a, &row.created_at))
                .map(|m| m.side),
            member_role: row
                .author_id
                .as_deref()
                .and_then(|a| roster.at(a, &row.created_at))
                .map(|m| m.role),
            comment: row.summary.clone(),
            at: row.created_at.clone(),
            problem: problem.clone(),
        }];
        log.extend(logs.remove(&row.id).unwrap_or_default());
        let number = match by_item.last() {
            Some((id, list)) if *id == row.item_id => list.len() as u32 + 1,
            _ => 1,
        };
        let version = AgreementVersion {
            log,
            kind: row.kind().unwrap_or(AgreementKind::Term),
            hash: row.hash.clone().unwrap_or_default(),
            status: if problem.is_some() {
                VersionStatus::Tampered
            } else {
                VersionStatus::Draft
            },
            problem,
            author_name: row.author_id.as_deref().and_then(name_of),
            id: row.id,
            item_id: row.item_id.clone(),
            key: row.key,
            number,
            name: row.name,
            body,
            summary: row.summary,
            effective_from: row.effective_from,
            author_id: row.author_id,
            created_at: row.created_at,
            effective_at: None,
            awaiting: vec![],
            you_may_sign: false,
            sign_blocker: None,
        };
        match by_item.last_mut() {
            Some((id, list)) if *id == row.item_id => list.push(version),
            _ => by_item.push((row.item_id, vec![version])),
        }
    }

    let now = ts(now);
    let mut items: Vec<AgreementItem> = by_item
        .into_iter()
        .map(|(id, mut versions)| {
            settle_item(&mut versions, &now);
            versions.reverse();
            let in_force = versions
                .iter()
                .find(|v| v.status == VersionStatus::InForce)
                .cloned();
            let pending = versions
                .iter()
                .find(|v| v.status == VersionStatus::Proposed)
                .cloned();
            let scheduled = versions
                .iter()
                .find(|v| v.status == VersionStatus::Scheduled)
                .cloned();
            let newest_settled = versions
                .iter()
                .find(|v| !matches!(v.status, VersionStatus::Draft | VersionStatus::Tampered))
                .map_or(0, |v| v.number);
            let draft = versions
                .iter()
                .find(|v| v.status == VersionStatus::Draft && v.number > newest_settled)
                .cloned();
            let name = in_force.as_ref().unwrap_or(&versions[0]).name.clone();
            AgreementItem {
                kind: versions[0].kind,
                key: versions[0].key.clone(),
                id,
                name,
                in_force,
                pending,
                scheduled,
                draft,
                versions,
            }
        })
        .collect();
    items.sort_by_key(|i| (i.kind, position(i), i.name.to_lowercase()));
    items
}

fn position(item: &AgreementItem) -> u32 {
    let v = item.in_force.as_ref().unwrap_or(&item.versions[0]);
    match &v.body {
        AgreementBody::Stage(s) => s.position,
        _ => 0,
    }
}

/// Finds a version by id, or by reference `kind/key@number`; `kind/key` (or an item id)
/// names the item's newest version.
pub async fn resolve_version(
    conn: &mut Conn,
    reference: &str,
    now: DateTime<Utc>,
) -> AppResult<AgreementVersion> {
    let reference = reference.trim();
    let (item, number) = resolve(conn, reference, now).await?;
    match number {
        Some(Number::Exact(n)) => item
            .versions
            .into_iter()
            .find(|v| v.number == n)
            .ok_or_else(|| {
                AppError::not_found(format!(
                    "{}/{} has no version {n}",
                    item.kind.as_str(),
                    item.key
                ))
            }),
        Some(Number::Id(id)) => item
            .versions
            .into_iter()
            .find(|v| v.id == id)
            .ok_or_else(|| AppError::not_found(format!("no version with id {id}"))),
        None => Ok(item
            .versions
            .into_iter()
            .next()
            .expect("an item has a version")),
    }
}

/// Finds an item by id, by `kind/key`, or by any version reference.
pub async fn resolve_item(
    conn: &mut Conn,
    reference: &str,
    now: DateTime<Utc>,
) -> AppResult<AgreementItem> {
    Ok(resolve(conn, reference.trim(), now).await?.0)
}

enum Number {
    Exact(u32),
    Id(String),
}

async fn resolve(
    conn: &mut Conn,
    reference: &str,
    now: DateTime<Utc>,
) -> AppResult<(AgreementItem, Option<Number>)> {
    if let Some((kind, rest)) = reference.split_once('/') {
        let kind = AgreementKind::parse(kind)?;
        let (key, number) = match rest.split_once('@') {
            Some((key, n)) => {
                let n: u32 = n.trim_start_matches(['v', 'V']).parse().map_err(|_| {
                    AppError::invalid(
                        "reference",
                        format!("'{reference}': version must be a number, as in stage/mql@2"),
                    )
                })?;
                (key, Some(Number::Exact(n)))
            }
            None => (rest, None),
        };
        let item_id: Option<String> = sqlx::query_scalar(
            "SELECT id FROM agreement_items WHERE kind = ? AND key = ? AND deleted_at IS NULL",
        )
        .bind(kind.as_str())
        .bind(key.trim())
        .fetch_optional(&mut *conn)
        .await?;
        let item_id = item_id.ok_or_else(|| {
            AppError::not_found(format!("no playbook item {}/{}", kind.as_str(), key.trim()))
        })?;
        return Ok((load_item(conn, &item_id, now).await?, number));
    }
    let version_item: Option<String> =
        sqlx::query_scalar("SELECT item_id FROM agreement_versions WHERE id = ?")
            .bind(reference)
            .fetch_optional(&mut *conn)
            .await?;
    if let Some(item_id) = version_item {
        return Ok((
            load_item(conn, &item_id, now).await?,
            Some(Number::Id(reference.to_string())),
        ));
    }
    match load_item(conn, reference, now).await {
        Ok(item) => Ok((item, None)),
        Err(_) => Err(AppError::not_found(format!(
            "nothing in the playbook is called '{reference}'; use an id or kind/key@version such as stage/mql@2"
        ))),
    }
}

/// What proposing checks against, loaded once: an import proposes thousands of entries
/// against one index (linear), where reloading the playbook per entry was quadratic.
pub struct ItemIndex {
    by_key: HashMap<(AgreementKind, String), AgreementItem>,
    key_of_id: HashMap<String, (AgreementKind, String)>,
    /// Lowercase names in use per kind, with the key that uses each.
    names: HashMap<(AgreementKind, String), String>,
    /// Items proposed through this index (new ones included), to refuse a second proposal.
    proposed: HashSet<(AgreementKind, String)>,
    /// Authors already found on the team.
    authors: HashSet<String>,
    /// With [`ItemIndex::deferred`]: rows written in batches by [`ItemIndex::flush`]
    /// (an import of thousands of entries would otherwise cost a statement per row).
    deferred: Option<Deferred>,
}

#[derive(Default)]
struct Deferred {
    items: Vec<(String, AgreementKind, String)>,
    versions: Vec<VersionRecord>,
    signoffs: Vec<SignoffRecord>,
}

impl ItemIndex {
    pub async fn load(
        conn: &mut Conn,
        kind: Option<AgreementKind>,
        now: DateTime<Utc>,
    ) -> AppResult<ItemIndex> {
        let items = load_items(conn, kind, now).await?;
        let mut index = ItemIndex {
            by_key: HashMap::new(),
            key_of_id: HashMap::new(),
            names: HashMap::new(),
            proposed: HashSet::new(),
            authors: HashSet::new(),
            deferred: None,
        };
        for item in items {
            let k = (item.kind, item.key.clone());
            index
                .names
                .insert((item.kind, item.name.to_lowercase()), item.key.clone());
            index.key_of_id.insert(item.id.clone(), k.clone());
            index.by_key.insert(k, item);
        }
        Ok(index)
    }

    /// Writes new items, versions and sign-offs in batches from now on; call
    /// [`ItemIndex::flush`] before reading them back.
    pub fn deferred(mut self) -> ItemIndex {
        self.deferred = Some(Deferred::default());
        self
    }

    /// Queues a sign-off (written at once unless deferred).
    pub async fn sign_off(&mut self, conn: &mut Conn, record: SignoffRecord) -> AppResult<()> {
        match &mut self.deferred {
            Some(d) => {
                d.signoffs.push(record);
                Ok(())
            }
            None => insert_signoff(conn, &record).await,
        }
    }

    /// How many rows wait to be written.
    pub fn deferred_rows(&self) -> usize {
        self.deferred
            .as_ref()
            .map_or(0, |d| d.items.len() + d.versions.len() + d.signoffs.len())
    }

    /// Writes what was deferred, in multi-row statements.
    pub async fn flush(&mut self, conn: &mut Conn) -> AppResult<()> {
        use crate::db::{insert_many, Val};
        let Some(d) = self.deferred.as_mut() else {
            return Ok(());
        };
        let now = ts(chrono::Utc::now());
        let items = std::mem::take(&mut d.items)
            .into_iter()
            .map(|(id, kind, key)| {
                vec![
                    Val::Text(id),
                    Val::Text(kind.as_str().into()),
                    Val::Text(key),
                    Val::Text(now.clone()),
                    Val::Text(now.clone()),
                ]
            })
            .collect();
        insert_many(
            conn,
            "agreement_items",
            &["id", "kind", "key", "created_at", "updated_at"],
            items,
        )
        .await?;
        let versions = std::mem::take(&mut d.versions)
            .into_iter()
            .map(|r| {
                vec![
                    Val::Text(r.id),
                    Val::Text(r.item_id),
                    Val::Text(r.name),
                    Val::Text(r.body),
                    Val::Text(r.summary),
                    Val::OptText(r.effective_from),
                    Val::OptText(r.supersedes),
                    Val::OptText(r.author_id),
                    Val::Text(r.created_at),
                    Val::OptText(r.hash),
                    Val::OptText(r.signature),
                ]
            })
            .collect();
        insert_many(
            conn,
            "agreement_versions",
            &[
                "id",
                "item_id",
                "name",
                "body",
                "summary",
                "effective_from",
                "supersedes",
                "author_id",
                "created_at",
                "hash",
                "signature",
            ],
            versions,
        )
        .await?;
        let signoffs = std::mem::take(&mut d.signoffs)
            .into_iter()
            .map(|r| {
                vec![
                    Val::Text(r.id),
                    Val::Text(r.version_id),
                    Val::Text(
                        match r.action {
                            SignoffAction::Proposed => "proposed",
                            SignoffAction::Approved => "approved",
                            SignoffAction::Declined => "declined",
                            SignoffAction::Agreed => "agreed",
                        }
                        .into(),
                    ),
                    Val::OptText(r.member_id),
                    Val::Text(r.comment),
                    Val::Text(r.at),
                    Val::OptText(r.hash),
                    Val::OptText(r.signature),
                ]
            })
            .collect();
        insert_many(
            conn,
            "agreement_signoffs",
            &[
                "id",
                "version_id",
                "action",
                "member_id",
                "comment",
                "at",
                "hash",
                "signature",
            ],
            signoffs,
        )
        .await
    }

    pub fn get(&self, kind: AgreementKind, key: &str) -> Option<&AgreementItem> {
        self.by_key.get(&(kind, key.to_string()))
    }

    fn has_key(&self, kind: AgreementKind, key: &str) -> bool {
        let k = (kind, key.to_string());
        self.by_key.contains_key(&k) || self.proposed.contains(&k)
    }
}

/// The id of the item `kind/key`, derived from them: two laptops that create the same
/// item offline make the same item (the merge rule for item keys).
pub fn item_id_for(kind: AgreementKind, key: &str) -> String {
    uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        format!("playbook:item:{}/{key}", kind.as_str()).as_bytes(),
    )
    .to_string()
}

/// Writes a new version, signed by its author, and so proposes it for sign-off. A new
/// item is created when the proposal names none. Refuses empty or duplicate names, an
/// unchanged copy of what is in force, and a second open proposal for the same item.
pub async fn propose(
    conn: &mut Conn,
    proposal: &Proposal,
    author: &Signer,
    at: DateTime<Utc>,
) -> AppResult<AgreementVersion> {
    let kind = proposal.body.kind();
    // An SLA names a calendar and may name stages: it is checked against the whole playbook.
    let scope = (kind != AgreementKind::Sla).then_some(kind);
    let mut index = ItemIndex::load(&mut *conn, scope, at).await?;
    let record = propose_in(&mut *conn, &mut index, proposal, author, at, &[]).await?;
    version_by_id(conn, &record.item_id, &record.id, at).await
}

/// [`propose`] against a loaded index, where a stage may also name as next stages the
/// `known` keys that a playbook import is about to create.
pub async fn propose_in(
    conn: &mut Conn,
    index: &mut ItemIndex,
    proposal: &Proposal,
    author: &Signer,
    at: DateTime<Utc>,
    known: &[String],
) -> AppResult<VersionRecord> {
    let name = proposal.name.trim().to_string();
    if name.is_empty() {
        return Err(AppError::invalid(
            "name",
            "Name: give the item a name both teams will recognise.",
        ));
    }
    super::check_length("name", &name, super::MAX_NAME_CHARS)?;
    super::check_length("summary", proposal.summary.trim(), super::MAX_TEXT_CHARS)?;
    let body = proposal.body.validated()?;
    let kind = body.kind();
    if !index.authors.contains(&author.member_id) {
        team::store::signer_now(&mut *conn, author).await?;
        index.authors.insert(author.member_id.clone());
    }
    let effective_from = match proposal.effective_from.as_deref().map(str::trim) {
        Some(t) if !t.is_empty() => Some(ts(parse_ts("effectiveFrom", t)?)),
        _ => None,
    };

    let existing = match &proposal.item_id {
        Some(id) => {
            let found = index
                .key_of_id
                .get(id)
                .filter(|(k, _)| *k == kind)
                .and_then(|k| index.by_key.get(k))
                .ok_or_else(|| AppError::not_found(format!("no {} with id {id}", kind.as_str())))?;
            Some(found)
        }
        None => None,
    };
    let key = match existing {
        Some(item) => item.key.clone(),
        None => {
            let key = kind.key_from(proposal.key.as_deref().unwrap_or(&name));
            if key.is_empty() {
                return Err(AppError::invalid(
                    "key",
                    format!("key: cannot make a key from '{name}'; give one"),
                ));
            }
            if let Some(same) = index.get(kind, &key) {
                return Err(AppError {
                    field: Some("key".into()),
                    ..AppError::conflict(format!(
                        "a {} with key '{key}' already exists ({})",
                        kind.as_str(),
                        same.name
                    ))
                });
            }
            key
        }
    };
    if index.proposed.contains(&(kind, key.clone())) {
        return Err(AppError {
            field: Some("key".into()),
            ..AppError::conflict(format!(
                "{}/{key} is proposed twice in one go",
                kind.as_str()
            ))
        });
    }
    if let Some(item) = existing {
        if let Some(p) = &item.pending {
            return Err(AppError::conflict(format!(
                "{} already has v{} awaiting sign-off; approve or decline it first",
                item.name, p.number
            )));
        }
        if let Some(current) = &item.in_force {
            if current.name == name && current.body == body {
                return Err(AppError::invalid(
                    "body",
                    format!(
                        "nothing changed: this is what v{} of {} already says",
                        current.number, item.name
                    ),
                ));
            }
        }
    }
    if let Some(other) = index
        .names
        .get(&(kind, name.to_lowercase()))
        .filter(|k| **k != key)
    {
        return Err(AppError {
            field: Some("name".into()),
            ..AppError::conflict(format!(
                "another {} is already called '{name}' ({}/{other})",
                kind.as_str(),
                kind.as_str()
            ))
        });
    }
    if let AgreementBody::BuyingStage(stage) = &body {
        for lifecycle in &stage.lifecycle_stages {
            if !known.contains(lifecycle) && !index.has_key(AgreementKind::Stage, lifecycle) {
                return Err(AppError::invalid(
                    "lifecycleStages",
                    format!("lifecycleStages: there is no lifecycle stage with key '{lifecycle}'"),
                ));
            }
        }
    }
    if let AgreementBody::Stage(stage) = &body {
        for next in &stage.allowed_next {
            if *next != key && !known.contains(next) && !index.has_key(AgreementKind::Stage, next) {
                return Err(AppError::invalid(
                    "allowedNext",
                    format!("allowedNext: there is no stage with key '{next}'"),
                ));
            }
        }
    }

    if let AgreementBody::Sla(sla) = &body {
        if !index.has_key(AgreementKind::BusinessCalendar, &sla.calendar) {
            return Err(AppError::invalid(
                "calendar",
                format!(
                    "calendar: there is no business calendar with key '{}'",
                    sla.calendar
                ),
            ));
        }
        for stage in sla.stages() {
            if !known.iter().any(|k| k == stage) && !index.has_key(AgreementKind::Stage, stage) {
                return Err(AppError::invalid(
                    "stage",
                    format!("stage: there is no stage with key '{stage}'"),
                ));
            }
        }
    }
    let item_id = match existing {
        Some(item) => item.id.clone(),
        None => match &mut index.deferred {
            // A key new to the index is new to the workspace: the index holds every item.
            Some(d) => {
                let id = item_id_for(kind, &key);
                d.items.push((id.clone(), kind, key.clone()));
                id
            }
            None => ensure_item(&mut *conn, kind, &key, at).await?,
        },
    };
    let mut record = VersionRecord {
        id: new_id(),
        item_id,
        kind: kind.as_str().to_string(),
        key: key.clone(),
        name: name.clone(),
        body: serde_json::to_string(&body).expect("a body serialises"),
        summary: proposal.summary.trim().to_string(),
        effective_from,
        supersedes: existing
            .and_then(|i| i.in_force.as_ref())
            .map(|v| v.hash.clone()),
        author_id: Some(author.member_id.clone()),
        created_at: ts(at),
        hash: None,
        signature: None,
    };
    let hash = record.computed_hash().expect("a fresh body is readable");
    record.signature = Some(author.sign(&hash));
    record.hash = Some(hash);
    match &mut index.deferred {
        Some(d) => d.versions.push(record.clone()),
        None => insert_version(&mut *conn, &record).await?,
    }
    index.names.insert((kind, name.to_lowercase()), key.clone());
    index.proposed.insert((kind, key));
    Ok(record)
}

/// The item row for `kind/key`: the existing one, or a new one with the derived id.
pub async fn ensure_item(
    conn: &mut Conn,
    kind: AgreementKind,
    key: &str,
    at: DateTime<Utc>,
) -> AppResult<String> {
    let existing: Option<String> = sqlx::query_scalar(
        "SELECT id FROM agreement_items WHERE kind = ? AND key = ? AND deleted_at IS NULL",
    )
    .bind(kind.as_str())
    .bind(key)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(id) = existing {
        return Ok(id);
    }
    let id = item_id_for(kind, key);
    let now = ts(at);
    sqlx::query(
        "INSERT INTO agreement_items (id, kind, key, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(&id)
    .bind(kind.as_str())
    .bind(key)
    .bind(&now)
    .bind(&now)
    .execute(conn)
    .await?;
    Ok(id)
}

pub async fn insert_version(conn: &mut Conn, r: &VersionRecord) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO agreement_versions
            (id, item_id, name, body, summary, effective_from, supersedes, author_id, created_at, hash, signature)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&r.id)
    .bind(&r.item_id)
    .bind(&r.name)
    .bind(&r.body)
    .bind(&r.summary)
    .bind(&r.effective_from)
    .bind(&r.supersedes)
    .bind(&r.author_id)
    .bind(&r.created_at)
    .bind(&r.hash)
    .bind(&r.signature)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn insert_signoff(conn: &mut Conn, r: &SignoffRecord) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO agreement_signoffs (id, version_id, action, member_id, comment, at, hash, signature)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&r.id)
    .bind(&r.version_id)
    .bind(r.action)
    .bind(&r.member_id)
    .bind(&r.comment)
    .bind(&r.at)
    .bind(&r.hash)
    .bind(&r.signature)
    .execute(conn)
    .await?;
    Ok(())
}

/// A sign-off of the version with this id and hash, signed by `signer`.
pub fn signed_signoff(
    version_id: &str,
    version_hash: &str,
    action: SignoffAction,
    signer: &Signer,
    comment: &str,
    at: DateTime<Utc>,
) -> SignoffRecord {
    let mut r = SignoffRecord {
        id: new_id(),
        version_id: version_id.to_string(),
        action,
        member_id: Some(signer.member_id.clone()),
        comment: comment.trim().to_string(),
        at: ts(at),
        hash: None,
        signature: None,
    };
    let hash = r.computed_hash(version_hash);
    r.signature = Some(signer.sign(&hash));
    r.hash = Some(hash);
    r
}

/// A manager signs a proposed version off. Once a manager of each side has approved, the
/// version is agreed (derived, nothing stored says so) and takes force at once, or at its
/// `effective_from`.
pub async fn approve(
    conn: &mut Conn,
    version_id: &str,
    signer: &Signer,
    comment: &str,
    at: DateTime<Utc>,
) -> AppResult<AgreementVersion> {
    sign_off(
        conn,
        version_id,
        signer,
        comment,
        at,
        SignoffAction::Approved,
    )
    .await
}

/// A manager declines a proposed version, saying why; it returns to draft.
pub async fn decline(
    conn: &mut Conn,
    version_id: &str,
    signer: &Signer,
    comment: &str,
    at: DateTime<Utc>,
) -> AppResult<AgreementVersion> {
    if comment.trim().is_empty() {
        return Err(AppError::invalid(
            "comment",
            "comment: say why the proposal is declined",
        ));
    }
    sign_off(
        conn,
        version_id,
        signer,
        comment,
        at,
        SignoffAction::Declined,
    )
    .await
}

async fn sign_off(
    conn: &mut Conn,
    version_id: &str,
    signer: &Signer,
    comment: &str,
    at: DateTime<Utc>,
    action: SignoffAction,
) -> AppResult<AgreementVersion> {
    super::check_length("comment", comment.trim(), super::MAX_TEXT_CHARS)?;
    let version = resolve_version(&mut *conn, version_id, at).await?;
    let member = team::store::signer_now(&mut *conn, signer).await?;
    check_signoff(&version, &member, action == SignoffAction::Declined)?;
    let record = signed_signoff(&version.id, &version.hash, action, signer, comment, at);
    insert_signoff(&mut *conn, &record).await?;
    version_by_id(conn, &version.item_id, &version.id, at).await
}

async fn version_by_id(
    conn: &mut Conn,
    item_id: &str,
    version_id: &str,
    now: DateTime<Utc>,
) -> AppResult<AgreementVersion> {
    load_item(conn, item_id, now)
        .await?
        .versions
        .into_iter()
        .find(|v| v.id == version_id)
        .ok_or_else(|| AppError::not_found(format!("no version with id {version_id}")))
}

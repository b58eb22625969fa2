//! SQL for the playbook: loading items with their versions and logs, proposing, signing.
use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::rules::{check_signoff, settle_item};
use super::{
    slug, AgreementBody, AgreementItem, AgreementKind, AgreementVersion, Proposal, SignoffAction,
    SignoffEvent, VersionStatus,
};
use crate::db::{new_id, parse_ts, ts, Conn};
use crate::error::{AppError, AppResult};
use crate::team::{self, Side};

#[derive(sqlx::FromRow)]
struct VersionRow {
    id: String,
    item_id: String,
    kind: String,
    key: String,
    number: i64,
    name: String,
    body: String,
    summary: String,
    effective_from: Option<String>,
    author_name: Option<String>,
    created_at: String,
}

#[derive(sqlx::FromRow)]
struct SignoffRow {
    version_id: String,
    action: SignoffAction,
    member_id: Option<String>,
    member_name: Option<String>,
    member_side: Option<Side>,
    comment: String,
    at: String,
    effective_at: Option<String>,
}

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

async fn load(
    conn: &mut Conn,
    kind: Option<AgreementKind>,
    item_id: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<Vec<AgreementItem>> {
    let kind = kind.map(|k| k.as_str());
    let versions: Vec<VersionRow> = sqlx::query_as(
        "SELECT v.id, v.item_id, i.kind, i.key, v.number, v.name, v.body, v.summary,
                v.effective_from, m.name AS author_name, v.created_at
         FROM agreement_versions v
         JOIN agreement_items i ON i.id = v.item_id AND i.deleted_at IS NULL
         LEFT JOIN members m ON m.id = v.author_id
         WHERE (?1 IS NULL OR i.kind = ?1) AND (?2 IS NULL OR i.id = ?2)
         ORDER BY v.item_id, v.number",
    )
    .bind(kind)
    .bind(item_id)
    .fetch_all(&mut *conn)
    .await?;
    let signoffs: Vec<SignoffRow> = sqlx::query_as(
        "SELECT s.version_id, s.action, s.member_id, m.name AS member_name,
                m.side AS member_side, s.comment, s.at, s.effective_at
         FROM agreement_signoffs s
         JOIN agreement_versions v ON v.id = s.version_id
         JOIN agreement_items i ON i.id = v.item_id AND i.deleted_at IS NULL
         LEFT JOIN members m ON m.id = s.member_id
         WHERE (?1 IS NULL OR i.kind = ?1) AND (?2 IS NULL OR i.id = ?2)
         ORDER BY s.at, s.rowid",
    )
    .bind(kind)
    .bind(item_id)
    .fetch_all(&mut *conn)
    .await?;

    let mut logs: HashMap<String, Vec<SignoffEvent>> = HashMap::new();
    for s in signoffs {
        logs.entry(s.version_id).or_default().push(SignoffEvent {
            action: s.action,
            member_id: s.member_id,
            member_name: s.member_name,
            member_side: s.member_side,
            comment: s.comment,
            at: s.at,
            effective_at: s.effective_at,
        });
    }

    let mut by_item: Vec<(String, Vec<AgreementVersion>)> = Vec::new();
    for row in versions {
        let body: AgreementBody = serde_json::from_str(&row.body).map_err(|e| {
            AppError::new(
                crate::error::ErrorCode::Database,
                format!("version {} has an unreadable body: {e}", row.id),
            )
        })?;
        let version = AgreementVersion {
            log: logs.remove(&row.id).unwrap_or_default(),
            id: row.id,
            item_id: row.item_id.clone(),
            kind: AgreementKind::parse(&row.kind)?,
            key: row.key,
            number: row.number as u32,
            name: row.name,
            body,
            summary: row.summary,
            effective_from: row.effective_from,
            author_name: row.author_name,
            created_at: row.created_at,
            status: VersionStatus::Draft,
            effective_at: None,
            awaiting: vec![],
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
            let newest_settled = versions
                .iter()
                .find(|v| v.status != VersionStatus::Draft)
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
                draft,
                versions,
            }
        })
        .collect();
    items.sort_by_key(|i| (i.kind, position(i), i.name.to_lowercase()));
    Ok(items)
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

/// Writes a new version and proposes it for sign-off. A new item is created when the
/// proposal names none. Refuses empty or duplicate names, an unchanged copy of what is in
/// force, and a second open proposal for the same item.
pub async fn propose(
    conn: &mut Conn,
    proposal: &Proposal,
    author_id: Option<&str>,
    at: DateTime<Utc>,
) -> AppResult<AgreementVersion> {
    propose_with_known_stages(conn, proposal, author_id, at, &[]).await
}

/// [`propose`], where a stage may also name as next stages the `known` keys that a
/// playbook import is about to create.
pub async fn propose_with_known_stages(
    conn: &mut Conn,
    proposal: &Proposal,
    author_id: Option<&str>,
    at: DateTime<Utc>,
    known: &[String],
) -> AppResult<AgreementVersion> {
    let name = proposal.name.trim().to_string();
    if name.is_empty() {
        return Err(AppError::invalid(
            "name",
            "name: a playbook item needs a name",
        ));
    }
    let body = proposal.body.validated()?;
    let kind = body.kind();
    if let Some(author) = author_id {
        team::store::get(&mut *conn, author).await?;
    }
    let effective_from = match proposal.effective_from.as_deref().map(str::trim) {
        Some(t) if !t.is_empty() => Some(ts(parse_ts("effectiveFrom", t)?)),
        _ => None,
    };
    let siblings = load_items(&mut *conn, Some(kind), at).await?;

    let (item_id, key, number) = match &proposal.item_id {
        Some(id) => {
            let item = siblings
                .iter()
                .find(|i| &i.id == id)
                .ok_or_else(|| AppError::not_found(format!("no {} with id {id}", kind.as_str())))?;
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
            (
                item.id.clone(),
                item.key.clone(),
                item.versions[0].number + 1,
            )
        }
        None => {
            let key = slug(proposal.key.as_deref().unwrap_or(&name));
            if key.is_empty() {
                return Err(AppError::invalid(
                    "key",
                    format!("key: cannot make a key from '{name}'; give one"),
                ));
            }
            if let Some(same) = siblings.iter().find(|i| i.key == key) {
                return Err(AppError {
                    field: Some("key".into()),
                    ..AppError::conflict(format!(
                        "a {} with key '{key}' already exists ({})",
                        kind.as_str(),
                        same.name
                    ))
                });
            }
            (new_id(), key, 1)
        }
    };
    if let Some(same) = siblings
        .iter()
        .find(|i| i.id != item_id && i.name.eq_ignore_ascii_case(&name))
    {
        return Err(AppError {
            field: Some("name".into()),
            ..AppError::conflict(format!(
                "another {} is already called '{}'",
                kind.as_str(),
                same.name
            ))
        });
    }
    if let AgreementBody::Stage(stage) = &body {
        for next in &stage.allowed_next {
            if *next != key && !known.contains(next) && !siblings.iter().any(|i| &i.key == next) {
                return Err(AppError::invalid(
                    "allowedNext",
                    format!("allowedNext: there is no stage with key '{next}'"),
                ));
            }
        }
    }

    let now = ts(at);
    if number == 1 {
        sqlx::query("INSERT INTO agreement_items (id, kind, key, created_at, updated_at) VALUES (?, ?, ?, ?, ?)")
            .bind(&item_id)
            .bind(kind.as_str())
            .bind(&key)
            .bind(&now)
            .bind(&now)
            .execute(&mut *conn)
            .await?;
    }
    let version_id = new_id();
    let body_json = serde_json::to_string(&body).expect("a body serialises");
    sqlx::query(
        "INSERT INTO agreement_versions
            (id, item_id, number, name, body, summary, effective_from, author_id, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&version_id)
    .bind(&item_id)
    .bind(number as i64)
    .bind(&name)
    .bind(&body_json)
    .bind(proposal.summary.trim())
    .bind(&effective_from)
    .bind(author_id)
    .bind(&now)
    .execute(&mut *conn)
    .await?;
    insert_signoff(
        conn,
        &version_id,
        SignoffAction::Proposed,
        author_id,
        "",
        &now,
        None,
    )
    .await?;
    version_by_id(conn, &item_id, &version_id, at).await
}

/// A manager signs a proposed version off. When a manager of each side has approved in
/// this round, the version is agreed and takes force at once (or at its `effective_from`).
pub async fn approve(
    conn: &mut Conn,
    version_id: &str,
    signer_id: &str,
    comment: &str,
    at: DateTime<Utc>,
) -> AppResult<AgreementVersion> {
    let version = resolve_version(&mut *conn, version_id, at).await?;
    let signer = team::store::get(&mut *conn, signer_id).await?;
    check_signoff(&version, &signer, false)?;
    let now = ts(at);
    insert_signoff(
        conn,
        &version.id,
        SignoffAction::Approved,
        Some(&signer.id),
        comment.trim(),
        &now,
        None,
    )
    .await?;
    let version = version_by_id(&mut *conn, &version.item_id, &version.id, at).await?;
    if let (VersionStatus::Proposed, true) = (version.status, version.awaiting.is_empty()) {
        let effective = match &version.effective_from {
            Some(from) if *from > now => from.clone(),
            _ => now.clone(),
        };
        insert_signoff(
            conn,
            &version.id,
            SignoffAction::Agreed,
            None,
            "",
            &now,
            Some(&effective),
        )
        .await?;
        return version_by_id(conn, &version.item_id, &version.id, at).await;
    }
    Ok(version)
}

/// A manager declines a proposed version, saying why; it returns to draft.
pub async fn decline(
    conn: &mut Conn,
    version_id: &str,
    signer_id: &str,
    comment: &str,
    at: DateTime<Utc>,
) -> AppResult<AgreementVersion> {
    let version = resolve_version(&mut *conn, version_id, at).await?;
    let signer = team::store::get(&mut *conn, signer_id).await?;
    check_signoff(&version, &signer, true)?;
    if comment.trim().is_empty() {
        return Err(AppError::invalid(
            "comment",
            "comment: say why the proposal is declined",
        ));
    }
    insert_signoff(
        conn,
        &version.id,
        SignoffAction::Declined,
        Some(&signer.id),
        comment.trim(),
        &ts(at),
        None,
    )
    .await?;
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

async fn insert_signoff(
    conn: &mut Conn,
    version_id: &str,
    action: SignoffAction,
    member_id: Option<&str>,
    comment: &str,
    at: &str,
    effective_at: Option<&str>,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO agreement_signoffs (id, version_id, action, member_id, comment, at, effective_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(new_id())
    .bind(version_id)
    .bind(action)
    .bind(member_id)
    .bind(comment)
    .bind(at)
    .bind(effective_at)
    .execute(conn)
    .await?;
    Ok(())
}

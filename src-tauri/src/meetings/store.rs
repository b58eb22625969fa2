//! SQL for meetings: writing a signed record and re-folding its entity into the row the
//! window reads (a projection; `updated_at` moves only with a member's write), and reading
//! meetings, agendas, decisions and action items back.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::records::{self, Entity, MeetingRecord};
use super::{
    ActionItem, ActionStatus, AgendaFacts, AgendaItem, Attendee, Decision, DecisionVersion,
    Meeting, MeetingStatus,
};
use crate::agreements::{SignoffAction, VersionStatus};
use crate::db::{ts, Conn};
use crate::error::{AppError, AppResult};
use crate::reports::period::Period;
use crate::team::roster::Roster;
use crate::trust::Signer;

/// Writes `fields` of one entity as a signed record and brings its row up to date.
#[allow(clippy::too_many_arguments)]
pub async fn write(
    conn: &mut Conn,
    roster: &Roster,
    entity: Entity,
    entity_id: &str,
    meeting_id: &str,
    fields: Map<String, Value>,
    author: &Signer,
    at: DateTime<Utc>,
) -> AppResult<()> {
    let record = MeetingRecord::signed(entity, entity_id, meeting_id, &fields, author, &ts(at));
    records::insert(&mut *conn, &record).await?;
    project(conn, roster, entity, entity_id).await
}

fn text(f: &Map<String, Value>, key: &str) -> Option<String> {
    f.get(key).and_then(Value::as_str).map(str::to_string)
}

/// Re-folds one entity's records into its row.
pub async fn project(
    conn: &mut Conn,
    roster: &Roster,
    entity: Entity,
    entity_id: &str,
) -> AppResult<()> {
    let recs = records::of_entity(&mut *conn, entity_id).await?;
    let Some(folded) = records::fold(&recs, roster) else {
        return Ok(());
    };
    let f = &folded.fields;
    let meeting_id = recs
        .first()
        .map(|r| r.meeting_id.clone())
        .unwrap_or_default();
    let deleted = text(f, "deletedAt");
    match entity {
        Entity::Meeting => {
            sqlx::query(
                "INSERT INTO meetings (id, title, held_on, period_from, period_to, attendees, status,
                     closed_at, created_by, created_at, updated_at, deleted_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                 ON CONFLICT (id) DO UPDATE SET title = excluded.title, held_on = excluded.held_on,
                     period_from = excluded.period_from, period_to = excluded.period_to,
                     attendees = excluded.attendees, status = excluded.status,
                     closed_at = excluded.closed_at, updated_at = excluded.updated_at,
                     deleted_at = excluded.deleted_at",
            )
            .bind(entity_id)
            .bind(text(f, "title").unwrap_or_default())
            .bind(text(f, "heldOn").unwrap_or_default())
            .bind(text(f, "periodFrom").unwrap_or_default())
            .bind(text(f, "periodTo").unwrap_or_default())
            .bind(f.get("attendees").cloned().unwrap_or(Value::Array(vec![])).to_string())
            .bind(text(f, "status").unwrap_or_else(|| "open".into()))
            .bind(text(f, "closedAt"))
            .bind(&folded.created_by)
            .bind(&folded.created_at)
            .bind(&folded.updated_at)
            .bind(deleted)
            .execute(conn)
            .await?;
        }
        Entity::AgendaItem => {
            let facts = f.get("facts").cloned().unwrap_or(Value::Null);
            let kind = facts
                .get("kind")
                .and_then(Value::as_str)
                .unwrap_or("manual")
                .to_string();
            sqlx::query(
                "INSERT INTO agenda_items (id, meeting_id, position, kind, title, note, facts, dropped,
                     created_at, updated_at, deleted_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                 ON CONFLICT (id) DO UPDATE SET position = excluded.position, kind = excluded.kind,
                     title = excluded.title, note = excluded.note, facts = excluded.facts,
                     dropped = excluded.dropped, updated_at = excluded.updated_at,
                     deleted_at = excluded.deleted_at",
            )
            .bind(entity_id)
            .bind(&meeting_id)
            .bind(f.get("position").and_then(Value::as_f64).unwrap_or(0.0))
            .bind(kind)
            .bind(text(f, "title").unwrap_or_default())
            .bind(text(f, "note").unwrap_or_default())
            .bind(facts.to_string())
            .bind(f.get("dropped").and_then(Value::as_bool).unwrap_or(false))
            .bind(&folded.created_at)
            .bind(&folded.updated_at)
            .bind(deleted)
            .execute(conn)
            .await?;
        }
        Entity::Decision => {
            sqlx::query(
                "INSERT INTO meeting_decisions (id, meeting_id, agenda_item_id, text, version_id,
                     created_by, created_at, updated_at, deleted_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                 ON CONFLICT (id) DO UPDATE SET agenda_item_id = excluded.agenda_item_id,
                     text = excluded.text, version_id = excluded.version_id,
                     updated_at = excluded.updated_at, deleted_at = excluded.deleted_at",
            )
            .bind(entity_id)
            .bind(&meeting_id)
            .bind(text(f, "agendaItemId"))
            .bind(text(f, "text").unwrap_or_default())
            .bind(text(f, "versionId"))
            .bind(&folded.created_by)
            .bind(&folded.created_at)
            .bind(&folded.updated_at)
            .bind(deleted)
            .execute(conn)
            .await?;
        }
        Entity::ActionItem => {
            sqlx::query(
                "INSERT INTO action_items (id, meeting_id, agenda_item_id, title, owner_id, due_on,
                     status, done_at, created_at, updated_at, deleted_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                 ON CONFLICT (id) DO UPDATE SET agenda_item_id = excluded.agenda_item_id,
                     title = excluded.title, owner_id = excluded.owner_id, due_on = excluded.due_on,
                     status = excluded.status, done_at = excluded.done_at,
                     updated_at = excluded.updated_at, deleted_at = excluded.deleted_at",
            )
            .bind(entity_id)
            .bind(&meeting_id)
            .bind(text(f, "agendaItemId"))
            .bind(text(f, "title").unwrap_or_default())
            .bind(text(f, "ownerId"))
            .bind(text(f, "dueOn"))
            .bind(text(f, "status").unwrap_or_else(|| "open".into()))
            .bind(text(f, "doneAt"))
            .bind(&folded.created_at)
            .bind(&folded.updated_at)
            .bind(deleted)
            .execute(conn)
            .await?;
        }
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct MeetingRow {
    id: String,
    title: String,
    held_on: String,
    period_from: String,
    period_to: String,
    attendees: String,
    status: String,
    closed_at: Option<String>,
    created_by: String,
    created_at: String,
    updated_at: String,
    decisions: i64,
    open_actions: i64,
}

const MEETING_SELECT: &str = "SELECT m.id, m.title, m.held_on, m.period_from, m.period_to, m.attendees,
        m.status, m.closed_at, m.created_by, m.created_at, m.updated_at,
        (SELECT count(*) FROM meeting_decisions d WHERE d.meeting_id = m.id AND d.deleted_at IS NULL) AS decisions,
        (SELECT count(*) FROM action_items a WHERE a.meeting_id = m.id AND a.deleted_at IS NULL AND a.status = 'open') AS open_actions
    FROM meetings m WHERE m.deleted_at IS NULL";

/// The team's names, sides and roles by member id.
pub async fn people(conn: &mut Conn) -> AppResult<HashMap<String, Attendee>> {
    let rows: Vec<(String, String, String, String)> =
        sqlx::query_as("SELECT id, name, side, role FROM members")
            .fetch_all(conn)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, side, role)| {
            (
                id.clone(),
                Attendee {
                    member_id: id,
                    name,
                    side: crate::team::Side::parse("side", &side).ok(),
                    role: crate::team::Role::parse("role", &role).ok(),
                },
            )
        })
        .collect())
}

fn meeting(row: MeetingRow, people: &HashMap<String, Attendee>) -> Meeting {
    let ids: Vec<String> = serde_json::from_str(&row.attendees).unwrap_or_default();
    Meeting {
        attendees: ids
            .into_iter()
            .map(|id| {
                people.get(&id).cloned().unwrap_or(Attendee {
                    name: "(not on the team)".into(),
                    member_id: id,
                    side: None,
                    role: None,
                })
            })
            .collect(),
        created_by_name: people.get(&row.created_by).map(|p| p.name.clone()),
        id: row.id,
        title: row.title,
        held_on: row.held_on,
        period: Period {
            from: row.period_from,
            to: row.period_to,
        },
        status: if row.status == "closed" {
            MeetingStatus::Closed
        } else {
            MeetingStatus::Open
        },
        closed_at: row.closed_at,
        created_at: row.created_at,
        updated_at: row.updated_at,
        decisions: row.decisions as u32,
        open_actions: row.open_actions as u32,
    }
}

/// Every meeting, newest first.
pub async fn list(conn: &mut Conn) -> AppResult<Vec<Meeting>> {
    let people = people(&mut *conn).await?;
    let rows: Vec<MeetingRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{MEETING_SELECT} ORDER BY m.held_on DESC, m.created_at DESC, m.id DESC"
    )))
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| meeting(r, &people)).collect())
}

pub async fn get(conn: &mut Conn, id: &str) -> AppResult<Meeting> {
    let people = people(&mut *conn).await?;
    let row: Option<MeetingRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{MEETING_SELECT} AND m.id = ?"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.map(|r| meeting(r, &people))
        .ok_or_else(|| AppError::not_found(format!("no meeting with id {id}")))
}

/// The meeting held last before `held_on` (ties: created earlier), if any.
pub async fn previous(
    conn: &mut Conn,
    held_on: &str,
    except: Option<&str>,
) -> AppResult<Option<Meeting>> {
    let id: Option<String> = sqlx::query_scalar(
        "SELECT id FROM meetings WHERE deleted_at IS NULL AND held_on <= ? AND id IS NOT ?
         ORDER BY held_on DESC, created_at DESC, id DESC LIMIT 1",
    )
    .bind(held_on)
    .bind(except)
    .fetch_optional(&mut *conn)
    .await?;
    match id {
        Some(id) => Ok(Some(get(conn, &id).await?)),
        None => Ok(None),
    }
}

#[derive(sqlx::FromRow)]
struct AgendaRow {
    id: String,
    position: f64,
    title: String,
    note: String,
    facts: String,
    dropped: bool,
}

pub async fn agenda(conn: &mut Conn, meeting_id: &str) -> AppResult<Vec<AgendaItem>> {
    let rows: Vec<AgendaRow> = sqlx::query_as(
        "SELECT id, position, title, note, facts, dropped FROM agenda_items
         WHERE meeting_id = ? AND deleted_at IS NULL ORDER BY position, created_at, id",
    )
    .bind(meeting_id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| AgendaItem {
            facts: serde_json::from_str(&r.facts).unwrap_or(AgendaFacts::Manual),
            id: r.id,
            position: r.position,
            title: r.title,
            note: r.note,
            dropped: r.dropped,
        })
        .collect())
}

#[derive(sqlx::FromRow)]
struct ActionRow {
    id: String,
    meeting_id: String,
    meeting_title: String,
    agenda_item_id: Option<String>,
    title: String,
    owner_id: Option<String>,
    due_on: Option<String>,
    status: String,
    done_at: Option<String>,
}

const ACTION_SELECT: &str = "SELECT a.id, a.meeting_id, m.title AS meeting_title, a.agenda_item_id,
        a.title, a.owner_id, a.due_on, a.status, a.done_at
    FROM action_items a JOIN meetings m ON m.id = a.meeting_id
    WHERE a.deleted_at IS NULL";

fn action(r: ActionRow, people: &HashMap<String, Attendee>) -> ActionItem {
    ActionItem {
        owner_name: r
            .owner_id
            .as_ref()
            .and_then(|o| people.get(o))
            .map(|p| p.name.clone()),
        id: r.id,
        meeting_id: r.meeting_id,
        meeting_title: r.meeting_title,
        agenda_item_id: r.agenda_item_id,
        title: r.title,
        owner_id: r.owner_id,
        due_on: r.due_on,
        status: match r.status.as_str() {
            "done" => ActionStatus::Done,
            "dropped" => ActionStatus::Dropped,
            _ => ActionStatus::Open,
        },
        done_at: r.done_at,
    }
}

/// The action items agreed in one meeting.
pub async fn actions_of(conn: &mut Conn, meeting_id: &str) -> AppResult<Vec<ActionItem>> {
    let people = people(&mut *conn).await?;
    let rows: Vec<ActionRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{ACTION_SELECT} AND a.meeting_id = ? ORDER BY a.created_at, a.id"
    )))
    .bind(meeting_id)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| action(r, &people)).collect())
}

/// Open action items of meetings held before `held_on` (other than `except`), soonest due
/// first; with `owner`, only theirs.
pub async fn open_actions(
    conn: &mut Conn,
    held_before: Option<&str>,
    except: Option<&str>,
    owner: Option<&str>,
) -> AppResult<Vec<ActionItem>> {
    let people = people(&mut *conn).await?;
    let rows: Vec<ActionRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{ACTION_SELECT} AND a.status = 'open' AND m.deleted_at IS NULL
           AND (?1 IS NULL OR m.held_on <= ?1) AND (?2 IS NULL OR m.id <> ?2)
           AND (?3 IS NULL OR a.owner_id = ?3)
         ORDER BY a.due_on IS NULL, a.due_on, m.held_on, a.created_at, a.id"
    )))
    .bind(held_before)
    .bind(except)
    .bind(owner)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| action(r, &people)).collect())
}

pub async fn action_by_id(conn: &mut Conn, id: &str) -> AppResult<ActionItem> {
    let people = people(&mut *conn).await?;
    let row: Option<ActionRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{ACTION_SELECT} AND a.id = ?")))
            .bind(id)
            .fetch_optional(conn)
            .await?;
    row.map(|r| action(r, &people))
        .ok_or_else(|| AppError::not_found(format!("no action item with id {id}")))
}

/// The decisions of one meeting, each with the version it proposed as it stands now.
#[allow(clippy::type_complexity)]
pub async fn decisions(conn: &mut Conn, meeting_id: &str) -> AppResult<Vec<Decision>> {
    let people = people(&mut *conn).await?;
    let rows: Vec<(
        String,
        Option<String>,
        String,
        Option<String>,
        String,
        String,
    )> = sqlx::query_as(
        "SELECT id, agenda_item_id, text, version_id, created_by, created_at
             FROM meeting_decisions WHERE meeting_id = ? AND deleted_at IS NULL
             ORDER BY created_at, id",
    )
    .bind(meeting_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, agenda_item_id, text, version_id, created_by, created_at) in rows {
        let version = match version_id {
            Some(v) => Some(decision_version(&mut *conn, &v).await?),
            None => None,
        };
        out.push(Decision {
            id,
            agenda_item_id,
            text,
            version,
            created_by_name: people.get(&created_by).map(|p| p.name.clone()),
            created_at,
        });
    }
    Ok(out)
}

/// What `v` changes against the item's version before it (by number), in people's words.
async fn changes_of(
    conn: &mut Conn,
    v: &crate::agreements::AgreementVersion,
    now: chrono::DateTime<Utc>,
) -> AppResult<Vec<super::DecisionChange>> {
    let item = crate::agreements::store::load_item(&mut *conn, &v.item_id, now).await?;
    let Some(before) = item
        .versions
        .iter()
        .filter(|p| p.number < v.number)
        .max_by_key(|p| p.number)
        .cloned()
    else {
        return Ok(vec![]);
    };
    let stages: std::collections::HashMap<String, String> = crate::agreements::store::load_items(
        &mut *conn,
        Some(crate::agreements::AgreementKind::Stage),
        now,
    )
    .await?
    .into_iter()
    .map(|i| (i.key, i.name))
    .collect();
    let diff = crate::agreements::diff::compare(before, v.clone(), &|key| {
        stages.get(key).cloned().unwrap_or_else(|| key.to_string())
    })?;
    Ok(diff
        .fields
        .into_iter()
        .filter(|f| f.changed)
        .map(|f| super::DecisionChange {
            field: f.field,
            before: f.left,
            after: f.right,
        })
        .collect())
}

/// A version as a decision shows it: its status, who has signed and who is awaited.
pub async fn decision_version(conn: &mut Conn, version_id: &str) -> AppResult<DecisionVersion> {
    let now = Utc::now();
    let v = crate::agreements::store::resolve_version(conn, version_id, now).await?;
    let changes = changes_of(conn, &v, now).await?;
    Ok(DecisionVersion {
        changes,
        reference: v.reference(),
        label: v.label(),
        approved_by: v
            .log
            .iter()
            .filter(|e| e.counts() && e.action == SignoffAction::Approved)
            .filter_map(|e| e.member_name.clone())
            .collect(),
        awaiting: if v.status == VersionStatus::Proposed {
            v.awaiting.clone()
        } else {
            vec![]
        },
        version_id: v.id,
        item_id: v.item_id,
        kind: v.kind,
        name: v.name,
        status: v.status,
        effective_at: v.effective_at,
    })
}

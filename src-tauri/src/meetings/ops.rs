//! The meeting operations the window and the CLI call: each write one transaction of
//! signed records, each refusal naming its rule and changing nothing.
use crate::slas::ops::SlaCache;
use chrono::{Duration, NaiveDate, Utc};
use serde_json::{json, Map, Value};

use super::agenda::{self, Built};
use super::records::Entity;
use super::store::{self, write};
use super::{
    ActionItem, ActionStatus, AgendaEdit, Decision, Meeting, MeetingDetail, MeetingStatus,
    NewAction, NewDecision, NewMeeting,
};
use crate::agreements::VersionStatus;
use crate::db::{self, new_id, ts, Conn, Db};
use crate::error::{AppError, AppResult};
use crate::reports::ops::Basis;
use crate::reports::period::{parse_date, today, Period, DEFAULT_DAYS};
use crate::team::roster::Roster;
use crate::trust::Signer;

const TITLE_MAX: usize = 200;
const TEXT_MAX: usize = 4000;

fn fields(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn required(field: &str, text: &str, max: usize) -> AppResult<String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(AppError::invalid(
            field,
            format!("{field}: must not be empty"),
        ));
    }
    if t.chars().count() > max {
        return Err(AppError::invalid(
            field,
            format!("{field}: at most {max} characters"),
        ));
    }
    Ok(t.to_string())
}

fn optional_text(field: &str, text: &str) -> AppResult<String> {
    let t = text.trim();
    if t.chars().count() > TEXT_MAX {
        return Err(AppError::invalid(
            field,
            format!("{field}: at most {TEXT_MAX} characters"),
        ));
    }
    Ok(t.to_string())
}

/// The most agenda items one meeting holds (a meeting of an hour covers a few dozen).
const AGENDA_MAX: usize = 200;

/// Closing makes the agenda, decisions and actions final, so it is for those who held the
/// meeting: an attendee, or a manager of either side.
fn may_close(m: &Meeting, roster: &Roster, member_id: &str) -> AppResult<()> {
    if m.attendees.iter().any(|a| a.member_id == member_id) {
        return Ok(());
    }
    match roster.latest(member_id) {
        Some(s) if s.role == crate::team::Role::Manager => Ok(()),
        Some(s) => Err(AppError::not_allowed(format!(
            "only the attendees of “{}” or a manager close it; {} did not attend",
            m.title, s.name
        ))),
        None => Err(AppError::not_allowed(
            "only members of the team close a meeting",
        )),
    }
}

async fn roster(conn: &mut Conn) -> AppResult<Roster> {
    crate::team::records::roster(conn).await
}

/// A member of the team now, by id or email.
async fn member_id(conn: &mut Conn, field: &str, who: &str) -> AppResult<String> {
    crate::team::store::by_ref(conn, who.trim())
        .await
        .map(|m| m.id)
        .map_err(|e| AppError {
            field: Some(field.into()),
            message: format!("{field}: {}", e.message),
            ..e
        })
}

/// A meeting by id, or `latest`.
pub async fn resolve(conn: &mut Conn, reference: &str) -> AppResult<Meeting> {
    if reference.trim().eq_ignore_ascii_case("latest") {
        return store::list(conn)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| AppError::not_found("there are no meetings yet"));
    }
    store::get(conn, reference.trim()).await
}

fn refuse_if_closed(m: &Meeting) -> AppResult<()> {
    if m.status == MeetingStatus::Closed {
        return Err(AppError::not_allowed(format!(
            "“{}” is closed; its agenda, decisions and actions are final",
            m.title
        )));
    }
    Ok(())
}

pub async fn list(db: &Db) -> AppResult<Vec<Meeting>> {
    store::list(&mut *db.acquire().await?).await
}

pub async fn detail(db: &Db, reference: &str) -> AppResult<MeetingDetail> {
    detail_in(&mut *db.acquire().await?, reference).await
}

async fn detail_in(conn: &mut Conn, reference: &str) -> AppResult<MeetingDetail> {
    let meeting = resolve(&mut *conn, reference).await?;
    Ok(MeetingDetail {
        agenda: store::agenda(&mut *conn, &meeting.id).await?,
        decisions: store::decisions(&mut *conn, &meeting.id).await?,
        actions: store::actions_of(&mut *conn, &meeting.id).await?,
        meeting,
    })
}

/// The period a new meeting covers when none is given: the days since the previous
/// meeting's period ended, up to the meeting's day; else the 30 days up to it.
async fn default_period(conn: &mut Conn, held_on: NaiveDate) -> AppResult<Period> {
    let held = held_on.to_string();
    if let Some(prev) = store::previous(&mut *conn, &held, None).await? {
        let from = parse_date("from", &prev.period.to)? + Duration::days(1);
        if from <= held_on {
            return Ok(Period {
                from: from.to_string(),
                to: held,
            });
        }
    }
    Ok(Period {
        from: (held_on - Duration::days(DEFAULT_DAYS - 1)).to_string(),
        to: held,
    })
}

/// Creates a meeting and its agenda, built from its period's data (`sla`: the SLA state
/// kept between calls; the window keeps one, the CLI starts afresh).
pub async fn create(
    db: &Db,
    new: &NewMeeting,
    author: &Signer,
    sla: &SlaCache,
) -> AppResult<MeetingDetail> {
    let title = required("title", &new.title, TITLE_MAX)?;
    let basis = Basis::load(db).await?;
    let mut conn = db.acquire().await?;
    let held_on = match new
        .held_on
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        Some(d) => parse_date("heldOn", d)?,
        None => today(basis.zone),
    };
    let period = match (&new.period_from, &new.period_to) {
        (None, None) => default_period(&mut conn, held_on).await?,
        (from, to) => Period::resolve(from.as_deref(), to.as_deref(), held_on)?,
    };
    let mut attendees: Vec<String> = Vec::new();
    for who in new.attendees.iter().filter(|w| !w.trim().is_empty()) {
        let id = member_id(&mut conn, "attendees", who).await?;
        if !attendees.contains(&id) {
            attendees.push(id);
        }
    }
    if attendees.is_empty() {
        attendees.push(author.member_id.clone());
    }
    let meeting_id = new_id();
    let items = agenda::build(
        &mut conn,
        &basis,
        &period,
        &held_on.to_string(),
        Some(&meeting_id),
        sla,
    )
    .await?;
    drop(conn);

    let now = Utc::now();
    let mut tx = db::write(db).await?;
    let roster = roster(&mut tx).await?;
    write(
        &mut tx,
        &roster,
        Entity::Meeting,
        &meeting_id,
        &meeting_id,
        fields(json!({
            "title": title,
            "heldOn": held_on.to_string(),
            "periodFrom": period.from,
            "periodTo": period.to,
            "attendees": attendees,
            "status": "open",
        })),
        author,
        now,
    )
    .await?;
    for (i, item) in items.into_iter().enumerate() {
        add_built(
            &mut tx,
            &roster,
            &meeting_id,
            item,
            (i + 1) as f64,
            author,
            now,
        )
        .await?;
    }
    let detail = detail_in(&mut tx, &meeting_id).await?;
    tx.commit().await?;
    Ok(detail)
}

async fn add_built(
    conn: &mut Conn,
    roster: &Roster,
    meeting_id: &str,
    item: Built,
    position: f64,
    author: &Signer,
    at: chrono::DateTime<Utc>,
) -> AppResult<()> {
    let id = new_id();
    write(
        conn,
        roster,
        Entity::AgendaItem,
        &id,
        meeting_id,
        fields(json!({
            "position": position,
            "title": item.title,
            "note": "",
            "facts": item.facts,
            "dropped": false,
        })),
        author,
        at,
    )
    .await
}

/// Builds the agenda's data items again from the period's data: each item the data calls
/// for takes the new numbers (or is added at the end); hand-added items, notes, order and
/// drops stay.
pub async fn refresh_agenda(
    db: &Db,
    reference: &str,
    author: &Signer,
    sla: &SlaCache,
) -> AppResult<MeetingDetail> {
    let basis = Basis::load(db).await?;
    let mut conn = db.acquire().await?;
    let meeting = resolve(&mut conn, reference).await?;
    refuse_if_closed(&meeting)?;
    let built = agenda::build(
        &mut conn,
        &basis,
        &meeting.period,
        &meeting.held_on,
        Some(&meeting.id),
        sla,
    )
    .await?;
    drop(conn);
    let now = Utc::now();
    let mut tx = db::write(db).await?;
    let roster = roster(&mut tx).await?;
    let existing = store::agenda(&mut tx, &meeting.id).await?;
    let mut last = existing.iter().map(|i| i.position).fold(0.0, f64::max);
    for item in built {
        match existing
            .iter()
            .find(|e| e.facts.kind() == item.facts.kind())
        {
            Some(e) => {
                write(
                    &mut tx,
                    &roster,
                    Entity::AgendaItem,
                    &e.id,
                    &meeting.id,
                    fields(json!({ "title": item.title, "facts": item.facts })),
                    author,
                    now,
                )
                .await?
            }
            None => {
                last += 1.0;
                add_built(&mut tx, &roster, &meeting.id, item, last, author, now).await?;
            }
        }
    }
    let detail = detail_in(&mut tx, &meeting.id).await?;
    tx.commit().await?;
    Ok(detail)
}

/// Adds an item by hand at the end of the agenda.
pub async fn add_agenda_item(
    db: &Db,
    reference: &str,
    title: &str,
    note: &str,
    author: &Signer,
) -> AppResult<MeetingDetail> {
    let title = required("title", title, TITLE_MAX)?;
    let note = optional_text("note", note)?;
    let mut tx = db::write(db).await?;
    let meeting = resolve(&mut tx, reference).await?;
    refuse_if_closed(&meeting)?;
    let roster = roster(&mut tx).await?;
    let agenda = store::agenda(&mut tx, &meeting.id).await?;
    if agenda.len() >= AGENDA_MAX {
        return Err(AppError::invalid(
            "title",
            format!(
                "“{}” already has {} agenda items, the most one meeting holds; drop some or plan another meeting",
                meeting.title,
                agenda.len()
            ),
        ));
    }
    let last = agenda.iter().map(|i| i.position).fold(0.0, f64::max);
    let id = new_id();
    write(
        &mut tx,
        &roster,
        Entity::AgendaItem,
        &id,
        &meeting.id,
        fields(json!({
            "position": last + 1.0,
            "title": title,
            "note": note,
            "facts": super::AgendaFacts::Manual,
            "dropped": false,
        })),
        author,
        Utc::now(),
    )
    .await?;
    let detail = detail_in(&mut tx, &meeting.id).await?;
    tx.commit().await?;
    Ok(detail)
}

/// Renames, annotates, drops or restores, or moves one agenda item.
pub async fn edit_agenda_item(
    db: &Db,
    item_id: &str,
    edit: &AgendaEdit,
    author: &Signer,
) -> AppResult<MeetingDetail> {
    let mut tx = db::write(db).await?;
    let meeting_id: Option<String> = sqlx::query_scalar(
        "SELECT meeting_id FROM agenda_items WHERE id = ? AND deleted_at IS NULL",
    )
    .bind(item_id)
    .fetch_optional(&mut *tx)
    .await?;
    let meeting_id = meeting_id
        .ok_or_else(|| AppError::not_found(format!("no agenda item with id {item_id}")))?;
    let meeting = store::get(&mut tx, &meeting_id).await?;
    refuse_if_closed(&meeting)?;
    let roster = roster(&mut tx).await?;
    let now = Utc::now();
    let mut set = Map::new();
    if let Some(t) = &edit.title {
        set.insert("title".into(), json!(required("title", t, TITLE_MAX)?));
    }
    if let Some(n) = &edit.note {
        set.insert("note".into(), json!(optional_text("note", n)?));
    }
    if let Some(d) = edit.dropped {
        set.insert("dropped".into(), json!(d));
    }
    if !set.is_empty() {
        write(
            &mut tx,
            &roster,
            Entity::AgendaItem,
            item_id,
            &meeting_id,
            set,
            author,
            now,
        )
        .await?;
    }
    if let Some(to) = edit.move_to {
        let mut order: Vec<(String, f64)> = store::agenda(&mut tx, &meeting_id)
            .await?
            .into_iter()
            .map(|i| (i.id, i.position))
            .collect();
        let from = order
            .iter()
            .position(|(id, _)| id == item_id)
            .expect("the item is in its meeting's agenda");
        let moved = order.remove(from);
        order.insert((to as usize).min(order.len()), moved);
        for (i, (id, position)) in order.iter().enumerate() {
            let want = (i + 1) as f64;
            if *position != want {
                write(
                    &mut tx,
                    &roster,
                    Entity::AgendaItem,
                    id,
                    &meeting_id,
                    fields(json!({ "position": want })),
                    author,
                    now,
                )
                .await?;
            }
        }
    }
    let detail = detail_in(&mut tx, &meeting_id).await?;
    tx.commit().await?;
    Ok(detail)
}

/// Records a decision against an agenda item; a proposal in it becomes a new version,
/// signed by the author, for the managers to sign in the room.
pub async fn decide(
    db: &Db,
    reference: &str,
    new: &NewDecision,
    author: &Signer,
) -> AppResult<Decision> {
    decide_signed(db, reference, new, author, &[]).await
}

/// [`decide`], and the version it names signed by `signers` in the same transaction: a
/// refused signature records nothing.
pub async fn decide_signed(
    db: &Db,
    reference: &str,
    new: &NewDecision,
    author: &Signer,
    signers: &[Signer],
) -> AppResult<Decision> {
    let text = required("text", &new.text, TEXT_MAX)?;
    let now = Utc::now();
    let mut tx = db::write(db).await?;
    let meeting = resolve(&mut tx, reference).await?;
    refuse_if_closed(&meeting)?;
    if let Some(item) = &new.agenda_item_id {
        let ok: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM agenda_items WHERE id = ? AND meeting_id = ? AND deleted_at IS NULL",
        )
        .bind(item)
        .bind(&meeting.id)
        .fetch_optional(&mut *tx)
        .await?;
        if ok.is_none() {
            return Err(AppError::invalid(
                "agendaItemId",
                format!(
                    "agendaItemId: {item} is not on the agenda of “{}”",
                    meeting.title
                ),
            ));
        }
    }
    let version_id = match (&new.proposal, &new.version) {
        (Some(_), Some(_)) => return Err(AppError::invalid(
            "version",
            "version: a decision proposes a new version or names one already proposed, not both",
        )),
        (Some(p), None) => {
            let mut p = p.clone();
            if p.summary.trim().is_empty() {
                p.summary = format!("Decided in meeting “{}”: {text}", meeting.title);
            }
            Some(
                crate::agreements::store::propose(&mut tx, &p, author, now)
                    .await?
                    .id,
            )
        }
        (None, Some(r)) => {
            let v = crate::agreements::store::resolve_version(&mut tx, r, now).await?;
            if v.status != VersionStatus::Proposed {
                return Err(AppError::not_allowed(format!(
                    "{} is not awaiting sign-off; a decision names a proposed version",
                    v.reference()
                )));
            }
            Some(v.id)
        }
        (None, None) => None,
    };
    let roster = roster(&mut tx).await?;
    let id = new_id();
    write(
        &mut tx,
        &roster,
        Entity::Decision,
        &id,
        &meeting.id,
        fields(json!({
            "agendaItemId": new.agenda_item_id,
            "text": text,
            "versionId": version_id,
        })),
        author,
        now,
    )
    .await?;
    for signer in signers {
        sign_in(&mut tx, &id, signer).await?;
    }
    let decision = decision(&mut tx, &meeting.id, &id).await?;
    tx.commit().await?;
    Ok(decision)
}

async fn decision(conn: &mut Conn, meeting_id: &str, id: &str) -> AppResult<Decision> {
    store::decisions(conn, meeting_id)
        .await?
        .into_iter()
        .find(|d| d.id == id)
        .ok_or_else(|| AppError::not_found(format!("no decision with id {id}")))
}

/// A manager signs the version a decision proposed, in the room: the approval says which
/// meeting agreed it, so the version's history shows it.
pub async fn sign(db: &Db, decision_id: &str, signer: &Signer) -> AppResult<Decision> {
    let mut tx = db::write(db).await?;
    let meeting_id = sign_in(&mut tx, decision_id, signer).await?;
    let d = decision(&mut tx, &meeting_id, decision_id).await?;
    tx.commit().await?;
    Ok(d)
}

/// Signs inside the caller's transaction; returns the decision's meeting.
async fn sign_in(conn: &mut Conn, decision_id: &str, signer: &Signer) -> AppResult<String> {
    let row: Option<(String, Option<String>)> = sqlx::query_as(
        "SELECT meeting_id, version_id FROM meeting_decisions WHERE id = ? AND deleted_at IS NULL",
    )
    .bind(decision_id)
    .fetch_optional(&mut *conn)
    .await?;
    let (meeting_id, version_id) =
        row.ok_or_else(|| AppError::not_found(format!("no decision with id {decision_id}")))?;
    let meeting = store::get(&mut *conn, &meeting_id).await?;
    refuse_if_closed(&meeting)?;
    let version_id = version_id.ok_or_else(|| {
        AppError::not_allowed("this decision proposes no playbook change; there is nothing to sign")
    })?;
    let now = Utc::now();
    let comment = format!(
        "Agreed in meeting “{}” ({})",
        meeting.title, meeting.held_on
    );
    let v =
        crate::agreements::store::approve(&mut *conn, &version_id, signer, &comment, now).await?;
    if v.kind == crate::agreements::AgreementKind::Scoring && v.status == VersionStatus::InForce {
        crate::leads::rebuild::scores_if_stale(&mut *conn, now).await?;
    }
    Ok(meeting_id)
}

/// Opens `member`'s key with their passphrase for this one signature (typed on the
/// presenter's laptop) and signs; the key is not kept open.
pub async fn sign_with_passphrase(
    db: &Db,
    decision_id: &str,
    member: &str,
    passphrase: &str,
) -> AppResult<Decision> {
    let signer = crate::team::unlock(db, member, passphrase).await?;
    sign(db, decision_id, &signer).await
}

fn due_date(due: Option<&str>) -> AppResult<Option<String>> {
    match due.map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => Ok(Some(parse_date("dueOn", d)?.to_string())),
        None => Ok(None),
    }
}

pub async fn add_action(
    db: &Db,
    reference: &str,
    new: &NewAction,
    author: &Signer,
) -> AppResult<ActionItem> {
    let title = required("title", &new.title, TITLE_MAX)?;
    let due = due_date(new.due_on.as_deref())?;
    let mut tx = db::write(db).await?;
    let meeting = resolve(&mut tx, reference).await?;
    refuse_if_closed(&meeting)?;
    let owner = match new
        .owner
        .as_deref()
        .map(str::trim)
        .filter(|o| !o.is_empty())
    {
        Some(o) => member_id(&mut tx, "owner", o).await?,
        None => {
            return Err(AppError::invalid(
                "owner",
                "owner: an action item needs an owner on the team",
            ))
        }
    };
    if let Some(item) = &new.agenda_item_id {
        let ok: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM agenda_items WHERE id = ? AND meeting_id = ? AND deleted_at IS NULL",
        )
        .bind(item)
        .bind(&meeting.id)
        .fetch_optional(&mut *tx)
        .await?;
        if ok.is_none() {
            return Err(AppError::invalid(
                "agendaItemId",
                format!(
                    "agendaItemId: {item} is not on the agenda of “{}”",
                    meeting.title
                ),
            ));
        }
    }
    let roster = roster(&mut tx).await?;
    let id = new_id();
    write(
        &mut tx,
        &roster,
        Entity::ActionItem,
        &id,
        &meeting.id,
        fields(json!({
            "agendaItemId": new.agenda_item_id,
            "title": title,
            "ownerId": owner,
            "dueOn": due,
            "status": "open",
        })),
        author,
        Utc::now(),
    )
    .await?;
    let a = store::action_by_id(&mut tx, &id).await?;
    tx.commit().await?;
    Ok(a)
}

/// Marks an action item done, dropped or open again (in any later meeting, too).
pub async fn set_action_status(
    db: &Db,
    action_id: &str,
    status: ActionStatus,
    author: &Signer,
) -> AppResult<ActionItem> {
    let now = Utc::now();
    let mut tx = db::write(db).await?;
    let a = store::action_by_id(&mut tx, action_id).await?;
    let roster = roster(&mut tx).await?;
    let done_at = (status == ActionStatus::Done).then(|| ts(now));
    write(
        &mut tx,
        &roster,
        Entity::ActionItem,
        &a.id,
        &a.meeting_id,
        fields(json!({ "status": status.as_str(), "doneAt": done_at })),
        author,
        now,
    )
    .await?;
    let a = store::action_by_id(&mut tx, action_id).await?;
    tx.commit().await?;
    Ok(a)
}

/// Closes a meeting: its agenda, decisions and actions become final.
pub async fn close(db: &Db, reference: &str, author: &Signer) -> AppResult<Meeting> {
    let now = Utc::now();
    let mut tx = db::write(db).await?;
    let meeting = resolve(&mut tx, reference).await?;
    refuse_if_closed(&meeting)?;
    let roster = roster(&mut tx).await?;
    may_close(&meeting, &roster, &author.member_id)?;
    write(
        &mut tx,
        &roster,
        Entity::Meeting,
        &meeting.id,
        &meeting.id,
        fields(json!({ "status": "closed", "closedAt": ts(now) })),
        author,
        now,
    )
    .await?;
    let m = store::get(&mut tx, &meeting.id).await?;
    tx.commit().await?;
    Ok(m)
}

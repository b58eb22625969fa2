//! The SLA operations the window and the CLI call: the report (always from a fresh fold),
//! the scorecard and the items due soon (from the window's cache, refreshed first).
use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use specta::Type;

use super::cache::State;
use super::report::{self, Scorecard, TrendPeriod, Window};
use super::{ItemStatus, SlaReport};
use crate::db::{parse_ts, ts, Conn, Db};
use crate::error::{AppError, AppResult};

/// The window's SLA state between calls.
#[derive(Default)]
pub struct SlaCache(tokio::sync::Mutex<Option<State>>);

impl SlaCache {
    /// Runs `f` on the state brought up to date (built on first use).
    pub async fn with<T>(&self, conn: &mut Conn, f: impl FnOnce(&mut State) -> T) -> AppResult<T> {
        let mut guard = self.0.lock().await;
        match guard.as_mut() {
            Some(state) => {
                state.refresh(&mut *conn).await?;
            }
            None => *guard = Some(State::build(&mut *conn).await?),
        }
        Ok(f(guard.as_mut().expect("built above")))
    }
}

fn day_start(field: &str, text: &str) -> AppResult<i64> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().timestamp_millis())
        .ok_or_else(|| {
            AppError::invalid(
                field,
                format!("--{field}: '{text}' is not a date such as 2026-10-01"),
            )
        })
}

/// The window of a report: items started from `from` (a date, UTC) through `to` (a date,
/// inclusive), judged as of `as_of` (an RFC 3339 instant; now if absent).
pub fn window(from: Option<&str>, to: Option<&str>, as_of: Option<&str>) -> AppResult<Window> {
    let as_of = match as_of {
        Some(t) => parse_ts("as-of", t)?.timestamp_millis(),
        None => Utc::now().timestamp_millis(),
    };
    let from = from.map(|f| day_start("from", f)).transpose()?;
    let to = to
        .map(|t| day_start("to", t).map(|d| d + 86_400_000))
        .transpose()?;
    if let (Some(f), Some(t)) = (from, to) {
        if t <= f {
            return Err(AppError::invalid("to", "--to: comes before --from"));
        }
    }
    Ok(Window {
        from: from.unwrap_or(i64::MIN),
        to: to.unwrap_or(i64::MAX),
        as_of,
    })
}

/// `playbook sla report`: every SLA's items in the window, from a fresh fold of the log.
pub async fn report(db: &Db, w: &Window) -> AppResult<SlaReport> {
    let mut conn = db.acquire().await?;
    let state = State::build(&mut conn).await?;
    Ok(report::sla_report(&state, w))
}

/// Names of members (by id, with side) and contacts (by id).
pub(crate) async fn names(
    conn: &mut Conn,
    contact_ids: Vec<String>,
) -> AppResult<(
    HashMap<String, crate::team::Member>,
    HashMap<String, String>,
)> {
    let members = crate::team::store::list(&mut *conn)
        .await?
        .into_iter()
        .map(|m| (m.id.clone(), m))
        .collect();
    let list = serde_json::to_string(&contact_ids).expect("ids serialise");
    let rows: Vec<(String, String, String, Option<String>)> = sqlx::query_as(
        "SELECT id, first_name, last_name, email FROM contacts WHERE id IN (SELECT value FROM json_each(?))",
    )
    .bind(list)
    .fetch_all(&mut *conn)
    .await?;
    let contacts = rows
        .into_iter()
        .map(|(id, f, l, e)| (id, crate::leads::store::full_name(&f, &l, e.as_deref())))
        .collect();
    Ok((members, contacts))
}

/// The window's scorecard as of now.
pub async fn scorecard(db: &Db, cache: &SlaCache, period: TrendPeriod) -> AppResult<Scorecard> {
    let mut conn = db.acquire().await?;
    let w = window(None, None, None)?;
    let mut card = cache
        .with(&mut conn, |state| state.scorecard(&w, period))
        .await?;
    let ids = card.breaches.iter().map(|b| b.contact_id.clone()).collect();
    let (members, contacts) = names(&mut conn, ids).await?;
    for o in &mut card.owners {
        if let Some(m) = members.get(&o.member_id) {
            o.name = m.name.clone();
            o.side = Some(m.side);
        } else {
            o.name = "a former member".into();
        }
    }
    card.owners.sort_by(|a, b| {
        (a.side.map(|s| s.as_str()), &a.name).cmp(&(b.side.map(|s| s.as_str()), &b.name))
    });
    for b in &mut card.breaches {
        b.contact_name = contacts.get(&b.contact_id).cloned().unwrap_or_default();
        b.owner_name = b
            .owner_name
            .as_ref()
            .and_then(|id| members.get(id))
            .map(|m| m.name.clone());
    }
    Ok(card)
}

/// An SLA item a member owes and has not met yet, with its deadline.
#[derive(Debug, Clone, PartialEq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct DueItem {
    pub sla_key: String,
    pub sla_name: String,
    pub target: String,
    pub contact_id: String,
    pub contact_name: String,
    pub started_at: String,
    pub deadline: String,
    /// Working time left as of the answer, in minutes of the SLA's business calendar.
    pub business_minutes_left: u32,
}

/// The pending items `member_id` owes, earliest deadline first, up to `limit`.
pub async fn due(
    db: &Db,
    cache: &SlaCache,
    member_id: &str,
    now: DateTime<Utc>,
    limit: usize,
) -> AppResult<Vec<DueItem>> {
    let mut conn = db.acquire().await?;
    let t = now.timestamp_millis();
    let mut due = cache
        .with(&mut conn, |state| {
            let Some(me) = state.people.iter().position(|p| p == member_id) else {
                return vec![];
            };
            let mut list: Vec<DueItem> = state
                .items
                .iter()
                .flatten()
                .filter(|i| i.owner == Some(me as u16) && i.deadline.is_some())
                .filter(|i| i.status(t) == Some(ItemStatus::Pending))
                .map(|i| {
                    let deadline = i.deadline.unwrap_or(t);
                    let v = state.terms.version_at(i.sla as usize, i.start);
                    let left = state
                        .terms
                        .calendar_at(&v.body.calendar, i.start)
                        .map_or(0, |cal| cal.duration_ms(t, deadline));
                    DueItem {
                        sla_key: state.terms.slas[i.sla as usize].key.clone(),
                        sla_name: v.name.clone(),
                        target: v.body.rule.target(),
                        contact_id: state.contacts[i.contact as usize].id.clone(),
                        contact_name: String::new(),
                        started_at: ts(super::fold::ms_time(i.start)),
                        deadline: ts(super::fold::ms_time(deadline)),
                        business_minutes_left: u32::try_from(left / 60_000).unwrap_or(u32::MAX),
                    }
                })
                .collect();
            list.sort_by(|a, b| (&a.deadline, &a.contact_id).cmp(&(&b.deadline, &b.contact_id)));
            list.truncate(limit);
            list
        })
        .await?;
    let ids = due.iter().map(|d| d.contact_id.clone()).collect();
    let (_, contacts) = names(&mut conn, ids).await?;
    for d in &mut due {
        d.contact_name = contacts.get(&d.contact_id).cloned().unwrap_or_default();
    }
    Ok(due)
}

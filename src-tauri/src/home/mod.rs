//! The home screen of the person on this laptop. A manager (or ops, or anyone before
//! signing in) sees the team: this period against the last (the funnel, acceptance, the top
//! rejection reasons), what awaits their signature and what is overdue. A rep sees their own
//! work: action items they own and their contacts past their stage's time (their queue is
//! the leads list's).
//!
//! The window paints home first from the numbers it last computed (`cache`), then asks for
//! fresh ones; what needs the SLA state or the content library comes apart (`extras`), so
//! neither holds up the first paint.
pub mod cache;
pub mod extras;

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::db::Db;
use crate::error::AppResult;
use crate::meetings::agenda::{changes, pending_signoffs};
use crate::meetings::{store as meetings, ActionItem, FunnelChange, Meeting, PendingSignoff};
use crate::reports::aging::{AgingContact, AgingOwner};
use crate::reports::funnel::DealFlow;
use crate::reports::ops::{self as reports, Basis};
use crate::reports::period::{today, Period};
use crate::reports::reasons::{self, ReasonRow};
use crate::reports::sources::SourceRow;
use crate::reports::steps;
use crate::team::{Role, Side};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Home {
    pub viewer: Option<Viewer>,
    pub period: Period,
    pub previous: Period,
    /// The team's numbers: for managers, ops, and before anyone signs in.
    pub team: Option<TeamHome>,
    /// The viewer's own work.
    pub mine: Option<MyHome>,
    /// The meeting still open, if any (the next one to hold or finish).
    pub open_meeting: Option<Meeting>,
    /// When these numbers were computed (RFC 3339), and whether they are the ones kept
    /// from then (fresh ones follow).
    pub computed_at: String,
    pub from_cache: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Viewer {
    pub member_id: String,
    pub name: String,
    pub side: Side,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct TeamHome {
    /// Stage by stage: entries and conversion to the next, now and before.
    pub funnel: Vec<FunnelChange>,
    pub deals: Option<DealFlow>,
    pub acceptance_now: SourceRow,
    pub acceptance_before: SourceRow,
    pub rejections_now: u32,
    pub rejections_before: u32,
    pub top_reasons: Vec<ReasonRow>,
    /// Versions awaiting a signature: the viewer's side's, for a manager; else all.
    pub awaiting_signature: Vec<PendingSignoff>,
    pub overdue_leads: u32,
    pub overdue_by_owner: Vec<AgingOwner>,
    /// Open action items past their due date.
    pub overdue_actions: Vec<ActionItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct MyHome {
    /// Open action items they own, soonest due first.
    pub actions: Vec<ActionItem>,
    /// Their contacts past their stage's time, the longest overdue first (a few).
    pub overdue_contacts: Vec<AgingContact>,
    pub overdue_count: u32,
}

const TOP_REASONS: usize = 3;

/// The home of `viewer` (a member id; none before anyone signs in), over the last `days`,
/// computed now (and kept for the next first paint).
pub async fn home(db: &Db, viewer: Option<&str>, days: u32) -> AppResult<Home> {
    let basis = Basis::load(db).await?;
    let computed_at = crate::db::ts(chrono::Utc::now());
    // Aging reads every contact in a timed stage: on its own connection, beside the rest.
    let aging = async {
        let mut conn = db.acquire().await?;
        reports::aging_report(&mut conn, &basis, None).await
    };
    let rest = home_rest(db, &basis, viewer, days);
    let (aging, rest) = tokio::join!(aging, rest);
    let aging = aging?;
    let (viewer, period, previous, team, mut conn) = rest?;
    let team = team.map(|mut t| {
        t.overdue_leads = aging.overdue;
        t.overdue_by_owner = aging.by_owner.iter().take(TOP_REASONS).cloned().collect();
        t
    });
    let mine = match &viewer {
        Some(v) => {
            let own = aging
                .by_owner
                .iter()
                .find(|o| o.owner_id.as_deref() == Some(v.member_id.as_str()));
            Some(MyHome {
                actions: meetings::open_actions(&mut conn, None, None, Some(&v.member_id)).await?,
                overdue_contacts: own.map(|o| o.oldest.clone()).unwrap_or_default(),
                overdue_count: own.map_or(0, |o| o.overdue),
            })
        }
        None => None,
    };
    let open_meeting = meetings::list(&mut conn)
        .await?
        .into_iter()
        .find(|m| m.status == crate::meetings::MeetingStatus::Open);
    let home = Home {
        viewer,
        period,
        previous,
        team,
        mine,
        open_meeting,
        computed_at,
        from_cache: false,
    };
    cache::keep(db, &home, days).await;
    Ok(home)
}

/// The last `days` days (1 to 366), today included, in the workspace's zone.
fn last_days(basis: &Basis, days: u32) -> Period {
    let to = today(basis.zone);
    Period {
        from: (to - chrono::Duration::days(i64::from(days.clamp(1, 366)) - 1)).to_string(),
        to: to.to_string(),
    }
}

type Rest = (
    Option<Viewer>,
    Period,
    Period,
    Option<TeamHome>,
    sqlx::pool::PoolConnection<sqlx::Sqlite>,
);

/// Everything but aging: the viewer, the periods and the team's numbers (aging left empty).
async fn home_rest(db: &Db, basis: &Basis, viewer: Option<&str>, days: u32) -> AppResult<Rest> {
    let mut conn = db.acquire().await?;
    let viewer = match viewer {
        Some(id) => crate::team::store::get(&mut conn, id)
            .await
            .ok()
            .map(|m| Viewer {
                member_id: m.id,
                name: m.name,
                side: m.side,
                role: m.role,
            }),
        None => None,
    };
    let period = last_days(basis, days);
    let previous = period.previous()?;
    let today_text = period.to.clone();
    let sees_team = viewer.as_ref().is_none_or(|v| v.role != Role::Rep);
    let team = if sees_team {
        let (span, prev_span) = (basis.span(&period)?, basis.span(&previous)?);
        let all = steps::between(&mut conn, prev_span.start, span.end).await?;
        let now = reports::funnel_of(&mut conn, basis, &period, &all).await?;
        let before = reports::funnel_of(&mut conn, basis, &previous, &all).await?;
        let sources_now = reports::sources_of(&mut conn, basis, &period, &all).await?;
        let sources_before = reports::sources_of(&mut conn, basis, &previous, &all).await?;
        let reasons_now = reports::reasons_of(&mut conn, basis, &period, &all).await?;
        let rejections_before = all.iter().filter(|s| reasons::counts(s, prev_span)).count() as u32;
        let mut awaiting = pending_signoffs(&mut conn).await?;
        if let Some(v) = viewer.as_ref().filter(|v| v.role == Role::Manager) {
            awaiting.retain(|p| p.awaiting.contains(&v.side));
        }
        let overdue_actions = meetings::open_actions(&mut conn, None, None, None)
            .await?
            .into_iter()
            .filter(|a| a.due_on.as_deref().is_some_and(|d| d < today_text.as_str()))
            .collect();
        Some(TeamHome {
            funnel: changes(&now, &before),
            deals: now.deals,
            acceptance_now: sources_now.total,
            acceptance_before: sources_before.total,
            rejections_now: reasons_now.total,
            rejections_before,
            top_reasons: reasons_now.reasons.into_iter().take(TOP_REASONS).collect(),
            awaiting_signature: awaiting,
            overdue_leads: 0,
            overdue_by_owner: vec![],
            overdue_actions,
        })
    } else {
        None
    };
    Ok((viewer, period, previous, team, conn))
}

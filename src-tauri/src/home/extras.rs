//! The parts of the home screen that wait for other areas' state, asked for apart so the
//! first paint never waits for them: each side's SLAs this period against the last (the SLA
//! state is built when the window starts), and for a rep what they owe under the SLAs and
//! the asset that fits each of their most pressing contacts.
use serde::Serialize;
use specta::Type;

use crate::db::Db;
use crate::error::AppResult;
use crate::reports::content::{for_contacts, ContentForContact};
use crate::reports::ops::{self as reports, Basis};
use crate::reports::sla::{for_period, SlaPeriodReport};
use crate::slas::ops::{due, DueItem, SlaCache};
use crate::team::Role;

#[derive(Debug, Clone, PartialEq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct HomeExtras {
    /// Each side's SLAs, this period against the last (none without SLAs; reps see their own).
    pub sla: Option<SlaPeriodReport>,
    /// What the viewer owes under the SLAs, earliest deadline first (a few).
    pub sla_due: Vec<DueItem>,
    /// The asset that fits each of the viewer's most pressing contacts (owed under an SLA,
    /// then longest past their stage's time).
    pub content: Vec<ContentForContact>,
}

/// How many SLA items, and contacts with content, a home lists.
const LISTED: usize = 5;
const CONTENT_CONTACTS: usize = 3;

/// The extras of `viewer`'s home over the last `days` (`sla`: the SLA state kept between
/// calls).
pub async fn extras(
    db: &Db,
    viewer: Option<&str>,
    days: u32,
    sla: &SlaCache,
) -> AppResult<HomeExtras> {
    let basis = Basis::load(db).await?;
    let mut conn = db.acquire().await?;
    let member = match viewer {
        Some(id) => crate::team::store::get(&mut conn, id).await.ok(),
        None => None,
    };
    let period = super::last_days(&basis, days);
    let team = if member.as_ref().is_some_and(|m| m.role == Role::Rep) {
        None
    } else {
        let spans = (basis.span(&period)?, basis.span(&period.previous()?)?);
        for_period(&mut conn, sla, &period, spans).await?
    };
    let Some(me) = member else {
        return Ok(HomeExtras {
            sla: team,
            sla_due: vec![],
            content: vec![],
        });
    };
    drop(conn);
    let sla_due = due(db, sla, &me.id, chrono::Utc::now(), LISTED).await?;
    let mut conn = db.acquire().await?;
    let content = if me.role == Role::Rep {
        let aging = reports::aging_report(&mut conn, &basis, None).await?;
        let overdue = aging
            .by_owner
            .iter()
            .find(|o| o.owner_id.as_deref() == Some(me.id.as_str()))
            .map(|o| o.oldest.clone())
            .unwrap_or_default();
        let mut pressing: Vec<(String, String)> = Vec::new();
        for (id, name) in sla_due
            .iter()
            .map(|d| (&d.contact_id, &d.contact_name))
            .chain(overdue.iter().map(|c| (&c.contact_id, &c.contact_name)))
        {
            if pressing.len() < CONTENT_CONTACTS && !pressing.iter().any(|(p, _)| p == id) {
                pressing.push((id.clone(), name.clone()));
            }
        }
        for_contacts(&mut conn, &pressing, chrono::Utc::now()).await?
    } else {
        vec![]
    };
    Ok(HomeExtras {
        sla: team,
        sla_due,
        content,
    })
}

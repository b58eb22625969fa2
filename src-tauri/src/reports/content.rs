//! The content library as the meeting and the home screen see it: where the library has
//! nothing (stage × persona pairs, risk points no asset answers), which assets are past
//! their review date, and which were sent before contacts moved forward (marketing's
//! credit); and for a rep, the asset that fits each of their contacts best. The numbers come
//! from the content area (`content::health`, `content::recommend`); this keeps what an
//! agenda item shows, in a form it can store.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use specta::Type;

use crate::content::health::health;
use crate::content::recommend::for_contact;
use crate::db::Conn;
use crate::error::AppResult;

/// How many gaps, stale assets and credited assets an agenda item lists.
const LISTED: usize = 8;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ContentHealth {
    pub published: u32,
    /// Empty cells of the coverage map: stage × persona pairs and risk points by stage.
    pub gap_count: u32,
    /// Stage × persona pairs with no published asset, by name (a few).
    pub gaps: Vec<ContentGap>,
    /// Risk points no published asset answers at any stage, by name.
    pub uncovered_risks: Vec<String>,
    pub stale: Vec<StaleAsset>,
    pub stale_count: u32,
    /// Assets sent to contacts who moved forward in the funnel within 30 days, most first.
    pub credited: Vec<CreditedAsset>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ContentGap {
    pub stage: String,
    pub persona: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct StaleAsset {
    pub id: String,
    pub title: String,
    pub owner_name: Option<String>,
    pub review_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct CreditedAsset {
    pub id: String,
    pub title: String,
    pub contacts: u32,
    pub moved_forward: u32,
}

/// The library's gaps, stale assets and credit as of `now`; None while nothing is
/// published (an empty library is not an agenda item, it is a project).
pub async fn content_health(
    conn: &mut Conn,
    now: DateTime<Utc>,
) -> AppResult<Option<ContentHealth>> {
    let h = health(conn, now).await?;
    if h.published == 0 {
        return Ok(None);
    }
    let name = |list: &[crate::content::Named], key: &str| {
        list.iter()
            .find(|n| n.key == key)
            .map_or_else(|| key.to_string(), |n| n.name.clone())
    };
    let empty: Vec<_> = h.cells.iter().filter(|c| c.count == 0).collect();
    Ok(Some(ContentHealth {
        published: h.published,
        gap_count: h.empty_cells,
        gaps: empty
            .iter()
            .take(LISTED)
            .map(|c| ContentGap {
                stage: name(&h.stages, &c.stage),
                persona: name(&h.personas, &c.persona),
            })
            .collect(),
        uncovered_risks: h
            .risks
            .iter()
            .filter(|r| r.total == 0)
            .map(|r| r.name.clone())
            .collect(),
        stale_count: h.stale.len() as u32,
        stale: h
            .stale
            .iter()
            .take(LISTED)
            .map(|a| StaleAsset {
                id: a.id.clone(),
                title: a.title.clone(),
                owner_name: a.owner_name.clone(),
                review_by: a.review_by.clone(),
            })
            .collect(),
        credited: h
            .moved_forward
            .iter()
            .take(LISTED)
            .map(|f| CreditedAsset {
                id: f.id.clone(),
                title: f.title.clone(),
                contacts: f.contacts,
                moved_forward: f.moved_forward,
            })
            .collect(),
    }))
}

impl ContentHealth {
    /// Whether the meeting has anything to talk about: a gap, a stale asset or a credit.
    pub fn worth_an_item(&self) -> bool {
        self.gap_count > 0 || self.stale_count > 0 || !self.credited.is_empty()
    }
}

/// The asset that fits a contact best, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ContentForContact {
    pub contact_id: String,
    pub contact_name: String,
    pub asset_id: String,
    pub title: String,
    pub kind: String,
    /// "decision stage · economic buyer · against competitor Acme".
    pub reason: String,
}

/// For each of `contacts` (id, name), the best fitting asset not yet sent to them, if any.
pub async fn for_contacts(
    conn: &mut Conn,
    contacts: &[(String, String)],
    now: DateTime<Utc>,
) -> AppResult<Vec<ContentForContact>> {
    let mut out = Vec::new();
    for (id, name) in contacts {
        let fit = for_contact(&mut *conn, id, now).await?;
        if let Some(r) = fit
            .recommendations
            .into_iter()
            .find(|r| r.last_sent.is_none() && !r.reasons.is_empty())
        {
            out.push(ContentForContact {
                contact_id: id.clone(),
                contact_name: name.clone(),
                asset_id: r.id,
                title: r.title,
                kind: r.kind,
                reason: r.reason,
            });
        }
    }
    Ok(out)
}

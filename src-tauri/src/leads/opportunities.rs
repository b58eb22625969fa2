//! Opportunities (deals) as the account and contact pages, the CLI and exports show them:
//! what is open, won and lost, for how much, closing when, owned by whom.
use serde::{Deserialize, Serialize};
use specta::Type;

use crate::db::Conn;
use crate::error::AppResult;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct Opportunity {
    pub id: String,
    pub name: String,
    pub account_id: Option<String>,
    pub account_name: Option<String>,
    pub primary_contact_id: Option<String>,
    pub primary_contact_name: Option<String>,
    /// In hundredths of the currency (cents); absent when the source gave none. A JS
    /// number: exact up to 90 trillion in whole units.
    #[specta(type = Option<f64>)]
    pub amount_minor: Option<i64>,
    pub currency: String,
    /// The stage as the source system names it.
    pub stage: String,
    /// `open`, `won` or `lost`.
    pub status: String,
    /// YYYY-MM-DD.
    pub close_date: Option<String>,
    pub owner_name: Option<String>,
    /// The owner as the source named them, when not (yet) on the team.
    pub owner_ref: Option<String>,
    pub product: String,
    pub loss_reason: String,
    pub source_system: String,
    pub external_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase", default)]
pub struct OpportunityFilter {
    pub account_id: Option<String>,
    pub contact_id: Option<String>,
    /// `open`, `won` or `lost`.
    pub status: Option<String>,
}

/// Opportunities matching the filter, open ones first, then by close date (newest first).
pub async fn list(conn: &mut Conn, f: &OpportunityFilter) -> AppResult<Vec<Opportunity>> {
    Ok(sqlx::query_as(
        "SELECT o.id, o.name, o.account_id, a.name AS account_name, o.primary_contact_id,
                nullif(trim(c.first_name || ' ' || c.last_name), '') AS primary_contact_name,
                o.amount_minor, o.currency, o.stage, o.status, o.close_date,
                m.name AS owner_name, CASE WHEN o.owner_id IS NULL THEN o.owner_ref END AS owner_ref,
                o.product, o.loss_reason, o.source_system, o.external_id
         FROM opportunities o
         LEFT JOIN accounts a ON a.id = o.account_id
         LEFT JOIN contacts c ON c.id = o.primary_contact_id
         LEFT JOIN members m ON m.id = o.owner_id
         WHERE o.deleted_at IS NULL
           AND (?1 IS NULL OR o.account_id = ?1)
           AND (?2 IS NULL OR o.primary_contact_id = ?2)
           AND (?3 IS NULL OR o.status = ?3)
         ORDER BY o.status <> 'open', o.close_date DESC, o.name",
    )
    .bind(&f.account_id)
    .bind(&f.contact_id)
    .bind(&f.status)
    .fetch_all(conn)
    .await?)
}

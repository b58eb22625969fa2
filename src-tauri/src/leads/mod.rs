//! Accounts and their contacts (the buying team): who they are, where they came from,
//! BANT, buying role and stage, owner, and the cached lifecycle stage and score.
pub mod impact;
pub mod list;
pub mod merge;
pub mod opportunities;
pub mod ops;
pub mod owners;
pub mod rebuild;
pub mod scores;
pub mod search_index;
pub mod store;

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::agreements::ActivityKind;
use crate::handoffs::HandoffEvent;
use crate::scoring::ScoreExplanation;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum BuyingRole {
    DecisionMaker,
    EconomicBuyer,
    Champion,
    Influencer,
    Recommender,
    User,
    Gatekeeper,
    Blocker,
}

impl BuyingRole {
    pub const ALL: [BuyingRole; 8] = [
        BuyingRole::DecisionMaker,
        BuyingRole::EconomicBuyer,
        BuyingRole::Champion,
        BuyingRole::Influencer,
        BuyingRole::Recommender,
        BuyingRole::User,
        BuyingRole::Gatekeeper,
        BuyingRole::Blocker,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            BuyingRole::DecisionMaker => "decision_maker",
            BuyingRole::EconomicBuyer => "economic_buyer",
            BuyingRole::Champion => "champion",
            BuyingRole::Influencer => "influencer",
            BuyingRole::Recommender => "recommender",
            BuyingRole::User => "user",
            BuyingRole::Gatekeeper => "gatekeeper",
            BuyingRole::Blocker => "blocker",
        }
    }
    pub fn parse(text: &str) -> Option<BuyingRole> {
        let t = norm(text);
        Self::ALL.into_iter().find(|r| norm(r.as_str()) == t)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum BuyingStage {
    Awareness,
    Consideration,
    Decision,
}

impl BuyingStage {
    pub const ALL: [BuyingStage; 3] = [
        BuyingStage::Awareness,
        BuyingStage::Consideration,
        BuyingStage::Decision,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            BuyingStage::Awareness => "awareness",
            BuyingStage::Consideration => "consideration",
            BuyingStage::Decision => "decision",
        }
    }
    pub fn parse(text: &str) -> Option<BuyingStage> {
        let t = norm(text);
        Self::ALL.into_iter().find(|r| r.as_str() == t)
    }
}

/// The id an account with this name gets: derived from the name, so two laptops that
/// import the same company offline make the same account (the merge rule for names).
pub fn account_id_for(name: &str) -> String {
    uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        format!("playbook:account:{}", name.trim().to_lowercase()).as_bytes(),
    )
    .to_string()
}

/// The id an account gets from its id in a source system: two laptops that import the
/// same CRM account make the same account, and two companies that share a name but not an
/// id stay two accounts.
pub fn account_id_for_key(system: &str, external_id: &str) -> String {
    uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        format!("playbook:account-key:{system}:{}", external_id.trim()).as_bytes(),
    )
    .to_string()
}

/// The hash of an activity row (what its bulk write's signature covers).
pub fn activity_hash(
    id: &str,
    contact_id: &str,
    kind: &str,
    at: &str,
    detail: &str,
    external_id: Option<&str>,
    bulk_id: Option<&str>,
) -> String {
    crate::trust::canon::Canon::new("activity/v1")
        .text(id)
        .text(contact_id)
        .text(kind)
        .text(at)
        .text(detail)
        .opt(external_id)
        .opt(bulk_id)
        .finish()
}

/// The hash of an activity a member logged themselves (a content send), which that
/// member signs: it covers who logged it and which asset it names.
#[allow(clippy::too_many_arguments)]
pub fn logged_activity_hash(
    id: &str,
    contact_id: &str,
    kind: &str,
    at: &str,
    detail: &str,
    actor_id: &str,
    asset_id: Option<&str>,
) -> String {
    crate::trust::canon::Canon::new("activity-logged/v1")
        .text(id)
        .text(contact_id)
        .text(kind)
        .text(at)
        .text(detail)
        .text(actor_id)
        .opt(asset_id)
        .finish()
}

/// Lowercase letters and digits only: how headers and enum values are compared.
pub fn norm(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// One BANT dimension: known or not, with a note.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct BantField {
    pub known: bool,
    pub note: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Bant {
    pub budget: BantField,
    pub authority: BantField,
    pub need: BantField,
    pub timeline: BantField,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    pub id: String,
    pub name: String,
    pub domain: Option<String>,
    pub industry: Option<String>,
    pub employees: Option<i32>,
    pub country: Option<String>,
    /// Annual revenue, in whole units of the source's currency (a JS number: exact far
    /// beyond any company's revenue).
    #[specta(type = Option<f64>)]
    pub revenue: Option<i64>,
}

/// A contact as the contact page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    pub id: String,
    pub external_id: Option<String>,
    pub account: Option<Account>,
    pub email: Option<String>,
    pub salutation: String,
    pub first_name: String,
    pub last_name: String,
    pub name: String,
    pub title: String,
    pub phone: String,
    pub country: String,
    pub owner_id: Option<String>,
    pub owner_name: Option<String>,
    /// The owner as an import named them, while they are not on the team.
    pub owner_ref: Option<String>,
    pub source_channel: String,
    pub source_campaign: String,
    pub bant: Bant,
    pub buying_role: Option<BuyingRole>,
    pub buying_stage: Option<BuyingStage>,
    pub stage: String,
    pub stage_since: String,
    pub score: i32,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Activity {
    pub id: String,
    pub kind: ActivityKind,
    pub at: String,
    pub detail: String,
    /// Who logged it, for activities a member logged (a content send).
    pub actor_name: Option<String>,
    /// The content asset it is about, if any.
    pub asset_id: Option<String>,
}

/// The contact page: the contact, its history, its score and what may be done now.
#[derive(Debug, Clone, PartialEq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ContactDetail {
    pub contact: Contact,
    /// Handoff events, newest first.
    pub events: Vec<HandoffEvent>,
    /// Activities, newest first.
    pub activities: Vec<Activity>,
    pub score: ScoreExplanation,
    pub allowed_actions: Vec<crate::handoffs::EventKind>,
    /// Deals this contact is the primary contact of.
    pub opportunities: Vec<opportunities::Opportunity>,
    /// Other contacts with the same email (possible duplicates to merge).
    pub same_email: Vec<String>,
    /// Contacts merged into this one (their histories are theirs; undo with unmerge).
    pub merged: Vec<String>,
}

/// One person of an account's buying team, for the people map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct TeamPerson {
    pub id: String,
    pub name: String,
    pub title: String,
    pub buying_role: Option<String>,
    pub buying_stage: Option<String>,
    pub stage: String,
    pub score: i32,
    pub owner_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PeopleMap {
    pub account: Account,
    pub people: Vec<TeamPerson>,
    /// The account's deals, open first.
    pub opportunities: Vec<opportunities::Opportunity>,
}

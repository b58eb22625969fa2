//! The alignment meeting: attendees, an agenda built from the period's data (each item
//! keeping the numbers it showed and linking to its evidence), decisions that may propose a
//! new playbook version and collect both managers' signatures in the room, action items
//! carried into later agendas until done, and minutes.
//!
//! Every write is a signed record (`records`); the rows the window reads are their fold
//! (`store`). `agenda` builds items from the reports, `minutes` writes Markdown and HTML,
//! `ops` is what the window and the CLI call.
pub mod agenda;
pub mod minutes;
pub mod ops;
pub mod records;
pub mod store;

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::agreements::{AgreementKind, Proposal, VersionStatus};
use crate::reports::aging::AgingReport;
use crate::reports::content::ContentHealth;
use crate::reports::funnel::FunnelReport;
use crate::reports::period::Period;
use crate::reports::reasons::ReasonsReport;
use crate::reports::sla::SlaPeriodReport;
use crate::reports::sources::SourcesReport;
use crate::team::{Role, Side};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum MeetingStatus {
    Open,
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    Open,
    Done,
    Dropped,
}

impl ActionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionStatus::Open => "open",
            ActionStatus::Done => "done",
            ActionStatus::Dropped => "dropped",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Meeting {
    pub id: String,
    pub title: String,
    /// YYYY-MM-DD.
    pub held_on: String,
    /// The days its agenda covers.
    pub period: Period,
    pub attendees: Vec<Attendee>,
    pub status: MeetingStatus,
    pub closed_at: Option<String>,
    pub created_by_name: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub decisions: u32,
    pub open_actions: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Attendee {
    pub member_id: String,
    pub name: String,
    pub side: Option<Side>,
    pub role: Option<Role>,
}

/// A meeting with its agenda, decisions and action items.
#[derive(Debug, Clone, PartialEq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct MeetingDetail {
    pub meeting: Meeting,
    /// In agenda order, dropped items included (marked).
    pub agenda: Vec<AgendaItem>,
    pub decisions: Vec<Decision>,
    /// Made in this meeting.
    pub actions: Vec<ActionItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct AgendaItem {
    pub id: String,
    pub position: f64,
    pub title: String,
    pub note: String,
    /// The numbers it showed when built (what the minutes report), and their evidence.
    pub facts: AgendaFacts,
    pub dropped: bool,
}

/// What an agenda item is about, with the numbers it shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AgendaFacts {
    /// The funnel of the period against the period before.
    Funnel {
        current: FunnelReport,
        previous: FunnelReport,
        changes: Vec<FunnelChange>,
    },
    /// Rejections and recycles by reason, with examples.
    Reasons {
        report: ReasonsReport,
        #[serde(rename = "previousTotal")]
        previous_total: u32,
    },
    /// SLA items met, breached and pending, by side and by SLA, against the period before.
    Slas { report: SlaPeriodReport },
    /// Acceptance by source channel, campaign and score band.
    Sources { report: SourcesReport },
    /// Contacts past their stage's maximum time.
    Aging { report: AgingReport },
    /// Playbook versions awaiting sign-off.
    Signoffs { versions: Vec<PendingSignoff> },
    /// Gaps in the content library, stale assets, and what was sent before contacts moved.
    Content { report: ContentHealth },
    /// Action items of earlier meetings still open.
    Actions { items: Vec<ActionItem> },
    /// Added by hand.
    Manual,
}

impl AgendaFacts {
    pub fn kind(&self) -> &'static str {
        match self {
            AgendaFacts::Funnel { .. } => "funnel",
            AgendaFacts::Reasons { .. } => "reasons",
            AgendaFacts::Slas { .. } => "slas",
            AgendaFacts::Sources { .. } => "sources",
            AgendaFacts::Aging { .. } => "aging",
            AgendaFacts::Signoffs { .. } => "signoffs",
            AgendaFacts::Content { .. } => "content",
            AgendaFacts::Actions { .. } => "actions",
            AgendaFacts::Manual => "manual",
        }
    }
}

/// One stage's entries and conversion, this period and the one before.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct FunnelChange {
    pub stage_key: String,
    pub stage_name: String,
    pub next_name: Option<String>,
    pub entries_before: u32,
    pub entries_now: u32,
    pub rate_before: Option<f64>,
    pub rate_now: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PendingSignoff {
    pub version_id: String,
    pub item_id: String,
    /// `stage/sal@3`: how the CLI names it.
    pub reference: String,
    /// `Sales accepted lead v3`: how people read it.
    pub label: String,
    pub kind: AgreementKind,
    pub name: String,
    pub summary: String,
    pub awaiting: Vec<Side>,
    pub proposed_at: String,
    pub author_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    pub id: String,
    pub agenda_item_id: Option<String>,
    pub text: String,
    /// The playbook version it proposed, as it stands now.
    pub version: Option<DecisionVersion>,
    pub created_by_name: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct DecisionVersion {
    pub version_id: String,
    pub item_id: String,
    /// `stage/sal@3`: how the CLI names it.
    pub reference: String,
    /// `Sales accepted lead v3`: how people read it.
    pub label: String,
    pub kind: AgreementKind,
    pub name: String,
    pub status: VersionStatus,
    /// The sides whose manager has still to sign.
    pub awaiting: Vec<Side>,
    /// Who signed it so far (valid approvals), in order.
    pub approved_by: Vec<String>,
    pub effective_at: Option<String>,
    /// What it changes against the version before it, field by field (empty for a new
    /// item): what the room signs, in words.
    pub changes: Vec<DecisionChange>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct DecisionChange {
    pub field: String,
    pub before: String,
    pub after: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ActionItem {
    pub id: String,
    /// The meeting it was agreed in.
    pub meeting_id: String,
    pub meeting_title: String,
    pub agenda_item_id: Option<String>,
    pub title: String,
    pub owner_id: Option<String>,
    pub owner_name: Option<String>,
    /// YYYY-MM-DD.
    pub due_on: Option<String>,
    pub status: ActionStatus,
    pub done_at: Option<String>,
}

/// A new meeting; without a period, the days since the previous meeting (or the 30 days
/// up to the meeting).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct NewMeeting {
    pub title: String,
    /// YYYY-MM-DD; today when absent.
    #[serde(default)]
    pub held_on: Option<String>,
    /// Member ids (or emails).
    #[serde(default)]
    pub attendees: Vec<String>,
    #[serde(default)]
    pub period_from: Option<String>,
    #[serde(default)]
    pub period_to: Option<String>,
}

/// A decision against an agenda item; it may propose a new version of a playbook item (or
/// name one already proposed) for the managers to sign in the room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct NewDecision {
    #[serde(default)]
    pub agenda_item_id: Option<String>,
    pub text: String,
    #[serde(default)]
    pub proposal: Option<Proposal>,
    /// A version already proposed (`kind/key@N` or its id), instead of a new proposal.
    #[serde(default)]
    pub version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct NewAction {
    #[serde(default)]
    pub agenda_item_id: Option<String>,
    pub title: String,
    /// Member id or email.
    #[serde(default)]
    pub owner: Option<String>,
    /// YYYY-MM-DD.
    #[serde(default)]
    pub due_on: Option<String>,
}

/// A change to one agenda item; absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct AgendaEdit {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub dropped: Option<bool>,
    /// Its new place in the agenda (0 = first).
    #[serde(default)]
    pub move_to: Option<u32>,
}

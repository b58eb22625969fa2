//! The handoff log: append-only events per contact (handed over, accepted, rejected with
//! a reason, attempts, recycles…). A contact's lifecycle stage is a fold over its events,
//! and the agreed stage definitions in force at each event decide what is allowed.
pub mod playbook_at;
pub mod records;
pub mod replay;
pub mod rules;
pub mod store;

use serde::{Deserialize, Serialize};
use specta::Type;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Created,
    HandedOver,
    Accepted,
    Rejected,
    Attempt,
    Connected,
    Qualified,
    Recycled,
    Disqualified,
    Converted,
    Won,
    Lost,
    Reopened,
    Disputed,
    DisputeUpheld,
    DisputeOverturned,
}

impl EventKind {
    pub const ALL: [EventKind; 16] = [
        EventKind::Created,
        EventKind::HandedOver,
        EventKind::Accepted,
        EventKind::Rejected,
        EventKind::Attempt,
        EventKind::Connected,
        EventKind::Qualified,
        EventKind::Recycled,
        EventKind::Disqualified,
        EventKind::Converted,
        EventKind::Won,
        EventKind::Lost,
        EventKind::Reopened,
        EventKind::Disputed,
        EventKind::DisputeUpheld,
        EventKind::DisputeOverturned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Created => "created",
            EventKind::HandedOver => "handed_over",
            EventKind::Accepted => "accepted",
            EventKind::Rejected => "rejected",
            EventKind::Attempt => "attempt",
            EventKind::Connected => "connected",
            EventKind::Qualified => "qualified",
            EventKind::Recycled => "recycled",
            EventKind::Disqualified => "disqualified",
            EventKind::Converted => "converted",
            EventKind::Won => "won",
            EventKind::Lost => "lost",
            EventKind::Reopened => "reopened",
            EventKind::Disputed => "disputed",
            EventKind::DisputeUpheld => "dispute_upheld",
            EventKind::DisputeOverturned => "dispute_overturned",
        }
    }

    /// Parses an event kind; CLI verbs such as `reject`, `hand-over` or `dispute` work too.
    pub fn parse(text: &str) -> Option<EventKind> {
        let t = crate::leads::norm(text);
        let alias = match t.as_str() {
            "handover" | "handoff" => Some(EventKind::HandedOver),
            "accept" => Some(EventKind::Accepted),
            "reject" => Some(EventKind::Rejected),
            "connect" => Some(EventKind::Connected),
            "qualify" => Some(EventKind::Qualified),
            "recycle" => Some(EventKind::Recycled),
            "disqualify" => Some(EventKind::Disqualified),
            "convert" => Some(EventKind::Converted),
            "win" => Some(EventKind::Won),
            "lose" => Some(EventKind::Lost),
            "reopen" => Some(EventKind::Reopened),
            "dispute" => Some(EventKind::Disputed),
            "upholddispute" | "uphold" => Some(EventKind::DisputeUpheld),
            "overturndispute" | "overturn" => Some(EventKind::DisputeOverturned),
            _ => None,
        };
        alias.or_else(|| {
            Self::ALL
                .into_iter()
                .find(|k| crate::leads::norm(k.as_str()) == t)
        })
    }
}

/// How far ahead of this laptop's clock an event may be dated: allows for clock skew
/// between laptops; anything later has not happened yet and is refused.
pub const CLOCK_SKEW: chrono::Duration = chrono::Duration::minutes(5);

/// How an attempt reached the contact.
pub const CHANNELS: [&str; 8] = [
    "phone", "email", "linkedin", "meeting", "video", "sms", "chat", "other",
];

/// Whether an event counts in the contact's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum EventStatus {
    Applied,
    /// Genuine but not allowed where the contact stood at its time (e.g. a second
    /// acceptance recorded offline on another laptop).
    Skipped,
    /// Its hash, signature or chain does not verify: ignored.
    Tampered,
}

/// One entry of the handoff log, as the fold saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct HandoffEvent {
    pub id: String,
    pub contact_id: String,
    pub kind: String,
    pub at: String,
    /// Who signed it: its author, or for history brought in by an import (or generated),
    /// the member who signed that bulk write.
    pub actor_id: Option<String>,
    pub actor_name: Option<String>,
    /// For imported history: the member the source system names as who did it (it proves
    /// nothing; the importer's signature stands behind the row).
    pub source_actor_name: Option<String>,
    /// Who stands behind it, in words: `Sofia Marín`, or `Daniel Brooks · imported from
    /// the CRM by Tom Lindqvist`.
    pub by: String,
    pub from_stage: Option<String>,
    pub to_stage: String,
    pub reason: Option<String>,
    pub reason_name: Option<String>,
    pub channel: Option<String>,
    pub note: String,
    /// The playbook versions in force when it happened, e.g. `stage/sal@1 reason/no_budget@1`.
    pub playbook: String,
    pub status: EventStatus,
    /// Why it was skipped or does not verify.
    pub problem: Option<String>,
}

/// What a person or an import asks to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct EventRequest {
    pub kind: EventKind,
    /// Reason key from the agreed list (reject, recycle, disqualify, lost).
    #[serde(default)]
    pub reason: Option<String>,
    /// For attempts: phone, email, linkedin, meeting, video, sms, chat or other.
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub note: String,
    /// For a handover: the sales member who takes the lead.
    #[serde(default)]
    pub assignee_id: Option<String>,
}

//! The words people read for every code the data holds (`email_click` → "Clicked an
//! email", `paid_search` → "Paid search"): one place, shared by the window and the CLI, so
//! no screen keeps its own copy. Stage, reason and term names come from the playbook.
use serde::Serialize;
use specta::Type;

use crate::agreements::{ActivityKind, FitField, FitOp, ReasonUse};
use crate::db::Conn;
use crate::error::AppResult;
use crate::handoffs::{EventKind, CHANNELS};
use crate::leads::list::Awaiting;
use crate::leads::{BuyingRole, BuyingStage};
use crate::team::{Role, Side};

/// A code and what people call it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Label {
    pub code: String,
    pub label: String,
}

fn label(code: &str, text: &str) -> Label {
    Label {
        code: code.into(),
        label: text.into(),
    }
}

/// Every vocabulary the window shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Vocabulary {
    /// Handoff events as they read in a timeline ("Handed over").
    pub events: Vec<Label>,
    /// Handoff events as buttons ("Hand over to sales").
    pub actions: Vec<Label>,
    pub activities: Vec<Label>,
    pub buying_roles: Vec<Label>,
    pub buying_stages: Vec<Label>,
    pub channels: Vec<Label>,
    pub reason_uses: Vec<Label>,
    pub fit_fields: Vec<Label>,
    pub fit_ops: Vec<Label>,
    pub sides: Vec<Label>,
    pub roles: Vec<Label>,
    pub awaiting: Vec<Label>,
    /// Lead sources in this workspace, by their label.
    pub sources: Vec<Label>,
    /// What recording each event asks for: an agreed reason (of which use) or a channel.
    pub event_needs: Vec<EventNeeds>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct EventNeeds {
    pub event: EventKind,
    pub reason: Option<ReasonUse>,
    pub channel: bool,
}

pub fn event(k: EventKind) -> &'static str {
    match k {
        EventKind::Created => "Created",
        EventKind::HandedOver => "Handed over",
        EventKind::Accepted => "Accepted",
        EventKind::Rejected => "Rejected",
        EventKind::Attempt => "Attempt",
        EventKind::Connected => "Connected",
        EventKind::Qualified => "Qualified",
        EventKind::Recycled => "Recycled",
        EventKind::Disqualified => "Disqualified",
        EventKind::Converted => "Converted",
        EventKind::Won => "Won",
        EventKind::Lost => "Lost",
        EventKind::Reopened => "Reopened",
        EventKind::Disputed => "Rejection disputed",
        EventKind::DisputeUpheld => "Rejection upheld",
        EventKind::DisputeOverturned => "Rejection overturned",
    }
}

pub fn action(k: EventKind) -> &'static str {
    match k {
        EventKind::Created => "Create",
        EventKind::HandedOver => "Hand over",
        EventKind::Accepted => "Accept",
        EventKind::Rejected => "Reject",
        EventKind::Attempt => "Log attempt",
        EventKind::Connected => "Connected",
        EventKind::Qualified => "Qualify",
        EventKind::Recycled => "Recycle to nurture",
        EventKind::Disqualified => "Disqualify",
        EventKind::Converted => "Convert to opportunity",
        EventKind::Won => "Won",
        EventKind::Lost => "Lost",
        EventKind::Reopened => "Reopen",
        EventKind::Disputed => "Dispute rejection",
        EventKind::DisputeUpheld => "Uphold rejection",
        EventKind::DisputeOverturned => "Overturn rejection",
    }
}

pub fn activity(k: ActivityKind) -> &'static str {
    match k {
        ActivityKind::PageVisit => "Visited a page",
        ActivityKind::Download => "Downloaded",
        ActivityKind::Webinar => "Attended a webinar",
        ActivityKind::EmailClick => "Clicked an email",
        ActivityKind::Event => "Met at an event",
        ActivityKind::Form => "Filled in a form",
        ActivityKind::ContentSent => "Sent content",
    }
}

pub fn buying_role(r: BuyingRole) -> &'static str {
    match r {
        BuyingRole::DecisionMaker => "Decision maker",
        BuyingRole::EconomicBuyer => "Economic buyer",
        BuyingRole::Champion => "Champion",
        BuyingRole::Influencer => "Influencer",
        BuyingRole::Recommender => "Recommender",
        BuyingRole::User => "User",
        BuyingRole::Gatekeeper => "Gatekeeper",
        BuyingRole::Blocker => "Blocker",
    }
}

pub fn buying_stage(s: BuyingStage) -> &'static str {
    match s {
        BuyingStage::Awareness => "Awareness",
        BuyingStage::Consideration => "Consideration",
        BuyingStage::Decision => "Decision",
    }
}

pub fn reason_use(u: ReasonUse) -> &'static str {
    match u {
        ReasonUse::Reject => "Rejecting a lead",
        ReasonUse::Recycle => "Recycling to nurture",
        ReasonUse::Disqualify => "Disqualifying",
        ReasonUse::Lost => "A lost deal",
    }
}

pub fn fit_field(f: FitField) -> &'static str {
    match f {
        FitField::Title => "Job title",
        FitField::Industry => "Industry",
        FitField::Employees => "Employees",
        FitField::Country => "Country",
        FitField::SourceChannel => "Source",
        FitField::BuyingRole => "Buying role",
        FitField::EmailDomain => "Email domain",
        FitField::Budget => "Budget (BANT)",
        FitField::Authority => "Authority (BANT)",
        FitField::Need => "Need (BANT)",
        FitField::Timeline => "Timeline (BANT)",
    }
}

pub fn fit_op(o: FitOp) -> &'static str {
    match o {
        FitOp::Equals => "is",
        FitOp::Contains => "contains",
        FitOp::AtLeast => "is at least",
        FitOp::AtMost => "is at most",
        FitOp::IsKnown => "is known",
    }
}

pub fn side(s: Side) -> &'static str {
    match s {
        Side::Marketing => "Marketing",
        Side::Sales => "Sales",
    }
}

pub fn role(r: Role) -> &'static str {
    match r {
        Role::Manager => "Manager",
        Role::Rep => "Rep",
        Role::Ops => "Operations",
    }
}

pub fn awaiting(a: Awaiting) -> &'static str {
    match a {
        Awaiting::Response => "Handed to you",
        Awaiting::RejectionReview => "Rejections to review",
        Awaiting::DisputeDecision => "Disputes to answer",
    }
}

/// A code nobody named, made readable: `content_syndication` → "Content syndication".
///
/// ```
/// assert_eq!(playbook::labels::humanize("paid_search"), "Paid search");
/// assert_eq!(playbook::labels::humanize("LinkedIn"), "LinkedIn");
/// ```
pub fn humanize(code: &str) -> String {
    let spaced = code.replace(['_', '-'], " ");
    let mut chars = spaced.trim().chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The lead sources of a workspace: each distinct source, found by skipping through the
/// source index (one seek per source, not a scan of every contact).
async fn sources(conn: &mut Conn) -> AppResult<Vec<Label>> {
    let codes: Vec<String> = sqlx::query_scalar(
        "WITH RECURSIVE s(v) AS (
             SELECT min(source_channel) FROM contacts WHERE deleted_at IS NULL
             UNION ALL
             SELECT (SELECT min(source_channel) FROM contacts
                     WHERE deleted_at IS NULL AND source_channel > s.v)
             FROM s WHERE s.v IS NOT NULL)
         SELECT v FROM s WHERE v IS NOT NULL AND v <> ''",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut out: Vec<Label> = codes
        .iter()
        .map(|c| Label {
            code: c.clone(),
            label: humanize(c),
        })
        .collect();
    out.sort_by(|a, b| a.label.cmp(&b.label));
    Ok(out)
}

pub async fn vocabulary(conn: &mut Conn) -> AppResult<Vocabulary> {
    let all = |codes: Vec<(&str, &str)>| codes.into_iter().map(|(c, l)| label(c, l)).collect();
    Ok(Vocabulary {
        events: all(EventKind::ALL
            .iter()
            .map(|k| (k.as_str(), event(*k)))
            .collect()),
        actions: all(EventKind::ALL
            .iter()
            .map(|k| (k.as_str(), action(*k)))
            .collect()),
        activities: all(ActivityKind::ALL
            .iter()
            .map(|k| (k.as_str(), activity(*k)))
            .collect()),
        buying_roles: all(BuyingRole::ALL
            .iter()
            .map(|r| (r.as_str(), buying_role(*r)))
            .collect()),
        buying_stages: all(BuyingStage::ALL
            .iter()
            .map(|s| (s.as_str(), buying_stage(*s)))
            .collect()),
        channels: CHANNELS.iter().map(|c| label(c, &humanize(c))).collect(),
        reason_uses: all(ReasonUse::ALL
            .iter()
            .map(|u| (u.as_str(), reason_use(*u)))
            .collect()),
        fit_fields: FitField::ALL
            .iter()
            .map(|f| label(&codes::of(f), fit_field(*f)))
            .collect(),
        fit_ops: FitOp::ALL
            .iter()
            .map(|o| label(&codes::of(o), fit_op(*o)))
            .collect(),
        sides: [Side::Marketing, Side::Sales]
            .iter()
            .map(|s| label(s.as_str(), side(*s)))
            .collect(),
        roles: [Role::Manager, Role::Rep, Role::Ops]
            .iter()
            .map(|r| label(r.as_str(), role(*r)))
            .collect(),
        awaiting: Awaiting::ALL
            .iter()
            .map(|a| label(&codes::of(a), awaiting(*a)))
            .collect(),
        sources: sources(conn).await?,
        event_needs: EventKind::ALL
            .iter()
            .map(|k| EventNeeds {
                event: *k,
                reason: crate::handoffs::rules::reason_use(*k),
                channel: crate::handoffs::rules::needs_channel(*k),
            })
            .collect(),
    })
}

mod codes {
    /// The code a value serialises to (its snake_case name).
    pub fn of<T: serde::Serialize>(v: &T) -> String {
        serde_json::to_value(v)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }
}

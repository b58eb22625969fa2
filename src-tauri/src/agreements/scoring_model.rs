//! The lead-scoring model both sides agree on: fit rules on contact and account fields,
//! behaviour rules on activity with a half-life, and the MQL threshold.
use serde::{Deserialize, Serialize};
use specta::Type;

/// Bounds a scoring model is proposed within. A score is a sum of a few dozen rules; a
/// thousand points per rule and a threshold of a hundred thousand are far beyond any real
/// model, and keep every sum far from overflowing.
pub const MAX_POINTS: i32 = 1000;
pub const MAX_THRESHOLD: u32 = 100_000;
pub const MAX_RULES: usize = 200;
/// Ten years: a longer half-life is no decay at all.
pub const MAX_HALF_LIFE_DAYS: u32 = 3650;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    PageVisit,
    Download,
    Webinar,
    EmailClick,
    Event,
    Form,
    /// A member sent the contact a content asset (logged by Playbook, signed by them).
    ContentSent,
}

impl ActivityKind {
    pub const ALL: [ActivityKind; 7] = [
        ActivityKind::PageVisit,
        ActivityKind::Download,
        ActivityKind::Webinar,
        ActivityKind::EmailClick,
        ActivityKind::Event,
        ActivityKind::Form,
        ActivityKind::ContentSent,
    ];
    /// What a contact does, as marketing automation records it (imports, generated data).
    pub const BEHAVIOUR: [ActivityKind; 6] = [
        ActivityKind::PageVisit,
        ActivityKind::Download,
        ActivityKind::Webinar,
        ActivityKind::EmailClick,
        ActivityKind::Event,
        ActivityKind::Form,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ActivityKind::PageVisit => "page_visit",
            ActivityKind::Download => "download",
            ActivityKind::Webinar => "webinar",
            ActivityKind::EmailClick => "email_click",
            ActivityKind::Event => "event",
            ActivityKind::Form => "form",
            ActivityKind::ContentSent => "content_sent",
        }
    }
    /// Parses the kind, accepting the usual spellings of marketing-automation exports.
    pub fn parse(text: &str) -> Option<ActivityKind> {
        let t: String = text
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        Some(match t.as_str() {
            "pagevisit" | "visit" | "webpagevisit" | "visitwebpage" | "pageview" => {
                ActivityKind::PageVisit
            }
            "download" | "contentdownload" | "asset" | "filedownload" => ActivityKind::Download,
            "webinar" | "webinarattended" | "attendedwebinar" => ActivityKind::Webinar,
            "emailclick" | "clickemail" | "clicklink" | "emailclicked" | "emailopen" => {
                ActivityKind::EmailClick
            }
            "event" | "tradeshow" | "eventattended" | "meeting" => ActivityKind::Event,
            "form" | "formfill" | "formsubmission" | "fillform" | "fillsoutform"
            | "filloutform" => ActivityKind::Form,
            "contentsent" | "contentsend" | "sentcontent" => ActivityKind::ContentSent,
            _ => return None,
        })
    }
}

/// Which contact or account field a fit rule looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum FitField {
    Title,
    Industry,
    Employees,
    Country,
    SourceChannel,
    BuyingRole,
    EmailDomain,
    Budget,
    Authority,
    Need,
    Timeline,
}

impl FitField {
    pub const ALL: [FitField; 11] = [
        FitField::Title,
        FitField::Industry,
        FitField::Employees,
        FitField::Country,
        FitField::SourceChannel,
        FitField::BuyingRole,
        FitField::EmailDomain,
        FitField::Budget,
        FitField::Authority,
        FitField::Need,
        FitField::Timeline,
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum FitOp {
    /// Equal, ignoring case; `value` may list alternatives separated by `|`.
    Equals,
    /// Contains, ignoring case; `value` may list alternatives separated by `|`.
    Contains,
    AtLeast,
    AtMost,
    /// The field is known (for BANT: marked known; otherwise: not empty).
    IsKnown,
}

impl FitOp {
    pub const ALL: [FitOp; 5] = [
        FitOp::Equals,
        FitOp::Contains,
        FitOp::AtLeast,
        FitOp::AtMost,
        FitOp::IsKnown,
    ];
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct FitRule {
    pub label: String,
    pub field: FitField,
    pub op: FitOp,
    #[serde(default)]
    pub value: String,
    pub points: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct BehaviourRule {
    pub label: String,
    pub activity: ActivityKind,
    /// Points for one such activity today.
    pub points: i32,
    /// After this many days an activity counts half; 0 for no decay.
    pub half_life_days: u32,
    /// A cap on what this rule can give in total.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_points: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ScoringBody {
    /// A contact whose score reaches this is ready for the MQL handover.
    pub mql_threshold: u32,
    #[serde(default)]
    pub fit_rules: Vec<FitRule>,
    #[serde(default)]
    pub behaviour_rules: Vec<BehaviourRule>,
}

impl ScoringBody {
    pub fn fields(&self) -> Vec<(&'static str, String)> {
        let fit = self
            .fit_rules
            .iter()
            .map(|r| {
                let value = if r.op == FitOp::IsKnown {
                    String::new()
                } else {
                    format!(" {}", r.value.replace('|', " or "))
                };
                format!(
                    "{}: {} {}{value} → {:+}",
                    r.label,
                    crate::labels::fit_field(r.field),
                    crate::labels::fit_op(r.op),
                    r.points
                )
            })
            .collect::<Vec<_>>()
            .join("\n");
        let behaviour = self
            .behaviour_rules
            .iter()
            .map(|r| {
                let cap = r
                    .max_points
                    .map(|m| format!(", at most {m}"))
                    .unwrap_or_default();
                let decay = match r.half_life_days {
                    0 => "never fades".to_string(),
                    d => format!("halves every {d} days"),
                };
                format!(
                    "{}: {} → {:+} each, {decay}{cap}",
                    r.label,
                    crate::labels::activity(r.activity),
                    r.points,
                )
            })
            .collect::<Vec<_>>()
            .join("\n");
        vec![
            ("MQL threshold", self.mql_threshold.to_string()),
            ("Fit rules", fit),
            ("Behaviour rules", behaviour),
        ]
    }
}

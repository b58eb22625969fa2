//! The playbook itself: agreement items (lifecycle stages, glossary terms, reasons, the
//! scoring model, SLAs and the business calendar) whose
//! immutable versions move draft → proposed → agreed once a manager of each side signs off.
pub mod check;
pub mod diff;
pub mod file;
pub mod ops;
pub mod records;
pub mod rules;
pub mod scoring_model;
pub mod sla_model;
pub mod store;
pub mod taxonomy;
mod toml_errors;

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::error::{AppError, AppResult};
use crate::handoffs::EventKind;
use crate::team::Side;
pub use scoring_model::{ActivityKind, BehaviourRule, FitField, FitOp, FitRule, ScoringBody};
pub use sla_model::{CalendarBody, SlaBody};
pub use taxonomy::{AssetKindBody, BuyingStageBody, PersonaBody, RiskBody};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Type,
)]
#[serde(rename_all = "snake_case")]
pub enum AgreementKind {
    Stage,
    Term,
    Reason,
    Scoring,
    Sla,
    BusinessCalendar,
    BuyingStage,
    Persona,
    Risk,
    AssetKind,
}

impl AgreementKind {
    pub const ALL: [AgreementKind; 10] = [
        AgreementKind::Stage,
        AgreementKind::Term,
        AgreementKind::Reason,
        AgreementKind::Scoring,
        AgreementKind::Sla,
        AgreementKind::BusinessCalendar,
        AgreementKind::BuyingStage,
        AgreementKind::Persona,
        AgreementKind::Risk,
        AgreementKind::AssetKind,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            AgreementKind::Stage => "stage",
            AgreementKind::Term => "term",
            AgreementKind::Reason => "reason",
            AgreementKind::Scoring => "scoring",
            AgreementKind::Sla => "sla",
            AgreementKind::BusinessCalendar => "business_calendar",
            AgreementKind::BuyingStage => "buying_stage",
            AgreementKind::Persona => "persona",
            AgreementKind::Risk => "risk",
            AgreementKind::AssetKind => "asset_kind",
        }
    }

    /// The key an item of this kind gets from a name or a given key: a slug, and for risk
    /// points one qualifier (`competitor:acme`).
    pub fn key_from(self, text: &str) -> String {
        match self {
            AgreementKind::Risk => taxonomy::risk_key(text),
            _ => slug(text),
        }
    }
    pub fn parse(text: &str) -> AppResult<AgreementKind> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == text.trim().to_ascii_lowercase())
            .ok_or_else(|| {
                AppError::invalid(
                    "kind",
                    format!(
                        "kind: '{text}' is not an agreement kind; use one of {}",
                        Self::ALL.map(|k| k.as_str()).join(", ")
                    ),
                )
            })
    }
}

/// Longest text accepted in a definition, criteria, description, summary, comment or note:
/// pages of prose, far below what would slow a screen or a file down.
pub const MAX_TEXT_CHARS: usize = 20_000;
/// Longest name of a playbook item.
pub const MAX_NAME_CHARS: usize = 200;

/// Refuses a text longer than `max` characters, naming the field.
pub fn check_length(field: &str, text: &str, max: usize) -> AppResult<()> {
    let n = text.chars().count();
    if n > max {
        return Err(AppError::invalid(
            field,
            format!("{field}: {n} characters is too long; at most {max}"),
        ));
    }
    Ok(())
}

/// What a buying-process rule may use a reason for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum ReasonUse {
    Reject,
    Recycle,
    Disqualify,
    Lost,
}

impl ReasonUse {
    pub const ALL: [ReasonUse; 4] = [
        ReasonUse::Reject,
        ReasonUse::Recycle,
        ReasonUse::Disqualify,
        ReasonUse::Lost,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonUse::Reject => "reject",
            ReasonUse::Recycle => "recycle",
            ReasonUse::Disqualify => "disqualify",
            ReasonUse::Lost => "lost",
        }
    }
    pub fn parse(text: &str) -> AppResult<ReasonUse> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == text.trim().to_ascii_lowercase())
            .ok_or_else(|| {
                AppError::invalid(
                    "appliesTo",
                    format!("appliesTo: '{text}' is not one of reject, recycle, disqualify, lost"),
                )
            })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct StageBody {
    /// The side that owns a contact while it is in this stage.
    pub side: Side,
    /// Order in the funnel (1 = first).
    pub position: u32,
    pub entry_criteria: String,
    pub exit_criteria: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_days_in_stage: Option<u32>,
    /// Keys of the stages a contact may move to from here.
    #[serde(default)]
    pub allowed_next: Vec<String>,
    /// What may be recorded while a contact is in this stage, by whom, and where it leads:
    /// the stage's behaviour, so no stage key is ever written in code.
    #[serde(default)]
    pub actions: Vec<StageAction>,
}

/// One handoff action a stage allows: the event, the stage it leads to (none: the contact
/// stays), and the side (and, if set, only its managers) who may record it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct StageAction {
    pub event: EventKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    pub by: Side,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub managers_only: bool,
}

impl StageAction {
    /// `accepted → sal (sales)`: how a printout and a diff show it.
    pub fn describe(&self) -> String {
        let who = if self.managers_only {
            format!("{} managers", self.by.as_str())
        } else {
            self.by.as_str().to_string()
        };
        match &self.to {
            Some(to) => format!("{} → {to} ({who})", self.event.as_str()),
            None => format!("{} ({who})", self.event.as_str()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct TermBody {
    pub definition: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ReasonBody {
    pub applies_to: Vec<ReasonUse>,
    pub description: String,
}

/// The content of a version; its `kind` always matches its item's kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AgreementBody {
    Stage(StageBody),
    Term(TermBody),
    Reason(ReasonBody),
    Scoring(ScoringBody),
    Sla(SlaBody),
    BusinessCalendar(CalendarBody),
    BuyingStage(BuyingStageBody),
    Persona(PersonaBody),
    Risk(RiskBody),
    AssetKind(AssetKindBody),
}

impl AgreementBody {
    pub fn kind(&self) -> AgreementKind {
        match self {
            AgreementBody::Stage(_) => AgreementKind::Stage,
            AgreementBody::Term(_) => AgreementKind::Term,
            AgreementBody::Reason(_) => AgreementKind::Reason,
            AgreementBody::Scoring(_) => AgreementKind::Scoring,
            AgreementBody::Sla(_) => AgreementKind::Sla,
            AgreementBody::BusinessCalendar(_) => AgreementKind::BusinessCalendar,
            AgreementBody::BuyingStage(_) => AgreementKind::BuyingStage,
            AgreementBody::Persona(_) => AgreementKind::Persona,
            AgreementBody::Risk(_) => AgreementKind::Risk,
            AgreementBody::AssetKind(_) => AgreementKind::AssetKind,
        }
    }

    /// The body as labelled text fields, in reading order, in people's words: what a diff
    /// and a printout show. `stage_name` names a stage key (its name in force).
    pub fn fields(&self, stage_name: &dyn Fn(&str) -> String) -> Vec<(&'static str, String)> {
        let labels = crate::labels::side;
        match self {
            AgreementBody::Stage(s) => vec![
                ("Owning side", labels(s.side).to_string()),
                ("Position", s.position.to_string()),
                ("Entry criteria", s.entry_criteria.clone()),
                ("Exit criteria", s.exit_criteria.clone()),
                (
                    "Maximum days in stage",
                    s.max_days_in_stage
                        .map(|d| format!("{d} days"))
                        .unwrap_or_else(|| "No limit".into()),
                ),
                (
                    "Allowed next stages",
                    s.allowed_next
                        .iter()
                        .map(|k| stage_name(k))
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                (
                    "Who records what",
                    s.actions
                        .iter()
                        .map(|a| {
                            let who = if a.managers_only {
                                format!("{} managers", labels(a.by))
                            } else {
                                labels(a.by).to_string()
                            };
                            let label = crate::labels::action(a.event);
                            match &a.to {
                                Some(to) => format!("{label} → {} ({who})", stage_name(to)),
                                None => format!("{label} ({who})"),
                            }
                        })
                        .collect::<Vec<_>>()
                        .join("\n"),
                ),
            ],
            AgreementBody::Term(t) => vec![("Definition", t.definition.clone())],
            AgreementBody::Reason(r) => vec![
                (
                    "Used when",
                    r.applies_to
                        .iter()
                        .map(|u| crate::labels::reason_use(*u))
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                ("Description", r.description.clone()),
            ],
            AgreementBody::Scoring(m) => m.fields(),
            AgreementBody::Sla(b) => b.fields(),
            AgreementBody::BusinessCalendar(c) => c.fields(),
            AgreementBody::BuyingStage(b) => b.fields(),
            AgreementBody::Persona(b) => b.fields(),
            AgreementBody::Risk(b) => b.fields(),
            AgreementBody::AssetKind(b) => b.fields(),
        }
    }

    /// Trims text and refuses a body that cannot be agreed on: every problem
    /// [`check::problems`] finds, in one message, the first one's field named.
    pub fn validated(&self) -> AppResult<AgreementBody> {
        let found = check::problems(self);
        if let Some(first) = found.first() {
            let all: Vec<&str> = found.iter().map(|p| p.message.as_str()).collect();
            return Err(AppError::invalid(&first.field, all.join(" ")));
        }
        Ok(match self {
            AgreementBody::Stage(s) => {
                let mut next: Vec<String> = s.allowed_next.iter().map(|k| slug(k)).collect();
                next.retain(|k| !k.is_empty());
                next.dedup();
                let actions = s
                    .actions
                    .iter()
                    .map(|a| StageAction {
                        to: a.to.as_deref().map(slug).filter(|t| !t.is_empty()),
                        ..a.clone()
                    })
                    .collect();
                AgreementBody::Stage(StageBody {
                    side: s.side,
                    position: s.position,
                    entry_criteria: s.entry_criteria.trim().to_string(),
                    exit_criteria: s.exit_criteria.trim().to_string(),
                    max_days_in_stage: s.max_days_in_stage.filter(|d| *d > 0),
                    allowed_next: next,
                    actions,
                })
            }
            AgreementBody::Term(t) => AgreementBody::Term(TermBody {
                definition: t.definition.trim().to_string(),
            }),
            AgreementBody::Reason(r) => {
                let mut uses = r.applies_to.clone();
                uses.dedup();
                AgreementBody::Reason(ReasonBody {
                    applies_to: uses,
                    description: r.description.trim().to_string(),
                })
            }
            AgreementBody::Scoring(m) => AgreementBody::Scoring(m.clone()),
            AgreementBody::BuyingStage(b) => AgreementBody::BuyingStage(b.validated()?),
            AgreementBody::Persona(b) => AgreementBody::Persona(b.validated()?),
            AgreementBody::Risk(b) => AgreementBody::Risk(b.validated()?),
            AgreementBody::AssetKind(b) => AgreementBody::AssetKind(b.validated()?),
            AgreementBody::Sla(b) => AgreementBody::Sla(b.validated()?),
            AgreementBody::BusinessCalendar(c) => AgreementBody::BusinessCalendar(c.validated()?),
        })
    }
}

/// Turns a name into a stable key: lowercase ASCII letters, digits and underscores.
///
/// ```
/// assert_eq!(playbook::agreements::slug("Sales Accepted Lead"), "sales_accepted_lead");
/// assert_eq!(playbook::agreements::slug("  MQL "), "mql");
/// ```
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum VersionStatus {
    /// Written but not (or no longer) proposed: a declined proposal returns here.
    Draft,
    /// Awaiting sign-off by a manager of each side.
    Proposed,
    /// Agreed, taking force at a later time.
    Scheduled,
    InForce,
    Superseded,
    /// Its content or its author's signature does not verify: ignored by every fold.
    Tampered,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(rename_all = "snake_case")]
pub enum SignoffAction {
    Proposed,
    Approved,
    Declined,
    Agreed,
}

/// One entry in a version's life: who proposed, approved or declined it, and whether that
/// signature counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct SignoffEvent {
    pub id: String,
    pub action: SignoffAction,
    pub member_id: Option<String>,
    pub member_name: Option<String>,
    /// The signer's side and role when they signed.
    pub member_side: Option<Side>,
    pub member_role: Option<crate::team::Role>,
    pub comment: String,
    pub at: String,
    /// Why the signature does not count (not signed, does not verify, not a manager then).
    pub problem: Option<String>,
}

impl SignoffEvent {
    pub fn counts(&self) -> bool {
        self.problem.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct AgreementVersion {
    pub id: String,
    pub item_id: String,
    pub kind: AgreementKind,
    pub key: String,
    pub number: u32,
    pub name: String,
    pub body: AgreementBody,
    pub summary: String,
    pub effective_from: Option<String>,
    pub author_id: Option<String>,
    pub author_name: Option<String>,
    pub created_at: String,
    /// The canonical hash the author signed (content, effective time, what it supersedes).
    pub hash: String,
    /// Why the version does not count, when it is tampered.
    pub problem: Option<String>,
    pub status: VersionStatus,
    /// When an agreed version takes (or took) force.
    pub effective_at: Option<String>,
    /// The sides whose manager has still to approve a proposed version.
    pub awaiting: Vec<Side>,
    pub log: Vec<SignoffEvent>,
    /// For the person asking (the window's unlocked member): whether they may sign it now,
    /// and if not, why. The window renders this and keeps no copy of the rules.
    pub you_may_sign: bool,
    pub sign_blocker: Option<String>,
}

impl AgreementVersion {
    /// `stage/mql@2`: how people and the CLI name a version.
    pub fn reference(&self) -> String {
        format!("{}/{}@{}", self.kind.as_str(), self.key, self.number)
    }

    /// `Sales accepted lead v2`: how a screen, an agenda or the minutes name a version.
    pub fn label(&self) -> String {
        format!("{} v{}", self.name, self.number)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct AgreementItem {
    pub id: String,
    pub kind: AgreementKind,
    pub key: String,
    /// The in-force name, or the newest version's while nothing is in force.
    pub name: String,
    pub in_force: Option<AgreementVersion>,
    /// The version awaiting sign-off, if any.
    pub pending: Option<AgreementVersion>,
    /// An agreed version that takes force later (its `effective_at`), if any.
    pub scheduled: Option<AgreementVersion>,
    /// A declined proposal newer than anything in force or pending.
    pub draft: Option<AgreementVersion>,
    /// Every version, newest first.
    pub versions: Vec<AgreementVersion>,
}

/// A proposal of a new version: of an existing item (`item_id`), or of a new item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Proposal {
    pub item_id: Option<String>,
    /// Key for a new item; derived from the name when absent.
    pub key: Option<String>,
    pub name: String,
    pub body: AgreementBody,
    #[serde(default)]
    pub summary: String,
    /// Earliest time (RFC 3339) the version may take force; immediately on agreement if absent.
    pub effective_from: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_stable_keys() {
        assert_eq!(slug("Marketing Qualified Lead"), "marketing_qualified_lead");
        assert_eq!(slug("  SAL--accepted!! "), "sal_accepted");
        assert_eq!(slug("???"), "");
    }

    #[test]
    fn bodies_are_trimmed_and_checked() {
        let empty = AgreementBody::Term(TermBody {
            definition: "   ".into(),
        });
        let err = empty.validated().unwrap_err();
        assert_eq!(err.field.as_deref(), Some("definition"));
        let reason = AgreementBody::Reason(ReasonBody {
            applies_to: vec![],
            description: "x".into(),
        });
        assert_eq!(
            reason.validated().unwrap_err().field.as_deref(),
            Some("appliesTo")
        );
        let stage = AgreementBody::Stage(StageBody {
            side: Side::Sales,
            position: 3,
            entry_criteria: " Accepted by an SDR ".into(),
            exit_criteria: "Qualified".into(),
            max_days_in_stage: Some(0),
            allowed_next: vec!["SQL".into(), "Nurture".into(), "".into()],
            actions: vec![StageAction {
                event: EventKind::Qualified,
                to: Some("SQL".into()),
                by: Side::Sales,
                managers_only: false,
            }],
        });
        let AgreementBody::Stage(s) = stage.validated().unwrap() else {
            panic!("kind changed")
        };
        assert_eq!(s.entry_criteria, "Accepted by an SDR");
        assert_eq!(s.max_days_in_stage, None);
        assert_eq!(s.allowed_next, vec!["sql", "nurture"]);
        assert_eq!(s.actions[0].to.as_deref(), Some("sql"));
        let astray = AgreementBody::Stage(StageBody {
            actions: vec![StageAction {
                event: EventKind::Won,
                to: Some("customer".into()),
                by: Side::Sales,
                managers_only: false,
            }],
            ..s.clone()
        });
        let err = astray.validated().unwrap_err();
        assert_eq!(err.field.as_deref(), Some("actions.0"));
        assert!(err
            .message
            .contains("no longer among the allowed next stages"));
    }
}

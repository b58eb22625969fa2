//! The content taxonomy both sides agree on, as agreement kinds: buying stages, personas,
//! risk points and asset kinds. What a content asset may be tagged with, how a contact is
//! matched to a stage and a persona, and how long an asset of a kind stays fresh all come
//! from the versions in force, never from values written in code.
use serde::{Deserialize, Serialize};
use specta::Type;

use super::slug;
use crate::error::{AppError, AppResult};
use crate::leads::{BuyingRole, BuyingStage};

/// A stage of the buyer's journey that content is written for (awareness, consideration,
/// decision, customer…), and which contacts are in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct BuyingStageBody {
    /// Order in the journey (1 = first); the coverage matrix and the facets follow it.
    pub position: u32,
    pub description: String,
    /// The contact buying stages (as recorded on contacts) that put a contact here.
    #[serde(default)]
    pub contact_stages: Vec<BuyingStage>,
    /// The lifecycle stage keys that put a contact here (say, customers after a win).
    #[serde(default)]
    pub lifecycle_stages: Vec<String>,
}

/// Who content speaks to, and which contacts are that person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct PersonaBody {
    pub description: String,
    /// Contacts with one of these buying roles are this persona.
    #[serde(default)]
    pub buying_roles: Vec<BuyingRole>,
    /// Contacts whose job title contains one of these words are this persona too.
    #[serde(default)]
    pub title_keywords: Vec<String>,
}

/// A risk to a deal that content answers: `competitor:<name>`, `do_nothing`, `budget`…
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct RiskBody {
    pub description: String,
}

/// A kind of asset (whitepaper, battlecard, case study…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct AssetKindBody {
    pub description: String,
    /// How many months an asset of this kind stays current: its default review-by date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_months: Option<u32>,
}

/// The longest review period the taxonomy accepts: five years.
pub const MAX_REVIEW_MONTHS: u32 = 60;

/// Keys of risk points may carry one qualifier: `competitor:<name>`.
///
/// ```
/// use playbook::agreements::taxonomy::risk_key;
/// assert_eq!(risk_key("Competitor: Acme Cloud"), "competitor:acme_cloud");
/// assert_eq!(risk_key("Do nothing"), "do_nothing");
/// assert_eq!(risk_key("competitor:"), "competitor");
/// ```
pub fn risk_key(text: &str) -> String {
    match text.split_once(':') {
        Some((kind, name)) => {
            let (kind, name) = (slug(kind), slug(name));
            match (kind.is_empty(), name.is_empty()) {
                (false, false) => format!("{kind}:{name}"),
                (false, true) => kind,
                _ => name,
            }
        }
        None => slug(text),
    }
}

/// The competitor a risk key names, if it is one (`competitor:acme` → `acme`).
pub fn competitor_of(key: &str) -> Option<&str> {
    key.strip_prefix("competitor:").filter(|n| !n.is_empty())
}

fn required(field: &str, text: &str) -> AppResult<String> {
    let t = text.trim();
    if t.is_empty() {
        Err(AppError::invalid(
            field,
            format!("{field}: must not be empty"),
        ))
    } else {
        Ok(t.to_string())
    }
}

fn dedup<T: PartialEq + Clone>(items: &[T]) -> Vec<T> {
    let mut out: Vec<T> = Vec::with_capacity(items.len());
    for i in items {
        if !out.contains(i) {
            out.push(i.clone());
        }
    }
    out
}

impl BuyingStageBody {
    pub fn validated(&self) -> AppResult<BuyingStageBody> {
        if self.position == 0 {
            return Err(AppError::invalid("position", "position: starts at 1"));
        }
        let mut lifecycle: Vec<String> = self.lifecycle_stages.iter().map(|k| slug(k)).collect();
        lifecycle.retain(|k| !k.is_empty());
        Ok(BuyingStageBody {
            position: self.position,
            description: required("description", &self.description)?,
            contact_stages: dedup(&self.contact_stages),
            lifecycle_stages: dedup(&lifecycle),
        })
    }

    pub fn fields(&self) -> Vec<(&'static str, String)> {
        vec![
            ("Position", self.position.to_string()),
            ("Description", self.description.clone()),
            (
                "Contacts in buying stage",
                self.contact_stages
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            (
                "Contacts in lifecycle stage",
                self.lifecycle_stages.join(", "),
            ),
        ]
    }
}

impl PersonaBody {
    pub fn validated(&self) -> AppResult<PersonaBody> {
        let mut words: Vec<String> = self
            .title_keywords
            .iter()
            .map(|w| w.trim().to_lowercase())
            .collect();
        words.retain(|w| !w.is_empty());
        Ok(PersonaBody {
            description: required("description", &self.description)?,
            buying_roles: dedup(&self.buying_roles),
            title_keywords: dedup(&words),
        })
    }

    pub fn fields(&self) -> Vec<(&'static str, String)> {
        vec![
            ("Description", self.description.clone()),
            (
                "Buying roles",
                self.buying_roles
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            ("Title words", self.title_keywords.join(", ")),
        ]
    }

    /// Whether a contact with this buying role and title is this persona.
    pub fn matches(&self, role: Option<BuyingRole>, title: &str) -> bool {
        if role.is_some_and(|r| self.buying_roles.contains(&r)) {
            return true;
        }
        let title = title.to_lowercase();
        self.title_keywords.iter().any(|w| {
            title
                .split(|c: char| !c.is_alphanumeric())
                .any(|part| part == w)
                || (w.contains(' ') && title.contains(w.as_str()))
        })
    }
}

impl RiskBody {
    pub fn validated(&self) -> AppResult<RiskBody> {
        Ok(RiskBody {
            description: required("description", &self.description)?,
        })
    }

    pub fn fields(&self) -> Vec<(&'static str, String)> {
        vec![("Description", self.description.clone())]
    }
}

impl AssetKindBody {
    pub fn validated(&self) -> AppResult<AssetKindBody> {
        if self.review_months.is_some_and(|m| m > MAX_REVIEW_MONTHS) {
            return Err(AppError::invalid(
                "reviewMonths",
                format!("reviewMonths: at most {MAX_REVIEW_MONTHS} (five years)"),
            ));
        }
        Ok(AssetKindBody {
            description: required("description", &self.description)?,
            review_months: self.review_months.filter(|m| *m > 0),
        })
    }

    pub fn fields(&self) -> Vec<(&'static str, String)> {
        vec![
            ("Description", self.description.clone()),
            (
                "Review every",
                self.review_months
                    .map(|m| format!("{m} months"))
                    .unwrap_or_default(),
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personas_match_by_role_or_title_word() {
        let p = PersonaBody {
            description: "Security and IT".into(),
            buying_roles: vec![BuyingRole::Blocker],
            title_keywords: vec!["security".into(), "it".into(), "chief information".into()],
        }
        .validated()
        .unwrap();
        assert!(p.matches(Some(BuyingRole::Blocker), "Legal Counsel"));
        assert!(p.matches(None, "IT Manager"));
        assert!(p.matches(None, "Chief Information Officer"));
        assert!(
            !p.matches(None, "Head of Digital"),
            "'it' is a word, not any substring"
        );
    }

    #[test]
    fn risk_keys_keep_one_qualifier() {
        assert_eq!(risk_key("competitor:Acme"), "competitor:acme");
        assert_eq!(risk_key(" Budget "), "budget");
        assert_eq!(competitor_of("competitor:acme"), Some("acme"));
        assert_eq!(competitor_of("budget"), None);
    }

    #[test]
    fn bodies_refuse_what_cannot_be_agreed() {
        let stage = BuyingStageBody {
            position: 0,
            description: "x".into(),
            contact_stages: vec![],
            lifecycle_stages: vec![],
        };
        assert_eq!(
            stage.validated().unwrap_err().field.as_deref(),
            Some("position")
        );
        let kind = AssetKindBody {
            description: "Battlecard".into(),
            review_months: Some(600),
        };
        assert_eq!(
            kind.validated().unwrap_err().field.as_deref(),
            Some("reviewMonths")
        );
    }
}

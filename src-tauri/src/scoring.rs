//! Scores a contact by the agreed model, always with its explanation: which rule gave how
//! many points. Behaviour points halve every `half_life_days`.
use chrono::{DateTime, Utc};
use serde::Serialize;
use specta::Type;

use crate::agreements::{ActivityKind, FitField, FitOp, FitRule, ScoringBody};

/// What the fit rules can look at.
#[derive(Debug, Clone, Default)]
pub struct Profile {
    pub title: String,
    pub industry: String,
    pub employees: Option<i64>,
    pub country: String,
    pub source_channel: String,
    pub buying_role: String,
    pub email: String,
    /// Budget, authority, need, timeline: known or not.
    pub bant: [bool; 4],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum ScorePart {
    Fit,
    Behaviour,
}

#[derive(Debug, Clone, PartialEq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ScoreLine {
    pub rule: String,
    pub part: ScorePart,
    pub points: i32,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ScoreExplanation {
    pub total: i32,
    pub threshold: u32,
    pub reaches_mql: bool,
    /// The model version used, e.g. `scoring/default@2`; empty when no model is agreed.
    pub model: String,
    pub lines: Vec<ScoreLine>,
}

fn alternatives(value: &str) -> impl Iterator<Item = String> + '_ {
    value
        .split('|')
        .map(|v| v.trim().to_lowercase())
        .filter(|v| !v.is_empty())
}

fn fit_matches(rule: &FitRule, p: &Profile) -> bool {
    let text = |s: &str| s.trim().to_lowercase();
    let value = match rule.field {
        FitField::Title => text(&p.title),
        FitField::Industry => text(&p.industry),
        FitField::Country => text(&p.country),
        FitField::SourceChannel => text(&p.source_channel),
        FitField::BuyingRole => text(&p.buying_role),
        FitField::EmailDomain => text(p.email.rsplit_once('@').map_or("", |(_, d)| d)),
        FitField::Employees => p.employees.map(|e| e.to_string()).unwrap_or_default(),
        FitField::Budget | FitField::Authority | FitField::Need | FitField::Timeline => {
            let i = match rule.field {
                FitField::Budget => 0,
                FitField::Authority => 1,
                FitField::Need => 2,
                _ => 3,
            };
            return match rule.op {
                FitOp::IsKnown => p.bant[i],
                _ => false,
            };
        }
    };
    match rule.op {
        FitOp::IsKnown => !value.is_empty(),
        FitOp::Equals => alternatives(&rule.value).any(|a| a == value),
        FitOp::Contains => {
            !value.is_empty() && alternatives(&rule.value).any(|a| value.contains(&a))
        }
        FitOp::AtLeast | FitOp::AtMost => {
            let (Ok(have), Ok(want)) = (value.parse::<f64>(), rule.value.trim().parse::<f64>())
            else {
                return false;
            };
            if rule.op == FitOp::AtLeast {
                have >= want
            } else {
                have <= want
            }
        }
    }
}

/// Scores a profile and its activities at `now`.
///
/// ```
/// use chrono::{Duration, Utc};
/// use playbook::agreements::{ActivityKind, BehaviourRule, ScoringBody};
/// use playbook::scoring::{explain, Profile};
/// let model = ScoringBody {
///     mql_threshold: 10,
///     fit_rules: vec![],
///     behaviour_rules: vec![BehaviourRule {
///         label: "Webinar".into(), activity: ActivityKind::Webinar,
///         points: 20, half_life_days: 30, max_points: None,
///     }],
/// };
/// let now = Utc::now();
/// let month_ago = now - Duration::days(30);
/// let s = explain(&model, "scoring/default@1", &Profile::default(), &[(ActivityKind::Webinar, month_ago)], now);
/// assert_eq!(s.total, 10); // half of 20 after one half-life
/// assert!(s.reaches_mql);
/// ```
/// The points a profile earns from the fit rules alone, without the explanation: what an
/// import needs for 100k contacts (a score is fit plus behaviour).
pub fn fit_points(model: &ScoringBody, profile: &Profile) -> i32 {
    model
        .fit_rules
        .iter()
        .filter(|r| fit_matches(r, profile))
        .fold(0i32, |sum, r| sum.saturating_add(r.points))
}

pub fn explain(
    model: &ScoringBody,
    model_ref: &str,
    profile: &Profile,
    activities: &[(ActivityKind, DateTime<Utc>)],
    now: DateTime<Utc>,
) -> ScoreExplanation {
    let mut lines = Vec::new();
    for rule in &model.fit_rules {
        if fit_matches(rule, profile) {
            lines.push(ScoreLine {
                rule: rule.label.clone(),
                part: ScorePart::Fit,
                points: rule.points,
                detail: String::new(),
            });
        }
    }
    for rule in &model.behaviour_rules {
        let mut sum = 0.0;
        let mut count = 0;
        for (kind, at) in activities {
            if *kind != rule.activity || *at > now {
                continue;
            }
            count += 1;
            let age_days = (now - *at).num_seconds() as f64 / 86_400.0;
            let decay = if rule.half_life_days == 0 {
                1.0
            } else {
                0.5f64.powf(age_days / rule.half_life_days as f64)
            };
            sum += f64::from(rule.points) * decay;
        }
        if count == 0 {
            continue;
        }
        // Saturating: a model stored before the bounds (or arriving from elsewhere) can
        // never overflow, however many activities a contact has.
        let mut points = sum.round().clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i32;
        let mut detail = format!(
            "{count} × {}",
            crate::labels::activity(rule.activity).to_lowercase()
        );
        if let Some(cap) = rule.max_points {
            if points > cap {
                points = cap;
                detail.push_str(&format!(", capped at {cap}"));
            }
        }
        if points != 0 {
            lines.push(ScoreLine {
                rule: rule.label.clone(),
                part: ScorePart::Behaviour,
                points,
                detail,
            });
        }
    }
    let total = lines
        .iter()
        .fold(0i32, |sum, l| sum.saturating_add(l.points));
    ScoreExplanation {
        total,
        threshold: model.mql_threshold,
        reaches_mql: i64::from(total) >= i64::from(model.mql_threshold),
        model: model_ref.to_string(),
        lines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agreements::BehaviourRule;
    use chrono::Duration;

    fn model() -> ScoringBody {
        ScoringBody {
            mql_threshold: 50,
            fit_rules: vec![
                FitRule {
                    label: "Senior title".into(),
                    field: FitField::Title,
                    op: FitOp::Contains,
                    value: "vp|head|director".into(),
                    points: 20,
                },
                FitRule {
                    label: "50+ employees".into(),
                    field: FitField::Employees,
                    op: FitOp::AtLeast,
                    value: "50".into(),
                    points: 15,
                },
                FitRule {
                    label: "Target industry".into(),
                    field: FitField::Industry,
                    op: FitOp::Equals,
                    value: "Software|Manufacturing".into(),
                    points: 10,
                },
                FitRule {
                    label: "Need known".into(),
                    field: FitField::Need,
                    op: FitOp::IsKnown,
                    value: String::new(),
                    points: 10,
                },
                FitRule {
                    label: "Free mail".into(),
                    field: FitField::EmailDomain,
                    op: FitOp::Equals,
                    value: "gmail.com".into(),
                    points: -25,
                },
            ],
            behaviour_rules: vec![BehaviourRule {
                label: "Page visits".into(),
                activity: ActivityKind::PageVisit,
                points: 3,
                half_life_days: 0,
                max_points: Some(10),
            }],
        }
    }

    #[test]
    fn every_point_is_explained() {
        let p = Profile {
            title: "Head of Revenue Operations".into(),
            industry: "software".into(),
            employees: Some(240),
            email: "ann@gmail.com".into(),
            bant: [false, false, true, false],
            ..Profile::default()
        };
        let now = Utc::now();
        let visits: Vec<_> = (0..5)
            .map(|i| (ActivityKind::PageVisit, now - Duration::days(i)))
            .collect();
        let s = explain(&model(), "scoring/default@1", &p, &visits, now);
        let rules: Vec<_> = s
            .lines
            .iter()
            .map(|l| (l.rule.as_str(), l.points))
            .collect();
        assert_eq!(
            rules,
            vec![
                ("Senior title", 20),
                ("50+ employees", 15),
                ("Target industry", 10),
                ("Need known", 10),
                ("Free mail", -25),
                ("Page visits", 10)
            ]
        );
        assert_eq!(s.total, 40);
        assert!(!s.reaches_mql);
        assert!(s.lines[5].detail.contains("capped at 10"));
    }

    #[test]
    fn unknown_numbers_do_not_match_numeric_rules() {
        let s = explain(&model(), "m", &Profile::default(), &[], Utc::now());
        assert!(s.lines.is_empty());
        assert_eq!(s.total, 0);
    }
}

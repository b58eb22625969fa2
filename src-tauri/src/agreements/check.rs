//! Everything wrong with a proposed body, at once and in people's words ("Entry criteria:
//! say what must be true for a lead to enter this stage"), each tied to the field it is
//! about so the window can show it there. `AgreementBody::validated` refuses a body with
//! any of these problems.
use serde::Serialize;
use specta::Type;

use super::scoring_model::{MAX_HALF_LIFE_DAYS, MAX_POINTS, MAX_RULES, MAX_THRESHOLD};
use super::{slug, AgreementBody, FitOp, MAX_NAME_CHARS, MAX_TEXT_CHARS};

/// One thing to fix: the field (as the window names it, `fitRules.2.value`) and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    pub field: String,
    pub message: String,
}

fn problem(field: impl Into<String>, message: impl Into<String>) -> Problem {
    Problem {
        field: field.into(),
        message: message.into(),
    }
}

/// A text longer than `max` characters: "Definition: 20001 characters is too long; at most 20000."
fn too_long(out: &mut Vec<Problem>, field: String, label: &str, text: &str, max: usize) {
    let n = text.trim().chars().count();
    if n > max {
        out.push(problem(
            field,
            format!("{label}: {n} characters is too long; at most {max}."),
        ));
    }
}

fn as_problem(e: crate::error::AppError) -> Problem {
    problem(e.field.unwrap_or_else(|| "rule".into()), e.message)
}

/// The problems of a body, in the order its form shows the fields.
pub fn problems(body: &AgreementBody) -> Vec<Problem> {
    let mut out = Vec::new();
    let blank = |t: &str| t.trim().is_empty();
    for (field, label, text) in long_texts(body) {
        too_long(&mut out, field, &label, text, MAX_TEXT_CHARS);
    }
    match body {
        AgreementBody::Stage(s) => {
            if s.position == 0 {
                out.push(problem("position", "Position in the funnel: starts at 1."));
            }
            if blank(&s.entry_criteria) {
                out.push(problem(
                    "entryCriteria",
                    "Entry criteria: say what must be true for a lead to enter this stage.",
                ));
            }
            if blank(&s.exit_criteria) {
                out.push(problem(
                    "exitCriteria",
                    "Exit criteria: say what must happen for a lead to leave this stage.",
                ));
            }
            let next: Vec<String> = s.allowed_next.iter().map(|k| slug(k)).collect();
            let mut seen = Vec::new();
            for (i, a) in s.actions.iter().enumerate() {
                if let Some(to) = a.to.as_deref().map(slug).filter(|t| !t.is_empty()) {
                    if !next.contains(&to) {
                        out.push(problem(
                            format!("actions.{i}"),
                            format!(
                                "“{}” leads to a stage that is no longer among the allowed next stages; allow that stage again or drop the action.",
                                crate::labels::action(a.event)
                            ),
                        ));
                    }
                }
                if seen.contains(&a.event) {
                    out.push(problem(
                        format!("actions.{i}"),
                        format!("“{}” is listed twice.", crate::labels::action(a.event)),
                    ));
                }
                seen.push(a.event);
            }
        }
        AgreementBody::Term(t) => {
            if blank(&t.definition) {
                out.push(problem(
                    "definition",
                    "Definition: say what the term means, in words both teams use.",
                ));
            }
        }
        AgreementBody::Reason(r) => {
            if r.applies_to.is_empty() {
                out.push(problem(
                    "appliesTo",
                    "Used when: tick at least one — rejecting a lead, recycling it, disqualifying it or losing a deal.",
                ));
            }
            if blank(&r.description) {
                out.push(problem(
                    "description",
                    "Description: say when this reason applies, so both sides choose it the same way.",
                ));
            }
        }
        AgreementBody::Scoring(m) => {
            if m.mql_threshold == 0 || m.mql_threshold > MAX_THRESHOLD {
                out.push(problem(
                    "mqlThreshold",
                    format!("MQL threshold: a number of points from 1 to {MAX_THRESHOLD}."),
                ));
            }
            if m.fit_rules.len() + m.behaviour_rules.len() > MAX_RULES {
                out.push(problem(
                    "fitRules",
                    format!("A scoring model has at most {MAX_RULES} rules."),
                ));
            }
            let points = |out: &mut Vec<Problem>, field: String, rule: String, p: i32| {
                if !(-MAX_POINTS..=MAX_POINTS).contains(&p) {
                    out.push(problem(
                        field,
                        format!("{rule}: points from -{MAX_POINTS} to {MAX_POINTS}."),
                    ));
                }
            };
            for (i, r) in m.fit_rules.iter().enumerate() {
                let n = i + 1;
                too_long(
                    &mut out,
                    format!("fitRules.{i}.label"),
                    &format!("Fit rule {n}'s name"),
                    &r.label,
                    MAX_NAME_CHARS,
                );
                if blank(&r.label) {
                    out.push(problem(
                        format!("fitRules.{i}.label"),
                        format!("Fit rule {n}: give it a name people will recognise in a score's explanation."),
                    ));
                }
                points(
                    &mut out,
                    format!("fitRules.{i}.points"),
                    format!("Fit rule {n}"),
                    r.points,
                );
                match r.op {
                    FitOp::AtLeast | FitOp::AtMost if r.value.trim().parse::<f64>().is_err() => {
                        out.push(problem(
                            format!("fitRules.{i}.value"),
                            format!(
                                "Fit rule {n}: “{}” compares a number; “{}” is not one.",
                                crate::labels::fit_op(r.op),
                                r.value.trim()
                            ),
                        ));
                    }
                    FitOp::Equals | FitOp::Contains if blank(&r.value) => {
                        out.push(problem(
                            format!("fitRules.{i}.value"),
                            format!("Fit rule {n}: give the value the field is compared with (several: separate them with |)."),
                        ));
                    }
                    _ => {}
                }
            }
            for (i, r) in m.behaviour_rules.iter().enumerate() {
                let n = i + 1;
                too_long(
                    &mut out,
                    format!("behaviourRules.{i}.label"),
                    &format!("Behaviour rule {n}'s name"),
                    &r.label,
                    MAX_NAME_CHARS,
                );
                if blank(&r.label) {
                    out.push(problem(
                        format!("behaviourRules.{i}.label"),
                        format!("Behaviour rule {n}: give it a name people will recognise in a score's explanation."),
                    ));
                }
                points(
                    &mut out,
                    format!("behaviourRules.{i}.points"),
                    format!("Behaviour rule {n}"),
                    r.points,
                );
                if r.max_points
                    .is_some_and(|c| !(0..=MAX_POINTS * 10).contains(&c))
                {
                    out.push(problem(
                        format!("behaviourRules.{i}.maxPoints"),
                        format!(
                            "Behaviour rule {n}: a cap from 0 to {} points, or none.",
                            MAX_POINTS * 10
                        ),
                    ));
                }
                if r.half_life_days > MAX_HALF_LIFE_DAYS {
                    out.push(problem(
                        format!("behaviourRules.{i}.halfLifeDays"),
                        format!("Behaviour rule {n}: points halve after at most {MAX_HALF_LIFE_DAYS} days (0: they never fade)."),
                    ));
                }
            }
        }
        // SLAs and calendars check themselves (their rules need the time zone database and
        // the rule's own shape); their first problem is shown at its field.
        AgreementBody::Sla(b) => out.extend(b.validated().err().map(as_problem)),
        AgreementBody::BusinessCalendar(c) => out.extend(c.validated().err().map(as_problem)),
        AgreementBody::BuyingStage(b) => out.extend(b.validated().err().map(as_problem)),
        AgreementBody::Persona(b) => out.extend(b.validated().err().map(as_problem)),
        AgreementBody::Risk(b) => out.extend(b.validated().err().map(as_problem)),
        AgreementBody::AssetKind(b) => out.extend(b.validated().err().map(as_problem)),
    }
    out
}

/// The prose fields of a body, each with its field and label: bounded by `MAX_TEXT_CHARS`.
fn long_texts(body: &AgreementBody) -> Vec<(String, String, &str)> {
    let f = |field: &str, label: &str| (field.to_string(), label.to_string());
    let mut out = Vec::new();
    let mut push = |(field, label): (String, String), text| out.push((field, label, text));
    match body {
        AgreementBody::Stage(s) => {
            push(
                f("entryCriteria", "Entry criteria"),
                s.entry_criteria.as_str(),
            );
            push(f("exitCriteria", "Exit criteria"), s.exit_criteria.as_str());
        }
        AgreementBody::Term(t) => push(f("definition", "Definition"), t.definition.as_str()),
        AgreementBody::Reason(r) => push(f("description", "Description"), r.description.as_str()),
        AgreementBody::Scoring(m) => {
            for (i, r) in m.fit_rules.iter().enumerate() {
                push(
                    (
                        format!("fitRules.{i}.value"),
                        format!("Fit rule {}'s value", i + 1),
                    ),
                    r.value.as_str(),
                );
            }
        }
        AgreementBody::Sla(b) => push(f("description", "Description"), b.description.as_str()),
        AgreementBody::BuyingStage(b) => {
            push(f("description", "Description"), b.description.as_str())
        }
        AgreementBody::Persona(b) => push(f("description", "Description"), b.description.as_str()),
        AgreementBody::Risk(b) => push(f("description", "Description"), b.description.as_str()),
        AgreementBody::AssetKind(b) => {
            push(f("description", "Description"), b.description.as_str())
        }
        AgreementBody::BusinessCalendar(_) => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agreements::{ReasonBody, StageBody, TermBody};
    use crate::team::Side;

    #[test]
    fn every_problem_at_once_in_words_people_use() {
        let stage = AgreementBody::Stage(StageBody {
            side: Side::Sales,
            position: 0,
            entry_criteria: " ".into(),
            exit_criteria: String::new(),
            max_days_in_stage: None,
            allowed_next: vec![],
            actions: vec![],
        });
        let p = problems(&stage);
        let fields: Vec<&str> = p.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["position", "entryCriteria", "exitCriteria"]);
        assert!(p.iter().all(|p| !p.message.contains("entryCriteria")));
        let reason = AgreementBody::Reason(ReasonBody {
            applies_to: vec![],
            description: String::new(),
        });
        assert_eq!(problems(&reason).len(), 2);
        let term = AgreementBody::Term(TermBody {
            definition: "A person".into(),
        });
        assert!(problems(&term).is_empty());
        let long = AgreementBody::Term(TermBody {
            definition: "x".repeat(MAX_TEXT_CHARS + 1),
        });
        let p = problems(&long);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].field, "definition");
        assert_eq!(
            p[0].message,
            "Definition: 20001 characters is too long; at most 20000."
        );
    }
}

//! Service levels both sides agree on: an SLA names its owning side, the business calendar
//! it counts in, and a typed rule whose measure is written in event kinds and stage keys
//! (never in code), so teams that rename or redefine stages keep their SLAs working. The
//! business calendar is an IANA zone, working weekdays, working hours and holidays.
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use specta::Type;

use super::slug;
use crate::business_time::{self, Calendar};
use crate::error::{AppError, AppResult};
use crate::handoffs::EventKind;
use crate::team::Side;

/// Far beyond any SLA people agree on (about five working years of hours), and small
/// enough that every deadline stays a short search.
pub const MAX_SPAN: u32 = 10_000;
pub const MAX_HOLIDAYS: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum BusinessUnit {
    Hours,
    Days,
}

/// An amount of business time: `8 hours`, `5 days` (a business day is the calendar's daily
/// working time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct BusinessSpan {
    pub amount: u32,
    pub unit: BusinessUnit,
}

impl BusinessSpan {
    pub fn describe(&self) -> String {
        let unit = match (self.unit, self.amount) {
            (BusinessUnit::Hours, 1) => "business hour",
            (BusinessUnit::Hours, _) => "business hours",
            (BusinessUnit::Days, 1) => "business day",
            (BusinessUnit::Days, _) => "business days",
        };
        format!("{} {unit}", self.amount)
    }

    /// The span as working time (ms) under `calendar`.
    pub fn ms(&self, calendar: &Calendar) -> i64 {
        match self.unit {
            BusinessUnit::Hours => i64::from(self.amount) * business_time::HOUR_MS,
            BusinessUnit::Days => i64::from(self.amount) * calendar.day_ms(),
        }
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Type,
)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Week,
    Month,
    Quarter,
}

impl Period {
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Week => "week",
            Period::Month => "month",
            Period::Quarter => "quarter",
        }
    }
}

/// The kinds of rule an SLA can be.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Type,
)]
#[serde(rename_all = "snake_case")]
pub enum SlaKind {
    ResponseTime,
    FirstTouch,
    AttemptsBeforeRecycle,
    ReasonRequired,
    Volume,
    MaxTimeInStage,
    ConversionRate,
}

impl SlaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SlaKind::ResponseTime => "response_time",
            SlaKind::FirstTouch => "first_touch",
            SlaKind::AttemptsBeforeRecycle => "attempts_before_recycle",
            SlaKind::ReasonRequired => "reason_required",
            SlaKind::Volume => "volume",
            SlaKind::MaxTimeInStage => "max_time_in_stage",
            SlaKind::ConversionRate => "conversion_rate",
        }
    }
}

/// What an SLA measures, in the playbook's own terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SlaRule {
    /// From each `start` event to the first of the `done` events, within `within`.
    ResponseTime {
        start: EventKind,
        done: Vec<EventKind>,
        within: BusinessSpan,
    },
    /// From each `start` event to the first of the `done` events (the first touch), within
    /// `within`.
    FirstTouch {
        start: EventKind,
        done: Vec<EventKind>,
        within: BusinessSpan,
    },
    /// Every `ending` event after a `counting_from` event comes after at least `at_least`
    /// `attempt` events since it.
    #[serde(rename_all = "camelCase")]
    AttemptsBeforeRecycle {
        counting_from: EventKind,
        attempt: EventKind,
        ending: Vec<EventKind>,
        at_least: u32,
    },
    /// Every one of these events carries an agreed reason (and, if asked, a note).
    #[serde(rename_all = "camelCase")]
    ReasonRequired {
        events: Vec<EventKind>,
        #[serde(default)]
        note_required: bool,
    },
    /// At least `at_least` `event`s per period.
    #[serde(rename_all = "camelCase")]
    Volume {
        event: EventKind,
        at_least: u32,
        per: Period,
    },
    /// No stay in `stage` lasts longer than `within`.
    MaxTimeInStage { stage: String, within: BusinessSpan },
    /// Of the `start` events in a period, at least `at_least_percent` are followed by one of
    /// the `reached` events or by the contact entering `reached_stage`.
    #[serde(rename_all = "camelCase")]
    ConversionRate {
        start: EventKind,
        #[serde(default)]
        reached: Vec<EventKind>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reached_stage: Option<String>,
        at_least_percent: u32,
        per: Period,
    },
}

impl SlaRule {
    pub fn kind(&self) -> SlaKind {
        match self {
            SlaRule::ResponseTime { .. } => SlaKind::ResponseTime,
            SlaRule::FirstTouch { .. } => SlaKind::FirstTouch,
            SlaRule::AttemptsBeforeRecycle { .. } => SlaKind::AttemptsBeforeRecycle,
            SlaRule::ReasonRequired { .. } => SlaKind::ReasonRequired,
            SlaRule::Volume { .. } => SlaKind::Volume,
            SlaRule::MaxTimeInStage { .. } => SlaKind::MaxTimeInStage,
            SlaRule::ConversionRate { .. } => SlaKind::ConversionRate,
        }
    }

    /// Sets the rule's number: hours or days, attempts, count per period or percent.
    pub fn set_target(&mut self, n: u32) {
        match self {
            SlaRule::ResponseTime { within, .. }
            | SlaRule::FirstTouch { within, .. }
            | SlaRule::MaxTimeInStage { within, .. } => within.amount = n,
            SlaRule::AttemptsBeforeRecycle { at_least, .. } | SlaRule::Volume { at_least, .. } => {
                *at_least = n
            }
            SlaRule::ConversionRate {
                at_least_percent, ..
            } => *at_least_percent = n,
            SlaRule::ReasonRequired { .. } => {}
        }
    }

    /// The target in words: `8 business hours`, `at least 40 per month`.
    pub fn target(&self) -> String {
        match self {
            SlaRule::ResponseTime { within, .. }
            | SlaRule::FirstTouch { within, .. }
            | SlaRule::MaxTimeInStage { within, .. } => within.describe(),
            SlaRule::AttemptsBeforeRecycle { at_least, .. } => {
                format!("at least {at_least} attempts")
            }
            SlaRule::ReasonRequired { note_required, .. } => if *note_required {
                "an agreed reason and a note, every time"
            } else {
                "an agreed reason, every time"
            }
            .into(),
            SlaRule::Volume { at_least, per, .. } => {
                format!("at least {at_least} per {}", per.as_str())
            }
            SlaRule::ConversionRate {
                at_least_percent,
                per,
                ..
            } => format!("at least {at_least_percent}% per {}", per.as_str()),
        }
    }

    /// The rule in a sentence, as a diff and a printout show it.
    pub fn describe(&self) -> String {
        // Events by the words people read ("handed over"), never their codes.
        let ev = |k: EventKind| crate::labels::event(k).to_lowercase();
        let list = |kinds: &[EventKind]| {
            kinds
                .iter()
                .map(|k| ev(*k))
                .collect::<Vec<_>>()
                .join(" or ")
        };
        match self {
            SlaRule::ResponseTime {
                start,
                done,
                within,
            }
            | SlaRule::FirstTouch {
                start,
                done,
                within,
            } => format!(
                "from each {} to the first {} within {}",
                ev(*start),
                list(done),
                within.describe()
            ),
            SlaRule::AttemptsBeforeRecycle {
                counting_from,
                attempt,
                ending,
                at_least,
            } => format!(
                "no {} after {} before at least {at_least} {}s",
                list(ending),
                ev(*counting_from),
                ev(*attempt)
            ),
            SlaRule::ReasonRequired {
                events,
                note_required,
            } => format!(
                "every {} carries an agreed reason{}",
                list(events),
                if *note_required { " and a note" } else { "" }
            ),
            SlaRule::Volume {
                event,
                at_least,
                per,
            } => format!("at least {at_least} {} per {}", ev(*event), per.as_str()),
            SlaRule::MaxTimeInStage { stage, within } => {
                format!("no stay in {stage} longer than {}", within.describe())
            }
            SlaRule::ConversionRate {
                start,
                reached,
                reached_stage,
                at_least_percent,
                per,
            } => {
                let mut goal = list(reached);
                if let Some(stage) = reached_stage {
                    if !goal.is_empty() {
                        goal.push_str(" or ");
                    }
                    goal.push_str(&format!("reaching {stage}"));
                }
                format!(
                    "at least {at_least_percent}% of {} followed by {goal}, per {}",
                    ev(*start),
                    per.as_str()
                )
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct SlaBody {
    /// The side that owes it.
    pub owner: Side,
    /// Key of the business calendar it counts in.
    pub calendar: String,
    pub rule: SlaRule,
    /// Why the teams agreed it, in their words.
    #[serde(default)]
    pub description: String,
}

impl SlaBody {
    pub fn fields(&self) -> Vec<(&'static str, String)> {
        vec![
            ("Owning side", self.owner.as_str().to_string()),
            ("Rule", self.rule.kind().as_str().to_string()),
            ("Measure", self.rule.describe()),
            ("Target", self.rule.target()),
            ("Business calendar", self.calendar.clone()),
            ("Description", self.description.clone()),
        ]
    }

    pub fn validated(&self) -> AppResult<SlaBody> {
        let invalid = |field: &str, message: String| Err(AppError::invalid(field, message));
        let calendar = slug(&self.calendar);
        if calendar.is_empty() {
            return invalid(
                "calendar",
                "calendar: name the business calendar the SLA counts in".into(),
            );
        }
        let span = |s: &BusinessSpan| -> AppResult<()> {
            if s.amount == 0 || s.amount > MAX_SPAN {
                return Err(AppError::invalid(
                    "within",
                    format!("target: the time allowed is between 1 and {MAX_SPAN} business hours or days"),
                ));
            }
            Ok(())
        };
        let events = |field: &str, kinds: &[EventKind]| -> AppResult<Vec<EventKind>> {
            let mut out: Vec<EventKind> = vec![];
            for k in kinds {
                if !out.contains(k) {
                    out.push(*k);
                }
            }
            if out.is_empty() {
                return Err(AppError::invalid(
                    field,
                    format!("{field}: name at least one event"),
                ));
            }
            Ok(out)
        };
        let rule = match &self.rule {
            SlaRule::ResponseTime {
                start,
                done,
                within,
            } => {
                span(within)?;
                let done = events("done", done)?;
                if done.contains(start) {
                    return invalid(
                        "done",
                        format!(
                            "done: '{}' starts the clock; it cannot also stop it",
                            start.as_str()
                        ),
                    );
                }
                SlaRule::ResponseTime {
                    start: *start,
                    done,
                    within: *within,
                }
            }
            SlaRule::FirstTouch {
                start,
                done,
                within,
            } => {
                span(within)?;
                let done = events("done", done)?;
                if done.contains(start) {
                    return invalid(
                        "done",
                        format!(
                            "done: '{}' starts the clock; it cannot also stop it",
                            start.as_str()
                        ),
                    );
                }
                SlaRule::FirstTouch {
                    start: *start,
                    done,
                    within: *within,
                }
            }
            SlaRule::AttemptsBeforeRecycle {
                counting_from,
                attempt,
                ending,
                at_least,
            } => {
                let ending = events("ending", ending)?;
                if *at_least == 0 || *at_least > 1000 {
                    return invalid(
                        "atLeast",
                        "target: the attempts required are between 1 and 1000".into(),
                    );
                }
                if ending.contains(attempt) || ending.contains(counting_from) {
                    return invalid(
                        "ending",
                        "ending: the events that end a cycle must differ from the attempt and from what starts the count".into(),
                    );
                }
                SlaRule::AttemptsBeforeRecycle {
                    counting_from: *counting_from,
                    attempt: *attempt,
                    ending,
                    at_least: *at_least,
                }
            }
            SlaRule::ReasonRequired {
                events: kinds,
                note_required,
            } => {
                let kinds = events("events", kinds)?;
                if let Some(k) = kinds
                    .iter()
                    .find(|k| crate::handoffs::rules::reason_use(**k).is_none())
                {
                    return invalid(
                        "events",
                        format!("events: '{}' never carries a reason; use rejected, recycled, disqualified or lost", k.as_str()),
                    );
                }
                SlaRule::ReasonRequired {
                    events: kinds,
                    note_required: *note_required,
                }
            }
            SlaRule::Volume {
                event,
                at_least,
                per,
            } => {
                if *at_least == 0 || *at_least > 1_000_000 {
                    return invalid(
                        "atLeast",
                        "target: the volume is between 1 and 1,000,000".into(),
                    );
                }
                SlaRule::Volume {
                    event: *event,
                    at_least: *at_least,
                    per: *per,
                }
            }
            SlaRule::MaxTimeInStage { stage, within } => {
                span(within)?;
                let stage = slug(stage);
                if stage.is_empty() {
                    return invalid("stage", "stage: name the stage (its key)".into());
                }
                SlaRule::MaxTimeInStage {
                    stage,
                    within: *within,
                }
            }
            SlaRule::ConversionRate {
                start,
                reached,
                reached_stage,
                at_least_percent,
                per,
            } => {
                let mut goal: Vec<EventKind> = vec![];
                for k in reached {
                    if !goal.contains(k) {
                        goal.push(*k);
                    }
                }
                let stage = reached_stage.as_deref().map(slug).filter(|s| !s.is_empty());
                if goal.is_empty() && stage.is_none() {
                    return invalid(
                        "reached",
                        "reached: name the events (or the stage) that count as converted".into(),
                    );
                }
                if goal.contains(start) {
                    return invalid(
                        "reached",
                        format!(
                            "reached: '{}' starts the count; it cannot also end it",
                            start.as_str()
                        ),
                    );
                }
                if *at_least_percent == 0 || *at_least_percent > 100 {
                    return invalid(
                        "atLeastPercent",
                        "target: the percentage is between 1 and 100".into(),
                    );
                }
                SlaRule::ConversionRate {
                    start: *start,
                    reached: goal,
                    reached_stage: stage,
                    at_least_percent: *at_least_percent,
                    per: *per,
                }
            }
        };
        Ok(SlaBody {
            owner: self.owner,
            calendar,
            rule,
            description: self.description.trim().to_string(),
        })
    }

    /// The stage keys the rule names (checked against the playbook when proposed).
    pub fn stages(&self) -> Vec<&str> {
        match &self.rule {
            SlaRule::MaxTimeInStage { stage, .. } => vec![stage.as_str()],
            SlaRule::ConversionRate {
                reached_stage: Some(s),
                ..
            } => vec![s.as_str()],
            _ => vec![],
        }
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Type,
)]
#[serde(rename_all = "snake_case")]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Weekday {
    pub const ALL: [Weekday; 7] = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
        Weekday::Saturday,
        Weekday::Sunday,
    ];
    pub fn short(self) -> &'static str {
        ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][self as usize]
    }
}

/// One interval of working hours, local wall-clock time (`09:00` to `17:30`; `24:00` is
/// the end of the day).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct WorkingHours {
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Holiday {
    /// `YYYY-MM-DD`, in the calendar's zone.
    pub date: String,
    #[serde(default)]
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct CalendarBody {
    /// An IANA time zone, e.g. `Europe/Berlin`.
    pub time_zone: String,
    pub working_days: Vec<Weekday>,
    pub hours: Vec<WorkingHours>,
    #[serde(default)]
    pub holidays: Vec<Holiday>,
}

impl CalendarBody {
    pub fn fields(&self) -> Vec<(&'static str, String)> {
        vec![
            ("Time zone", self.time_zone.clone()),
            (
                "Working days",
                self.working_days
                    .iter()
                    .map(|d| d.short())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            (
                "Working hours",
                self.hours
                    .iter()
                    .map(|h| format!("{}–{}", h.from, h.to))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            (
                "Holidays",
                self.holidays
                    .iter()
                    .map(|h| {
                        if h.name.is_empty() {
                            h.date.clone()
                        } else {
                            format!("{} {}", h.date, h.name)
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
        ]
    }

    /// The calendar ready for arithmetic, or a refusal that names the field.
    pub fn calendar(&self) -> AppResult<Calendar> {
        let mut weekdays = [false; 7];
        for d in &self.working_days {
            weekdays[*d as usize] = true;
        }
        let mut hours = Vec::with_capacity(self.hours.len());
        for (i, h) in self.hours.iter().enumerate() {
            let parse = |t: &str| {
                business_time::parse_clock(t).ok_or_else(|| {
                    AppError::invalid(
                        "hours",
                        format!(
                            "hours[{}]: '{t}' is not a time such as 09:00 or 17:30",
                            i + 1
                        ),
                    )
                })
            };
            hours.push((parse(&h.from)?, parse(&h.to)?));
        }
        let mut dates = Vec::with_capacity(self.holidays.len());
        for (i, h) in self.holidays.iter().enumerate() {
            dates.push(
                NaiveDate::parse_from_str(h.date.trim(), "%Y-%m-%d").map_err(|_| {
                    AppError::invalid(
                        "holidays",
                        format!(
                            "holidays[{}]: '{}' is not a date such as 2026-12-25",
                            i + 1,
                            h.date
                        ),
                    )
                })?,
            );
        }
        let field = if self.working_days.is_empty() {
            "workingDays"
        } else if self.time_zone.trim().parse::<chrono_tz::Tz>().is_err() {
            "timeZone"
        } else {
            "hours"
        };
        Calendar::new(&self.time_zone, weekdays, &hours, dates)
            .map_err(|m| AppError::invalid(field, format!("{field}: {m}")))
    }

    pub fn validated(&self) -> AppResult<CalendarBody> {
        if self.holidays.len() > MAX_HOLIDAYS {
            return Err(AppError::invalid(
                "holidays",
                format!("holidays: at most {MAX_HOLIDAYS}"),
            ));
        }
        self.calendar()?;
        let mut days = self.working_days.clone();
        days.sort();
        days.dedup();
        let mut holidays: Vec<Holiday> = self
            .holidays
            .iter()
            .map(|h| Holiday {
                date: h.date.trim().to_string(),
                name: h.name.trim().to_string(),
            })
            .collect();
        holidays.sort_by(|a, b| a.date.cmp(&b.date));
        holidays.dedup_by(|a, b| a.date == b.date);
        Ok(CalendarBody {
            time_zone: self.time_zone.trim().to_string(),
            working_days: days,
            hours: self
                .hours
                .iter()
                .map(|h| WorkingHours {
                    from: h.from.trim().to_string(),
                    to: h.to.trim().to_string(),
                })
                .collect(),
            holidays,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response() -> SlaBody {
        SlaBody {
            owner: Side::Sales,
            calendar: "Office Hours".into(),
            rule: SlaRule::ResponseTime {
                start: EventKind::HandedOver,
                done: vec![
                    EventKind::Accepted,
                    EventKind::Rejected,
                    EventKind::Accepted,
                ],
                within: BusinessSpan {
                    amount: 8,
                    unit: BusinessUnit::Hours,
                },
            },
            description: "  Sales answers every MQL ".into(),
        }
    }

    #[test]
    fn slas_are_trimmed_and_checked_with_named_fields() {
        let ok = response().validated().unwrap();
        assert_eq!(ok.calendar, "office_hours");
        assert_eq!(ok.description, "Sales answers every MQL");
        let SlaRule::ResponseTime { done, .. } = &ok.rule else {
            panic!("kind changed")
        };
        assert_eq!(done.len(), 2, "duplicates dropped");
        assert_eq!(ok.rule.target(), "8 business hours");

        let zero = SlaBody {
            rule: SlaRule::ResponseTime {
                start: EventKind::HandedOver,
                done: vec![EventKind::Accepted],
                within: BusinessSpan {
                    amount: 0,
                    unit: BusinessUnit::Hours,
                },
            },
            ..response()
        };
        assert_eq!(
            zero.validated().unwrap_err().field.as_deref(),
            Some("within")
        );
        let reason = SlaBody {
            rule: SlaRule::ReasonRequired {
                events: vec![EventKind::Attempt],
                note_required: false,
            },
            ..response()
        };
        let err = reason.validated().unwrap_err();
        assert!(
            err.message.contains("never carries a reason"),
            "{}",
            err.message
        );
        let rate = SlaBody {
            rule: SlaRule::ConversionRate {
                start: EventKind::HandedOver,
                reached: vec![],
                reached_stage: None,
                at_least_percent: 60,
                per: Period::Quarter,
            },
            ..response()
        };
        assert_eq!(
            rate.validated().unwrap_err().field.as_deref(),
            Some("reached")
        );
    }

    #[test]
    fn calendars_name_the_field_they_refuse() {
        let cal = CalendarBody {
            time_zone: "Europe/Berlin".into(),
            working_days: vec![Weekday::Friday, Weekday::Monday, Weekday::Monday],
            hours: vec![WorkingHours {
                from: "09:00".into(),
                to: "17:00".into(),
            }],
            holidays: vec![Holiday {
                date: "2026-12-25".into(),
                name: "Christmas Day".into(),
            }],
        };
        assert_eq!(
            cal.validated().unwrap().working_days,
            vec![Weekday::Monday, Weekday::Friday]
        );
        let zone = CalendarBody {
            time_zone: "Europe/Atlantis".into(),
            ..cal.clone()
        };
        assert_eq!(
            zone.validated().unwrap_err().field.as_deref(),
            Some("timeZone")
        );
        let hours = CalendarBody {
            hours: vec![WorkingHours {
                from: "17:00".into(),
                to: "09:00".into(),
            }],
            ..cal.clone()
        };
        assert_eq!(
            hours.validated().unwrap_err().field.as_deref(),
            Some("hours")
        );
        let date = CalendarBody {
            holidays: vec![Holiday {
                date: "25.12.2026".into(),
                name: String::new(),
            }],
            ..cal
        };
        let err = date.validated().unwrap_err();
        assert_eq!(err.field.as_deref(), Some("holidays"));
        assert!(err.message.contains("2026-12-25"));
    }
}

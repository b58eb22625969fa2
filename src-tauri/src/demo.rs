//! The demo workspace: a plausible B2B software company's team and its first agreed
//! playbook (SLAs and their business calendar included), with some history and one
//! proposal awaiting sign-off.
use chrono::{DateTime, Duration, Utc};

use crate::agreements::sla_model::{
    BusinessSpan, BusinessUnit, Holiday, Period, SlaRule, Weekday, WorkingHours,
};
use crate::agreements::{
    store, ActivityKind, AgreementBody, BehaviourRule, CalendarBody, FitField, FitOp, FitRule,
    Proposal, ReasonBody, ReasonUse, ScoringBody, SignoffAction, SlaBody, StageAction, StageBody,
    TermBody,
};
use crate::db::Conn;
use crate::error::{AppError, AppResult};
use crate::handoffs::EventKind;
use crate::team::{self, NewMember, Role, Side};
use crate::trust::keys::{self, DEMO_PASSPHRASE};
use crate::trust::Signer;

/// The demo's marketing ops member, who signs its bulk writes.
pub const OPS: &str = "tom.lindqvist@larkspur.example";

const TEAM: &[(&str, &str, Side, Role)] = &[
    (
        "Maya Okafor",
        "maya.okafor@larkspur.example",
        Side::Marketing,
        Role::Manager,
    ),
    (
        "Tom Lindqvist",
        "tom.lindqvist@larkspur.example",
        Side::Marketing,
        Role::Ops,
    ),
    (
        "Priya Raman",
        "priya.raman@larkspur.example",
        Side::Marketing,
        Role::Rep,
    ),
    (
        "Daniel Brooks",
        "daniel.brooks@larkspur.example",
        Side::Sales,
        Role::Manager,
    ),
    (
        "Sofia Marín",
        "sofia.marin@larkspur.example",
        Side::Sales,
        Role::Rep,
    ),
    (
        "Lukas Weber",
        "lukas.weber@larkspur.example",
        Side::Sales,
        Role::Rep,
    ),
    (
        "Hannah Cole",
        "hannah.cole@larkspur.example",
        Side::Sales,
        Role::Ops,
    ),
];

type StageDef = (
    &'static str,
    &'static str,
    Side,
    u32,
    &'static str,
    &'static str,
    Option<u32>,
    &'static [&'static str],
);

const STAGES: &[StageDef] = &[
    ("inquiry", "Inquiry", Side::Marketing, 1,
     "A person has raised a hand: filled in a form, downloaded gated content, registered for a webinar or was scanned at an event.",
     "Marketing has enriched the record (company, role, country) and the lead score has been calculated.",
     Some(14), &["mql", "nurture", "disqualified"]),
    ("mql", "Marketing Qualified Lead", Side::Marketing, 2,
     "Lead score of at least 50, a business email address, and a company in a target industry with 50 or more employees.",
     "Handed over to sales development with the activity history and the reason it qualified.",
     Some(2), &["sal", "nurture", "disqualified"]),
    ("sal", "Sales Accepted Lead", Side::Sales, 3,
     "A sales development rep has reviewed the handed-over lead and accepted it as worth working.",
     "A conversation has taken place and BANT has been checked, or the lead is rejected or recycled with an agreed reason.",
     Some(10), &["sql", "nurture", "disqualified"]),
    ("sql", "Sales Qualified Lead", Side::Sales, 4,
     "Need and timeline confirmed in a conversation; the contact has authority or a path to the decision maker; budget is known or being planned.",
     "A discovery meeting with an account executive is booked and an opportunity is opened.",
     Some(21), &["opportunity", "nurture", "disqualified"]),
    ("opportunity", "Opportunity", Side::Sales, 5,
     "An account executive has run discovery and opened an opportunity with an amount and close date.",
     "The deal is won or lost, with a reason for a loss.",
     Some(90), &["customer", "nurture"]),
    ("customer", "Customer", Side::Sales, 6,
     "A contract is signed.",
     "Customers stay customers; expansion is tracked as new opportunities.",
     None, &[]),
    ("nurture", "Nurture", Side::Marketing, 7,
     "Recycled by sales with an agreed reason, or not yet ready to buy.",
     "Re-engages strongly enough to reach the MQL threshold again.",
     None, &["mql", "disqualified"]),
    ("disqualified", "Disqualified", Side::Marketing, 8,
     "Cannot become a customer: outside the ideal customer profile, invalid data, a student, a competitor.",
     "Only reopened by a manager when new facts appear.",
     None, &["inquiry"]),
];

const TERMS: &[(&str, &str, &str)] = &[
    ("lead", "Lead", "A person (not a company) who has shown interest in Larkspur and whom marketing or sales may contact. Every lead is a contact at an account."),
    ("contact", "Contact", "A person at an account, whatever the stage. The contact is what is scored, handed over and tracked."),
    ("account", "Account", "A company we sell to. Its contacts form the buying team."),
    ("prospect", "Prospect", "An account that fits our ideal customer profile and that sales is actively working; used for accounts, never for single people."),
    ("mql", "MQL", "Marketing Qualified Lead: a lead that meets the agreed MQL entry criteria and is handed over to sales development."),
    ("sal", "SAL", "Sales Accepted Lead: an MQL that a sales development rep has accepted within the agreed response time."),
    ("sql", "SQL", "Sales Qualified Lead: a lead with a confirmed need and timeline, ready for an account executive's discovery meeting."),
    ("opportunity", "Opportunity", "A qualified buying project at an account, with an amount, a close date and an owner in sales."),
    ("recycle", "Recycle", "Sending a lead back to marketing nurture with an agreed reason, because it is not ready now but may be later."),
    ("buying_team", "Buying team", "The four to fifteen people at an account who take part in a purchase: decision maker, economic buyer, champion, influencers, users, gatekeepers."),
    ("lead_score", "Lead score", "Points for fit (who the person and company are) and behaviour (what they did recently), per the agreed scoring model. It always comes with its explanation."),
    ("handover", "Handover", "The moment marketing passes an MQL to sales. Sales owes a response within the agreed SLA: accept, or reject with a reason."),
];

const REASONS: &[(&str, &str, &[ReasonUse], &str)] = &[
    ("wrong_person", "Wrong person", &[ReasonUse::Reject, ReasonUse::Recycle],
     "The contact has no role in buying decisions for our category; ask for a referral to the right person."),
    ("no_budget", "No budget", &[ReasonUse::Reject, ReasonUse::Recycle, ReasonUse::Lost],
     "No budget this fiscal year and none being planned."),
    ("bad_timing", "Timing", &[ReasonUse::Reject, ReasonUse::Recycle, ReasonUse::Lost],
     "The project is more than six months away; nurture until it comes closer."),
    ("existing_customer", "Already a customer", &[ReasonUse::Reject],
     "The account is a customer; route to account management instead."),
    ("duplicate", "Duplicate", &[ReasonUse::Reject],
     "The person is already being worked as another lead or contact."),
    ("invalid_data", "Invalid contact data", &[ReasonUse::Reject, ReasonUse::Disqualify],
     "The email bounces or the phone number does not exist."),
    ("no_response", "No response", &[ReasonUse::Recycle],
     "No reply after the agreed number of attempts across phone and email."),
    ("outside_icp", "Outside our ideal customer profile", &[ReasonUse::Disqualify],
     "Company too small, wrong industry, or a region we do not serve."),
    ("student_or_job_seeker", "Student or job seeker", &[ReasonUse::Disqualify],
     "Downloaded content for study or a job search, not to buy."),
    ("competitor_chosen", "Chose a competitor", &[ReasonUse::Lost],
     "The buying team selected another vendor; record which one in the note."),
    ("do_nothing", "Decided to do nothing", &[ReasonUse::Lost, ReasonUse::Recycle],
     "The buying team kept the status quo."),
];

/// What each stage allows, to whom, and where it leads (stage, event, to, side, managers only).
type ActionDef = (&'static str, EventKind, Option<&'static str>, Side, bool);

const ACTIONS: &[ActionDef] = &[
    (
        "inquiry",
        EventKind::HandedOver,
        Some("mql"),
        Side::Marketing,
        false,
    ),
    (
        "inquiry",
        EventKind::Recycled,
        Some("nurture"),
        Side::Marketing,
        false,
    ),
    (
        "inquiry",
        EventKind::Disqualified,
        Some("disqualified"),
        Side::Marketing,
        false,
    ),
    // A handed-over MQL waits for sales' response, and only that.
    ("mql", EventKind::Accepted, Some("sal"), Side::Sales, false),
    (
        "mql",
        EventKind::Rejected,
        Some("nurture"),
        Side::Sales,
        false,
    ),
    (
        "mql",
        EventKind::Disqualified,
        Some("disqualified"),
        Side::Sales,
        false,
    ),
    ("sal", EventKind::Attempt, None, Side::Sales, false),
    ("sal", EventKind::Connected, None, Side::Sales, false),
    ("sal", EventKind::Qualified, Some("sql"), Side::Sales, false),
    (
        "sal",
        EventKind::Recycled,
        Some("nurture"),
        Side::Sales,
        false,
    ),
    (
        "sal",
        EventKind::Disqualified,
        Some("disqualified"),
        Side::Sales,
        false,
    ),
    ("sql", EventKind::Attempt, None, Side::Sales, false),
    ("sql", EventKind::Connected, None, Side::Sales, false),
    (
        "sql",
        EventKind::Converted,
        Some("opportunity"),
        Side::Sales,
        false,
    ),
    (
        "sql",
        EventKind::Recycled,
        Some("nurture"),
        Side::Sales,
        false,
    ),
    (
        "sql",
        EventKind::Disqualified,
        Some("disqualified"),
        Side::Sales,
        false,
    ),
    (
        "opportunity",
        EventKind::Won,
        Some("customer"),
        Side::Sales,
        false,
    ),
    (
        "opportunity",
        EventKind::Lost,
        Some("nurture"),
        Side::Sales,
        false,
    ),
    (
        "nurture",
        EventKind::HandedOver,
        Some("mql"),
        Side::Marketing,
        false,
    ),
    ("nurture", EventKind::Disputed, None, Side::Marketing, false),
    // Sales' managers decide a dispute of their team's rejection.
    ("nurture", EventKind::DisputeUpheld, None, Side::Sales, true),
    (
        "nurture",
        EventKind::DisputeOverturned,
        Some("mql"),
        Side::Sales,
        true,
    ),
    (
        "nurture",
        EventKind::Disqualified,
        Some("disqualified"),
        Side::Marketing,
        false,
    ),
    (
        "disqualified",
        EventKind::Reopened,
        Some("inquiry"),
        Side::Marketing,
        true,
    ),
];

fn actions_of(stage: &str) -> Vec<StageAction> {
    ACTIONS
        .iter()
        .filter(|a| a.0 == stage)
        .map(|(_, event, to, by, managers_only)| StageAction {
            event: *event,
            to: to.map(str::to_string),
            by: *by,
            managers_only: *managers_only,
        })
        .collect()
}

/// Creates the demo workspace in an empty database: Maya founds it, adds the team (every
/// key sealed under [`DEMO_PASSPHRASE`]), and the first playbook is signed by Maya and
/// Daniel. Refuses a database that already has a team, so nothing anyone entered is ever
/// mixed with demo data.
pub async fn create(conn: &mut Conn, now: DateTime<Utc>) -> AppResult<()> {
    if team::store::has_members(&mut *conn).await? {
        return Err(AppError::conflict(
            "this data directory already has a team; the demo workspace goes into an empty one",
        ));
    }
    // The demo stays home: sync never pushes a workspace that holds it.
    sqlx::query("INSERT OR REPLACE INTO sync_state (key, value) VALUES ('demo', 'true')")
        .execute(&mut *conn)
        .await?;
    let start = now - Duration::days(75);
    let mut signers = Vec::new();
    for (i, (name, email, side, role)) in TEAM.iter().enumerate() {
        let m = NewMember {
            email: email.to_string(),
            name: name.to_string(),
            side: *side,
            role: *role,
        };
        let at = start + Duration::seconds(i as i64);
        let signer = match signers.first() {
            None => {
                team::store::found(&mut *conn, &m, DEMO_PASSPHRASE, at)
                    .await?
                    .1
            }
            Some(founder) => {
                let (key, envelope) = keys::generate(DEMO_PASSPHRASE)?;
                let added = team::store::add_with_key(
                    &mut *conn,
                    &m,
                    &keys::public_hex(&key),
                    &envelope,
                    founder,
                    at,
                )
                .await?;
                Signer::new(added.id, key)
            }
        };
        signers.push(signer);
    }
    let (maya, tom, daniel) = (&signers[0], &signers[1], &signers[3]);
    let stage_keys: Vec<String> = STAGES.iter().map(|s| s.0.to_string()).collect();

    let mut at = start + Duration::hours(1);
    let mut agree = |body: AgreementBody, key: &str, name: &str| {
        at += Duration::minutes(3);
        (
            Proposal {
                item_id: None,
                key: Some(key.to_string()),
                name: name.to_string(),
                body,
                summary: "First version agreed at the kick-off alignment meeting.".into(),
                effective_from: None,
            },
            at,
        )
    };
    let mut first = Vec::new();
    for (key, name, side, position, entry, exit, max_days, next) in STAGES {
        let body = AgreementBody::Stage(StageBody {
            side: *side,
            position: *position,
            entry_criteria: entry.to_string(),
            exit_criteria: exit.to_string(),
            max_days_in_stage: *max_days,
            allowed_next: next.iter().map(|s| s.to_string()).collect(),
            actions: actions_of(key),
        });
        first.push(agree(body, key, name));
    }
    for (key, name, definition) in TERMS {
        first.push(agree(
            AgreementBody::Term(TermBody {
                definition: definition.to_string(),
            }),
            key,
            name,
        ));
    }
    for (key, name, uses, description) in REASONS {
        let body = AgreementBody::Reason(ReasonBody {
            applies_to: uses.to_vec(),
            description: description.to_string(),
        });
        first.push(agree(body, key, name));
    }
    first.push(agree(
        AgreementBody::Scoring(scoring_model()),
        "default",
        "Lead scoring model",
    ));
    first.push(agree(
        AgreementBody::BusinessCalendar(office_hours()),
        "office_hours",
        "Office hours (Berlin)",
    ));
    for (key, name, body) in slas() {
        first.push(agree(AgreementBody::Sla(body), key, name));
    }
    let mut index = store::ItemIndex::load(&mut *conn, None, start).await?;
    for (proposal, at) in first {
        let v = store::propose_in(&mut *conn, &mut index, &proposal, maya, at, &stage_keys).await?;
        let hash = v.hash.clone().unwrap_or_default();
        for (signer, minutes) in [(maya, 1), (daniel, 2)] {
            let s = store::signed_signoff(
                &v.id,
                &hash,
                SignoffAction::Approved,
                signer,
                "",
                at + Duration::minutes(minutes),
            );
            store::insert_signoff(&mut *conn, &s).await?;
        }
    }

    // Six weeks later sales asked for a stricter MQL; both sides agreed.
    let mql = store::resolve_item(&mut *conn, "stage/mql", now).await?;
    let Some(AgreementBody::Stage(mut stricter)) = mql.in_force.map(|v| v.body) else {
        return Err(AppError::not_found("demo: the MQL stage is missing"));
    };
    stricter.entry_criteria = "Lead score of at least 60, a business email address, a company in a target industry with 50 or more employees, and at least one behaviour signal in the last 30 days.".into();
    let revised = Proposal {
        item_id: Some(mql.id.clone()),
        key: None,
        name: "Marketing Qualified Lead".into(),
        body: AgreementBody::Stage(stricter),
        summary: "Sales rejected 41% of MQLs last quarter as 'not ready'; require recent behaviour and a higher score.".into(),
        effective_from: None,
    };
    let t = now - Duration::days(30);
    let v = store::propose(&mut *conn, &revised, daniel, t).await?;
    store::approve(&mut *conn, &v.id, daniel, "", t + Duration::hours(1)).await?;
    store::approve(
        &mut *conn,
        &v.id,
        maya,
        "Agreed, with a review of the reject rate in the next meeting.",
        t + Duration::hours(20),
    )
    .await?;

    // And one proposal waits for sales: a shorter time in SAL.
    let sal = store::resolve_item(&mut *conn, "stage/sal", now).await?;
    let Some(AgreementBody::Stage(mut faster)) = sal.in_force.map(|v| v.body) else {
        return Err(AppError::not_found("demo: the SAL stage is missing"));
    };
    faster.max_days_in_stage = Some(7);
    let proposal = Proposal {
        item_id: Some(sal.id),
        key: None,
        name: "Sales Accepted Lead".into(),
        body: AgreementBody::Stage(faster),
        summary:
            "Accepted leads that wait ten days go cold; ask for a first conversation within a week."
                .into(),
        effective_from: None,
    };
    let t = now - Duration::days(2);
    let v = store::propose(&mut *conn, &proposal, maya, t).await?;
    store::approve(&mut *conn, &v.id, maya, "", t + Duration::minutes(5)).await?;

    // Leads: accounts with buying teams and their histories, brought in by marketing ops.
    crate::generator::generate(conn, 240, 7, now, tom).await?;
    Ok(())
}

/// The calendar the demo's SLAs count in: Berlin office hours, Monday to Friday, with
/// the public holidays of 2026 and 2027.
fn office_hours() -> CalendarBody {
    let holidays = [
        ("2026-01-01", "New Year's Day"),
        ("2026-04-03", "Good Friday"),
        ("2026-04-06", "Easter Monday"),
        ("2026-05-01", "Labour Day"),
        ("2026-05-14", "Ascension Day"),
        ("2026-05-25", "Whit Monday"),
        ("2026-10-03", "German Unity Day"),
        ("2026-12-24", "Christmas Eve"),
        ("2026-12-25", "Christmas Day"),
        ("2026-12-26", "Boxing Day"),
        ("2026-12-31", "New Year's Eve"),
        ("2027-01-01", "New Year's Day"),
        ("2027-03-26", "Good Friday"),
        ("2027-03-29", "Easter Monday"),
        ("2027-05-01", "Labour Day"),
        ("2027-05-06", "Ascension Day"),
        ("2027-05-17", "Whit Monday"),
        ("2027-10-03", "German Unity Day"),
        ("2027-12-24", "Christmas Eve"),
        ("2027-12-25", "Christmas Day"),
        ("2027-12-26", "Boxing Day"),
    ];
    CalendarBody {
        time_zone: "Europe/Berlin".into(),
        working_days: Weekday::ALL[..5].to_vec(),
        hours: vec![WorkingHours {
            from: "09:00".into(),
            to: "17:00".into(),
        }],
        holidays: holidays
            .iter()
            .map(|(date, name)| Holiday {
                date: date.to_string(),
                name: name.to_string(),
            })
            .collect(),
    }
}

/// The service levels agreed at the kick-off: what sales owes marketing for every lead
/// handed over, and what marketing owes sales in volume and quality.
fn slas() -> Vec<(&'static str, &'static str, SlaBody)> {
    let hours = |amount| BusinessSpan {
        amount,
        unit: BusinessUnit::Hours,
    };
    let sla = |owner, rule, description: &str| SlaBody {
        owner,
        calendar: "office_hours".into(),
        rule,
        description: description.into(),
    };
    vec![
        ("mql_response", "MQL response time", sla(Side::Sales, SlaRule::ResponseTime {
            start: EventKind::HandedOver,
            done: vec![EventKind::Accepted, EventKind::Rejected],
            within: hours(8),
        }, "Sales accepts or rejects every handed-over MQL within 8 business hours.")),
        ("first_touch", "First touch", sla(Side::Sales, SlaRule::FirstTouch {
            start: EventKind::Accepted,
            done: vec![EventKind::Attempt],
            within: hours(4),
        }, "The first call or email within 4 business hours of accepting a lead.")),
        ("attempts_before_recycle", "Attempts before recycling", sla(Side::Sales, SlaRule::AttemptsBeforeRecycle {
            counting_from: EventKind::Accepted,
            attempt: EventKind::Attempt,
            ending: vec![EventKind::Recycled, EventKind::Disqualified],
            at_least: 5,
        }, "No accepted lead goes back to nurture or out before five attempts across phone and email.")),
        ("rejection_reasons", "Reasons for rejections", sla(Side::Sales, SlaRule::ReasonRequired {
            events: vec![EventKind::Rejected],
            note_required: true,
        }, "Every rejection carries an agreed reason and a note marketing can learn from.")),
        ("sal_time_in_stage", "Time as SAL", sla(Side::Sales, SlaRule::MaxTimeInStage {
            stage: "sal".into(),
            within: BusinessSpan {
                amount: 10,
                unit: BusinessUnit::Days,
            },
        }, "An accepted lead is qualified, recycled or disqualified within ten business days.")),
        ("mql_volume", "MQL volume", sla(Side::Marketing, SlaRule::Volume {
            event: EventKind::HandedOver,
            at_least: 12,
            per: Period::Month,
        }, "Marketing hands over at least 12 MQLs a month (the plan for this territory).")),
        ("mql_acceptance", "MQL acceptance rate", sla(Side::Marketing, SlaRule::ConversionRate {
            start: EventKind::HandedOver,
            reached: vec![EventKind::Accepted],
            reached_stage: None,
            at_least_percent: 60,
            per: Period::Quarter,
        }, "At least 60% of handed-over leads are accepted by sales, per quarter.")),
    ]
}

fn scoring_model() -> ScoringBody {
    let fit = |label: &str, field, op, value: &str, points| FitRule {
        label: label.into(),
        field,
        op,
        value: value.into(),
        points,
    };
    let behaviour = |label: &str, activity, points, half_life_days, max_points| BehaviourRule {
        label: label.into(),
        activity,
        points,
        half_life_days,
        max_points: Some(max_points),
    };
    ScoringBody {
        mql_threshold: 60,
        fit_rules: vec![
            fit(
                "Senior title",
                FitField::Title,
                FitOp::Contains,
                "vp|head|director|chief|cfo|cro",
                20,
            ),
            fit(
                "Company of 50+ employees",
                FitField::Employees,
                FitOp::AtLeast,
                "50",
                15,
            ),
            fit(
                "Target industry",
                FitField::Industry,
                FitOp::Equals,
                "Software|Manufacturing|Financial Services|Logistics",
                10,
            ),
            fit("Need confirmed", FitField::Need, FitOp::IsKnown, "", 10),
            fit(
                "Authority confirmed",
                FitField::Authority,
                FitOp::IsKnown,
                "",
                5,
            ),
            fit(
                "Personal email address",
                FitField::EmailDomain,
                FitOp::Equals,
                "gmail.com|yahoo.com|hotmail.com|outlook.com",
                -25,
            ),
        ],
        behaviour_rules: vec![
            behaviour("Attended a webinar", ActivityKind::Webinar, 15, 45, 30),
            behaviour("Downloaded content", ActivityKind::Download, 10, 30, 30),
            behaviour("Visited the website", ActivityKind::PageVisit, 2, 14, 20),
            behaviour("Clicked an email", ActivityKind::EmailClick, 3, 14, 15),
            behaviour("Met at an event", ActivityKind::Event, 20, 60, 20),
            behaviour("Filled in a form", ActivityKind::Form, 10, 30, 20),
        ],
    }
}

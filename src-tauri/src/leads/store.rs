//! SQL for contacts and accounts: the contact page, the people map, and scores.
use chrono::{DateTime, Utc};

use super::{
    Account, Activity, Bant, BantField, BuyingRole, BuyingStage, Contact, ContactDetail, PeopleMap,
    TeamPerson,
};
use crate::agreements::{ActivityKind, AgreementBody};
use crate::db::{parse_ts, Conn};
use crate::error::{AppError, AppResult};
use crate::handoffs::playbook_at::PlaybookHistory;
use crate::handoffs::{rules, store as handoffs};
use crate::scoring::{explain, Profile, ScoreExplanation};

#[derive(sqlx::FromRow)]
struct ContactRow {
    id: String,
    external_id: Option<String>,
    account_id: Option<String>,
    account_name: Option<String>,
    domain: Option<String>,
    industry: Option<String>,
    employees: Option<i32>,
    account_country: Option<String>,
    email: Option<String>,
    first_name: String,
    last_name: String,
    title: String,
    phone: String,
    country: String,
    owner_id: Option<String>,
    owner_name: Option<String>,
    source_channel: String,
    source_campaign: String,
    budget_known: bool,
    budget_note: String,
    authority_known: bool,
    authority_note: String,
    need_known: bool,
    need_note: String,
    timeline_known: bool,
    timeline_note: String,
    buying_role: Option<String>,
    buying_stage: Option<String>,
    stage: String,
    stage_since: String,
    score: i32,
    created_at: String,
    updated_at: String,
}

impl From<ContactRow> for Contact {
    fn from(r: ContactRow) -> Contact {
        let account = match (r.account_id, r.account_name) {
            (Some(id), Some(name)) => Some(Account {
                id,
                name,
                domain: r.domain,
                industry: r.industry,
                employees: r.employees,
                country: r.account_country,
            }),
            _ => None,
        };
        Contact {
            name: full_name(&r.first_name, &r.last_name, r.email.as_deref()),
            id: r.id,
            external_id: r.external_id,
            account,
            email: r.email,
            first_name: r.first_name,
            last_name: r.last_name,
            title: r.title,
            phone: r.phone,
            country: r.country,
            owner_id: r.owner_id,
            owner_name: r.owner_name,
            source_channel: r.source_channel,
            source_campaign: r.source_campaign,
            bant: Bant {
                budget: BantField {
                    known: r.budget_known,
                    note: r.budget_note,
                },
                authority: BantField {
                    known: r.authority_known,
                    note: r.authority_note,
                },
                need: BantField {
                    known: r.need_known,
                    note: r.need_note,
                },
                timeline: BantField {
                    known: r.timeline_known,
                    note: r.timeline_note,
                },
            },
            buying_role: r.buying_role.as_deref().and_then(BuyingRole::parse),
            buying_stage: r.buying_stage.as_deref().and_then(BuyingStage::parse),
            stage: r.stage,
            stage_since: r.stage_since,
            score: r.score,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// "First Last", or the email when the name is unknown.
pub fn full_name(first: &str, last: &str, email: Option<&str>) -> String {
    let name = format!("{} {}", first.trim(), last.trim())
        .trim()
        .to_string();
    if name.is_empty() {
        email.unwrap_or("(no name)").to_string()
    } else {
        name
    }
}

pub async fn get(conn: &mut Conn, id: &str) -> AppResult<Contact> {
    let row: Option<ContactRow> = sqlx::query_as(
        "SELECT c.id, c.external_id, c.account_id, a.name AS account_name, a.domain, a.industry, a.employees,
                a.country AS account_country, c.email, c.first_name, c.last_name, c.title, c.phone, c.country,
                c.owner_id, m.name AS owner_name, c.source_channel, c.source_campaign,
                c.budget_known, c.budget_note, c.authority_known, c.authority_note, c.need_known, c.need_note,
                c.timeline_known, c.timeline_note, c.buying_role, c.buying_stage, c.stage, c.stage_since,
                c.score, c.created_at, c.updated_at
         FROM contacts c
         LEFT JOIN accounts a ON a.id = c.account_id
         LEFT JOIN members m ON m.id = c.owner_id
         WHERE c.id = ? AND c.deleted_at IS NULL",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.map(Contact::from)
        .ok_or_else(|| AppError::not_found(format!("no contact with id {id}")))
}

pub async fn activities(conn: &mut Conn, contact_id: &str) -> AppResult<Vec<Activity>> {
    let rows: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT id, kind, at, detail FROM activities WHERE contact_id = ? ORDER BY at DESC, rowid DESC",
    )
    .bind(contact_id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, kind, at, detail)| {
            ActivityKind::parse(&kind).map(|kind| Activity {
                id,
                kind,
                at,
                detail,
            })
        })
        .collect())
}

/// What the fit rules look at, from a contact.
pub fn profile(c: &Contact) -> Profile {
    let a = c.account.as_ref();
    Profile {
        title: c.title.clone(),
        industry: a.and_then(|a| a.industry.clone()).unwrap_or_default(),
        employees: a.and_then(|a| a.employees).map(i64::from),
        country: if c.country.is_empty() {
            a.and_then(|a| a.country.clone()).unwrap_or_default()
        } else {
            c.country.clone()
        },
        source_channel: c.source_channel.clone(),
        buying_role: c
            .buying_role
            .map(|r| r.as_str().to_string())
            .unwrap_or_default(),
        email: c.email.clone().unwrap_or_default(),
        bant: [
            c.bant.budget.known,
            c.bant.authority.known,
            c.bant.need.known,
            c.bant.timeline.known,
        ],
    }
}

/// A contact's score at `now` by the model then in force, with its explanation.
pub fn score(
    pb: &PlaybookHistory,
    c: &Contact,
    acts: &[Activity],
    now: DateTime<Utc>,
) -> ScoreExplanation {
    let points: Vec<(ActivityKind, DateTime<Utc>)> = acts
        .iter()
        .filter_map(|a| parse_ts("at", &a.at).ok().map(|t| (a.kind, t)))
        .collect();
    match pb.scoring_at(now) {
        Some(v) => match &v.body {
            AgreementBody::Scoring(model) => {
                explain(model, &v.reference(), &profile(c), &points, now)
            }
            _ => ScoreExplanation {
                total: 0,
                threshold: 0,
                reaches_mql: false,
                model: String::new(),
                lines: vec![],
            },
        },
        None => ScoreExplanation {
            total: 0,
            threshold: 0,
            reaches_mql: false,
            model: String::new(),
            lines: vec![],
        },
    }
}

/// Everything the contact page shows.
pub async fn detail(
    conn: &mut Conn,
    pb: &PlaybookHistory,
    id: &str,
    now: DateTime<Utc>,
) -> AppResult<ContactDetail> {
    let contact = get(&mut *conn, id).await?;
    let events = handoffs::timeline(&mut *conn, pb, id).await?;
    let activities = activities(&mut *conn, id).await?;
    let score = score(pb, &contact, &activities, now);
    let state = handoffs::fold(
        events
            .iter()
            .rev()
            .map(|e| (e.kind.as_str(), e.to_stage.as_str(), e.at.as_str())),
    );
    let allowed_actions = state
        .map(|s| rules::allowed_actions(&s, now, pb))
        .unwrap_or_default();
    Ok(ContactDetail {
        contact,
        events,
        activities,
        score,
        allowed_actions,
    })
}

/// An account and everyone on its buying team.
pub async fn people_map(conn: &mut Conn, account_id: &str) -> AppResult<PeopleMap> {
    let account: Account = sqlx::query_as(
        "SELECT id, name, domain, industry, employees, country FROM accounts WHERE id = ? AND deleted_at IS NULL",
    )
    .bind(account_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| AppError::not_found(format!("no account with id {account_id}")))?;
    let people: Vec<TeamPerson> = sqlx::query_as(
        "SELECT c.id, trim(c.first_name || ' ' || c.last_name) AS name, c.title, c.buying_role, c.buying_stage,
                c.stage, c.score, m.name AS owner_name
         FROM contacts c LEFT JOIN members m ON m.id = c.owner_id
         WHERE c.account_id = ? AND c.deleted_at IS NULL
         ORDER BY CASE c.buying_role WHEN 'decision_maker' THEN 1 WHEN 'economic_buyer' THEN 2 WHEN 'champion' THEN 3
                  WHEN 'influencer' THEN 4 WHEN 'recommender' THEN 5 WHEN 'user' THEN 6 WHEN 'gatekeeper' THEN 7
                  WHEN 'blocker' THEN 8 ELSE 9 END, c.last_name",
    )
    .bind(account_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(PeopleMap { account, people })
}

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
use crate::handoffs::rules::{self, Acting};
use crate::handoffs::store::{self as handoffs, Ledger};
use crate::scoring::{explain, Profile, ScoreExplanation};
use crate::team::roster::Roster;

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
    revenue: Option<i64>,
    email: Option<String>,
    salutation: String,
    first_name: String,
    last_name: String,
    title: String,
    phone: String,
    country: String,
    owner_id: Option<String>,
    owner_name: Option<String>,
    owner_ref: Option<String>,
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
                revenue: r.revenue,
            }),
            _ => None,
        };
        Contact {
            name: full_name(&r.first_name, &r.last_name, r.email.as_deref()),
            id: r.id,
            external_id: r.external_id,
            account,
            email: r.email,
            salutation: r.salutation,
            first_name: r.first_name,
            last_name: r.last_name,
            title: r.title,
            phone: r.phone,
            country: r.country,
            owner_ref: r.owner_ref.filter(|_| r.owner_id.is_none()),
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

macro_rules! select_contacts {
    ($rest:literal) => {
        concat!(
            "SELECT c.id, c.external_id, c.account_id, a.name AS account_name, a.domain, a.industry, a.employees,
                a.country AS account_country, a.revenue, c.email, c.salutation, c.first_name, c.last_name,
                c.title, c.phone, c.country, c.owner_id, m.name AS owner_name, c.owner_ref,
                c.source_channel, c.source_campaign,
                c.budget_known, c.budget_note, c.authority_known, c.authority_note, c.need_known, c.need_note,
                c.timeline_known, c.timeline_note, c.buying_role, c.buying_stage, c.stage, c.stage_since,
                c.score, c.created_at, c.updated_at
         FROM contacts c
         LEFT JOIN accounts a ON a.id = c.account_id
         LEFT JOIN members m ON m.id = c.owner_id ",
            $rest
        )
    };
}

pub async fn get(conn: &mut Conn, id: &str) -> AppResult<Contact> {
    let row: Option<ContactRow> =
        sqlx::query_as(select_contacts!("WHERE c.id = ? AND c.deleted_at IS NULL"))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    match row {
        Some(r) => Ok(Contact::from(r)),
        None => {
            let merged: Option<String> =
                sqlx::query_scalar("SELECT merged_into FROM contacts WHERE id = ?")
                    .bind(id)
                    .fetch_optional(conn)
                    .await?
                    .flatten();
            Err(AppError::not_found(match merged {
                Some(into) => format!(
                    "contact {id} was merged into {into} (playbook contacts unmerge {id} undoes it)"
                ),
                None => format!("no contact with id {id}"),
            }))
        }
    }
}

/// Every live contact, by id (for rebuilding scores).
pub async fn all(conn: &mut Conn) -> AppResult<Vec<Contact>> {
    let rows: Vec<ContactRow> =
        sqlx::query_as(select_contacts!("WHERE c.deleted_at IS NULL ORDER BY c.id"))
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(Contact::from).collect())
}

/// Activities that count: their content matches their hash and nothing flagged them (or
/// the bulk write that brought them) as tampered.
macro_rules! live_activities {
    ($where:literal) => {
        concat!(
            "SELECT contact_id, id, kind, at, detail, external_id, bulk_id, hash, actor_id, asset_id, signature
             FROM activities x WHERE ",
            $where,
            " AND NOT EXISTS (SELECT 1 FROM tampered t WHERE t.record_id IN (x.id, x.bulk_id))
             ORDER BY contact_id, at DESC, id DESC"
        )
    };
}

/// An activity as stored: contact, id, kind, at, detail, external id, bulk id, hash, and
/// for one a member logged: actor, asset and signature.
pub type ActivityRow = (
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Why a stored activity does not count, if it does not: its content must match its hash,
/// and one a member logged must carry that member's valid signature.
pub fn activity_problem(row: &ActivityRow, roster: Option<&Roster>) -> Option<String> {
    let (contact, id, kind, at, detail, external, bulk, hash, actor, asset, signature) = row;
    let computed = match actor {
        Some(actor) => {
            super::logged_activity_hash(id, contact, kind, at, detail, actor, asset.as_deref())
        }
        None => super::activity_hash(
            id,
            contact,
            kind,
            at,
            detail,
            external.as_deref(),
            bulk.as_deref(),
        ),
    };
    if hash.as_deref() != Some(computed.as_str()) {
        return Some("its content does not match what was signed".into());
    }
    match (actor, bulk) {
        (Some(actor), _) => {
            let Some(member) = roster.and_then(|r| r.at(actor, at)) else {
                return Some("whoever logged it was not on the team then".into());
            };
            let ok = signature
                .as_deref()
                .is_some_and(|s| crate::trust::keys::verify(&member.public_key, &computed, s));
            (!ok).then(|| format!("{}'s signature does not verify", member.email))
        }
        (None, Some(_)) => None,
        (None, None) => Some("it is not signed".into()),
    }
}

async fn counted(conn: &mut Conn, rows: Vec<ActivityRow>) -> AppResult<Vec<(String, Activity)>> {
    let roster = if rows.iter().any(|r| r.8.is_some()) {
        Some(crate::team::records::roster(&mut *conn).await?)
    } else {
        None
    };
    Ok(rows
        .into_iter()
        .filter(|row| activity_problem(row, roster.as_ref()).is_none())
        .filter_map(
            |(contact, id, kind, at, detail, _, _, _, actor, asset_id, _)| {
                ActivityKind::parse(&kind).map(|kind| {
                    let actor_name = actor
                        .as_deref()
                        .and_then(|a| roster.as_ref()?.latest(a).map(|m| m.name.clone()));
                    (
                        contact,
                        Activity {
                            id,
                            kind,
                            at,
                            detail,
                            actor_name,
                            asset_id,
                        },
                    )
                })
            },
        )
        .collect())
}

pub async fn activities(conn: &mut Conn, contact_id: &str) -> AppResult<Vec<Activity>> {
    let rows: Vec<ActivityRow> = sqlx::query_as(live_activities!("contact_id = ?"))
        .bind(contact_id)
        .fetch_all(&mut *conn)
        .await?;
    Ok(counted(conn, rows)
        .await?
        .into_iter()
        .map(|(_, a)| a)
        .collect())
}

/// Every contact's counted activities, by contact id.
pub async fn all_activities(conn: &mut Conn) -> AppResult<Vec<(String, Activity)>> {
    let rows: Vec<ActivityRow> = sqlx::query_as(live_activities!("1"))
        .fetch_all(&mut *conn)
        .await?;
    counted(conn, rows).await
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

/// Everything the contact page shows; `viewer` (the person on this laptop, if known)
/// decides which actions are offered.
pub async fn detail(
    conn: &mut Conn,
    ledger: &Ledger,
    id: &str,
    viewer: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<ContactDetail> {
    let mut contact = get(&mut *conn, id).await?;
    let events = handoffs::timeline(&mut *conn, ledger, id).await?;
    let activities = activities(&mut *conn, id).await?;
    let score = score(&ledger.pb, &contact, &activities, now);
    if score.total != contact.score {
        // The cached score (what the list shows) had gone stale: put it right.
        sqlx::query("UPDATE contacts SET score = ? WHERE id = ?")
            .bind(score.total)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        contact.score = score.total;
    }
    let state = handoffs::lifecycle(&mut *conn, ledger, id).await?;
    let expected = super::rebuild::expected(state.clone(), &ledger.pb, &contact.created_at);
    if let Some((stage, since)) =
        expected.filter(|(s, t)| *s != contact.stage || *t != contact.stage_since)
    {
        // The cached stage had gone stale (the log arrived or was found tampered): put it
        // right, as the list reads it.
        handoffs::refresh_stage(&mut *conn, ledger, id).await?;
        contact.stage = stage;
        contact.stage_since = since;
    }
    let now_text = crate::db::ts(now);
    let allowed_actions = match (state, viewer.and_then(|v| ledger.roster.at(v, &now_text))) {
        (Some(s), Some(m)) => rules::allowed_actions(&s, now, &ledger.pb, Acting::As(m)),
        _ => vec![],
    };
    let opportunities = super::opportunities::list(
        &mut *conn,
        &super::opportunities::OpportunityFilter {
            contact_id: Some(id.to_string()),
            ..Default::default()
        },
    )
    .await?;
    let same_email = match &contact.email {
        Some(e) => sqlx::query_scalar(
            "SELECT id FROM contacts WHERE email = ? COLLATE NOCASE AND id <> ? AND deleted_at IS NULL ORDER BY id",
        )
        .bind(e)
        .bind(id)
        .fetch_all(&mut *conn)
        .await?,
        None => Vec::new(),
    };
    let merged = super::merge::merged_into(&mut *conn, id).await?;
    Ok(ContactDetail {
        contact,
        events,
        activities,
        score,
        allowed_actions,
        opportunities,
        same_email,
        merged,
    })
}

/// An account and everyone on its buying team.
pub async fn people_map(conn: &mut Conn, account_id: &str) -> AppResult<PeopleMap> {
    let account: Account = sqlx::query_as(
        "SELECT id, name, domain, industry, employees, country, revenue FROM accounts WHERE id = ? AND deleted_at IS NULL",
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
    let opportunities = super::opportunities::list(
        &mut *conn,
        &super::opportunities::OpportunityFilter {
            account_id: Some(account_id.to_string()),
            ..Default::default()
        },
    )
    .await?;
    Ok(PeopleMap {
        account,
        people,
        opportunities,
    })
}

/// The source channels in the data, for the list's filter (each once, as imports
/// normalise them).
pub async fn sources(conn: &mut Conn) -> AppResult<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT DISTINCT source_channel FROM contacts
         WHERE deleted_at IS NULL AND source_channel <> '' ORDER BY source_channel",
    )
    .fetch_all(conn)
    .await?)
}

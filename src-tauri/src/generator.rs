//! A realistic synthetic workspace of any size: accounts with buying teams, activities,
//! and handoff histories that follow the agreed lifecycle (each step is a transition the
//! playbook allows), written in bulk. Deterministic for a given seed.
use chrono::{DateTime, Duration, Utc};

use crate::agreements::{ActivityKind, AgreementBody, AgreementKind, ReasonUse};
use crate::db::{insert_many, new_id, ts, Conn, Val};
use crate::error::{AppError, AppResult};
use crate::handoffs::playbook_at::PlaybookHistory;
use crate::handoffs::records::EventRecord;
use crate::handoffs::rules::{advance, check_transition, Acting, Lifecycle};
use crate::handoffs::EventKind;
use crate::leads::{activity_hash, BuyingRole, BuyingStage};
use crate::scoring::{explain, Profile};
use crate::team::{Role, Side};
use crate::trust::{bulk, Signer};

/// A generated deal: when it opened, and how and when it closed.
type Deal = (DateTime<Utc>, Option<(EventKind, DateTime<Utc>)>);

/// A small, fast, seedable random source (SplitMix64), so generated workspaces and
/// benchmark data are the same on every run (also used by the content benchmark).
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E3779B97F4A7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
        z ^ (z >> 31)
    }
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// Skewed towards small indexes, as word use is.
    pub(crate) fn skewed(&mut self, n: usize) -> usize {
        let (a, b, c) = (self.below(n), self.below(n), self.below(n));
        a.min(b).min(c)
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const FIRST: [&str; 40] = [
    "Anna", "Ben", "Carla", "David", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kate",
    "Liam", "Maria", "Noah", "Olga", "Pedro", "Quinn", "Rosa", "Samir", "Tara", "Uma", "Victor",
    "Wen", "Ximena", "Yusuf", "Zoe", "Amelia", "Bruno", "Chloe", "Diego", "Emma", "Felix",
    "Hannah", "Ivan", "Julia", "Karim", "Lena", "Marco", "Nina", "Oscar",
];
const LAST: [&str; 40] = [
    "Schmidt",
    "Garcia",
    "Nguyen",
    "Smith",
    "Rossi",
    "Kowalski",
    "Tanaka",
    "Johansson",
    "Dubois",
    "Silva",
    "Müller",
    "Brown",
    "Okafor",
    "Patel",
    "Lindgren",
    "Moreau",
    "Novak",
    "Hughes",
    "Ibrahim",
    "Keller",
    "Costa",
    "Fischer",
    "Yamamoto",
    "Larsen",
    "Meyer",
    "Romero",
    "Bauer",
    "Walsh",
    "Ahmed",
    "Santos",
    "Weber",
    "Clarke",
    "Petrov",
    "Horvat",
    "Jensen",
    "Murphy",
    "Virtanen",
    "Becker",
    "Lopez",
    "Kim",
];
const COMPANY_A: [&str; 24] = [
    "Nordic", "Blue", "Summit", "Harbor", "Vertex", "Pioneer", "Atlas", "Granite", "Silver",
    "Cedar", "Quantum", "Bright", "Iron", "Polar", "Crescent", "Maple", "Orbit", "Prism",
    "Redwood", "Sterling", "Tidal", "Union", "Willow", "Zenith",
];
const COMPANY_B: [&str; 16] = [
    "Logistics",
    "Analytics",
    "Foods",
    "Robotics",
    "Health",
    "Energy",
    "Systems",
    "Retail",
    "Finance",
    "Labs",
    "Manufacturing",
    "Media",
    "Networks",
    "Pharma",
    "Mobility",
    "Software",
];
const INDUSTRIES: [&str; 8] = [
    "Software",
    "Manufacturing",
    "Financial Services",
    "Healthcare",
    "Retail",
    "Logistics",
    "Energy",
    "Education",
];
const COUNTRIES: [&str; 8] = [
    "Germany",
    "United States",
    "United Kingdom",
    "France",
    "Netherlands",
    "Sweden",
    "Spain",
    "Canada",
];
const CHANNELS: [&str; 7] = [
    "webinar",
    "paid_search",
    "organic",
    "event",
    "referral",
    "content_syndication",
    "outbound",
];
const CAMPAIGNS: [&str; 6] = [
    "2026 Q1 Revenue Ops webinar",
    "Forecasting guide",
    "SaaStr booth",
    "Pricing page retargeting",
    "Partner referral programme",
    "Analyst report syndication",
];
const TITLES: [(BuyingRole, &[&str]); 8] = [
    (
        BuyingRole::DecisionMaker,
        &[
            "VP Sales",
            "Chief Revenue Officer",
            "Head of Sales Operations",
        ],
    ),
    (
        BuyingRole::EconomicBuyer,
        &["CFO", "VP Finance", "Director of Finance"],
    ),
    (
        BuyingRole::Champion,
        &[
            "Revenue Operations Manager",
            "Sales Operations Lead",
            "Marketing Ops Manager",
        ],
    ),
    (
        BuyingRole::Influencer,
        &[
            "Head of Marketing",
            "Director Demand Generation",
            "Sales Enablement Lead",
        ],
    ),
    (
        BuyingRole::Recommender,
        &["Business Analyst", "Solutions Architect", "IT Manager"],
    ),
    (
        BuyingRole::User,
        &["Account Executive", "SDR Team Lead", "Campaign Manager"],
    ),
    (
        BuyingRole::Gatekeeper,
        &[
            "Executive Assistant",
            "Procurement Specialist",
            "Office Manager",
        ],
    ),
    (
        BuyingRole::Blocker,
        &[
            "IT Security Officer",
            "Legal Counsel",
            "Head of Procurement",
        ],
    ),
];
const PAGES: [&str; 6] = [
    "/pricing",
    "/product/forecasting",
    "/customers",
    "/integrations/salesforce",
    "/security",
    "/blog/pipeline-hygiene",
];
const ASSETS: [&str; 5] = [
    "The forecasting playbook (PDF)",
    "RevOps benchmark 2026",
    "ROI calculator",
    "Security whitepaper",
    "Customer story: Atlas Logistics",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Generated {
    pub accounts: u32,
    pub contacts: u32,
    pub events: u32,
    pub activities: u32,
}

const REJECT_NOTES: [&str; 5] = [
    "Spoke to them: no project this year.",
    "Student downloading for a thesis.",
    "Already talking to our partner in their region.",
    "Wrong department; asked for a referral to RevOps.",
    "Budget went to a hiring freeze; check back in Q3.",
];

/// Minutes from one step of a history to the next. Handovers come days or weeks after the
/// step before; sales answers most handovers within hours and some only days later; the
/// first attempt mostly follows acceptance within hours; later steps are days apart. So the
/// demo's SLAs see a realistic mix of met, breached and (near the present) pending items.
fn delay(rng: &mut Rng, prev: EventKind, kind: EventKind) -> i64 {
    let minutes = |rng: &mut Rng, from: usize, to: usize| (from + rng.below(to - from)) as i64;
    match (prev, kind) {
        (_, EventKind::HandedOver) => minutes(rng, 30, 20 * 24 * 60),
        (EventKind::HandedOver, EventKind::Accepted | EventKind::Rejected) => {
            if rng.chance(0.7) {
                minutes(rng, 10, 5 * 60)
            } else if rng.chance(0.6) {
                minutes(rng, 5 * 60, 30 * 60)
            } else {
                minutes(rng, 30 * 60, 5 * 24 * 60)
            }
        }
        (EventKind::Accepted, EventKind::Attempt) => {
            if rng.chance(0.75) {
                minutes(rng, 5, 3 * 60)
            } else {
                minutes(rng, 3 * 60, 3 * 24 * 60)
            }
        }
        _ => minutes(rng, 30, 3 * 24 * 60),
    }
}

struct Step {
    kind: EventKind,
    reason: Option<String>,
    channel: Option<&'static str>,
}

/// Who the stage definition in force at `at` lets record `kind` in `stage`: the side, and
/// whether only its managers.
fn who_may(
    pb: &PlaybookHistory,
    stage: &str,
    kind: EventKind,
    at: DateTime<Utc>,
) -> Option<(Side, bool)> {
    match &pb.at(AgreementKind::Stage, stage, at)?.body {
        AgreementBody::Stage(s) => s
            .actions
            .iter()
            .find(|a| a.event == kind)
            .map(|a| (a.by, a.managers_only)),
        _ => None,
    }
}

/// The member who records a generated step: the one the story picked if the rule lets
/// them, else the contact's owner, else the first member it lets; nobody when the team has
/// no such member (the history stops there).
fn entitled(
    members: &[(String, Side, Role)],
    picked: String,
    owner: &str,
    rule: Option<(Side, bool)>,
) -> Option<String> {
    let Some((side, managers_only)) = rule else {
        return Some(picked);
    };
    let may = |m: &(String, Side, Role)| m.1 == side && (!managers_only || m.2 == Role::Manager);
    let lets = |id: &str| members.iter().any(|m| m.0 == id && may(m));
    if lets(&picked) {
        Some(picked)
    } else if lets(owner) {
        Some(owner.to_string())
    } else {
        members.iter().find(|m| may(m)).map(|m| m.0.clone())
    }
}

/// Adds `contacts` synthetic contacts (and their accounts, activities and histories) to
/// the workspace, inside the caller's transaction. The team and playbook must exist.
pub async fn generate(
    conn: &mut Conn,
    contacts: u32,
    seed: u64,
    now: DateTime<Utc>,
    signer: &Signer,
) -> AppResult<Generated> {
    let bulk_id = new_id();
    let mut hashes: Vec<String> = Vec::new();
    let pb = PlaybookHistory::load(&mut *conn).await?;
    if pb.first_stage(now).is_none() {
        return Err(AppError::not_allowed(
            "the playbook has no agreed stages yet; run `playbook demo` first",
        ));
    }
    let members: Vec<(String, Side, Role)> = sqlx::query_as(
        "SELECT id, side, role FROM members WHERE deleted_at IS NULL ORDER BY created_at, id",
    )
    .fetch_all(&mut *conn)
    .await?;
    let of = |side: Side, roles: &[Role]| -> Vec<String> {
        members
            .iter()
            .filter(|m| m.1 == side && roles.contains(&m.2))
            .map(|m| m.0.clone())
            .collect()
    };
    let marketing = of(Side::Marketing, &[Role::Rep, Role::Ops, Role::Manager]);
    let sales = of(Side::Sales, &[Role::Rep]);
    let sales = if sales.is_empty() {
        of(Side::Sales, &[Role::Manager, Role::Ops])
    } else {
        sales
    };
    if marketing.is_empty() || sales.is_empty() {
        return Err(AppError::not_allowed(
            "the team needs someone in marketing and in sales",
        ));
    }
    let reasons = |usage: ReasonUse| -> Vec<String> {
        pb.reasons_at(now)
            .into_iter()
            .filter(|(_, v)| matches!(&v.body, AgreementBody::Reason(r) if r.applies_to.contains(&usage)))
            .map(|(k, _)| k.to_string())
            .collect()
    };
    let (reject, recycle, disqualify, lost) = (
        reasons(ReasonUse::Reject),
        reasons(ReasonUse::Recycle),
        reasons(ReasonUse::Disqualify),
        reasons(ReasonUse::Lost),
    );
    let model = pb.scoring_at(now).and_then(|v| match &v.body {
        AgreementBody::Scoring(m) => Some((m.clone(), v.reference())),
        _ => None,
    });

    let mut rng = Rng(seed);
    let now_text = ts(now);
    let mut out = Generated {
        accounts: 0,
        contacts: 0,
        events: 0,
        activities: 0,
    };
    let (mut accounts, mut people, mut events, mut acts) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut deals: Vec<Vec<Val>> = Vec::new();
    let mut made = 0u32;
    let mut account_no: u32 = sqlx::query_scalar::<_, i64>("SELECT count(*) FROM accounts")
        .fetch_one(&mut *conn)
        .await? as u32;
    while made < contacts {
        account_no += 1;
        // Names are unique by construction: a prefix and a sector per number, then a suffix.
        let n = account_no as usize - 1;
        let suffix = if n >= COMPANY_A.len() * COMPANY_B.len() {
            format!(" {}", n / (COMPANY_A.len() * COMPANY_B.len()) + 1)
        } else {
            String::new()
        };
        let company = format!(
            "{} {}{suffix}",
            COMPANY_A[n % COMPANY_A.len()],
            COMPANY_B[(n / COMPANY_A.len()) % COMPANY_B.len()]
        );
        let domain = format!("{}.example", company.to_lowercase().replace(' ', ""));
        let industry = *rng.pick(&INDUSTRIES);
        let employees = [12i64, 45, 80, 150, 420, 1200, 5000][rng.below(7)];
        let country = *rng.pick(&COUNTRIES);
        let account_id = crate::leads::account_id_for(&company);
        accounts.push(vec![
            Val::Text(account_id.clone()),
            Val::Text(company.clone()),
            Val::Text(domain.clone()),
            Val::Text(industry.into()),
            Val::Int(employees),
            Val::Text(country.into()),
            Val::Text(now_text.clone()),
            Val::Text(now_text.clone()),
        ]);
        out.accounts += 1;
        let team_size = (4 + rng.below(9)) as u32;
        for _ in 0..team_size.min(contacts - made) {
            made += 1;
            let (role, titles) = TITLES[rng.below(TITLES.len())];
            let title = *rng.pick(titles);
            let (first, last) = (*rng.pick(&FIRST), *rng.pick(&LAST));
            let email = format!(
                "{}.{}{}@{domain}",
                first.to_lowercase(),
                last.to_lowercase().replace('ü', "ue"),
                made
            );
            let channel = *rng.pick(&CHANNELS);
            let created = now - Duration::minutes(rng.below(540 * 24 * 60) as i64 + 60 * 24 * 3);
            let id = new_id();
            let bant = [
                rng.chance(0.3),
                rng.chance(0.4),
                rng.chance(0.5),
                rng.chance(0.3),
            ];
            let buying_stage = *rng.pick(&BuyingStage::ALL);

            // Activities before and after the contact appears.
            let mut points = Vec::new();
            for _ in 0..rng.below(13) {
                let kind = *rng.pick(&ActivityKind::BEHAVIOUR);
                let at = created + Duration::minutes(rng.below(120 * 24 * 60) as i64);
                if at > now {
                    continue;
                }
                let detail = match kind {
                    ActivityKind::PageVisit => rng.pick(&PAGES).to_string(),
                    ActivityKind::Download => rng.pick(&ASSETS).to_string(),
                    _ => rng.pick(&CAMPAIGNS).to_string(),
                };
                points.push((kind, at));
                let act_id = new_id();
                let at = ts(at);
                let hash = activity_hash(
                    &act_id,
                    &id,
                    kind.as_str(),
                    &at,
                    &detail,
                    None,
                    Some(&bulk_id),
                );
                hashes.push(hash.clone());
                acts.push(vec![
                    Val::Text(act_id),
                    Val::Text(id.clone()),
                    Val::Text(kind.as_str().into()),
                    Val::Text(at),
                    Val::Text(detail),
                    Val::Text(now_text.clone()),
                    Val::Text(hash),
                    Val::Text(bulk_id.clone()),
                ]);
                out.activities += 1;
            }

            // A history that the playbook allows, step by step.
            let mut steps = vec![Step {
                kind: EventKind::Created,
                reason: None,
                channel: None,
            }];
            let mut cycles = 0;
            loop {
                cycles += 1;
                if !rng.chance(if cycles == 1 { 0.85 } else { 0.5 }) {
                    if rng.chance(0.2) {
                        steps.push(Step {
                            kind: EventKind::Recycled,
                            reason: Some(rng.pick(&recycle).clone()),
                            channel: None,
                        });
                    }
                    break;
                }
                steps.push(Step {
                    kind: EventKind::HandedOver,
                    reason: None,
                    channel: None,
                });
                if rng.chance(0.12) {
                    break; // awaiting a response
                }
                if rng.chance(0.25) {
                    steps.push(Step {
                        kind: EventKind::Rejected,
                        reason: Some(rng.pick(&reject).clone()),
                        channel: None,
                    });
                    if rng.chance(0.2) {
                        steps.push(Step {
                            kind: EventKind::Disputed,
                            reason: None,
                            channel: None,
                        });
                        steps.push(Step {
                            kind: EventKind::DisputeUpheld,
                            reason: None,
                            channel: None,
                        });
                    }
                    if cycles < 3 {
                        continue;
                    } else {
                        break;
                    }
                }
                steps.push(Step {
                    kind: EventKind::Accepted,
                    reason: None,
                    channel: None,
                });
                for _ in 0..3 + rng.below(10) {
                    steps.push(Step {
                        kind: EventKind::Attempt,
                        reason: None,
                        channel: Some(*rng.pick(&["phone", "email", "linkedin"])),
                    });
                }
                if rng.chance(0.5) {
                    steps.push(Step {
                        kind: EventKind::Connected,
                        reason: None,
                        channel: None,
                    });
                    if rng.chance(0.55) {
                        steps.push(Step {
                            kind: EventKind::Qualified,
                            reason: None,
                            channel: None,
                        });
                        if rng.chance(0.5) {
                            steps.push(Step {
                                kind: EventKind::Converted,
                                reason: None,
                                channel: None,
                            });
                            if rng.chance(0.4) {
                                steps.push(Step {
                                    kind: EventKind::Won,
                                    reason: None,
                                    channel: None,
                                });
                                break;
                            } else if rng.chance(0.7) {
                                steps.push(Step {
                                    kind: EventKind::Lost,
                                    reason: Some(rng.pick(&lost).clone()),
                                    channel: None,
                                });
                            }
                        }
                        break;
                    }
                }
                if rng.chance(0.15) {
                    steps.push(Step {
                        kind: EventKind::Disqualified,
                        reason: Some(rng.pick(&disqualify).clone()),
                        channel: None,
                    });
                    break;
                }
                steps.push(Step {
                    kind: EventKind::Recycled,
                    reason: Some(rng.pick(&recycle).clone()),
                    channel: None,
                });
                if cycles >= 3 {
                    break;
                }
            }

            let mut state: Option<Lifecycle> = None;
            let mut prev_hash: Option<String> = None;
            let mut at = created;
            let mut owner = rng.pick(&marketing).clone();
            let mut deal: Option<Deal> = None;
            let mut prev_kind = EventKind::Created;
            for step in steps {
                let next_at = at + Duration::minutes(delay(&mut rng, prev_kind, step.kind));
                prev_kind = step.kind;
                if step.kind != EventKind::Created && next_at > now {
                    break;
                }
                if step.kind != EventKind::Created {
                    at = next_at;
                }
                let Ok(d) =
                    check_transition(state.as_ref(), step.kind, at, None, &pb, Acting::Imported)
                else {
                    break;
                };
                let mut playbook = d.playbook;
                if let Some(r) = &step.reason {
                    if let Some(v) = pb.at(AgreementKind::Reason, r, at) {
                        playbook.push(' ');
                        playbook.push_str(&v.reference());
                    }
                }
                let picked = match step.kind {
                    EventKind::Created => None,
                    EventKind::HandedOver | EventKind::Recycled | EventKind::Disputed => {
                        Some(rng.pick(&marketing).clone())
                    }
                    _ => Some(owner.clone()),
                };
                // Recorded by someone the stage definition in force lets record it.
                let actor = match (picked, &state) {
                    (Some(picked), Some(s)) => {
                        let rule = who_may(&pb, &s.stage, step.kind, at);
                        match entitled(&members, picked, &owner, rule) {
                            Some(a) => Some(a),
                            None => break,
                        }
                    }
                    (picked, _) => picked,
                };
                if step.kind == EventKind::HandedOver {
                    owner = rng.pick(&sales).clone();
                }
                let at_text = ts(at);
                let note = if step.kind == EventKind::Rejected && rng.chance(0.85) {
                    rng.pick(&REJECT_NOTES).to_string()
                } else {
                    String::new()
                };
                let record = EventRecord {
                    id: new_id(),
                    contact_id: id.clone(),
                    kind: step.kind.as_str().into(),
                    at: at_text.clone(),
                    actor_id: actor,
                    assignee_id: None,
                    to_stage: d.to.clone(),
                    reason: step.reason.clone(),
                    channel: step.channel.map(str::to_string),
                    note,
                    external_id: None,
                    prev_hash: prev_hash.take(),
                    hash: None,
                    signature: None,
                    bulk_id: Some(bulk_id.clone()),
                }
                .sealed();
                let hash = record.hash.clone().expect("sealed");
                hashes.push(hash.clone());
                prev_hash = Some(hash.clone());
                events.push(vec![
                    Val::Text(record.id),
                    Val::Text(id.clone()),
                    Val::Text(record.kind),
                    Val::Text(at_text.clone()),
                    Val::OptText(record.actor_id),
                    Val::OptText(d.from.clone()),
                    Val::Text(d.to.clone()),
                    Val::OptText(record.reason),
                    Val::OptText(record.channel),
                    Val::Text(record.note),
                    Val::Text(playbook),
                    Val::Text(now_text.clone()),
                    Val::OptText(record.prev_hash),
                    Val::Text(bulk_id.clone()),
                ]);
                out.events += 1;
                state = Some(advance(state, step.kind, &d.to, &at_text));
                match step.kind {
                    EventKind::Converted => deal = Some((at, None)),
                    EventKind::Won | EventKind::Lost => {
                        deal = deal.map(|(opened, _)| (opened, Some((step.kind, at))))
                    }
                    _ => {}
                }
            }
            let state = state.expect("a created event is always possible");
            if let Some((opened, closed)) = deal {
                deals.push(deal_row(
                    &company,
                    &account_id,
                    &id,
                    &owner,
                    seed,
                    made,
                    opened,
                    closed,
                    now,
                ));
            }
            let score = model.as_ref().map_or(0, |(m, r)| {
                let p = Profile {
                    title: title.into(),
                    industry: industry.into(),
                    employees: Some(employees),
                    country: country.into(),
                    source_channel: channel.into(),
                    buying_role: role.as_str().into(),
                    email: email.clone(),
                    bant,
                };
                explain(m, r, &p, &points, now).total
            });
            people.push(vec![
                Val::Text(id),
                Val::Text(format!("GEN-{seed}-{made}")),
                Val::Text(account_id.clone()),
                Val::Text(email),
                Val::Text(first.into()),
                Val::Text(last.into()),
                Val::Text(title.into()),
                Val::Text(format!("+49 30 {:07}", rng.below(9_999_999))),
                Val::Text(country.into()),
                Val::Text(owner),
                Val::Text(channel.into()),
                Val::Text(rng.pick(&CAMPAIGNS).to_string()),
                Val::Int(bant[0].into()),
                Val::Int(bant[1].into()),
                Val::Int(bant[2].into()),
                Val::Text(if bant[2] {
                    "Forecast accuracy below 70%; board asks for a fix".into()
                } else {
                    String::new()
                }),
                Val::Int(bant[3].into()),
                Val::Text(role.as_str().into()),
                Val::Text(buying_stage.as_str().into()),
                Val::Text(state.stage),
                Val::Text(state.since),
                Val::Int(score.into()),
                Val::Text(ts(created)),
                Val::Text(now_text.clone()),
            ]);
            out.contacts += 1;
        }
        if people.len() >= 20_000 {
            flush(conn, &mut accounts, &mut people, &mut events, &mut acts).await?;
            insert_deals(conn, &mut deals).await?;
        }
    }
    flush(conn, &mut accounts, &mut people, &mut events, &mut acts).await?;
    insert_deals(conn, &mut deals).await?;
    if !hashes.is_empty() {
        bulk::seal(conn, &bulk_id, "generated", hashes, signer, now).await?;
    }
    Ok(out)
}

/// The opportunity a converted contact opened: an amount, and won or lost when the
/// history closed it. Drawn from its own random source, so the rest of a generated
/// workspace is the same with or without deals.
#[allow(clippy::too_many_arguments)]
fn deal_row(
    company: &str,
    account_id: &str,
    contact_id: &str,
    owner: &str,
    seed: u64,
    n: u32,
    opened: DateTime<Utc>,
    closed: Option<(EventKind, DateTime<Utc>)>,
    now: DateTime<Utc>,
) -> Vec<Val> {
    let mut rng = Rng(seed ^ (u64::from(n) << 20) ^ 0xD1A1);
    let amount = (5_000 + rng.below(115) as i64 * 1_000) * 100;
    let (status, stage, close) = match closed {
        Some((EventKind::Won, at)) => ("won", "Closed Won", at),
        Some((_, at)) => ("lost", "Closed Lost", at),
        None => (
            "open",
            "Proposal",
            now + Duration::days(15 + rng.below(75) as i64),
        ),
    };
    let product = *rng.pick(&["Forecasting", "Pipeline analytics", "Revenue platform"]);
    vec![
        Val::Text(new_id()),
        Val::Text(format!("{company} — {product}")),
        Val::Text(account_id.to_string()),
        Val::Text(contact_id.to_string()),
        Val::Int(amount),
        Val::Text("EUR".into()),
        Val::Text(stage.into()),
        Val::Text(status.into()),
        Val::Text(close.format("%Y-%m-%d").to_string()),
        Val::Text(owner.to_string()),
        Val::Text(product.into()),
        Val::Text("generated".into()),
        Val::Text(format!("GEN-{seed}-{n}-deal")),
        Val::Text(ts(opened)),
        Val::Text(ts(now)),
    ]
}

async fn insert_deals(conn: &mut Conn, deals: &mut Vec<Vec<Val>>) -> AppResult<()> {
    insert_many(
        conn,
        "opportunities",
        &[
            "id",
            "name",
            "account_id",
            "primary_contact_id",
            "amount_minor",
            "currency",
            "stage",
            "status",
            "close_date",
            "owner_id",
            "product",
            "source_system",
            "external_id",
            "created_at",
            "updated_at",
        ],
        std::mem::take(deals),
    )
    .await
}

async fn flush(
    conn: &mut Conn,
    accounts: &mut Vec<Vec<Val>>,
    people: &mut Vec<Vec<Val>>,
    events: &mut Vec<Vec<Val>>,
    acts: &mut Vec<Vec<Val>>,
) -> AppResult<()> {
    insert_many(
        conn,
        "accounts",
        &[
            "id",
            "name",
            "domain",
            "industry",
            "employees",
            "country",
            "created_at",
            "updated_at",
        ],
        std::mem::take(accounts),
    )
    .await?;
    insert_many(
        conn,
        "contacts",
        &[
            "id",
            "external_id",
            "account_id",
            "email",
            "first_name",
            "last_name",
            "title",
            "phone",
            "country",
            "owner_id",
            "source_channel",
            "source_campaign",
            "budget_known",
            "authority_known",
            "need_known",
            "need_note",
            "timeline_known",
            "buying_role",
            "buying_stage",
            "stage",
            "stage_since",
            "score",
            "created_at",
            "updated_at",
        ],
        std::mem::take(people),
    )
    .await?;
    insert_many(
        conn,
        "handoff_events",
        &[
            "id",
            "contact_id",
            "kind",
            "at",
            "actor_id",
            "from_stage",
            "to_stage",
            "reason",
            "channel",
            "note",
            "playbook",
            "recorded_at",
            "prev_hash",
            "bulk_id",
        ],
        std::mem::take(events),
    )
    .await?;
    insert_many(
        conn,
        "activities",
        &[
            "id",
            "contact_id",
            "kind",
            "at",
            "detail",
            "recorded_at",
            "hash",
            "bulk_id",
        ],
        std::mem::take(acts),
    )
    .await?;
    Ok(())
}

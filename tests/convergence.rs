//! Histories converge: the same signed records, applied in any order, give the same team,
//! the same versions with the same signatures counted, the same playbook in force and the
//! same stage for every contact, at any instant. Checked on 1,000 random histories through
//! the folds, and on some of them through two real SQLite databases filled in different
//! orders.
use std::collections::HashSet;

mod common;
use common::Rng;

use chrono::{DateTime, Duration, TimeZone, Utc};
use playbook::agreements::records::{SignoffRecord, VersionRecord};
use playbook::agreements::store as agreements;
use playbook::agreements::{
    AgreementBody, AgreementKind, ReasonBody, ReasonUse, SignoffAction, StageAction, StageBody,
};
use playbook::db::{new_id, ts};
use playbook::handoffs::playbook_at::PlaybookHistory;
use playbook::handoffs::records::EventRecord;
use playbook::handoffs::replay::{replay, Context};
use playbook::handoffs::EventKind;
use playbook::team::records::{self as member_records, MemberFields, MemberRecord};
use playbook::team::roster::Roster;
use playbook::team::{Role, Side};
use playbook::trust::keys;
use playbook::trust::Signer;

/// Marketing manager (founder), sales manager, sales rep, marketing rep.
struct Team {
    signers: Vec<Signer>,
    sides: Vec<Side>,
    envelope: String,
}

fn team() -> Team {
    let (_, env) = keys::generate("convergence test").unwrap();
    let signers = (0..4)
        .map(|i| {
            let (k, _) = keys::generate("convergence test").unwrap();
            Signer::new(format!("member-{i}"), k)
        })
        .collect();
    Team {
        signers,
        sides: vec![Side::Marketing, Side::Sales, Side::Sales, Side::Marketing],
        envelope: serde_json::to_string(&env).unwrap(),
    }
}

/// All the records of one random history.
struct History {
    genesis: String,
    members: Vec<MemberRecord>,
    versions: Vec<VersionRecord>,
    signoffs: Vec<SignoffRecord>,
    events: Vec<EventRecord>,
    contacts: Vec<String>,
    instants: Vec<DateTime<Utc>>,
}

fn stage(
    side: Side,
    position: u32,
    next: &[&str],
    actions: &[(EventKind, Option<&str>, Side)],
) -> AgreementBody {
    AgreementBody::Stage(StageBody {
        side,
        position,
        entry_criteria: format!("entry {position}"),
        exit_criteria: format!("exit {position}"),
        max_days_in_stage: None,
        allowed_next: next.iter().map(|s| s.to_string()).collect(),
        actions: actions
            .iter()
            .map(|(event, to, by)| StageAction {
                event: *event,
                to: to.map(str::to_string),
                by: *by,
                managers_only: false,
            })
            .collect(),
    })
}

fn base_playbook() -> Vec<(&'static str, AgreementBody)> {
    use EventKind::*;
    let (m, s) = (Side::Marketing, Side::Sales);
    vec![
        (
            "new",
            stage(m, 1, &["ready"], &[(HandedOver, Some("ready"), m)]),
        ),
        (
            "ready",
            stage(
                m,
                2,
                &["working", "back"],
                &[(Accepted, Some("working"), s), (Rejected, Some("back"), s)],
            ),
        ),
        (
            "working",
            stage(
                s,
                3,
                &["back"],
                &[(Attempt, None, s), (Recycled, Some("back"), s)],
            ),
        ),
        (
            "back",
            stage(m, 4, &["ready"], &[(HandedOver, Some("ready"), m)]),
        ),
        (
            "no_budget",
            AgreementBody::Reason(ReasonBody {
                applies_to: vec![ReasonUse::Reject, ReasonUse::Recycle],
                description: "No budget".into(),
            }),
        ),
    ]
}

fn version(
    key: &str,
    body: &AgreementBody,
    author: &Signer,
    at: DateTime<Utc>,
    effective: Option<DateTime<Utc>>,
) -> VersionRecord {
    let kind = body.kind();
    let mut v = VersionRecord {
        id: new_id(),
        item_id: agreements::item_id_for(kind, key),
        kind: kind.as_str().into(),
        key: key.into(),
        name: key.into(),
        body: serde_json::to_string(body).unwrap(),
        summary: String::new(),
        effective_from: effective.map(ts),
        supersedes: None,
        author_id: Some(author.member_id.clone()),
        created_at: ts(at),
        hash: None,
        signature: None,
    };
    let h = v.computed_hash().unwrap();
    v.signature = Some(author.sign(&h));
    v.hash = Some(h);
    v
}

fn history(seed: u64, t: &Team) -> History {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let t0 = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
    // Coarse times (whole minutes in a few hours) so that ties happen and ids decide.
    let when = |rng: &mut Rng| t0 + Duration::minutes(60 + rng.below(240) as i64);
    let roles = [Role::Manager, Role::Manager, Role::Rep, Role::Rep];
    let member = |i: usize, role: Role, at: DateTime<Utc>, by: &Signer| {
        member_records::signed(
            &MemberFields {
                member_id: &t.signers[i].member_id,
                email: &format!("m{i}@x.example"),
                name: &format!("Member {i}"),
                side: t.sides[i],
                role,
                removed: false,
                public_key: &t.signers[i].public_key(),
                key_envelope: &t.envelope,
            },
            by,
            at,
        )
    };
    let mut members = vec![member(0, Role::Manager, t0, &t.signers[0])];
    let genesis = members[0].id.clone();
    for (i, role) in roles.iter().enumerate().skip(1) {
        members.push(member(
            i,
            *role,
            t0 + Duration::minutes(i as i64),
            &t.signers[0],
        ));
    }
    // Sometimes a rep is promoted or a manager stepped down, by a random member (reps'
    // changes do not count), at a random time.
    for _ in 0..rng.below(3) {
        let who = 1 + rng.below(3);
        let role = if rng.chance(0.5) {
            Role::Manager
        } else {
            Role::Rep
        };
        let by = rng.below(4);
        let at = when(&mut rng);
        members.push(member(who, role, at, &t.signers[by]));
    }

    let mut versions = Vec::new();
    let mut signoffs = Vec::new();
    let base = base_playbook();
    for (i, (key, body)) in base.iter().enumerate() {
        let at = t0 + Duration::minutes(10 + i as i64);
        let v = version(key, body, &t.signers[0], at, None);
        for (who, m) in [(0, 1), (1, 2)] {
            signoffs.push(agreements::signed_signoff(
                &v.id,
                v.hash.as_deref().unwrap(),
                SignoffAction::Approved,
                &t.signers[who],
                "",
                at + Duration::minutes(m),
            ));
        }
        versions.push(v);
    }
    // Random changes: new versions of random items, random approvals and declines by
    // random members (reps' signatures do not count), some effective later.
    for _ in 0..rng.below(6) {
        let (key, body) = &base[rng.below(base.len())];
        let body = match body {
            AgreementBody::Stage(s) => {
                let mut s = s.clone();
                s.entry_criteria = format!("entry {}", rng.below(1000));
                if rng.chance(0.3) {
                    s.actions.retain(|a| a.event != EventKind::Rejected);
                }
                AgreementBody::Stage(s)
            }
            other => other.clone(),
        };
        let effective = rng.chance(0.3).then(|| when(&mut rng));
        let at = when(&mut rng);
        let v = version(key, &body, &t.signers[rng.below(4)], at, effective);
        for _ in 0..rng.below(4) {
            let action = if rng.chance(0.8) {
                SignoffAction::Approved
            } else {
                SignoffAction::Declined
            };
            let by = rng.below(4);
            let at = when(&mut rng);
            signoffs.push(agreements::signed_signoff(
                &v.id,
                v.hash.as_deref().unwrap(),
                action,
                &t.signers[by],
                "x",
                at,
            ));
        }
        versions.push(v);
    }

    let mut events = Vec::new();
    let mut contacts = Vec::new();
    for _ in 0..3 {
        let contact = new_id();
        let created_at = t0 + Duration::minutes(30);
        let mut prev: Option<String> = None;
        let push = |events: &mut Vec<EventRecord>,
                    kind: EventKind,
                    at: DateTime<Utc>,
                    by: usize,
                    to: &str,
                    rng: &mut Rng,
                    prev: &mut Option<String>| {
            let reason = matches!(kind, EventKind::Rejected | EventKind::Recycled)
                .then(|| "no_budget".to_string());
            let channel = (kind == EventKind::Attempt).then(|| "phone".to_string());
            let r = EventRecord {
                id: new_id(),
                contact_id: contact.clone(),
                kind: kind.as_str().into(),
                at: ts(at),
                actor_id: Some(t.signers[by].member_id.clone()),
                assignee_id: None,
                to_stage: to.into(),
                reason,
                channel,
                note: format!("{}", rng.below(10)),
                external_id: None,
                prev_hash: prev.clone(),
                hash: None,
                signature: None,
                bulk_id: None,
            }
            .sealed();
            let signature = t.signers[by].sign(r.hash.as_deref().unwrap());
            *prev = r.hash.clone();
            events.push(EventRecord {
                signature: Some(signature),
                ..r
            });
        };
        push(
            &mut events,
            EventKind::Created,
            created_at,
            3,
            "new",
            &mut rng,
            &mut prev,
        );
        let kinds = [
            EventKind::HandedOver,
            EventKind::Accepted,
            EventKind::Rejected,
            EventKind::Attempt,
            EventKind::Recycled,
        ];
        for _ in 0..4 + rng.below(8) {
            let kind = kinds[rng.below(kinds.len())];
            let at = when(&mut rng);
            push(&mut events, kind, at, rng.below(4), "", &mut rng, &mut prev);
        }
        contacts.push(contact);
    }
    let instants = (0..4)
        .map(|_| when(&mut rng))
        .chain([t0 + Duration::days(1)])
        .collect();
    History {
        genesis,
        members,
        versions,
        signoffs,
        events,
        contacts,
        instants,
    }
}

/// Everything the folds say about a history, as text to compare.
fn outcome(
    members: Vec<MemberRecord>,
    versions: Vec<VersionRecord>,
    signoffs: Vec<SignoffRecord>,
    events: &[EventRecord],
    h: &History,
) -> String {
    let roster = Roster::fold(members, Some(&h.genesis));
    let none = HashSet::new();
    let mut out = String::new();
    for at in &h.instants {
        let at_text = ts(*at);
        for i in 0..4 {
            out += &format!(
                "{:?}\n",
                roster
                    .at(&format!("member-{i}"), &at_text)
                    .map(|m| (m.role, m.side))
            );
        }
        let items = agreements::assemble(versions.clone(), signoffs.clone(), &roster, &none, *at);
        for item in &items {
            out += &format!(
                "{}/{} in force {:?}\n",
                item.kind.as_str(),
                item.key,
                item.in_force.as_ref().map(|v| (&v.id, v.number))
            );
            for v in &item.versions {
                let counted: Vec<_> = v
                    .log
                    .iter()
                    .filter(|e| e.problem.is_none())
                    .map(|e| &e.id)
                    .collect();
                out += &format!(
                    "  v{} {} {:?} {:?} {:?}\n",
                    v.number, v.id, v.status, v.effective_at, counted
                );
            }
        }
        let pb = PlaybookHistory::from_items(items);
        let bulks = HashSet::new();
        let ctx = Context {
            pb: &pb,
            roster: &roster,
            valid_bulks: &bulks,
            tampered: &none,
        };
        for c in &h.contacts {
            let mine: Vec<EventRecord> = events
                .iter()
                .filter(|e| &e.contact_id == c && e.at <= at_text)
                .cloned()
                .collect();
            let (outcomes, state) = replay(&mine, &ctx);
            let mut by_id: Vec<_> = mine
                .iter()
                .map(|e| &e.id)
                .zip(outcomes.iter().map(|o| format!("{o:?}")))
                .collect();
            by_id.sort();
            out += &format!("contact {c}: {state:?} {by_id:?}\n");
        }
    }
    out
}

#[test]
fn any_order_of_the_same_records_gives_the_same_result() {
    let t = team();
    let mut shuffler = Rng(7);
    let mut skipped_somewhere = false;
    for seed in 1..=1000u64 {
        let h = history(seed, &t);
        let a = outcome(
            h.members.clone(),
            h.versions.clone(),
            h.signoffs.clone(),
            &h.events,
            &h,
        );
        let (mut m, mut v, mut s, mut e) = (
            h.members.clone(),
            h.versions.clone(),
            h.signoffs.clone(),
            h.events.clone(),
        );
        shuffler.shuffle(&mut m);
        shuffler.shuffle(&mut v);
        shuffler.shuffle(&mut s);
        shuffler.shuffle(&mut e);
        let b = outcome(m, v, s, &e, &h);
        if a != b {
            let first = a.lines().zip(b.lines()).find(|(x, y)| x != y);
            panic!("history {seed} does not converge; first difference: {first:?}");
        }
        skipped_somewhere |= a.contains("Skipped");
    }
    assert!(
        skipped_somewhere,
        "the histories should include events the rules refuse"
    );
}

/// Fills a real database with a history's records in the given order (parents first, as a
/// feed delivers them: a sign-off after its version, an event after its contact).
async fn fill(dir: &std::path::Path, h: &History, order: &mut Rng) -> playbook::db::Db {
    let db = playbook::db::open(dir).await.unwrap();
    let mut tx = playbook::db::write(&db).await.unwrap();
    let mut members = h.members.clone();
    order.shuffle(&mut members);
    for r in &members {
        member_records::insert(&mut tx, r).await.unwrap();
    }
    sqlx::query("INSERT INTO workspace (id, genesis_record_id, created_at) VALUES ('w', ?, '2026-03-01T09:00:00.000Z')")
        .bind(&h.genesis)
        .execute(&mut *tx)
        .await
        .unwrap();
    playbook::team::store::refresh(&mut tx).await.unwrap();
    let mut versions = h.versions.clone();
    order.shuffle(&mut versions);
    for v in &versions {
        let kind = AgreementKind::parse(&v.kind).unwrap();
        agreements::ensure_item(&mut tx, kind, &v.key, Utc::now())
            .await
            .unwrap();
        agreements::insert_version(&mut tx, v).await.unwrap();
    }
    let mut signoffs = h.signoffs.clone();
    order.shuffle(&mut signoffs);
    for s in &signoffs {
        agreements::insert_signoff(&mut tx, s).await.unwrap();
    }
    for c in &h.contacts {
        sqlx::query("INSERT INTO contacts (id, stage, stage_since, created_at, updated_at) VALUES (?, 'new', '', '', '')")
            .bind(c)
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    let mut events = h.events.clone();
    order.shuffle(&mut events);
    for e in &events {
        playbook::handoffs::records::insert(&mut tx, e, None, "", "")
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    db
}

async fn read_back(db: &playbook::db::Db, h: &History) -> String {
    let mut conn = db.acquire().await.unwrap();
    let mut out = String::new();
    for at in &h.instants {
        for item in agreements::load_items(&mut conn, None, *at).await.unwrap() {
            out += &format!(
                "{}/{} {:?}\n",
                item.kind.as_str(),
                item.key,
                item.in_force.map(|v| (v.id, v.number))
            );
            for v in item.versions {
                out += &format!("  {} {} {:?}\n", v.number, v.id, v.status);
            }
        }
    }
    let ledger = playbook::handoffs::store::Ledger::load(&mut conn)
        .await
        .unwrap();
    for c in &h.contacts {
        let state = playbook::handoffs::store::lifecycle(&mut conn, &ledger, c)
            .await
            .unwrap();
        out += &format!("{c}: {state:?}\n");
    }
    out
}

#[tokio::test]
async fn two_databases_filled_in_different_orders_agree() {
    let t = team();
    let mut order = Rng(99);
    for seed in 1..=25u64 {
        let h = history(seed, &t);
        let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let a = fill(da.path(), &h, &mut order).await;
        let b = fill(db.path(), &h, &mut order).await;
        assert_eq!(
            read_back(&a, &h).await,
            read_back(&b, &h).await,
            "history {seed}"
        );
        a.close().await;
        b.close().await;
    }
}

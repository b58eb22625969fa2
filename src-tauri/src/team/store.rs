//! SQL for the team: reading members as the roster fold tells them (never the `members`
//! table alone, which anyone with the file can edit), adding, changing, removing and
//! unlocking members through signed member records, and keeping the `members` projection
//! (what lists and joins read) in step.
use chrono::{DateTime, Utc};

use super::names::Look;
use super::records::{self, MemberFields};
use super::roster::{MemberState, Roster};
use super::{Member, MemberChange, MemberHistory, NewMember, Role, Side};
use crate::db::{new_id, ts, Conn};
use crate::error::{AppError, AppResult};
use crate::trust::keys::{self, KeyEnvelope};
use crate::trust::Signer;

fn member(roster: &Roster, s: &MemberState) -> Member {
    let key_set = roster.key_set_by(&s.member_id);
    Member {
        id: s.member_id.clone(),
        email: s.email.clone(),
        name: s.name.clone(),
        side: s.side,
        role: s.role,
        created_at: roster
            .history(&s.member_id)
            .first()
            .map_or_else(|| s.at.clone(), |f| f.at.clone()),
        has_key: !s.public_key.is_empty(),
        key_set_by: key_set.map(|(_, by)| by.name.clone()),
        key_set_at: key_set.map(|(set, _)| set.at.clone()),
    }
}

/// Everyone on the team now, as the roster tells it (side, role, name order).
pub async fn list(conn: &mut Conn) -> AppResult<Vec<Member>> {
    let roster = records::roster(conn).await?;
    Ok(current(&roster))
}

fn current(roster: &Roster) -> Vec<Member> {
    let mut all: Vec<Member> = roster
        .everyone()
        .filter(|s| !s.removed)
        .map(|s| member(roster, s))
        .collect();
    all.sort_by(|a, b| {
        (
            a.side.as_str(),
            a.role.as_str(),
            a.name.to_lowercase(),
            &a.id,
        )
            .cmp(&(
                b.side.as_str(),
                b.role.as_str(),
                b.name.to_lowercase(),
                &b.id,
            ))
    });
    all
}

pub async fn get(conn: &mut Conn, id: &str) -> AppResult<Member> {
    let roster = records::roster(conn).await?;
    roster
        .latest(id)
        .filter(|s| !s.removed)
        .map(|s| member(&roster, s))
        .ok_or_else(|| AppError::not_found(format!("no team member with id {id}")))
}

pub async fn find_by_email(conn: &mut Conn, email: &str) -> AppResult<Option<Member>> {
    let email = super::names::collapse(email).to_lowercase();
    let roster = records::roster(conn).await?;
    let found = roster
        .everyone()
        .find(|s| !s.removed && s.email == email)
        .map(|s| member(&roster, s));
    Ok(found)
}

/// The member with this email, or a `not_found` error naming it.
pub async fn by_email(conn: &mut Conn, email: &str) -> AppResult<Member> {
    find_by_email(conn, email)
        .await?
        .ok_or_else(|| AppError::not_found(format!("no team member with email {}", email.trim())))
}

/// A member by email or id.
pub async fn by_ref(conn: &mut Conn, who: &str) -> AppResult<Member> {
    if who.contains('@') {
        by_email(conn, who).await
    } else {
        get(conn, who.trim()).await
    }
}

/// A member and every change to them, with who signed it.
pub async fn history(conn: &mut Conn, email: &str) -> AppResult<MemberHistory> {
    let m = by_email(&mut *conn, email).await?;
    let roster = records::roster(conn).await?;
    let states = roster.history(&m.id);
    let mut changes = Vec::with_capacity(states.len());
    for (i, s) in states.iter().enumerate() {
        let before = i.checked_sub(1).map(|j| &states[j]);
        let what = match before {
            None if s.signer_id == s.member_id => {
                format!(
                    "founded the workspace as a {} {}",
                    s.side.as_str(),
                    s.role.as_str()
                )
            }
            None => format!("added as a {} {}", s.side.as_str(), s.role.as_str()),
            Some(_) if s.removed => "removed from the team".to_string(),
            Some(b) if b.removed => format!(
                "added again as a {} {}{}",
                s.side.as_str(),
                s.role.as_str(),
                if b.public_key != s.public_key {
                    ", with a new key"
                } else {
                    ""
                }
            ),
            Some(b) => {
                let mut parts = Vec::new();
                if b.name != s.name {
                    parts.push(format!("renamed from {} to {}", b.name, s.name));
                }
                if b.side != s.side || b.role != s.role {
                    parts.push(format!("now a {} {}", s.side.as_str(), s.role.as_str()));
                }
                if b.public_key != s.public_key {
                    parts.push("a new key".to_string());
                } else if b.key_envelope != s.key_envelope {
                    parts.push("a new passphrase".to_string());
                }
                parts.join("; ")
            }
        };
        let key_set_by = before
            .filter(|b| b.public_key != s.public_key && s.signer_id != s.member_id)
            .and_then(|_| roster.latest(&s.signer_id))
            .map(|by| by.name.clone());
        changes.push(MemberChange {
            at: s.at.clone(),
            what,
            signed_by: roster
                .latest(&s.signer_id)
                .map_or_else(|| s.signer_id.clone(), |by| by.name.clone()),
            key_set_by,
        });
    }
    Ok(MemberHistory { member: m, changes })
}

/// The id a member with this email gets: derived from the email, so two laptops that add
/// the same person offline make the same member (the merge rule for member emails).
pub fn member_id_for(email: &str) -> String {
    uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        format!("playbook:member:{email}").as_bytes(),
    )
    .to_string()
}

/// Refuses a name or email that is taken, or that a reader could take for another
/// member's (Unicode skeletons; case, accents and spacing set aside), so nobody can sign as
/// a look-alike. `except` is the member being renamed.
fn check_look_alikes(
    roster: &Roster,
    email: &str,
    name: &str,
    except: Option<&str>,
) -> AppResult<()> {
    let (email_look, name_look) = (Look::of(email), Look::of(name));
    for other in current(roster) {
        if Some(other.id.as_str()) == except {
            continue;
        }
        let taken = |what: &str, message: String| AppError {
            field: Some(what.into()),
            ..AppError::conflict(message)
        };
        if other.email == email {
            return Err(taken(
                "email",
                format!("a team member with email {email} already exists"),
            ));
        }
        if Look::of(&other.email).like(&email_look) {
            return Err(taken(
                "email",
                format!(
                    "email: {email} looks like {}'s email {}; use an address that cannot be mistaken for another member's",
                    other.name, other.email
                ),
            ));
        }
        if Look::of(&other.name).like(&name_look) {
            return Err(taken(
                "name",
                format!(
                    "name: '{name}' looks like the name of {} ({}); give a name that tells them apart",
                    other.name, other.email
                ),
            ));
        }
    }
    Ok(())
}

/// Whether any member record is stored (a workspace with a team, founded or not).
pub async fn has_members(conn: &mut Conn) -> AppResult<bool> {
    Ok(
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM member_records")
            .fetch_one(conn)
            .await?
            > 0,
    )
}

/// Founds a workspace: its first member, a manager who signs their own record. Refused
/// once the workspace has a founder, and when member records exist without one (the
/// founding record was lost: a backup restores it, a new founder would not).
pub async fn found(
    conn: &mut Conn,
    input: &NewMember,
    passphrase: &str,
    at: DateTime<Utc>,
) -> AppResult<(Member, Signer)> {
    if records::genesis(&mut *conn).await?.is_some() {
        return Err(AppError::conflict(
            "this workspace already has its founding manager; ask a manager to add you (`--as`)",
        ));
    }
    if has_members(&mut *conn).await? {
        return Err(AppError::conflict(
            "this workspace has members but its founding record is missing; restore a backup (playbook restore FILE) instead of founding it again",
        ));
    }
    let m = input.validated()?;
    if m.role != Role::Manager {
        return Err(AppError::invalid(
            "role",
            "role: the first member of a workspace is a manager (who then adds the team)",
        ));
    }
    let (key, envelope) = keys::generate(passphrase)?;
    let id = member_id_for(&m.email);
    let signer = Signer::new(id.clone(), key);
    let env = envelope_json(&envelope);
    let record = records::signed(&fields(&id, &m, &signer.public_key(), &env), &signer, at);
    records::insert(&mut *conn, &record).await?;
    sqlx::query("INSERT INTO workspace (id, genesis_record_id, created_at) VALUES (?, ?, ?)")
        .bind(new_id())
        .bind(&record.id)
        .bind(ts(at))
        .execute(&mut *conn)
        .await?;
    refresh(&mut *conn).await?;
    Ok((get(conn, &id).await?, signer))
}

/// Adds a member, signed by a manager; the new member's key is sealed under `passphrase`.
/// Someone removed (say, after forgetting their passphrase) is added again this way, with
/// a new key; their old signatures keep verifying against the old one.
pub async fn add(
    conn: &mut Conn,
    input: &NewMember,
    passphrase: &str,
    signer: &Signer,
    at: DateTime<Utc>,
) -> AppResult<Member> {
    let m = input.validated()?;
    let roster = require_manager(&mut *conn, signer, "add members").await?;
    check_look_alikes(&roster, &m.email, &m.name, None)?;
    let (key, envelope) = keys::generate(passphrase)?;
    add_with_key(conn, &m, &keys::public_hex(&key), &envelope, signer, at).await
}

/// [`add`] with a key made elsewhere (the demo makes its keys itself; a playbook file
/// carries a member's sealed key).
pub async fn add_with_key(
    conn: &mut Conn,
    input: &NewMember,
    public_key: &str,
    envelope: &KeyEnvelope,
    signer: &Signer,
    at: DateTime<Utc>,
) -> AppResult<Member> {
    let m = input.validated()?;
    let roster = require_manager(&mut *conn, signer, "add members").await?;
    check_look_alikes(&roster, &m.email, &m.name, None)?;
    let id = member_id_for(&m.email);
    let env = envelope_json(envelope);
    let record = records::signed(&fields(&id, &m, public_key, &env), signer, at);
    append(conn, &record, &id).await
}

/// Stores a new member record and refreshes the projection; refuses (with the fold's
/// reason) a record the roster would not count, so nothing is stored that does nothing.
async fn append(conn: &mut Conn, record: &records::MemberRecord, id: &str) -> AppResult<Member> {
    records::insert(&mut *conn, record).await?;
    let roster = records::roster(&mut *conn).await?;
    if let Some((_, why)) = roster.rejected.iter().find(|(r, _)| *r == record.id) {
        return Err(AppError::not_allowed(why.why.clone()));
    }
    records::project(&mut *conn, &roster).await?;
    roster
        .latest(id)
        .map(|s| member(&roster, s))
        .ok_or_else(|| AppError::not_found(format!("no team member with id {id}")))
}

/// The member named by `email` as the roster has them now, for a change signed by a
/// manager other than them.
async fn target<'a>(
    roster: &'a Roster,
    conn: &mut Conn,
    email: &str,
    signer: &Signer,
    what: &str,
) -> AppResult<&'a MemberState> {
    let member = by_email(conn, email).await?;
    if member.id == signer.member_id {
        return Err(AppError::not_allowed(format!(
            "a manager cannot {what} themselves; another manager must sign it"
        )));
    }
    roster
        .latest(&member.id)
        .ok_or_else(|| AppError::not_found(format!("no team member with email {email}")))
}

fn change(s: &MemberState) -> MemberFields<'_> {
    MemberFields {
        member_id: &s.member_id,
        email: &s.email,
        name: &s.name,
        side: s.side,
        role: s.role,
        removed: s.removed,
        public_key: &s.public_key,
        key_envelope: &s.key_envelope,
    }
}

/// Changes a member's side or role; signed by a manager other than the member.
pub async fn change_role(
    conn: &mut Conn,
    email: &str,
    side: Side,
    role: Role,
    signer: &Signer,
    at: DateTime<Utc>,
) -> AppResult<Member> {
    let roster = require_manager(&mut *conn, signer, "change roles").await?;
    let state = target(&roster, conn, email, signer, "change the side or role of").await?;
    if state.side == side && state.role == role {
        return Err(AppError::invalid(
            "role",
            format!(
                "{} is already a {} {}",
                state.name,
                side.as_str(),
                role.as_str()
            ),
        ));
    }
    let record = records::signed(
        &MemberFields {
            side,
            role,
            ..change(state)
        },
        signer,
        at,
    );
    let id = state.member_id.clone();
    append(conn, &record, &id).await
}

/// Renames a member; signed by a manager other than the member, and refused when the new
/// name looks like another member's.
pub async fn rename(
    conn: &mut Conn,
    email: &str,
    name: &str,
    signer: &Signer,
    at: DateTime<Utc>,
) -> AppResult<Member> {
    let name = super::names::clean_name(name)?;
    let roster = require_manager(&mut *conn, signer, "rename members").await?;
    let state = target(&roster, conn, email, signer, "rename").await?;
    if state.name == name {
        return Err(AppError::invalid(
            "name",
            format!("name: {} is already called that", state.name),
        ));
    }
    check_look_alikes(&roster, &state.email, &name, Some(&state.member_id))?;
    let record = records::signed(
        &MemberFields {
            name: &name,
            ..change(state)
        },
        signer,
        at,
    );
    let id = state.member_id.clone();
    append(conn, &record, &id).await
}

/// Removes a member from the team; signed by a manager other than the member. Their
/// records keep verifying; a manager can add them again (with a new key).
pub async fn remove(
    conn: &mut Conn,
    email: &str,
    signer: &Signer,
    at: DateTime<Utc>,
) -> AppResult<Member> {
    let roster = require_manager(&mut *conn, signer, "remove members").await?;
    let state = target(&roster, conn, email, signer, "remove").await?;
    let gone = member(&roster, state);
    let record = records::signed(
        &MemberFields {
            removed: true,
            ..change(state)
        },
        signer,
        at,
    );
    let id = state.member_id.clone();
    append(conn, &record, &id).await?;
    Ok(gone)
}

/// A member seals their own key under a new passphrase, or (`new_key`) replaces it with a
/// new key pair; signed with their current key. Name, email, side and role stay as they
/// are: only the member changes their own key, and nothing else this way.
pub async fn change_passphrase(
    conn: &mut Conn,
    signer: &Signer,
    new_passphrase: &str,
    new_key: bool,
    at: DateTime<Utc>,
) -> AppResult<Member> {
    let roster = records::roster(&mut *conn).await?;
    let state = roster
        .latest(&signer.member_id)
        .filter(|s| !s.removed)
        .ok_or_else(|| AppError::not_found("you are not on the team"))?;
    let (public_key, envelope) = if new_key {
        let (key, envelope) = keys::generate(new_passphrase)?;
        (keys::public_hex(&key), envelope)
    } else {
        (state.public_key.clone(), signer.reseal(new_passphrase)?)
    };
    let env = envelope_json(&envelope);
    let record = records::signed(
        &MemberFields {
            public_key: &public_key,
            key_envelope: &env,
            ..change(state)
        },
        signer,
        at,
    );
    let id = state.member_id.clone();
    append(conn, &record, &id).await
}

/// Opens a member's key with their passphrase: proof of who they are.
pub async fn unlock(conn: &mut Conn, who: &str, passphrase: &str) -> AppResult<Signer> {
    let member = by_ref(&mut *conn, who).await?;
    let roster = records::roster(&mut *conn).await?;
    let state = roster
        .latest(&member.id)
        .filter(|s| !s.removed)
        .ok_or_else(|| {
            AppError::not_allowed(format!(
                "{} has no valid signing key on this team",
                member.email
            ))
        })?;
    let envelope: KeyEnvelope = serde_json::from_str(&state.key_envelope)
        .map_err(|_| AppError::invalid("key", "the stored key is damaged"))?;
    let key = keys::open(&envelope, passphrase, &state.public_key).map_err(|e| AppError {
        message: format!("{}: {}", member.email, e.message),
        ..e
    })?;
    Ok(Signer::new(member.id, key))
}

/// Refuses a signer who is not a manager now, by the roster (never the `members` table);
/// returns the roster for the caller's further checks.
pub async fn require_manager(conn: &mut Conn, signer: &Signer, what: &str) -> AppResult<Roster> {
    let roster = records::roster(conn).await?;
    let now = ts(Utc::now());
    match roster.at(&signer.member_id, &now) {
        Some(m) if m.role == Role::Manager => Ok(roster),
        Some(m) => Err(AppError::not_allowed(format!(
            "only managers {what}; {} is a {} {}",
            m.name,
            m.side.as_str(),
            m.role.as_str()
        ))),
        None => Err(AppError::not_allowed(format!(
            "only managers {what}; {} is not on the team",
            roster.describe(&signer.member_id)
        ))),
    }
}

/// The member `signer` is now, by the roster: for checks of what they may do.
pub async fn signer_now(conn: &mut Conn, signer: &Signer) -> AppResult<Member> {
    get(conn, &signer.member_id).await.map_err(|_| {
        AppError::not_allowed("the key that signs this is not a member's on this team")
    })
}

fn fields<'a>(
    id: &'a str,
    m: &'a NewMember,
    public_key: &'a str,
    envelope_json: &'a str,
) -> MemberFields<'a> {
    MemberFields {
        member_id: id,
        email: &m.email,
        name: &m.name,
        side: m.side,
        role: m.role,
        removed: false,
        public_key,
        key_envelope: envelope_json,
    }
}

fn envelope_json(envelope: &KeyEnvelope) -> String {
    serde_json::to_string(envelope).expect("an envelope serialises")
}

/// Re-folds the member records into the `members` projection; returns how many rows it
/// had to put right.
pub async fn refresh(conn: &mut Conn) -> AppResult<u32> {
    let roster = records::roster(&mut *conn).await?;
    let repaired = records::project(&mut *conn, &roster).await?;
    // Records that named a person before they joined are theirs now.
    crate::leads::owners::resolve_owners(conn).await?;
    Ok(repaired)
}

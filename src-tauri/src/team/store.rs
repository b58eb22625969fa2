//! SQL for the team: the `members` projection, and adding, changing and unlocking members
//! through signed member records.
use chrono::{DateTime, Utc};

use super::records::{self, MemberFields};
use super::{skeleton, Member, NewMember, Role, Side};
use crate::db::{new_id, ts, Conn};
use crate::error::{AppError, AppResult};
use crate::trust::keys::{self, KeyEnvelope};
use crate::trust::Signer;

/// The member columns, as a literal so queries stay plain `&'static str`.
macro_rules! select_members {
    ($rest:literal) => {
        concat!(
            "SELECT id, email, name, side, role, created_at, public_key IS NOT NULL AS has_key FROM members ",
            $rest
        )
    };
}

pub async fn list(conn: &mut Conn) -> AppResult<Vec<Member>> {
    Ok(sqlx::query_as(select_members!(
        "WHERE deleted_at IS NULL ORDER BY side, role, name"
    ))
    .fetch_all(conn)
    .await?)
}

pub async fn get(conn: &mut Conn, id: &str) -> AppResult<Member> {
    sqlx::query_as(select_members!("WHERE id = ? AND deleted_at IS NULL"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| AppError::not_found(format!("no team member with id {id}")))
}

pub async fn find_by_email(conn: &mut Conn, email: &str) -> AppResult<Option<Member>> {
    Ok(sqlx::query_as(select_members!(
        "WHERE email = ? COLLATE NOCASE AND deleted_at IS NULL"
    ))
    .bind(super::normalise_email(email))
    .fetch_optional(conn)
    .await?)
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

/// The id a member with this email gets: derived from the email, so two laptops that add
/// the same person offline make the same member (the merge rule for member emails).
pub fn member_id_for(email: &str) -> String {
    uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        format!("playbook:member:{email}").as_bytes(),
    )
    .to_string()
}

/// Refuses a new member whose email is taken, or whose email or name looks like an
/// existing member's (Unicode skeletons), so nobody can sign as a look-alike.
async fn check_new(conn: &mut Conn, m: &NewMember) -> AppResult<()> {
    for other in list(&mut *conn).await? {
        let taken = |what: &str, message: String| AppError {
            field: Some(what.into()),
            ..AppError::conflict(message)
        };
        if other.email == m.email {
            return Err(taken(
                "email",
                format!("a team member with email {} already exists", m.email),
            ));
        }
        if skeleton(&other.email) == skeleton(&m.email) {
            return Err(taken(
                "email",
                format!(
                    "email: {} looks like {}'s email {}; use an address that cannot be mistaken for another member's",
                    m.email, other.name, other.email
                ),
            ));
        }
        if skeleton(&other.name) == skeleton(&m.name) {
            return Err(taken(
                "name",
                format!(
                    "name: '{}' looks like the name of {} ({}); give a name that tells them apart",
                    m.name, other.name, other.email
                ),
            ));
        }
    }
    Ok(())
}

/// Founds a workspace: its first member, a manager who signs their own record. Refused
/// once the workspace has a founder.
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
    let m = input.validated()?;
    if m.role != Role::Manager {
        return Err(AppError::invalid(
            "role",
            "role: the first member of a workspace is a manager (who then adds the team)",
        ));
    }
    check_new(&mut *conn, &m).await?;
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
pub async fn add(
    conn: &mut Conn,
    input: &NewMember,
    passphrase: &str,
    signer: &Signer,
    at: DateTime<Utc>,
) -> AppResult<Member> {
    let (key, envelope) = keys::generate(passphrase)?;
    add_with_key(conn, input, &keys::public_hex(&key), &envelope, signer, at).await
}

/// [`add`] with a key made elsewhere (the demo makes its keys itself).
pub async fn add_with_key(
    conn: &mut Conn,
    input: &NewMember,
    public_key: &str,
    envelope: &KeyEnvelope,
    signer: &Signer,
    at: DateTime<Utc>,
) -> AppResult<Member> {
    let m = input.validated()?;
    require_manager(&mut *conn, signer, "add members").await?;
    check_new(&mut *conn, &m).await?;
    let id = member_id_for(&m.email);
    let env = envelope_json(envelope);
    let record = records::signed(&fields(&id, &m, public_key, &env), signer, at);
    records::insert(&mut *conn, &record).await?;
    refresh(&mut *conn).await?;
    get(conn, &id).await
}

/// Changes a member's side or role; signed by a manager.
pub async fn change_role(
    conn: &mut Conn,
    email: &str,
    side: Side,
    role: Role,
    signer: &Signer,
    at: DateTime<Utc>,
) -> AppResult<Member> {
    require_manager(&mut *conn, signer, "change roles").await?;
    let member = by_email(&mut *conn, email).await?;
    let roster = records::roster(&mut *conn).await?;
    let Some(state) = roster.latest(&member.id) else {
        return Err(AppError::not_allowed(format!(
            "{} has no signing key; add them again with a key",
            member.email
        )));
    };
    if state.side == side && state.role == role {
        return Err(AppError::invalid(
            "role",
            format!(
                "{} is already a {} {}",
                member.name,
                side.as_str(),
                role.as_str()
            ),
        ));
    }
    let record = records::signed(
        &MemberFields {
            member_id: &state.member_id,
            email: &state.email,
            name: &state.name,
            side,
            role,
            removed: false,
            public_key: &state.public_key,
            key_envelope: &state.key_envelope,
        },
        signer,
        at,
    );
    records::insert(&mut *conn, &record).await?;
    refresh(&mut *conn).await?;
    get(conn, &member.id).await
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

/// Refuses a signer who is not a manager now.
pub async fn require_manager(conn: &mut Conn, signer: &Signer, what: &str) -> AppResult<()> {
    let m = get(conn, &signer.member_id).await?;
    if !m.is_manager() {
        return Err(AppError::not_allowed(format!(
            "only managers {what}; {} is a {} {}",
            m.name,
            m.side.as_str(),
            m.role.as_str()
        )));
    }
    Ok(())
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

/// Re-folds the member records into the `members` projection.
pub async fn refresh(conn: &mut Conn) -> AppResult<()> {
    let roster = records::roster(&mut *conn).await?;
    records::project(&mut *conn, &roster).await?;
    // Records that named a person before they joined are theirs now.
    crate::leads::owners::resolve_owners(conn).await?;
    Ok(())
}

pub async fn count(conn: &mut Conn) -> AppResult<i64> {
    Ok(
        sqlx::query_scalar("SELECT count(*) FROM members WHERE deleted_at IS NULL")
            .fetch_one(conn)
            .await?,
    )
}

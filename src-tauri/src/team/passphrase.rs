//! A member changing their own passphrase: their key, opened with the old one, is sealed
//! under the new one in a record they sign themselves (the roster admits exactly that from
//! a member who is not a manager: same key, same email, name, side and role).
use chrono::{DateTime, Utc};

use super::records::{self, MemberFields};
use super::{store, Member};
use crate::db::Conn;
use crate::error::{AppError, AppResult};
use crate::trust::Signer;

/// The shortest passphrase Playbook seals a key under.
pub const MIN_LENGTH: usize = 8;

pub async fn change(
    conn: &mut Conn,
    signer: &Signer,
    new_passphrase: &str,
    at: DateTime<Utc>,
) -> AppResult<Member> {
    if new_passphrase.chars().count() < MIN_LENGTH {
        return Err(AppError::invalid(
            "passphrase",
            format!("a passphrase has at least {MIN_LENGTH} characters"),
        ));
    }
    let roster = records::roster(&mut *conn).await?;
    let state = roster
        .latest(&signer.member_id)
        .filter(|s| !s.removed)
        .ok_or_else(|| {
            AppError::not_allowed("you are not on the team, so you have no key to change")
        })?
        .clone();
    let envelope = serde_json::to_string(&signer.reseal(new_passphrase)?)
        .map_err(|e| AppError::io(format!("cannot seal the key: {e}")))?;
    let record = records::signed(
        &MemberFields {
            member_id: &state.member_id,
            email: &state.email,
            name: &state.name,
            side: state.side,
            role: state.role,
            removed: false,
            public_key: &state.public_key,
            key_envelope: &envelope,
        },
        signer,
        at,
    );
    records::insert(&mut *conn, &record).await?;
    store::refresh(&mut *conn).await?;
    store::get(conn, &state.member_id).await
}

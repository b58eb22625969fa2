//! The team as its signed member records tell it, at any instant: a pure fold. A record
//! counts only when its hash matches its content and it is signed by a member who was a
//! manager at that moment (the founding record by the workspace's creator).
use std::collections::HashMap;

use super::records::MemberRecord;
use super::{Role, Side};
use crate::trust::keys;

/// One member as of one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberState {
    pub member_id: String,
    pub email: String,
    pub name: String,
    pub side: Side,
    pub role: Role,
    pub removed: bool,
    pub public_key: String,
    pub key_envelope: String,
    /// The record that set this state, and when.
    pub record_id: String,
    pub at: String,
}

/// The fold: every member's states in time order, and the records that did not count.
#[derive(Debug, Clone, Default)]
pub struct Roster {
    states: HashMap<String, Vec<MemberState>>,
    /// (record id, why it does not count)
    pub rejected: Vec<(String, String)>,
}

impl Roster {
    /// Folds member records in (time, id) order, so every replica reaches the same team.
    pub fn fold(mut records: Vec<MemberRecord>, genesis_record_id: Option<&str>) -> Roster {
        records.sort_by(|a, b| (&a.at, &a.id).cmp(&(&b.at, &b.id)));
        let mut roster = Roster::default();
        for r in records {
            match roster.admit(&r, genesis_record_id) {
                Ok(()) => roster
                    .states
                    .entry(r.member_id.clone())
                    .or_default()
                    .push(MemberState {
                        member_id: r.member_id.clone(),
                        email: r.email.clone(),
                        name: r.name.clone(),
                        side: r.side,
                        role: r.role,
                        removed: r.removed,
                        public_key: r.public_key.clone(),
                        key_envelope: r.key_envelope.clone(),
                        record_id: r.id.clone(),
                        at: r.at.clone(),
                    }),
                Err(why) => roster.rejected.push((r.id.clone(), why)),
            }
        }
        roster
    }

    fn admit(&self, r: &MemberRecord, genesis: Option<&str>) -> Result<(), String> {
        if r.computed_hash() != r.hash {
            return Err("its content does not match its hash".into());
        }
        if Some(r.id.as_str()) == genesis {
            if r.signer_id != r.member_id || r.role != Role::Manager {
                return Err("the founding record must make its signer a manager".into());
            }
            return if keys::verify(&r.public_key, &r.hash, &r.signature) {
                Ok(())
            } else {
                Err("the founder's signature does not verify".into())
            };
        }
        let Some(signer) = self.at(&r.signer_id, &r.at) else {
            return Err(format!(
                "signed by {}, who was not on the team then",
                r.signer_id
            ));
        };
        if !keys::verify(&signer.public_key, &r.hash, &r.signature) {
            return Err(format!("{}'s signature does not verify", signer.email));
        }
        let current = self.at(&r.member_id, &r.at);
        // A member may re-seal their own key under a new passphrase; nothing else.
        let own_passphrase = current.is_some_and(|c| {
            r.signer_id == r.member_id
                && c.public_key == r.public_key
                && c.role == r.role
                && c.side == r.side
                && c.email == r.email
                && !r.removed
        });
        if signer.role != Role::Manager && !own_passphrase {
            return Err(format!(
                "signed by {}, a {} {} then; only managers change the team",
                signer.email,
                signer.side.as_str(),
                signer.role.as_str()
            ));
        }
        Ok(())
    }

    /// The member's state at `at` (RFC 3339 UTC), if they were on the team then.
    pub fn at(&self, member_id: &str, at: &str) -> Option<&MemberState> {
        let list = self.states.get(member_id)?;
        let idx = list.partition_point(|s| s.at.as_str() <= at);
        list[..idx].last().filter(|s| !s.removed)
    }

    /// The member's latest state, removed or not.
    pub fn latest(&self, member_id: &str) -> Option<&MemberState> {
        self.states.get(member_id)?.last()
    }

    /// Everyone's latest state.
    pub fn everyone(&self) -> impl Iterator<Item = &MemberState> {
        self.states.values().filter_map(|l| l.last())
    }

    /// Whether `member_id` held `role` on `side` (any side when None) at `at`.
    pub fn held(&self, member_id: &str, at: &str, role: Role, side: Option<Side>) -> bool {
        self.at(member_id, at)
            .is_some_and(|s| s.role == role && side.is_none_or(|side| s.side == side))
    }
}

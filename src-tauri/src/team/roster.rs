//! The team as its signed member records tell it, at any instant: a pure fold. A record
//! counts only when its hash matches its content and it is signed by someone allowed to
//! make that change at that moment: the founding record by the workspace's creator; an
//! addition, a removal, a change of name, side or role by a manager other than the member;
//! a new passphrase or key only by the member themselves.
use std::collections::HashMap;

use super::names;
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
    /// The record that set this state, who signed it, and when.
    pub record_id: String,
    pub signer_id: String,
    pub at: String,
    /// How the name and email look (compared against new members' for look-alikes).
    name_look: names::Look,
    email_look: names::Look,
}

/// The fold: every member's states in time order, and the records that did not count.
#[derive(Debug, Clone, Default)]
pub struct Roster {
    states: HashMap<String, Vec<MemberState>>,
    /// (record id, why it does not count)
    pub rejected: Vec<(String, Rejection)>,
}

/// Why a member record does not count: its signature or content does not hold
/// (`tampered`), or it is genuine but its signer had no right to make that change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub not_authorised: bool,
    pub why: String,
    /// Signed by someone not on the team at its time: said (who, and whether the
    /// signature is theirs) once the whole team is folded.
    off_team: Option<Box<[String; 4]>>,
}

impl Rejection {
    fn tampered(why: impl Into<String>) -> Rejection {
        Rejection {
            not_authorised: false,
            why: why.into(),
            off_team: None,
        }
    }
    fn refused(why: impl Into<String>) -> Rejection {
        Rejection {
            not_authorised: true,
            why: why.into(),
            off_team: None,
        }
    }
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
                        signer_id: r.signer_id.clone(),
                        at: r.at.clone(),
                        name_look: names::Look::of(&r.name),
                        email_look: names::Look::of(&r.email),
                    }),
                Err(why) => roster.rejected.push((r.id.clone(), why)),
            }
        }
        // Who signed a record dated before they joined is known once everyone is folded.
        let mut rejected = std::mem::take(&mut roster.rejected);
        for (_, why) in &mut rejected {
            if let Some(off) = why.off_team.take() {
                let [signer, at, hash, signature] = *off;
                let p = roster.off_team(&signer, &at, &hash, &signature);
                why.not_authorised = p.kind == crate::trust::ProblemKind::NotAuthorised;
                why.why = p.text;
            }
        }
        roster.rejected = rejected;
        roster
    }

    fn admit(&self, r: &MemberRecord, genesis: Option<&str>) -> Result<(), Rejection> {
        if r.computed_hash() != r.hash {
            return Err(Rejection::tampered("its content does not match its hash"));
        }
        if names::clean_name(&r.name).ok().as_deref() != Some(r.name.as_str())
            || names::clean_email(&r.email).ok().as_deref() != Some(r.email.as_str())
        {
            return Err(Rejection::refused(
                "its name or email holds invisible characters or is not in its clean form",
            ));
        }
        if Some(r.id.as_str()) == genesis {
            if r.signer_id != r.member_id || r.role != Role::Manager || r.removed {
                return Err(Rejection::refused(
                    "the founding record must make its signer a manager",
                ));
            }
            return if keys::verify(&r.public_key, &r.hash, &r.signature) {
                Ok(())
            } else {
                Err(Rejection::tampered(
                    "the founder's signature does not verify",
                ))
            };
        }
        let Some(signer) = self.at(&r.signer_id, &r.at) else {
            // Genuine or not, it counts for nothing: nobody off the team changes it.
            return Err(Rejection {
                off_team: Some(Box::new([
                    r.signer_id.clone(),
                    r.at.clone(),
                    r.hash.clone(),
                    r.signature.clone(),
                ])),
                ..Rejection::tampered("signed by someone not on the team then")
            });
        };
        if !keys::verify(&signer.public_key, &r.hash, &r.signature) {
            return Err(Rejection::tampered(format!(
                "{}'s signature does not verify",
                signer.email
            )));
        }
        let by = |what: &str| {
            format!(
                "signed by {} <{}>, a {} {} then; {what}",
                signer.name,
                signer.email,
                signer.side.as_str(),
                signer.role.as_str()
            )
        };
        let own = r.signer_id == r.member_id;
        match self.at(&r.member_id, &r.at) {
            // An addition (or someone removed added again, with a new key).
            None => {
                if r.removed {
                    return Err(Rejection::refused(format!(
                        "it removes {}, who is not on the team",
                        r.email
                    )));
                }
                if signer.role != Role::Manager {
                    return Err(Rejection::refused(by("only managers add members")));
                }
                self.look_alike(r)
            }
            Some(current) => {
                if current.email != r.email {
                    return Err(Rejection::refused(
                        "a member's email does not change; remove them and add the new address",
                    ));
                }
                let key_changed =
                    current.public_key != r.public_key || current.key_envelope != r.key_envelope;
                let person_changed = current.name != r.name
                    || current.side != r.side
                    || current.role != r.role
                    || r.removed;
                if own {
                    if person_changed {
                        return Err(Rejection::refused(format!(
                            "{} changed their own name, side, role or membership; another manager must sign that",
                            current.name
                        )));
                    }
                    return Ok(());
                }
                if key_changed {
                    return Err(Rejection::refused(format!(
                        "{} changed {}'s key; only a member changes their own key (a manager may remove them and add them again)",
                        signer.name, current.name
                    )));
                }
                if signer.role != Role::Manager {
                    return Err(Rejection::refused(by("only managers change the team")));
                }
                if current.name != r.name {
                    return self.look_alike(r);
                }
                Ok(())
            }
        }
    }

    /// Refuses a name or email that a reader could take for another member's.
    fn look_alike(&self, r: &MemberRecord) -> Result<(), Rejection> {
        let (name, email) = (names::Look::of(&r.name), names::Look::of(&r.email));
        for other in self.everyone_at(&r.at) {
            if other.member_id == r.member_id {
                continue;
            }
            if other.email_look.like(&email) {
                return Err(Rejection::refused(format!(
                    "its email {} looks like {}'s email {}",
                    r.email, other.name, other.email
                )));
            }
            if other.name_look.like(&name) {
                return Err(Rejection::refused(format!(
                    "its name '{}' looks like the name of {} ({})",
                    r.name, other.name, other.email
                )));
            }
        }
        Ok(())
    }

    /// Whether `signature` over `hash` verifies against any key the member has held: a
    /// genuine signature, whatever the member's standing when it claims to have been made.
    pub fn ever_signed(&self, member_id: &str, hash: &str, signature: &str) -> bool {
        self.history(member_id)
            .iter()
            .any(|s| keys::verify(&s.public_key, hash, signature))
    }

    /// Why a record signed by `member_id` at `at` does not count because they were not on
    /// the team then: not authorised when the signature is theirs, tampered otherwise.
    pub fn off_team(
        &self,
        member_id: &str,
        at: &str,
        hash: &str,
        signature: &str,
    ) -> crate::trust::Problem {
        let why = format!(
            "signed by {}, who was not on the team at {at}",
            self.describe(member_id)
        );
        if self.ever_signed(member_id, hash, signature) {
            crate::trust::Problem::not_authorised(why)
        } else {
            crate::trust::Problem::tampered(why)
        }
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

    /// Every state the member has had, oldest first.
    pub fn history(&self, member_id: &str) -> &[MemberState] {
        self.states.get(member_id).map_or(&[], Vec::as_slice)
    }

    /// Everyone's latest state.
    pub fn everyone(&self) -> impl Iterator<Item = &MemberState> {
        self.states.values().filter_map(|l| l.last())
    }

    /// Everyone on the team at `at`.
    pub fn everyone_at<'a>(&'a self, at: &'a str) -> impl Iterator<Item = &'a MemberState> {
        self.states.keys().filter_map(move |id| self.at(id, at))
    }

    /// Whether `member_id` held `role` on `side` (any side when None) at `at`.
    pub fn held(&self, member_id: &str, at: &str, role: Role, side: Option<Side>) -> bool {
        self.at(member_id, at)
            .is_some_and(|s| s.role == role && side.is_none_or(|side| s.side == side))
    }

    /// A member as people know them, `Name <email>`; an id nobody on this team ever had is
    /// shown as such.
    pub fn describe(&self, member_id: &str) -> String {
        match self.latest(member_id) {
            Some(m) => format!("{} <{}>", m.name, m.email),
            None => format!("someone who was never on this team (member id {member_id})"),
        }
    }

    /// Who set the member's current key and when, if it replaced an earlier key and was
    /// set by someone else (a manager adding them again after a forgotten passphrase).
    pub fn key_set_by(&self, member_id: &str) -> Option<(&MemberState, &MemberState)> {
        let list = self.states.get(member_id)?;
        let latest = list.last()?;
        let first = list
            .iter()
            .rposition(|s| s.public_key != latest.public_key)
            .map(|i| i + 1)?;
        let set = &list[first];
        if set.signer_id == member_id {
            return None;
        }
        let signer = self.latest(&set.signer_id)?;
        Some((set, signer))
    }
}

//! Pure sign-off rules: a version's status folded from its log, what is in force at an
//! instant, and who may approve or decline what.
use super::{AgreementVersion, SignoffAction, SignoffEvent, VersionStatus};
use crate::error::{AppError, AppResult};
use crate::team::{Member, Side};

/// A version's state as its own log tells it, before other versions are considered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogState {
    Draft,
    /// Proposed; the valid approvals so far.
    Proposed {
        approvals: Vec<SignoffEvent>,
    },
    Agreed {
        effective_at: String,
    },
}

/// Folds a version's log in (time, id) order. Only signatures that count are used, so any
/// replica holding the same records reaches the same state: a version is proposed when
/// written, agreed by the approval that completes a marketing manager and a sales manager
/// who are two different people (in force from then, or from its `effective_from` if
/// later), and returned to draft by a decline that comes before that. Nothing stored says
/// "agreed".
pub fn fold_log(log: &[SignoffEvent], effective_from: Option<&str>) -> LogState {
    let mut events: Vec<&SignoffEvent> = log.iter().filter(|e| e.counts()).collect();
    events.sort_by(|a, b| (&a.at, &a.id).cmp(&(&b.at, &b.id)));
    let mut approvals: Vec<SignoffEvent> = vec![];
    for event in events {
        match event.action {
            SignoffAction::Declined => return LogState::Draft,
            SignoffAction::Approved => {
                approvals.push(event.clone());
                if both_sides(&approvals) {
                    let effective_at = match effective_from {
                        Some(from) if from > event.at.as_str() => from.to_string(),
                        _ => event.at.clone(),
                    };
                    return LogState::Agreed { effective_at };
                }
            }
            SignoffAction::Proposed | SignoffAction::Agreed => {}
        }
    }
    LogState::Proposed { approvals }
}

/// Whether the approvals include a marketing manager's and a sales manager's by two
/// different members (one person who changed sides cannot approve for both).
fn both_sides(approvals: &[SignoffEvent]) -> bool {
    approvals.iter().any(|m| {
        m.member_side == Some(Side::Marketing)
            && approvals
                .iter()
                .any(|s| s.member_side == Some(Side::Sales) && s.member_id != m.member_id)
    })
}

/// The sides still to approve, given the approvals so far. When both sides have approved
/// but only through one person, the side of that person's later approval awaits someone
/// else.
pub fn awaiting_sides(approvals: &[SignoffEvent]) -> Vec<Side> {
    if both_sides(approvals) {
        return vec![];
    }
    let missing: Vec<Side> = Side::ALL
        .into_iter()
        .filter(|side| !approvals.iter().any(|a| a.member_side == Some(*side)))
        .collect();
    if !missing.is_empty() {
        return missing;
    }
    approvals
        .last()
        .and_then(|a| a.member_side)
        .into_iter()
        .collect()
}

/// Sets `status`, `effective_at` and `awaiting` on every version of one item as of `now`
/// (RFC 3339 UTC text, which orders as time does). The in-force version is the agreed one
/// with the latest effective time not after `now` (ties: the later written); earlier agreed
/// ones are superseded. Tampered versions keep their status and count for nothing.
pub fn settle_item(versions: &mut [AgreementVersion], now: &str) {
    let mut in_force: Option<(String, String, String)> = None;
    for v in versions.iter_mut() {
        if v.status == VersionStatus::Tampered {
            continue;
        }
        match fold_log(&v.log, v.effective_from.as_deref()) {
            LogState::Draft => {
                v.status = VersionStatus::Draft;
                v.awaiting = vec![];
            }
            LogState::Proposed { approvals } => {
                v.status = VersionStatus::Proposed;
                v.awaiting = awaiting_sides(&approvals);
            }
            LogState::Agreed { effective_at } => {
                v.awaiting = vec![];
                if effective_at.as_str() > now {
                    v.status = VersionStatus::Scheduled;
                } else {
                    v.status = VersionStatus::Superseded;
                    let candidate = (effective_at.clone(), v.created_at.clone(), v.id.clone());
                    if in_force.as_ref().is_none_or(|best| candidate > *best) {
                        in_force = Some(candidate);
                    }
                }
                v.effective_at = Some(effective_at);
            }
        }
    }
    if let Some((_, _, id)) = in_force {
        if let Some(v) = versions.iter_mut().find(|v| v.id == id) {
            v.status = VersionStatus::InForce;
        }
    }
}

/// Whether `signer` may approve (or, with `declining`, decline) `version` now.
/// Refuses non-managers, drafts, versions already agreed or superseded, and a second
/// signature by the same person in the same round.
pub fn check_signoff(
    version: &AgreementVersion,
    signer: &Member,
    declining: bool,
) -> AppResult<()> {
    let label = format!("v{} of {}", version.number, version.name);
    if !signer.is_manager() {
        return Err(AppError::not_allowed(format!(
            "only managers sign off the playbook; {} is a {} {}",
            signer.name,
            signer.side.as_str(),
            signer.role.as_str()
        )));
    }
    match version.status {
        VersionStatus::Draft => Err(AppError::not_allowed(format!(
            "{label} is a draft; it must be proposed before anyone signs it"
        ))),
        VersionStatus::Superseded => Err(AppError::not_allowed(format!(
            "{label} has been superseded; sign the current proposal instead"
        ))),
        VersionStatus::Tampered => Err(AppError::not_allowed(format!(
            "{label} does not verify (tampered); nobody can sign it"
        ))),
        VersionStatus::InForce | VersionStatus::Scheduled => {
            Err(AppError::conflict(format!("{label} is already agreed")))
        }
        VersionStatus::Proposed => {
            let LogState::Proposed { approvals } =
                fold_log(&version.log, version.effective_from.as_deref())
            else {
                return Ok(());
            };
            if approvals
                .iter()
                .any(|a| a.member_id.as_deref() == Some(signer.id.as_str()))
            {
                let what = if declining { "approved" } else { "signed" };
                return Err(AppError::conflict(format!(
                    "{} has already {what} {label}",
                    signer.name
                )));
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agreements::{AgreementBody, AgreementKind, TermBody};
    use crate::team::Role;

    fn event(action: SignoffAction, who: &str, side: Side, at: &str) -> SignoffEvent {
        SignoffEvent {
            id: format!("{who}-{at}"),
            action,
            member_id: Some(who.into()),
            member_name: Some(who.into()),
            member_side: Some(side),
            member_role: Some(Role::Manager),
            comment: String::new(),
            at: at.into(),
            problem: None,
        }
    }

    fn version(number: u32, log: Vec<SignoffEvent>) -> AgreementVersion {
        AgreementVersion {
            id: format!("v{number}"),
            item_id: "i".into(),
            kind: AgreementKind::Term,
            key: "mql".into(),
            number,
            name: "MQL".into(),
            body: AgreementBody::Term(TermBody {
                definition: "x".into(),
            }),
            summary: String::new(),
            effective_from: None,
            author_id: None,
            author_name: None,
            created_at: format!("2026-01-01T00:00:00.{number:03}Z"),
            hash: String::new(),
            problem: None,
            status: VersionStatus::Draft,
            effective_at: None,
            awaiting: vec![],
            log,
            you_may_sign: false,
            sign_blocker: None,
        }
    }

    /// Approvals by a manager of each side at `at`: agreed from then.
    fn agreed(at: &str) -> Vec<SignoffEvent> {
        vec![
            event(SignoffAction::Approved, "ann", Side::Marketing, at),
            event(SignoffAction::Approved, "bob", Side::Sales, at),
        ]
    }

    fn manager(id: &str, side: Side) -> Member {
        Member {
            id: id.into(),
            email: format!("{id}@x.example"),
            name: id.into(),
            side,
            role: Role::Manager,
            created_at: String::new(),
            has_key: true,
            key_set_by: None,
            key_set_at: None,
        }
    }

    #[test]
    fn agreement_is_derived_from_valid_approvals_in_time_order() {
        let ann = event(SignoffAction::Approved, "ann", Side::Marketing, "2");
        let bob = event(SignoffAction::Approved, "bob", Side::Sales, "4");
        let dec = event(SignoffAction::Declined, "bob", Side::Sales, "3");
        // Written on two laptops, arriving in any order: the same answer.
        for log in [
            vec![ann.clone(), bob.clone()],
            vec![bob.clone(), ann.clone()],
        ] {
            assert_eq!(
                fold_log(&log, None),
                LogState::Agreed {
                    effective_at: "4".into()
                }
            );
        }
        assert_eq!(
            fold_log(&[bob.clone(), dec.clone(), ann.clone()], None),
            LogState::Draft,
            "a decline before the second approval returns the version to draft"
        );
        let forged = SignoffEvent {
            problem: Some("does not verify".into()),
            ..bob.clone()
        };
        let LogState::Proposed { approvals } = fold_log(&[ann.clone(), forged], None) else {
            panic!("a signature that does not verify must not agree a version")
        };
        assert_eq!(awaiting_sides(&approvals), vec![Side::Sales]);
        assert_eq!(
            fold_log(&[ann, bob], Some("9")),
            LogState::Agreed {
                effective_at: "9".into()
            },
            "a later effective_from wins"
        );
    }

    #[test]
    fn one_person_cannot_approve_for_both_sides() {
        // Ann approves for marketing, moves to sales, and approves again.
        let log = vec![
            event(SignoffAction::Approved, "ann", Side::Marketing, "2"),
            event(SignoffAction::Approved, "ann", Side::Sales, "3"),
        ];
        let LogState::Proposed { approvals } = fold_log(&log, None) else {
            panic!("one person's two approvals must not agree a version")
        };
        assert_eq!(awaiting_sides(&approvals), vec![Side::Sales]);
        let mut with_bob = log.clone();
        with_bob.push(event(SignoffAction::Approved, "bob", Side::Marketing, "4"));
        assert_eq!(
            fold_log(&with_bob, None),
            LogState::Agreed {
                effective_at: "4".into()
            },
            "Bob for marketing and Ann for sales are two people"
        );
    }

    #[test]
    fn the_latest_effective_agreed_version_is_in_force() {
        let now = "2026-06-01T00:00:00.000Z";
        let mut vs = vec![
            version(1, agreed("2026-01-01T00:00:00.000Z")),
            version(2, agreed("2026-03-01T00:00:00.000Z")),
            version(3, agreed("2026-09-01T00:00:00.000Z")),
            version(4, vec![]),
        ];
        settle_item(&mut vs, now);
        let statuses: Vec<_> = vs.iter().map(|v| v.status).collect();
        assert_eq!(
            statuses,
            vec![
                VersionStatus::Superseded,
                VersionStatus::InForce,
                VersionStatus::Scheduled,
                VersionStatus::Proposed
            ]
        );
        assert_eq!(vs[3].awaiting, vec![Side::Marketing, Side::Sales]);
    }

    #[test]
    fn signing_rules_refuse_with_clear_codes() {
        use crate::error::ErrorCode;
        let ann = manager("ann", Side::Marketing);
        let rep = Member {
            role: Role::Rep,
            ..manager("rita", Side::Sales)
        };
        let mut v = version(
            1,
            vec![event(SignoffAction::Approved, "ann", Side::Marketing, "2")],
        );
        settle_item(std::slice::from_mut(&mut v), "9");
        assert_eq!(v.awaiting, vec![Side::Sales]);
        assert_eq!(
            check_signoff(&v, &ann, false).unwrap_err().code,
            ErrorCode::Conflict
        );
        assert_eq!(
            check_signoff(&v, &rep, false).unwrap_err().code,
            ErrorCode::NotAllowed
        );
        assert!(check_signoff(&v, &manager("bob", Side::Sales), false).is_ok());
        v.status = VersionStatus::Superseded;
        assert_eq!(
            check_signoff(&v, &manager("bob", Side::Sales), false)
                .unwrap_err()
                .code,
            ErrorCode::NotAllowed
        );
    }
}

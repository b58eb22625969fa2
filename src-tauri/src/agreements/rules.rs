//! Pure sign-off rules: a version's status folded from its log, what is in force at an
//! instant, and who may approve or decline what.
use super::{AgreementVersion, SignoffAction, SignoffEvent, VersionStatus};
use crate::error::{AppError, AppResult};
use crate::team::{Member, Side};

/// A version's state as its own log tells it, before other versions are considered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogState {
    Draft,
    /// Proposed; the approvals of the current round (since the last proposal).
    Proposed {
        approvals: Vec<SignoffEvent>,
    },
    Agreed {
        effective_at: String,
    },
}

/// Folds a version's log, oldest first. A decline returns the version to draft and a new
/// proposal starts a fresh round, so approvals from an earlier round do not count.
pub fn fold_log(log: &[SignoffEvent]) -> LogState {
    let mut state = LogState::Draft;
    for event in log {
        state = match (state, event.action) {
            (LogState::Agreed { effective_at }, _) => LogState::Agreed { effective_at },
            (_, SignoffAction::Agreed) => LogState::Agreed {
                effective_at: event
                    .effective_at
                    .clone()
                    .unwrap_or_else(|| event.at.clone()),
            },
            (_, SignoffAction::Proposed) => LogState::Proposed { approvals: vec![] },
            (_, SignoffAction::Declined) => LogState::Draft,
            (LogState::Proposed { mut approvals }, SignoffAction::Approved) => {
                approvals.push(event.clone());
                LogState::Proposed { approvals }
            }
            (LogState::Draft, SignoffAction::Approved) => LogState::Draft,
        };
    }
    state
}

/// The sides still to approve, given the approvals of the current round.
pub fn awaiting_sides(approvals: &[SignoffEvent]) -> Vec<Side> {
    Side::ALL
        .into_iter()
        .filter(|side| !approvals.iter().any(|a| a.member_side == Some(*side)))
        .collect()
}

/// Sets `status`, `effective_at` and `awaiting` on every version of one item as of `now`
/// (RFC 3339 UTC text, which orders as time does). The in-force version is the agreed one
/// with the latest effective time not after `now`; earlier agreed ones are superseded.
pub fn settle_item(versions: &mut [AgreementVersion], now: &str) {
    let mut in_force: Option<(String, u32)> = None;
    for v in versions.iter_mut() {
        match fold_log(&v.log) {
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
                    let candidate = (effective_at.clone(), v.number);
                    if in_force.as_ref().is_none_or(|best| candidate > *best) {
                        in_force = Some(candidate);
                    }
                }
                v.effective_at = Some(effective_at);
            }
        }
    }
    if let Some((_, number)) = in_force {
        if let Some(v) = versions.iter_mut().find(|v| v.number == number) {
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
        VersionStatus::InForce | VersionStatus::Scheduled => {
            Err(AppError::conflict(format!("{label} is already agreed")))
        }
        VersionStatus::Proposed => {
            let LogState::Proposed { approvals } = fold_log(&version.log) else {
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
            action,
            member_id: Some(who.into()),
            member_name: Some(who.into()),
            member_side: Some(side),
            comment: String::new(),
            at: at.into(),
            effective_at: None,
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
            author_name: None,
            created_at: "2026-01-01T00:00:00.000Z".into(),
            status: VersionStatus::Draft,
            effective_at: None,
            awaiting: vec![],
            log,
        }
    }

    fn agreed(at: &str) -> SignoffEvent {
        SignoffEvent {
            effective_at: Some(at.into()),
            ..event(SignoffAction::Agreed, "", Side::Sales, at)
        }
    }

    fn manager(id: &str, side: Side) -> Member {
        Member {
            id: id.into(),
            email: format!("{id}@x.example"),
            name: id.into(),
            side,
            role: Role::Manager,
            created_at: String::new(),
        }
    }

    #[test]
    fn a_decline_starts_the_round_again() {
        let log = vec![
            event(SignoffAction::Proposed, "ann", Side::Marketing, "1"),
            event(SignoffAction::Approved, "ann", Side::Marketing, "2"),
            event(SignoffAction::Declined, "bob", Side::Sales, "3"),
            event(SignoffAction::Proposed, "ann", Side::Marketing, "4"),
        ];
        let LogState::Proposed { approvals } = fold_log(&log) else {
            panic!("re-proposed version should be proposed")
        };
        assert!(
            approvals.is_empty(),
            "approvals before a decline must not count"
        );
        assert_eq!(
            awaiting_sides(&approvals),
            vec![Side::Marketing, Side::Sales]
        );
        assert_eq!(fold_log(&log[..3]), LogState::Draft);
    }

    #[test]
    fn the_latest_effective_agreed_version_is_in_force() {
        let now = "2026-06-01T00:00:00.000Z";
        let mut vs = vec![
            version(1, vec![agreed("2026-01-01T00:00:00.000Z")]),
            version(2, vec![agreed("2026-03-01T00:00:00.000Z")]),
            version(3, vec![agreed("2026-09-01T00:00:00.000Z")]),
            version(
                4,
                vec![event(SignoffAction::Proposed, "a", Side::Sales, "x")],
            ),
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
            vec![
                event(SignoffAction::Proposed, "ann", Side::Marketing, "1"),
                event(SignoffAction::Approved, "ann", Side::Marketing, "2"),
            ],
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

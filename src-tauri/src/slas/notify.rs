//! Deadline warnings: which items to warn their owner about before the deadline, each
//! once, and none while the window is in presentation scale (a meeting on the projector is
//! no place for a rep's reminders).
use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::ops::DueItem;
use crate::db::parse_ts;

/// How long before a deadline the owner is warned (wall-clock time).
pub const LEAD: Duration = Duration::minutes(60);

/// What identifies an item across restarts: the SLA, the contact and when it started.
pub fn key(d: &DueItem) -> String {
    format!("{}|{}|{}", d.sla_key, d.contact_id, d.started_at)
}

/// The items to warn about now: due within [`LEAD`], not yet warned, and only when the
/// window is at its normal scale (`presentation_scale` 1; absent counts as 1).
pub fn to_warn<'a>(
    due: &'a [DueItem],
    warned: &HashMap<String, String>,
    now: DateTime<Utc>,
    presentation_scale: Option<f64>,
) -> Vec<&'a DueItem> {
    if presentation_scale.is_some_and(|s| (s - 1.0).abs() > 1e-6) {
        return vec![];
    }
    due.iter()
        .filter(|d| {
            parse_ts("deadline", &d.deadline)
                .is_ok_and(|deadline| deadline > now && deadline - now <= LEAD)
        })
        .filter(|d| !warned.contains_key(&key(d)))
        .collect()
}

/// Forgets warnings whose deadline has passed, so the list stays small.
pub fn prune(warned: &mut HashMap<String, String>, now: DateTime<Utc>) {
    warned.retain(|_, deadline| parse_ts("deadline", deadline).is_ok_and(|d| d > now));
}

/// The notification's title and text.
pub fn message(d: &DueItem, now: DateTime<Utc>) -> (String, String) {
    let minutes = parse_ts("deadline", &d.deadline)
        .map(|t| (t - now).num_minutes().max(0))
        .unwrap_or(0);
    (
        format!("{} due in {minutes} min", d.sla_name),
        format!("{}: {} ({}).", d.contact_name, d.sla_name, d.target),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn due(deadline: &str) -> DueItem {
        DueItem {
            sla_key: "mql_response".into(),
            sla_name: "MQL response".into(),
            target: "8 business hours".into(),
            contact_id: "c1".into(),
            contact_name: "Ana".into(),
            started_at: "2026-11-27T08:00:00.000Z".into(),
            deadline: deadline.into(),
            business_minutes_left: 0,
        }
    }

    #[test]
    fn warns_once_before_the_deadline_and_never_while_presenting() {
        let now = parse_ts("now", "2026-11-27T15:30:00Z").unwrap();
        let soon = [due("2026-11-27T16:00:00.000Z")];
        let later = [due("2026-11-27T17:00:00.000Z")];
        let past = [due("2026-11-27T15:00:00.000Z")];
        let mut warned = HashMap::new();
        assert_eq!(to_warn(&soon, &warned, now, None).len(), 1);
        assert_eq!(to_warn(&soon, &warned, now, Some(1.0)).len(), 1);
        assert!(
            to_warn(&soon, &warned, now, Some(1.5)).is_empty(),
            "presenting"
        );
        assert!(to_warn(&later, &warned, now, None).is_empty(), "not yet");
        assert!(
            to_warn(&past, &warned, now, None).is_empty(),
            "too late to warn"
        );
        warned.insert(key(&soon[0]), soon[0].deadline.clone());
        assert!(to_warn(&soon, &warned, now, None).is_empty(), "once");
        prune(
            &mut warned,
            parse_ts("later", "2026-11-27T16:30:00Z").unwrap(),
        );
        assert!(warned.is_empty());
        assert_eq!(message(&soon[0], now).0, "MQL response due in 30 min");
    }
}

//! The scorecard's counts kept between scorecards, so that one new event costs the
//! re-judged contact's items rather than a pass over every item.
//!
//! An item's status as of `t` stops changing once `t` reaches the instant it settles (it
//! was judged, it ended, or its deadline passed; see [`settles`]). Items settled by the
//! tally's instant are counted once, in `fixed`, with their settled breaches in order; the
//! others (pending with time left, or not started) are few and judged at each scorecard.
//! A contact's new items replace its old ones by taking the old ones back. A test checks
//! the result against a full count after every event of random histories.
use std::collections::BTreeSet;

use super::cache::State;
use super::report::{self, breach_order, Scorecard, Tallies, TrendPeriod, Window};
use super::{Item, ItemStatus, Outcome};

/// Where an item sits in the state: (contact, index among its items).
type At = (u32, usize);

/// The first instant from which `item.status(t)` no longer changes.
pub fn settles(item: &Item) -> i64 {
    let from = match (item.outcome, item.end) {
        (Outcome::Judged(_), _) => item.start,
        (Outcome::Done | Outcome::Lapsed, Some(end)) => end,
        // Pending until the deadline has passed, then breached.
        _ => match item.deadline {
            Some(d) if d < i64::MAX => d + 1,
            _ => item.start,
        },
    };
    from.max(item.start)
}

pub struct Tally {
    pub period: TrendPeriod,
    /// Items settled by `at` are in `fixed` (and `breaches`); the rest are in `live`.
    at: i64,
    fixed: Tallies,
    breaches: BTreeSet<(std::cmp::Reverse<i64>, std::cmp::Reverse<u32>, usize)>,
    /// By the instant they settle.
    live: BTreeSet<(i64, u32, usize)>,
}

impl Tally {
    /// Counts every item of `state` settled by `at`.
    pub fn new(state: &State, period: TrendPeriod, at: i64) -> Tally {
        let mut tally = Tally {
            period,
            at,
            fixed: Tallies::new(state.terms.slas.len(), period),
            breaches: BTreeSet::new(),
            live: BTreeSet::new(),
        };
        for (c, items) in state.items.iter().enumerate() {
            for (k, item) in items.iter().enumerate() {
                tally.put((c as u32, k), item, true);
            }
        }
        tally
    }

    /// Counts (`add`) or takes back the item at `at`.
    fn put(&mut self, (c, k): At, item: &Item, add: bool) {
        let settles = settles(item);
        if settles > self.at {
            if add {
                self.live.insert((settles, c, k));
            } else {
                self.live.remove(&(settles, c, k));
            }
            return;
        }
        let Some(status) = item.status(self.at) else {
            return;
        };
        self.fixed.item(item, status, add);
        if status == ItemStatus::Breached {
            let key = breach_order(item, k);
            if add {
                self.breaches.insert(key);
            } else {
                self.breaches.remove(&key);
            }
        }
    }

    /// Contact `c`'s items were `old` and are now `new`.
    pub fn replace(&mut self, c: u32, old: &[Item], new: &[Item]) {
        for (k, item) in old.iter().enumerate() {
            self.put((c, k), item, false);
        }
        for (k, item) in new.iter().enumerate() {
            self.put((c, k), item, true);
        }
    }

    /// The scorecard of `state` (whose changes have all gone through `replace`) in `w`,
    /// which must be unbounded (every item started by `w.as_of`).
    pub fn scorecard(&mut self, state: &State, w: &Window) -> Scorecard {
        if w.as_of < self.at {
            // The clock went back: count again from there.
            *self = Tally::new(state, self.period, w.as_of);
        }
        // Items settled since the last scorecard join the fixed counts.
        self.at = w.as_of;
        while let Some(&(settles, c, k)) = self.live.first() {
            if settles > self.at {
                break;
            }
            self.live.pop_first();
            self.put((c, k), &state.items[c as usize][k], true);
        }
        let mut tallies = self.fixed.clone();
        let mut live_breaches = vec![];
        for &(_, c, k) in &self.live {
            let item = &state.items[c as usize][k];
            if let Some(status) = item.status(w.as_of) {
                tallies.item(item, status, true);
                if status == ItemStatus::Breached {
                    live_breaches.push((breach_order(item, k), item));
                }
            }
        }
        let count = (self.breaches.len() + live_breaches.len()) as u32;
        let mut listed: Vec<_> = self
            .breaches
            .iter()
            .take(report::BREACHES_LISTED)
            .map(|key| (*key, &state.items[key.1 .0 as usize][key.2]))
            .chain(live_breaches)
            .collect();
        listed.sort_by_key(|(key, _)| *key);
        let listed: Vec<&Item> = listed
            .into_iter()
            .take(report::BREACHES_LISTED)
            .map(|(_, item)| item)
            .collect();
        report::finish(state, w, tallies, &listed, count)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Item, Outcome};
    use super::settles;
    use crate::team::Side;

    #[test]
    fn an_item_keeps_its_status_from_the_instant_it_settles() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: i64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n as u64) as i64
        };
        for _ in 0..20_000 {
            let start = next(100);
            let outcome = match next(4) {
                0 => Outcome::Judged(next(2) == 0),
                1 => Outcome::Done,
                2 => Outcome::Lapsed,
                _ => Outcome::Open,
            };
            let item = Item {
                sla: 0,
                version: 1,
                side: Side::Sales,
                contact: 0,
                owner: None,
                start,
                deadline: (next(5) > 0).then(|| start + next(60)),
                end: (next(4) > 0).then(|| start + next(60)),
                outcome,
            };
            let s = settles(&item);
            assert!(s >= item.start);
            let settled = item.status(s);
            for t in s..s + 200 {
                assert_eq!(item.status(t), settled, "{item:?} at {t}");
            }
        }
    }
}

//! The SLA items of every contact, kept between reports. A full build reads and folds the
//! whole log; afterwards a refresh reads only what changed: events stored since the last
//! look (by rowid; the log is append-only) are re-folded for their contacts alone, and
//! anything else that could change a verdict (the playbook, the team, `verify`'s findings,
//! the contacts) triggers a full build. A test checks that a refreshed state always equals
//! a fresh build.
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::evaluate::{self, Mark};
use super::fold::{fold, Machine, People, RawEvent};
use super::load;
use super::report::{self, Scorecard, TrendPeriod, Window};
use super::tally::Tally;
use super::terms::Terms;
use super::Item;
use crate::db::Conn;
use crate::error::AppResult;
use crate::team::roster::Roster;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactRef {
    pub id: String,
    pub external_id: Option<String>,
    /// The contact's current owner (index into the people).
    pub owner: Option<u16>,
}

/// Where a full build spends its time.
#[derive(Debug, Clone, Copy)]
pub struct Spans {
    pub read: std::time::Duration,
    pub judge: std::time::Duration,
}

/// Every contact's events in one vector, grouped by contact (a counting sort), so that a
/// million events take two allocations rather than one per contact.
struct Logs {
    events: Vec<RawEvent>,
    /// Contact `c`'s events are `events[starts[c]..starts[c + 1]]`.
    starts: Vec<usize>,
}

impl Logs {
    fn group(contacts: usize, tagged: Vec<(u32, RawEvent)>) -> Logs {
        let mut starts = vec![0usize; contacts + 1];
        for (c, _) in &tagged {
            starts[*c as usize + 1] += 1;
        }
        let mut sum = 0;
        for s in &mut starts {
            sum += *s;
            *s = sum;
        }
        let mut next = starts.clone();
        let mut events = vec![RawEvent::default(); tagged.len()];
        for (c, e) in tagged {
            let slot = &mut next[c as usize];
            events[*slot] = e;
            *slot += 1;
        }
        Logs { events, starts }
    }

    /// The logs in shares of `share` contacts: (first contact, its logs).
    fn shares(&mut self, share: usize) -> Vec<(u32, Vec<&mut [RawEvent]>)> {
        let mut rest: &mut [RawEvent] = &mut self.events;
        let mut out = vec![];
        let contacts = self.starts.len() - 1;
        for first in (0..contacts).step_by(share) {
            let mut part = Vec::with_capacity(share);
            for c in first..(first + share).min(contacts) {
                let (log, tail) =
                    std::mem::take(&mut rest).split_at_mut(self.starts[c + 1] - self.starts[c]);
                part.push(log);
                rest = tail;
            }
            out.push((first as u32, part));
        }
        out
    }
}

pub struct State {
    pub terms: Terms,
    machine: Machine,
    roster: Roster,
    tampered: HashSet<u128>,
    people_index: People,
    /// Member ids, by the index items use.
    pub people: Vec<String>,
    pub contacts: Vec<ContactRef>,
    contact_index: HashMap<String, u32>,
    /// Per contact.
    pub items: Vec<Vec<Item>>,
    contact_marks: Vec<Vec<Mark>>,
    /// Per SLA, by time.
    pub marks: Vec<Vec<(Mark, u32)>>,
    /// The newest event row read, and what else the items depend on.
    last_rowid: i64,
    stamp: String,
    /// The scorecards' counts (one per trend period asked for), kept up to date as
    /// contacts are re-judged.
    tallies: Vec<Tally>,
}

/// What the items depend on besides the events: the playbook, the team, `verify`'s
/// findings and the contacts.
async fn stamp(conn: &mut Conn) -> AppResult<String> {
    // Cheap to ask at every refresh: the playbook and team tables are small, and the
    // contacts are new (largest rowid) or edited, tombstones included (newest updated_at,
    // through its index).
    Ok(sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM agreement_versions) || ':' || (SELECT count(*) FROM agreement_signoffs)
             || ':' || (SELECT count(*) FROM member_records) || ':' || (SELECT count(*) FROM tampered)
             || ':' || (SELECT coalesce(max(rowid), 0) FROM contacts) || ':' || (SELECT coalesce(max(updated_at), '') FROM contacts)",
    )
    .fetch_one(conn)
    .await?)
}

impl State {
    /// Reads and folds the whole log.
    pub async fn build(conn: &mut Conn) -> AppResult<State> {
        Ok(State::build_timed(conn).await?.0)
    }

    /// [`State::build`], with the time spent reading the log (rows decoded and grouped by
    /// contact) and judging it (fold, items, marks), for the bench.
    pub async fn build_timed(conn: &mut Conn) -> AppResult<(State, Spans)> {
        let start = std::time::Instant::now();
        let stamp = stamp(&mut *conn).await?;
        let last_rowid: i64 =
            sqlx::query_scalar("SELECT coalesce(max(rowid), 0) FROM handoff_events")
                .fetch_one(&mut *conn)
                .await?;
        let items =
            crate::agreements::store::load_items(&mut *conn, None, chrono::Utc::now()).await?;
        let roster = crate::team::records::roster(&mut *conn).await?;
        let tampered = crate::trust::verify::tampered_ids(&mut *conn)
            .await?
            .iter()
            .map(|id| load::id_number(id))
            .collect();
        let rows = load::contacts(&mut *conn).await?;
        let mut state = State {
            terms: Terms::new(&items),
            machine: Machine::new(&items),
            roster,
            tampered,
            people_index: People::default(),
            people: vec![],
            contacts: Vec::with_capacity(rows.len()),
            contact_index: HashMap::with_capacity_and_hasher(rows.len(), Default::default()),
            items: vec![],
            contact_marks: vec![],
            marks: vec![],
            last_rowid,
            stamp,
            tallies: vec![],
        };
        for (id, external_id, owner) in rows {
            state.add_contact(id, external_id, owner);
        }
        // Rowids only grow and the log is append-only: the newest one bounds the count.
        let expected = usize::try_from(last_rowid).unwrap_or(0).min(1 << 26);
        let events = load::all_events(
            &mut *conn,
            &state.contact_index,
            &mut state.people_index,
            &state.machine,
            expected,
        )
        .await?;
        let mut logs = Logs::group(state.contacts.len(), events);
        let read = start.elapsed();
        // Contacts are judged independently: one share of them per core.
        let cores = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 8);
        let share = state.contacts.len().div_ceil(cores).max(1);
        let judged: Vec<Vec<(Vec<Item>, Vec<Mark>)>> = std::thread::scope(|scope| {
            let state = &state;
            let workers: Vec<_> = logs
                .shares(share)
                .into_iter()
                .map(|(first, part)| {
                    scope.spawn(move || {
                        part.into_iter()
                            .enumerate()
                            .map(|(j, log)| state.judge(first + j as u32, log))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.join())
                .collect::<Result<_, _>>()
        })
        .map_err(|_| {
            crate::error::AppError::new(
                crate::error::ErrorCode::Database,
                "judging the SLA items failed",
            )
        })?;
        let (items, marks) = judged.into_iter().flatten().unzip();
        state.items = items;
        state.contact_marks = marks;
        state.people.clone_from(&state.people_index.ids);
        state.index_marks();
        let judge = start.elapsed() - read;
        Ok((state, Spans { read, judge }))
    }

    fn add_contact(
        &mut self,
        id: String,
        external_id: Option<String>,
        owner: Option<String>,
    ) -> u32 {
        let owner = owner.map(|o| self.people_index.intern(&o));
        let i = self.contacts.len() as u32;
        self.contact_index.insert(id.clone(), i);
        self.contacts.push(ContactRef {
            id,
            external_id,
            owner,
        });
        self.items.push(vec![]);
        self.contact_marks.push(vec![]);
        i
    }

    /// One contact's items and marks from its stored events.
    fn judge(&self, contact: u32, log: &mut [RawEvent]) -> (Vec<Item>, Vec<Mark>) {
        let facts = fold(
            log,
            &self.machine,
            &self.roster,
            &self.people_index,
            &self.tampered,
        );
        let machine = &self.machine;
        evaluate::contact(
            &self.terms,
            &|key| machine.index(key),
            contact,
            &facts,
            self.contacts[contact as usize].owner,
        )
    }

    fn evaluate(&mut self, contact: u32, log: &mut [RawEvent]) {
        let (items, marks) = self.judge(contact, log);
        let old = std::mem::replace(&mut self.items[contact as usize], items);
        for tally in &mut self.tallies {
            tally.replace(contact, &old, &self.items[contact as usize]);
        }
        self.contact_marks[contact as usize] = marks;
        self.people.clone_from(&self.people_index.ids);
    }

    fn index_marks(&mut self) {
        let mut per_sla: Vec<Vec<(Mark, u32)>> = vec![vec![]; self.terms.slas.len()];
        for (c, marks) in self.contact_marks.iter().enumerate() {
            for m in marks {
                per_sla[m.sla as usize].push((*m, c as u32));
            }
        }
        for list in &mut per_sla {
            list.sort_by_key(|(m, c)| (m.at, *c));
        }
        self.marks = per_sla;
    }

    /// Brings the state up to date: a full build when anything but events changed, else
    /// the contacts with new events re-folded. Returns how many contacts were re-folded
    /// (`None` for a full build).
    pub async fn refresh(&mut self, conn: &mut Conn) -> AppResult<Option<usize>> {
        if stamp(&mut *conn).await? != self.stamp {
            *self = State::build(conn).await?;
            return Ok(None);
        }
        let (touched, newest) = load::touched_since(&mut *conn, self.last_rowid).await?;
        for id in &touched {
            let row = load::contact(&mut *conn, id).await?;
            let Some((id, external_id, owner)) = row else {
                continue;
            };
            let contact = match self.contact_index.get(&id) {
                Some(c) => *c,
                None => self.add_contact(id.clone(), external_id.clone(), owner.clone()),
            };
            let owner = owner.map(|o| self.people_index.intern(&o));
            self.contacts[contact as usize].external_id = external_id;
            self.contacts[contact as usize].owner = owner;
            let mut log =
                load::contact_events(&mut *conn, &id, &mut self.people_index, &self.machine)
                    .await?;
            self.evaluate(contact, &mut log);
            for list in &mut self.marks {
                list.retain(|(_, c)| *c != contact);
            }
            for m in &self.contact_marks[contact as usize] {
                let list = &mut self.marks[m.sla as usize];
                let at = list.partition_point(|(x, c)| (x.at, *c) < (m.at, contact));
                list.insert(at, (*m, contact));
            }
        }
        self.last_rowid = newest;
        Ok(Some(touched.len()))
    }

    /// The scorecard in `w`: from the kept counts when the window is unbounded (the
    /// window's scorecard), else counted from scratch. Equal either way.
    pub fn scorecard(&mut self, w: &Window, period: TrendPeriod) -> Scorecard {
        if w.from != i64::MIN || w.to != i64::MAX {
            return report::scorecard(self, w, period);
        }
        let mut tally = match self.tallies.iter().position(|t| t.period == period) {
            Some(i) => self.tallies.swap_remove(i),
            None => Tally::new(self, period, w.as_of),
        };
        let card = tally.scorecard(self, w);
        self.tallies.push(tally);
        card
    }

    /// The marks of SLA `s`, by time.
    pub fn marks_of(&self, s: usize) -> Vec<Mark> {
        self.marks[s].iter().map(|(m, _)| *m).collect()
    }

    /// What a comparison with a fresh build looks at: every contact's items (owners by
    /// member id) and marks.
    pub fn contents(&self) -> Vec<(String, Vec<String>, Vec<Mark>)> {
        let mut out: Vec<_> = self
            .contacts
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let items = self.items[i]
                    .iter()
                    .map(|item| {
                        let owner = item.owner.map(|o| self.people[o as usize].clone());
                        format!(
                            "{:?} {owner:?}",
                            Item {
                                contact: 0,
                                owner: None,
                                ..*item
                            }
                        )
                    })
                    .collect();
                (c.id.clone(), items, self.contact_marks[i].clone())
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

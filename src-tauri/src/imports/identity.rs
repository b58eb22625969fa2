//! Who a row is: matching a file's rows to stored contacts without ever merging two people.
//! Ids are keyed by source system and record type; an id and an email that point at
//! different contacts are a conflict, never an overwrite; a row whose id is new but whose
//! email is known links to that contact only when it has no id of this source yet (a
//! converted lead's contact record), and is otherwise a separate person flagged as a
//! possible duplicate. A pure structure over in-memory maps, updated as rows are planned.
use rustc_hash::FxHashMap as HashMap;

/// A contact as matching sees it.
#[derive(Debug, Clone)]
pub struct Known {
    pub id: String,
    /// Lower-case email.
    pub email: Option<String>,
    /// The import fingerprint of what a file without ids last said about it.
    pub fingerprint: Option<String>,
    pub stage: String,
    /// (source index, external id, what that source's file last said) of every key.
    keys: Vec<(u16, String, Option<String>)>,
}

/// What a row is, as far as identity goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Nobody stored is this person.
    New,
    /// This stored contact (by its id from this source, or by email for a row without id).
    Same(usize),
    /// This stored contact by email; it gets the row's id from this source.
    Link(usize),
    /// A different record of this source shares the email (`usize`): a new contact,
    /// flagged as a possible duplicate.
    NewDuplicate(usize),
    /// The id and the email disagree about who this is.
    Conflict {
        by_id: Option<usize>,
        by_email: Option<usize>,
        why: String,
    },
}

/// Every stored contact, found by (source, id) and by email.
#[derive(Debug, Default)]
pub struct Identities {
    pub contacts: Vec<Known>,
    sources: Vec<(String, String)>,
    by_key: HashMap<(u16, String), usize>,
    by_email: HashMap<String, Vec<usize>>,
}

impl Identities {
    /// The index of a (system, record type) pair, added if new.
    pub fn source(&mut self, system: &str, record_type: &str) -> u16 {
        match self
            .sources
            .iter()
            .position(|(s, t)| s == system && t == record_type)
        {
            Some(i) => i as u16,
            None => {
                self.sources
                    .push((system.to_string(), record_type.to_string()));
                (self.sources.len() - 1) as u16
            }
        }
    }

    /// Adds a stored or newly planned contact; returns its index.
    pub fn add(
        &mut self,
        id: String,
        email: Option<String>,
        fingerprint: Option<String>,
        stage: String,
    ) -> usize {
        let i = self.contacts.len();
        if let Some(e) = &email {
            self.by_email.entry(e.clone()).or_default().push(i);
        }
        self.contacts.push(Known {
            id,
            email,
            fingerprint,
            stage,
            keys: Vec::new(),
        });
        i
    }

    /// Gives contact `i` the id `external_id` of `source`.
    pub fn add_key(
        &mut self,
        i: usize,
        source: u16,
        external_id: &str,
        fingerprint: Option<String>,
    ) {
        self.by_key.insert((source, external_id.to_string()), i);
        self.contacts[i]
            .keys
            .push((source, external_id.to_string(), fingerprint));
    }

    /// What `source`'s file last said about contact `i` under `external_id` (or, for a
    /// file without ids, what any such file last said).
    pub fn fingerprint(&self, i: usize, source: u16, external_id: Option<&str>) -> Option<&str> {
        let c = &self.contacts[i];
        match external_id {
            Some(ext) => c
                .keys
                .iter()
                .find(|(s, e, _)| *s == source && e == ext)
                .and_then(|(_, _, f)| f.as_deref()),
            None => c.fingerprint.as_deref(),
        }
    }

    /// Contact `i`'s email is now `email` (an update that trusted the id).
    pub fn set_email(&mut self, i: usize, email: &str) {
        if let Some(old) = self.contacts[i].email.take() {
            if let Some(list) = self.by_email.get_mut(&old) {
                list.retain(|x| *x != i);
            }
        }
        self.by_email.entry(email.to_string()).or_default().push(i);
        self.contacts[i].email = Some(email.to_string());
    }

    pub fn set_fingerprint(
        &mut self,
        i: usize,
        source: u16,
        external_id: Option<&str>,
        fingerprint: String,
    ) {
        let c = &mut self.contacts[i];
        match external_id
            .and_then(|ext| c.keys.iter_mut().find(|(s, e, _)| *s == source && e == ext))
        {
            Some(key) => key.2 = Some(fingerprint),
            None => c.fingerprint = Some(fingerprint),
        }
    }

    fn has_key_of(&self, i: usize, source: u16) -> bool {
        self.contacts[i].keys.iter().any(|(s, _, _)| *s == source)
    }

    fn describe(&self, i: usize) -> String {
        let c = &self.contacts[i];
        match &c.email {
            Some(e) => format!("contact {} ({e})", c.id),
            None => format!("contact {} (no email)", c.id),
        }
    }

    /// Who a row with this id (of `source`) and this lower-case email is.
    pub fn decide(&self, source: u16, external_id: Option<&str>, email: Option<&str>) -> Decision {
        let by_id = external_id.and_then(|k| self.by_key.get(&(source, k.to_string())).copied());
        let emails: &[usize] = email
            .and_then(|e| self.by_email.get(e))
            .map_or(&[], |v| v.as_slice());
        match (by_id, email) {
            (Some(k), Some(e)) => {
                let stored = self.contacts[k].email.as_deref();
                if stored.is_some_and(|s| s != e) {
                    let other = emails.iter().copied().find(|c| *c != k);
                    return Decision::Conflict {
                        by_id: Some(k),
                        by_email: other,
                        why: format!(
                            "this id is {} in Playbook, but the row's email is {e}{}",
                            self.describe(k),
                            other
                                .map(|o| format!(", which is {}", self.describe(o)))
                                .unwrap_or_default()
                        ),
                    };
                }
                if stored.is_none() {
                    if let Some(&other) = emails.iter().find(|c| **c != k) {
                        return Decision::Conflict {
                            by_id: Some(k),
                            by_email: Some(other),
                            why: format!(
                                "this id is {}, but the email {e} is {}",
                                self.describe(k),
                                self.describe(other)
                            ),
                        };
                    }
                }
                Decision::Same(k)
            }
            (Some(k), None) => Decision::Same(k),
            (None, _) if emails.is_empty() => Decision::New,
            (None, e) => {
                if external_id.is_none() {
                    return match emails {
                        [one] => Decision::Same(*one),
                        many => Decision::Conflict {
                            by_id: None,
                            by_email: Some(many[0]),
                            why: format!(
                                "{} contacts have the email {}; add the source's id column so each row finds its own",
                                many.len(),
                                e.unwrap_or_default()
                            ),
                        },
                    };
                }
                let free: Vec<usize> = emails
                    .iter()
                    .copied()
                    .filter(|c| !self.has_key_of(*c, source))
                    .collect();
                match free.as_slice() {
                    [] => Decision::NewDuplicate(emails[0]),
                    [one] => Decision::Link(*one),
                    many => Decision::Conflict {
                        by_id: None,
                        by_email: Some(many[0]),
                        why: format!(
                            "{} contacts have the email {} and none has an id from this source yet, so Playbook cannot tell which one this record is",
                            many.len(),
                            e.unwrap_or_default()
                        ),
                    },
                }
            }
        }
    }

    pub fn known(&self, i: usize) -> &Known {
        &self.contacts[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (Identities, u16, u16) {
        let mut ids = Identities::default();
        let leads = ids.source("zoho", "lead");
        let contacts = ids.source("zoho", "contact");
        let a = ids.add("a".into(), Some("ann@x.example".into()), None, "mql".into());
        ids.add_key(a, leads, "2585", None);
        let b = ids.add("b".into(), Some("bob@x.example".into()), None, "sal".into());
        ids.add_key(b, leads, "2586", None);
        (ids, leads, contacts)
    }

    #[test]
    fn the_same_number_in_another_record_type_is_another_person() {
        let (ids, _, contacts) = setup();
        assert_eq!(
            ids.decide(contacts, Some("2585"), Some("cara@y.example")),
            Decision::New
        );
    }

    #[test]
    fn a_converted_leads_contact_record_links_by_email() {
        let (ids, _, contacts) = setup();
        assert_eq!(
            ids.decide(contacts, Some("9001"), Some("ann@x.example")),
            Decision::Link(0)
        );
    }

    #[test]
    fn another_lead_with_the_same_email_is_a_possible_duplicate() {
        let (ids, leads, _) = setup();
        assert_eq!(
            ids.decide(leads, Some("2999"), Some("ann@x.example")),
            Decision::NewDuplicate(0)
        );
    }

    #[test]
    fn an_id_and_an_email_that_disagree_are_a_conflict() {
        let (ids, leads, _) = setup();
        match ids.decide(leads, Some("2585"), Some("bob@x.example")) {
            Decision::Conflict {
                by_id,
                by_email,
                why,
            } => {
                assert_eq!((by_id, by_email), (Some(0), Some(1)));
                assert!(
                    why.contains("ann@x.example") && why.contains("bob@x.example"),
                    "{why}"
                );
            }
            other => panic!("expected a conflict, got {other:?}"),
        }
        assert!(matches!(
            ids.decide(leads, Some("2585"), Some("new@x.example")),
            Decision::Conflict { by_email: None, .. }
        ));
        assert_eq!(
            ids.decide(leads, Some("2585"), Some("ann@x.example")),
            Decision::Same(0)
        );
        assert_eq!(ids.decide(leads, Some("2585"), None), Decision::Same(0));
    }

    #[test]
    fn a_record_whose_email_several_contacts_share_is_a_conflict_not_a_link() {
        let (mut ids, _, contacts) = setup();
        let leads = ids.source("salesforce", "lead");
        let x = ids.add(
            "x".into(),
            Some("shared@x.example".into()),
            None,
            "mql".into(),
        );
        ids.add_key(x, leads, "00Q1", None);
        let y = ids.add(
            "y".into(),
            Some("shared@x.example".into()),
            None,
            "mql".into(),
        );
        ids.add_key(y, leads, "00Q2", None);
        assert!(matches!(
            ids.decide(contacts, Some("0031"), Some("shared@x.example")),
            Decision::Conflict { by_id: None, .. }
        ));
    }

    #[test]
    fn rows_without_ids_match_one_email_and_refuse_several() {
        let (mut ids, leads, _) = setup();
        assert_eq!(
            ids.decide(leads, None, Some("ann@x.example")),
            Decision::Same(0)
        );
        let c = ids.add("c".into(), Some("ann@x.example".into()), None, "mql".into());
        ids.add_key(c, leads, "2999", None);
        assert!(matches!(
            ids.decide(leads, None, Some("ann@x.example")),
            Decision::Conflict { .. }
        ));
    }
}

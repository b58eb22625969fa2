//! The SLAs and business calendars of the playbook by effective time: which version of an
//! SLA, and which version of the calendar it names, was in force at any instant. Before an
//! SLA was first agreed, its first version applies, as the stage fold does, so history
//! older than the agreement can still be read against it.
use rustc_hash::FxHashMap as HashMap;

use super::fold::agreed;
use crate::agreements::{AgreementBody, AgreementItem, AgreementKind, SlaBody};
use crate::business_time::Calendar;

pub struct SlaVersion {
    pub effective: i64,
    pub number: u32,
    pub name: String,
    pub body: SlaBody,
}

pub struct Sla {
    pub key: String,
    /// Agreed versions, oldest effective first (never empty).
    pub versions: Vec<SlaVersion>,
}

pub struct Terms {
    pub slas: Vec<Sla>,
    calendars: HashMap<String, Vec<(i64, Calendar)>>,
    /// What the terms were built from (agreed version ids and times): a change means the
    /// cached items are stale.
    pub fingerprint: String,
}

impl Terms {
    pub fn new(items: &[AgreementItem]) -> Terms {
        let mut fingerprint = String::new();
        let mut slas = vec![];
        let mut calendars = HashMap::default();
        for item in items {
            let list = agreed(item);
            for (at, v) in &list {
                fingerprint.push_str(&format!("{}:{at};", v.id));
            }
            match item.kind {
                AgreementKind::Sla => {
                    let versions: Vec<SlaVersion> = list
                        .iter()
                        .filter_map(|(at, v)| match &v.body {
                            AgreementBody::Sla(body) => Some(SlaVersion {
                                effective: *at,
                                number: v.number,
                                name: v.name.clone(),
                                body: body.clone(),
                            }),
                            _ => None,
                        })
                        .collect();
                    if !versions.is_empty() {
                        slas.push(Sla {
                            key: item.key.clone(),
                            versions,
                        });
                    }
                }
                AgreementKind::BusinessCalendar => {
                    let versions: Vec<(i64, Calendar)> = list
                        .iter()
                        .filter_map(|(at, v)| match &v.body {
                            AgreementBody::BusinessCalendar(c) => {
                                c.calendar().ok().map(|cal| (*at, cal))
                            }
                            _ => None,
                        })
                        .collect();
                    if !versions.is_empty() {
                        calendars.insert(item.key.clone(), versions);
                    }
                }
                _ => {}
            }
        }
        Terms {
            slas,
            calendars,
            fingerprint,
        }
    }

    /// The version of SLA `i` in force at `at` (ms).
    pub fn version_at(&self, i: usize, at: i64) -> &SlaVersion {
        let list = &self.slas[i].versions;
        let k = list.partition_point(|v| v.effective <= at);
        &list[k.saturating_sub(1)]
    }

    /// The calendar `key` in force at `at` (ms).
    pub fn calendar_at(&self, key: &str, at: i64) -> Option<&Calendar> {
        let list = self.calendars.get(key)?;
        let k = list.partition_point(|(eff, _)| *eff <= at);
        Some(&list[k.saturating_sub(1)].1)
    }
}

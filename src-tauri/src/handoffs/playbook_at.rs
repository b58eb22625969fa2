//! The playbook as it stood at any instant: stage definitions, reasons and the scoring
//! model by effective time, loaded once so that bulk work does not query per event.
use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::agreements::{store, AgreementBody, AgreementKind, AgreementVersion};
use crate::db::{ts, Conn};
use crate::error::AppResult;

pub struct PlaybookHistory {
    /// Agreed versions per `kind/key`, oldest effective first.
    agreed: HashMap<(AgreementKind, String), Vec<(String, AgreementVersion)>>,
}

impl PlaybookHistory {
    pub async fn load(conn: &mut Conn) -> AppResult<PlaybookHistory> {
        Ok(Self::from_items(
            store::load_items(conn, None, Utc::now()).await?,
        ))
    }

    /// From loaded items: their agreed versions by effective time.
    pub fn from_items(items: Vec<crate::agreements::AgreementItem>) -> PlaybookHistory {
        let mut agreed: HashMap<(AgreementKind, String), Vec<(String, AgreementVersion)>> =
            HashMap::new();
        for item in items {
            let mut list: Vec<(String, AgreementVersion)> = item
                .versions
                .into_iter()
                .filter_map(|v| v.effective_at.clone().map(|at| (at, v)))
                .collect();
            list.sort_by(|a, b| {
                (&a.0, &a.1.created_at, &a.1.id).cmp(&(&b.0, &b.1.created_at, &b.1.id))
            });
            if !list.is_empty() {
                agreed.insert((item.kind, item.key), list);
            }
        }
        PlaybookHistory { agreed }
    }

    /// The version of `kind/key` in force at `at`. Before anything was agreed, the first
    /// agreed version applies, so history older than the playbook can still be judged.
    pub fn at(
        &self,
        kind: AgreementKind,
        key: &str,
        at: DateTime<Utc>,
    ) -> Option<&AgreementVersion> {
        let list = self.agreed.get(&(kind, key.to_string()))?;
        let t = ts(at);
        let idx = list.partition_point(|(eff, _)| *eff <= t);
        Some(&list[idx.saturating_sub(1)].1)
    }

    /// (position, key) of every stage defined at `at`.
    fn stages_at(&self, at: DateTime<Utc>) -> Vec<(u32, String)> {
        self.agreed
            .keys()
            .filter(|(k, _)| *k == AgreementKind::Stage)
            .filter_map(
                |(_, key)| match self.at(AgreementKind::Stage, key, at).map(|v| &v.body) {
                    Some(AgreementBody::Stage(s)) => Some((s.position, key.clone())),
                    _ => None,
                },
            )
            .collect()
    }

    /// The first stage of the funnel at `at` (where a new contact enters).
    pub fn first_stage(&self, at: DateTime<Utc>) -> Option<String> {
        self.stages_at(at).into_iter().min().map(|(_, key)| key)
    }

    /// Keys of all stages ever agreed.
    pub fn stage_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .agreed
            .keys()
            .filter(|(k, _)| *k == AgreementKind::Stage)
            .map(|(_, key)| key.clone())
            .collect();
        keys.sort();
        keys
    }

    /// When versions of `kind` took (or take) force, oldest first: the instants at which
    /// that part of the playbook changed.
    pub fn changes(&self, kind: AgreementKind) -> Vec<&str> {
        let mut times: Vec<&str> = self
            .agreed
            .iter()
            .filter(|((k, _), _)| *k == kind)
            .flat_map(|(_, list)| list.iter().map(|(at, _)| at.as_str()))
            .collect();
        times.sort_unstable();
        times.dedup();
        times
    }

    /// Reasons in force at `at`, with their keys.
    pub fn reasons_at(&self, at: DateTime<Utc>) -> Vec<(&str, &AgreementVersion)> {
        self.agreed
            .keys()
            .filter(|(k, _)| *k == AgreementKind::Reason)
            .filter_map(|(_, key)| {
                self.at(AgreementKind::Reason, key, at)
                    .map(|v| (key.as_str(), v))
            })
            .collect()
    }

    /// The scoring model in force at `at` (the first one if several are agreed).
    pub fn scoring_at(&self, at: DateTime<Utc>) -> Option<&AgreementVersion> {
        let mut keys: Vec<&String> = self
            .agreed
            .keys()
            .filter(|(k, _)| *k == AgreementKind::Scoring)
            .map(|(_, key)| key)
            .collect();
        keys.sort();
        keys.first()
            .and_then(|key| self.at(AgreementKind::Scoring, key, at))
    }
}

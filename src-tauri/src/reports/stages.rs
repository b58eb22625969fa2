//! The funnel as the stage definitions in force at an instant define it: from the first
//! stage (the lowest position), each step goes to the stage it allows next with the nearest
//! higher position, until a stage allows none further. Stages off that path (nurture and
//! disqualified in the demo playbook, whose positions come last) are side stages: they
//! collect what leaves the funnel. Nothing here knows a stage by its key.
use chrono::DateTime;

use crate::agreements::{AgreementBody, AgreementKind, StageBody};
use crate::handoffs::playbook_at::PlaybookHistory;
use crate::team::Side;

/// One stage as a version in force defines it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageInfo {
    pub key: String,
    pub name: String,
    pub side: Side,
    pub position: u32,
    pub max_days: Option<u32>,
    /// `stage/mql@2`: the version that says so.
    pub reference: String,
}

/// The funnel's stages at one instant, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Funnel {
    pub stages: Vec<StageInfo>,
}

impl Funnel {
    pub fn index(&self, key: &str) -> Option<usize> {
        self.stages.iter().position(|s| s.key == key)
    }

    /// Builds the funnel from the stages defined at one instant, each with the keys of the
    /// stages it allows next.
    ///
    /// ```
    /// use playbook::reports::stages::{Funnel, StageInfo};
    /// use playbook::team::Side;
    /// let stage = |key: &str, position, next: &[&str]| (StageInfo {
    ///     key: key.into(), name: key.into(), side: Side::Sales, position,
    ///     max_days: None, reference: String::new(),
    /// }, next.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    /// let f = Funnel::from_stages(vec![
    ///     stage("won", 3, &[]),
    ///     stage("lead", 1, &["deal", "lost"]),
    ///     stage("deal", 2, &["won", "lost"]),
    ///     stage("lost", 4, &["lead"]),
    ///     stage("later", 3, &["won"]), // defined, but nothing leads to it yet
    /// ]);
    /// let keys: Vec<&str> = f.stages.iter().map(|s| s.key.as_str()).collect();
    /// assert_eq!(keys, ["lead", "deal", "won"]);
    /// ```
    pub fn from_stages(stages: Vec<(StageInfo, Vec<String>)>) -> Funnel {
        let by_key: std::collections::HashMap<&str, &(StageInfo, Vec<String>)> =
            stages.iter().map(|s| (s.0.key.as_str(), s)).collect();
        let mut current = stages
            .iter()
            .min_by(|a, b| (a.0.position, &a.0.key).cmp(&(b.0.position, &b.0.key)));
        let mut out: Vec<StageInfo> = Vec::new();
        while let Some((info, next)) = current {
            out.push(info.clone());
            // Positions only grow along the path, so it ends.
            current = next
                .iter()
                .filter_map(|k| by_key.get(k.as_str()).copied())
                .filter(|(n, _)| n.position > info.position)
                .min_by(|a, b| (a.0.position, &a.0.key).cmp(&(b.0.position, &b.0.key)));
        }
        Funnel { stages: out }
    }
}

/// Stage definitions by time: what each stage was called and whether it was in the funnel
/// at any instant, computed once per change of the stage definitions.
pub struct StageBook<'a> {
    pb: &'a PlaybookHistory,
    /// The instants (ms) at which the stage definitions changed, oldest first.
    changes: Vec<i64>,
    /// The funnel from each change on (the first also applies before it).
    funnels: Vec<Funnel>,
}

fn ms_to_time(ms: i64) -> DateTime<chrono::Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or(DateTime::<chrono::Utc>::MAX_UTC)
}

impl<'a> StageBook<'a> {
    pub fn new(pb: &'a PlaybookHistory) -> StageBook<'a> {
        let mut changes: Vec<i64> = pb
            .changes(AgreementKind::Stage)
            .into_iter()
            .filter_map(|t| crate::db::parse_ts("at", t).ok())
            .map(|t| t.timestamp_millis())
            .collect();
        changes.dedup();
        if changes.is_empty() {
            changes.push(0);
        }
        let mut book = StageBook {
            pb,
            changes,
            funnels: vec![],
        };
        book.funnels = book
            .changes
            .iter()
            .map(|&at| {
                let defined: Vec<(StageInfo, Vec<String>)> = pb
                    .stage_keys()
                    .into_iter()
                    .filter_map(|key| book.definition(&key, at))
                    .collect();
                Funnel::from_stages(defined)
            })
            .collect();
        book
    }

    fn definition(&self, key: &str, at: i64) -> Option<(StageInfo, Vec<String>)> {
        let v = self.pb.at(AgreementKind::Stage, key, ms_to_time(at))?;
        let AgreementBody::Stage(StageBody {
            side,
            position,
            max_days_in_stage,
            allowed_next,
            ..
        }) = &v.body
        else {
            return None;
        };
        Some((
            StageInfo {
                key: key.to_string(),
                name: v.name.clone(),
                side: *side,
                position: *position,
                max_days: *max_days_in_stage,
                reference: v.reference(),
            },
            allowed_next.clone(),
        ))
    }

    /// The stage as defined at `at` (ms); before its first version, that version.
    pub fn stage(&self, key: &str, at: i64) -> Option<StageInfo> {
        self.definition(key, at).map(|(info, _)| info)
    }

    /// The funnel at `at` (ms).
    pub fn funnel(&self, at: i64) -> &Funnel {
        let i = self.changes.partition_point(|&c| c <= at);
        &self.funnels[i.saturating_sub(1)]
    }

    /// The name of reason `key` at `at` (ms), if it is an agreed reason then.
    pub fn reason_name(&self, key: &str, at: i64) -> Option<String> {
        self.pb
            .at(AgreementKind::Reason, key, ms_to_time(at))
            .map(|v| v.name.clone())
    }
}

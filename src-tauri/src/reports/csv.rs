//! The reports as CSV for spreadsheets: one row per number shown, every text cell
//! neutralised so a spreadsheet never runs it as a formula.
use super::aging::AgingReport;
use super::funnel::FunnelReport;
use super::reasons::ReasonsReport;
use super::sources::{SourceRow, SourcesReport};
use crate::error::{AppError, AppResult};
use crate::imports::values::neutralise;

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn write(headers: &[&str], rows: Vec<Vec<String>>) -> AppResult<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(headers)
        .map_err(|e| AppError::io(e.to_string()))?;
    for row in rows {
        w.write_record(
            row.iter()
                .map(|c| neutralise(c))
                .collect::<Vec<_>>()
                .iter()
                .map(|c| c.as_ref()),
        )
        .map_err(|e| AppError::io(e.to_string()))?;
    }
    let bytes = w.into_inner().map_err(|e| AppError::io(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| AppError::io(e.to_string()))
}

pub fn funnel(r: &FunnelReport) -> AppResult<String> {
    let mut rows: Vec<Vec<String>> = r
        .stages
        .iter()
        .map(|s| {
            let n = s.next.as_ref();
            vec![
                "funnel".into(),
                s.key.clone(),
                s.name.clone(),
                s.entries.to_string(),
                opt(n.map(|n| n.to_key.clone())),
                opt(n.map(|n| n.converted)),
                opt(n.map(|n| n.left)),
                opt(n.map(|n| n.still_in)),
                opt(n.and_then(|n| n.rate)),
                opt(n.and_then(|n| n.median_days)),
            ]
        })
        .collect();
    rows.extend(r.side_stages.iter().map(|s| {
        let mut row = vec![
            "side".into(),
            s.key.clone(),
            s.name.clone(),
            s.entries.to_string(),
        ];
        row.extend(std::iter::repeat_n(String::new(), 6));
        row
    }));
    write(
        &[
            "section",
            "stage",
            "stage_name",
            "entries",
            "next_stage",
            "converted",
            "left",
            "still_in",
            "conversion_pct",
            "median_days_to_next",
        ],
        rows,
    )
}

pub fn sources(r: &SourcesReport) -> AppResult<String> {
    let row = |dimension: &str, s: &SourceRow| {
        vec![
            dimension.to_string(),
            s.label.clone(),
            s.handed_over.to_string(),
            s.accepted.to_string(),
            s.rejected.to_string(),
            s.other.to_string(),
            s.awaiting.to_string(),
            opt(s.acceptance_rate),
            s.converted.to_string(),
            s.won.to_string(),
        ]
    };
    let mut rows = vec![row("total", &r.total)];
    rows.extend(r.by_channel.iter().map(|s| row("channel", s)));
    rows.extend(r.by_campaign.iter().map(|s| row("campaign", s)));
    rows.extend(r.by_score_band.iter().map(|s| row("score_band", s)));
    write(
        &[
            "dimension",
            "group",
            "handed_over",
            "accepted",
            "rejected",
            "other",
            "awaiting",
            "acceptance_pct",
            "converted",
            "won",
        ],
        rows,
    )
}

pub fn reasons(r: &ReasonsReport) -> AppResult<String> {
    let mut rows: Vec<Vec<String>> = r
        .reasons
        .iter()
        .map(|x| {
            vec![
                "all".into(),
                String::new(),
                x.key.clone(),
                x.name.clone(),
                x.count.to_string(),
                x.rejected.to_string(),
                x.recycled.to_string(),
                x.share.to_string(),
                x.cumulative_share.to_string(),
                x.examples
                    .iter()
                    .map(|e| e.contact_name.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
            ]
        })
        .collect();
    let name = |key: &str| {
        r.reasons
            .iter()
            .find(|x| x.key == key)
            .map_or_else(|| key.to_string(), |x| x.name.clone())
    };
    for (dimension, groups) in [("source", &r.by_source), ("owner", &r.by_owner)] {
        for g in groups {
            for c in &g.reasons {
                let mut row = vec![
                    dimension.to_string(),
                    g.label.clone(),
                    c.key.clone(),
                    name(&c.key),
                    c.count.to_string(),
                ];
                row.extend(std::iter::repeat_n(String::new(), 5));
                rows.push(row);
            }
        }
    }
    write(
        &[
            "dimension",
            "group",
            "reason",
            "reason_name",
            "count",
            "rejected",
            "recycled",
            "share_pct",
            "cumulative_pct",
            "examples",
        ],
        rows,
    )
}

pub fn aging(r: &AgingReport) -> AppResult<String> {
    let mut rows = Vec::new();
    for o in &r.by_owner {
        for c in &o.stages {
            let stage = r.by_stage.iter().find(|s| s.key == c.key);
            rows.push(vec![
                o.owner_name.clone(),
                c.key.clone(),
                stage.map(|s| s.name.clone()).unwrap_or_default(),
                opt(stage.and_then(|s| s.max_days)),
                c.count.to_string(),
            ]);
        }
    }
    write(
        &["owner", "stage", "stage_name", "max_days", "overdue"],
        rows,
    )
}

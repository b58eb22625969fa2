//! Minutes of a meeting, as Markdown and as a printable HTML page: attendees, each agenda
//! item with the numbers it showed, the decisions with the playbook versions they produced,
//! and the action items. User text is escaped in both, never interpreted.
use serde::Serialize;
use specta::Type;

use super::{AgendaFacts, AgendaItem, Decision, MeetingDetail, MeetingStatus};
use crate::agreements::VersionStatus;

/// The numbers an agenda item showed, as a small table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// The minutes as the window prints them and the files render them: every number and
/// outcome already in words, so no reader formats anything itself.
#[derive(Debug, Clone, PartialEq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Minutes {
    pub meeting: super::Meeting,
    pub status: String,
    pub items: Vec<MinutesItem>,
    pub decisions: Vec<MinutesDecision>,
    pub actions: Vec<super::ActionItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct MinutesItem {
    pub number: u32,
    pub title: String,
    pub note: String,
    pub numbers: Option<Table>,
    pub decisions: Vec<MinutesDecision>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct MinutesDecision {
    pub text: String,
    /// The version it produced and what became of it, in words.
    pub outcome: Option<String>,
}

fn minutes_decision(d: &Decision) -> MinutesDecision {
    MinutesDecision {
        text: d.text.clone(),
        outcome: outcome(d),
    }
}

/// The minutes of a meeting (dropped agenda items left out).
pub fn view(detail: &MeetingDetail) -> Minutes {
    Minutes {
        meeting: detail.meeting.clone(),
        status: status_text(detail),
        items: items(detail)
            .into_iter()
            .enumerate()
            .map(|(n, item)| MinutesItem {
                number: n as u32 + 1,
                title: item.title.clone(),
                note: item.note.clone(),
                numbers: numbers(&item.facts),
                decisions: detail
                    .decisions
                    .iter()
                    .filter(|d| d.agenda_item_id.as_deref() == Some(item.id.as_str()))
                    .map(minutes_decision)
                    .collect(),
            })
            .collect(),
        decisions: detail.decisions.iter().map(minutes_decision).collect(),
        actions: detail.actions.clone(),
    }
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |v| format!("{v}%"))
}

fn row(cells: &[&dyn ToString]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

pub fn numbers(facts: &AgendaFacts) -> Option<Table> {
    let t = |headers: &[&str], rows: Vec<Vec<String>>| {
        Some(Table {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows,
        })
    };
    match facts {
        AgendaFacts::Funnel {
            changes, current, ..
        } => t(
            &[
                "Stage",
                "Entries before",
                "Entries now",
                "To next before",
                "To next now",
                "Median days to next",
            ],
            changes
                .iter()
                .map(|c| {
                    let days = current
                        .stages
                        .iter()
                        .find(|s| s.key == c.stage_key)
                        .and_then(|s| s.next.as_ref())
                        .and_then(|n| n.median_days)
                        .map_or_else(|| "—".into(), |d| d.to_string());
                    row(&[
                        &c.stage_name,
                        &c.entries_before,
                        &c.entries_now,
                        &pct(c.rate_before),
                        &pct(c.rate_now),
                        &days,
                    ])
                })
                .collect(),
        ),
        AgendaFacts::Reasons { report, .. } => t(
            &["Reason", "Count", "Share", "Cumulative", "Examples"],
            report
                .reasons
                .iter()
                .map(|r| {
                    let examples = r
                        .examples
                        .iter()
                        .map(|e| e.contact_name.clone())
                        .collect::<Vec<_>>()
                        .join(", ");
                    row(&[
                        &r.name,
                        &r.count,
                        &format!("{}%", r.share),
                        &format!("{}%", r.cumulative_share),
                        &examples,
                    ])
                })
                .collect(),
        ),
        AgendaFacts::Slas { report } => t(
            &[
                "SLA",
                "Owed by",
                "Target",
                "Met",
                "Breached",
                "Pending",
                "Kept",
                "Kept before",
            ],
            report
                .slas
                .iter()
                .map(|s| {
                    row(&[
                        &s.name,
                        &crate::labels::side(s.owner_side),
                        &s.target,
                        &s.now.met,
                        &s.now.breached,
                        &s.now.pending,
                        &pct(s.now.compliance),
                        &pct(s.before.compliance),
                    ])
                })
                .collect(),
        ),
        AgendaFacts::Sources { report } => t(
            &[
                "Source",
                "Handed over",
                "Accepted",
                "Rejected",
                "Acceptance",
            ],
            std::iter::once(&report.total)
                .chain(&report.by_channel)
                .map(|s| {
                    row(&[
                        &s.label,
                        &s.handed_over,
                        &s.accepted,
                        &s.rejected,
                        &pct(s.acceptance_rate),
                    ])
                })
                .collect(),
        ),
        AgendaFacts::Aging { report } => t(
            &["Owner", "Past their stage's time", "By stage"],
            report
                .by_owner
                .iter()
                .map(|o| {
                    let name = |key: &str| {
                        report
                            .by_stage
                            .iter()
                            .find(|s| s.key == key)
                            .map_or_else(|| key.to_string(), |s| s.name.clone())
                    };
                    let stages = o
                        .stages
                        .iter()
                        .map(|s| format!("{} {}", name(&s.key), s.count))
                        .collect::<Vec<_>>()
                        .join(", ");
                    row(&[&o.owner_name, &o.overdue, &stages])
                })
                .collect(),
        ),
        AgendaFacts::Signoffs { versions } => t(
            &["Version", "Awaiting"],
            versions
                .iter()
                .map(|v| {
                    let awaiting = v
                        .awaiting
                        .iter()
                        .map(|s| format!("{} manager", s.as_str()))
                        .collect::<Vec<_>>()
                        .join(" and ");
                    row(&[&v.label, &awaiting])
                })
                .collect(),
        ),
        AgendaFacts::Content { report } => t(
            &["In the library", "Which"],
            vec![
                vec![
                    format!(
                        "Stage × persona pairs with nothing ({} empty cells in all)",
                        report.gap_count
                    ),
                    report
                        .gaps
                        .iter()
                        .map(|g| format!("{} · {}", g.stage, g.persona))
                        .collect::<Vec<_>>()
                        .join("; "),
                ],
                vec![
                    "Risk points nothing answers".into(),
                    report.uncovered_risks.join("; "),
                ],
                vec![
                    format!("Past their review date ({})", report.stale_count),
                    report
                        .stale
                        .iter()
                        .map(|a| {
                            format!(
                                "{} ({})",
                                a.title,
                                a.owner_name.as_deref().unwrap_or("no owner")
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("; "),
                ],
                vec![
                    "Sent before contacts moved forward".into(),
                    report
                        .credited
                        .iter()
                        .map(|a| {
                            format!("{} ({} of {} moved)", a.title, a.moved_forward, a.contacts)
                        })
                        .collect::<Vec<_>>()
                        .join("; "),
                ],
            ]
            .into_iter()
            .filter(|r| !r[1].is_empty())
            .collect(),
        ),
        AgendaFacts::Actions { items } => t(
            &["Action", "Owner", "Due", "From"],
            items
                .iter()
                .map(|a| {
                    row(&[
                        &a.title,
                        &a.owner_name.clone().unwrap_or_default(),
                        &a.due_on.clone().unwrap_or_default(),
                        &a.meeting_title,
                    ])
                })
                .collect(),
        ),
        AgendaFacts::Manual => None,
    }
}

/// What became of a decision's proposal, in words.
pub fn outcome(d: &Decision) -> Option<String> {
    let v = d.version.as_ref()?;
    let signed = if v.approved_by.is_empty() {
        String::new()
    } else {
        format!(", signed by {}", v.approved_by.join(" and "))
    };
    let state = match v.status {
        VersionStatus::InForce | VersionStatus::Superseded | VersionStatus::Scheduled => format!(
            "agreed, in force from {}",
            v.effective_at.as_deref().map_or_else(|| "—".into(), when)
        ),
        VersionStatus::Proposed => format!(
            "proposed, awaiting the {} manager",
            v.awaiting
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" and ")
        ),
        VersionStatus::Draft => "declined, back to draft".into(),
        VersionStatus::Tampered => "does not verify".into(),
    };
    Some(format!("{}: {state}{signed}", v.label))
}

/// Escapes text for Markdown: nothing a reader's renderer would treat as markup or HTML.
pub fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// A stored time as people read it in minutes: to the minute, in UTC (the minutes travel
/// between laptops in different zones, so they name theirs).
///
/// ```
/// assert_eq!(playbook::meetings::minutes::when("2026-11-27T13:15:47.448Z"), "2026-11-27 13:15 UTC");
/// assert_eq!(playbook::meetings::minutes::when("not a time"), "not a time");
/// ```
pub fn when(stored: &str) -> String {
    crate::db::parse_ts("time", stored).map_or_else(
        |_| stored.to_string(),
        |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

fn items(detail: &MeetingDetail) -> Vec<&AgendaItem> {
    detail.agenda.iter().filter(|i| !i.dropped).collect()
}

fn status_text(detail: &MeetingDetail) -> String {
    match detail.meeting.status {
        MeetingStatus::Closed => format!(
            "closed {}",
            detail
                .meeting
                .closed_at
                .as_deref()
                .map(when)
                .unwrap_or_default()
        ),
        MeetingStatus::Open => "open (draft minutes)".into(),
    }
}

pub fn markdown(detail: &MeetingDetail) -> String {
    let v = view(detail);
    let m = &v.meeting;
    let mut out = format!(
        "# {}\n\nHeld on {} · covering {} to {} · {}\n\n## Attendees\n\n",
        md(&m.title),
        m.held_on,
        m.period.from,
        m.period.to,
        v.status
    );
    for a in &m.attendees {
        out.push_str(&format!("- {}{}\n", md(&a.name), attendee_role(a)));
    }
    out.push_str("\n## Agenda\n");
    for item in &v.items {
        out.push_str(&format!("\n### {}. {}\n\n", item.number, md(&item.title)));
        if !item.note.is_empty() {
            out.push_str(&format!("{}\n\n", md(&item.note)));
        }
        if let Some(t) = &item.numbers {
            out.push_str(&format!(
                "| {} |\n|{}\n",
                t.headers
                    .iter()
                    .map(|h| md(h))
                    .collect::<Vec<_>>()
                    .join(" | "),
                " --- |".repeat(t.headers.len())
            ));
            for r in &t.rows {
                out.push_str(&format!(
                    "| {} |\n",
                    r.iter().map(|c| md(c)).collect::<Vec<_>>().join(" | ")
                ));
            }
            out.push('\n');
        }
        for d in &item.decisions {
            out.push_str(&format!("**Decision:** {}\n", md(&d.text)));
            if let Some(o) = &d.outcome {
                out.push_str(&format!("  → {}\n", md(o)));
            }
            out.push('\n');
        }
    }
    out.push_str("\n## Decisions\n\n");
    if v.decisions.is_empty() {
        out.push_str("None.\n");
    }
    for d in &v.decisions {
        out.push_str(&format!("- {}", md(&d.text)));
        if let Some(o) = &d.outcome {
            out.push_str(&format!(" → {}", md(o)));
        }
        out.push('\n');
    }
    out.push_str("\n## Action items\n\n");
    if v.actions.is_empty() {
        out.push_str("None.\n");
    }
    for a in &v.actions {
        out.push_str(&format!(
            "- [{}] {} — {}{}\n",
            if a.status == super::ActionStatus::Done {
                "x"
            } else {
                " "
            },
            md(&a.title),
            md(a.owner_name.as_deref().unwrap_or("no owner")),
            a.due_on
                .as_ref()
                .map(|d| format!(", due {d}"))
                .unwrap_or_default()
        ));
    }
    out
}

fn attendee_role(a: &super::Attendee) -> String {
    match (a.side, a.role) {
        (Some(s), Some(r)) => format!(" ({} {})", s.as_str(), r.as_str()),
        _ => String::new(),
    }
}

/// Escapes text for HTML.
pub fn html_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const PRINT_CSS: &str = "
body { font: 11pt/1.45 system-ui, sans-serif; color: #111; margin: 2rem auto; max-width: 52rem; padding: 0 1rem; }
h1 { font-size: 20pt; margin: 0 0 .2rem; }
h2 { font-size: 14pt; margin: 1.6rem 0 .4rem; border-bottom: 1px solid #999; }
h3 { font-size: 12pt; margin: 1.2rem 0 .3rem; }
.meta { color: #444; margin: 0 0 1rem; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 .6rem; font-size: 10pt; }
th, td { border: 1px solid #bbb; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #eee; }
.decision { margin: .3rem 0; }
.outcome { color: #333; }
@media print {
  body { margin: 0; max-width: none; }
  h2, h3 { break-after: avoid; }
  table, .decision { break-inside: avoid; }
}
";

pub fn html(detail: &MeetingDetail) -> String {
    let v = view(detail);
    let m = &v.meeting;
    let e = html_text;
    let mut out = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{PRINT_CSS}</style></head><body>\n<h1>{}</h1>\n<p class=\"meta\">Held on {} · covering {} to {} · {}</p>\n<h2>Attendees</h2>\n<ul>\n",
        e(&m.title),
        e(&m.title),
        e(&m.held_on),
        e(&m.period.from),
        e(&m.period.to),
        e(&v.status)
    );
    for a in &m.attendees {
        out.push_str(&format!(
            "<li>{}{}</li>\n",
            e(&a.name),
            e(&attendee_role(a))
        ));
    }
    out.push_str("</ul>\n<h2>Agenda</h2>\n");
    for item in &v.items {
        out.push_str(&format!("<h3>{}. {}</h3>\n", item.number, e(&item.title)));
        if !item.note.is_empty() {
            out.push_str(&format!("<p>{}</p>\n", e(&item.note)));
        }
        if let Some(t) = &item.numbers {
            out.push_str("<table><thead><tr>");
            for h in &t.headers {
                out.push_str(&format!("<th>{}</th>", e(h)));
            }
            out.push_str("</tr></thead><tbody>\n");
            for r in &t.rows {
                out.push_str("<tr>");
                for c in r {
                    out.push_str(&format!("<td>{}</td>", e(c)));
                }
                out.push_str("</tr>\n");
            }
            out.push_str("</tbody></table>\n");
        }
        for d in &item.decisions {
            out.push_str(&format!(
                "<p class=\"decision\"><strong>Decision:</strong> {}{}</p>\n",
                e(&d.text),
                d.outcome
                    .as_ref()
                    .map(|o| format!("<br><span class=\"outcome\">→ {}</span>", e(o)))
                    .unwrap_or_default()
            ));
        }
    }
    out.push_str("<h2>Decisions</h2>\n");
    if v.decisions.is_empty() {
        out.push_str("<p>None.</p>\n");
    } else {
        out.push_str("<ul>\n");
        for d in &v.decisions {
            out.push_str(&format!(
                "<li>{}{}</li>\n",
                e(&d.text),
                d.outcome
                    .as_ref()
                    .map(|o| format!(" → {}", e(o)))
                    .unwrap_or_default()
            ));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("<h2>Action items</h2>\n");
    if v.actions.is_empty() {
        out.push_str("<p>None.</p>\n");
    } else {
        out.push_str("<table><thead><tr><th>Action</th><th>Owner</th><th>Due</th><th>Status</th></tr></thead><tbody>\n");
        for a in &v.actions {
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                e(&a.title),
                e(a.owner_name.as_deref().unwrap_or("")),
                e(a.due_on.as_deref().unwrap_or("")),
                e(a.status.as_str())
            ));
        }
        out.push_str("</tbody></table>\n");
    }
    out.push_str("</body></html>\n");
    out
}

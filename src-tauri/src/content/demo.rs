//! The demo library: the agreed content taxonomy (signed by both managers) and about forty
//! assets across it, with small real files made here (PDFs written with lopdf, Markdown,
//! HTML) and links, a few account risks, and sends by the reps, some of which were
//! followed by the contact moving forward.
use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use lopdf::content::{Content, Operation};
use lopdf::{dictionary, Document, Object, Stream};

use super::risks::RiskNote;
use super::send::{SendChannel, SendRequest};
use super::taxonomy::Taxonomy;
use super::write::Writer;
use super::{AssetFields, AssetSource, AssetStatus};
use crate::agreements::{
    store, AgreementBody, AssetKindBody, BuyingStageBody, PersonaBody, Proposal, RiskBody,
    SignoffAction,
};
use crate::db::{self, Db};
use crate::error::AppResult;
use crate::leads::{BuyingRole as R, BuyingStage as B};
use crate::trust::keys::DEMO_PASSPHRASE;

/// key, name, position, contact buying stages, lifecycle stages, description.
type StageDef = (
    &'static str,
    &'static str,
    u32,
    &'static [B],
    &'static [&'static str],
    &'static str,
);
/// key, name, buying roles, title words, description.
type PersonaDef = (
    &'static str,
    &'static str,
    &'static [R],
    &'static [&'static str],
    &'static str,
);

const STAGES: &[StageDef] = &[
    (
        "awareness",
        "Awareness",
        1,
        &[B::Awareness],
        &[],
        "The buyer is naming a problem and looking for ways to think about it.",
    ),
    (
        "consideration",
        "Consideration",
        2,
        &[B::Consideration],
        &[],
        "The buyer compares approaches and vendors that could solve it.",
    ),
    (
        "decision",
        "Decision",
        3,
        &[B::Decision],
        &["opportunity"],
        "The buying team chooses a vendor, justifies the spend and clears reviews.",
    ),
    (
        "customer",
        "Customer",
        4,
        &[],
        &["customer"],
        "The customer adopts, expands and renews.",
    ),
];

const PERSONAS: &[PersonaDef] = &[
    (
        "economic_buyer",
        "Economic buyer",
        &[R::EconomicBuyer],
        &["cfo", "finance"],
        "Owns the budget; asks what it costs and what it returns.",
    ),
    (
        "decision_maker",
        "Decision maker",
        &[R::DecisionMaker],
        &["cro", "vp", "chief"],
        "Signs off the choice; asks whether it moves the number.",
    ),
    (
        "champion",
        "Champion",
        &[R::Champion],
        &["operations"],
        "Runs revenue or marketing operations and sells it inside.",
    ),
    (
        "it_security",
        "IT & security",
        &[R::Blocker, R::Recommender],
        &["security", "it", "architect"],
        "Reviews security, data and integrations.",
    ),
    (
        "end_user",
        "End user",
        &[R::User, R::Influencer],
        &["executive", "sdr", "campaign"],
        "Works in Playbook every day: reps, SDRs, campaign managers.",
    ),
];

const RISKS: &[(&str, &str, &str)] = &[
    (
        "competitor:acme_cloud",
        "Acme Cloud",
        "The buying team is evaluating Acme Cloud's revenue suite.",
    ),
    (
        "competitor:pipewise",
        "Pipewise",
        "Pipewise is in the deal, usually on price.",
    ),
    (
        "do_nothing",
        "Status quo",
        "Spreadsheets and weekly meetings feel good enough.",
    ),
    (
        "do_it_ourselves",
        "Build it ourselves",
        "Their ops team wants to build it in the CRM.",
    ),
    (
        "budget",
        "Budget",
        "No budget line this year, or the spend needs a business case.",
    ),
    (
        "timing",
        "Timing",
        "Other projects come first; the buyer wants to wait.",
    ),
    (
        "security",
        "Security review",
        "IT or legal must approve data handling before signing.",
    ),
];

const KINDS: &[(&str, &str, Option<u32>, &str)] = &[
    (
        "whitepaper",
        "Whitepaper",
        Some(12),
        "A long-form argument with evidence.",
    ),
    (
        "case_study",
        "Case study",
        Some(18),
        "A customer's story with numbers.",
    ),
    ("webinar", "Webinar", Some(12), "A recorded session."),
    (
        "one_pager",
        "One-pager",
        Some(6),
        "A single page to leave behind.",
    ),
    (
        "battlecard",
        "Battlecard",
        Some(3),
        "How to win against a competitor or objection.",
    ),
    (
        "roi_tool",
        "ROI calculator",
        Some(12),
        "A worksheet that puts numbers on the value.",
    ),
    (
        "demo_video",
        "Demo video",
        Some(12),
        "The product shown in a few minutes.",
    ),
    (
        "email_template",
        "Email template",
        Some(6),
        "A message reps adapt and send.",
    ),
    (
        "presentation",
        "Presentation",
        Some(6),
        "A deck for a meeting.",
    ),
    (
        "analyst_report",
        "Analyst report",
        Some(12),
        "An independent analyst's view.",
    ),
];

/// How a demo asset's content is made.
#[derive(Clone, Copy)]
enum Form {
    Pdf,
    Slides,
    Markdown,
    Html,
    Link(&'static str),
}

struct Demo {
    title: &'static str,
    kind: &'static str,
    form: Form,
    stages: &'static [&'static str],
    personas: &'static [&'static str],
    risks: &'static [&'static str],
    industries: &'static [&'static str],
    lang: &'static str,
    summary: &'static str,
    points: &'static [&'static str],
}

macro_rules! a {
    ($t:expr, $k:expr, $f:expr, [$($s:expr),*], [$($p:expr),*], [$($r:expr),*], [$($i:expr),*], $l:expr, $sum:expr, [$($pt:expr),*]) => {
        Demo { title: $t, kind: $k, form: $f, stages: &[$($s),*], personas: &[$($p),*], risks: &[$($r),*],
               industries: &[$($i),*], lang: $l, summary: $sum, points: &[$($pt),*] }
    };
}

const ASSETS: &[Demo] = &[
    a!("The State of Revenue Alignment 2026", "whitepaper", Form::Pdf, ["awareness"], ["decision_maker", "champion"], ["do_nothing"], [], "en",
       "Why teams that agree on one lead definition convert 38% more MQLs into pipeline.",
       ["Survey of 412 B2B revenue teams.", "Teams with a signed-off MQL definition lose fewer leads at handover.", "The cost of the status quo: 27% of MQLs are never touched."]),
    a!("Lead handover without the blame game", "whitepaper", Form::Pdf, ["awareness", "consideration"], ["champion", "end_user"], ["do_nothing"], [], "en",
       "A practical guide to SLAs between marketing and sales.",
       ["Response time SLAs in business hours.", "Rejection reasons marketing can learn from.", "Weekly alignment meetings that end with decisions."]),
    a!("Forecasting playbook for CFOs", "whitepaper", Form::Pdf, ["consideration"], ["economic_buyer"], ["budget"], ["Financial Services"], "en",
       "How finance leaders read a pipeline they can trust.",
       ["Stage definitions both sides sign.", "Conversion rates by cohort.", "Budget planning from agreed funnel math."]),
    a!("Atlas Logistics: 41% faster lead response", "case_study", Form::Pdf, ["consideration", "decision"], ["decision_maker", "champion"], ["competitor:acme_cloud"], ["Logistics"], "en",
       "Atlas Logistics replaced Acme Cloud's lead routing and cut response time from 19 to 11 hours.",
       ["Switched from Acme Cloud in six weeks.", "Response time down 41%.", "Sales accepts 83% of MQLs, up from 52%."]),
    a!("Granite Manufacturing: one playbook for 14 regions", "case_study", Form::Pdf, ["decision"], ["economic_buyer", "decision_maker"], ["budget", "do_it_ourselves"], ["Manufacturing"], "en",
       "Granite stopped building lead routing in their CRM and saved two ops headcount.",
       ["Retired 180 custom CRM rules.", "Payback in 7 months.", "Regional teams share one definition of ready."]),
    a!("Sterling Finance: audit-ready handoffs", "case_study", Form::Pdf, ["decision"], ["it_security", "economic_buyer"], ["security"], ["Financial Services"], "en",
       "Signed, append-only handoff history passed Sterling's internal audit.",
       ["Every handoff signed by the member who made it.", "Offline-first: data stays on managed laptops.", "Audit evidence exported in minutes."]),
    a!("Nordic Health: nurture that brings leads back", "case_study", Form::Pdf, ["customer"], ["champion", "end_user"], [], ["Healthcare"], "en",
       "Recycled leads with agreed reasons came back as SQLs 3x more often.",
       ["Recycle reasons tied to nurture tracks.", "22% of recycled leads re-qualified within a quarter."]),
    a!("Pipewise vs Playbook battlecard", "battlecard", Form::Pdf, ["decision"], ["decision_maker", "champion"], ["competitor:pipewise"], [], "en",
       "Win against Pipewise when the deal comes down to price.",
       ["Pipewise charges per lead routed; Playbook per seat.", "Pipewise has no signed sign-offs.", "Ask: who approves a change to the MQL definition?"]),
    a!("Acme Cloud battlecard", "battlecard", Form::Pdf, ["decision"], ["decision_maker", "it_security"], ["competitor:acme_cloud"], [], "en",
       "Acme Cloud needs a connection to its cloud; Playbook works offline and signs every change.",
       ["Acme Cloud requires a permanent connection.", "Playbook keeps data on the laptop and syncs to your own database.", "Trap question: show me who changed the lead score last quarter."]),
    a!("Acme Cloud migration guide", "one_pager", Form::Pdf, ["decision", "customer"], ["champion", "it_security"], ["competitor:acme_cloud", "timing"], [], "en",
       "Move from Acme Cloud in four weeks without losing history.",
       ["Import contacts, events and activities from Acme exports.", "Week-by-week plan.", "Parallel run for one SLA period."]),
    a!("Why not build it in the CRM?", "one_pager", Form::Pdf, ["consideration"], ["champion", "it_security"], ["do_it_ourselves"], [], "en",
       "The true cost of custom lead routing: maintenance, audit and drift.",
       ["Custom rules drift from what was agreed.", "Nobody signs a workflow change.", "Two admins at 40% of their time."]),
    a!("Security and data handling overview", "one_pager", Form::Pdf, ["decision"], ["it_security"], ["security"], [], "en",
       "Ed25519 signatures, encrypted keys, your own PostgreSQL hub: answers for the security review.",
       ["Keys sealed with Argon2id and XChaCha20-Poly1305.", "No vendor cloud: the hub is your database.", "Content files stay on the laptop."]),
    a!("Security questionnaire answers (SIG Lite)", "one_pager", Form::Markdown, ["decision"], ["it_security"], ["security"], [], "en",
       "Pre-filled answers to the standard SIG Lite questionnaire.",
       ["Data residency: customer-controlled.", "Encryption at rest: keys sealed per member.", "Access control: signed roles."]),
    a!("ROI calculator", "roi_tool", Form::Html, ["decision"], ["economic_buyer"], ["budget"], [], "en",
       "Put numbers on faster response, fewer lost MQLs and saved ops time.",
       ["Inputs: MQLs per month, win rate, deal size.", "Output: payback months and first-year return."]),
    a!("Business case template", "roi_tool", Form::Markdown, ["decision"], ["economic_buyer", "champion"], ["budget", "timing"], [], "en",
       "A one-page business case your champion can take to finance.",
       ["Problem, cost of inaction, investment, return.", "Fill in three numbers from the ROI calculator."]),
    a!("Cost of doing nothing worksheet", "roi_tool", Form::Html, ["consideration"], ["economic_buyer", "decision_maker"], ["do_nothing", "budget"], [], "en",
       "What the status quo costs per quarter in lost MQLs.",
       ["Leads never touched times win rate times deal size.", "Hours spent arguing in pipeline reviews."]),
    a!("Playbook in 4 minutes", "demo_video", Form::Link("https://videos.larkspur.example/playbook-4-minutes"), ["awareness", "consideration"], ["decision_maker", "end_user"], [], [], "en",
       "The product end to end: agree, hand over, follow up, learn.", []),
    a!("Handoff and SLA tracking demo", "demo_video", Form::Link("https://videos.larkspur.example/handoff-sla"), ["consideration"], ["champion", "end_user"], [], [], "en",
       "A lead handed over, accepted within the SLA, and a rejection with a reason.", []),
    a!("Content library demo for reps", "demo_video", Form::Link("https://videos.larkspur.example/content-library"), ["consideration"], ["end_user"], [], [], "en",
       "Find the right asset for this person at this stage, offline.", []),
    a!("Webinar: The alignment meeting that works", "webinar", Form::Link("https://webinars.larkspur.example/alignment-meeting"), ["awareness"], ["decision_maker", "champion"], ["do_nothing"], [], "en",
       "A recorded session with two revenue leaders on running the weekly meeting.", []),
    a!("Webinar: Lead scoring your sales team trusts", "webinar", Form::Link("https://webinars.larkspur.example/lead-scoring"), ["awareness", "consideration"], ["champion"], [], [], "en",
       "Explainable scores, agreed thresholds and decay.", []),
    a!("Webinar: Rollout in 30 days", "webinar", Form::Link("https://webinars.larkspur.example/rollout-30-days"), ["customer"], ["champion", "end_user"], ["timing"], [], "en",
       "How new customers go live in a month.", []),
    a!("Analyst report: Revenue orchestration 2026", "analyst_report", Form::Pdf, ["awareness", "consideration"], ["decision_maker", "economic_buyer"], ["competitor:acme_cloud", "competitor:pipewise"], [], "en",
       "Independent comparison of revenue orchestration vendors; Playbook named a leader for governance.",
       ["Leader in governance and auditability.", "Strong performer in usability.", "Acme Cloud and Pipewise evaluated."]),
    a!("Analyst brief: the cost of misaligned funnels", "analyst_report", Form::Pdf, ["awareness"], ["economic_buyer"], ["do_nothing"], [], "en",
       "Misaligned funnels waste 9% of marketing budget.",
       ["Budget wasted on leads sales never works.", "Alignment as a finance topic."]),
    a!("Executive overview deck", "presentation", Form::Slides, ["consideration", "decision"], ["decision_maker", "economic_buyer"], [], [], "en",
       "Ten slides for the first executive meeting.",
       ["The problem: two teams, two definitions.", "The answer: one signed playbook.", "Proof: three customers and their numbers."]),
    a!("Technical deep dive deck", "presentation", Form::Slides, ["decision"], ["it_security"], ["security", "do_it_ourselves"], [], "en",
       "Architecture, sync, signatures and integrations for the technical evaluation.",
       ["Offline-first replicas and a PostgreSQL hub.", "Signed records and verification.", "CRM imports without custom code."]),
    a!("Quarterly business review template", "presentation", Form::Slides, ["customer"], ["decision_maker", "champion"], [], [], "en",
       "The QBR deck for customers: what was agreed, what happened, what changes.",
       ["SLA compliance by side.", "Funnel conversion against last quarter.", "Content that moved deals."]),
    a!("Email: first touch after a webinar", "email_template", Form::Markdown, ["awareness"], ["end_user", "champion"], [], [], "en",
       "A short follow-up for webinar attendees.",
       ["Thank them for attending.", "Offer the recording and one related asset."]),
    a!("Email: answering the status quo", "email_template", Form::Markdown, ["consideration"], ["decision_maker"], ["do_nothing"], [], "en",
       "When the buyer says spreadsheets work fine.",
       ["Acknowledge what works today.", "Share the cost of doing nothing worksheet."]),
    a!("Email: budget is frozen", "email_template", Form::Markdown, ["decision"], ["economic_buyer"], ["budget", "timing"], [], "en",
       "Keep the deal alive when budget is frozen until next quarter.",
       ["Offer a phased start.", "Share the business case template."]),
    a!("Email: Acme Cloud is in the deal", "email_template", Form::Markdown, ["decision"], ["champion"], ["competitor:acme_cloud"], [], "en",
       "Arm your champion when Acme Cloud is also being evaluated.",
       ["Three questions to ask Acme Cloud.", "Link the Atlas Logistics story."]),
    a!("Onboarding checklist", "one_pager", Form::Markdown, ["customer"], ["champion", "end_user"], [], [], "en",
       "Everything a new customer does in the first 30 days.",
       ["Agree stages and SLAs in week one.", "Import contacts in week two.", "First alignment meeting in week three."]),
    a!("Renewal value summary", "one_pager", Form::Pdf, ["customer"], ["economic_buyer"], ["budget"], [], "en",
       "A year of results on one page for the renewal conversation.",
       ["MQL acceptance rate before and after.", "Hours saved in pipeline reviews."]),
    a!("Leitfaden: Lead-Übergabe ohne Reibung", "whitepaper", Form::Markdown, ["awareness"], ["champion"], ["do_nothing"], ["Manufacturing"], "de",
       "Der Leitfaden zur Lead-Übergabe für Marketing und Vertrieb im Mittelstand.",
       ["Gemeinsame Definition eines MQL.", "Reaktionszeiten in Arbeitsstunden."]),
    a!("Fallstudie: Granite Manufacturing", "case_study", Form::Markdown, ["decision"], ["economic_buyer", "decision_maker"], ["budget"], ["Manufacturing"], "de",
       "Wie Granite 14 Regionen auf ein Playbook brachte.",
       ["Amortisation in 7 Monaten.", "180 CRM-Regeln abgelöst."]),
    a!("Pipewise pricing comparison", "battlecard", Form::Html, ["decision"], ["economic_buyer"], ["competitor:pipewise", "budget"], [], "en",
       "Three-year cost of Pipewise's per-lead pricing against Playbook's seats.",
       ["At 2,000 MQLs a month Pipewise costs 2.4x more by year three."]),
    a!("Lead handover SLA guide (2024 edition)", "whitepaper", Form::Pdf, ["consideration"], ["champion"], [], [], "en",
       "The earlier edition of the SLA guide, kept for history.",
       ["Replaced by Lead handover without the blame game."]),
    a!("Timing objection talk track", "battlecard", Form::Markdown, ["consideration", "decision"], ["decision_maker"], ["timing"], [], "en",
       "What to say when the buyer wants to wait until next year.",
       ["Every quarter of waiting costs the leads in the worksheet.", "Offer a 30-day rollout."]),
    a!("Healthcare compliance brief", "one_pager", Form::Pdf, ["decision"], ["it_security"], ["security"], ["Healthcare"], "en",
       "Handling contact data in regulated healthcare sales.",
       ["Data minimisation in imports.", "Signed consent history."]),
    a!("Partner co-selling kit", "presentation", Form::Slides, ["awareness"], ["decision_maker"], [], [], "en",
       "Draft kit for partner sellers; not yet reviewed.",
       ["Joint value proposition.", "Referral process."]),
];

/// A small PDF of `lines` (ASCII text), portrait, or landscape for slides (one line per slide).
pub fn pdf(title: &str, lines: &[String], slides: bool) -> AppResult<Vec<u8>> {
    let (w, h) = if slides { (842, 595) } else { (595, 842) };
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica", "Encoding" => "WinAnsiEncoding",
    });
    let bold = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica-Bold", "Encoding" => "WinAnsiEncoding",
    });
    let resources =
        doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font, "F2" => bold } });
    let text = |s: &str| Object::string_literal(ascii(s));
    let mut pages: Vec<Vec<String>> = if slides {
        lines.iter().map(|l| vec![l.clone()]).collect()
    } else {
        vec![lines.to_vec()]
    };
    if pages.is_empty() {
        pages.push(vec![]);
    }
    let mut kids = Vec::new();
    for (n, page) in pages.iter().enumerate() {
        let mut ops = vec![
            Operation::new("BT", vec![]),
            Operation::new("Tf", vec!["F2".into(), 20.into()]),
            Operation::new("Td", vec![56.into(), (h - 90).into()]),
            Operation::new("Tj", vec![text(title)]),
            Operation::new("Tf", vec!["F1".into(), 12.into()]),
        ];
        for line in page {
            for chunk in wrap(line, if slides { 100 } else { 80 }) {
                ops.push(Operation::new("Td", vec![0.into(), (-24).into()]));
                ops.push(Operation::new("Tj", vec![text(&chunk)]));
            }
        }
        ops.push(Operation::new("Td", vec![0.into(), (-40).into()]));
        ops.push(Operation::new(
            "Tj",
            vec![text(&format!("Larkspur - page {}", n + 1))],
        ));
        ops.push(Operation::new("ET", vec![]));
        let stream = Content { operations: ops }
            .encode()
            .map_err(|e| crate::error::AppError::io(format!("demo PDF: {e}")))?;
        let content = doc.add_object(Stream::new(dictionary! {}, stream));
        let page = doc.add_object(
            dictionary! { "Type" => "Page", "Parent" => pages_id, "Contents" => content },
        );
        kids.push(page.into());
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => kids, "Count" => count, "Resources" => resources,
            "MediaBox" => vec![0.into(), 0.into(), w.into(), h.into()],
        }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    doc.compress();
    let mut out = Vec::new();
    doc.save_to(&mut out)
        .map_err(|e| crate::error::AppError::io(format!("demo PDF: {e}")))?;
    Ok(out)
}

fn ascii(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c {
            '’' | '‘' => '\'',
            '“' | '”' => '"',
            '–' | '—' => '-',
            c if c.is_ascii() => c,
            _ => '?',
        })
        .map(|c| c as u8)
        .collect()
}

fn wrap(line: &str, width: usize) -> Vec<String> {
    let mut out = vec![String::new()];
    for word in line.split_whitespace() {
        let cur = out.last_mut().expect("a line");
        if !cur.is_empty() && cur.len() + word.len() + 1 > width {
            out.push(word.to_string());
        } else {
            if !cur.is_empty() {
                cur.push(' ');
            }
            cur.push_str(word);
        }
    }
    out
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn file_of(d: &Demo) -> AppResult<Option<(String, Vec<u8>)>> {
    let slug = crate::agreements::slug(d.title).replace('_', "-");
    let mut lines: Vec<String> = vec![d.summary.to_string()];
    lines.extend(d.points.iter().map(|p| p.to_string()));
    Ok(match d.form {
        Form::Pdf => Some((format!("{slug}.pdf"), pdf(d.title, &lines, false)?)),
        Form::Slides => Some((format!("{slug}.pdf"), pdf(d.title, &lines, true)?)),
        Form::Markdown => {
            let mut md = format!("# {}\n\n{}\n\n", d.title, d.summary);
            for p in d.points {
                md.push_str(&format!("- {p}\n"));
            }
            Some((format!("{slug}.md"), md.into_bytes()))
        }
        Form::Html => {
            let items: String = d
                .points
                .iter()
                .map(|p| format!("<li>{}</li>", html_escape(p)))
                .collect();
            let html = format!(
                "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{t}</title></head>\
                 <body><h1>{t}</h1><p>{}</p><ul>{items}</ul></body></html>\n",
                d.lang,
                html_escape(d.summary),
                t = html_escape(d.title)
            );
            Some((format!("{slug}.html"), html.into_bytes()))
        }
        Form::Link(_) => None,
    })
}

/// The demo content taxonomy, proposed by Maya and signed by both managers.
pub async fn agree_taxonomy(db: &Db, now: DateTime<Utc>) -> AppResult<()> {
    let maya = crate::team::unlock(db, "maya.okafor@larkspur.example", DEMO_PASSPHRASE).await?;
    let daniel = crate::team::unlock(db, "daniel.brooks@larkspur.example", DEMO_PASSPHRASE).await?;
    let mut entries: Vec<(String, String, AgreementBody)> = Vec::new();
    for (key, name, position, contact, lifecycle, description) in STAGES {
        entries.push((
            key.to_string(),
            name.to_string(),
            AgreementBody::BuyingStage(BuyingStageBody {
                position: *position,
                description: description.to_string(),
                contact_stages: contact.to_vec(),
                lifecycle_stages: lifecycle.iter().map(|s| s.to_string()).collect(),
            }),
        ));
    }
    for (key, name, roles, words, description) in PERSONAS {
        entries.push((
            key.to_string(),
            name.to_string(),
            AgreementBody::Persona(PersonaBody {
                description: description.to_string(),
                buying_roles: roles.to_vec(),
                title_keywords: words.iter().map(|s| s.to_string()).collect(),
            }),
        ));
    }
    for (key, name, description) in RISKS {
        entries.push((
            key.to_string(),
            name.to_string(),
            AgreementBody::Risk(RiskBody {
                description: description.to_string(),
            }),
        ));
    }
    for (key, name, months, description) in KINDS {
        entries.push((
            key.to_string(),
            name.to_string(),
            AgreementBody::AssetKind(AssetKindBody {
                description: description.to_string(),
                review_months: *months,
            }),
        ));
    }
    let start = now - Duration::days(60);
    let mut tx = db::write(db).await?;
    let mut index = store::ItemIndex::load(&mut tx, None, start).await?;
    for (i, (key, name, body)) in entries.into_iter().enumerate() {
        let at = start + Duration::minutes(i as i64);
        let proposal = Proposal {
            item_id: None,
            key: Some(key),
            name,
            body,
            summary: "Content taxonomy agreed when the library was set up.".into(),
            effective_from: None,
        };
        let v = store::propose_in(&mut tx, &mut index, &proposal, &maya, at, &[]).await?;
        let hash = v.hash.clone().unwrap_or_default();
        for (signer, minutes) in [(&maya, 1), (&daniel, 2)] {
            let s = store::signed_signoff(
                &v.id,
                &hash,
                SignoffAction::Approved,
                signer,
                "",
                at + Duration::minutes(minutes),
            );
            store::insert_signoff(&mut tx, &s).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Adds the demo library to the demo workspace in `data_dir` (after [`crate::demo::create`]).
pub async fn create(db: &Db, data_dir: &Path, now: DateTime<Utc>) -> AppResult<()> {
    agree_taxonomy(db, now).await?;
    let owners = [
        "maya.okafor@larkspur.example",
        "priya.raman@larkspur.example",
        "tom.lindqvist@larkspur.example",
    ];
    let mut owner_ids = Vec::new();
    for o in owners {
        owner_ids.push(
            crate::team::store::by_email(&mut *db.acquire().await?, o)
                .await?
                .id,
        );
    }
    let mut sources = Vec::new();
    for d in ASSETS {
        sources.push(match (file_of(d)?, d.form) {
            (Some((name, bytes)), _) => {
                let f = super::ops::store_bytes(db, data_dir, &name, bytes).await?;
                AssetSource::File {
                    sha256: f.sha256,
                    name: f.name,
                    size: f.size,
                    media_type: f.media_type,
                }
            }
            (None, Form::Link(url)) => AssetSource::Link {
                url: url.to_string(),
            },
            (None, _) => unreachable!("every non-link form makes a file"),
        });
    }
    let maya = crate::team::unlock(db, owners[0], DEMO_PASSPHRASE).await?;
    let mut tx = db::write(db).await?;
    let tax = Taxonomy::load(&mut tx, now).await?;
    let mut ids = Vec::new();
    for (i, (d, source)) in ASSETS.iter().zip(sources).enumerate() {
        let at = now - Duration::days(50) + Duration::minutes(i as i64 * 7);
        let mut w = Writer::new(&mut tx, &tax, &maya, at).await?;
        let (status, review_by) = match d.title {
            "Lead handover SLA guide (2024 edition)" => (AssetStatus::Retired, None),
            "Partner co-selling kit" => (AssetStatus::Draft, None),
            // Due for review: past their dates.
            "Analyst brief: the cost of misaligned funnels"
            | "Pipewise vs Playbook battlecard"
            | "Email: first touch after a webinar" => (
                AssetStatus::Published,
                Some(
                    (now - Duration::days(9 + i as i64))
                        .date_naive()
                        .to_string(),
                ),
            ),
            _ => (AssetStatus::Published, None),
        };
        let fields = AssetFields {
            title: d.title.into(),
            kind: d.kind.into(),
            summary: d.summary.into(),
            stages: d.stages.iter().map(|s| s.to_string()).collect(),
            personas: d.personas.iter().map(|s| s.to_string()).collect(),
            risks: d.risks.iter().map(|s| s.to_string()).collect(),
            industries: d.industries.iter().map(|s| s.to_string()).collect(),
            languages: vec![d.lang.into()],
            owner_id: Some(owner_ids[i % owner_ids.len()].clone()),
            status,
            review_by,
            source,
        };
        ids.push(w.save(&mut tx, None, &fields).await?);
    }
    tx.commit().await?;
    risks_and_sends(db, &ids, now).await
}

/// A few accounts with known risks, and sends by the reps, some followed by a step forward.
async fn risks_and_sends(db: &Db, ids: &[String], now: DateTime<Utc>) -> AppResult<()> {
    let sofia = crate::team::unlock(db, "sofia.marin@larkspur.example", DEMO_PASSPHRASE).await?;
    let lukas = crate::team::unlock(db, "lukas.weber@larkspur.example", DEMO_PASSPHRASE).await?;
    let mut tx = db::write(db).await?;
    let tax = Taxonomy::load(&mut tx, now).await?;
    let accounts: Vec<String> =
        sqlx::query_scalar("SELECT id FROM accounts ORDER BY name LIMIT 12")
            .fetch_all(&mut *tx)
            .await?;
    let notes = [
        (
            "competitor:acme_cloud",
            "Evaluating Acme Cloud's suite; demo booked with them next week.",
        ),
        ("budget", "Budget needs a business case for the CFO."),
        (
            "competitor:pipewise",
            "Pipewise quoted per lead; they like the low entry price.",
        ),
        (
            "do_nothing",
            "Head of Sales thinks the spreadsheet is fine.",
        ),
        ("security", "IT security review required before any pilot."),
        ("timing", "CRM migration first; they want to wait until Q3."),
    ];
    for (i, account) in accounts.iter().enumerate() {
        for (j, (risk, note)) in notes.iter().enumerate() {
            if (i + j) % 4 == 0 {
                let n = RiskNote {
                    risk: risk.to_string(),
                    present: true,
                    note: note.to_string(),
                };
                let who = if i % 2 == 0 { &sofia } else { &lukas };
                super::risks::note(
                    &mut tx,
                    account,
                    &n,
                    who,
                    now - Duration::days(20 - j as i64),
                    &tax,
                )
                .await?;
            }
        }
    }
    // Sends: to contacts who later moved forward (a few days before that step), and others.
    let forward: Vec<(String, String)> = sqlx::query_as(
        "SELECT contact_id, min(at) FROM handoff_events
         WHERE kind IN ('accepted', 'qualified', 'converted', 'won') AND at > ?
         GROUP BY contact_id ORDER BY contact_id LIMIT 30",
    )
    .bind(db::ts(now - Duration::days(45)))
    .fetch_all(&mut *tx)
    .await?;
    let published: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM content_assets WHERE status = 'published' ORDER BY rowid",
    )
    .fetch_all(&mut *tx)
    .await?;
    let channels = [
        SendChannel::EmailDraft,
        SendChannel::CopiedText,
        SendChannel::AttachedFile,
    ];
    for (i, (contact, step_at)) in forward.iter().enumerate() {
        let Ok(step) = db::parse_ts("at", step_at) else {
            continue;
        };
        let asset = &published[(i * 7) % published.len().min(ids.len()).max(1)];
        let req = SendRequest {
            asset_id: asset.clone(),
            contact_id: contact.clone(),
            channel: channels[i % 3],
            note: String::new(),
        };
        let who = if i % 2 == 0 { &sofia } else { &lukas };
        super::send::log(
            &mut tx,
            &req,
            who,
            step - Duration::days(2 + (i % 3) as i64),
        )
        .await?;
        if i % 3 == 0 {
            let again = SendRequest {
                asset_id: published[(i * 3 + 1) % published.len()].clone(),
                ..req
            };
            super::send::log(&mut tx, &again, who, step - Duration::days(1)).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

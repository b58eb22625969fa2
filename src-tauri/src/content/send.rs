//! Send and track: the message a rep's own tools deliver (a mailto draft with the link or
//! the file to attach, and a short text), and the send logged against the contact as an
//! activity signed by the rep, which the timeline shows and the reports count. Nothing
//! here needs the network: a send logged on a plane syncs later like any record.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use specta::Type;

use super::{AssetSource, AssetStatus};
use crate::agreements::ActivityKind;
use crate::db::{new_id, ts, Conn};
use crate::error::{AppError, AppResult};
use crate::leads::{logged_activity_hash, Activity};
use crate::trust::Signer;

/// How the asset went out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum SendChannel {
    /// A mail draft opened in the rep's mail program.
    EmailDraft,
    /// The message copied, pasted elsewhere (LinkedIn, chat…).
    CopiedText,
    /// The file attached by hand.
    AttachedFile,
    /// Handed over another way (in a meeting, printed…).
    Other,
}

impl SendChannel {
    pub fn label(self) -> &'static str {
        match self {
            SendChannel::EmailDraft => "by email",
            SendChannel::CopiedText => "as a copied message",
            SendChannel::AttachedFile => "as an attachment",
            SendChannel::Other => "in person",
        }
    }
    pub fn parse(text: &str) -> AppResult<SendChannel> {
        match crate::leads::norm(text).as_str() {
            "email" | "emaildraft" | "mail" => Ok(SendChannel::EmailDraft),
            "copy" | "copied" | "copiedtext" | "clipboard" => Ok(SendChannel::CopiedText),
            "attach" | "attached" | "attachedfile" | "attachment" => Ok(SendChannel::AttachedFile),
            "other" | "inperson" | "meeting" => Ok(SendChannel::Other),
            _ => Err(AppError::invalid(
                "channel",
                format!("channel: '{text}' is not one of email, copy, attach, other"),
            )),
        }
    }
}

/// What to send, to whom, how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct SendRequest {
    pub asset_id: String,
    pub contact_id: String,
    pub channel: SendChannel,
    #[serde(default)]
    pub note: String,
}

/// The message, ready for the rep's own tools.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct SendDraft {
    pub to: Option<String>,
    pub contact_name: String,
    pub subject: String,
    pub body: String,
    /// `mailto:` with the address, subject and body.
    pub mailto: String,
    /// The link, for a link asset.
    pub link: Option<String>,
    /// The file to attach, for a file asset.
    pub file_name: Option<String>,
}

struct AssetBrief {
    title: String,
    summary: String,
    status: AssetStatus,
    url: Option<String>,
    file_name: Option<String>,
}

/// title, summary, status, url, file name.
type BriefRow = (String, String, String, Option<String>, Option<String>);

async fn brief(conn: &mut Conn, asset_id: &str) -> AppResult<AssetBrief> {
    let row: Option<BriefRow> = sqlx::query_as(
        "SELECT title, summary, status, url, file_name FROM content_assets WHERE id = ? AND deleted_at IS NULL",
    )
    .bind(asset_id)
    .fetch_optional(conn)
    .await?;
    let (title, summary, status, url, file_name) =
        row.ok_or_else(|| AppError::not_found(format!("no content asset with id {asset_id}")))?;
    Ok(AssetBrief {
        title,
        summary,
        status: AssetStatus::parse("status", &status)?,
        url,
        file_name,
    })
}

/// The message for sending `asset_id` to `contact_id`, from `sender` (a name).
pub async fn draft(
    conn: &mut Conn,
    asset_id: &str,
    contact_id: &str,
    sender: &str,
) -> AppResult<SendDraft> {
    let a = brief(&mut *conn, asset_id).await?;
    let c = crate::leads::store::get(&mut *conn, contact_id).await?;
    let greeting = if c.first_name.trim().is_empty() {
        "Hello,".to_string()
    } else {
        format!("Hi {},", c.first_name.trim())
    };
    let why = first_sentence(&a.summary)
        .unwrap_or_else(|| "I thought this would be useful for what you are working on.".into());
    let what = match (&a.url, &a.file_name) {
        (Some(url), _) => format!("{}: {url}", a.title),
        (None, Some(name)) => format!("I have attached “{}” ({name}).", a.title),
        (None, None) => a.title.clone(),
    };
    let signature = if sender.trim().is_empty() {
        String::new()
    } else {
        format!("\n{sender}")
    };
    let body = format!("{greeting}\n\n{why}\n\n{what}\n\nBest regards,{signature}");
    let subject = a.title.clone();
    let mailto = format!(
        "mailto:{}?subject={}&body={}",
        c.email.as_deref().map(encode).unwrap_or_default(),
        encode(&subject),
        encode(&body)
    );
    Ok(SendDraft {
        to: c.email.clone(),
        contact_name: c.name,
        subject,
        body,
        mailto,
        link: a.url,
        file_name: a.file_name,
    })
}

fn first_sentence(text: &str) -> Option<String> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    let end = t
        .char_indices()
        .find(|(i, c)| matches!(c, '.' | '!' | '?') && t[i + 1..].starts_with(' '))
        .map(|(i, _)| i + 1)
        .unwrap_or(t.len());
    Some(t[..end].chars().take(300).collect())
}

/// Percent-encodes everything but RFC 3986's unreserved characters (for mailto fields).
///
/// ```
/// use playbook::content::send::encode;
/// assert_eq!(encode("Hi Ana,\nsee: a&b"), "Hi%20Ana%2C%0Asee%3A%20a%26b");
/// ```
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Logs a send against the contact: an activity signed by `signer`, in the caller's
/// transaction. Only published assets go out.
pub async fn log(
    conn: &mut Conn,
    req: &SendRequest,
    signer: &Signer,
    at: DateTime<Utc>,
) -> AppResult<Activity> {
    let a = brief(&mut *conn, &req.asset_id).await?;
    if a.status != AssetStatus::Published {
        return Err(AppError::not_allowed(format!(
            "“{}” is {}; only published assets are sent",
            a.title,
            a.status.as_str()
        )));
    }
    crate::leads::store::get(&mut *conn, &req.contact_id).await?;
    let roster = crate::team::records::roster(&mut *conn).await?;
    let at = ts(at);
    let Some(member) = roster.at(&signer.member_id, &at) else {
        return Err(AppError::not_allowed(
            "you are not on the team, so you cannot log a send",
        ));
    };
    let note = req.note.trim();
    let detail = if note.is_empty() {
        format!("“{}” {}", a.title, req.channel.label())
    } else {
        format!(
            "“{}” {} · {}",
            a.title,
            req.channel.label(),
            note.chars().take(300).collect::<String>()
        )
    };
    let id = new_id();
    let kind = ActivityKind::ContentSent.as_str();
    let hash = logged_activity_hash(
        &id,
        &req.contact_id,
        kind,
        &at,
        &detail,
        &signer.member_id,
        Some(&req.asset_id),
    );
    sqlx::query(
        "INSERT INTO activities (id, contact_id, kind, at, detail, recorded_at, hash, actor_id, asset_id, signature)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&id)
    .bind(&req.contact_id)
    .bind(kind)
    .bind(&at)
    .bind(&detail)
    .bind(&at)
    .bind(&hash)
    .bind(&signer.member_id)
    .bind(&req.asset_id)
    .bind(signer.sign(&hash))
    .execute(&mut *conn)
    .await?;
    Ok(Activity {
        id,
        kind: ActivityKind::ContentSent,
        at,
        detail,
        actor_name: Some(member.name.clone()),
        asset_id: Some(req.asset_id.clone()),
    })
}

/// sha256, file name, size, media type, url.
type SourceRow = (
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<String>,
);

/// The stored file or link of an asset, for opening or attaching.
pub async fn source_of(conn: &mut Conn, asset_id: &str) -> AppResult<AssetSource> {
    let row: Option<SourceRow> =
        sqlx::query_as(
            "SELECT sha256, file_name, file_size, media_type, url FROM content_assets WHERE id = ? AND deleted_at IS NULL",
        )
        .bind(asset_id)
        .fetch_optional(conn)
        .await?;
    match row {
        Some((Some(sha256), name, size, media, _)) => Ok(AssetSource::File {
            sha256,
            name: name.unwrap_or_default(),
            size: size.and_then(|s| u32::try_from(s).ok()).unwrap_or(0),
            media_type: media.unwrap_or_default(),
        }),
        Some((None, _, _, _, Some(url))) => Ok(AssetSource::Link { url }),
        _ => Err(AppError::not_found(format!(
            "no content asset with id {asset_id}"
        ))),
    }
}

//! The home screen last computed, kept per viewer and span so the window paints its numbers
//! at once on the next start, marked with when they were computed, while fresh ones are
//! computed. A local projection (`projection_state`), never synced: any laptop recomputes it.
use super::Home;
use crate::db::Db;
use crate::error::AppResult;

fn key(viewer: Option<&str>, days: u32) -> String {
    format!("home:{}:{days}", viewer.unwrap_or("-"))
}

/// The home kept for `viewer` over `days`, if any (marked as kept).
pub async fn kept(db: &Db, viewer: Option<&str>, days: u32) -> AppResult<Option<Home>> {
    let text: Option<String> =
        sqlx::query_scalar("SELECT value FROM projection_state WHERE key = ?")
            .bind(key(viewer, days))
            .fetch_optional(db)
            .await?;
    // A home kept by an older version of the app that no longer reads is computed again.
    Ok(text
        .and_then(|t| serde_json::from_str::<Home>(&t).ok())
        .map(|h| Home {
            from_cache: true,
            ..h
        }))
}

/// Keeps `home` for its viewer and span. A workspace that is read-only (damaged) or cannot
/// be written just now (full disk) keeps nothing; the home itself is still shown.
pub async fn keep(db: &Db, home: &Home, days: u32) {
    if crate::db::read_only().is_some() {
        return;
    }
    let viewer = home.viewer.as_ref().map(|v| v.member_id.as_str());
    let Ok(text) = serde_json::to_string(home) else {
        return;
    };
    let _ = sqlx::query(
        "INSERT INTO projection_state (key, value) VALUES (?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(key(viewer, days))
    .bind(text)
    .execute(db)
    .await;
}

//! The contacts' search index (FTS5, `contacts_fts`): what goes in, how a bulk write fills
//! it in one pass, and how people's words become an FTS5 query. A local projection like
//! the cached stage and score: rebuilt from the contacts, never synced.
use crate::db::Conn;
use crate::error::AppResult;

const MARK: &str = "search_index";

/// The text indexed for contacts with a rowid of at least `from`: name, email, company.
const FILL: &str = "INSERT INTO contacts_fts (rowid, name, email, company)
     SELECT c.rowid, c.first_name || ' ' || c.last_name, coalesce(c.email, ''), coalesce(a.name, '')
     FROM contacts c LEFT JOIN accounts a ON a.id = c.account_id
     WHERE c.rowid >= ?";

/// The highest contact rowid already indexed (0 when none).
async fn mark(conn: &mut Conn) -> AppResult<i64> {
    let v: Option<String> = sqlx::query_scalar("SELECT value FROM projection_state WHERE key = ?")
        .bind(MARK)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(v.and_then(|v| v.parse().ok()).unwrap_or(0))
}

async fn set_mark(conn: &mut Conn, to: i64) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO projection_state (key, value) VALUES (?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(MARK)
    .bind(to.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The largest contact rowid (0 when none). Contacts are never removed (deletion is a
/// mark), so rows a write adds come after it.
async fn last_rowid(conn: &mut Conn) -> AppResult<i64> {
    let max: Option<i64> = sqlx::query_scalar("SELECT max(rowid) FROM contacts")
        .fetch_one(&mut *conn)
        .await?;
    Ok(max.unwrap_or(0))
}

/// Indexes the contacts written since the last fill — the rowid range past the
/// high-water mark, which a bulk write (an import, a generated workspace) has just added —
/// in one pass (one `INSERT … SELECT`: FTS5 builds its segments from the whole batch),
/// inside the caller's transaction. Calling it again finds nothing to add.
pub async fn add(conn: &mut Conn) -> AppResult<()> {
    let done = mark(&mut *conn).await?;
    let last = last_rowid(&mut *conn).await?;
    if last <= done {
        return Ok(());
    }
    sqlx::query(FILL).bind(done + 1).execute(&mut *conn).await?;
    set_mark(conn, last).await
}

/// Whether contacts were written since the last fill (a small import, the demo): the next
/// search first indexes them with [`add`].
pub async fn is_behind(conn: &mut Conn) -> AppResult<bool> {
    let done = mark(&mut *conn).await?;
    Ok(last_rowid(&mut *conn).await? > done)
}

/// Builds the whole index again (`playbook rebuild`).
pub async fn rebuild(conn: &mut Conn) -> AppResult<()> {
    sqlx::query("DELETE FROM contacts_fts")
        .execute(&mut *conn)
        .await?;
    set_mark(&mut *conn, 0).await?;
    add(conn).await
}

/// Turns what a person typed into an FTS5 query: every word must match the start of a
/// word of the name, email or company, in any order. Words are quoted, so nothing typed is
/// FTS5 syntax. `None` when nothing searchable was typed.
///
/// ```
/// use playbook::leads::search_index::fts_query;
/// assert_eq!(fts_query("Liam Hughes").as_deref(), Some("\"liam\"* \"hughes\"*"));
/// assert_eq!(fts_query("o'neil@acme").as_deref(), Some("\"o\"* \"neil\"* \"acme\"*"));
/// assert_eq!(fts_query("  -- ").as_deref(), None);
/// ```
pub fn fts_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(8)
        .map(|w| format!("\"{}\"*", w.to_lowercase()))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::fts_query;

    #[test]
    fn typed_text_never_reaches_fts5_as_syntax() {
        assert_eq!(
            fts_query("NEAR(a b)").as_deref(),
            Some("\"near\"* \"a\"* \"b\"*")
        );
        assert_eq!(fts_query("\"*").as_deref(), None);
        assert_eq!(fts_query("Müller").as_deref(), Some("\"müller\"*"));
    }
}

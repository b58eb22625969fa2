//! Owners and accounts that a file named before Playbook knew them: kept as written
//! (`owner_ref`, `account_ref`) and resolved as soon as the member or the account exists,
//! without a re-import. Resolution is a projection: it never touches `updated_at`.
use crate::db::Conn;
use crate::error::AppResult;

/// Gives an owner to every contact and opportunity whose owner, as the file named them
/// (an email, a name, or a CRM user id or name that a users import tied to an email), is
/// now a member. Returns how many records it resolved.
pub async fn resolve_owners(conn: &mut Conn) -> AppResult<u64> {
    // Every name a member goes by: their email, their name, and what the CRMs' users
    // exports call the user with their email.
    let aliases: Vec<(String, String)> = sqlx::query_as(
        "SELECT id, lower(email) FROM members WHERE deleted_at IS NULL
         UNION SELECT id, lower(name) FROM members WHERE deleted_at IS NULL
         UNION SELECT m.id, lower(u.external_id) FROM crm_users u
               JOIN members m ON lower(m.email) = lower(u.email) AND m.deleted_at IS NULL
         UNION SELECT m.id, lower(u.name) FROM crm_users u
               JOIN members m ON lower(m.email) = lower(u.email) AND m.deleted_at IS NULL
               WHERE u.name <> ''",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut resolved = 0;
    for (member, alias) in aliases {
        resolved += sqlx::query(
            "UPDATE contacts SET owner_id = ?
             WHERE owner_id IS NULL AND owner_ref IS NOT NULL AND lower(owner_ref) = ?",
        )
        .bind(&member)
        .bind(&alias)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        resolved += sqlx::query(
            "UPDATE opportunities SET owner_id = ?
             WHERE owner_id IS NULL AND owner_ref IS NOT NULL AND lower(owner_ref) = ?",
        )
        .bind(&member)
        .bind(&alias)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    }
    Ok(resolved)
}

/// Links contacts and opportunities to the accounts their files named by id, now that
/// an accounts import (or a contacts file with names beside ids) made those ids known.
pub async fn resolve_accounts(conn: &mut Conn) -> AppResult<u64> {
    let mut resolved = sqlx::query(
        "UPDATE contacts SET account_id =
             (SELECT k.account_id FROM account_keys k WHERE k.system || ':' || k.external_id = contacts.account_ref)
         WHERE account_id IS NULL AND account_ref IS NOT NULL
           AND account_ref IN (SELECT system || ':' || external_id FROM account_keys)",
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    resolved += sqlx::query(
        "UPDATE opportunities SET account_id =
             (SELECT k.account_id FROM account_keys k WHERE k.system || ':' || k.external_id = opportunities.account_ref)
         WHERE account_id IS NULL AND account_ref IS NOT NULL
           AND account_ref IN (SELECT system || ':' || external_id FROM account_keys)",
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(resolved)
}

/// The live contacts of these accounts (whose fit follows the account's firmographics).
pub async fn contacts_of(conn: &mut Conn, accounts: &[String]) -> AppResult<Vec<String>> {
    if accounts.is_empty() {
        return Ok(Vec::new());
    }
    let list = serde_json::to_string(accounts).expect("ids serialise");
    Ok(sqlx::query_scalar(
        "SELECT id FROM contacts WHERE deleted_at IS NULL
           AND account_id IN (SELECT value FROM json_each(?))",
    )
    .bind(list)
    .fetch_all(conn)
    .await?)
}

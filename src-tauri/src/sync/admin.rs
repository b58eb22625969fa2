//! Setting up a company's hub, as the owner of its database: `hub init` (schema, the two
//! functions, the members' group role), `hub enrol` (a login role per member and a
//! one-time enrolment code) and `hub revoke`.
use base64::Engine;
use sqlx::Executor;

use super::hub::{self, HubAddress};
use crate::error::{AppError, AppResult};
use crate::team::Member;

const SCHEMA: &str = include_str!("hub_schema.sql");
/// Per-member limits: a few connections (window and CLI), no statement or idle
/// transaction that holds the hub for long.
const CONNECTION_LIMIT: u32 = 4;
const STATEMENT_TIMEOUT: &str = "60s";
const IDLE_IN_TRANSACTION_TIMEOUT: &str = "30s";

/// What a laptop needs to reach the hub, carried by an enrolment code.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Enrolment {
    pub url: String,
    pub ca_pem: Option<String>,
    pub password: String,
    pub email: String,
    pub member_id: String,
}

impl Enrolment {
    pub fn code(&self) -> String {
        let json = serde_json::to_vec(self).expect("an enrolment serialises");
        format!(
            "pbhub1.{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
        )
    }

    pub fn parse(code: &str) -> AppResult<Enrolment> {
        let bad = || {
            AppError::invalid(
                "code",
                "code: not a Playbook enrolment code (it starts with pbhub1.)",
            )
        };
        let body = code.trim().strip_prefix("pbhub1.").ok_or_else(bad)?;
        let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| bad())?;
        serde_json::from_slice(&json).map_err(|_| bad())
    }

    pub fn address(&self) -> HubAddress {
        HubAddress {
            url: self.url.clone(),
            ca_pem: self.ca_pem.clone(),
            password: Some(self.password.clone()),
            timeout: hub::CALL_TIMEOUT,
        }
    }
}

fn owner(url: &str) -> HubAddress {
    HubAddress {
        url: url.to_string(),
        ca_pem: None,
        password: None,
        timeout: hub::CALL_TIMEOUT,
    }
}

/// A role name made only of [a-z0-9_] (so it is safe to write into DDL), unique per
/// company and member.
fn ident(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(30)
        .collect()
}

async fn database_name(conn: &mut sqlx::PgConnection) -> AppResult<String> {
    sqlx::query_scalar("SELECT current_database()::text")
        .fetch_one(conn)
        .await
        .map_err(hub::hub_error)
}

fn group_role(db: &str) -> String {
    format!("pb_{}_members", ident(db))
}

fn member_role(db: &str, email: &str) -> String {
    use sha2::Digest;
    let h = hex::encode(sha2::Sha256::digest(email.as_bytes()));
    format!("pb_{}_{}", ident(db), &h[..16])
}

/// `playbook hub init --url URL`: creates the schema, the functions and the members' group
/// role in the company's database, in one transaction; refuses a database already set up.
pub async fn init(url: &str) -> AppResult<String> {
    let mut conn = hub::connect(&owner(url)).await?;
    let db = database_name(&mut conn).await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'sync')")
            .fetch_one(&mut conn)
            .await
            .map_err(hub::hub_error)?;
    if exists {
        return Err(AppError::conflict(format!(
            "the database {db} already holds a Playbook hub"
        )));
    }
    let group = group_role(&db);
    let dbq = db.replace('"', "\"\"");
    let grants = format!(
        "DO $g$ BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{group}') THEN
                CREATE ROLE {group} NOLOGIN;
            END IF;
         END $g$;
         REVOKE ALL ON DATABASE \"{dbq}\" FROM PUBLIC;
         GRANT CONNECT ON DATABASE \"{dbq}\" TO {group};
         REVOKE CREATE ON SCHEMA public FROM PUBLIC;
         GRANT USAGE ON SCHEMA sync TO {group};
         GRANT EXECUTE ON FUNCTION sync.push_v1(jsonb), sync.pull_v1(bigint, integer) TO {group};"
    );
    let mut tx = sqlx::Connection::begin(&mut conn)
        .await
        .map_err(hub::hub_error)?;
    tx.execute(sqlx::raw_sql(sqlx::AssertSqlSafe(SCHEMA)))
        .await
        .map_err(hub::hub_error)?;
    tx.execute(sqlx::raw_sql(sqlx::AssertSqlSafe(grants)))
        .await
        .map_err(hub::hub_error)?;
    tx.commit().await.map_err(hub::hub_error)?;
    hub::close(conn).await;
    Ok(db)
}

fn random_password() -> String {
    use rand_core::RngCore;
    let mut b = [0u8; 24];
    rand_core::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

/// The CA file the owner's URL names (`sslrootcert=`), read so laptops get it in the code.
fn ca_of(url: &str) -> AppResult<Option<String>> {
    let parsed = url::Url::parse(url).map_err(|e| AppError::invalid("url", format!("url: {e}")))?;
    let Some((_, path)) = parsed.query_pairs().find(|(k, _)| k == "sslrootcert") else {
        return Ok(None);
    };
    std::fs::read_to_string(path.as_ref())
        .map(Some)
        .map_err(|e| AppError::io(format!("cannot read the hub's CA {path}: {e}")))
}

/// The address a member's laptop uses: the owner's host, port and database, the member's
/// role, certificate verification kept (the CA travels in the code, not as a path).
fn member_url(url: &str, role: &str) -> AppResult<String> {
    let mut parsed =
        url::Url::parse(url).map_err(|e| AppError::invalid("url", format!("url: {e}")))?;
    let mode = parsed
        .query_pairs()
        .find(|(k, _)| k == "sslmode")
        .map(|(_, v)| v.to_string())
        .unwrap_or_else(|| "verify-full".into());
    parsed.set_query(Some(&format!("sslmode={mode}")));
    parsed
        .set_username(role)
        .map_err(|_| AppError::invalid("url", "url: it cannot name a user"))?;
    parsed
        .set_password(None)
        .map_err(|_| AppError::invalid("url", "url: it cannot name a user"))?;
    Ok(parsed.to_string())
}

/// `playbook hub enrol --email E`: a login role for the member (generated password, a few
/// connections, statement and idle timeouts, nothing but the two functions) and the code
/// their laptop joins with. Enrolling again gives a new password (the old code stops).
pub async fn enrol(url: &str, member: &Member, public_key: &str) -> AppResult<Enrolment> {
    let mut conn = hub::connect(&owner(url)).await?;
    let db = database_name(&mut conn).await?;
    let role = member_role(&db, &member.email);
    let group = group_role(&db);
    let password = random_password();
    let sql = format!(
        "DO $e$ BEGIN
            IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
                ALTER ROLE {role} LOGIN PASSWORD '{password}' CONNECTION LIMIT {CONNECTION_LIMIT};
            ELSE
                CREATE ROLE {role} LOGIN PASSWORD '{password}' CONNECTION LIMIT {CONNECTION_LIMIT} IN ROLE {group};
            END IF;
         END $e$;
         ALTER ROLE {role} SET statement_timeout = '{STATEMENT_TIMEOUT}';
         ALTER ROLE {role} SET idle_in_transaction_session_timeout = '{IDLE_IN_TRANSACTION_TIMEOUT}';"
    );
    let mut tx = sqlx::Connection::begin(&mut conn)
        .await
        .map_err(hub::hub_error)?;
    tx.execute(sqlx::raw_sql(sqlx::AssertSqlSafe(sql)))
        .await
        .map_err(hub::hub_error)?;
    sqlx::query(
        "INSERT INTO sync.members (role_name, member_id, email, side, role, public_key)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (role_name) DO UPDATE SET side = $4, role = $5, public_key = $6, revoked = false",
    )
    .bind(&role)
    .bind(&member.id)
    .bind(&member.email)
    .bind(member.side.as_str())
    .bind(member.role.as_str())
    .bind(public_key)
    .execute(&mut *tx)
    .await
    .map_err(hub::hub_error)?;
    tx.commit().await.map_err(hub::hub_error)?;
    hub::close(conn).await;
    Ok(Enrolment {
        url: member_url(url, &role)?,
        ca_pem: ca_of(url)?,
        password,
        email: member.email.clone(),
        member_id: member.id.clone(),
    })
}

/// `playbook hub revoke --email E`: the member's role can no longer log in, the hub refuses
/// its calls, and its open sessions end.
pub async fn revoke(url: &str, email: &str) -> AppResult<()> {
    let mut conn = hub::connect(&owner(url)).await?;
    let db = database_name(&mut conn).await?;
    let role = member_role(&db, email);
    let found = sqlx::query("UPDATE sync.members SET revoked = true WHERE role_name = $1")
        .bind(&role)
        .execute(&mut conn)
        .await
        .map_err(hub::hub_error)?
        .rows_affected();
    if found == 0 {
        return Err(AppError::not_found(format!(
            "{email} is not enrolled on this hub"
        )));
    }
    conn.execute(sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "ALTER ROLE {role} NOLOGIN; SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}';"
    ))))
    .await
    .map_err(hub::hub_error)?;
    hub::close(conn).await;
    Ok(())
}

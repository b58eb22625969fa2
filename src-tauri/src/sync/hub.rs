//! The team hub on the team's PostgreSQL: connecting over verified TLS, and the two calls
//! a member may make, `sync.push_v1` and `sync.pull_v1`.
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgConnection, PgSslMode};
use sqlx::{ConnectOptions, Connection};

use crate::error::{AppError, AppResult, ErrorCode};

/// How a laptop reaches the hub: the address (no password in it), the CA that signed the
/// hub's certificate when it is not a public one, and the member's password.
#[derive(Clone)]
pub struct HubAddress {
    pub url: String,
    pub ca_pem: Option<String>,
    pub password: Option<String>,
    /// How long one call (connect, a push, a pull) may take before the hub counts as
    /// offline: a stalled network must not hold a sync forever.
    pub timeout: Duration,
}

/// The default [`HubAddress::timeout`]: beyond the members' `statement_timeout` (60 s), so a
/// slow hub normally cancels its own statement first.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(75);

impl std::fmt::Debug for HubAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the password.
        write!(f, "HubAddress({})", self.url)
    }
}

/// Connection options that always verify the hub's certificate: `sslmode` may be
/// `verify-full` (the default) or `verify-ca`; anything weaker is refused, never silently
/// downgraded to plain text.
pub fn options(hub: &HubAddress) -> AppResult<PgConnectOptions> {
    let url = url::Url::parse(&hub.url)
        .map_err(|e| AppError::invalid("url", format!("url: not a PostgreSQL URL ({e})")))?;
    if !matches!(url.scheme(), "postgres" | "postgresql") {
        return Err(AppError::invalid(
            "url",
            "url: use postgres://USER@HOST:PORT/DATABASE?sslmode=verify-full",
        ));
    }
    let mode = url
        .query_pairs()
        .find(|(k, _)| k == "sslmode")
        .map(|(_, v)| v.to_string());
    let mut opts = PgConnectOptions::from_str(&hub.url)
        .map_err(|e| AppError::invalid("url", format!("url: {e}")))?;
    match mode.as_deref() {
        None => opts = opts.ssl_mode(PgSslMode::VerifyFull),
        Some("verify-full" | "verify-ca") => {}
        Some(other) => {
            return Err(AppError::invalid(
                "url",
                format!("url: sslmode={other} does not verify the hub's certificate; use sslmode=verify-full (with sslrootcert=CA.crt when the hub's certificate is not from a public authority)"),
            ))
        }
    }
    if let Some(pem) = &hub.ca_pem {
        opts = opts.ssl_root_cert_from_pem(pem.as_bytes().to_vec());
    }
    if let Some(pw) = &hub.password {
        opts = opts.password(pw);
    }
    Ok(opts
        .application_name("playbook")
        .disable_statement_logging())
}

/// Opens one connection to the hub, bounded in time so a stalled network says "offline".
pub async fn connect(hub: &HubAddress) -> AppResult<PgConnection> {
    let opts = options(hub)?;
    let limit = hub.timeout.min(Duration::from_secs(15));
    bounded(limit, "to the connection", async {
        PgConnection::connect_with(&opts).await.map_err(hub_error)
    })
    .await
}

/// `call` within `limit`, else "offline": whatever the hub did meanwhile is settled by the
/// next sync (a push it committed is answered "duplicate" then).
pub async fn bounded<T>(
    limit: Duration,
    what: &str,
    call: impl std::future::Future<Output = AppResult<T>>,
) -> AppResult<T> {
    tokio::time::timeout(limit, call).await.unwrap_or_else(|_| {
        Err(AppError::new(
            ErrorCode::Offline,
            format!(
                "the hub did not answer {what} within {:.1} s; changes wait in the outbox",
                limit.as_secs_f64()
            ),
        ))
    })
}

/// A hub failure in words: unreachable (offline, changes wait), refused credentials or
/// rights (not allowed), or what the server said.
pub fn hub_error(e: sqlx::Error) -> AppError {
    if let Some(db) = e.as_database_error() {
        let code = db.code().map(|c| c.to_string()).unwrap_or_default();
        let mut msg = db.message().trim_start_matches("playbook: ").to_string();
        // The server's detail and hint say which row or rule, when it gives them.
        if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
            for extra in [pg.detail(), pg.hint()].into_iter().flatten() {
                msg.push_str(&format!(" ({extra})"));
            }
        }
        return match code.as_str() {
            // insufficient_privilege, invalid_password, invalid_authorization_specification
            "42501" | "28P01" | "28000" => {
                AppError::not_allowed(format!("the hub refused this member: {msg}"))
            }
            // query_canceled (statement_timeout), admin_shutdown, crash_shutdown,
            // cannot_connect_now: the hub is there but not answering; changes wait.
            "57014" | "57P01" | "57P02" | "57P03" => AppError::new(
                ErrorCode::Offline,
                format!("the hub stopped answering ({msg}, SQLSTATE {code}); changes wait in the outbox"),
            ),
            _ => AppError::new(
                ErrorCode::Database,
                format!("the hub: {msg} (SQLSTATE {code})"),
            ),
        };
    }
    match e {
        sqlx::Error::Tls(t) => AppError::new(
            ErrorCode::NotAllowed,
            format!("the hub's certificate could not be verified ({t}); nothing was sent"),
        ),
        sqlx::Error::Io(io) if io.to_string().contains("certificate") => AppError::new(
            ErrorCode::NotAllowed,
            format!("the hub's certificate could not be verified ({io}); nothing was sent"),
        ),
        sqlx::Error::Io(io) => AppError::new(
            ErrorCode::Offline,
            format!("the hub cannot be reached ({io}); changes wait in the outbox"),
        ),
        sqlx::Error::PoolTimedOut | sqlx::Error::WorkerCrashed => AppError::new(
            ErrorCode::Offline,
            "the hub cannot be reached; changes wait in the outbox",
        ),
        sqlx::Error::Protocol(p) => AppError::new(
            ErrorCode::Offline,
            format!("the connection to the hub broke ({p}); changes wait in the outbox"),
        ),
        other => AppError::new(ErrorCode::Offline, format!("the hub: {other}")),
    }
}

/// What the hub answered for one pushed change.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PushAnswer {
    pub change_id: String,
    pub status: String,
    pub reason: Option<String>,
}

/// One change as it travels to the hub.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OutgoingChange<'a> {
    pub change_id: &'a str,
    pub kind: &'a str,
    pub record_id: &'a str,
    pub payload: &'a str,
    pub payload_hash: &'a str,
}

/// Pushes a batch; the answers come back only once the hub has committed it.
pub async fn push(
    conn: &mut PgConnection,
    batch: &[OutgoingChange<'_>],
) -> AppResult<Vec<PushAnswer>> {
    let body = serde_json::to_string(batch)
        .map_err(|e| AppError::io(format!("cannot encode the changes: {e}")))?;
    let answer: String = sqlx::query_scalar("SELECT sync.push_v1($1::jsonb)::text")
        .bind(body)
        .fetch_one(conn)
        .await
        .map_err(hub_error)?;
    serde_json::from_str(&answer)
        .map_err(|e| AppError::new(ErrorCode::Database, format!("the hub answered oddly: {e}")))
}

/// One change of the hub's feed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FeedChange {
    pub pos: i64,
    pub change_id: String,
    pub kind: String,
    pub record_id: String,
    pub payload: String,
    pub payload_hash: String,
}

/// The feed after `after`, at most `max` changes, in feed order.
pub async fn pull(conn: &mut PgConnection, after: i64, max: i32) -> AppResult<Vec<FeedChange>> {
    sqlx::query_as(
        "SELECT pos, change_id::text AS change_id, kind, record_id, payload, payload_hash
         FROM sync.pull_v1($1, $2)",
    )
    .bind(after)
    .bind(max)
    .fetch_all(conn)
    .await
    .map_err(hub_error)
}

/// Ends the session politely when the hub still answers; a stalled connection is dropped.
pub async fn close(conn: PgConnection) {
    let _ = tokio::time::timeout(Duration::from_secs(2), conn.close()).await;
}

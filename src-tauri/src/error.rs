//! The one error type the window and the CLI see: a stable code, a readable message and,
//! where there is one, the field or row it is about.
use serde::Serialize;
use specta::Type;

/// Stable error codes; the UI and scripts branch on these, so never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    NotFound,
    InvalidInput,
    Conflict,
    NotAllowed,
    Cancelled,
    Io,
    Database,
    /// A record's signature, hash or chain does not verify.
    Tampered,
    /// The workspace cannot be written: it is damaged and was opened read-only, or its file
    /// or file system is read-only.
    ReadOnly,
    /// The workspace file is damaged (SQLite finds it corrupt or not a database).
    Damaged,
    /// The disk is full: nothing was written.
    DiskFull,
    /// The team hub cannot be reached; changes wait in the outbox.
    Offline,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::NotFound => "not_found",
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::Conflict => "conflict",
            ErrorCode::NotAllowed => "not_allowed",
            ErrorCode::Cancelled => "cancelled",
            ErrorCode::Io => "io",
            ErrorCode::Database => "database",
            ErrorCode::Tampered => "tampered",
            ErrorCode::ReadOnly => "read_only",
            ErrorCode::Damaged => "damaged",
            ErrorCode::Offline => "offline",
            ErrorCode::DiskFull => "disk_full",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type, thiserror::Error)]
#[serde(rename_all = "camelCase")]
#[error("{message}")]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    /// The field, column or rule the error is about, when there is one.
    pub field: Option<String>,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError {
            code,
            message: message.into(),
            field: None,
        }
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError {
            field: Some(field.to_string()),
            ..Self::new(ErrorCode::InvalidInput, message)
        }
    }
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, message)
    }
    pub fn not_allowed(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotAllowed, message)
    }
    pub fn io(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Io, message)
    }
}

/// What a SQLite failure the user can meet means, and what to do about it: a damaged
/// file (restore which backup), a full disk (free space), a failing disk, a read-only file.
fn sqlite_error(code: i64, text: &str) -> Option<AppError> {
    let advice = || crate::db::advice();
    Some(match code & 0xff {
        // SQLITE_CORRUPT, SQLITE_NOTADB
        11 | 26 => AppError::new(
            ErrorCode::Damaged,
            format!("the workspace file is damaged ({text}); {}", advice()),
        ),
        // SQLITE_FULL
        13 => AppError::new(
            ErrorCode::DiskFull,
            "the disk is full, so nothing was written; free some space and try again",
        ),
        // SQLITE_IOERR
        10 => AppError::new(
            ErrorCode::Io,
            format!("the workspace file could not be read or written (a disk I/O error: {text}); check the disk, then try again; if it keeps failing, {}", advice()),
        ),
        // SQLITE_READONLY
        8 => AppError::new(
            ErrorCode::ReadOnly,
            "the workspace cannot be written: its file or the file system it is on is read-only; make it writable, or copy the data directory somewhere writable",
        ),
        // SQLITE_CANTOPEN
        14 => AppError::new(
            ErrorCode::Io,
            format!("the workspace file cannot be opened ({text}); check that the data directory exists and is readable"),
        ),
        _ => return None,
    })
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        if let Some(db) = e.as_database_error() {
            // The hub's PostgreSQL errors keep their SQLSTATE meaning (a refused member, a
            // timeout, the hub's own words) instead of being read as SQLite result codes.
            if db
                .try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
                .is_some()
            {
                return crate::sync::hub::hub_error(e);
            }
            let code = db.code().and_then(|c| c.parse::<i64>().ok());
            if let Some(mapped) = code.and_then(|c| sqlite_error(c, db.message())) {
                return mapped;
            }
        }
        match e {
            sqlx::Error::RowNotFound => AppError::not_found("no such record"),
            sqlx::Error::Io(io) => io.into(),
            other => AppError::new(ErrorCode::Database, format!("database error: {other}")),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for AppError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        AppError::new(
            ErrorCode::Database,
            format!("database migration failed: {e}"),
        )
    }
}

impl From<std::io::Error> for AppError {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::StorageFull {
            return AppError::new(
                ErrorCode::DiskFull,
                "the disk is full, so nothing was written; free some space and try again",
            );
        }
        AppError::io(e.to_string())
    }
}

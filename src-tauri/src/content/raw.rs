//! Read queries stepped on the connection's raw SQLite handle: a full-text search may
//! return tens of thousands of (rowid, rank) pairs, which sqlx would copy row by row
//! through its worker; stepping them here costs what SQLite itself costs.
use std::ffi::{c_int, CStr, CString};
use std::ptr::{self, NonNull};

use libsqlite3_sys as ffi;
use sqlx::sqlite::LockedSqliteHandle;

use crate::error::{AppError, AppResult, ErrorCode};

/// A connection locked for raw reads.
pub struct Raw<'c> {
    _handle: LockedSqliteHandle<'c>,
    db: NonNull<ffi::sqlite3>,
}

/// A value bound to a statement.
pub enum Arg<'a> {
    Text(&'a str),
    Int(i64),
}

/// One row while stepping.
pub struct Row<'s> {
    stmt: NonNull<ffi::sqlite3_stmt>,
    _stmt: std::marker::PhantomData<&'s ()>,
}

impl Row<'_> {
    pub fn int(&self, i: c_int) -> i64 {
        // SAFETY: the statement is live and positioned on a row while this Row exists.
        unsafe { ffi::sqlite3_column_int64(self.stmt.as_ptr(), i) }
    }
    pub fn real(&self, i: c_int) -> f64 {
        // SAFETY: as above.
        unsafe { ffi::sqlite3_column_double(self.stmt.as_ptr(), i) }
    }
    pub fn text(&self, i: c_int) -> String {
        // SAFETY: as above; the pointer is valid until the next step, and we copy it now.
        unsafe {
            let p = ffi::sqlite3_column_text(self.stmt.as_ptr(), i);
            if p.is_null() {
                return String::new();
            }
            let n = ffi::sqlite3_column_bytes(self.stmt.as_ptr(), i) as usize;
            String::from_utf8_lossy(std::slice::from_raw_parts(p, n)).into_owned()
        }
    }
}

impl<'c> Raw<'c> {
    pub async fn lock(conn: &'c mut sqlx::SqliteConnection) -> AppResult<Raw<'c>> {
        let mut handle = conn.lock_handle().await?;
        let db = handle.as_raw_handle();
        Ok(Raw {
            _handle: handle,
            db,
        })
    }

    /// Runs `sql` (code, never user input) with `args`, calling `each` for every row.
    pub fn each(
        &self,
        sql: &str,
        args: &[Arg<'_>],
        mut each: impl FnMut(&Row<'_>),
    ) -> AppResult<()> {
        let csql = CString::new(sql).map_err(|_| AppError::new(ErrorCode::Database, "bad SQL"))?;
        let mut stmt = ptr::null_mut();
        // SAFETY: `db` is live and locked for as long as `self` exists.
        let rc = unsafe {
            ffi::sqlite3_prepare_v2(
                self.db.as_ptr(),
                csql.as_ptr(),
                -1,
                &mut stmt,
                ptr::null_mut(),
            )
        };
        let Some(stmt) = NonNull::new(stmt).filter(|_| rc == ffi::SQLITE_OK) else {
            return Err(self.error());
        };
        let finish = |r: AppResult<()>| {
            // SAFETY: finalising the statement prepared above, once.
            unsafe { ffi::sqlite3_finalize(stmt.as_ptr()) };
            r
        };
        for (i, a) in args.iter().enumerate() {
            let i = i as c_int + 1;
            // SAFETY: binding to the live statement; SQLITE_TRANSIENT makes SQLite copy text.
            let rc = unsafe {
                match a {
                    Arg::Text(t) => ffi::sqlite3_bind_text(
                        stmt.as_ptr(),
                        i,
                        t.as_ptr().cast(),
                        t.len() as c_int,
                        ffi::SQLITE_TRANSIENT(),
                    ),
                    Arg::Int(v) => ffi::sqlite3_bind_int64(stmt.as_ptr(), i, *v),
                }
            };
            if rc != ffi::SQLITE_OK {
                return finish(Err(self.error()));
            }
        }
        let row = Row {
            stmt,
            _stmt: std::marker::PhantomData,
        };
        loop {
            // SAFETY: stepping the live statement.
            match unsafe { ffi::sqlite3_step(stmt.as_ptr()) } {
                ffi::SQLITE_ROW => each(&row),
                ffi::SQLITE_DONE => return finish(Ok(())),
                _ => return finish(Err(self.error())),
            }
        }
    }

    fn error(&self) -> AppError {
        // SAFETY: reading the connection's last error message, copied at once.
        let msg = unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(self.db.as_ptr())) }
            .to_string_lossy()
            .into_owned();
        if msg.contains("fts5: syntax error") || msg.contains("no such column") {
            AppError::invalid("query", format!("query: {msg}"))
        } else {
            AppError::new(ErrorCode::Database, format!("database error: {msg}"))
        }
    }
}

//! The bulk-write fast path: one prepared single-row statement (an INSERT, or an UPDATE by
//! key) on the connection's raw SQLite handle, bound and stepped per row without copying
//! values, for imports of 100k rows; and the secondary indexes such a load sets aside and
//! rebuilds in its transaction.
use std::ffi::{c_int, CStr, CString};
use std::ptr::{self, NonNull};

use libsqlite3_sys as ffi;
use sqlx::sqlite::LockedSqliteHandle;

use crate::error::{AppError, AppResult, ErrorCode};

/// One value of a row for [`Inserter::row`].
#[derive(Debug, Clone, Copy)]
pub enum Cell<'a> {
    Text(&'a str),
    Int(i64),
    Null,
}

impl<'a> From<Option<&'a str>> for Cell<'a> {
    fn from(v: Option<&'a str>) -> Self {
        v.map_or(Cell::Null, Cell::Text)
    }
}

impl<'a> From<&'a str> for Cell<'a> {
    fn from(v: &'a str) -> Self {
        Cell::Text(v)
    }
}

impl<'a> Cell<'a> {
    /// Text, with a missing value stored as the empty string.
    pub fn or_empty(v: &'a Option<String>) -> Self {
        Cell::Text(v.as_deref().unwrap_or_default())
    }
}

impl From<i64> for Cell<'_> {
    fn from(v: i64) -> Self {
        Cell::Int(v)
    }
}

impl From<Option<i64>> for Cell<'_> {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Cell::Null, Cell::Int)
    }
}

/// A connection locked for raw bulk writes; statements are prepared from it.
pub struct Bulk<'c> {
    _handle: LockedSqliteHandle<'c>,
    db: NonNull<ffi::sqlite3>,
}

impl<'c> Bulk<'c> {
    pub async fn lock(conn: &'c mut sqlx::SqliteConnection) -> AppResult<Self> {
        let mut handle = conn.lock_handle().await?;
        let db = handle.as_raw_handle();
        Ok(Bulk {
            _handle: handle,
            db,
        })
    }

    /// A prepared `INSERT INTO table (columns) VALUES (?, …)`; `table` and `columns` are
    /// code, never user input.
    pub fn inserter(
        &self,
        table: &'static str,
        columns: &[&'static str],
    ) -> AppResult<Inserter<'_>> {
        let sql = format!(
            "INSERT INTO {table} ({}) VALUES ({})",
            columns.join(","),
            vec!["?"; columns.len()].join(",")
        );
        Inserter::new(self.db, table, &sql, columns.len())
    }

    /// Runs a query (code, never user input) and hands each row to `f`: what an import
    /// loads about 100k stored contacts, read without decoding every value into an owned
    /// row first.
    pub fn each_row(
        &self,
        sql: &'static str,
        params: &[Cell<'_>],
        mut f: impl FnMut(&RawRow<'_>),
    ) -> AppResult<()> {
        let mut stmt = Inserter::new(self.db, "a query", sql, params.len())?;
        stmt.bind(params)?;
        loop {
            // SAFETY: a prepared statement of this live, locked connection.
            match unsafe { ffi::sqlite3_step(stmt.stmt.as_ptr()) } {
                ffi::SQLITE_ROW => f(&RawRow {
                    stmt: stmt.stmt,
                    _row: std::marker::PhantomData,
                }),
                ffi::SQLITE_DONE => return Ok(()),
                _ => return Err(error(self.db, "a query")),
            }
        }
    }

    /// A statement the caller composed from code (column names, never user input).
    pub fn prepare(
        &self,
        table: &'static str,
        sql: &str,
        parameters: usize,
    ) -> AppResult<Inserter<'_>> {
        Inserter::new(self.db, table, sql, parameters)
    }

    /// Any prepared statement with `parameters` placeholders (an UPDATE by key, say);
    /// `sql` is code, never user input.
    pub fn statement(
        &self,
        table: &'static str,
        sql: &'static str,
        parameters: usize,
    ) -> AppResult<Inserter<'_>> {
        Inserter::new(self.db, table, sql, parameters)
    }
}

/// A prepared statement on a locked connection, run once per row; it runs inside whatever
/// transaction that connection has open.
pub struct Inserter<'h> {
    db: NonNull<ffi::sqlite3>,
    stmt: NonNull<ffi::sqlite3_stmt>,
    columns: usize,
    table: &'static str,
    _bulk: std::marker::PhantomData<&'h ()>,
}

impl<'h> Inserter<'h> {
    fn new(
        db: NonNull<ffi::sqlite3>,
        table: &'static str,
        sql: &str,
        columns: usize,
    ) -> AppResult<Self> {
        let sql = CString::new(sql).map_err(|_| AppError::new(ErrorCode::Database, "bad SQL"))?;
        let mut stmt = ptr::null_mut();
        // SAFETY: `db` is a live connection, held locked by the `Bulk` this inserter borrows.
        let rc = unsafe {
            ffi::sqlite3_prepare_v2(db.as_ptr(), sql.as_ptr(), -1, &mut stmt, ptr::null_mut())
        };
        let stmt = NonNull::new(stmt).filter(|_| rc == ffi::SQLITE_OK);
        match stmt {
            Some(stmt) => Ok(Inserter {
                db,
                stmt,
                columns,
                table,
                _bulk: std::marker::PhantomData,
            }),
            None => Err(error(db, table)),
        }
    }

    /// Binds `cells` to the statement's parameters, in order.
    fn bind(&mut self, cells: &[Cell<'_>]) -> AppResult<()> {
        assert_eq!(cells.len(), self.columns, "one cell per column");
        let stmt = self.stmt.as_ptr();
        for (i, cell) in cells.iter().enumerate() {
            let at = (i + 1) as c_int;
            // SAFETY: SQLITE_STATIC borrows the text only until the step and reset below,
            // and every parameter is bound again before the statement is stepped again.
            let rc = unsafe {
                match *cell {
                    Cell::Text(s) => ffi::sqlite3_bind_text(
                        stmt,
                        at,
                        s.as_ptr().cast(),
                        s.len() as c_int,
                        ffi::SQLITE_STATIC(),
                    ),
                    Cell::Int(v) => ffi::sqlite3_bind_int64(stmt, at, v),
                    Cell::Null => ffi::sqlite3_bind_null(stmt, at),
                }
            };
            if rc != ffi::SQLITE_OK {
                return Err(error(self.db, self.table));
            }
        }
        Ok(())
    }

    /// Runs the statement once with `cells` (a row to insert, an update by key).
    pub fn row(&mut self, cells: &[Cell<'_>]) -> AppResult<()> {
        self.bind(cells)?;
        let stmt = self.stmt.as_ptr();
        // SAFETY: a prepared statement of this live connection.
        let rc = unsafe { ffi::sqlite3_step(stmt) };
        let failed = rc != ffi::SQLITE_DONE;
        let err = failed.then(|| error(self.db, self.table));
        // SAFETY: as above; resetting releases the row's borrow of the cells.
        unsafe { ffi::sqlite3_reset(stmt) };
        err.map_or(Ok(()), Err)
    }
}

/// The current row of a query run by [`Bulk::each_row`]; its values live until the next row.
pub struct RawRow<'s> {
    stmt: NonNull<ffi::sqlite3_stmt>,
    _row: std::marker::PhantomData<&'s ()>,
}

impl RawRow<'_> {
    /// Column `i` as text (`None` when NULL).
    pub fn text(&self, i: c_int) -> Option<&str> {
        // SAFETY: the statement is on a row; the pointer and length describe the column's
        // text, valid until the statement steps again, which cannot happen while `self` is
        // borrowed.
        unsafe {
            let p = ffi::sqlite3_column_text(self.stmt.as_ptr(), i);
            if p.is_null() {
                return None;
            }
            let n = ffi::sqlite3_column_bytes(self.stmt.as_ptr(), i) as usize;
            std::str::from_utf8(std::slice::from_raw_parts(p, n)).ok()
        }
    }

    /// Column `i` as an integer (0 when NULL).
    pub fn int(&self, i: c_int) -> i64 {
        // SAFETY: as above.
        unsafe { ffi::sqlite3_column_int64(self.stmt.as_ptr(), i) }
    }
}

impl Drop for Inserter<'_> {
    fn drop(&mut self) {
        // SAFETY: finalised exactly once, while the connection is still locked.
        unsafe { ffi::sqlite3_finalize(self.stmt.as_ptr()) };
    }
}

fn error(db: NonNull<ffi::sqlite3>, table: &str) -> AppError {
    // SAFETY: sqlite3_errmsg returns a NUL-terminated string owned by the connection.
    let message = unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(db.as_ptr())) }
        .to_string_lossy()
        .into_owned();
    AppError::new(
        ErrorCode::Database,
        format!("database error writing {table}: {message}"),
    )
}

/// Secondary indexes set aside for a bulk load and built again afterwards, in the same
/// transaction: building an index from sorted keys is several times cheaper than 100k
/// random B-tree inserts. Unique indexes always stay, so constraints are checked row by
/// row; a rolled-back transaction brings every index back as it was.
#[derive(Default)]
pub struct SetAside {
    /// The `CREATE INDEX` statements of the dropped indexes, from the schema itself.
    indexes: Vec<String>,
}

impl SetAside {
    /// Drops the non-unique indexes of each table about to receive at least as many new
    /// rows as half its current size (and at least 10,000; smaller loads keep them).
    pub async fn for_load(
        conn: &mut sqlx::SqliteConnection,
        tables: &[&'static str],
        new_rows: usize,
    ) -> AppResult<SetAside> {
        let mut set = SetAside::default();
        if new_rows < 10_000 {
            return Ok(set);
        }
        for table in tables {
            // Rows are never removed from these tables (deletion is a mark), so the
            // largest rowid is their size.
            let size: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT max(rowid) FROM {table}"
            )))
            .fetch_one(&mut *conn)
            .await?;
            if (new_rows as i64) < size.unwrap_or(0) / 2 {
                continue;
            }
            let indexes: Vec<(String, String)> = sqlx::query_as(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?
                   AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'",
            )
            .bind(table)
            .fetch_all(&mut *conn)
            .await?;
            for (name, sql) in indexes {
                sqlx::query(sqlx::AssertSqlSafe(format!("DROP INDEX \"{name}\"")))
                    .execute(&mut *conn)
                    .await?;
                set.indexes.push(sql);
            }
        }
        Ok(set)
    }

    /// Builds the set-aside indexes again, before the transaction commits.
    pub async fn rebuild(self, conn: &mut sqlx::SqliteConnection) -> AppResult<()> {
        for sql in self.indexes {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }
}

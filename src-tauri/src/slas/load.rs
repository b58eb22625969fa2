//! Reading the handoff log for SLAs: a prepared statement stepped on the connection's raw
//! SQLite handle, so a million events are read without building a row object per event.
use std::ffi::{c_int, CStr, CString};
use std::ptr::{self, NonNull};

use libsqlite3_sys as ffi;

use rustc_hash::FxHashMap as HashMap;

use super::fold::{Machine, People, RawEvent};
use crate::db::Conn;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::handoffs::EventKind;

/// One row as the statement hands it out: text columns borrowed until the next step.
pub struct Row {
    stmt: NonNull<ffi::sqlite3_stmt>,
}

impl Row {
    pub fn text(&self, i: c_int) -> Option<&str> {
        // SAFETY: the statement is live and positioned on a row; SQLite keeps the text
        // valid until the next step, and `Row` is only lent for the time of one row.
        unsafe {
            let p = ffi::sqlite3_column_text(self.stmt.as_ptr(), i);
            if p.is_null() {
                return None;
            }
            let n = ffi::sqlite3_column_bytes(self.stmt.as_ptr(), i) as usize;
            std::str::from_utf8(std::slice::from_raw_parts(p, n)).ok()
        }
    }

    pub fn int(&self, i: c_int) -> i64 {
        // SAFETY: as above.
        unsafe { ffi::sqlite3_column_int64(self.stmt.as_ptr(), i) }
    }
}

/// Runs `sql` (code, never user input) with text parameters and calls `each` per row.
pub async fn each_row(
    conn: &mut Conn,
    sql: &str,
    params: &[&str],
    mut each: impl FnMut(&Row),
) -> AppResult<()> {
    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle();
    let fail = |db: NonNull<ffi::sqlite3>| {
        // SAFETY: sqlite3_errmsg returns a NUL-terminated string owned by the connection.
        let message = unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(db.as_ptr())) }
            .to_string_lossy()
            .into_owned();
        AppError::new(
            ErrorCode::Database,
            format!("database error reading the handoff log: {message}"),
        )
    };
    let sql = CString::new(sql).map_err(|_| AppError::new(ErrorCode::Database, "bad SQL"))?;
    let mut stmt = ptr::null_mut();
    // SAFETY: `db` is the live connection held locked by `handle` for this function.
    let rc = unsafe {
        ffi::sqlite3_prepare_v2(db.as_ptr(), sql.as_ptr(), -1, &mut stmt, ptr::null_mut())
    };
    let Some(stmt) = NonNull::new(stmt).filter(|_| rc == ffi::SQLITE_OK) else {
        return Err(fail(db));
    };
    let mut result = Ok(());
    for (i, p) in params.iter().enumerate() {
        // SAFETY: SQLITE_TRANSIENT makes SQLite copy the text before this call returns.
        let rc = unsafe {
            ffi::sqlite3_bind_text(
                stmt.as_ptr(),
                (i + 1) as c_int,
                p.as_ptr().cast(),
                p.len() as c_int,
                ffi::SQLITE_TRANSIENT(),
            )
        };
        if rc != ffi::SQLITE_OK {
            result = Err(fail(db));
        }
    }
    if result.is_ok() {
        let row = Row { stmt };
        loop {
            // SAFETY: a prepared statement of the locked connection.
            match unsafe { ffi::sqlite3_step(stmt.as_ptr()) } {
                ffi::SQLITE_ROW => each(&row),
                ffi::SQLITE_DONE => break,
                _ => {
                    result = Err(fail(db));
                    break;
                }
            }
        }
    }
    // SAFETY: finalised exactly once, while the connection is still locked.
    unsafe { ffi::sqlite3_finalize(stmt.as_ptr()) };
    result
}

const EVENT_COLUMNS: &str = "contact_id, id, kind, at, actor_id, assignee_id, to_stage, reason,
    channel, note <> '', bulk_id IS NOT NULL";

/// Milliseconds since the epoch of a stored time (`2026-11-27T09:18:03.123Z`, what
/// `db::ts` writes), with a general RFC 3339 parse for anything else.
pub fn millis(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() == 24 && b[4] == b'-' && b[10] == b'T' && b[19] == b'.' && b[23] == b'Z' {
        let n = |r: std::ops::Range<usize>| -> Option<u32> {
            let mut v = 0u32;
            for &c in &b[r] {
                if !c.is_ascii_digit() {
                    return None;
                }
                v = v * 10 + u32::from(c - b'0');
            }
            Some(v)
        };
        let date = chrono::NaiveDate::from_ymd_opt(n(0..4)? as i32, n(5..7)?, n(8..10)?)?;
        let time =
            chrono::NaiveTime::from_hms_milli_opt(n(11..13)?, n(14..16)?, n(17..19)?, n(20..23)?)?;
        return Some(date.and_time(time).and_utc().timestamp_millis());
    }
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|t| t.timestamp_millis())
}

fn event_kind(text: &str) -> Option<EventKind> {
    EventKind::ALL
        .into_iter()
        .find(|k| k.as_str() == text)
        .or_else(|| EventKind::parse(text))
}

/// A record id as a number that orders as its text does (ids are UUIDs in lowercase hex;
/// anything else is hashed, which only matters for ties in time).
pub fn id_number(text: &str) -> u128 {
    match uuid::Uuid::try_parse(text) {
        Ok(u) if !text.bytes().any(|b| b.is_ascii_uppercase()) => u.as_u128(),
        _ => {
            use std::hash::{Hash, Hasher};
            let mut h = rustc_hash::FxHasher::default();
            text.hash(&mut h);
            u128::from(h.finish())
        }
    }
}

/// Reads one row into an event, interning people, stages and reasons as it goes (no
/// allocation per event).
fn raw_event(row: &Row, people: &mut People, machine: &Machine) -> Option<RawEvent> {
    let kind = row.text(2).and_then(event_kind);
    Some(RawEvent {
        id: id_number(row.text(1)?),
        kind,
        at: millis(row.text(3)?).unwrap_or(i64::MAX),
        actor: row.text(4).map(|a| people.intern(a)),
        assignee: row.text(5).map(|a| people.intern(a)),
        to_stage: (kind == Some(EventKind::Created)).then(|| {
            machine
                .index(row.text(6).unwrap_or_default())
                .unwrap_or(u16::MAX)
        }),
        reason: row
            .text(7)
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(|r| machine.reason_index(r).unwrap_or(u16::MAX)),
        channel_ok: row.text(8).is_some_and(|c| {
            let c = c.trim();
            crate::handoffs::CHANNELS
                .iter()
                .any(|k| k.eq_ignore_ascii_case(c))
        }),
        note: row.int(9) != 0,
        bulk: row.int(10) != 0,
    })
}

/// Every stored event of the contacts in `contacts`, as (contact index, event); about
/// `expected` of them.
pub async fn all_events(
    conn: &mut Conn,
    contacts: &HashMap<String, u32>,
    people: &mut People,
    machine: &Machine,
    expected: usize,
) -> AppResult<Vec<(u32, RawEvent)>> {
    let mut out = Vec::with_capacity(expected);
    let sql = format!("SELECT {EVENT_COLUMNS} FROM handoff_events");
    // A contact's events are mostly stored together: the previous row's contact is
    // compared before the map (100k ids) is searched.
    let mut last: (String, Option<u32>) = (String::new(), None);
    each_row(conn, &sql, &[], |row| {
        let contact = row.text(0).and_then(|c| {
            if c != last.0 {
                last.0.clear();
                last.0.push_str(c);
                last.1 = contacts.get(c).copied();
            }
            last.1
        });
        if let Some(c) = contact {
            out.extend(raw_event(row, people, machine).map(|e| (c, e)));
        }
    })
    .await?;
    Ok(out)
}

/// One contact's stored events.
pub async fn contact_events(
    conn: &mut Conn,
    contact_id: &str,
    people: &mut People,
    machine: &Machine,
) -> AppResult<Vec<RawEvent>> {
    let mut out = Vec::new();
    let sql = format!("SELECT {EVENT_COLUMNS} FROM handoff_events WHERE contact_id = ?1");
    each_row(conn, &sql, &[contact_id], |row| {
        out.extend(raw_event(row, people, machine))
    })
    .await?;
    Ok(out)
}

/// Live contacts: id, external id, current owner.
pub async fn contacts(conn: &mut Conn) -> AppResult<Vec<(String, Option<String>, Option<String>)>> {
    let mut out = Vec::new();
    let sql = "SELECT id, external_id, owner_id FROM contacts WHERE deleted_at IS NULL";
    each_row(conn, sql, &[], |row| out.extend(contact_row(row))).await?;
    Ok(out)
}

/// One live contact (by its primary key).
pub async fn contact(
    conn: &mut Conn,
    id: &str,
) -> AppResult<Option<(String, Option<String>, Option<String>)>> {
    let mut out = None;
    let sql = "SELECT id, external_id, owner_id FROM contacts WHERE id = ?1 AND deleted_at IS NULL";
    each_row(conn, sql, &[id], |row| out = contact_row(row)).await?;
    Ok(out)
}

fn contact_row(row: &Row) -> Option<(String, Option<String>, Option<String>)> {
    Some((
        row.text(0)?.to_string(),
        row.text(1).map(str::to_string),
        row.text(2).map(str::to_string),
    ))
}

/// Contacts with events stored after rowid `after`, and the newest rowid.
pub async fn touched_since(conn: &mut Conn, after: i64) -> AppResult<(Vec<String>, i64)> {
    let mut ids = Vec::new();
    let mut newest = after;
    let after = after.to_string();
    each_row(
        conn,
        "SELECT contact_id, rowid FROM handoff_events WHERE rowid > CAST(?1 AS INTEGER)",
        &[&after],
        |row| {
            if let Some(id) = row.text(0) {
                ids.push(id.to_string());
            }
            newest = newest.max(row.int(1));
        },
    )
    .await?;
    ids.sort();
    ids.dedup();
    Ok((ids, newest))
}

#[cfg(test)]
mod tests {
    #[test]
    fn stored_times_parse_fast_and_others_in_general() {
        let t = chrono::DateTime::parse_from_rfc3339("2026-11-27T09:18:03.123Z").unwrap();
        assert_eq!(
            super::millis("2026-11-27T09:18:03.123Z"),
            Some(t.timestamp_millis())
        );
        assert_eq!(
            super::millis("2026-11-27T10:18:03.123+01:00"),
            Some(t.timestamp_millis())
        );
        assert_eq!(super::millis("2026-13-27T09:18:03.123Z"), None);
    }
}

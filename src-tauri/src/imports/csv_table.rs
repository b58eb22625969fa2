//! Reads a CSV export tolerantly where exports differ (a byte-order mark, CRLF, quoted
//! commas and line breaks, semicolons or tabs, a trailing empty column) and strictly where
//! a file is broken: a row with more or fewer cells than the header, or a quote that is
//! never closed, is a row error naming the row where it began; nothing is swallowed.
use std::borrow::Cow;

use crate::error::{AppError, AppResult};

/// A file's bytes as UTF-8 text, and what was done to make them so: UTF-16 (with its byte
/// order mark) and Windows-1252 (what Excel and Salesforce write on Windows, a superset of
/// Latin-1) are decoded, and NUL bytes, which no CSV cell means, are dropped.
pub fn decode(bytes: &[u8]) -> (Cow<'_, [u8]>, Option<String>) {
    let (text, note): (Cow<'_, [u8]>, Option<String>) = if let Some((enc, _)) =
        encoding_rs::Encoding::for_bom(bytes).filter(|(e, _)| *e != encoding_rs::UTF_8)
    {
        let (s, _, _) = enc.decode(bytes);
        (
            Cow::Owned(s.into_owned().into_bytes()),
            Some(format!("the file is {}; it was read as such", enc.name())),
        )
    } else if std::str::from_utf8(bytes).is_ok() {
        (Cow::Borrowed(bytes), None)
    } else {
        let (s, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
        (
            Cow::Owned(s.into_owned().into_bytes()),
            Some("the file is not UTF-8; it was read as Windows-1252 (Western European), as Excel and Salesforce write it on Windows".to_string()),
        )
    };
    let (text, note) = strip_bidi_controls(text, note);
    let nuls = text.iter().filter(|b| **b == 0).count();
    if nuls == 0 {
        return (text, note);
    }
    let cleaned: Vec<u8> = text.iter().copied().filter(|b| *b != 0).collect();
    let nul_note = format!("{nuls} NUL bytes were dropped (they are not text)");
    (
        Cow::Owned(cleaned),
        Some(match note {
            Some(n) => format!("{n}; {nul_note}"),
            None => nul_note,
        }),
    )
}

/// Bidi embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069) are
/// dropped: in a name or file name they make `gnp.exe` read as `exe.png`, and no CRM value
/// needs them (right-to-left text displays without them; the marks U+200E/U+200F stay).
fn strip_bidi_controls(
    text: Cow<'_, [u8]>,
    note: Option<String>,
) -> (Cow<'_, [u8]>, Option<String>) {
    let bidi = super::values::bidi_control;
    let Ok(s) = std::str::from_utf8(&text) else {
        return (text, note);
    };
    let found = s.chars().filter(|c| bidi(*c)).count();
    if found == 0 {
        return (text, note);
    }
    let cleaned: String = s.chars().filter(|c| !bidi(*c)).collect();
    let bidi_note = format!("{found} text-direction control characters were dropped (they disguise names such as a file's extension)");
    (
        Cow::Owned(cleaned.into_bytes()),
        Some(match note {
            Some(n) => format!("{n}; {bidi_note}"),
            None => bidi_note,
        }),
    )
}

pub struct Table {
    pub headers: Vec<String>,
    /// Rows whose every cell was empty, skipped.
    pub blank: u32,
    /// Header names that appear more than once: (name, 0-based column positions).
    pub duplicates: Vec<(String, Vec<usize>)>,
    /// Records with their spreadsheet row number (header = 1).
    pub rows: Vec<(u32, csv::StringRecord)>,
    /// Rows that could not be read at all: (row, message).
    pub broken: Vec<(u32, String)>,
}

/// Reads the whole file: its header, its records and the rows it could not read.
pub fn read(bytes: &[u8]) -> AppResult<Table> {
    let mut rows = Rows::open(bytes)?;
    let mut records = Vec::new();
    let mut broken = Vec::new();
    for (row, record) in rows.by_ref() {
        match record {
            Ok(r) => records.push((row, r)),
            Err(message) => broken.push((row, message)),
        }
    }
    Ok(Table {
        blank: rows.blank,
        headers: rows.headers,
        duplicates: rows.duplicates,
        rows: records,
        broken,
    })
}

/// The records of a file one by one, each with its spreadsheet row number, or why that
/// row cannot be read; blank rows are skipped.
pub struct Rows<'a> {
    pub headers: Vec<String>,
    /// Header names that appear more than once: (name, 0-based column positions).
    pub duplicates: Vec<(String, Vec<usize>)>,
    /// The header's width before trailing empty columns were dropped.
    raw_width: usize,
    bytes: &'a [u8],
    delimiter: u8,
    reader: csv::Reader<&'a [u8]>,
    /// Where the reader's slice starts in `bytes` (it restarts after a broken quote).
    base: usize,
    record: csv::StringRecord,
    // Rows are numbered as a spreadsheet shows them: a blank line is a row, a quoted cell
    // with line breaks is not. The reader skips blank lines, so count lines from offsets.
    row: u32,
    scanned: usize,
    lines: u32,
    cell_breaks: u32,
    /// Rows whose every cell is empty, skipped (and counted, so the summary can say).
    pub blank: u32,
}

impl<'a> Rows<'a> {
    /// Checks the encoding, finds the delimiter and reads the header row.
    pub fn open(bytes: &'a [u8]) -> AppResult<Rows<'a>> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        if std::str::from_utf8(&bytes[..bytes.len().min(4096)]).is_err()
            && std::str::from_utf8(bytes).is_err()
        {
            return Err(AppError::invalid(
                "file",
                "the file is not UTF-8 text; export it as CSV (UTF-8)",
            ));
        }
        let first_line = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
        let count = |c: u8| first_line.iter().filter(|b| **b == c).count();
        let delimiter = if count(b';') > count(b',') && count(b';') > count(b'\t') {
            b';'
        } else if count(b'\t') > count(b',') {
            b'\t'
        } else {
            b','
        };
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .has_headers(true)
            .from_reader(bytes);
        let mut headers: Vec<String> = reader
            .headers()
            .map_err(|e| AppError::invalid("file", format!("cannot read the header row: {e}")))?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        let raw_width = headers.len();
        while headers.last().is_some_and(|h| h.is_empty()) {
            headers.pop();
        }
        if headers.is_empty() {
            return Err(AppError::invalid("file", "the file has no header row"));
        }
        if let Some((i, _)) = headers
            .iter()
            .enumerate()
            .find(|(_, h)| h.chars().count() > MAX_HEADER)
        {
            return Err(AppError::invalid(
                "file",
                format!(
                    "column {} of the header is longer than {MAX_HEADER} characters: this is not a header row",
                    i + 1
                ),
            ));
        }
        let mut positions: std::collections::BTreeMap<String, Vec<usize>> = Default::default();
        for (i, h) in headers.iter().enumerate() {
            if !h.is_empty() {
                positions.entry(h.to_lowercase()).or_default().push(i);
            }
        }
        let duplicates = positions
            .into_values()
            .filter(|p| p.len() > 1)
            .map(|p| (headers[p[0]].clone(), p))
            .collect();
        Ok(Rows {
            headers,
            duplicates,
            raw_width,
            bytes,
            delimiter,
            reader,
            base: 0,
            record: csv::StringRecord::new(),
            row: 1,
            scanned: 0,
            lines: 1,
            cell_breaks: 0,
            blank: 0,
        })
    }

    /// About how many rows the file has (its line count), for progress before reading it.
    pub fn estimate(&self) -> u32 {
        self.bytes.iter().filter(|b| **b == b'\n').count() as u32
    }

    fn number(&mut self) {
        let Some(pos) = self.record.position() else {
            return;
        };
        let bytes = self.bytes;
        let mut start = (self.base + pos.byte() as usize).min(bytes.len());
        while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        self.lines += bytes[self.scanned.min(start)..start]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u32;
        self.scanned = start;
        self.row = self.lines.saturating_sub(self.cell_breaks);
        self.cell_breaks += self
            .record
            .iter()
            .map(|c| c.matches('\n').count() as u32)
            .sum::<u32>();
    }
}

impl Rows<'_> {
    /// The next row, lent rather than copied (the fast path of a large import).
    pub fn next_row(&mut self) -> Option<(u32, Result<&csv::StringRecord, String>)> {
        loop {
            self.row += 1;
            match self.reader.read_record(&mut self.record) {
                Ok(false) => return None,
                Err(e) => return Some((self.row, Err(format!("unreadable CSV: {e}")))),
                Ok(true) => {}
            }
            let breaks_before = self.cell_breaks;
            self.number();
            let breaks = self.cell_breaks - breaks_before;
            if let Some(message) = self.unclosed_quote(breaks) {
                self.resume_after_broken_record(breaks);
                return Some((self.row, Err(message)));
            }
            let r = &self.record;
            if r.iter().all(|c| c.trim().is_empty()) {
                self.blank += 1;
                continue;
            }
            if let Some(i) = r.iter().position(|c| c.len() > MAX_CELL) {
                let message = format!(
                    "cell {} is {} KB long; a field of a CRM export is at most {} KB",
                    i + 1,
                    r.get(i).map_or(0, str::len) / 1024,
                    MAX_CELL / 1024
                );
                return Some((self.row, Err(message)));
            }
            let width = self.headers.len();
            let extra = r.iter().skip(self.raw_width.max(width));
            if r.len() < width || extra.clone().any(|c| !c.trim().is_empty()) {
                let message = format!(
                    "this row has {} cells, but the header has {width} columns; a separator or quote is probably missing or extra",
                    r.len()
                );
                return Some((self.row, Err(message)));
            }
            return Some((self.row, Ok(&self.record)));
        }
    }
}

/// A header longer than this is not a column name.
const MAX_HEADER: usize = 500;

/// A cell longer than this (in bytes) is not a CRM field: Salesforce's longest text field
/// holds 131,072 characters.
const MAX_CELL: usize = 262_144;

/// More line breaks than this inside one quoted cell means a quote was not closed: no CRM
/// note runs to hundreds of lines, and a stray quote swallows every row after it.
const MAX_CELL_LINES: u32 = 200;

impl Rows<'_> {
    /// Why the record just read is really a quote that was never closed, if it is: its
    /// cells run over too many lines, or it runs to the end of the file with an odd number
    /// of quotes.
    fn unclosed_quote(&self, breaks: u32) -> Option<String> {
        let start = self.base + self.record.position()?.byte() as usize;
        let end = self.base + self.reader.position().byte() as usize;
        let raw = self.bytes.get(start.min(end)..end)?;
        let at_end = end >= self.bytes.len();
        if at_end && raw.iter().filter(|b| **b == b'"').count() % 2 == 1 {
            return Some(
                "a quote that begins in this row is never closed; the rows after it are read on their own"
                    .to_string(),
            );
        }
        if breaks > MAX_CELL_LINES {
            return Some(format!(
                "a quoted cell that begins in this row runs over {breaks} lines (to row {}); a quote is probably not closed",
                self.row + breaks
            ));
        }
        // A cell whose later lines each hold a whole row's separators swallowed rows:
        // notes have line breaks, but not forty commas to a line.
        let width = self.headers.len();
        let separator = char::from(self.delimiter);
        let swallowed = width >= 4
            && breaks > 0
            && self.record.iter().any(|cell| {
                cell.lines()
                    .skip(1)
                    .any(|line| line.matches(separator).count() + 1 >= width)
            });
        swallowed.then(|| {
            "a quote that begins in this row is not closed where it should be: the cell runs over lines that are whole rows; the rows after it are read on their own"
                .to_string()
        })
    }

    /// Reads on from the line after the one where the broken record began, so one stray
    /// quote costs one row, not the rest of the file.
    fn resume_after_broken_record(&mut self, breaks: u32) {
        let start = self.scanned;
        let next = self.bytes[start..]
            .iter()
            .position(|b| *b == b'\n')
            .map_or(self.bytes.len(), |i| start + i + 1);
        self.cell_breaks -= breaks;
        self.base = next;
        self.reader = csv::ReaderBuilder::new()
            .delimiter(self.delimiter)
            .flexible(true)
            .has_headers(false)
            .from_reader(&self.bytes[next..]);
        // The next record's line is counted from the start of this one's.
        self.lines += 1;
        self.scanned = next;
    }
}

impl Iterator for Rows<'_> {
    type Item = (u32, Result<csv::StringRecord, String>);

    fn next(&mut self) -> Option<Self::Item> {
        self.next_row().map(|(row, r)| (row, r.cloned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerates_what_exports_do() {
        let text = "\u{feff}Email,Company,Note,\r\nann@x.example,\"Acme, Inc.\",\"two\r\nlines\",\r\n\r\nbob@y.example,Beta,,\r\n";
        let t = read(text.as_bytes()).unwrap();
        assert_eq!(t.headers, vec!["Email", "Company", "Note"]);
        assert_eq!(t.rows.len(), 2);
        assert_eq!(&t.rows[0].1[1], "Acme, Inc.");
        assert_eq!(&t.rows[0].1[2], "two\r\nlines");
        assert_eq!(t.rows[1].0, 4, "the blank line still counts as a row");
        assert!(t.broken.is_empty());
    }

    #[test]
    fn rows_after_multi_line_cells_and_blank_lines_keep_their_spreadsheet_number() {
        let text = "Email,Note\na@x.example,\"one\ntwo\nthree\"\n\n\nb@x.example,\nc@x.example,x\n";
        let t = read(text.as_bytes()).unwrap();
        let rows: Vec<u32> = t.rows.iter().map(|(r, _)| *r).collect();
        assert_eq!(rows, vec![2, 5, 6]);
    }

    #[test]
    fn a_stray_quote_costs_one_row_and_short_rows_are_errors() {
        let mut text = String::from("Email,First,Last\na@x.example,A,One\nb@x.example,\"B,Two\n");
        for i in 0..300 {
            text.push_str(&format!("r{i}@x.example,R,{i}\n"));
        }
        let t = read(text.as_bytes()).unwrap();
        assert_eq!(t.broken.len(), 1, "{:?}", t.broken);
        assert_eq!(t.broken[0].0, 3, "the row where the quote began");
        assert!(t.broken[0].1.contains("never closed"), "{}", t.broken[0].1);
        assert_eq!(t.rows.len(), 301, "every row after it is read");
        assert_eq!(t.rows[1].0, 4, "and keeps its spreadsheet number");
        assert_eq!(t.rows.last().unwrap().0, 303);
        let t = read(b"Email,First,Last\na@x.example,A\nb@x.example,B,Two,\n").unwrap();
        assert_eq!(t.broken.len(), 1);
        assert!(
            t.broken[0]
                .1
                .contains("2 cells, but the header has 3 columns"),
            "{}",
            t.broken[0].1
        );
        assert_eq!(t.rows.len(), 1, "a trailing empty cell is fine");
    }

    #[test]
    fn two_stray_quotes_close_to_each_other_swallow_nothing() {
        let text = "Email,First,Last,Company\na1@x.example,Al,Ames,Alpha\na2@x.example,\"Bob,Baker,Beta\na3@x.example,Cy,Cole,Gamma\na4@x.example,\"Di\"ana,Dorn,Delta\na5@x.example,Ed,Eng,Epsilon\n";
        let t = read(text.as_bytes()).unwrap();
        assert_eq!(t.broken.len(), 1, "{:?}", t.broken);
        assert_eq!(t.broken[0].0, 3);
        let rows: Vec<u32> = t.rows.iter().map(|(r, _)| *r).collect();
        assert!(rows.contains(&4) && rows.contains(&6), "{rows:?}");
    }

    #[test]
    fn text_direction_controls_are_dropped_with_a_note() {
        let (text, note) = decode("Email,Last\na@x.example,\u{202E}gnp.exe\n".as_bytes());
        assert_eq!(
            std::str::from_utf8(&text).unwrap(),
            "Email,Last\na@x.example,gnp.exe\n"
        );
        assert!(note.unwrap().contains("1 text-direction control"));
        let plain = "Email,Last\na@x.example,\u{05D3}\u{05D5}\u{05D3}\u{200F}\n";
        assert_eq!(
            decode(plain.as_bytes()).0.as_ref(),
            plain.as_bytes(),
            "RTL text and marks stay"
        );
    }

    #[test]
    fn windows_files_and_nul_bytes_are_read_as_text() {
        let latin = b"Email,First\nana@x.example,Jos\xe9\n";
        let (text, note) = decode(latin);
        assert!(note.unwrap().contains("Windows-1252"));
        assert_eq!(read(&text).unwrap().rows[0].1.get(1), Some("José"));
        let (text, note) = decode(b"Email,First\nn2@x.exa\0mple,N\n");
        assert!(note.unwrap().contains("1 NUL"));
        assert_eq!(read(&text).unwrap().rows[0].1.get(0), Some("n2@x.example"));
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(
                "Email\na@x.example\n"
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes),
            )
            .collect();
        let (text, note) = decode(&utf16);
        assert!(note.unwrap().contains("UTF-16"));
        assert_eq!(read(&text).unwrap().rows[0].1.get(0), Some("a@x.example"));
    }

    #[test]
    fn semicolons_and_overlong_rows() {
        let t = read(b"Email;Company\nann@x.example;Acme;surprise\n").unwrap();
        assert_eq!(t.headers, vec!["Email", "Company"]);
        assert_eq!(t.broken.len(), 1);
        assert_eq!(t.broken[0].0, 2);
    }
}

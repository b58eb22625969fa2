//! Reads a CSV export tolerantly: a byte-order mark, CRLF, quoted commas and line breaks,
//! semicolon-separated files, and a trailing empty column are all fine.
use crate::error::{AppError, AppResult};

pub struct Table {
    pub headers: Vec<String>,
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
        headers: rows.headers,
        rows: records,
        broken,
    })
}

/// The records of a file one by one, each with its spreadsheet row number, or why that
/// row cannot be read; blank rows are skipped.
pub struct Rows<'a> {
    pub headers: Vec<String>,
    bytes: &'a [u8],
    reader: csv::Reader<&'a [u8]>,
    record: csv::StringRecord,
    // Rows are numbered as a spreadsheet shows them: a blank line is a row, a quoted cell
    // with line breaks is not. The reader skips blank lines, so count lines from offsets.
    row: u32,
    scanned: usize,
    lines: u32,
    cell_breaks: u32,
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
        while headers.last().is_some_and(|h| h.is_empty()) {
            headers.pop();
        }
        if headers.is_empty() {
            return Err(AppError::invalid("file", "the file has no header row"));
        }
        Ok(Rows {
            headers,
            bytes,
            reader,
            record: csv::StringRecord::new(),
            row: 1,
            scanned: 0,
            lines: 1,
            cell_breaks: 0,
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
        let mut start = (pos.byte() as usize).min(bytes.len());
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
            self.number();
            let r = &self.record;
            if r.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            let width = self.headers.len();
            if r.iter().skip(width).any(|c| !c.trim().is_empty()) {
                let message = format!("{} cells, but the header has {width} columns", r.len());
                return Some((self.row, Err(message)));
            }
            return Some((self.row, Ok(&self.record)));
        }
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
    fn semicolons_and_overlong_rows() {
        let t = read(b"Email;Company\nann@x.example;Acme;surprise\n").unwrap();
        assert_eq!(t.headers, vec!["Email", "Company"]);
        assert_eq!(t.broken.len(), 1);
        assert_eq!(t.broken[0].0, 2);
    }
}

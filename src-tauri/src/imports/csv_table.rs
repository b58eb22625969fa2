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

impl Table {
    pub fn column(&self, header: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == header)
    }
}

pub fn read(bytes: &[u8]) -> AppResult<Table> {
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
    let mut rows = Vec::new();
    let mut broken = Vec::new();
    // Rows are numbered as a spreadsheet shows them: a blank line is a row, a quoted cell
    // with line breaks is not. The reader skips blank lines, so count lines from offsets.
    let mut row = 1u32;
    let (mut scanned, mut lines, mut cell_breaks) = (0usize, 1u32, 0u32);
    for record in reader.records() {
        row += 1;
        match record {
            Ok(r) => {
                if let Some(pos) = r.position() {
                    let mut start = (pos.byte() as usize).min(bytes.len());
                    while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
                        start += 1;
                    }
                    lines += bytes[scanned.min(start)..start]
                        .iter()
                        .filter(|b| **b == b'\n')
                        .count() as u32;
                    scanned = start;
                    row = lines.saturating_sub(cell_breaks);
                    cell_breaks += r
                        .iter()
                        .map(|c| c.matches('\n').count() as u32)
                        .sum::<u32>();
                }
                if r.iter().all(|c| c.trim().is_empty()) {
                    continue;
                }
                let extra = r.iter().skip(headers.len()).any(|c| !c.trim().is_empty());
                if extra {
                    broken.push((
                        row,
                        format!(
                            "{} cells, but the header has {} columns",
                            r.len(),
                            headers.len()
                        ),
                    ));
                } else {
                    rows.push((row, r));
                }
            }
            Err(e) => broken.push((row, format!("unreadable CSV: {e}"))),
        }
    }
    Ok(Table {
        headers,
        rows,
        broken,
    })
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

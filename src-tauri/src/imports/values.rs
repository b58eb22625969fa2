//! Cell values as CRM exports write them: placeholders that mean "missing", and the date
//! formats of Salesforce, HubSpot, Zoho, Pipedrive, Marketo and spreadsheets.
use std::sync::LazyLock;

use chrono::format::{Item, Parsed, StrftimeItems};
use chrono::{DateTime, TimeZone, Utc};

/// Values that exports use for "nothing here".
const PLACEHOLDERS: [&str; 13] = [
    "-none-",
    "",
    "select",
    "-- select --",
    "--select--",
    "n/a",
    "na",
    "-",
    "--",
    "null",
    "none",
    "(none)",
    "#n/a",
];

/// The cell trimmed, or `None` when it is empty or a placeholder such as `Select` or `N/A`.
///
/// ```
/// use playbook::imports::values::clean;
/// assert_eq!(clean("  Acme "), Some("Acme"));
/// assert_eq!(clean("N/A"), None);
/// assert_eq!(clean("-- Select --"), None);
/// ```
pub fn clean(cell: &str) -> Option<&str> {
    let t = cell.trim();
    if PLACEHOLDERS.iter().any(|p| p.eq_ignore_ascii_case(t)) {
        None
    } else {
        // Undo the neutralisation of our own exports: '=x → =x.
        Some(match t.strip_prefix('\'') {
            Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest,
            _ => t,
        })
    }
}

const DATE_TIMES: [&str; 16] = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%d %b, %Y %H:%M:%S",
    "%d %b %Y %H:%M:%S",
    "%d %b, %Y %H:%M",
    "%b %d, %Y %I:%M %p",
    "%b %d, %Y %H:%M",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
];

const DATES: [&str; 9] = [
    "%Y-%m-%d",
    "%d %b, %Y",
    "%d %b %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%m/%d/%Y",
    "%d.%m.%Y",
    "%Y/%m/%d",
    "%d-%b-%Y",
];

/// Parses the date and time formats exports use; times without a zone are taken as UTC.
/// Slashed dates are US month/day unless the first number cannot be a month.
///
/// ```
/// use playbook::imports::values::parse_date;
/// let iso = parse_date("2021-04-15T00:03:00Z").unwrap();
/// assert_eq!(parse_date("15 Apr, 2021 00:03:00").unwrap(), iso);
/// assert_eq!(parse_date("04/15/2021 3:05 PM").unwrap().to_rfc3339(), "2021-04-15T15:05:00+00:00");
/// assert_eq!(parse_date("15.04.2021").unwrap().to_rfc3339(), "2021-04-15T00:00:00+00:00");
/// assert!(parse_date("next Tuesday").is_none());
/// ```
pub fn parse_date(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.with_timezone(&Utc));
    }
    // A file writes all its dates one way: try the format that read the last one first.
    let last = LAST_FORMAT.get();
    if let Some(d) = FORMATS.get(last).and_then(|f| f.read(t)) {
        return Some(d);
    }
    if let Some((i, d)) = FORMATS
        .iter()
        .enumerate()
        .find_map(|(i, f)| f.read(t).map(|d| (i, d)))
    {
        LAST_FORMAT.set(i);
        return Some(d);
    }
    let swapped = swap_day_month(t)?;
    FORMATS.iter().find_map(|f| f.read(&swapped))
}

thread_local! {
    static LAST_FORMAT: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// What a format yields: an instant with its zone, a time taken as UTC, or a date.
#[derive(Clone, Copy)]
enum Shape {
    Zoned,
    Time,
    Date,
}

struct Format {
    shape: Shape,
    items: Vec<Item<'static>>,
}

impl Format {
    fn read(&self, t: &str) -> Option<DateTime<Utc>> {
        let mut p = Parsed::new();
        chrono::format::parse(&mut p, t, self.items.iter()).ok()?;
        match self.shape {
            Shape::Zoned => p.to_datetime().ok().map(|d| d.with_timezone(&Utc)),
            Shape::Time => p
                .to_naive_datetime_with_offset(0)
                .ok()
                .map(|d| Utc.from_utc_datetime(&d)),
            Shape::Date => p
                .to_naive_date()
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| Utc.from_utc_datetime(&d)),
        }
    }
}

/// Every format, compiled once, in the order they are tried.
static FORMATS: LazyLock<Vec<Format>> = LazyLock::new(|| {
    // Salesforce: 2021-04-15T00:03:00.000+0000
    let zoned = [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M:%S%z",
    ];
    let compile = |shape: Shape, f: &'static str| Format {
        shape,
        items: StrftimeItems::new(f)
            .parse()
            .expect("the built-in date formats are valid"),
    };
    zoned
        .into_iter()
        .map(|f| compile(Shape::Zoned, f))
        .chain(std::iter::once(compile(
            Shape::Time,
            "%Y-%m-%d %H:%M:%S%.f",
        )))
        .chain(DATE_TIMES.into_iter().map(|f| compile(Shape::Time, f)))
        .chain(DATES.into_iter().map(|f| compile(Shape::Date, f)))
        .collect()
});

/// `15/04/2021` → `04/15/2021` when the first number is above 12 (a day, not a month).
fn swap_day_month(t: &str) -> Option<String> {
    let mut parts = t.splitn(3, '/');
    let (a, b, rest) = (parts.next()?, parts.next()?, parts.next()?);
    let first: u32 = a.parse().ok()?;
    (first > 12).then(|| format!("{b}/{a}/{rest}"))
}

/// Neutralises a CSV cell that a spreadsheet would run as a formula.
///
/// ```
/// use playbook::imports::values::neutralise;
/// assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
/// assert_eq!(neutralise("-5"), "'-5");
/// assert_eq!(neutralise("Acme"), "Acme");
/// ```
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_export_date_shape_parses_to_the_same_instant() {
        let expected = "2021-04-15T15:05:00+00:00";
        for text in [
            "2021-04-15T15:05:00Z",
            "2021-04-15T15:05:00.000+0000",
            "2021-04-15 15:05:00",
            "2021-04-15 15:05",
            "15 Apr, 2021 15:05:00",
            "04/15/2021 3:05 PM",
            "04/15/2021 15:05",
            "15/04/2021 15:05",
            "15.04.2021 15:05",
            "Apr 15, 2021 03:05 PM",
        ] {
            assert_eq!(
                parse_date(text).map(|d| d.to_rfc3339()).as_deref(),
                Some(expected),
                "{text}"
            );
        }
        assert!(parse_date("31/31/2021").is_none());
        assert!(parse_date("2021-02-30").is_none());
    }

    #[test]
    fn placeholders_mean_missing() {
        for p in ["", "  ", "Select", "N/A", "-", "NULL", "(none)"] {
            assert_eq!(clean(p), None, "{p:?}");
        }
        assert_eq!(clean("0"), Some("0"));
    }
}

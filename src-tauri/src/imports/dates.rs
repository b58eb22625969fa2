//! Dates in CRM exports, read right or refused. The day/month order of slashed dates is
//! decided per column from all its values (one `13/04/2021` makes the whole column day
//! first); an undecidable column follows the mapping, else the workspace's setting.
//! Two-digit years need a stated pivot; times without a zone are wall-clock times in the
//! workspace's time zone (or the mapping's); dates before 1900 are refused.
//!
//! ```
//! use playbook::imports::dates::{DateColumn, DatePrefs, DateOrder};
//! let prefs = DatePrefs::utc(DateOrder::MonthFirst);
//! let col = DateColumn::decide([(2, "04/05/2021"), (3, "13/04/2021")], &prefs);
//! assert_eq!(col.order, DateOrder::DayFirst);
//! assert_eq!(col.read("04/05/2021").unwrap().to_rfc3339(), "2021-05-04T00:00:00+00:00");
//! assert!(col.read("4/5/21").unwrap_err().contains("two-digit year"));
//! ```
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use specta::Type;

/// Which number comes first in a slashed date such as `04/05/2021`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
pub enum DateOrder {
    /// 04/05/2021 is 5 April (United States).
    #[serde(rename = "mdy")]
    MonthFirst,
    /// 04/05/2021 is 4 May (most of the world).
    #[serde(rename = "dmy")]
    DayFirst,
}

impl DateOrder {
    pub fn parse(text: &str) -> Option<DateOrder> {
        match text.trim().to_ascii_lowercase().as_str() {
            "mdy" | "month-first" | "us" => Some(DateOrder::MonthFirst),
            "dmy" | "day-first" => Some(DateOrder::DayFirst),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            DateOrder::MonthFirst => "mdy",
            DateOrder::DayFirst => "dmy",
        }
    }
    fn words(self) -> &'static str {
        match self {
            DateOrder::MonthFirst => "month first",
            DateOrder::DayFirst => "day first",
        }
    }
}

/// What an import knows before reading any date: the mapping's choices, else the
/// workspace's.
#[derive(Debug, Clone)]
pub struct DatePrefs {
    /// The mapping's `date_order`, if it states one.
    pub mapping_order: Option<DateOrder>,
    /// The workspace's setting, for columns whose values fit both orders.
    pub workspace_order: DateOrder,
    /// Two-digit years are read as years from this one to this one + 99.
    pub year_pivot: Option<i32>,
    pub zone: Tz,
    /// Where the zone came from, for the dry run ("mapping", "workspace setting", …).
    pub zone_source: String,
}

impl DatePrefs {
    /// UTC, no pivot, `order` for undecidable columns (tests and examples).
    pub fn utc(order: DateOrder) -> DatePrefs {
        DatePrefs {
            mapping_order: None,
            workspace_order: order,
            year_pivot: None,
            zone: Tz::UTC,
            zone_source: "default".into(),
        }
    }
}

/// How one column's dates are read, decided from all its values.
#[derive(Debug, Clone)]
pub struct DateColumn {
    pub order: DateOrder,
    /// Why this order, in words ("row 3 has 13/04/2021", "the mapping's date_order", …).
    pub why: String,
    /// Whether the column has slashed dates at all (otherwise the order does not matter).
    pub order_matters: bool,
    /// Values only one order can read, for each order: a column with both is mixed.
    evidence: (u32, u32),
    year_pivot: Option<i32>,
    zone: Tz,
}

/// A column's choices, as the dry run reports them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct DateChoice {
    pub column: String,
    /// `mdy` or `dmy`; absent when the column has no dates whose order matters.
    pub order: Option<DateOrder>,
    pub why: String,
    /// The zone that times without one are read in.
    pub zone: String,
    pub year_pivot: Option<i32>,
}

impl DateColumn {
    /// Decides the order from every value of the column (`row`, text).
    pub fn decide<'a>(values: impl IntoIterator<Item = (u32, &'a str)>, prefs: &DatePrefs) -> Self {
        let (mut day_first, mut month_first) = (None::<(u32, &str, u32)>, None::<(u32, &str, u32)>);
        let mut order_matters = false;
        for (row, text) in values {
            let Some(Parts {
                date: DatePart::Numeric(a, b, _),
                ..
            }) = tokenise(text).and_then(|t| parts(&t))
            else {
                continue;
            };
            order_matters = true;
            let bump = |slot: &mut Option<(u32, &'a str, u32)>| match slot {
                Some((_, _, n)) => *n += 1,
                None => *slot = Some((row, text, 1)),
            };
            if a > 12 && b <= 12 {
                bump(&mut day_first);
            } else if b > 12 && a <= 12 {
                bump(&mut month_first);
            }
        }
        let (order, why) = match (day_first, month_first) {
            (Some((row, text, n)), None) => (
                DateOrder::DayFirst,
                format!("row {row} has {text}, so {n} value(s) can only be day first"),
            ),
            (None, Some((row, text, n))) => (
                DateOrder::MonthFirst,
                format!("row {row} has {text}, so {n} value(s) can only be month first"),
            ),
            (Some((dr, dt, dn)), Some((mr, mt, mn))) => {
                // The column contradicts itself: the values that fit both follow what the
                // person said (the mapping, else the workspace), not a vote.
                let (order, whose) = match prefs.mapping_order {
                    Some(o) => (o, "the mapping's date_order"),
                    None => (prefs.workspace_order, "the workspace's date order"),
                };
                (
                    order,
                    format!(
                        "mixed: {dn} value(s) can only be day first (row {dr} has {dt}), {mn} only month first (row {mr} has {mt}); each of those is read the one way it can be, and values that fit both are read {} ({whose})",
                        order.words()
                    ),
                )
            }
            (None, None) => match prefs.mapping_order {
                Some(o) => (
                    o,
                    "every value fits both; the mapping's date_order".to_string(),
                ),
                None => (
                    prefs.workspace_order,
                    "every value fits both; the workspace's date order".to_string(),
                ),
            },
        };
        DateColumn {
            order,
            why,
            order_matters,
            evidence: (
                day_first.map_or(0, |(_, _, n)| n),
                month_first.map_or(0, |(_, _, n)| n),
            ),
            year_pivot: prefs.year_pivot,
            zone: prefs.zone,
        }
    }

    /// Whether the column holds values that only day-first and others that only
    /// month-first can read: the ones that fit both were read by the majority.
    pub fn mixed(&self) -> bool {
        self.evidence.0 > 0 && self.evidence.1 > 0
    }

    /// The choices made for `column`, for the dry run.
    pub fn choice(&self, column: &str) -> DateChoice {
        DateChoice {
            column: column.to_string(),
            order: self.order_matters.then_some(self.order),
            why: if self.order_matters {
                self.why.clone()
            } else {
                "no dates whose day and month could be swapped".into()
            },
            zone: self.zone.name().to_string(),
            year_pivot: self.year_pivot,
        }
    }

    /// What the summary should say about this column, if anything (a mix of orders).
    pub fn warning(&self, column: &str) -> Option<String> {
        self.mixed()
            .then(|| format!("the dates in '{column}' mix orders: {}", self.why))
    }

    /// Reads one value: the instant, or why it cannot be read (to put in a row error).
    pub fn read(&self, text: &str) -> Result<DateTime<Utc>, String> {
        self.read_noted(text).map(|(d, _)| d)
    }

    /// [`read`](Self::read), and what was decided for a wall-clock time that the clock
    /// change skipped or repeated (to tell the user).
    pub fn read_noted(&self, text: &str) -> Result<(DateTime<Utc>, Option<String>), String> {
        let t = text.trim();
        let bad = || {
            format!(
                "'{t}' is not a date Playbook reads (e.g. 2021-04-15, 04/15/2021 3:05 PM, 15 Apr 2021, 2021-04-15T09:30:00Z)"
            )
        };
        let p = tokenise(t)
            .and_then(|tokens| parts(&tokens))
            .ok_or_else(bad)?;
        let (year, month, day, digits) = match p.date {
            DatePart::Ymd(y, m, d, digits) => (y, m, d, digits),
            DatePart::Named(y, m, d, digits) => (y, m, d, digits),
            DatePart::Numeric(a, b, y) => {
                // A value that can be read only one way is read that way; the column's
                // order decides the values that fit both.
                let (m, d) = match self.order {
                    _ if a > 12 && b <= 12 => (b, a),
                    _ if b > 12 && a <= 12 => (a, b),
                    DateOrder::MonthFirst => (a, b),
                    DateOrder::DayFirst => (b, a),
                };
                (y.0, m, d, y.1)
            }
        };
        let year = match digits {
            4 => year,
            2 => match self.year_pivot {
                Some(pivot) => {
                    let century = pivot - pivot.rem_euclid(100);
                    let y = century + year;
                    if y < pivot {
                        y + 100
                    } else {
                        y
                    }
                }
                None => {
                    return Err(format!(
                        "'{t}' has a two-digit year; say which century it is in (year_pivot = 1950 in the mapping reads 00–49 as 2000–2049 and 50–99 as 1950–1999)"
                    ))
                }
            },
            _ => return Err(bad()),
        };
        if year < 1900 {
            return Err(format!("'{t}' is before 1900"));
        }
        let date = NaiveDate::from_ymd_opt(year, month, day)
            .ok_or_else(|| format!("'{t}' is not a day of the calendar"))?;
        let time = match p.time {
            Some((h, m, s, nanos)) => NaiveTime::from_hms_nano_opt(h, m, s, nanos)
                .ok_or_else(|| format!("'{t}' has no such time of day"))?,
            None => NaiveTime::MIN,
        };
        let local = NaiveDateTime::new(date, time);
        Ok(match p.zone {
            Some(offset) => (
                Utc.from_utc_datetime(&(local - Duration::seconds(offset.into()))),
                None,
            ),
            None => {
                let instant = in_zone(self.zone, local);
                let note = match self.zone.from_local_datetime(&local) {
                    chrono::LocalResult::None => Some(format!(
                        "'{t}' did not happen in {} (the clocks went forward); read as {}",
                        self.zone.name(),
                        instant.with_timezone(&self.zone).format("%H:%M %Z")
                    )),
                    chrono::LocalResult::Ambiguous(..) => Some(format!(
                        "'{t}' happened twice in {} (the clocks went back); read as the first, {}",
                        self.zone.name(),
                        instant.with_timezone(&self.zone).format("%H:%M %Z")
                    )),
                    chrono::LocalResult::Single(_) => None,
                };
                (instant, note)
            }
        })
    }
}

/// Whether this value's day and month could be read either way (`04/05/2021`), so its
/// column's order must be decided.
pub fn order_matters(text: &str) -> bool {
    matches!(
        tokenise(text.trim()).and_then(|t| parts(&t)),
        Some(Parts {
            date: DatePart::Numeric(..),
            ..
        })
    )
}

/// A wall-clock time in `zone`: the earlier instant when the clocks went back and it
/// happened twice; the offset before the change when it fell in the hour they skipped.
pub fn in_zone(zone: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match zone.from_local_datetime(&local).earliest() {
        Some(d) => d.with_timezone(&Utc),
        None => {
            let before = zone
                .offset_from_utc_datetime(&(local - Duration::hours(3)))
                .fix()
                .local_minus_utc();
            Utc.from_utc_datetime(&(local - Duration::seconds(before.into())))
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// A run of digits: its value and how many digits it had.
    Num(u32, usize),
    Word(String),
    Sep(char),
}

fn tokenise(text: &str) -> Option<Vec<Token>> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_ascii_digit() {
            let mut digits = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                digits.push(d);
                chars.next();
            }
            // Fractions of seconds can be long; keep their first nine digits.
            let n = digits.len();
            let value: u32 = digits.get(..n.min(9))?.parse().ok()?;
            out.push(Token::Num(value, n));
        } else if c.is_alphabetic() {
            let mut word = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_alphabetic()) {
                word.extend(d.to_lowercase());
                chars.next();
            }
            out.push(Token::Word(word));
        } else {
            chars.next();
            if !c.is_whitespace() {
                out.push(Token::Sep(c));
            } else if !matches!(out.last(), Some(Token::Sep(' '))) {
                out.push(Token::Sep(' '));
            }
        }
        if out.len() > 40 {
            return None;
        }
    }
    Some(out)
}

enum DatePart {
    /// Year first: year, month, day, digits of the year.
    Ymd(i32, u32, u32, usize),
    /// Day and month known (a month name, or a dotted date): year, month, day, digits of
    /// the year.
    Named(i32, u32, u32, usize),
    /// Two numbers whose order the column decides, then the year and its digits.
    Numeric(u32, u32, (i32, usize)),
}

struct Parts {
    date: DatePart,
    time: Option<(u32, u32, u32, u32)>,
    /// Seconds east of UTC, when the text names its zone.
    zone: Option<i32>,
}

fn month_named(word: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    if word.len() < 3 {
        return None;
    }
    let word = if word == "sept" { "sep" } else { word };
    MONTHS
        .iter()
        .position(|m| m.starts_with(word))
        .map(|i| i as u32 + 1)
}

fn is_weekday(word: &str) -> bool {
    word.len() >= 3
        && [
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
        ]
        .iter()
        .any(|d| d.starts_with(word))
}

/// A cursor over tokens that skips spaces and commas between the parts of a date.
struct Cursor<'a> {
    t: &'a [Token],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<&Token> {
        self.t.get(self.i)
    }
    fn next(&mut self) -> Option<&Token> {
        let t = self.t.get(self.i);
        self.i += 1;
        t
    }
    fn skip_fillers(&mut self) {
        while matches!(self.peek(), Some(Token::Sep(' ' | ','))) {
            self.i += 1;
        }
    }
    fn num(&mut self) -> Option<(u32, usize)> {
        match self.next()? {
            Token::Num(v, n) => Some((*v, *n)),
            _ => None,
        }
    }
    fn sep(&mut self, allowed: &[char]) -> Option<char> {
        match self.peek()? {
            Token::Sep(c) if allowed.contains(c) => {
                let c = *c;
                self.i += 1;
                Some(c)
            }
            _ => None,
        }
    }
    fn done(&self) -> bool {
        self.i >= self.t.len()
    }
}

fn parts(tokens: &[Token]) -> Option<Parts> {
    let mut c = Cursor { t: tokens, i: 0 };
    c.skip_fillers();
    if let Some(Token::Word(w)) = c.peek() {
        if is_weekday(w) && month_named(w).is_none() {
            c.next();
            c.skip_fillers();
        }
    }
    let date = date_part(&mut c)?;
    // Between the date and the time: a space, a 'T', or a comma.
    c.skip_fillers();
    if let Some(Token::Word(w)) = c.peek() {
        if w == "t" {
            c.next();
        } else if w == "at" {
            c.next();
            c.skip_fillers();
        }
    }
    let mut time = None;
    if matches!(c.peek(), Some(Token::Num(..))) {
        time = Some(time_part(&mut c)?);
    }
    c.skip_fillers();
    let zone = zone_part(&mut c)?;
    c.skip_fillers();
    c.done().then_some(Parts { date, time, zone })
}

fn date_part(c: &mut Cursor<'_>) -> Option<DatePart> {
    match c.next()?.clone() {
        Token::Num(a, a_digits) => {
            // "15Apr2021", "15-Apr-21", "15 Apr, 2021": a month name after the day.
            let word = match c.peek() {
                Some(Token::Word(w)) => Some(w.clone()),
                Some(Token::Sep('-' | ' ' | '.' | '/')) => match c.t.get(c.i + 1) {
                    Some(Token::Word(w)) => Some(w.clone()),
                    _ => None,
                },
                _ => None,
            };
            if let Some(w) = word {
                c.sep(&['-', ' ', '.', '/']);
                if let Some(m) = month_named(&w) {
                    c.next();
                    c.sep(&['-', ' ', '.', '/', ',']);
                    c.skip_fillers();
                    let (y, y_digits) = c.num()?;
                    return Some(DatePart::Named(y as i32, m, a, y_digits));
                }
                return None;
            }
            let s1 = c.sep(&['-', '/', '.'])?;
            let (b, _) = c.num()?;
            c.sep(&[s1])?;
            let (y, y_digits) = c.num()?;
            if a_digits == 4 {
                Some(DatePart::Ymd(a as i32, b, y, 4))
            } else if s1 == '.' && a_digits <= 2 {
                // Dotted dates (15.04.2021) are day first wherever they are written.
                Some(DatePart::Named(y as i32, b, a, y_digits))
            } else if a_digits <= 2 && y_digits != 1 && y_digits != 3 {
                Some(DatePart::Numeric(a, b, (y as i32, y_digits)))
            } else {
                None
            }
        }
        Token::Word(w) => {
            // "Apr 15, 2021", "April 15 2021"
            let m = month_named(&w)?;
            c.skip_fillers();
            c.sep(&['-', '.']);
            let (d, _) = c.num()?;
            c.sep(&['-', '.', ',']);
            c.skip_fillers();
            let (y, y_digits) = c.num()?;
            Some(DatePart::Named(y as i32, m, d, y_digits))
        }
        Token::Sep(_) => None,
    }
}

fn time_part(c: &mut Cursor<'_>) -> Option<(u32, u32, u32, u32)> {
    let (mut h, _) = c.num()?;
    c.sep(&[':', '.'])?;
    let (m, _) = c.num()?;
    let mut s = 0;
    let mut nanos = 0;
    if c.sep(&[':']).is_some() {
        s = c.num()?.0;
        if c.sep(&['.', ',']).is_some() {
            let (frac, digits) = c.num()?;
            nanos = frac * 10u32.pow(9 - digits.min(9) as u32);
        }
    }
    let save = c.i;
    c.skip_fillers();
    match c.peek() {
        Some(Token::Word(w)) if w == "am" || w == "pm" => {
            if h == 0 || h > 12 {
                return None;
            }
            if w == "pm" && h != 12 {
                h += 12;
            } else if w == "am" && h == 12 {
                h = 0;
            }
            c.next();
        }
        _ => c.i = save,
    }
    Some((h, m, s, nanos))
}

/// `Z`, `UTC`, `GMT`, `+02:00`, `+0200`, `-05`: seconds east of UTC.
fn zone_part(c: &mut Cursor<'_>) -> Option<Option<i32>> {
    match c.peek().cloned() {
        None => Some(None),
        Some(Token::Word(w)) if w == "z" || w == "utc" || w == "gmt" => {
            c.next();
            // "GMT+2", "UTC-05:00"
            if matches!(c.peek(), Some(Token::Sep('+' | '-'))) {
                return offset(c).map(Some);
            }
            Some(Some(0))
        }
        Some(Token::Sep('+' | '-')) => offset(c).map(Some),
        Some(_) => Some(None).filter(|_| c.done()),
    }
}

fn offset(c: &mut Cursor<'_>) -> Option<i32> {
    let sign = if c.sep(&['+', '-'])? == '-' { -1 } else { 1 };
    let (n, digits) = c.num()?;
    let (h, m) = match digits {
        4 => (n / 100, n % 100),
        1 | 2 => match c.sep(&[':']) {
            Some(_) => (n, c.num()?.0),
            None => (n, 0),
        },
        _ => return None,
    };
    (h <= 14 && m < 60).then(|| sign * (h * 3600 + m * 60) as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(values: &[&str], prefs: &DatePrefs) -> DateColumn {
        DateColumn::decide(
            values.iter().enumerate().map(|(i, v)| (i as u32 + 2, *v)),
            prefs,
        )
    }

    fn iso(c: &DateColumn, text: &str) -> String {
        c.read(text)
            .map(|d| d.to_rfc3339())
            .unwrap_or_else(|e| format!("error: {e}"))
    }

    #[test]
    fn every_export_shape_reads_to_the_same_instant() {
        let c = col(&[], &DatePrefs::utc(DateOrder::MonthFirst));
        let expected = "2021-04-15T15:05:00+00:00";
        for text in [
            "2021-04-15T15:05:00Z",
            "2021-04-15T15:05:00.000+0000",
            "2021-04-15T17:05:00+02:00",
            "2021-04-15 15:05:00",
            "2021-04-15 15:05",
            "2021/04/15 15:05:00",
            "15 Apr, 2021 15:05:00",
            "15 Apr 2021 3:05 PM",
            "04/15/2021 3:05 PM",
            "04/15/2021 03:05pm",
            "04/15/2021 15:05",
            "Apr 15, 2021 03:05 PM",
            "April 15, 2021 at 3:05 PM",
            "Thu, 15 Apr 2021 15:05:00 GMT",
            "2021-04-15 10:05:00 -0500",
        ] {
            assert_eq!(iso(&c, text), expected, "{text}");
        }
    }

    #[test]
    fn the_column_decides_the_order() {
        let prefs = DatePrefs::utc(DateOrder::MonthFirst);
        let dmy = col(&["04/05/2021", "13/04/2021", "01/02/2021"], &prefs);
        assert_eq!(dmy.order, DateOrder::DayFirst);
        assert!(dmy.why.contains("row 3 has 13/04/2021"), "{}", dmy.why);
        assert_eq!(iso(&dmy, "04/05/2021"), "2021-05-04T00:00:00+00:00");
        assert_eq!(iso(&dmy, "15.04.2021"), "2021-04-15T00:00:00+00:00");
        let mdy = col(
            &["04/05/2021", "04/13/2021"],
            &DatePrefs::utc(DateOrder::DayFirst),
        );
        assert_eq!(mdy.order, DateOrder::MonthFirst);
        assert_eq!(iso(&mdy, "04/05/2021"), "2021-04-05T00:00:00+00:00");
        // A value that can only be day first is read so, and the column says it is mixed.
        assert_eq!(iso(&mdy, "13/04/2021"), "2021-04-13T00:00:00+00:00");
        let mixed = col(
            &["4/15/2021", "15/04/2021", "13/04/2021"],
            &DatePrefs::utc(DateOrder::MonthFirst),
        );
        assert!(mixed.mixed());
        assert_eq!(
            mixed.order,
            DateOrder::MonthFirst,
            "not a vote: the workspace's order"
        );
        assert!(mixed.warning("Created").unwrap().contains("mix orders"));
    }

    #[test]
    fn an_undecidable_column_follows_the_mapping_then_the_workspace() {
        let mut prefs = DatePrefs::utc(DateOrder::DayFirst);
        let c = col(&["04/05/2021", "01/02/2021"], &prefs);
        assert_eq!(c.order, DateOrder::DayFirst);
        assert!(c.why.contains("workspace"));
        prefs.mapping_order = Some(DateOrder::MonthFirst);
        let c = col(&["04/05/2021"], &prefs);
        assert_eq!(c.order, DateOrder::MonthFirst);
        assert!(c.why.contains("mapping"));
        let iso_only = col(&["2021-04-05"], &prefs).choice("Created");
        assert_eq!(iso_only.order, None);
    }

    #[test]
    fn two_digit_years_need_a_pivot() {
        let mut prefs = DatePrefs::utc(DateOrder::MonthFirst);
        let c = col(&["4/15/21"], &prefs);
        for text in ["4/15/21", "15-Apr-21", "Apr 15, 21"] {
            assert!(iso(&c, text).contains("two-digit year"), "{text}");
        }
        prefs.year_pivot = Some(1950);
        let c = col(&["4/15/21"], &prefs);
        assert_eq!(iso(&c, "4/15/21"), "2021-04-15T00:00:00+00:00");
        assert_eq!(iso(&c, "15-Apr-21"), "2021-04-15T00:00:00+00:00");
        assert_eq!(iso(&c, "15-Apr-61"), "1961-04-15T00:00:00+00:00");
        let dmy = col(&["15/04/21"], &prefs);
        assert_eq!(iso(&dmy, "15/04/21"), "2021-04-15T00:00:00+00:00");
    }

    #[test]
    fn out_of_range_and_nonsense_are_refused() {
        let c = col(&[], &DatePrefs::utc(DateOrder::MonthFirst));
        assert!(iso(&c, "1899-12-31").contains("before 1900"));
        assert!(iso(&c, "0021-04-15").contains("before 1900"));
        assert!(iso(&c, "2021-02-30").contains("not a day"));
        assert!(iso(&c, "2021-04-15 25:00").contains("no such time"));
        for text in [
            "next Tuesday",
            "2021",
            "15",
            "1/2/3/4",
            "2021-04-15 junk",
            "12345-01-01",
        ] {
            assert!(iso(&c, text).starts_with("error"), "{text}");
        }
    }

    #[test]
    fn times_without_a_zone_are_the_workspace_zones_wall_clock() {
        let mut prefs = DatePrefs::utc(DateOrder::DayFirst);
        prefs.zone = "Europe/Berlin".parse().unwrap();
        let c = col(&[], &prefs);
        assert_eq!(iso(&c, "2021-01-15 09:30:00"), "2021-01-15T08:30:00+00:00");
        assert_eq!(iso(&c, "2021-07-15 09:30:00"), "2021-07-15T07:30:00+00:00");
        // The clocks went forward at 02:00 on 28 March 2021: 02:30 never happened.
        assert_eq!(iso(&c, "2021-03-28 02:30:00"), "2021-03-28T01:30:00+00:00");
        // They went back at 03:00 on 31 October 2021: 02:30 happened twice.
        assert_eq!(iso(&c, "2021-10-31 02:30:00"), "2021-10-31T00:30:00+00:00");
        // A stated offset wins over the zone.
        assert_eq!(iso(&c, "2021-01-15T09:30:00Z"), "2021-01-15T09:30:00+00:00");
    }
}

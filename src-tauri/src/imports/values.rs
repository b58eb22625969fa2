//! Cell values as CRM exports write them: placeholders that mean "missing", source
//! channels spelled many ways, and cells a spreadsheet would run as formulas.

/// Values that exports use for "nothing here".
const PLACEHOLDERS: [&str; 18] = [
    "-none-",
    // Salesforce's empty id.
    "000000000000000aaa",
    "000000000000000",
    "[not provided]",
    "0000-00-00",
    "0000-00-00 00:00:00",
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

/// Whether a character cannot be seen: a control character, or one of the invisible format
/// characters (zero-width spaces and joiners, bidi controls, the byte-order mark, the soft
/// hyphen) that make two addresses look the same.
pub fn invisible(c: char) -> bool {
    c.is_control()
        || bidi_control(c)
        || matches!(c, '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
}

/// Whether a character is a bidi embedding, override or isolate control (U+202A–U+202E,
/// U+2066–U+2069): in a name it can make `gnp.exe` read as `exe.png`. The marks U+200E
/// and U+200F, which right-to-left text uses, are not among them.
pub fn bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A source channel as one value however a file spells it: "Olark Chat", "olark chat"
/// and "OLARK_CHAT" are all `olark_chat`.
///
/// ```
/// use playbook::imports::values::normalise_source;
/// assert_eq!(normalise_source("Olark Chat"), "olark_chat");
/// assert_eq!(normalise_source("google"), normalise_source("Google"));
/// assert_eq!(normalise_source("Paid Search "), "paid_search");
/// ```
pub fn normalise_source(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.trim().chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

/// A website as its domain, however it is written: `https://www.Acme.example/about`,
/// `www.acme.example` and `acme.example` are all `acme.example`.
///
/// ```
/// use playbook::imports::values::domain_of;
/// assert_eq!(domain_of("https://www.Acme.example/about?x=1"), "acme.example");
/// assert_eq!(domain_of("www.acme.example"), "acme.example");
/// assert_eq!(domain_of("acme.example:8080"), "acme.example");
/// ```
pub fn domain_of(website: &str) -> String {
    let t = website.trim().to_lowercase();
    let t = t.split_once("://").map_or(t.as_str(), |(_, rest)| rest);
    let host = t.split(['/', '?', '#']).next().unwrap_or(t);
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host = host.split(':').next().unwrap_or(host);
    let host = host.strip_prefix("www.").unwrap_or(host);
    host.trim_end_matches('.').to_string()
}

/// Which character is a number column's decimal point, decided from all its values: a
/// separator that is not followed by exactly three digits (`48000.00`, `12,5`), or the
/// last of two different ones (`1.200,50`), can only be the decimal point. A column that
/// shows neither reads `.` as the point (machine exports write `1500.000` for 1,500.000);
/// one that shows both is mixed, and each value is read on its own.
///
/// ```
/// use playbook::imports::values::{decimal_point, parse_amount};
/// let col = decimal_point(["48000.00", "9225.225"]);
/// assert_eq!(col, Some('.'));
/// assert_eq!(parse_amount("9225.225", col), Some(922_523));
/// assert_eq!(decimal_point(["1.200.000,50", "12,5"]), Some(','));
/// ```
pub fn decimal_point<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<char> {
    let (mut dot, mut comma) = (0u32, 0u32);
    for v in values {
        let kept: String = v
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '.' || *c == ',')
            .collect();
        let last = kept.rfind(['.', ',']);
        let Some(p) = last else { continue };
        let sep = kept.as_bytes()[p] as char;
        let both = kept.contains('.') && kept.contains(',');
        let after = kept.len() - p - 1;
        if both || (after != 3 && kept.matches(sep).count() == 1) {
            if sep == '.' {
                dot += 1;
            } else {
                comma += 1;
            }
        }
    }
    match (dot, comma) {
        (_, 0) => Some('.'),
        (0, _) => Some(','),
        _ => None,
    }
}

/// An amount of money as exports write it, in hundredths (rounded): `48000.00`,
/// `$1,200,000`, `1.200.000,50`, `EUR 12500`, `12 500 €`. `decimal` is the column's decimal
/// point ([`decimal_point`]); without one, a separator followed by exactly three digits
/// groups thousands. Negative or unreadable: `None`.
///
/// ```
/// use playbook::imports::values::parse_amount;
/// assert_eq!(parse_amount("48000.00", Some('.')), Some(4_800_000));
/// assert_eq!(parse_amount("$1,200,000", Some('.')), Some(120_000_000));
/// assert_eq!(parse_amount("1.200.000,50", Some(',')), Some(120_000_050));
/// assert_eq!(parse_amount("12 500 €", None), Some(1_250_000));
/// assert_eq!(parse_amount("1500.000", Some('.')), Some(150_000));
/// assert_eq!(parse_amount("1.500", None), Some(150_000));
/// assert_eq!(parse_amount("-5", Some('.')), None);
/// ```
pub fn parse_amount(text: &str, decimal: Option<char>) -> Option<i64> {
    let t = text.trim();
    if t.starts_with('-') || t.ends_with('-') {
        return None;
    }
    if t.chars()
        .any(|c| c.is_alphabetic() && !c.is_ascii_uppercase() && !"€$£¥".contains(c))
    {
        // Letters other than a currency code ("approx. 5k"): not an amount.
        return None;
    }
    let kept: String = t
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '.' || *c == ',')
        .collect();
    if !kept.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    let point = match decimal {
        Some(d) => kept.rfind(d),
        None => match (kept.rfind('.'), kept.rfind(',')) {
            (Some(d), Some(c)) => Some(d.max(c)),
            (Some(p), None) | (None, Some(p)) => (kept.len() - p - 1 != 3).then_some(p),
            (None, None) => None,
        },
    };
    let (whole, frac) = match point {
        Some(p) => (&kept[..p], &kept[p + 1..]),
        None => (kept.as_str(), ""),
    };
    if frac.contains(['.', ',']) || frac.len() > 9 {
        return None;
    }
    let whole: String = whole.chars().filter(char::is_ascii_digit).collect();
    let units: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    // Hundredths, rounded half up on the third decimal.
    let digits: Vec<i64> = frac.bytes().map(|b| i64::from(b - b'0')).collect();
    let mut cents = digits.first().copied().unwrap_or(0) * 10 + digits.get(1).copied().unwrap_or(0);
    if digits.get(2).is_some_and(|d| *d >= 5) {
        cents += 1;
    }
    units.checked_mul(100)?.checked_add(cents)
}

/// Neutralises a CSV cell that a spreadsheet would run as a formula: a leading `=`, `@`,
/// tab or carriage return always, a leading `+` or `-` unless the cell is only a number or a
/// phone number (digits, spaces, dots, commas, dashes, slashes and brackets cannot call
/// anything, and a prefix would spoil them).
///
/// ```
/// use playbook::imports::values::neutralise;
/// assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
/// assert_eq!(neutralise("-5"), "-5");
/// assert_eq!(neutralise("+44 20 7946 0000"), "+44 20 7946 0000");
/// assert_eq!(neutralise("-2+3*cmd|' /C calc'!A0"), "'-2+3*cmd|' /C calc'!A0");
/// assert_eq!(neutralise("Acme"), "Acme");
/// ```
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('+' | '-') if is_number_or_phone(cell) => cell.into(),
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

fn is_number_or_phone(cell: &str) -> bool {
    let rest = cell.strip_prefix(['+', '-']).unwrap_or(cell);
    rest.chars().any(|c| c.is_ascii_digit())
        && rest
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '.' | ',' | '-' | '/' | '(' | ')'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_mean_missing() {
        for p in ["", "  ", "Select", "N/A", "-", "NULL", "(none)"] {
            assert_eq!(clean(p), None, "{p:?}");
        }
        assert_eq!(clean("0"), Some("0"));
    }
}

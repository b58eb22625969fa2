//! Cell values as CRM exports write them: placeholders that mean "missing", source
//! channels spelled many ways, and cells a spreadsheet would run as formulas.

/// Values that exports use for "nothing here".
const PLACEHOLDERS: [&str; 16] = [
    "-none-",
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

/// An amount of money as exports write it, in hundredths: `48000.00`, `$1,200,000`,
/// `1.200.000,50`, `EUR 12500`, `12 500 €`. A separator followed by exactly three digits
/// groups thousands; otherwise it is the decimal point. Negative or unreadable: `None`.
///
/// ```
/// use playbook::imports::values::parse_amount;
/// assert_eq!(parse_amount("48000.00"), Some(4_800_000));
/// assert_eq!(parse_amount("$1,200,000"), Some(120_000_000));
/// assert_eq!(parse_amount("1.200.000,50"), Some(120_000_050));
/// assert_eq!(parse_amount("12 500 €"), Some(1_250_000));
/// assert_eq!(parse_amount("1100.04"), Some(110_004));
/// assert_eq!(parse_amount("-5"), None);
/// ```
pub fn parse_amount(text: &str) -> Option<i64> {
    let t = text.trim();
    if t.starts_with('-') || t.ends_with('-') {
        return None;
    }
    let kept: String = t
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '.' || *c == ',')
        .collect();
    if kept.is_empty() || !kept.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    if t.chars().any(|c| c.is_ascii_digit())
        && t.chars()
            .any(|c| c.is_alphabetic() && !c.is_ascii_uppercase() && !"€$£¥".contains(c))
    {
        // Letters other than a currency code ("approx. 5k"): not an amount.
        return None;
    }
    let decimal = match (kept.rfind('.'), kept.rfind(',')) {
        (Some(d), Some(c)) => Some(d.max(c)),
        (Some(p), None) | (None, Some(p)) => (kept.len() - p - 1 != 3).then_some(p),
        (None, None) => None,
    };
    let (whole, frac) = match decimal {
        Some(p) => (&kept[..p], &kept[p + 1..]),
        None => (kept.as_str(), ""),
    };
    let whole: String = whole.chars().filter(char::is_ascii_digit).collect();
    if frac.contains(['.', ',']) || frac.len() > 4 {
        return None;
    }
    let units: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let cents: i64 = format!("{frac:0<2}").get(..2)?.parse().ok()?;
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

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

//! A playbook file's TOML errors in words: which entry (`stages[2]`, key `mql`), which
//! field, what was expected and what was found, and on which line, instead of serde's
//! `invalid type: string "one", expected u32`.

/// Describes a TOML error in `text` whose message is `message` and which starts at byte
/// `start` (the parser's span; for an entry's fields, the entry's table).
pub fn describe(text: &str, message: &str, start: Option<usize>) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let Some(start) = start.map(|s| s.min(text.len())) else {
        return format!("not a playbook file: {}", words(message));
    };
    let line = text.get(..start).map_or(0, |t| t.matches('\n').count());
    let Some(header) = (0..=line.min(lines.len().saturating_sub(1)))
        .rev()
        .find(|&i| {
            lines
                .get(i)
                .is_some_and(|l| l.trim_start().starts_with('['))
        })
    else {
        return format!(
            "not a playbook file (line {}): {}",
            line + 1,
            words(message)
        );
    };
    // The entry: `[[terms]]` (or `[terms.signed]` under it) and its index among its kind.
    let table = lines[header]
        .trim()
        .trim_matches(|c| c == '[' || c == ']')
        .split('.')
        .next()
        .unwrap_or_default()
        .to_string();
    let opener = format!("[[{table}]]");
    let Some(entry) = (0..=header).rev().find(|&i| lines[i].trim() == opener) else {
        return format!(
            "not a playbook file (line {}): [{table}]: {}",
            line + 1,
            words(message)
        );
    };
    let index = lines[..=entry]
        .iter()
        .filter(|l| l.trim() == opener)
        .count();
    let end = (entry + 1..lines.len())
        .find(|&i| lines[i].trim() == opener || is_other_entry(lines[i], &table))
        .unwrap_or(lines.len());
    let block = &lines[entry..end];
    let key = block.iter().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        (k.trim() == "key").then(|| v.trim().trim_matches('"').to_string())
    });
    let (field, at) = field_of(block, message)
        .map(|(f, i)| (Some(f), entry + i))
        .unwrap_or((None, entry));
    format!(
        "not a playbook file: {table}[{index}]{}{}: {} (line {})",
        key.map(|k| format!(" (key '{k}')")).unwrap_or_default(),
        field.map(|f| format!(", field '{f}'")).unwrap_or_default(),
        words(message),
        at + 1
    )
}

fn is_other_entry(line: &str, table: &str) -> bool {
    let t = line.trim();
    t.starts_with("[[") && !t.starts_with(&format!("[[{table}."))
        || (t.starts_with('[') && !t.starts_with("[[") && !t.starts_with(&format!("[{table}.")))
}

/// The field the error is about: named by the message (`missing field`), or the one whose
/// value is the one the message quotes.
fn field_of(block: &[&str], message: &str) -> Option<(String, usize)> {
    if let Some(name) = between(message, "missing field `", "`") {
        return Some((name.to_string(), 0));
    }
    let found = between(message, "string \"", "\"")
        .map(|v| format!("\"{v}\""))
        .or_else(|| between(message, "variant `", "`").map(|v| format!("\"{v}\"")))
        .or_else(|| between(message, "integer `", "`").map(str::to_string))
        .or_else(|| between(message, "floating point `", "`").map(str::to_string))
        .or_else(|| between(message, "boolean `", "`").map(str::to_string))?;
    block.iter().enumerate().find_map(|(i, l)| {
        let (k, v) = l.split_once('=')?;
        (v.trim() == found).then(|| (k.trim().to_string(), i))
    })
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let rest = &text[text.find(open)? + open.len()..];
    Some(&rest[..rest.find(close)?])
}

/// serde's wording in plain words.
fn words(message: &str) -> String {
    let message = message.trim();
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        if let Some((found, expected)) = rest.split_once(", expected ") {
            return format!("expected {}, found {}", kind(expected), kind(found));
        }
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        if let Some((found, expected)) = rest.split_once(", expected ") {
            return format!(
                "{} is not allowed here; use {}",
                found.replace('`', "'"),
                expected.replace('`', "'")
            );
        }
    }
    if let Some(name) = between(message, "missing field `", "`") {
        return format!("the field '{name}' is missing");
    }
    if let Some(name) = between(message, "unknown field `", "`") {
        return format!("'{name}' is not a field a playbook file has");
    }
    message.replace('`', "'")
}

fn kind(serde: &str) -> String {
    let t = serde.trim();
    if let Some(v) = between(t, "string \"", "\"") {
        return format!("the text \"{v}\"");
    }
    if let Some(v) = between(t, "integer `", "`") {
        return format!("the number {v}");
    }
    if let Some(v) = between(t, "floating point `", "`") {
        return format!("the number {v}");
    }
    if let Some(v) = between(t, "boolean `", "`") {
        return v.to_string();
    }
    match t {
        "u8" | "u16" | "u32" | "u64" | "usize" => "a whole number (0 or more)".into(),
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number".into(),
        "f32" | "f64" => "a number".into(),
        "a string" | "string" => "text in quotes".into(),
        "a boolean" | "bool" => "true or false".into(),
        "a sequence" | "sequence" | "an array" => "a list [ … ]".into(),
        "map" | "a map" | "a table" => "a table".into(),
        other => other.replace('`', "'"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_errors_name_the_entry_and_the_field() {
        let text = "format = 2\n\n[[terms]]\nkey = \"lead\"\nname = \"Lead\"\ndefinition = \"x\"\n\n[[stages]]\nkey = \"mql\"\nname = \"MQL\"\nposition = \"one\"\n";
        let start = text.find("[[stages]]");
        let m = describe(text, "invalid type: string \"one\", expected u32", start);
        assert_eq!(
            m,
            "not a playbook file: stages[1] (key 'mql'), field 'position': expected a whole number (0 or more), found the text \"one\" (line 11)"
        );
        let m = describe(text, "missing field `side`", start);
        assert!(
            m.contains("stages[1] (key 'mql'), field 'side': the field 'side' is missing"),
            "{m}"
        );
    }
}

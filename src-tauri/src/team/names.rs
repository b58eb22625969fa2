//! How member names and emails are cleaned and compared: invisible and control characters
//! are refused, whitespace is collapsed, and two texts that a reader could mistake for each
//! other (same Unicode TR39 skeleton, or the same letters once case and accents are set
//! aside) are confusable.
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

use crate::error::{AppError, AppResult};

/// Longest member name accepted (characters).
pub const MAX_NAME_CHARS: usize = 200;
/// Longest email accepted (characters; what mail systems accept).
pub const MAX_EMAIL_CHARS: usize = 254;

/// Characters that show nothing, or steer how the rest is shown: controls, format
/// characters (bidi overrides and isolates, zero-width joiners, soft hyphens, tags),
/// private-use and unassigned code points, and the blank-looking fillers.
fn invisible(c: char) -> bool {
    matches!(
        c.general_category(),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::PrivateUse
            | GeneralCategory::Unassigned
            | GeneralCategory::Surrogate
    ) || matches!(
        c,
        '\u{034F}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{2800}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FFA0}'
            | '\u{E0100}'..='\u{E01EF}'
    )
}

/// The first invisible character in `text`, as `U+XXXX`.
fn first_invisible(text: &str) -> Option<String> {
    text.chars()
        .find(|c| invisible(*c))
        .map(|c| format!("U+{:04X}", c as u32))
}

/// NFC, every run of whitespace (tabs and non-breaking spaces included) made one space,
/// trimmed.
pub fn collapse(text: &str) -> String {
    text.nfc()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A member's name as stored: collapsed; refused when empty, too long, or holding
/// invisible or control characters.
pub fn clean_name(text: &str) -> AppResult<String> {
    let name = collapse(text);
    if name.is_empty() {
        return Err(AppError::invalid("name", "name: a member needs a name"));
    }
    if let Some(c) = first_invisible(&name) {
        return Err(AppError::invalid(
            "name",
            format!("name: it contains an invisible or control character ({c}); type the name as it is written"),
        ));
    }
    let n = name.chars().count();
    if n > MAX_NAME_CHARS {
        return Err(AppError::invalid(
            "name",
            format!("name: {n} characters is too long; at most {MAX_NAME_CHARS}"),
        ));
    }
    Ok(name)
}

/// A member's email as stored and compared: NFC, trimmed, lowercase; refused when it holds
/// invisible or control characters or is no plausible address.
pub fn clean_email(text: &str) -> AppResult<String> {
    let email = text.trim().nfc().collect::<String>().to_lowercase();
    if let Some(c) = first_invisible(&email) {
        return Err(AppError::invalid(
            "email",
            format!("email: it contains an invisible or control character ({c})"),
        ));
    }
    if email.chars().count() > MAX_EMAIL_CHARS {
        return Err(AppError::invalid(
            "email",
            format!("email: too long; at most {MAX_EMAIL_CHARS} characters"),
        ));
    }
    if !is_plausible_email(&email) {
        return Err(AppError::invalid(
            "email",
            format!("email: '{email}' is not an email address"),
        ));
    }
    Ok(email)
}

/// A light check: one `@`, something before it, a dot in the domain, no spaces.
pub fn is_plausible_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !text.chars().any(char::is_whitespace)
}

/// What a text looks like (Unicode TR39 skeleton, case folded): `maya` with a Cyrillic `а`
/// has the skeleton of `maya`.
pub fn skeleton(text: &str) -> String {
    unicode_security::skeleton(&collapse(text).to_lowercase())
        .collect::<String>()
        .to_lowercase()
}

/// The letters a reader sees when case and accents are set aside: decomposed (NFD),
/// combining marks dropped, lowercase, whitespace collapsed (`Marín` → `marin`).
pub fn folded(text: &str) -> String {
    collapse(text)
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .collect::<String>()
        .to_lowercase()
}

/// The forms two texts are compared by: folded, skeleton, skeleton of the folded form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Look([String; 3]);

impl Look {
    pub fn of(text: &str) -> Look {
        let f = folded(text);
        let s = skeleton(&f);
        Look([f, skeleton(text), s])
    }

    /// Whether a reader could take one for the other: any form the same.
    pub fn like(&self, other: &Look) -> bool {
        self.0.iter().zip(&other.0).any(|(a, b)| a == b)
    }
}

/// Whether a reader could take one text for the other.
pub fn confusable(a: &str, b: &str) -> bool {
    Look::of(a).like(&Look::of(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_collapsed_and_invisible_characters_refused() {
        assert_eq!(
            clean_name("  Daniel \t Brooks\u{00A0}").unwrap(),
            "Daniel Brooks"
        );
        for bad in [
            "Eve\u{202E}kooB",
            "Ma\u{200B}ya",
            "Tom\u{0007}",
            "So\u{2066}fia",
            "\u{3164}",
        ] {
            assert_eq!(
                clean_name(bad).unwrap_err().field.as_deref(),
                Some("name"),
                "{bad:?}"
            );
        }
        assert!(clean_name(&"x".repeat(MAX_NAME_CHARS + 1)).is_err());
        assert!(clean_email("ma\u{200D}ya@larkspur.example").is_err());
        assert_eq!(
            clean_email(" Maya@Larkspur.EXAMPLE ").unwrap(),
            "maya@larkspur.example"
        );
    }

    #[test]
    fn look_alikes_are_confusable() {
        for (a, b) in [
            ("Sofia Marin", "Sofia Marín"),
            ("Daniel Brooks", "Daniel  Brooks"),
            ("Maya Okafor", "Maya\tOkafor"),
            ("Daniel Brooks", "Daniel Brookś"),
            ("Maya Okafor", "MAYA OKAFOR"),
            (
                "maya.okafor@larkspur.example",
                "m\u{0430}ya.okafor@larkspur.example",
            ),
        ] {
            assert!(confusable(a, b), "{a:?} vs {b:?}");
        }
        assert!(!confusable("maya@a.example", "mara@a.example"));
        assert!(!confusable("Sofia Marin", "Sofia Martin"));
    }
}

//! Highlights for search results: the words of a query found in a title or a passage, as
//! [start, end) offsets in UTF-16 code units of plain text. Words are compared as FTS5's
//! `unicode61 remove_diacritics 2` tokenizer compares them (letters and digits, lowercase,
//! accents removed), the last word as a prefix while it is being typed. Done here on the
//! few results shown, so a search need not run its full-text query once more per result.
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// The words of a query, normalised, and whether the last one is a prefix.
pub struct Words {
    words: Vec<String>,
    last_is_prefix: bool,
}

fn fold(word: &str) -> String {
    word.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

impl Words {
    pub fn of(query: &str) -> Words {
        let words: Vec<String> = query
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(12)
            .map(fold)
            .collect();
        Words {
            words,
            last_is_prefix: !query.ends_with(|c: char| c.is_whitespace() || c == '"'),
        }
    }

    fn hits(&self, token: &str) -> bool {
        let t = fold(token);
        let n = self.words.len();
        self.words.iter().enumerate().any(|(i, w)| {
            t == *w || (i + 1 == n && self.last_is_prefix && t.starts_with(w.as_str()))
        })
    }
}

/// (byte start, byte end) of each token of `text`.
fn tokens(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, text.len()));
    }
    out
}

fn utf16_len(s: &str) -> u32 {
    s.encode_utf16().count() as u32
}

/// The matched words of `text`, in UTF-16 offsets.
pub fn marks(text: &str, words: &Words) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    let mut pos = 0u32;
    let mut last = 0usize;
    for (s, e) in tokens(text) {
        pos += utf16_len(&text[last..s]);
        let len = utf16_len(&text[s..e]);
        if words.hits(&text[s..e]) {
            out.push((pos, pos + len));
        }
        pos += len;
        last = e;
    }
    out
}

/// How far into a file's text a passage is looked for (a PDF's text may be a megabyte).
const PASSAGE_SCAN_BYTES: usize = 64 * 1024;

/// A passage of about `width` words around the first match in `text` (looked for in its
/// first 64 KiB), with its marks, or None when nothing there matches.
pub fn passage(text: &str, words: &Words, width: usize) -> Option<(String, Vec<(u32, u32)>)> {
    let mut cut = text.len().min(PASSAGE_SCAN_BYTES);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let text = &text[..cut];
    let toks = tokens(text);
    let first = toks.iter().position(|(s, e)| words.hits(&text[*s..*e]))?;
    let from = first.saturating_sub(width / 3);
    let to = (from + width).min(toks.len());
    let start = if from == 0 { 0 } else { toks[from].0 };
    let end = if to == toks.len() {
        text.len()
    } else {
        toks[to - 1].1
    };
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.push_str(&text[start..end]);
    if end < text.len() {
        out.push('…');
    }
    let marks = marks(&out, words);
    Some((out, marks))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_words_and_the_prefix_being_typed() {
        let w = Words::of("acme pric");
        assert_eq!(
            marks("Beat Acme on pricing, not ACME's price", &w),
            vec![(5, 9), (13, 20), (26, 30), (33, 38)]
        );
        let done = Words::of("acme pric ");
        assert_eq!(
            marks("pricing", &done),
            vec![],
            "a finished word is not a prefix"
        );
    }

    #[test]
    fn accents_and_wide_characters() {
        let w = Words::of("ubergabe");
        assert_eq!(marks("👍 Übergabe", &w), vec![(3, 11)]);
    }

    #[test]
    fn passages_centre_on_the_first_match() {
        let w = Words::of("zephyrine ");
        let text = "one two three four five six seven eight nine ten zephyrine eleven twelve";
        let (p, m) = passage(text, &w, 6).unwrap();
        assert_eq!(p, "…nine ten zephyrine eleven twelve");
        assert_eq!(m, vec![(10, 19)]);
        assert!(passage("nothing here", &w, 6).is_none());
    }
}

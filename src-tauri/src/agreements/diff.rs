//! A readable side-by-side comparison of two versions: field by field, with a word diff.
use serde::Serialize;
use specta::Type;

use super::AgreementVersion;
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum DiffOp {
    Same,
    Removed,
    Added,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct DiffSegment {
    pub op: DiffOp,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct FieldDiff {
    pub field: String,
    pub left: String,
    pub right: String,
    pub changed: bool,
    /// Word-level changes from left to right.
    pub segments: Vec<DiffSegment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct VersionDiff {
    pub left: AgreementVersion,
    pub right: AgreementVersion,
    pub fields: Vec<FieldDiff>,
    /// The two versions say the same (a version compared with itself, or a restatement).
    pub identical: bool,
}

/// Compares two versions of the same item, field by field, in people's words
/// (`stage_name` names a stage key).
pub fn compare(
    left: AgreementVersion,
    right: AgreementVersion,
    stage_name: &dyn Fn(&str) -> String,
) -> AppResult<VersionDiff> {
    if left.item_id != right.item_id {
        return Err(AppError::invalid(
            "right",
            format!(
                "{} and {} are different items; compare two versions of the same item",
                left.reference(),
                right.reference()
            ),
        ));
    }
    let mut l = vec![("Name", left.name.clone())];
    l.extend(left.body.fields(stage_name));
    let mut r = vec![("Name", right.name.clone())];
    r.extend(right.body.fields(stage_name));
    let fields = l
        .into_iter()
        .zip(r)
        .map(|((field, a), (_, b))| FieldDiff {
            field: field.to_string(),
            changed: a != b,
            segments: word_diff(&a, &b),
            left: a,
            right: b,
        })
        .collect::<Vec<FieldDiff>>();
    Ok(VersionDiff {
        identical: fields.iter().all(|f| !f.changed),
        left,
        right,
        fields,
    })
}

/// Splits text into words and the spaces between them, keeping every character.
fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_space = None;
    for (i, c) in text.char_indices() {
        let space = c.is_whitespace();
        if in_space.is_some_and(|s| s != space) {
            out.push(&text[start..i]);
            start = i;
        }
        in_space = Some(space);
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// A word diff by longest common subsequence; very long texts fall back to a whole
/// replacement so the comparison stays quick.
///
/// ```
/// use playbook::agreements::diff::{word_diff, DiffOp};
/// let d = word_diff("score of 50", "score of 65");
/// assert_eq!(d.last().unwrap().op, DiffOp::Added);
/// assert_eq!(d.last().unwrap().text, "65");
/// ```
pub fn word_diff(left: &str, right: &str) -> Vec<DiffSegment> {
    let a = tokens(left);
    let b = tokens(right);
    let mut out: Vec<DiffSegment> = Vec::new();
    let mut push = |op: DiffOp, text: &str| {
        if text.is_empty() {
            return;
        }
        match out.last_mut() {
            Some(last) if last.op == op => last.text.push_str(text),
            _ => out.push(DiffSegment {
                op,
                text: text.to_string(),
            }),
        }
    };
    if a.len() * b.len() > 4_000_000 {
        push(DiffOp::Removed, left);
        push(DiffOp::Added, right);
        return out;
    }
    // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            push(DiffOp::Same, a[i]);
            i += 1;
            j += 1;
        } else if lcs[i + 1][j] >= lcs[i][j + 1] {
            push(DiffOp::Removed, a[i]);
            i += 1;
        } else {
            push(DiffOp::Added, b[j]);
            j += 1;
        }
    }
    a[i..].iter().for_each(|t| push(DiffOp::Removed, t));
    b[j..].iter().for_each(|t| push(DiffOp::Added, t));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(segments: &[DiffSegment]) -> String {
        segments
            .iter()
            .map(|s| match s.op {
                DiffOp::Same => s.text.clone(),
                DiffOp::Removed => format!("[-{}-]", s.text),
                DiffOp::Added => format!("{{+{}+}}", s.text),
            })
            .collect()
    }

    #[test]
    fn word_diff_marks_only_what_changed() {
        let d = word_diff(
            "Score of at least 50 and a business email",
            "Score of at least 65, a business email and a stated need",
        );
        assert_eq!(
            render(&d),
            "Score of at least [-50 and-]{+65,+} a business email{+ and a stated need+}"
        );
    }

    #[test]
    fn identical_and_empty_texts() {
        assert_eq!(render(&word_diff("same text", "same text")), "same text");
        assert_eq!(render(&word_diff("", "new")), "{+new+}");
        assert_eq!(render(&word_diff("old", "")), "[-old-]");
        assert!(word_diff("", "").is_empty());
    }
}

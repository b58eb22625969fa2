//! Text pulled out of stored files for search: plain text and Markdown (pulldown-cmark),
//! HTML (html2text: tags stripped, never rendered) and PDF (pdf-extract, over lopdf).
//! Every format is read from a bounded prefix of the file. PDF parsing runs in a child
//! process (`playbook extract-text`) with a time and a memory limit, so a hostile PDF
//! (a decompression bomb, a parser loop, a panic) costs a failed index entry, never the app.
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::{AppError, AppResult};

/// At most this much text is kept per file (about 300 pages of prose).
pub const MAX_TEXT_BYTES: usize = 1024 * 1024;
/// Text formats are read from this much of the file.
const MAX_TEXT_INPUT: u64 = 4 * 1024 * 1024;
/// Larger PDFs are stored but not indexed: parsing reads the whole file into memory.
pub const MAX_PDF_BYTES: u64 = 64 * 1024 * 1024;
/// The child process parsing a PDF is stopped after this long…
pub const PDF_TIME_LIMIT: Duration = Duration::from_secs(20);
/// …or when its address space would pass this (the PDF's own size included).
pub const PDF_MEMORY_LIMIT: u64 = 1536 * 1024 * 1024;

/// What was pulled out of a file, and how it went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    pub text: String,
    /// `indexed`, `truncated` (only the first part), `none` (a format without text we
    /// read), or `failed: why`.
    pub status: String,
}

impl Extracted {
    fn none() -> Extracted {
        Extracted {
            text: String::new(),
            status: "none".into(),
        }
    }
    fn failed(why: impl std::fmt::Display) -> Extracted {
        Extracted {
            text: String::new(),
            status: format!("failed: {why}"),
        }
    }
    fn of(text: String, truncated: bool) -> Extracted {
        let (text, cut) = bounded(clean(&text));
        Extracted {
            text,
            status: if truncated || cut {
                "truncated".into()
            } else {
                "indexed".into()
            },
        }
    }
}

/// The formats whose text is indexed, for the README and the window.
pub const INDEXED_FORMATS: [&str; 4] = [
    "application/pdf",
    "text/markdown",
    "text/html",
    "text/plain",
];

/// Pulls the text out of a stored file of this media type.
pub fn extract(path: &Path, media_type: &str) -> Extracted {
    match media_type {
        "application/pdf" => pdf_in_child(path),
        "text/plain" | "text/markdown" | "text/html" => match read_prefix(path) {
            Ok((bytes, truncated)) => text_of(media_type, &bytes, truncated),
            Err(e) => Extracted::failed(e.message),
        },
        _ => Extracted::none(),
    }
}

/// Text of an in-memory file of a text format (`truncated`: the bytes are a prefix).
pub fn text_of(media_type: &str, bytes: &[u8], truncated: bool) -> Extracted {
    let text = String::from_utf8_lossy(bytes);
    match media_type {
        "text/markdown" => Extracted::of(markdown_text(&text), truncated),
        // The trivial decorator: no "# " before headings, no "* " before list items, so
        // snippets read as prose.
        "text/html" => {
            match html2text::config::with_decorator(html2text::render::TrivialDecorator::new())
                .no_table_borders()
                .string_from_read(text.as_bytes(), 10_000)
            {
                Ok(t) => Extracted::of(t, truncated),
                Err(e) => Extracted::failed(format!("the HTML could not be read ({e})")),
            }
        }
        _ => Extracted::of(text.into_owned(), truncated),
    }
}

fn markdown_text(md: &str) -> String {
    use pulldown_cmark::{Event, Parser, TagEnd};
    let mut out = String::with_capacity(md.len());
    for event in Parser::new(md) {
        match event {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item) => out.push('\n'),
            _ => {}
        }
    }
    out
}

fn read_prefix(path: &Path) -> AppResult<(Vec<u8>, bool)> {
    let file = std::fs::File::open(path)
        .map_err(|e| AppError::io(format!("cannot read {}: {e}", path.display())))?;
    let size = file.metadata()?.len();
    let mut bytes = Vec::with_capacity(size.min(MAX_TEXT_INPUT) as usize);
    file.take(MAX_TEXT_INPUT).read_to_end(&mut bytes)?;
    Ok((bytes, size > MAX_TEXT_INPUT))
}

/// Whitespace collapsed, control characters dropped.
fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if c.is_whitespace() || c.is_control() {
            space = !out.is_empty();
        } else {
            if space {
                out.push(' ');
                space = false;
            }
            out.push(c);
        }
    }
    out
}

fn bounded(mut text: String) -> (String, bool) {
    if text.len() <= MAX_TEXT_BYTES {
        return (text, false);
    }
    let mut cut = MAX_TEXT_BYTES;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text.truncate(cut);
    (text, true)
}

/// Parses a PDF in this process: what the `extract-text` child runs. Never call it on an
/// untrusted file from the app itself; use [`extract`].
pub fn pdf_in_process(path: &Path) -> AppResult<String> {
    let bytes = std::fs::read(path)
        .map_err(|e| AppError::io(format!("cannot read {}: {e}", path.display())))?;
    pdf_extract::extract_text_from_mem(&bytes)
        .map_err(|e| AppError::invalid("file", format!("the PDF could not be read: {e}")))
}

/// The program that runs `extract-text`: this executable, or `PLAYBOOK_TEXT_HELPER`
/// (for tests that run the library inside a test harness).
fn helper() -> AppResult<PathBuf> {
    if let Some(p) = std::env::var_os("PLAYBOOK_TEXT_HELPER") {
        return Ok(PathBuf::from(p));
    }
    std::env::current_exe().map_err(|e| AppError::io(format!("cannot find Playbook itself: {e}")))
}

fn pdf_in_child(path: &Path) -> Extracted {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if size > MAX_PDF_BYTES {
        return Extracted::failed(format!(
            "PDFs up to {} MB are indexed; this one has {} MB",
            MAX_PDF_BYTES / 1_000_000,
            size / 1_000_000
        ));
    }
    let helper = match helper() {
        Ok(h) => h,
        Err(e) => return Extracted::failed(e.message),
    };
    let mut cmd = Command::new(helper);
    cmd.arg("extract-text")
        .arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    limit_memory(&mut cmd);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return Extracted::failed(format!("the text reader did not start ({e})")),
    };
    let Some(mut stdout) = child.stdout.take() else {
        let _ = child.kill();
        return Extracted::failed("the text reader has no output");
    };
    // Read its output on another thread (bounded), so a full pipe never stalls it.
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = (&mut stdout)
            .take(MAX_TEXT_BYTES as u64 + 4)
            .read_to_end(&mut out);
        out
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if start.elapsed() > PDF_TIME_LIMIT => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(_) => break None,
        }
    };
    let out = reader.join().unwrap_or_default();
    match status {
        None => Extracted::failed(format!(
            "reading the PDF took longer than {} s and was stopped",
            PDF_TIME_LIMIT.as_secs()
        )),
        Some(s) if !s.success() => {
            Extracted::failed("the PDF could not be read (damaged, encrypted, or too demanding)")
        }
        Some(_) => {
            let cut = out.len() > MAX_TEXT_BYTES;
            Extracted::of(String::from_utf8_lossy(&out).into_owned(), cut)
        }
    }
}

#[cfg(unix)]
fn limit_memory(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    let limit = PDF_MEMORY_LIMIT as libc::rlim_t;
    // SAFETY: setrlimit is async-signal-safe; the closure touches nothing else of the
    // parent between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            let rl = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            libc::setrlimit(libc::RLIMIT_AS, &rl);
            Ok(())
        });
    }
}

#[cfg(not(unix))]
fn limit_memory(_cmd: &mut Command) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_and_html_become_plain_text() {
        let md = text_of(
            "text/markdown",
            b"# Pricing\n\nPlaybook costs **less** than `doing nothing`.",
            false,
        );
        assert_eq!(md.text, "Pricing Playbook costs less than doing nothing.");
        assert_eq!(md.status, "indexed");
        let html = text_of(
            "text/html",
            b"<html><script>alert(1)</script><body><h1>ROI</h1><p>Payback in <b>7</b> months</p><ul><li>Fewer rejections</li></ul></body></html>",
            false,
        );
        assert!(
            html.text.starts_with("ROI"),
            "no heading marks: {}",
            html.text
        );
        assert!(
            html.text.ends_with("months Fewer rejections"),
            "no list marks: {}",
            html.text
        );
        assert!(html.text.contains("Payback in 7 months"), "{}", html.text);
        assert!(!html.text.contains('<'), "tags are stripped: {}", html.text);
        assert!(
            !html.text.contains("alert"),
            "scripts are not text: {}",
            html.text
        );
    }

    #[test]
    fn text_is_bounded() {
        let big = "word ".repeat(MAX_TEXT_BYTES / 2);
        let e = text_of("text/plain", big.as_bytes(), false);
        assert_eq!(e.status, "truncated");
        assert!(e.text.len() <= MAX_TEXT_BYTES);
    }
}

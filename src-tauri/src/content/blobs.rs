//! The content store: files copied into `DATA/content/sha256/<aa>/<hash>`, named by the
//! SHA-256 of their bytes (the same file twice is stored once), streamed through a
//! temporary file so a large file never sits in memory, with the media type sniffed from
//! the bytes. Nothing outside the store is written: names given by people are never
//! paths, and a link planted inside the store is refused, never followed.
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult};

/// Files larger than this are refused (2 GiB: sizes are kept and shown as signed 32-bit
/// numbers, end to end).
pub const MAX_FILE_BYTES: u64 = i32::MAX as u64;
const TOO_LARGE: &str =
    "the file is larger than 2 GiB; store it elsewhere and add a link to it instead";
/// How much of the head of a file the sniffers look at.
const HEAD_BYTES: usize = 8192;
const CHUNK: usize = 256 * 1024;

pub struct Store {
    root: PathBuf,
}

/// What storing a file found out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Put {
    pub sha256: String,
    pub size: u64,
    pub media_type: String,
    /// False when the bytes were already stored.
    pub new: bool,
    pub path: PathBuf,
}

impl Store {
    /// The store of the workspace in `data_dir`.
    pub fn of(data_dir: &Path) -> Store {
        Store {
            root: data_dir.join("content"),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A directory of the store, created if missing; refuses one that is a link or not a
    /// directory, so nothing written through it can land elsewhere.
    fn dir(&self, parts: &[&str]) -> AppResult<PathBuf> {
        let mut path = self.root.clone();
        real_dir(&path)?;
        for p in parts {
            path.push(p);
            real_dir(&path)?;
        }
        Ok(path)
    }

    /// The stored file with this hash: a regular file inside the store, never a link.
    pub fn path_of(&self, sha256: &str) -> AppResult<PathBuf> {
        check_hash(sha256)?;
        let path = self.root.join("sha256").join(&sha256[..2]).join(sha256);
        match fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_file() => Ok(path),
            Ok(_) => Err(AppError::io(format!(
                "the stored file {sha256} is not a regular file; it is not opened"
            ))),
            Err(_) => Err(AppError::not_found(format!(
                "the file {sha256} is not in this laptop's content store"
            ))),
        }
    }

    /// Streams `source` into the store: hashed and copied chunk by chunk into a temporary
    /// file inside the store, then renamed to its hash (or dropped if that is stored).
    pub fn put_file(&self, source: &Path) -> AppResult<Put> {
        let meta = fs::metadata(source)
            .map_err(|e| AppError::io(format!("cannot read {}: {e}", source.display())))?;
        if !meta.is_file() {
            return Err(AppError::invalid(
                "file",
                format!("{} is not a regular file", source.display()),
            ));
        }
        // Refused before a byte is copied (the stream checks again: a file may grow).
        if meta.len() > MAX_FILE_BYTES {
            return Err(AppError::invalid("file", TOO_LARGE));
        }
        let file = File::open(source)
            .map_err(|e| AppError::io(format!("cannot read {}: {e}", source.display())))?;
        self.put_reader(file)
    }

    /// [`put_file`](Self::put_file) for bytes made in memory (the demo's small files).
    pub fn put_bytes(&self, bytes: &[u8]) -> AppResult<Put> {
        self.put_reader(bytes)
    }

    fn put_reader(&self, mut source: impl Read) -> AppResult<Put> {
        let tmp_dir = self.dir(&["tmp"])?;
        let tmp = tmp_dir.join(format!("{}.part", crate::db::new_id()));
        let mut out = create_new(&tmp)?;
        let result = (|| -> AppResult<(String, u64, Vec<u8>)> {
            let mut hasher = Sha256::new();
            let mut head = Vec::with_capacity(HEAD_BYTES);
            let mut buf = vec![0u8; CHUNK];
            let mut size: u64 = 0;
            loop {
                let n = match source.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(AppError::io(format!("reading the file failed: {e}"))),
                };
                size += n as u64;
                if size > MAX_FILE_BYTES {
                    return Err(AppError::invalid("file", TOO_LARGE));
                }
                if head.len() < HEAD_BYTES {
                    let take = (HEAD_BYTES - head.len()).min(n);
                    head.extend_from_slice(&buf[..take]);
                }
                hasher.update(&buf[..n]);
                out.write_all(&buf[..n])?;
            }
            if size == 0 {
                return Err(AppError::invalid(
                    "file",
                    "the file is empty; there is nothing to store",
                ));
            }
            out.sync_all()?;
            Ok((hex::encode(hasher.finalize()), size, head))
        })();
        drop(out);
        let (sha256, size, head) = match result {
            Ok(r) => r,
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                return Err(e);
            }
        };
        let dir = self.dir(&["sha256", &sha256[..2]])?;
        let path = dir.join(&sha256);
        let new = match fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_file() && m.len() == size => {
                fs::remove_file(&tmp)?;
                false
            }
            // Anything else under that name (a planted link, a damaged copy) is replaced:
            // rename swaps the name itself, it never follows a link.
            _ => {
                fs::rename(&tmp, &path)?;
                true
            }
        };
        Ok(Put {
            sha256,
            size,
            media_type: sniff(&head),
            new,
            path,
        })
    }
}

fn check_hash(sha256: &str) -> AppResult<()> {
    if sha256.len() == 64
        && sha256
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(())
    } else {
        Err(AppError::invalid(
            "sha256",
            format!("'{sha256}' is not a SHA-256 in lowercase hex"),
        ))
    }
}

/// Creates `path` as a real directory, or accepts it if it is one (not a link to one).
fn real_dir(path: &Path) -> AppResult<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_dir() => Ok(()),
        Ok(_) => Err(AppError::io(format!(
            "{} should be a folder of the content store but is a link or a file; Playbook writes nothing through it",
            path.display()
        ))),
        Err(_) => {
            fs::create_dir(path)
                .or_else(|e| match e.kind() {
                    std::io::ErrorKind::AlreadyExists => Ok(()),
                    _ => Err(e),
                })
                .map_err(|e| AppError::io(format!("cannot create {}: {e}", path.display())))?;
            match fs::symlink_metadata(path) {
                Ok(m) if m.file_type().is_dir() => Ok(()),
                _ => Err(AppError::io(format!(
                    "{} is not a folder",
                    path.display()
                ))),
            }
        }
    }
}

/// A new file that did not exist (never opened through a link).
fn create_new(path: &Path) -> AppResult<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    options
        .open(path)
        .map_err(|e| AppError::io(format!("cannot write {}: {e}", path.display())))
}

/// The media type of a file from its first bytes: binary formats by their signatures
/// (`infer`), then text (UTF-8 without NULs) as HTML when it says so, else plain text.
///
/// ```
/// use playbook::content::blobs::sniff;
/// assert_eq!(sniff(b"%PDF-1.7\n..."), "application/pdf");
/// assert_eq!(sniff(b"<!DOCTYPE html><html><body>Hi</body></html>"), "text/html");
/// assert_eq!(sniff(b"# Title\n\nSome words."), "text/plain");
/// assert_eq!(sniff(&[0u8, 159, 146, 150]), "application/octet-stream");
/// ```
pub fn sniff(head: &[u8]) -> String {
    if let Some(t) = infer::get(head) {
        return t.mime_type().to_string();
    }
    if looks_like_text(head) {
        let start: String = String::from_utf8_lossy(&head[..head.len().min(512)])
            .trim_start_matches('\u{feff}')
            .trim_start()
            .chars()
            .take(64)
            .collect::<String>()
            .to_ascii_lowercase();
        if start.starts_with("<!doctype html") || start.starts_with("<html") {
            return "text/html".into();
        }
        return "text/plain".into();
    }
    "application/octet-stream".into()
}

fn looks_like_text(head: &[u8]) -> bool {
    if head.contains(&0) {
        return false;
    }
    match std::str::from_utf8(head) {
        Ok(_) => true,
        // A character cut at the end of the head is still text.
        Err(e) => e.error_len().is_none() && head.len() - e.valid_up_to() < 4,
    }
}

/// The media type a text file's name gives it, within what its content allows: only a
/// plain-text file may be called Markdown by its extension.
pub fn refine_text_type(sniffed: &str, name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    if sniffed == "text/plain" && (lower.ends_with(".md") || lower.ends_with(".markdown")) {
        "text/markdown".into()
    } else {
        sniffed.to_string()
    }
}

/// A warning when a file's extension claims another kind of content than its bytes.
pub fn extension_warning(name: &str, media_type: &str) -> Option<String> {
    let ext = Path::new(name)
        .extension()
        .and_then(|e| e.to_str())?
        .to_ascii_lowercase();
    let expected: &[&str] = match ext.as_str() {
        "pdf" => &["application/pdf"],
        "png" => &["image/png"],
        "jpg" | "jpeg" => &["image/jpeg"],
        "gif" => &["image/gif"],
        "webp" => &["image/webp"],
        "html" | "htm" => &["text/html"],
        "md" | "markdown" | "txt" => &["text/plain", "text/markdown"],
        "pptx" => &["application/vnd.openxmlformats-officedocument.presentationml.presentation"],
        "docx" => &["application/vnd.openxmlformats-officedocument.wordprocessingml.document"],
        "xlsx" => &["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"],
        "zip" => &["application/zip"],
        "mp4" => &["video/mp4"],
        _ => return None,
    };
    (!expected.contains(&media_type)).then(|| {
        format!("the name says .{ext}, but the content is {media_type}; it is stored and indexed as {media_type}")
    })
}

/// The name shown for a file: the last part of what was given, without control
/// characters or separators, at most 200 characters. It is never used as a path.
///
/// ```
/// use playbook::content::blobs::display_name;
/// assert_eq!(display_name("../../etc/passwd"), "passwd");
/// assert_eq!(display_name("C:\\Users\\ana\\Deck.pptx"), "Deck.pptx");
/// assert_eq!(display_name(".."), "file");
/// assert_eq!(display_name("rtl\u{202E}gnp.exe"), "rtlgnp.exe");
/// ```
pub fn display_name(given: &str) -> String {
    let last = given
        .rsplit(['/', '\\'])
        .find(|p| !p.trim().is_empty())
        .unwrap_or("");
    // Control characters and text-direction controls (which make `gnp.exe` read as
    // `exe.png`) are dropped.
    let clean: String = last
        .chars()
        .filter(|c| !c.is_control() && !crate::imports::values::bidi_control(*c))
        .take(200)
        .collect();
    let clean = clean.trim().to_string();
    if clean.is_empty() || clean.chars().all(|c| c == '.') {
        "file".into()
    } else {
        clean
    }
}

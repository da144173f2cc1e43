//! The library's typed errors. Only an unreadable archive stops a load; cache trouble never does.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io;
use std::path::PathBuf;

/// Why an archive could not be read. Every message names what is wrong, not just that something is, and
/// is one line: text that comes from the archive (entry names, the tar crate's own messages) is shown
/// with its control characters escaped, so a crafted name can neither drive the terminal nor forge a line.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("cannot read the file: {}", escape_controls(&.0.to_string()))]
    Unreadable(io::Error),
    #[error("empty file (0 bytes)")]
    EmptyFile,
    #[error("neither a gzip nor a tar file (it starts with {0})")]
    UnknownFormat(String),
    #[error("corrupt or truncated gzip stream: {}", escape_controls(&.0.to_string()))]
    Gzip(io::Error),
    #[error(
        "{bytes} bytes after the gzip stream's last member (from byte {offset}) are not gzip data"
    )]
    TrailingData { offset: u64, bytes: u64 },
    #[error("corrupt tar: {}", escape_controls(&.0.to_string()))]
    Tar(io::Error),
    #[error(
        "corrupt tar: entry {}'s PAX size record is unreadable or not applied, so the entries after it cannot be found",
        escape_controls(path)
    )]
    UncertainSize { path: String },
    #[error("truncated tar: the stream ends without the end-of-archive marker")]
    TruncatedTar,
    #[error(
        "entry {} is {size} bytes, over the per-entry limit of {limit} bytes",
        escape_controls(path)
    )]
    EntryTooLarge { path: String, size: u64, limit: u64 },
    #[error(
        "more than {limit} bytes once decompressed (a decompression bomb?); raise the limit if the archive is genuine"
    )]
    TotalTooLarge { limit: u64 },
    #[error("empty archive: it holds no entries")]
    NoEntries,
    #[error(
        "its SHA-256 is {actual}, but the one given with it (computed at build time) is {declared}: the build script hashed another file"
    )]
    HashMismatch { declared: String, actual: String },
    #[error(
        "no CSV databases in the archive ({skipped} entries skipped: {})",
        escape_controls(examples)
    )]
    NoDatabases { skipped: usize, examples: String },
}

/// `text` with every character that could break a one-line message or move the cursor written as an
/// escape: C0 and C1 controls and DEL (`\n`, `\r`, `\t`, `\x1b`, `\u{85}`), the Unicode line and
/// paragraph separators, and the bidirectional controls that reorder what a terminal shows.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) && (c as u32) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
        )
}

/// The library's error type.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    // The details are part of each message rather than a separate source, so `{:#}` prints them once.
    #[error("archive {archive}: {error}")]
    Archive {
        archive: String,
        error: ArchiveError,
    },
    #[error("{}: {error}", path.display())]
    Io { path: PathBuf, error: io::Error },
    #[error("cache {}: {state}", path.display())]
    CacheUnusable {
        path: PathBuf,
        state: crate::cache::CacheState,
    },
    #[error("cache {}: no cache file built from this archive; run a cold load first", dir.display())]
    NoCache { dir: PathBuf },
    #[error("{}: not a cache file of this data dir", path.display())]
    NotACacheFile { path: PathBuf },
    #[error("no data directory: set --data-dir or BACKSTORE_DATA_DIR")]
    NoDataDir,
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, error: io::Error) -> Self {
        Error::Io {
            path: path.into(),
            error,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

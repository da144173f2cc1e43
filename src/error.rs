//! The library's typed errors. Only an unreadable archive stops a load; cache trouble never does.

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::io;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::catalog::{IndexLimit, SkippedEntry};

/// Why an archive could not be read. Every message names what is wrong, not just that something is, and
/// is one line: text that comes from the archive (entry names, the tar crate's own messages) is shown
/// with its control characters escaped, so a crafted name can neither drive the terminal nor forge a line.
#[allow(missing_docs)] // a variant's fields are the values its message names
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The file cannot be read.
    #[error("cannot read the file: {}", escape_controls(&.0.to_string()))]
    Unreadable(io::Error),
    /// Empty file (0 bytes).
    #[error("empty file (0 bytes)")]
    EmptyFile,
    /// Neither a gzip nor a tar file (the message shows its first bytes).
    #[error("neither a gzip nor a tar file (it starts with {0})")]
    UnknownFormat(String),
    /// The gzip stream is damaged or cut short.
    #[error("corrupt or truncated gzip stream: {}", escape_controls(&.0.to_string()))]
    Gzip(io::Error),
    /// Bytes after the last gzip member that are not another member.
    #[error(
        "{bytes} bytes after the gzip stream's last member (from byte {offset}) are not gzip data"
    )]
    TrailingData { offset: u64, bytes: u64 },
    /// The tar stream is damaged.
    #[error("corrupt tar: {}", escape_controls(&.0.to_string()))]
    Tar(io::Error),
    /// An entry's size cannot be trusted, so the entries after it cannot be found.
    #[error(
        "corrupt tar: entry {}'s PAX size record is unreadable or not applied, so the entries after it cannot be found",
        escape_controls(path)
    )]
    UncertainSize { path: String },
    /// Truncated tar: the stream ends without the end-of-archive marker.
    #[error("truncated tar: the stream ends without the end-of-archive marker")]
    TruncatedTar,
    /// One entry decompresses to more than the per-entry limit.
    #[error(
        "entry {} is {size} bytes, over the per-entry limit of {limit} bytes (raise it with \
         --max-entry-mib or --max-ratio if the archive is genuine)",
        escape_controls(path)
    )]
    EntryTooLarge { path: String, size: u64, limit: u64 },
    /// The archive decompresses to more than the total limit.
    #[error(
        "more than {limit} bytes once decompressed (a decompression bomb?); raise the limit with \
         --max-total-mib or --max-ratio if the archive is genuine"
    )]
    TotalTooLarge { limit: u64 },
    /// Empty archive: it holds no entries.
    #[error("empty archive: it holds no entries")]
    NoEntries,
    /// The SHA-256 given with in-memory bytes is not theirs.
    #[error(
        "its SHA-256 is {}, but the one given with it (computed at build time) is {}: the build script hashed another file",
        crate::hex::encode(actual),
        crate::hex::encode(declared)
    )]
    HashMismatch {
        declared: [u8; 32],
        actual: [u8; 32],
    },
    /// Nothing in the archive is a database: how many entries were skipped, and the first few of them.
    #[error(
        "no CSV databases in the archive ({skipped} entries skipped: {})",
        Examples(examples)
    )]
    NoDatabases {
        skipped: usize,
        examples: Vec<SkippedEntry>,
    },
    /// A database took the index over one of its limits ([`crate::Limits`]); nothing is loaded.
    #[error("{0}")]
    IndexTooLarge(CsvError),
    /// Building failed in a way no one database explains (a bug): nothing is loaded.
    #[error("internal error while building (a bug; please report it): {0}")]
    BuildFailed(BuildFailure),
}

/// What went wrong in a build that no one database explains; each is a bug.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildFailure {
    /// A thread of the build panicked outside any one database's parse; its panic message.
    #[error("a build thread panicked: {}", OneLine(.0))]
    ThreadPanicked(String),
    /// The archive's hash was to be computed while reading it, and was not.
    #[error("the archive's hash was never computed")]
    NotHashed,
    /// Databases were let go although no limit stopped the build.
    #[error("databases were let go without the limit that stopped them")]
    LetGo,
}

/// The first skipped entries, each with its reason, for a one-line message.
struct Examples<'a>(&'a [SkippedEntry]);

impl fmt::Display for Examples<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, entry) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{} ({})", OneLine(&entry.path), entry.reason.describe())?;
        }
        Ok(())
    }
}

/// Why one database could not be loaded; the archive's other databases still load.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum DatabaseError {
    /// Its CSV could not be read.
    #[error(transparent)]
    Csv(#[from] CsvError),
    /// Parsing or indexing it panicked (a bug), and only this database was given up.
    #[error(
        "{}: internal error while parsing it (a bug; please report it): {}",
        OneLine(path),
        OneLine(message)
    )]
    Panicked {
        /// The file's path inside the archive.
        #[serde(deserialize_with = "string")]
        path: String,
        /// The panic's message.
        #[serde(deserialize_with = "string")]
        message: String,
    },
}

/// A problem at one line of one CSV file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("{} line {line}: {problem}", OneLine(path))]
pub struct CsvError {
    /// The file's path inside the archive.
    #[serde(deserialize_with = "string")]
    pub path: String,
    /// The line the row starts on, counting from 1; CRLF, LF and a lone CR each end a line.
    pub line: u64,
    /// What is wrong there.
    pub problem: CsvProblem,
}

/// What is wrong at that line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum CsvProblem {
    /// A field is not valid UTF-8: `field` counts from 1 in the row as written, `byte` from 0 in the field.
    #[error("invalid UTF-8 in field {field} (at byte {byte} of the field)")]
    InvalidUtf8 {
        /// The field, counting from 1.
        field: u64,
        /// The first invalid byte, counting from 0 in the field.
        byte: u64,
    },
    /// The row takes the index over a limit.
    #[error("{0}")]
    OverLimit(IndexLimit),
}

/// Text from an archive inside a message: control characters are escaped, so a message stays on one line
/// and cannot drive a terminal.
struct OneLine<'a>(&'a str);

impl fmt::Display for OneLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&escape_controls(self.0))
    }
}

/// Decodes a string by borrowing it first, so a cache body's corrupt length fails a bounds check instead of
/// allocating whatever it claims.
fn string<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    struct Text;
    impl serde::de::Visitor<'_> for Text {
        type Value = String;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<String, E> {
            Ok(s.to_owned())
        }
    }
    deserializer.deserialize_str(Text)
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
#[allow(missing_docs)] // a variant's fields are the values its message names
#[derive(Debug, thiserror::Error)]
pub enum Error {
    // The details are part of each message rather than a separate source, so `{:#}` prints them once.
    /// The archive cannot be read.
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
    /// No data directory: set --data-dir or `BACKSTORE_DATA_DIR`.
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

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

//! The library's typed errors. Only an unreadable archive stops a load; cache trouble never does.

use std::fmt;
use std::io;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::catalog::IndexLimit;

/// Why an archive could not be read. Every message names what is wrong, not just that something is.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("cannot read the file: {0}")]
    Unreadable(io::Error),
    #[error("empty file (0 bytes)")]
    EmptyFile,
    #[error("not a gzip file (it starts with {0})")]
    NotGzip(String),
    #[error("corrupt or truncated gzip stream: {0}")]
    Gzip(io::Error),
    #[error("corrupt tar: {0}")]
    Tar(io::Error),
    #[error("truncated tar: the stream ends without the end-of-archive marker")]
    TruncatedTar,
    #[error(
        "entry {path} is {size} bytes, over the per-entry limit of {limit} bytes (raise it with \
         --max-entry-mib or --max-ratio if the archive is genuine)"
    )]
    EntryTooLarge { path: String, size: u64, limit: u64 },
    #[error(
        "more than {limit} bytes once decompressed (a decompression bomb?); raise the limit with \
         --max-total-mib or --max-ratio if the archive is genuine"
    )]
    TotalTooLarge { limit: u64 },
    #[error("empty archive: it holds no entries")]
    NoEntries,
    #[error("no CSV databases in the archive ({skipped} entries skipped: {examples})")]
    NoDatabases { skipped: usize, examples: String },
    /// A database took the index over one of its limits ([`crate::Limits`]); nothing is loaded.
    #[error("{0}")]
    IndexTooLarge(CsvError),
    /// Building failed in a way no one database explains (a bug): nothing is loaded.
    #[error("internal error while building (a bug; please report it): {}", OneLine(.0))]
    BuildFailed(String),
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
        #[serde(deserialize_with = "string")]
        path: String,
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
    pub problem: CsvProblem,
}

/// What is wrong at that line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum CsvProblem {
    /// A field is not valid UTF-8: `field` counts from 1 in the row as written, `byte` from 0 in the field.
    #[error("invalid UTF-8 in field {field} (at byte {byte} of the field)")]
    InvalidUtf8 { field: u64, byte: u64 },
    /// The row takes the index over a limit.
    #[error("{0}")]
    OverLimit(IndexLimit),
}

/// Text from an archive inside a message: control characters are escaped, so a message stays on one line
/// and cannot drive a terminal.
struct OneLine<'a>(&'a str);

impl fmt::Display for OneLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            if c.is_control() {
                write!(f, "{}", c.escape_default())?;
            } else {
                write!(f, "{c}")?;
            }
        }
        Ok(())
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
    #[error("cache {}: {detail}", path.display())]
    CacheUnusable { path: PathBuf, detail: String },
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

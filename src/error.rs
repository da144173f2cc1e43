//! The library's typed errors. Only an unreadable archive stops a load; cache trouble never does.

use std::io;
use std::path::PathBuf;

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
    #[error("entry {path} is {size} bytes, over the per-entry limit of {limit} bytes")]
    EntryTooLarge { path: String, size: u64, limit: u64 },
    #[error(
        "more than {limit} bytes once decompressed (a decompression bomb?); raise the limit if the archive is genuine"
    )]
    TotalTooLarge { limit: u64 },
    #[error("empty archive: it holds no entries")]
    NoEntries,
    #[error("no CSV databases in the archive ({skipped} entries skipped: {examples})")]
    NoDatabases { skipped: usize, examples: String },
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

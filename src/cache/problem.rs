//! Every way a cache file or a data dir can be unusable, as values: each says in words what is wrong
//! (`Display`), and callers match on the variants, never on the words.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use thiserror::Error;

use super::header::HEADER_LEN;
use super::validate::Inconsistency;

/// An I/O error kept as a value that can be cloned and compared (by kind and OS code), shown in words.
#[derive(Debug, Clone)]
pub struct IoFailure(pub Arc<io::Error>);

impl IoFailure {
    /// The error's kind.
    pub fn kind(&self) -> io::ErrorKind {
        self.0.kind()
    }
}

impl From<io::Error> for IoFailure {
    fn from(error: io::Error) -> Self {
        IoFailure(Arc::new(error))
    }
}

impl PartialEq for IoFailure {
    fn eq(&self, other: &Self) -> bool {
        self.0.kind() == other.0.kind() && self.0.raw_os_error() == other.0.raw_os_error()
    }
}

impl Eq for IoFailure {}

impl fmt::Display for IoFailure {
    /// What a person needs to hear first, then the system's own message.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plain = match self.0.kind() {
            io::ErrorKind::StorageFull => Some("the disk is full"),
            io::ErrorKind::QuotaExceeded => Some("the disk quota is used up"),
            io::ErrorKind::PermissionDenied => Some("permission denied"),
            io::ErrorKind::ReadOnlyFilesystem => Some("the file system is read-only"),
            io::ErrorKind::NotADirectory => Some("a file stands where a folder should be"),
            io::ErrorKind::FileTooLarge => Some("the file is too large for this file system"),
            _ => None,
        };
        match plain {
            Some(words) => write!(f, "{words} ({})", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

/// What a path holds when it is not a regular file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A directory.
    Directory,
    /// A symbolic link, never followed.
    Symlink,
    /// A named pipe, which would block a reader.
    Fifo,
    /// A Unix socket.
    Socket,
    /// A block device.
    BlockDevice,
    /// A character device.
    CharDevice,
    /// None of the above.
    Unknown,
}

impl FileKind {
    /// What it is, in words (`a FIFO`).
    pub fn words(self) -> &'static str {
        match self {
            FileKind::Directory => "a directory",
            FileKind::Symlink => "a symbolic link (never followed)",
            FileKind::Fifo => "a FIFO",
            FileKind::Socket => "a socket",
            FileKind::BlockDevice => "a block device",
            FileKind::CharDevice => "a character device",
            FileKind::Unknown => "not a regular file",
        }
    }

    /// The kind of a file type that is not a regular file.
    #[cfg(unix)]
    pub fn of(file_type: std::fs::FileType) -> FileKind {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_dir() {
            FileKind::Directory
        } else if file_type.is_symlink() {
            FileKind::Symlink
        } else if file_type.is_fifo() {
            FileKind::Fifo
        } else if file_type.is_socket() {
            FileKind::Socket
        } else if file_type.is_block_device() {
            FileKind::BlockDevice
        } else if file_type.is_char_device() {
            FileKind::CharDevice
        } else {
            FileKind::Unknown
        }
    }
}

/// Why a cache file's body, past both checksums, cannot be used.
#[allow(missing_docs)] // a variant's fields are the values its message names
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BodyProblem {
    /// bincode could not decode the body.
    #[error("undecodable body: {0}")]
    Undecodable(DecodeFailure),
    /// `count` trailing bytes after the body.
    #[error("{count} trailing bytes after the body")]
    TrailingBytes { count: usize },
    /// A database's index sections are malformed.
    #[error("database {database}: malformed index sections")]
    MalformedSections { database: String },
    /// A database's SHA-256 is not 32 bytes long.
    #[error("database {database}: a SHA-256 of {bytes} bytes")]
    BadSha256 { database: String, bytes: usize },
    /// A database's sections are inconsistent.
    #[error("database {database}: {problem}")]
    Inconsistent {
        database: String,
        problem: Inconsistency,
    },
    /// The database name `name` occurs twice.
    #[error("the database name {name} occurs twice")]
    DuplicateName { name: String },
}

/// bincode's decode error, kept whole (shared, so problems stay cheap to clone).
#[derive(Debug, Clone)]
pub struct DecodeFailure(pub Arc<bincode::error::DecodeError>);

impl PartialEq for DecodeFailure {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_string() == other.0.to_string()
    }
}

impl Eq for DecodeFailure {}

impl fmt::Display for DecodeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// What is damaged in a cache file.
#[allow(missing_docs)] // a variant's fields are the values its message names
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Corruption {
    /// The file is shorter than a header.
    #[error("truncated header: {got} of {HEADER_LEN} bytes")]
    TruncatedHeader { got: usize },
    /// Not a backstore cache file (bad magic bytes).
    #[error("not a backstore cache file (bad magic bytes)")]
    BadMagic,
    /// Header checksum mismatch.
    #[error("header checksum mismatch")]
    HeaderChecksum,
    /// Payload is `found` bytes but the header says `expected`.
    #[error("payload is {found} bytes but the header says {expected}")]
    Length { found: u64, expected: u64 },
    /// Payload checksum mismatch (header `expected`, payload `found`).
    #[error("payload checksum mismatch (header {expected:016x}, payload {found:016x})")]
    PayloadChecksum { expected: u64, found: u64 },
    #[error(transparent)]
    Body(BodyProblem),
    #[error("{} where the cache file should be; the next build replaces it", .0.words())]
    NotRegular(FileKind),
    /// The file cannot be read.
    #[error("unreadable: {0}")]
    Unreadable(IoFailure),
}

/// Why a path may not be trusted: what ssh and git's safe.directory refuse too.
#[allow(missing_docs)] // a variant's fields are the values its message names
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Distrust {
    /// Owned by another user, who could put anything there.
    Owner { path: PathBuf, owner: u32, you: u32 },
    /// Writable by group or others (`mode` is the permission bits).
    Writable { path: PathBuf, mode: u32 },
}

impl Distrust {
    /// The path that is not trusted.
    pub fn path(&self) -> &std::path::Path {
        match self {
            Distrust::Owner { path, .. } | Distrust::Writable { path, .. } => path,
        }
    }
}

impl fmt::Display for Distrust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Distrust::Owner { path, owner, you } => write!(
                f,
                "{} is owned by user {owner}, not by you (user {you}), so its contents cannot be trusted; \
                 remove it, or chown it to yourself",
                path.display()
            ),
            Distrust::Writable { path, mode } => write!(
                f,
                "{} is writable by {} (mode {mode:04o}), so its contents cannot be trusted; \
                 run chmod go-w on it, or remove it",
                path.display(),
                if mode & 0o002 != 0 {
                    "everyone"
                } else {
                    "its group"
                }
            ),
        }
    }
}

/// Why nothing can be cached in the data dir: the data then lives in memory only.
#[allow(missing_docs)] // a variant's fields are the values its message names
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unusable {
    /// No data dir was configured, and none could be found.
    NoDataDir,
    /// The data dir, its `cache/` or the cache file failed the ownership and permission checks.
    Untrusted(Distrust),
    /// The data dir cannot be created or written to.
    Unwritable { dir: PathBuf, error: IoFailure },
}

impl fmt::Display for Unusable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unusable::NoDataDir => write!(
                f,
                "no data directory; set --data-dir or BACKSTORE_DATA_DIR to keep a cache"
            ),
            Unusable::Untrusted(distrust) => write!(f, "{distrust}"),
            Unusable::Unwritable { dir, error } => write!(
                f,
                "cannot write the cache in {}: {error}; use a writable --data-dir",
                dir.display()
            ),
        }
    }
}

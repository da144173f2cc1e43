//! Why an entry was not taken as a database: one named reason per skipped entry, in words defined once.

use serde::{Deserialize, Serialize};

/// Why an entry was not taken as a database. New reasons go at the end: the cache file stores them by
/// position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SkipReason {
    /// A macOS `._name` resource-fork file.
    AppleDouble,
    /// A name starting with a dot.
    Hidden,
    /// A file whose name does not end in `.csv`.
    NotCsv,
    /// A directory entry.
    Directory,
    /// A symbolic or hard link; links are never followed.
    Link,
    /// A device, FIFO or other special file.
    Special,
    /// A PAX or GNU metadata header, not a file.
    Metadata,
    /// An absolute path or one with `..`.
    UnsafePath,
    /// A CSV deeper than `<folder>/<name>.csv`.
    Nested,
    /// A second database of a name already taken.
    DuplicateName,
    /// A GNU sparse member (old GNU `S` type, or PAX `GNU.sparse.*` records): its holes read as NUL bytes,
    /// and a PAX 1.0 one stores a sparse map in front of the data, so it cannot be a CSV as stored.
    Sparse,
    /// Its name is not UTF-8; two such names could otherwise become one database once made readable.
    NotUtf8,
    /// Its path has no file name at all (empty or `.`).
    NoName,
    /// Its PAX header has a record the reader cannot parse (a value holding a newline), which may be
    /// the name it really has.
    UnreadablePax,
}

impl SkipReason {
    /// The reason in words, for messages and the inspector.
    pub fn describe(self) -> &'static str {
        match self {
            SkipReason::AppleDouble => "macOS AppleDouble file",
            SkipReason::Hidden => "hidden file",
            SkipReason::NotCsv => "not a .csv file",
            SkipReason::Directory => "directory",
            SkipReason::Link => "link (never followed)",
            SkipReason::Special => "not a regular file",
            SkipReason::Metadata => "archive metadata header",
            SkipReason::UnsafePath => "absolute path or '..' (ignored for safety)",
            SkipReason::Nested => "nested deeper than <folder>/<name>.csv",
            SkipReason::DuplicateName => "a database of the same name came earlier",
            SkipReason::Sparse => "sparse file (its holes are not CSV)",
            SkipReason::NotUtf8 => "name is not valid UTF-8",
            SkipReason::NoName => "no file name",
            SkipReason::UnreadablePax => "PAX header with a record this reader cannot parse",
        }
    }
}

/// An entry that was not taken as a database, and why. `path` is the entry's name as the archive has it;
/// a name that is not UTF-8 shows each invalid byte as `\xNN`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedEntry {
    /// The entry's name as the archive has it.
    pub path: String,
    /// Why it was skipped.
    pub reason: SkipReason,
}

//! Reads a tar.gz held in memory into its CSV entries: skips junk, refuses unsafe paths, enforces limits.
//!
//! Nothing is extracted to disk and no link is followed; an entry is either a database's bytes or a line in
//! the list of skipped entries. A stream that ends early is an error, never a partial success.

use std::cell::Cell;
use std::io::{self, Read};
use std::path::{Component, Path};

use flate2::read::GzDecoder;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use crate::catalog::limits::Limits;
use crate::error::ArchiveError;

/// One CSV database found in the archive, with its bytes.
#[derive(Debug)]
pub struct CsvEntry {
    /// The file stem, which is the database's name.
    pub name: String,
    /// The path inside the archive, for messages.
    pub path: String,
    pub bytes: Vec<u8>,
}

/// Why an entry was not taken as a database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SkipReason {
    AppleDouble,
    Hidden,
    NotCsv,
    Directory,
    Link,
    Special,
    Metadata,
    UnsafePath,
    Nested,
    DuplicateName,
}

impl SkipReason {
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
        }
    }
}

/// An entry that was not taken as a database, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedEntry {
    pub path: String,
    pub reason: SkipReason,
}

/// What an archive holds: its databases in archive order, and everything else it carried.
#[derive(Debug, Default)]
pub struct Unpacked {
    pub entries: Vec<CsvEntry>,
    pub skipped: Vec<SkippedEntry>,
}

/// The SHA-256 of some bytes.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Decompresses and walks the archive, keeping CSV entries and listing the rest.
pub fn unpack(bytes: &[u8], limits: &Limits) -> Result<Unpacked, ArchiveError> {
    let mut entries = Vec::new();
    let skipped = unpack_each(bytes, limits, |entry| entries.push(entry))?;
    Ok(Unpacked { entries, skipped })
}

/// Like [`unpack`], but hands each CSV entry over as soon as it is read, so parsing can overlap
/// decompression. Returns the skipped entries once the whole stream has been checked.
pub fn unpack_each(
    bytes: &[u8],
    limits: &Limits,
    mut on_entry: impl FnMut(CsvEntry),
) -> Result<Vec<SkippedEntry>, ArchiveError> {
    check_gzip_magic(bytes)?;
    let stream = StreamState::default();
    let max_entry_bytes = limits.entry_cap(bytes.len() as u64);
    let counted = Counted {
        inner: GzDecoder::new(bytes),
        read: 0,
        limit: limits.total_cap(bytes.len() as u64),
        state: &stream,
    };
    let mut archive = tar::Archive::new(counted);
    let mut skipped = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut seen_entries = 0usize;
    let mut end_of_last_entry = 0u64;

    let entries = archive.entries().map_err(|e| stream.classify(e))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| stream.classify(e))?;
        seen_entries += 1;
        let size = entry.size();
        end_of_last_entry = entry.raw_file_position() + size.div_ceil(512) * 512;
        let path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();

        let name = match classify_entry(&entry, &path) {
            Ok(name) => name,
            Err(reason) => {
                skipped.push(SkippedEntry { path, reason });
                continue;
            }
        };
        if names.contains(&name) {
            let reason = SkipReason::DuplicateName;
            skipped.push(SkippedEntry { path, reason });
            continue;
        }
        if size > max_entry_bytes {
            let limit = max_entry_bytes;
            return Err(ArchiveError::EntryTooLarge { path, size, limit });
        }
        let mut data = Vec::with_capacity(size as usize);
        entry
            .read_to_end(&mut data)
            .map_err(|e| stream.classify(e))?;
        if data.len() as u64 != size {
            return Err(ArchiveError::TruncatedTar);
        }
        names.push(name.clone());
        on_entry(CsvEntry {
            name,
            path,
            bytes: data,
        });
    }

    let mut rest = archive.into_inner();
    if seen_entries == 0 {
        return Err(ArchiveError::NoEntries);
    }
    // The tar crate stops quietly at end of input; only a zero block after the last entry proves the end.
    if rest.read < end_of_last_entry + 512 {
        return Err(ArchiveError::TruncatedTar);
    }
    // Read to the end of the gzip stream so its length and CRC trailer are checked too.
    io::copy(&mut rest, &mut io::sink()).map_err(|e| stream.classify(e))?;

    if names.is_empty() {
        return Err(no_databases(&skipped));
    }
    Ok(skipped)
}

fn no_databases(skipped: &[SkippedEntry]) -> ArchiveError {
    let examples = skipped
        .iter()
        .take(3)
        .map(|s| format!("{} ({})", s.path, s.reason.describe()))
        .collect::<Vec<_>>()
        .join(", ");
    ArchiveError::NoDatabases {
        skipped: skipped.len(),
        examples,
    }
}

/// Decides whether an entry is a database, returning its name, or why it is skipped.
fn classify_entry<R: Read>(entry: &tar::Entry<R>, path: &str) -> Result<String, SkipReason> {
    let kind = entry.header().entry_type();
    if kind.is_dir() {
        return Err(SkipReason::Directory);
    }
    if kind.is_symlink() || kind.is_hard_link() {
        return Err(SkipReason::Link);
    }
    if kind.is_pax_global_extensions() || kind.is_pax_local_extensions() {
        return Err(SkipReason::Metadata);
    }
    if !(kind.is_file() || kind.is_contiguous()) {
        return Err(SkipReason::Special);
    }
    let mut parts = Vec::new();
    for component in Path::new(path).components() {
        match component {
            Component::Normal(part) => parts.push(part.to_string_lossy()),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => {
                return Err(SkipReason::UnsafePath);
            }
        }
    }
    let Some(file_name) = parts.last() else {
        return Err(SkipReason::UnsafePath);
    };
    if file_name.starts_with("._") {
        return Err(SkipReason::AppleDouble);
    }
    if file_name.starts_with('.') || parts.iter().any(|p| p.starts_with('.')) {
        return Err(SkipReason::Hidden);
    }
    if parts.len() > 2 {
        return Err(SkipReason::Nested);
    }
    let stem = file_name.len().checked_sub(4).and_then(|cut| {
        let (stem, ext) = file_name.split_at_checked(cut)?;
        ext.eq_ignore_ascii_case(".csv").then_some(stem)
    });
    match stem {
        Some(stem) if !stem.is_empty() => Ok(stem.to_string()),
        _ => Err(SkipReason::NotCsv),
    }
}

fn check_gzip_magic(bytes: &[u8]) -> Result<(), ArchiveError> {
    if bytes.is_empty() {
        return Err(ArchiveError::EmptyFile);
    }
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(());
    }
    let hex: Vec<String> = bytes.iter().take(4).map(|b| format!("{b:02x}")).collect();
    let guess = match bytes {
        [b'P', b'K', ..] => " (a zip archive)",
        [b'B', b'Z', b'h', ..] => " (a bzip2 stream)",
        [0xfd, b'7', b'z', b'X', ..] => " (an xz stream)",
        [0x28, 0xb5, 0x2f, 0xfd, ..] => " (a zstd stream)",
        _ if bytes.get(257..262) == Some(b"ustar") => " (an uncompressed tar)",
        _ if bytes
            .iter()
            .take(64)
            .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace()) =>
        {
            " (plain text)"
        }
        _ => "",
    };
    Err(ArchiveError::NotGzip(format!("{}{guess}", hex.join(" "))))
}

/// Tells gzip failures, tar failures and the size limit apart, since the tar crate sees them all as io errors.
#[derive(Default)]
struct StreamState {
    gzip_failed: Cell<bool>,
    over_limit: Cell<Option<u64>>,
}

impl StreamState {
    fn classify(&self, error: io::Error) -> ArchiveError {
        if let Some(limit) = self.over_limit.get() {
            ArchiveError::TotalTooLarge { limit }
        } else if self.gzip_failed.get() {
            ArchiveError::Gzip(error)
        } else if error.kind() == io::ErrorKind::UnexpectedEof {
            ArchiveError::TruncatedTar
        } else {
            ArchiveError::Tar(error)
        }
    }
}

/// The decompressed stream, counted against the total limit.
struct Counted<'a, R> {
    inner: R,
    read: u64,
    limit: u64,
    state: &'a StreamState,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = match self.inner.read(buf) {
            Ok(n) => n,
            Err(e) => {
                self.state.gzip_failed.set(true);
                return Err(e);
            }
        };
        self.read += n as u64;
        if self.read > self.limit {
            self.state.over_limit.set(Some(self.limit));
            return Err(io::Error::other("decompressed size limit reached"));
        }
        Ok(n)
    }
}

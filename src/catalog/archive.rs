//! Reads an archive held in memory (a tar.gz of one or more gzip members, or a plain tar) into its CSV
//! entries: skips junk, refuses unsafe paths, enforces limits.
//!
//! Nothing is extracted to disk and no link is followed; an entry is either a database's bytes or a line in
//! the list of skipped entries. A stream that ends early is an error, never a partial success.

mod classify;
mod hashed;
mod input;
mod skip;
mod stream;

use std::collections::HashSet;
use std::io::Read;

use sha2::{Digest, Sha256};

pub use crate::catalog::limits::Limits;
use crate::error::ArchiveError;
pub use hashed::Hashed;
pub use skip::{SkipReason, SkippedEntry};
use stream::{Stream, StreamState};

/// One CSV database found in the archive, with its bytes.
#[derive(Debug)]
pub struct CsvEntry {
    /// The file stem, which is the database's name.
    pub name: String,
    /// The path inside the archive, for messages.
    pub path: String,
    /// The CSV text, as stored.
    pub bytes: Vec<u8>,
}

/// What an archive holds: its databases in archive order, and everything else it carried.
#[derive(Debug, Default)]
pub struct Unpacked {
    /// The CSV entries, in archive order.
    pub entries: Vec<CsvEntry>,
    /// Every other entry, with the reason it was skipped.
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
    on_entry: impl FnMut(CsvEntry),
) -> Result<Vec<SkippedEntry>, ArchiveError> {
    unpack_from(bytes, bytes.len() as u64, limits, on_entry).map(|(skipped, _)| skipped)
}

/// Like [`unpack_each`], reading the archive from `source` a piece at a time (it is never held whole);
/// `len` is its size, which the limits scale with. Gives `source` back once the stream has been checked to
/// its end (a plain tar's bytes after its end marker are left unread).
pub fn unpack_from<R: Read>(
    source: R,
    len: u64,
    limits: &Limits,
    mut on_entry: impl FnMut(CsvEntry),
) -> Result<(Vec<SkippedEntry>, R), ArchiveError> {
    let state = StreamState::default();
    let max_entry_bytes = limits.entry_cap(len);
    let total_cap = limits.total_cap(len);
    let stream = Stream::open(source, total_cap, &state)?;
    let mut archive = tar::Archive::new(stream);
    let mut skipped = Vec::new();
    let mut names = HashSet::new();
    let mut seen_entries = 0usize;

    let entries = archive.entries().map_err(|e| state.classify(e))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| state.classify(e))?;
        seen_entries += 1;
        let classify::Candidate { name, path } = match classify::classify(&mut entry)? {
            classify::Verdict::Database(candidate) => candidate,
            classify::Verdict::Skip(skip) => {
                skipped.push(skip);
                continue;
            }
        };
        if names.contains(&name) {
            let reason = SkipReason::DuplicateName;
            skipped.push(SkippedEntry { path, reason });
            continue;
        }
        let size = entry.size();
        if size > max_entry_bytes {
            let limit = max_entry_bytes;
            return Err(ArchiveError::EntryTooLarge { path, size, limit });
        }
        let mut data = Vec::with_capacity(size as usize);
        entry
            .read_to_end(&mut data)
            .map_err(|e| state.classify(e))?;
        if data.len() as u64 != size {
            return Err(ArchiveError::TruncatedTar);
        }
        names.insert(name.clone());
        on_entry(CsvEntry {
            name,
            path,
            bytes: data,
        });
    }

    let rest = archive.into_inner();
    if seen_entries == 0 {
        return Err(ArchiveError::NoEntries);
    }
    // The tar crate stops quietly when the stream runs out at a header; only a zero block proves the end.
    if state.ran_out() {
        return Err(ArchiveError::TruncatedTar);
    }
    let source = rest.finish()?;

    if names.is_empty() {
        return Err(no_databases(&skipped));
    }
    Ok((skipped, source))
}

fn no_databases(skipped: &[SkippedEntry]) -> ArchiveError {
    ArchiveError::NoDatabases {
        skipped: skipped.len(),
        examples: skipped.iter().take(3).cloned().collect(),
    }
}

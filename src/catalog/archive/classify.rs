//! Which entries are databases: the entry's type first, then its name's bytes, then its path.
//!
//! The rules, in the order they are applied (the first that matches names the skip):
//! 1. directories (also a regular entry whose name ends in `/`), links, PAX global headers, GNU sparse
//!    members and anything else that is not a regular file are skipped by type;
//! 2. a file whose PAX header has a record the tar crate cannot parse is skipped (its real name may be
//!    in it); one whose PAX `size` the tar crate could not apply makes the archive unreadable;
//! 3. a name that is not UTF-8 is skipped, never made readable (two such names could become one);
//! 4. an absolute path or one with a `..` component is unsafe; a path with no name left is nameless;
//! 5. `._*` files, any dot-file or dot-folder, paths deeper than `<folder>/<name>.csv`, and names not
//!    ending in `.csv` (any case) after a non-empty stem are skipped;
//! 6. what is left is a database named after its stem (the walk then skips a name already taken).

use std::io::Read;

use super::skip::{SkipReason, SkippedEntry};
use crate::error::ArchiveError;

/// An entry that holds a database: its name and its path inside the archive.
pub(super) struct Candidate {
    pub(super) name: String,
    pub(super) path: String,
}

/// What an entry is.
pub(super) enum Verdict {
    Database(Candidate),
    Skip(SkippedEntry),
}

/// Decides whether an entry is a database, or why it is skipped. Fails only when the entry's PAX
/// records make its size uncertain, since every later entry's position depends on it.
pub(super) fn classify<R: Read>(entry: &mut tar::Entry<'_, R>) -> Result<Verdict, ArchiveError> {
    let kind = entry.header().entry_type();
    let is_file = kind.is_file() || kind.is_contiguous();
    let is_pax = kind.is_pax_global_extensions() || kind.is_pax_local_extensions();
    // A PAX header's own records are never read: for a global one that would read its whole body.
    let pax = if is_pax {
        Pax::default()
    } else {
        pax_records(entry)?
    };
    let raw = entry.path_bytes();
    let shown = match &pax.sparse_name {
        Some(name) if is_file => name.as_slice(),
        _ => &raw,
    };
    let skip = |reason| {
        Ok(Verdict::Skip(SkippedEntry {
            path: show(shown),
            reason,
        }))
    };
    if kind.is_dir() {
        return skip(SkipReason::Directory);
    } else if kind.is_symlink() || kind.is_hard_link() {
        return skip(SkipReason::Link);
    } else if is_pax {
        return skip(SkipReason::Metadata);
    } else if kind.is_gnu_sparse() || (is_file && pax.sparse) {
        return skip(SkipReason::Sparse);
    } else if !is_file {
        return skip(SkipReason::Special);
    } else if raw.ends_with(b"/") {
        return skip(SkipReason::Directory);
    } else if pax.unreadable {
        return skip(SkipReason::UnreadablePax);
    }
    let Ok(path) = std::str::from_utf8(&raw) else {
        return skip(SkipReason::NotUtf8);
    };
    match database_name(path) {
        Ok(name) => Ok(Verdict::Database(Candidate {
            name: name.to_string(),
            path: path.to_string(),
        })),
        Err(reason) => skip(reason),
    }
}

/// What an entry's local PAX records say, as far as the rules care.
#[derive(Default)]
struct Pax {
    /// A `GNU.sparse.*` record: the entry is a GNU sparse file (formats 0.0, 0.1 and 1.0).
    sparse: bool,
    /// The real name 0.1 and 1.0 keep in `GNU.sparse.name` (the header's is `…/GNUSparseFile.<pid>/…`).
    sparse_name: Option<Vec<u8>>,
    /// A record the tar crate cannot parse (it splits records at newlines, so a value holding one
    /// breaks): the `path` it may carry is lost, so the name the entry shows cannot be trusted.
    unreadable: bool,
}

fn pax_records<R: Read>(entry: &mut tar::Entry<'_, R>) -> Result<Pax, ArchiveError> {
    let size = entry.size();
    let mut pax = Pax::default();
    let mut size_applied = true;
    if let Ok(Some(records)) = entry.pax_extensions() {
        for record in records {
            let Ok(record) = record else {
                pax.unreadable = true;
                continue;
            };
            let key = record.key_bytes();
            if key.starts_with(b"GNU.sparse.") {
                pax.sparse = true;
                // The first wins, as for the `path` record the tar crate reads.
                if key == b"GNU.sparse.name" && pax.sparse_name.is_none() {
                    pax.sparse_name = Some(record.value_bytes().to_vec());
                }
            }
            // The tar crate drops a `size` record it cannot parse or that follows an unreadable one,
            // and would then look for the next header in the wrong place.
            if key == b"size" {
                let declared = std::str::from_utf8(record.value_bytes())
                    .ok()
                    .and_then(|v| v.parse::<u64>().ok());
                size_applied &= declared == Some(size);
            }
        }
    }
    if !size_applied {
        let path = show(&entry.path_bytes());
        return Err(ArchiveError::UncertainSize { path });
    }
    Ok(pax)
}

/// The database a safe, UTF-8 path of a regular file names, or why it names none.
fn database_name(path: &str) -> Result<&str, SkipReason> {
    if path.starts_with('/') {
        return Err(SkipReason::UnsafePath);
    }
    let mut parts = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err(SkipReason::UnsafePath),
            part => parts.push(part),
        }
    }
    let Some(&file_name) = parts.last() else {
        return Err(SkipReason::NoName);
    };
    if file_name.starts_with("._") {
        return Err(SkipReason::AppleDouble);
    }
    if parts.iter().any(|p| p.starts_with('.')) {
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
        Some(stem) if !stem.is_empty() => Ok(stem),
        _ => Err(SkipReason::NotCsv),
    }
}

/// A name for people: as it is when UTF-8, else with each invalid byte shown as `\xNN`.
pub(super) fn show(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

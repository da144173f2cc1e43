//! Which entries are databases: the entry's type first, then its name's bytes, then its path.
//!
//! The rules, in the order they are applied (the first that matches names the skip):
//! 1. directories (also a regular entry whose name ends in `/`), links, PAX global headers, GNU sparse
//!    members and anything else that is not a regular file are skipped by type;
//! 2. a name that is not UTF-8 is skipped, never made readable (two such names could become one);
//! 3. an absolute path or one with a `..` component is unsafe; a path with no name left is nameless;
//! 4. `._*` files, any dot-file or dot-folder, paths deeper than `<folder>/<name>.csv`, and names not
//!    ending in `.csv` (any case) after a non-empty stem are skipped;
//! 5. what is left is a database named after its stem (the walk then skips a name already taken).

use std::io::Read;

use super::skip::{SkipReason, SkippedEntry};

/// An entry that holds a database: its name and its path inside the archive.
pub(super) struct Candidate {
    pub(super) name: String,
    pub(super) path: String,
}

/// Decides whether an entry is a database, or why it is skipped.
pub(super) fn classify<R: Read>(entry: &mut tar::Entry<'_, R>) -> Result<Candidate, SkippedEntry> {
    let kind = entry.header().entry_type();
    let is_file = kind.is_file() || kind.is_contiguous();
    // Only a file's PAX records are looked at: asking a global header for them would read its body.
    let sparse = if is_file { pax_sparse(entry) } else { None };
    let raw = entry.path_bytes();
    let shown = match &sparse {
        Some(Some(name)) => name.as_slice(),
        _ => &raw,
    };
    let skip = |reason| SkippedEntry {
        path: show(shown),
        reason,
    };
    let by_type = if kind.is_dir() {
        Some(SkipReason::Directory)
    } else if kind.is_symlink() || kind.is_hard_link() {
        Some(SkipReason::Link)
    } else if kind.is_pax_global_extensions() || kind.is_pax_local_extensions() {
        Some(SkipReason::Metadata)
    } else if kind.is_gnu_sparse() || sparse.is_some() {
        Some(SkipReason::Sparse)
    } else if !is_file {
        Some(SkipReason::Special)
    } else if raw.ends_with(b"/") {
        Some(SkipReason::Directory)
    } else {
        None
    };
    if let Some(reason) = by_type {
        return Err(skip(reason));
    }
    let Ok(path) = std::str::from_utf8(&raw) else {
        return Err(skip(SkipReason::NotUtf8));
    };
    match database_name(path) {
        Ok(name) => Ok(Candidate {
            name: name.to_string(),
            path: path.to_string(),
        }),
        Err(reason) => Err(skip(reason)),
    }
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

/// `Some` when the entry's PAX records describe a GNU sparse file (formats 0.0, 0.1 and 1.0 all use
/// `GNU.sparse.*` keys), with the real name that 0.1 and 1.0 keep in `GNU.sparse.name`: the header's
/// own name is then a made-up `…/GNUSparseFile.<pid>/<name>`.
fn pax_sparse<R: Read>(entry: &mut tar::Entry<'_, R>) -> Option<Option<Vec<u8>>> {
    let records = entry.pax_extensions().ok()??;
    let mut sparse = None;
    for record in records.flatten() {
        if record.key_bytes().starts_with(b"GNU.sparse.") {
            let name = sparse.get_or_insert(None);
            // The first wins, as for the `path` record the tar crate reads.
            if name.is_none() && record.key_bytes() == b"GNU.sparse.name" {
                *name = Some(record.value_bytes().to_vec());
            }
        }
    }
    sparse
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

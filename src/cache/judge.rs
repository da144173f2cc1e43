//! Judging a cache file against the archive: which file is fresh, and what state the others are in.

use std::fs;
use std::path::{Path, PathBuf};

use super::file::{self, ReadProblem};
use super::header::{FORMAT_VERSION, Header, HeaderProblem};
use super::identity::owned_hashes;
use super::report::{CacheFileInfo, CacheState, Change, ChangeKind};

/// The first cache file in the folder whose header says it was built from this archive.
pub(super) fn find_fresh(dir: &Path, archive_sha256: &[u8; 32]) -> Option<PathBuf> {
    find_fresh_in(&file::list_cache_files(dir), archive_sha256)
}

pub(super) fn find_fresh_in(files: &[PathBuf], archive_sha256: &[u8; 32]) -> Option<PathBuf> {
    files
        .iter()
        .find(|f| file::read_header(f).is_ok_and(|(h, _)| &h.archive_sha256 == archive_sha256))
        .cloned()
}

pub(super) fn state_of_problem(problem: ReadProblem) -> CacheState {
    match problem {
        ReadProblem::Missing => CacheState::Missing,
        ReadProblem::Header(HeaderProblem::FormatChanged { found }) => CacheState::FormatChanged {
            found,
            expected: FORMAT_VERSION,
        },
        ReadProblem::Header(HeaderProblem::Corrupt(detail)) => CacheState::Corrupt { detail },
        ReadProblem::Unreadable(e) => CacheState::Corrupt {
            detail: format!("unreadable: {e}"),
        },
    }
}

/// The state of the cache file at `path` for an archive whose databases have these hashes.
pub(super) fn state_of(path: &Path, hashes: &[(String, [u8; 32])]) -> CacheState {
    let header = match file::read_header(path) {
        Ok((header, _)) => header,
        Err(problem) => return state_of_problem(problem),
    };
    let changed = match cached_hashes(path, &header) {
        Some(cached) => diff(&cached, hashes),
        None => Vec::new(),
    };
    CacheState::Stale { changed }
}

/// Per-database hashes of a cache file's build: from `checksums.json` when it belongs to that file,
/// else from the file's body.
fn cached_hashes(path: &Path, header: &Header) -> Option<Vec<(String, [u8; 32])>> {
    if let Some(hashes) = super::checksums::read(path, header) {
        return Some(hashes);
    }
    let (_, catalog, _) = file::read(path).ok()?;
    Some(owned_hashes(&catalog))
}

/// Databases added, removed or modified going from the cache's build to the archive.
fn diff(cached: &[(String, [u8; 32])], current: &[(String, [u8; 32])]) -> Vec<Change> {
    let find = |list: &[(String, [u8; 32])], name: &str| {
        list.iter().find(|(n, _)| n == name).map(|(_, h)| *h)
    };
    let mut changes = Vec::new();
    for (name, hash) in current {
        let change = match find(cached, name) {
            None => Some(ChangeKind::Added),
            Some(old) if old != *hash => Some(ChangeKind::Modified),
            Some(_) => None,
        };
        if let Some(change) = change {
            changes.push(Change {
                database: name.clone(),
                change,
            });
        }
    }
    for (name, _) in cached {
        if find(current, name).is_none() {
            changes.push(Change {
                database: name.clone(),
                change: ChangeKind::Removed,
            });
        }
    }
    changes.sort_by(|a, b| a.database.cmp(&b.database));
    changes
}

pub(super) fn file_info(path: Option<&Path>) -> CacheFileInfo {
    let header = path.and_then(|p| file::read_header(p).ok());
    let size = path.and_then(|p| fs::metadata(p).ok()).map(|m| m.len());
    CacheFileInfo {
        path: path.map(Path::to_path_buf),
        exists: size.is_some(),
        bytes: size,
        built_at: header.map(|(h, _)| h.built_at()),
        source_sha256: header.map(|(h, _)| h.archive_sha256),
        format_version: header.map(|(h, _)| h.format_version),
    }
}

pub(super) fn unwritable(dir: &Path, error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem => {
            format!("data dir not writable ({}): {error}", dir.display())
        }
        _ => format!("cannot write the cache in {}: {error}", dir.display()),
    }
}

//! Judging cache files against the archive, from their contents: which file is fresh, which are damaged,
//! and what state the cache is in. Facts only; what to do about them is the manager's.

use std::fs;
use std::path::{Path, PathBuf};

use super::file::{self, ReadProblem, ReadTimings};
use super::header::{FORMAT_VERSION, Header};
use super::identity::owned_hashes;
use super::problem::{Distrust, Unusable};
use super::report::{CacheFileInfo, CacheState, Change, ChangeKind, Depth, OtherCacheFile};
use super::wire::Unchecked;
use crate::catalog::Catalog;

/// How much of a cache file built from this archive is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reading {
    /// Header and size.
    Header,
    /// Everything, every database validated.
    Whole,
    /// Everything, the databases left to be validated on their first use.
    Deferred,
}

impl From<Depth> for Reading {
    fn from(depth: Depth) -> Self {
        match depth {
            Depth::Quick => Reading::Header,
            Depth::Full => Reading::Whole,
        }
    }
}

/// The data of a cache file read in full.
pub(super) enum Data {
    Checked(Catalog),
    Unchecked(Unchecked),
}

/// An intact cache file built from this archive.
pub(super) struct Found {
    pub(super) path: PathBuf,
    /// The data, when the file was read in full.
    pub(super) data: Option<(Data, ReadTimings)>,
}

/// What looking through the listed cache files found.
#[derive(Default)]
pub(super) struct Search {
    pub(super) fresh: Option<Found>,
    /// Files whose header names this archive but which cannot be used, and why.
    pub(super) damaged: Vec<(PathBuf, ReadProblem)>,
}

impl Search {
    /// The state a build would be caused by, when a damaged file named this archive.
    pub(super) fn damage(&self) -> Option<(PathBuf, CacheState)> {
        self.damaged
            .first()
            .map(|(path, problem)| (path.clone(), state_of_problem(problem.clone())))
    }
}

/// Looks through cache files, in order, for the first intact one built from this archive. A damaged file
/// never hides a good one after it.
pub(super) fn search(files: &[PathBuf], archive_sha256: &[u8; 32], reading: Reading) -> Search {
    search_with(files, archive_sha256, reading, None)
}

/// A cache file read before the archive's hash was known, on the guess that it is the fresh one.
pub(super) struct Prefetched {
    path: PathBuf,
    archive_sha256: [u8; 32],
    reading: Reading,
    read: Result<Option<(Data, ReadTimings)>, ReadProblem>,
}

/// Reads the cache file most likely to be fresh (the most recently built of those whose header can be
/// read) as `reading` says, whatever archive its header names: the caller hashes the archive meanwhile.
pub(super) fn prefetch(files: &[PathBuf], reading: Reading) -> Option<Prefetched> {
    let (path, opened) = files
        .iter()
        .filter_map(|path| file::open(path).ok().map(|opened| (path, opened)))
        .max_by_key(|(_, opened)| opened.header.built_at_ms)?;
    let archive_sha256 = opened.header.archive_sha256;
    Some(Prefetched {
        path: path.clone(),
        archive_sha256,
        reading,
        read: read_opened(opened, reading),
    })
}

/// As [`search`], using what `prefetched` already read of its file instead of reading it again. The
/// verdict is the same as without it: only the work is shared.
pub(super) fn search_with(
    files: &[PathBuf],
    archive_sha256: &[u8; 32],
    reading: Reading,
    mut prefetched: Option<Prefetched>,
) -> Search {
    let mut found = Search::default();
    for path in files {
        let early = prefetched
            .take_if(|p| &p.path == path && p.reading == reading)
            .map(|p| {
                if &p.archive_sha256 != archive_sha256 {
                    return Ok(None);
                }
                p.read.map_err(Own::Damaged).map(|data| {
                    Some(Found {
                        path: path.clone(),
                        data,
                    })
                })
            });
        let examined = early.unwrap_or_else(|| examine_own(path, archive_sha256, reading));
        match examined {
            Ok(Some(fresh)) => {
                found.fresh = Some(fresh);
                break;
            }
            Ok(None) => {}
            Err(Own::Damaged(problem)) => found.damaged.push((path.clone(), problem)),
            // Never read, and judged by name when it is the file this archive's cache should be.
            Err(Own::Untrusted(_) | Own::Unknown) => {}
        }
    }
    found
}

/// Why a file could not be confirmed as ours and intact.
enum Own {
    /// Its header names this archive, but it is damaged.
    Damaged(ReadProblem),
    Untrusted(Distrust),
    /// Not readable as a cache file of this format: it may belong to anything.
    Unknown,
}

/// The files whose header says they were built from this archive, intact or not.
pub(super) fn built_from(files: &[PathBuf], archive_sha256: &[u8; 32]) -> Vec<PathBuf> {
    files
        .iter()
        .filter(|f| file::open(f).is_ok_and(|o| &o.header.archive_sha256 == archive_sha256))
        .cloned()
        .collect()
}

/// `Ok(None)` when the file was built from another archive.
fn examine_own(
    path: &Path,
    archive_sha256: &[u8; 32],
    reading: Reading,
) -> Result<Option<Found>, Own> {
    let opened = match file::open(path) {
        Ok(opened) => opened,
        Err(ReadProblem::Untrusted(distrust)) => return Err(Own::Untrusted(distrust)),
        Err(_) => return Err(Own::Unknown),
    };
    if &opened.header.archive_sha256 != archive_sha256 {
        return Ok(None);
    }
    let data = read_opened(opened, reading).map_err(Own::Damaged)?;
    Ok(Some(Found {
        path: path.to_path_buf(),
        data,
    }))
}

/// Reads as much of an opened cache file as `reading` says.
fn read_opened(
    opened: file::Opened,
    reading: Reading,
) -> Result<Option<(Data, ReadTimings)>, ReadProblem> {
    Ok(match reading {
        Reading::Header => {
            file::check_length(&opened.header, opened.size)?;
            None
        }
        Reading::Whole => {
            let (_, catalog, timings) = opened.read_body()?;
            Some((Data::Checked(catalog), timings))
        }
        Reading::Deferred => {
            let (_, unchecked, timings) = opened.read_body_unchecked()?;
            Some((Data::Unchecked(unchecked), timings))
        }
    })
}

/// The state of the cache file at `path`, read by name whatever a directory listing showed, for an
/// archive with this hash whose databases have these hashes.
pub(super) fn state_of(
    path: &Path,
    archive_sha256: &[u8; 32],
    hashes: &[(String, [u8; 32])],
    depth: Depth,
) -> CacheState {
    match examine_own(path, archive_sha256, depth.into()) {
        Ok(Some(_)) => CacheState::Fresh,
        Err(Own::Damaged(problem)) => state_of_problem(problem),
        Err(Own::Untrusted(distrust)) => CacheState::InMemoryOnly {
            why: Unusable::Untrusted(distrust),
        },
        // Either built from another archive or not readable as ours: say which, from the header.
        Ok(None) | Err(Own::Unknown) => match file::read_header(path) {
            Ok((header, _)) => CacheState::Stale {
                changed: cached_hashes(path, &header)
                    .map(|cached| diff(&cached, hashes))
                    .unwrap_or_default(),
            },
            Err(problem) => state_of_problem(problem),
        },
    }
}

pub(super) fn state_of_problem(problem: ReadProblem) -> CacheState {
    match problem {
        ReadProblem::Missing => CacheState::Missing,
        ReadProblem::FormatChanged { found } => CacheState::FormatChanged {
            found,
            expected: FORMAT_VERSION,
        },
        ReadProblem::Corrupt(problem) => CacheState::Corrupt { problem },
        ReadProblem::Untrusted(distrust) => CacheState::InMemoryOnly {
            why: Unusable::Untrusted(distrust),
        },
    }
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
    let size = path
        .and_then(|p| fs::symlink_metadata(p).ok())
        .map(|m| m.len());
    CacheFileInfo {
        path: path.map(Path::to_path_buf),
        exists: size.is_some(),
        bytes: size,
        built_at: header.map(|(h, _)| h.built_at()),
        source_sha256: header.map(|(h, _)| h.archive_sha256),
        format_version: header.map(|(h, _)| h.format_version),
    }
}

pub(super) fn other_files(files: &[PathBuf], shown: &Path) -> Vec<OtherCacheFile> {
    files
        .iter()
        .filter(|f| f.as_path() != shown)
        .map(|f| {
            let meta = fs::symlink_metadata(f).ok();
            OtherCacheFile {
                path: f.clone(),
                bytes: meta.as_ref().map_or(0, std::fs::Metadata::len),
                modified: meta.and_then(|m| m.modified().ok()),
            }
        })
        .collect()
}

//! The archive a manager reads: its bytes, its identity (hash and size, remembered while the file is
//! unchanged) and what it holds (version and per-database hashes) for judging a cache file without loading it.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use tracing::debug;

use super::options::ArchiveSource;
use super::report::{Phase, PhaseTimings};
use crate::catalog::pack::{self, Seen, SourceKind};
use crate::catalog::{self, Catalog, Limits};
use crate::error::{ArchiveError, Error, Result};

/// What identifies an archive, without holding its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ArchiveId {
    pub(super) sha256: [u8; 32],
    pub(super) bytes: u64,
}

/// An archive as a build reads it.
pub(super) enum Readable {
    /// Held in memory.
    Bytes(Bytes),
    /// An archive file, opened, with its size when opened.
    File {
        /// The open file.
        file: std::fs::File,
        /// Its size.
        len: u64,
    },
}

/// Size and modification time of a path archive's files: while they hold, its hash is not computed again.
pub(super) type Stamp = Vec<Seen>;

/// What the current archive holds, for judging a cache file without loading it.
#[derive(Debug, Clone)]
pub(super) struct Survey {
    archive_sha256: [u8; 32],
    pub(super) version: String,
    pub(super) hashes: Vec<(String, [u8; 32])>,
}

/// One archive source, with what is known about it so far.
#[derive(Debug)]
pub(super) struct Archive {
    source: ArchiveSource,
    limits: Limits,
    known: Mutex<Option<(Stamp, ArchiveId)>>,
    survey: Mutex<Option<Survey>>,
}

impl Archive {
    pub(super) fn new(source: ArchiveSource, limits: Limits) -> Self {
        Archive {
            source,
            limits,
            known: Mutex::new(None),
            survey: Mutex::new(None),
        }
    }

    /// The SHA-256 the archive is declared to have, for checking a build against.
    pub(super) fn declared_sha256(&self) -> Option<[u8; 32]> {
        match &self.source {
            ArchiveSource::Prehashed { sha256, .. } => Some(*sha256),
            _ => None,
        }
    }

    pub(super) fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The library error for an archive that cannot be read, naming it.
    pub(super) fn error(&self, error: ArchiveError) -> Error {
        Error::Archive {
            archive: self.source.label(),
            error,
        }
    }

    fn unreadable(&self, e: std::io::Error) -> Error {
        self.error(ArchiveError::Unreadable(e))
    }

    /// The archive's bytes (a folder or a CSV file packed as a tar), and for a path the sizes and mtimes
    /// of the files they were read from.
    pub(super) fn bytes(&self) -> Result<(Bytes, Option<Stamp>)> {
        match &self.source {
            ArchiveSource::Bytes(bytes) | ArchiveSource::Prehashed { bytes, .. } => {
                Ok((Bytes::from_static(bytes), None))
            }
            ArchiveSource::Path(path) => {
                let stamp = pack::stamp(path).map_err(|e| self.unreadable(e))?;
                let bytes = read_source(path).map_err(|e| self.unreadable(e))?;
                Ok((Bytes::from(bytes), Some(stamp)))
            }
        }
    }

    /// The archive ready to be read by a build: an archive file is opened to be read a piece at a time,
    /// anything else is read (or packed) into memory. For a path, the sizes and mtimes of its files too.
    pub(super) fn readable(&self) -> Result<(Readable, Option<Stamp>)> {
        if let ArchiveSource::Path(path) = &self.source
            && matches!(SourceKind::of(path), Ok(SourceKind::Archive))
        {
            let stamp = pack::stamp(path).map_err(|e| self.unreadable(e))?;
            let (file, len) = pack::open_regular(path).map_err(|e| self.unreadable(e))?;
            return Ok((Readable::File { file, len }, Some(stamp)));
        }
        let (bytes, stamp) = self.bytes()?;
        Ok((Readable::Bytes(bytes), stamp))
    }

    /// What identifies the archive: the build-time hash of a prehashed archive; the hash of other bytes in
    /// memory, computed once per process; for a path, its hash, computed again only when a file's size or
    /// mtime changed. The bytes are not kept.
    pub(super) fn id(&self, timings: &mut PhaseTimings) -> Result<ArchiveId> {
        let t = Instant::now();
        let id = match &self.source {
            ArchiveSource::Prehashed { bytes, sha256 } => ArchiveId {
                sha256: *sha256,
                bytes: bytes.len() as u64,
            },
            ArchiveSource::Bytes(bytes) => in_memory_id(bytes),
            ArchiveSource::Path(path) => {
                let stamp = pack::stamp(path).map_err(|e| self.unreadable(e))?;
                let known = lock(&self.known).clone();
                match known {
                    Some((seen, id)) if seen == stamp => id,
                    _ => {
                        let id = hash_source(path).map_err(|e| self.unreadable(e))?;
                        debug!(path = %path.display(), bytes = id.bytes, "archive read and hashed");
                        self.remember(Some(stamp), id);
                        id
                    }
                }
            }
        };
        timings.add(Phase::Hash, t.elapsed());
        Ok(id)
    }

    /// Whether [`Archive::id`] has to hash (or read and hash) the archive, rather than knowing its hash: what
    /// makes it worth overlapping with reading the cache file.
    pub(super) fn needs_hashing(&self) -> bool {
        match &self.source {
            ArchiveSource::Prehashed { .. } => false,
            ArchiveSource::Bytes(bytes) => bytes.len() >= OVERLAP_BYTES,
            ArchiveSource::Path(path) => {
                let known = lock(&self.known).clone();
                !matches!((known, pack::stamp(path)), (Some((seen, _)), Ok(now)) if seen == now)
            }
        }
    }

    /// Remembers the identity of the bytes read at `stamp`, unless the stamp is racy: a file modified
    /// within [`RACY`] of now could change again without its size or mtime showing it (git's index has the
    /// same rule), so it is hashed again next time.
    pub(super) fn remember(&self, stamp: Option<Stamp>, id: ArchiveId) {
        let Some(stamp) = stamp else { return };
        let now = SystemTime::now();
        let racy = stamp.iter().any(|(_, _, modified)| {
            modified.is_none_or(|m| now.duration_since(m).map_or(true, |age| age < RACY))
        });
        *lock(&self.known) = (!racy).then_some((stamp, id));
    }

    /// Version and per-database hashes of the archive: from the last build when it matches, else parsed.
    pub(super) fn survey(&self, archive: ArchiveId) -> Result<Survey> {
        if let Some(known) = lock(&self.survey)
            .as_ref()
            .filter(|s| s.archive_sha256 == archive.sha256)
        {
            return Ok(known.clone());
        }
        let (catalog, _) =
            catalog::build(&self.bytes()?.0, &self.limits).map_err(|error| self.error(error))?;
        Ok(self.remember_survey(archive, &catalog))
    }

    pub(super) fn remember_survey(&self, archive: ArchiveId, catalog: &Catalog) -> Survey {
        let survey = Survey {
            archive_sha256: archive.sha256,
            version: catalog.version().to_string(),
            hashes: owned_hashes(catalog),
        };
        *lock(&self.survey) = Some(survey.clone());
        survey
    }
}

/// How long after a file's modification its size and mtime are trusted to name its contents: above the
/// timestamp granularity of every common file system (FAT's is 2 s).
const RACY: Duration = Duration::from_secs(3);

/// Archives in memory smaller than this are hashed before the cache is read: below it, a thread costs
/// about what it saves.
const OVERLAP_BYTES: usize = 1 << 20;

/// The identity of a path's archive: an archive file is hashed as it is read, a piece at a time, so its
/// bytes are never all held; a folder or a CSV file is packed first.
fn hash_source(path: &Path) -> std::io::Result<ArchiveId> {
    match SourceKind::of(path)? {
        SourceKind::Archive => {
            let (sha256, bytes) = pack::hash_regular(path)?;
            Ok(ArchiveId { sha256, bytes })
        }
        SourceKind::Folder | SourceKind::Csv => {
            let bytes = read_source(path)?;
            Ok(ArchiveId {
                sha256: catalog::archive::sha256(&bytes),
                bytes: bytes.len() as u64,
            })
        }
    }
}

/// A path's archive bytes: the file itself, or the tar a folder or a CSV file packs into.
fn read_source(path: &Path) -> std::io::Result<Vec<u8>> {
    match SourceKind::of(path)? {
        SourceKind::Archive => pack::read_regular(path),
        SourceKind::Folder => pack::pack_folder(path),
        SourceKind::Csv => pack::pack_csv(path),
    }
}

/// The identity of bytes in memory, hashed the first time this process asks. `'static` bytes never move,
/// so their address and length name them.
fn in_memory_id(bytes: &'static [u8]) -> ArchiveId {
    static HASHED: Mutex<Vec<(usize, usize, [u8; 32])>> = Mutex::new(Vec::new());
    let name = (bytes.as_ptr() as usize, bytes.len());
    let known = lock(&HASHED)
        .iter()
        .find(|(at, len, _)| (*at, *len) == name)
        .map(|(_, _, sha)| *sha);
    let sha256 = known.unwrap_or_else(|| {
        let sha = catalog::archive::sha256(bytes);
        lock(&HASHED).push((name.0, name.1, sha));
        sha
    });
    ArchiveId {
        sha256,
        bytes: bytes.len() as u64,
    }
}

pub(super) fn owned_hashes(catalog: &Catalog) -> Vec<(String, [u8; 32])> {
    catalog
        .source_hashes()
        .into_iter()
        .map(|(n, h)| (n.to_string(), h))
        .collect()
}

/// Locks a mutex; a panic elsewhere must not make the data unreachable, as the guarded values stay
/// consistent.
pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

//! The archive a manager reads: its bytes, its identity (hash and size, remembered while the file is
//! unchanged) and what it holds (version and per-database hashes) for judging a cache file without loading it.

use std::fs;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use tracing::debug;

use super::options::ArchiveSource;
use super::report::{Phase, PhaseTimings};
use crate::catalog::{self, Catalog, Limits};
use crate::error::{ArchiveError, Error, Result};

/// What identifies an archive, without holding its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ArchiveId {
    pub(super) sha256: [u8; 32],
    pub(super) bytes: u64,
}

/// Size and modification time of a path archive: while they hold, its hash is not computed again.
type Stamp = (u64, Option<SystemTime>);

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

    pub(super) fn is_embedded(&self) -> bool {
        matches!(self.source, ArchiveSource::Embedded)
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

    /// The archive's bytes, and for a path archive the size and mtime they were read at.
    pub(super) fn bytes(&self) -> Result<(Bytes, Option<Stamp>)> {
        match &self.source {
            ArchiveSource::Embedded => Ok((Bytes::from_static(crate::embedded::ARCHIVE), None)),
            ArchiveSource::Path(path) => {
                let stamp = stamp_of(path).map_err(|e| self.unreadable(e))?;
                let bytes = fs::read(path).map_err(|e| self.unreadable(e))?;
                Ok((Bytes::from(bytes), Some(stamp)))
            }
        }
    }

    /// What identifies the archive: a compile-time constant when embedded; for a path, its hash,
    /// computed again only when the file's size or mtime changed. The bytes are not kept.
    pub(super) fn id(&self, timings: &mut PhaseTimings) -> Result<ArchiveId> {
        let t = Instant::now();
        let id = match &self.source {
            ArchiveSource::Embedded => ArchiveId {
                sha256: crate::embedded::SHA256,
                bytes: crate::embedded::ARCHIVE.len() as u64,
            },
            ArchiveSource::Path(path) => {
                let stamp = stamp_of(path).map_err(|e| self.unreadable(e))?;
                let known = *lock(&self.known);
                match known {
                    Some((seen, id)) if seen == stamp => id,
                    _ => {
                        let (bytes, stamp) = self.bytes()?;
                        let id = ArchiveId {
                            sha256: catalog::archive::sha256(&bytes),
                            bytes: bytes.len() as u64,
                        };
                        debug!(path = %path.display(), bytes = id.bytes, "archive read and hashed");
                        self.remember(stamp, id);
                        id
                    }
                }
            }
        };
        timings.add(Phase::Hash, t.elapsed());
        Ok(id)
    }

    /// Remembers the identity of the bytes read at `stamp`.
    pub(super) fn remember(&self, stamp: Option<Stamp>, id: ArchiveId) {
        if let Some(stamp) = stamp {
            *lock(&self.known) = Some((stamp, id));
        }
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

fn stamp_of(path: &Path) -> std::io::Result<Stamp> {
    let meta = fs::metadata(path)?;
    Ok((meta.len(), meta.modified().ok()))
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
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

//! The archive's identity: its hash and size, remembered while the file is unchanged, and what it holds
//! (version and per-database hashes) for judging a cache file without loading it.

use std::fs;
use std::path::Path;
use std::sync::MutexGuard;
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use tracing::debug;

use super::manager::CacheManager;
use super::options::ArchiveSource;
use super::report::{Phase, PhaseTimings};
use crate::catalog::{self, Catalog};
use crate::error::{Error, Result};

/// What identifies an archive, without holding its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ArchiveId {
    pub(super) sha256: [u8; 32],
    pub(super) bytes: u64,
}

/// Size and modification time of a path archive: while they hold, its hash is not computed again.
pub(super) type Stamp = (u64, Option<SystemTime>);

/// What the current archive holds, for judging a cache file without loading it.
#[derive(Debug, Clone)]
pub(super) struct Survey {
    archive_sha256: [u8; 32],
    pub(super) version: String,
    pub(super) hashes: Vec<(String, [u8; 32])>,
}

impl CacheManager {
    pub(super) fn archive_error(&self, error: crate::error::ArchiveError) -> Error {
        Error::Archive {
            archive: self.options.source.label(),
            error,
        }
    }

    /// The archive's bytes, and for a path archive the size and mtime they were read at.
    pub(super) fn archive_bytes(&self) -> Result<(Bytes, Option<Stamp>)> {
        match &self.options.source {
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
    pub(super) fn archive_id(&self, timings: &mut PhaseTimings) -> Result<ArchiveId> {
        let t = Instant::now();
        let id = match &self.options.source {
            ArchiveSource::Embedded => ArchiveId {
                sha256: crate::embedded::SHA256,
                bytes: crate::embedded::ARCHIVE.len() as u64,
            },
            ArchiveSource::Path(path) => {
                let stamp = stamp_of(path).map_err(|e| self.unreadable(e))?;
                let known = *lock(&self.known_archive);
                match known {
                    Some((seen, id)) if seen == stamp => id,
                    _ => {
                        let (bytes, stamp) = self.archive_bytes()?;
                        let id = ArchiveId {
                            sha256: catalog::archive::sha256(&bytes),
                            bytes: bytes.len() as u64,
                        };
                        debug!(path = %path.display(), bytes = id.bytes, "archive read and hashed");
                        if let Some(stamp) = stamp {
                            *lock(&self.known_archive) = Some((stamp, id));
                        }
                        id
                    }
                }
            }
        };
        timings.add(Phase::Hash, t.elapsed());
        Ok(id)
    }

    fn unreadable(&self, e: std::io::Error) -> Error {
        self.archive_error(crate::error::ArchiveError::Unreadable(e))
    }

    /// Version and per-database hashes of the archive: from the last build when it matches, else parsed.
    pub(super) fn survey(&self, archive: ArchiveId) -> Result<Survey> {
        if let Some(known) = lock(&self.survey)
            .as_ref()
            .filter(|s| s.archive_sha256 == archive.sha256)
        {
            return Ok(known.clone());
        }
        let (catalog, _) = catalog::build(&self.archive_bytes()?.0, &self.options.limits)
            .map_err(|error| self.archive_error(error))?;
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

pub(super) fn stamp_of(path: &Path) -> std::io::Result<Stamp> {
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

fn lock<T>(mutex: &std::sync::Mutex<T>) -> MutexGuard<'_, T> {
    super::manager::lock(mutex)
}

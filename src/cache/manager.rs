//! CacheManager: load_or_build, rebuild, warm_load, status, invalidate. The only place fallbacks live.
//!
//! Nothing wrong with the cache makes a load fail: a missing, stale, corrupt or foreign-format file is rebuilt,
//! an unwritable data dir leaves the data in memory, and the report says which happened and why. Only an
//! unreadable archive is an error.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Instant;

use tracing::{info, warn};

use super::file;
use super::identity::{ArchiveId, Stamp, Survey, owned_hashes};
use super::judge::{file_info, find_fresh, find_fresh_in, state_of, state_of_problem, unwritable};
use super::options::{ArchiveSource, ManagerOptions};
use super::report::{
    ArchiveInfo, BuildReason, CacheState, CacheStatus, LoadReport, OtherCacheFile, Outcome, Phase,
    PhaseTimings,
};
use crate::catalog::{self, Catalog, Database};
use crate::error::{Error, Result};
use crate::record::RecordData;

/// The data a load produced and how it went.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub catalog: Arc<Catalog>,
    pub report: LoadReport,
}

/// Loads the archive's databases through the binary cache. `Send + Sync`: share it behind an `Arc`.
#[derive(Debug)]
pub struct CacheManager {
    pub(super) options: ManagerOptions,
    pub(super) known_archive: Mutex<Option<(Stamp, ArchiveId)>>,
    pub(super) survey: Mutex<Option<Survey>>,
    loaded: Mutex<Option<Loaded>>,
}

/// The process-wide manager for the embedded archive and the default data dir, created on first use.
pub fn embedded() -> &'static CacheManager {
    static MANAGER: OnceLock<CacheManager> = OnceLock::new();
    MANAGER.get_or_init(|| CacheManager::new(ManagerOptions::default()))
}

impl CacheManager {
    pub fn new(options: ManagerOptions) -> Self {
        CacheManager {
            options,
            known_archive: Mutex::new(None),
            survey: Mutex::new(None),
            loaded: Mutex::new(None),
        }
    }

    pub fn options(&self) -> &ManagerOptions {
        &self.options
    }

    /// `<data dir>/cache`, where cache files live.
    pub fn cache_dir(&self) -> Option<PathBuf> {
        self.options.data_dir.as_ref().map(|d| d.join("cache"))
    }

    /// What an application calls at start-up. Loads once; later calls return the same data and report.
    /// Concurrent callers wait for the first one and share its result.
    pub fn load_or_build(&self) -> Result<Loaded> {
        let mut loaded = lock(&self.loaded);
        if let Some(done) = loaded.as_ref() {
            return Ok(done.clone());
        }
        let done = self.load_fresh_or_build()?;
        *loaded = Some(done.clone());
        Ok(done)
    }

    /// Builds from the archive whatever the cache holds, writes the cache, and replaces the loaded data.
    pub fn rebuild(&self) -> Result<Loaded> {
        let mut loaded = lock(&self.loaded);
        let start = Instant::now();
        let done = self.build(Some(BuildReason::Forced), PhaseTimings::default(), start)?;
        *loaded = Some(done.clone());
        Ok(done)
    }

    /// Loads from the cache file only, failing when there is no fresh, intact one (for timing warm loads).
    pub fn warm_load(&self) -> Result<Loaded> {
        let mut loaded = lock(&self.loaded);
        let start = Instant::now();
        let mut timings = PhaseTimings::default();
        let archive = self.archive_id(&mut timings)?;
        let dir = self.cache_dir().ok_or(Error::NoDataDir)?;
        let Some(path) = find_fresh(&dir, &archive.sha256) else {
            return Err(Error::CacheUnusable {
                path: dir,
                detail: "no cache file built from this archive; run a cold load first".into(),
            });
        };
        let done =
            self.read_cache(&path, timings, start)
                .map_err(|state| Error::CacheUnusable {
                    path: path.clone(),
                    detail: state.to_string(),
                })?;
        *loaded = Some(done.clone());
        Ok(done)
    }

    /// The loaded data, if a load has happened.
    pub fn loaded(&self) -> Option<Loaded> {
        lock(&self.loaded).clone()
    }

    fn catalog(&self) -> Result<Arc<Catalog>> {
        Ok(self.load_or_build()?.catalog)
    }

    /// Database names, in name order (loads on first use).
    pub fn databases(&self) -> Result<Vec<String>> {
        let catalog = self.catalog()?;
        Ok(catalog
            .databases()
            .iter()
            .map(|d| d.name().to_string())
            .collect())
    }

    /// One database (cheap: the data is shared), loading on first use.
    pub fn get(&self, database: &str) -> Result<Option<Database>> {
        Ok(self.catalog()?.get(database).cloned())
    }

    /// The record a key leads to in a database, loading on first use.
    pub fn lookup(&self, database: &str, key: &str) -> Result<Option<RecordData>> {
        let catalog = self.catalog()?;
        Ok(catalog
            .get(database)
            .and_then(|db| db.lookup(key))
            .map(RecordData::from))
    }

    /// The cache's state against the archive. Reads only headers when the cache is fresh.
    pub fn status(&self) -> Result<CacheStatus> {
        let mut timings = PhaseTimings::default();
        let archive = self.archive_id(&mut timings)?;
        let info = ArchiveInfo {
            source: self.options.source.label(),
            sha256: archive.sha256,
            bytes: archive.bytes,
        };
        let Some(dir) = self.cache_dir() else {
            let survey = self.survey(archive)?;
            return Ok(CacheStatus {
                reason: "no data directory".into(),
                state: CacheState::Missing,
                version: survey.version,
                archive: info,
                cache: file_info(None),
                changed: Vec::new(),
                other_cache_files: Vec::new(),
            });
        };
        let files = file::list_cache_files(&dir);
        let (path, version, state) = match find_fresh_in(&files, &archive.sha256) {
            Some(path) => {
                let version = file::version_of(&path).unwrap_or_default().to_string();
                // A header that matches is not enough: a truncated file still has one.
                let state = match file::read_header(&path)
                    .and_then(|(header, size)| file::check_length(&header, size))
                {
                    Ok(()) => CacheState::Fresh,
                    Err(problem) => state_of_problem(problem),
                };
                (path, version, state)
            }
            None => {
                let survey = self.survey(archive)?;
                let path = dir.join(file::file_name(&survey.version));
                let state = state_of(&path, &survey.hashes);
                (path, survey.version, state)
            }
        };
        let other_cache_files = files
            .iter()
            .filter(|f| **f != path)
            .map(|f| {
                let meta = fs::metadata(f).ok();
                OtherCacheFile {
                    path: f.clone(),
                    bytes: meta.as_ref().map_or(0, |m| m.len()),
                    modified: meta.and_then(|m| m.modified().ok()),
                }
            })
            .collect();
        Ok(CacheStatus {
            reason: state.to_string(),
            changed: state.changed().to_vec(),
            state,
            version,
            archive: info,
            cache: file_info(Some(&path)),
            other_cache_files,
        })
    }

    /// Removes every cache file and `checksums.json`; the loaded data stays usable. Returns what was removed.
    pub fn invalidate(&self) -> Result<Vec<PathBuf>> {
        let Some(dir) = self.cache_dir() else {
            return Ok(Vec::new());
        };
        let mut removed = Vec::new();
        let mut targets = file::list_cache_files(&dir);
        targets.push(dir.join(super::checksums::FILE_NAME));
        for path in targets {
            match fs::remove_file(&path) {
                Ok(()) => removed.push(path),
                // Nothing there, also when the data dir is blocked by a regular file.
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                    ) => {}
                Err(e) => return Err(Error::io(path, e)),
            }
        }
        info!(removed = removed.len(), dir = %dir.display(), "cache invalidated");
        Ok(removed)
    }

    /// Removes one cache file of another version (as listed by `status`), refusing anything else.
    pub fn remove_cache_file(&self, path: &Path) -> Result<()> {
        let dir = self.cache_dir().ok_or(Error::NoDataDir)?;
        let in_dir = path.parent() == Some(dir.as_path()) && file::version_of(path).is_some();
        if !in_dir {
            return Err(Error::CacheUnusable {
                path: path.to_path_buf(),
                detail: "not a cache file of this data dir".into(),
            });
        }
        fs::remove_file(path).map_err(|e| Error::io(path, e))?;
        info!(path = %path.display(), "cache file removed");
        Ok(())
    }

    /// The cache file built from the current archive, or why there is none.
    fn fresh_path(&self) -> Result<PathBuf> {
        let archive = self.archive_id(&mut PhaseTimings::default())?;
        let dir = self.cache_dir().ok_or(Error::NoDataDir)?;
        find_fresh(&dir, &archive.sha256).ok_or_else(|| Error::CacheUnusable {
            path: dir,
            detail: "no cache file built from this archive".into(),
        })
    }

    /// Checks the whole fresh cache file (header, length, payload checksum) without decoding it or
    /// reading the archive: how a watcher confirms a file that another process may have damaged.
    pub fn check_cache_file(&self) -> Result<()> {
        let path = self.fresh_path()?;
        let bytes = fs::read(&path).map_err(|e| Error::io(&path, e))?;
        file::verify(&bytes).map_err(|problem| Error::CacheUnusable {
            path: path.clone(),
            detail: state_of_problem(problem).to_string(),
        })?;
        Ok(())
    }

    /// Decodes the fresh cache file and parses the archive, for comparing the two.
    pub fn cache_and_archive(&self) -> Result<(Catalog, Catalog)> {
        let path = self.fresh_path()?;
        let (_, cached, _) = file::read(&path).map_err(|p| Error::CacheUnusable {
            path: path.clone(),
            detail: state_of_problem(p).to_string(),
        })?;
        let (fresh, _) = catalog::build(&self.archive_bytes()?.0, &self.options.limits)
            .map_err(|error| self.archive_error(error))?;
        Ok((cached, fresh))
    }

    /// The cache file of the archive's version, decoded whatever archive built it (`None` when there is
    /// no such file), and a fresh parse of the archive: what a diff compares, a stale file included.
    pub fn cache_file_and_archive(&self) -> Result<(PathBuf, Option<Catalog>, Catalog)> {
        let dir = self.cache_dir().ok_or(Error::NoDataDir)?;
        let (fresh, _) = catalog::build(&self.archive_bytes()?.0, &self.options.limits)
            .map_err(|error| self.archive_error(error))?;
        let path = dir.join(file::file_name(fresh.version()));
        let cached = match file::read(&path) {
            Ok((_, cached, _)) => Some(cached),
            Err(file::ReadProblem::Missing) => None,
            Err(p) => {
                return Err(Error::CacheUnusable {
                    path,
                    detail: state_of_problem(p).to_string(),
                });
            }
        };
        Ok((path, cached, fresh))
    }

    fn load_fresh_or_build(&self) -> Result<Loaded> {
        let start = Instant::now();
        let mut timings = PhaseTimings::default();
        let archive = self.archive_id(&mut timings)?;
        let Some(dir) = self.cache_dir() else {
            return self.build(None, timings, start);
        };
        let reason = match find_fresh(&dir, &archive.sha256) {
            Some(path) => match self.read_cache(&path, timings.clone(), start) {
                Ok(done) => return Ok(done),
                Err(state) => Some(BuildReason::Cache(state)),
            },
            None => None,
        };
        self.build(reason, timings, start)
    }

    fn read_cache(
        &self,
        path: &Path,
        mut timings: PhaseTimings,
        start: Instant,
    ) -> Result<Loaded, CacheState> {
        match file::read(path) {
            Ok((_, catalog, read)) => {
                timings.add(Phase::Read, read.read);
                timings.add(Phase::Verify, read.verify);
                timings.add(Phase::Decode, read.decode);
                info!(path = %path.display(), "loaded from cache");
                let report = report(
                    Outcome::Loaded,
                    timings,
                    start,
                    &catalog,
                    Some(path.to_path_buf()),
                );
                Ok(Loaded {
                    catalog: Arc::new(catalog),
                    report,
                })
            }
            Err(problem) => {
                let state = state_of_problem(problem);
                warn!(path = %path.display(), %state, "cache not usable, rebuilding");
                Err(state)
            }
        }
    }

    /// Builds from the archive and writes the cache; `reason` is found from the old file when not given.
    fn build(
        &self,
        reason: Option<BuildReason>,
        mut timings: PhaseTimings,
        start: Instant,
    ) -> Result<Loaded> {
        let t = Instant::now();
        let (bytes, stamp) = self.archive_bytes()?;
        timings.add(Phase::Hash, t.elapsed());
        let size = bytes.len() as u64;
        // A path archive is hashed again from the very bytes parsed, on a spare core.
        let embedded = matches!(self.options.source, ArchiveSource::Embedded);
        let built = catalog::build_from(bytes, &self.options.limits, !embedded)
            .map_err(|error| self.archive_error(error))?;
        let sha256 = built.archive_sha256.unwrap_or(crate::embedded::SHA256);
        let archive = ArchiveId {
            sha256,
            bytes: size,
        };
        if let Some(stamp) = stamp {
            *lock(&self.known_archive) = Some((stamp, archive));
        }
        let (catalog, phases) = (built.catalog, built.timings);
        timings.add(Phase::Hash, phases.hash);
        timings.add(Phase::Decompress, phases.decompress);
        timings.add(Phase::Parse, phases.parse);
        timings.add(Phase::Index, phases.index);
        self.remember_survey(archive, &catalog);

        let Some(dir) = self.cache_dir() else {
            let reason = reason.unwrap_or(BuildReason::Cache(CacheState::Missing));
            let why = "no data directory".to_string();
            warn!(%reason, %why, "keeping the data in memory only");
            let report = report(
                Outcome::InMemory { reason, why },
                timings,
                start,
                &catalog,
                None,
            );
            return Ok(Loaded {
                catalog: Arc::new(catalog),
                report,
            });
        };
        let path = dir.join(file::file_name(catalog.version()));
        let reason = reason.unwrap_or_else(|| {
            let hashes = owned_hashes(&catalog);
            BuildReason::Cache(state_of(&path, &hashes))
        });
        let outcome = match file::write(&path, archive.sha256, &catalog) {
            Ok((header, written)) => {
                timings.add(Phase::Encode, written.encode);
                let t = Instant::now();
                if let Err(e) = super::checksums::write(&path, &header, &catalog) {
                    warn!(error = %e, "could not write checksums.json");
                }
                timings.add(Phase::Write, written.write + t.elapsed());
                info!(path = %path.display(), %reason, "built from the archive, cache written");
                Outcome::Built(reason)
            }
            Err(e) => {
                let why = unwritable(&dir, &e);
                warn!(%reason, %why, "keeping the data in memory only");
                Outcome::InMemory { reason, why }
            }
        };
        let report = report(outcome, timings, start, &catalog, Some(path));
        Ok(Loaded {
            catalog: Arc::new(catalog),
            report,
        })
    }
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere must not make the data unreachable: the guarded values stay consistent.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn report(
    outcome: Outcome,
    timings: PhaseTimings,
    start: Instant,
    catalog: &Catalog,
    cache_path: Option<PathBuf>,
) -> LoadReport {
    LoadReport {
        reason: outcome.reason(),
        outcome,
        timings,
        total: start.elapsed(),
        databases: catalog.databases().len(),
        records: catalog.records(),
        failed_databases: catalog.failed().len(),
        version: catalog.version().to_string(),
        cache_path,
    }
}

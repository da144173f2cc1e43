//! CacheManager: load_or_build, rebuild, warm_load, status, invalidate. The only place fallbacks live.
//!
//! Nothing wrong with the cache makes a load fail: a missing, stale, corrupt or foreign-format file is rebuilt,
//! an unwritable data dir leaves the data in memory, and the report says which happened and why. Only an
//! unreadable archive is an error.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use tracing::{debug, info, warn};

use super::file::{self, ReadProblem};
use super::header::{FORMAT_VERSION, Header, HeaderProblem};
use super::report::{
    ArchiveInfo, BuildReason, CacheFileInfo, CacheState, CacheStatus, Change, ChangeKind,
    LoadReport, OtherCacheFile, Outcome, Phase, PhaseTimings,
};
use crate::catalog::{self, Catalog, Database, Limits};
use crate::error::{Error, Result};
use crate::record::RecordData;

/// Where the archive comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArchiveSource {
    /// The archive compiled into the binary; its hash is computed at compile time.
    Embedded,
    Path(PathBuf),
}

impl ArchiveSource {
    pub fn label(&self) -> String {
        match self {
            ArchiveSource::Embedded => "embedded".to_string(),
            ArchiveSource::Path(p) => p.display().to_string(),
        }
    }
}

/// How to build a manager.
#[derive(Debug, Clone)]
pub struct ManagerOptions {
    pub source: ArchiveSource,
    /// The data dir; the cache lives in its `cache/` folder. `None` keeps everything in memory.
    pub data_dir: Option<PathBuf>,
    pub limits: Limits,
}

impl Default for ManagerOptions {
    /// The embedded archive and the default data dir.
    fn default() -> Self {
        ManagerOptions {
            source: ArchiveSource::Embedded,
            data_dir: default_data_dir(),
            limits: Limits::default(),
        }
    }
}

/// `BACKSTORE_DATA_DIR`, else the platform's data directory for this program.
pub fn default_data_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("BACKSTORE_DATA_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("", "", "backstore").map(|d| d.data_dir().to_path_buf())
}

/// The data a load produced and how it went.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub catalog: Arc<Catalog>,
    pub report: LoadReport,
}

/// What identifies an archive, without holding its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ArchiveId {
    sha256: [u8; 32],
    bytes: u64,
}

/// Size and modification time of a path archive: while they hold, its hash is not computed again.
type Stamp = (u64, Option<SystemTime>);

/// What the current archive holds, for judging a cache file without loading it.
#[derive(Debug, Clone)]
struct Survey {
    archive_sha256: [u8; 32],
    version: String,
    hashes: Vec<(String, [u8; 32])>,
}

/// Loads the archive's databases through the binary cache. `Send + Sync`: share it behind an `Arc`.
#[derive(Debug)]
pub struct CacheManager {
    options: ManagerOptions,
    known_archive: Mutex<Option<(Stamp, ArchiveId)>>,
    survey: Mutex<Option<Survey>>,
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

    /// Checks the whole fresh cache file (header, length, payload checksum) without decoding it or
    /// reading the archive: how a watcher confirms a file that another process may have damaged.
    pub fn check_cache_file(&self) -> Result<()> {
        let mut timings = PhaseTimings::default();
        let archive = self.archive_id(&mut timings)?;
        let dir = self.cache_dir().ok_or(Error::NoDataDir)?;
        let path = find_fresh(&dir, &archive.sha256).ok_or_else(|| Error::CacheUnusable {
            path: dir.clone(),
            detail: "no cache file built from this archive".into(),
        })?;
        let bytes = fs::read(&path).map_err(|e| Error::io(&path, e))?;
        file::verify(&bytes).map_err(|problem| Error::CacheUnusable {
            path: path.clone(),
            detail: state_of_problem(problem).to_string(),
        })?;
        Ok(())
    }

    /// Decodes the fresh cache file and parses the archive, for comparing the two.
    pub fn cache_and_archive(&self) -> Result<(Catalog, Catalog)> {
        let mut timings = PhaseTimings::default();
        let archive = self.archive_id(&mut timings)?;
        let dir = self.cache_dir().ok_or(Error::NoDataDir)?;
        let path = find_fresh(&dir, &archive.sha256).ok_or_else(|| Error::CacheUnusable {
            path: dir.clone(),
            detail: "no cache file built from this archive".into(),
        })?;
        let (_, cached, _) = file::read(&path).map_err(|p| Error::CacheUnusable {
            path: path.clone(),
            detail: state_of_problem(p).to_string(),
        })?;
        let (fresh, _) = catalog::build(&self.archive_bytes()?.0, &self.options.limits)
            .map_err(|error| self.archive_error(error))?;
        Ok((cached, fresh))
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

    fn archive_error(&self, error: crate::error::ArchiveError) -> Error {
        Error::Archive {
            archive: self.options.source.label(),
            error,
        }
    }

    /// The archive's bytes, and for a path archive the size and mtime they were read at.
    fn archive_bytes(&self) -> Result<(Bytes, Option<Stamp>)> {
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
    fn archive_id(&self, timings: &mut PhaseTimings) -> Result<ArchiveId> {
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
    fn survey(&self, archive: ArchiveId) -> Result<Survey> {
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

    fn remember_survey(&self, archive: ArchiveId, catalog: &Catalog) -> Survey {
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

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere must not make the data unreachable: the guarded values stay consistent.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn owned_hashes(catalog: &Catalog) -> Vec<(String, [u8; 32])> {
    catalog
        .source_hashes()
        .into_iter()
        .map(|(n, h)| (n.to_string(), h))
        .collect()
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

/// The first cache file in the folder whose header says it was built from this archive.
fn find_fresh(dir: &Path, archive_sha256: &[u8; 32]) -> Option<PathBuf> {
    find_fresh_in(&file::list_cache_files(dir), archive_sha256)
}

fn find_fresh_in(files: &[PathBuf], archive_sha256: &[u8; 32]) -> Option<PathBuf> {
    files
        .iter()
        .find(|f| file::read_header(f).is_ok_and(|(h, _)| &h.archive_sha256 == archive_sha256))
        .cloned()
}

fn state_of_problem(problem: ReadProblem) -> CacheState {
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
fn state_of(path: &Path, hashes: &[(String, [u8; 32])]) -> CacheState {
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

fn file_info(path: Option<&Path>) -> CacheFileInfo {
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

fn unwritable(dir: &Path, error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem => {
            format!("data dir not writable ({}): {error}", dir.display())
        }
        _ => format!("cannot write the cache in {}: {error}", dir.display()),
    }
}

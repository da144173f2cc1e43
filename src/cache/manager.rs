//! `CacheManager`: `load_or_build`, rebuild, `warm_load`, status, invalidate. The only place fallbacks live.
//!
//! Nothing wrong with the cache makes a load fail: a missing, stale, corrupt or foreign-format file is rebuilt,
//! a data dir that cannot be written or trusted leaves the data in memory, and the report says which happened
//! and why. Only an unreadable archive is an error.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use tracing::{error, info, warn};

use super::file;
use super::identity::{Archive, ArchiveId, Readable, lock, owned_hashes};
use super::judge::{self, Data, Reading, Search, state_of};
use super::options::ManagerOptions;
use super::problem::Unusable;
use super::report::{
    BuildReason, CacheState, CacheStatus, Depth, LoadReport, Outcome, Phase, PhaseTimings,
};
use super::status;
use super::trust;
use super::validate;
use super::wire::Unchecked;
use super::write::{self, WriteLock};
use super::write_stream::Stream;
use crate::catalog::index::Sections;
use crate::catalog::{self, Catalog, Database};
use crate::error::{ArchiveError, Error, Result};
use crate::record::RecordData;

/// The data a load produced and how it went.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The databases, shared so that callers and the manager hold the same copy.
    pub catalog: Arc<Catalog>,
    /// Where the data came from, why, and how long each phase took.
    pub report: LoadReport,
}

/// Loads the archive's databases through the binary cache. `Send + Sync`: share it behind an `Arc`.
#[derive(Debug)]
pub struct CacheManager {
    options: ManagerOptions,
    archive: Archive,
    loaded: Mutex<Option<Loaded>>,
    /// Why this manager's last write failed, and for which archive: `status` reports it until a write works.
    write_failure: Mutex<Option<([u8; 32], Unusable)>>,
}

/// The process-wide manager for backstore's demo data and the default data dir, created on first use.
#[cfg(feature = "demo")]
pub fn embedded() -> &'static CacheManager {
    static MANAGER: OnceLock<CacheManager> = OnceLock::new();
    MANAGER.get_or_init(|| CacheManager::new(ManagerOptions::default()))
}

impl CacheManager {
    /// A manager for these options; nothing is read until the first load.
    pub fn new(options: ManagerOptions) -> Self {
        CacheManager {
            archive: Archive::new(options.source.clone(), options.limits),
            options,
            loaded: Mutex::new(None),
            write_failure: Mutex::new(None),
        }
    }

    /// The options it was made with.
    pub fn options(&self) -> &ManagerOptions {
        &self.options
    }

    /// The files the archive is read from, with their sizes and modification times: one for an archive
    /// file, every file of a folder of CSVs, none for an archive in memory. Comparing two readings tells a
    /// watcher the sources were edited.
    pub fn source_files(&self) -> Vec<crate::catalog::pack::Seen> {
        match &self.options.source {
            super::ArchiveSource::Path(path) => {
                crate::catalog::pack::stamp(path).unwrap_or_default()
            }
            _ => Vec::new(),
        }
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
        let Some(dir) = self.cache_dir() else {
            self.archive.id(&mut timings)?;
            return Err(Error::NoDataDir);
        };
        if let Err(error) = Self::refuse_untrusted(&dir) {
            self.archive.id(&mut timings)?;
            return Err(error);
        }
        let files = file::list_cache_files(&dir);
        let (archive, prefetched) = self.id_beside(&files, Reading::Deferred, &mut timings)?;
        let mut found = judge::search_with(&files, &archive.sha256, Reading::Deferred, prefetched);
        let done = match (found.fresh.take(), found.damage()) {
            (Some(fresh), _) => self.loaded_from(fresh, timings, start),
            (None, Some((path, state))) => return Err(Error::CacheUnusable { path, state }),
            (None, None) => return Err(Error::NoCache { dir }),
        };
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

    /// The cache's state against the archive, decided from the file's contents: header, size, payload
    /// checksum, and the body decoded and validated, as a load would find it.
    pub fn status(&self) -> Result<CacheStatus> {
        self.status_with(Depth::Full)
    }

    /// The cache's state, checking the file as deeply as asked (`Depth::Quick`: header and size only).
    pub fn status_with(&self, depth: Depth) -> Result<CacheStatus> {
        let failure = lock(&self.write_failure).clone();
        status::judge(
            &status::Inputs {
                archive: &self.archive,
                source: self.options.source.label(),
                data_dir: self.options.data_dir.clone(),
                write_failure: failure,
            },
            depth,
        )
    }

    fn refuse_untrusted(dir: &Path) -> Result<()> {
        trust::check_cache_dir(dir).map_err(|d| Error::CacheUnusable {
            path: d.path().to_path_buf(),
            state: CacheState::InMemoryOnly {
                why: Unusable::Untrusted(d),
            },
        })
    }

    /// Removes every cache file and `checksums.json`, and temporary files killed writers left; the loaded
    /// data stays usable. Returns what was removed.
    pub fn invalidate(&self) -> Result<Vec<PathBuf>> {
        let Some(dir) = self.cache_dir().filter(|d| d.is_dir()) else {
            return Ok(Vec::new());
        };
        Self::refuse_untrusted(&dir)?;
        let (_lock, mut removed) = WriteLock::acquire(&dir).map_err(|e| Error::io(&dir, e))?;
        let mut targets = file::list_cache_files(&dir);
        targets.push(dir.join(super::checksums::FILE_NAME));
        for path in targets {
            match fs::remove_file(&path) {
                Ok(()) => removed.push(path),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
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
            return Err(Error::NotACacheFile {
                path: path.to_path_buf(),
            });
        }
        Self::refuse_untrusted(&dir)?;
        fs::remove_file(path).map_err(|e| Error::io(path, e))?;
        info!(path = %path.display(), "cache file removed");
        Ok(())
    }

    /// The fresh cache file, read in full (header, length, checksum, decoding, validation), or why there
    /// is none.
    fn fresh_file(&self) -> Result<(PathBuf, Catalog)> {
        let archive = self.archive.id(&mut PhaseTimings::default())?;
        let dir = self.cache_dir().ok_or(Error::NoDataDir)?;
        Self::refuse_untrusted(&dir)?;
        let mut found = judge::search(
            &file::list_cache_files(&dir),
            &archive.sha256,
            Reading::Whole,
        );
        match (found.fresh.take(), found.damage()) {
            (
                Some(judge::Found {
                    path,
                    data: Some((Data::Checked(catalog), _)),
                }),
                _,
            ) => Ok((path, catalog)),
            (_, Some((path, state))) => Err(Error::CacheUnusable { path, state }),
            _ => Err(Error::NoCache { dir }),
        }
    }

    /// Checks the whole fresh cache file without parsing the archive: how a watcher confirms a file that
    /// another process may have damaged.
    pub fn check_cache_file(&self) -> Result<()> {
        self.fresh_file().map(|_| ())
    }

    /// Decodes the fresh cache file and parses the archive, for comparing the two.
    pub fn cache_and_archive(&self) -> Result<(Catalog, Catalog)> {
        let (_, cached) = self.fresh_file()?;
        let (fresh, _) = catalog::build(&self.archive.bytes()?.0, self.archive.limits())
            .map_err(|error| self.archive.error(error))?;
        Ok((cached, fresh))
    }

    /// The cache file of the archive's version, decoded whatever archive built it (`None` when there is
    /// no such file), and a fresh parse of the archive: what a diff compares, a stale file included.
    pub fn cache_file_and_archive(&self) -> Result<(PathBuf, Option<Catalog>, Catalog)> {
        let dir = self.cache_dir().ok_or(Error::NoDataDir)?;
        Self::refuse_untrusted(&dir)?;
        let (fresh, _) = catalog::build(&self.archive.bytes()?.0, self.archive.limits())
            .map_err(|error| self.archive.error(error))?;
        let path = dir.join(file::file_name(fresh.version()));
        let cached = match file::read(&path) {
            Ok((_, cached, _)) => Some(cached),
            Err(file::ReadProblem::Missing) => None,
            Err(problem) => {
                let state = judge::state_of_problem(problem);
                return Err(Error::CacheUnusable { path, state });
            }
        };
        Ok((path, cached, fresh))
    }

    fn load_fresh_or_build(&self) -> Result<Loaded> {
        let start = Instant::now();
        let mut timings = PhaseTimings::default();
        let Some(dir) = self.cache_dir() else {
            self.archive.id(&mut timings)?;
            return self.build(None, timings, start);
        };
        if let Err(distrust) = trust::check_cache_dir(&dir) {
            self.archive.id(&mut timings)?;
            let why = Unusable::Untrusted(distrust);
            let reason = BuildReason::Cache(CacheState::InMemoryOnly { why });
            warn!(%reason, "not using the cache");
            return self.build(Some(reason), timings, start);
        }
        let files = file::list_cache_files(&dir);
        if files.is_empty() {
            // Nothing to compare the hash with: the build hashes the bytes it parses, on a spare core, so
            // hashing them first as well would only delay it.
            return self.build(None, timings, start);
        }
        let (archive, prefetched) = self.id_beside(&files, Reading::Deferred, &mut timings)?;
        let mut found = judge::search_with(&files, &archive.sha256, Reading::Deferred, prefetched);
        for (path, problem) in &found.damaged {
            warn!(path = %path.display(), ?problem, "cache file built from this archive is damaged");
        }
        if let Some(fresh) = found.fresh.take() {
            let done = self.loaded_from(fresh, timings, start);
            Self::remove_damaged(&dir, &found);
            Ok(done)
        } else {
            let reason = found.damage().map(|(_, state)| BuildReason::Cache(state));
            self.build(reason, timings, start)
        }
    }

    /// The archive's identity and, when it has to be hashed, the cache file most likely to be fresh, read
    /// meanwhile: the hash on a second core, the file on this one. A warm start then costs the longer of
    /// the two rather than their sum. The file is only judged once the hash is known (see
    /// `judge::search_with`), so nothing is returned as fresh before that.
    fn id_beside(
        &self,
        files: &[PathBuf],
        reading: Reading,
        timings: &mut PhaseTimings,
    ) -> Result<(ArchiveId, Option<judge::Prefetched>)> {
        if files.is_empty() || !self.archive.needs_hashing() {
            return Ok((self.archive.id(timings)?, None));
        }
        let (id, hash_time, prefetched) = std::thread::scope(|scope| {
            let hashing = scope.spawn(|| {
                let t = Instant::now();
                let id = self.archive.id(&mut PhaseTimings::default());
                (id, t.elapsed())
            });
            let prefetched = judge::prefetch(files, reading);
            let (id, hash_time) = hashing
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (id, hash_time, prefetched)
        });
        timings.add(Phase::Hash, hash_time);
        Ok((id?, prefetched))
    }

    fn loaded_from(
        &self,
        found: judge::Found,
        mut timings: PhaseTimings,
        start: Instant,
    ) -> Loaded {
        let path = found.path;
        let (data, read) = found
            .data
            .expect("a search that reads whole files returns their data");
        let catalog = match data {
            Data::Checked(catalog) => catalog,
            Data::Unchecked(unchecked) => self.checked_on_first_use(&path, unchecked),
        };
        timings.add(Phase::Read, read.read);
        timings.add(Phase::Verify, read.verify);
        timings.add(Phase::Decode, read.decode);
        info!(path = %path.display(), "loaded from cache");
        let report = self.report(Outcome::Loaded, timings, start, &catalog, Some(path));
        Loaded {
            catalog: Arc::new(catalog),
            report,
        }
    }

    /// The catalog of a cache file whose databases are validated on their first use (validating them all at
    /// load would cost more than the rest of a warm load). A database that fails is replaced by its build
    /// from the archive, which also rewrites the cache file: the fallback, done once for the catalog.
    fn checked_on_first_use(&self, path: &Path, unchecked: Unchecked) -> Catalog {
        let options = self.options.clone();
        let path = path.to_path_buf();
        let max_extra = unchecked.max_extra;
        let rebuilt: OnceLock<Option<Arc<Catalog>>> = OnceLock::new();
        unchecked.catalog.check_on_first_use(Box::new(move |index, db| {
            let Err(problem) = validate::check(db, max_extra[index]) else {
                return db.clone();
            };
            warn!(path = %path.display(), database = db.name(), %problem,
                "cache file inconsistent; using the archive's data and rewriting the cache");
            let fresh = rebuilt.get_or_init(|| match CacheManager::new(options.clone()).rebuild() {
                Ok(loaded) => Some(loaded.catalog),
                Err(error) => {
                    error!(%error, "the archive could not be read to replace an inconsistent database");
                    None
                }
            });
            // Without the archive, an empty database is safer than an inconsistent one.
            fresh
                .as_ref()
                .and_then(|c| c.get(db.name()).cloned())
                .unwrap_or_else(|| Database::from_parts(db.meta().clone(), Sections::default()))
        }))
    }

    /// Removes the damaged files built from this archive, which would otherwise be read and refused on every
    /// load. Best effort: what cannot be removed is logged and tried again next time.
    fn remove_damaged(dir: &Path, found: &Search) {
        if found.damaged.is_empty() {
            return;
        }
        let Ok((_lock, _)) = WriteLock::acquire(dir) else {
            return;
        };
        for (path, _) in &found.damaged {
            match fs::remove_file(path) {
                Ok(()) => info!(path = %path.display(), "removed a damaged cache file"),
                Err(e) => {
                    warn!(path = %path.display(), error = %e, "could not remove a damaged cache file");
                }
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
        let (readable, stamp) = self.archive.readable()?;
        timings.add(Phase::Hash, t.elapsed());
        // The archive is hashed from the very bytes parsed (a file as it is read, bytes in memory on a
        // spare core), also when a build-time hash came with it: one that names other bytes would make
        // every warm start miss the cache, so it is refused.
        let limits = self.archive.limits();
        let mut stream = None;
        let built = match readable {
            Readable::Bytes(bytes) => catalog::build_from(bytes, limits, None),
            Readable::File { file, len } => {
                stream = self.stream_cache_file();
                match &stream {
                    Some(sink) => catalog::build_from_reader_into(file, len, limits, sink),
                    None => catalog::build_from_reader(file, len, limits),
                }
            }
        }
        .map_err(|error| self.archive.error(error))?;
        let size = built.archive_len;
        let sha256 = built.archive_sha256;
        if let Some(declared) = self.archive.declared_sha256()
            && declared != sha256
        {
            return Err(self.archive.error(ArchiveError::HashMismatch {
                declared,
                actual: sha256,
            }));
        }
        let archive = ArchiveId {
            sha256,
            bytes: size,
        };
        self.archive.remember(stamp, archive);
        let (catalog, phases) = (built.catalog, built.timings);
        timings.add(Phase::Hash, phases.hash);
        timings.add(Phase::Decompress, phases.decompress);
        timings.add(Phase::Parse, phases.parse);
        timings.add(Phase::Index, phases.index);
        self.archive.remember_survey(archive, &catalog);

        let Some(dir) = self.cache_dir() else {
            let reason = reason.unwrap_or(BuildReason::Cache(CacheState::Missing));
            let why = Unusable::NoDataDir;
            warn!(%reason, %why, "keeping the data in memory only");
            let outcome = Outcome::InMemory { reason, why };
            let report = self.report(outcome, timings, start, &catalog, None);
            return Ok(Loaded {
                catalog: Arc::new(catalog),
                report,
            });
        };
        let path = dir.join(file::file_name(catalog.version()));
        let reason = reason.unwrap_or_else(|| {
            let hashes = owned_hashes(&catalog);
            BuildReason::Cache(state_of(&path, &archive.sha256, &hashes, Depth::Quick))
        });
        let outcome = match write::persist(&path, archive.sha256, &catalog, stream, &mut timings) {
            Ok(()) => {
                *lock(&self.write_failure) = None;
                info!(path = %path.display(), %reason, "built from the archive, cache written");
                Outcome::Built(reason)
            }
            Err(why) => {
                warn!(%reason, %why, "keeping the data in memory only");
                *lock(&self.write_failure) = Some((archive.sha256, why.clone()));
                Outcome::InMemory { reason, why }
            }
        };
        let report = self.report(outcome, timings, start, &catalog, Some(path));
        Ok(Loaded {
            catalog: Arc::new(catalog),
            report,
        })
    }

    /// An unnamed cache file to stream the databases into as they are built, in a cache folder that passes
    /// the same checks as for writing (created if need be); `None` where there is none to be had, and the
    /// file is then written whole once the build is done (`persist` reports why it cannot be, if so).
    fn stream_cache_file(&self) -> Option<Stream> {
        let dir = self.cache_dir()?;
        trust::check_cache_dir(&dir).ok()?;
        if let Err(error) = trust::create_private_dir(&dir) {
            info!(%error, "no cache folder to stream the cache file into");
            return None;
        }
        trust::check_cache_dir(&dir).ok()?;
        match Stream::new(&dir) {
            Ok(stream) => Some(stream),
            Err(error) => {
                info!(%error, "cannot stream the cache file here; it is written whole after the build");
                None
            }
        }
    }

    fn report(
        &self,
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
            // Counted without using the databases, which would validate them all.
            databases: catalog.len(),
            records: catalog.records(),
            failed_databases: catalog.failed().len(),
            version: catalog.version().to_string(),
            data_dir: self.options.data_dir.clone(),
            cache_path,
        }
    }
}

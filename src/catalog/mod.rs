//! The data model, with no disk cache involved: archive bytes -> every database's index.

pub mod archive;
pub(crate) mod arena;
pub mod compare;
pub(crate) mod csv;
pub mod diff;
pub mod index;

use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde::Serialize;

pub use archive::{Limits, SkipReason, SkippedEntry};
pub use index::{Database, DatabaseMeta, DuplicateKey, Record, Warnings};

use crate::error::ArchiveError;
use archive::CsvEntry;
use index::Sections;

/// The version used for the cache file name when no database carries one.
pub const DEFAULT_VERSION: &str = "v0.1.0";

/// A database that could not be loaded (invalid UTF-8), kept so it can be reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedDatabase {
    pub name: String,
    #[serde(serialize_with = "crate::hex::serialize")]
    pub source_sha256: [u8; 32],
    pub error: String,
}

/// Every database of one archive, sorted by name.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub(crate) databases: Vec<Database>,
    pub(crate) failed: Vec<FailedDatabase>,
    pub(crate) skipped: Vec<SkippedEntry>,
}

/// Wall time of each phase of a build from the archive.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuildTimings {
    /// Per-database SHA-256s (the archive's own hash is timed by the caller).
    pub hash: Duration,
    pub decompress: Duration,
    pub parse: Duration,
    pub index: Duration,
}

impl Catalog {
    pub(crate) fn from_parts(
        mut databases: Vec<Database>,
        mut failed: Vec<FailedDatabase>,
        skipped: Vec<SkippedEntry>,
    ) -> Self {
        databases.sort_by(|a, b| a.name().cmp(b.name()));
        failed.sort_by(|a, b| a.name.cmp(&b.name));
        Catalog {
            databases,
            failed,
            skipped,
        }
    }

    pub fn databases(&self) -> &[Database] {
        &self.databases
    }

    pub fn get(&self, name: &str) -> Option<&Database> {
        self.databases
            .binary_search_by(|d| d.name().cmp(name))
            .ok()
            .map(|i| &self.databases[i])
    }

    /// Databases left out because they could not be read.
    pub fn failed(&self) -> &[FailedDatabase] {
        &self.failed
    }

    /// Archive entries that were not databases.
    pub fn skipped(&self) -> &[SkippedEntry] {
        &self.skipped
    }

    pub fn records(&self) -> usize {
        self.databases.iter().map(Database::len).sum()
    }

    /// The first versioned database's version in name order, else the default; names the cache file.
    pub fn version(&self) -> &str {
        self.databases
            .iter()
            .find_map(Database::version)
            .unwrap_or(DEFAULT_VERSION)
    }

    /// Every database's source hash, loaded or failed, by name.
    pub fn source_hashes(&self) -> Vec<(&str, [u8; 32])> {
        let loaded = self
            .databases
            .iter()
            .map(|d| (d.name(), d.meta().source_sha256));
        let failed = self
            .failed
            .iter()
            .map(|f| (f.name.as_str(), f.source_sha256));
        let mut all: Vec<_> = loaded.chain(failed).collect();
        all.sort();
        all
    }
}

/// Reads an archive and indexes every database in it, on all cores.
pub fn build(bytes: &[u8], limits: &Limits) -> Result<(Catalog, BuildTimings), ArchiveError> {
    let built = build_from(bytes, limits, false)?;
    Ok((built.catalog, built.timings))
}

/// What [`build_from`] returns.
pub struct Built {
    pub catalog: Catalog,
    pub timings: BuildTimings,
    /// The archive's SHA-256, when it was asked for.
    pub archive_sha256: Option<[u8; 32]>,
}

/// Builds on all cores: while this thread decompresses, the others parse the entries it has finished,
/// and it joins them once the stream is done. A spare core first hashes the whole archive when asked
/// (it would wait for the first entry anyway), and this thread lets go of `bytes` as soon as the stream
/// is read, so a large archive is not held while the last databases are parsed.
pub fn build_from<B>(bytes: B, limits: &Limits, hash_archive: bool) -> Result<Built, ArchiveError>
where
    B: AsRef<[u8]> + Clone + Send,
{
    let start = Instant::now();
    let (sender, receiver) = mpsc::channel::<CsvEntry>();
    let receiver = Mutex::new(receiver);
    let helpers = std::thread::available_parallelism().map_or(1, usize::from) - 1;
    let mut archive_hash = None;
    let mut hash_cpu = Duration::ZERO;
    let to_hash = hash_archive.then(|| bytes.clone());
    let (unpacked, mut results, decompress_cpu, hashed) = std::thread::scope(|scope| {
        let mut to_hash = to_hash;
        let workers: Vec<_> = (0..helpers)
            .map(|_| {
                let mine = to_hash.take();
                let receiver = &receiver;
                scope.spawn(move || {
                    let hashed = mine.map(|b| timed_sha256(b.as_ref()));
                    (work_through(receiver), hashed)
                })
            })
            .collect();
        // Without a spare core, hash here first.
        let mut hashed = to_hash.map(|b| timed_sha256(b.as_ref()));
        let t = Instant::now();
        let unpacked = archive::unpack_each(bytes.as_ref(), limits, |entry| {
            // The receiver outlives every send, so this cannot fail.
            let _ = sender.send(entry);
        });
        let decompress_cpu = t.elapsed();
        drop(bytes);
        drop(sender);
        let mut results = work_through(&receiver);
        for worker in workers {
            if let Ok((done, worker_hash)) = worker.join() {
                results.extend(done);
                hashed = hashed.or(worker_hash);
            }
        }
        (unpacked, results, decompress_cpu, hashed)
    });
    if let Some((sha, cpu)) = hashed {
        archive_hash = Some(sha);
        hash_cpu = cpu;
    }
    let skipped = unpacked?;
    let wall = start.elapsed();

    let mut cpu = BuildTimings {
        decompress: decompress_cpu,
        hash: hash_cpu,
        ..BuildTimings::default()
    };
    let mut databases = Vec::new();
    let mut failed = Vec::new();
    for outcome in results.drain(..) {
        cpu.hash += outcome.cpu.hash;
        cpu.parse += outcome.cpu.parse;
        cpu.index += outcome.cpu.index;
        match outcome.result {
            Ok(db) => databases.push(db),
            Err(f) => failed.push(f),
        }
    }
    Ok(Built {
        catalog: Catalog::from_parts(databases, failed, skipped),
        timings: split_wall_time(wall, cpu),
        archive_sha256: archive_hash,
    })
}

fn timed_sha256(bytes: &[u8]) -> ([u8; 32], Duration) {
    let t = Instant::now();
    (archive::sha256(bytes), t.elapsed())
}

/// The phases overlap on several cores, so each is reported as its share of the wall time in proportion
/// to its CPU time: the phases add up to the wall time and still show where the work went.
fn split_wall_time(wall: Duration, cpu: BuildTimings) -> BuildTimings {
    let total = (cpu.hash + cpu.decompress + cpu.parse + cpu.index).as_secs_f64();
    let share = |d: Duration| {
        if total > 0.0 {
            wall.mul_f64(d.as_secs_f64() / total)
        } else {
            Duration::ZERO
        }
    };
    BuildTimings {
        hash: share(cpu.hash),
        decompress: share(cpu.decompress),
        parse: share(cpu.parse),
        index: share(cpu.index),
    }
}

struct Outcome {
    result: Result<Database, FailedDatabase>,
    cpu: BuildTimings,
}

fn work_through(entries: &Mutex<mpsc::Receiver<CsvEntry>>) -> Vec<Outcome> {
    let mut done = Vec::new();
    loop {
        let next = match entries.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return done,
        };
        match next {
            Ok(entry) => done.push(index_entry(entry)),
            Err(_) => return done,
        }
    }
}

/// Hashes, parses and indexes one CSV entry; its bytes are dropped as soon as they are parsed.
fn index_entry(entry: CsvEntry) -> Outcome {
    let mut cpu = BuildTimings::default();
    let t = Instant::now();
    let source_sha256 = archive::sha256(&entry.bytes);
    cpu.hash = t.elapsed();

    let t = Instant::now();
    let parsed = csv::parse(&entry.path, &entry.bytes);
    drop(entry.bytes);
    cpu.parse = t.elapsed();
    let parsed = match parsed {
        Ok(parsed) => parsed,
        Err(error) => {
            let failed = FailedDatabase {
                name: entry.name,
                source_sha256,
                error,
            };
            return Outcome {
                result: Err(failed),
                cpu,
            };
        }
    };

    let t = Instant::now();
    let (key_slots, duplicates) =
        index::build_key_table(&parsed.text, &parsed.field_ends, &parsed.record_starts);
    let mut warnings = parsed.warnings;
    warnings.duplicate_rows = duplicates.iter().map(|d| d.repeats.len() as u64).sum();
    warnings.duplicates = duplicates;
    let meta = DatabaseMeta {
        name: entry.name,
        source_sha256,
        versioned: parsed.versioned,
        version: parsed.version,
        version_exceptions: parsed.version_exceptions,
        columns: parsed.columns,
        warnings,
    };
    let sections = Sections {
        text: Bytes::from(parsed.text),
        field_ends: Bytes::from(parsed.field_ends),
        record_starts: Bytes::from(parsed.record_starts),
        key_slots: Bytes::from(key_slots),
    };
    cpu.index = t.elapsed();
    Outcome {
        result: Ok(Database::from_parts(meta, sections)),
        cpu,
    }
}

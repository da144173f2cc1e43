//! One build: archive bytes -> every database's index, on all cores, with each database's failure (a panic
//! included) kept as its own and the archive's hash taken from the very bytes parsed.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::archive::{self, CsvEntry};
use super::csv::{self, ParseError};
use super::index::{self, Database, DatabaseMeta, Sections};
use super::limits::{Budget, Limits};
use super::{BuildTimings, Catalog, FailedDatabase};
use crate::error::{ArchiveError, BuildFailure, CsvProblem, DatabaseError};

/// Reads an archive and indexes every database in it, on all cores.
pub fn build(bytes: &[u8], limits: &Limits) -> Result<(Catalog, BuildTimings), ArchiveError> {
    let built = build_inner(bytes, limits, Hashing::Skip)?;
    Ok((built.catalog, built.timings))
}

/// What [`build_from`] returns.
pub struct Built {
    /// The databases built.
    pub catalog: Catalog,
    /// How long each phase took.
    pub timings: BuildTimings,
    /// The archive's SHA-256: the one the caller knew, or computed from the very bytes parsed.
    pub archive_sha256: [u8; 32],
}

/// Whether a build hashes the whole archive too.
#[derive(Clone, Copy)]
enum Hashing {
    Skip,
    Known([u8; 32]),
    Compute,
}

/// Builds on all cores, and gives the archive's SHA-256: `known_sha256` when the caller already has the
/// hash of these bytes (the embedded archive's is computed at compile time), else computed from them.
///
/// While this thread decompresses, the others parse the entries it has finished, and it joins them once
/// the stream is done. A spare core first hashes the whole archive (it would wait for the first entry
/// anyway), and this thread lets go of `bytes` as soon as the stream is read, so a large archive is not
/// held while the last databases are parsed.
pub fn build_from<B>(
    bytes: B,
    limits: &Limits,
    known_sha256: Option<[u8; 32]>,
) -> Result<Built, ArchiveError>
where
    B: AsRef<[u8]> + Clone + Send,
{
    let hashing = known_sha256.map_or(Hashing::Compute, Hashing::Known);
    let built = build_inner(bytes, limits, hashing)?;
    let archive_sha256 = built
        .archive_sha256
        .ok_or(ArchiveError::BuildFailed(BuildFailure::NotHashed))?;
    Ok(Built {
        catalog: built.catalog,
        timings: built.timings,
        archive_sha256,
    })
}

struct Inner {
    catalog: Catalog,
    timings: BuildTimings,
    archive_sha256: Option<[u8; 32]>,
}

fn build_inner<B>(bytes: B, limits: &Limits, hashing: Hashing) -> Result<Inner, ArchiveError>
where
    B: AsRef<[u8]> + Clone + Send,
{
    let start = Instant::now();
    if let Hashing::Known(sha) = hashing {
        debug_assert_eq!(
            archive::sha256(bytes.as_ref()),
            sha,
            "a known hash is of these bytes"
        );
    }
    let (sender, receiver) = mpsc::channel::<CsvEntry>();
    let receiver = Mutex::new(receiver);
    let budget = Budget::new(limits);
    let helpers = std::thread::available_parallelism().map_or(1, usize::from) - 1;
    let to_hash = matches!(hashing, Hashing::Compute).then(|| bytes.clone());
    let (unpacked, mut results, decompress_cpu, hashed, lost) = std::thread::scope(|scope| {
        let mut to_hash = to_hash;
        let workers: Vec<_> = (0..helpers)
            .map(|_| {
                let mine = to_hash.take();
                let (receiver, budget) = (&receiver, &budget);
                scope.spawn(move || {
                    let hashed = mine.map(|b| timed_sha256(b.as_ref()));
                    (work_through(receiver, budget), hashed)
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
        if unpacked.is_err() {
            // The archive is refused: the databases being parsed are let go at their next chunk.
            budget.stop();
        }
        let decompress_cpu = t.elapsed();
        drop(bytes);
        drop(sender);
        let mut results = work_through(&receiver, &budget);
        // A helper that died outside one entry's work took entries (or the hash) with it: never a partial
        // build reported as whole.
        let mut lost = None;
        for worker in workers {
            match worker.join() {
                Ok((done, worker_hash)) => {
                    results.extend(done);
                    hashed = hashed.or(worker_hash);
                }
                Err(payload) => lost = Some(panic_message(payload.as_ref())),
            }
        }
        (unpacked, results, decompress_cpu, hashed, lost)
    });
    let skipped = unpacked?;
    if let Some(message) = lost {
        return Err(ArchiveError::BuildFailed(BuildFailure::ThreadPanicked(
            message,
        )));
    }
    let wall = start.elapsed();

    let mut cpu = BuildTimings {
        decompress: decompress_cpu,
        ..BuildTimings::default()
    };
    let archive_sha256 = match hashing {
        Hashing::Skip => None,
        Hashing::Known(sha) => Some(sha),
        Hashing::Compute => {
            let (sha, hash_cpu) =
                hashed.ok_or(ArchiveError::BuildFailed(BuildFailure::NotHashed))?;
            cpu.hash = hash_cpu;
            Some(sha)
        }
    };
    let mut databases = Vec::new();
    let mut failed = Vec::new();
    let mut abandoned = false;
    for outcome in results.drain(..) {
        cpu.hash += outcome.cpu.hash;
        cpu.parse += outcome.cpu.parse;
        cpu.index += outcome.cpu.index;
        match outcome.result {
            Ok(db) => databases.push(db),
            Err(Failure::Database(f)) => failed.push(f),
            Err(Failure::Build(error)) => return Err(error),
            Err(Failure::Abandoned) => abandoned = true,
        }
    }
    if abandoned || budget.stopped() {
        // Only a claim over a limit or a refused stream (returned above) stops a build.
        return Err(ArchiveError::BuildFailed(BuildFailure::LetGo));
    }
    Ok(Inner {
        catalog: Catalog::from_parts(databases, failed, skipped),
        timings: split_wall_time(wall, cpu),
        archive_sha256,
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
    result: Result<Database, Failure>,
    cpu: BuildTimings,
}

/// How one entry's work failed: its database alone, or the whole build (an index limit).
enum Failure {
    Database(FailedDatabase),
    Build(ArchiveError),
    /// Let go because another entry failed the build.
    Abandoned,
}

fn work_through(entries: &Mutex<mpsc::Receiver<CsvEntry>>, budget: &Budget) -> Vec<Outcome> {
    let mut done = Vec::new();
    loop {
        let next = match entries.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return done,
        };
        match next {
            // Once the build has failed, what is still queued is only let go of.
            Ok(_) if budget.stopped() => {}
            Ok(entry) => done.push(index_entry(entry, budget)),
            Err(_) => return done,
        }
    }
}

/// Hashes, parses and indexes one CSV entry. Whatever goes wrong, a panic included, is this database's
/// error (or, over an index limit, the build's), never lost.
fn index_entry(entry: CsvEntry, budget: &Budget) -> Outcome {
    let mut cpu = BuildTimings::default();
    let t = Instant::now();
    let source_sha256 = archive::sha256(&entry.bytes);
    cpu.hash = t.elapsed();
    let (name, path) = (entry.name.clone(), entry.path.clone());
    let work = panic::catch_unwind(AssertUnwindSafe(|| {
        index_csv(entry, source_sha256, budget, &mut cpu)
    }));
    let error = match work {
        Ok(Ok(db)) => {
            return Outcome {
                result: Ok(db),
                cpu,
            };
        }
        Ok(Err(ParseError::Csv(error))) => match error.problem {
            CsvProblem::InvalidUtf8 { .. } => DatabaseError::Csv(error),
            CsvProblem::OverLimit(_) => {
                let result = Err(Failure::Build(ArchiveError::IndexTooLarge(error)));
                return Outcome { result, cpu };
            }
        },
        Ok(Err(ParseError::Abandoned)) => {
            let result = Err(Failure::Abandoned);
            return Outcome { result, cpu };
        }
        Err(payload) => DatabaseError::Panicked {
            path,
            message: panic_message(payload.as_ref()),
        },
    };
    let failed = FailedDatabase {
        name,
        source_sha256,
        error,
    };
    Outcome {
        result: Err(Failure::Database(failed)),
        cpu,
    }
}

/// Parses and indexes one database's CSV; its bytes are dropped as soon as they are parsed.
pub(crate) fn index_csv(
    entry: CsvEntry,
    source_sha256: [u8; 32],
    budget: &Budget,
    cpu: &mut BuildTimings,
) -> Result<Database, ParseError> {
    #[cfg(feature = "testkit")]
    crate::testkit::faults::before_parsing(&entry.name);
    let t = Instant::now();
    let parsed = csv::parse(&entry.path, &entry.bytes, budget);
    drop(entry.bytes);
    cpu.parse = t.elapsed();
    let parsed = parsed?;

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
    Ok(Database::from_parts(meta, sections))
}

/// A panic's message, for the error that reports it.
fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic without a message".to_string()
    }
}

//! One build: archive bytes -> every database's index, on all cores, with each database's failure (a panic
//! included) kept as its own and the archive's hash taken from the very bytes parsed.

use std::any::Any;
use std::io::Read;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::archive::{self, CsvEntry, Hashed, SkippedEntry};
use super::csv::{self, ParseError};
use super::index::{self, Database, DatabaseMeta, Sections};
use super::limits::{Budget, Limits};
use super::{BuildTimings, Catalog, FailedDatabase};
use crate::error::{ArchiveError, BuildFailure, CsvProblem, DatabaseError};

/// Takes each database as soon as it is indexed, on the thread that indexed it: the cache streams it to
/// disk while the rest of the archive is still being read, instead of writing everything at the end.
pub trait Sink: Sync {
    /// One database, indexed and about to join the catalog.
    fn take(&self, database: &Database);
}

/// A sink that keeps nothing: the build alone.
struct NoSink;

impl Sink for NoSink {
    fn take(&self, _: &Database) {}
}

/// Reads an archive and indexes every database in it, on all cores.
pub fn build(bytes: &[u8], limits: &Limits) -> Result<(Catalog, BuildTimings), ArchiveError> {
    let unpack = |on_entry: &mut dyn FnMut(CsvEntry)| {
        let skipped = archive::unpack_each(bytes, limits, on_entry)?;
        Ok((skipped, None))
    };
    let built = build_inner(unpack, None::<&[u8]>, limits, &NoSink)?;
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
    /// The archive's size in bytes, as read.
    pub archive_len: u64,
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
    if let Some(sha) = known_sha256 {
        debug_assert_eq!(
            archive::sha256(bytes.as_ref()),
            sha,
            "a known hash is of these bytes"
        );
    }
    let len = bytes.as_ref().len() as u64;
    let to_hash = known_sha256.is_none().then(|| bytes.clone());
    let unpack = move |on_entry: &mut dyn FnMut(CsvEntry)| {
        let skipped = archive::unpack_each(bytes.as_ref(), limits, on_entry)?;
        // Let go of the archive before the last databases are parsed.
        drop(bytes);
        Ok((
            skipped,
            known_sha256.map(|sha| ((sha, len), Duration::ZERO)),
        ))
    };
    let built = build_inner(unpack, to_hash, limits, &NoSink)?;
    let (archive_sha256, _) = built
        .archive_sha256
        .ok_or(ArchiveError::BuildFailed(BuildFailure::NotHashed))?;
    Ok(Built {
        catalog: built.catalog,
        timings: built.timings,
        archive_sha256,
        archive_len: len,
    })
}

/// Builds on all cores from an archive read a piece at a time (a file), so its compressed bytes are never
/// all held, and hashes it from the very bytes parsed as they are read. `len` is its size, which the
/// limits scale with; the hash and the length returned are those of every byte `source` held.
pub fn build_from_reader<R: Read>(
    source: R,
    len: u64,
    limits: &Limits,
) -> Result<Built, ArchiveError> {
    build_from_reader_into(source, len, limits, &NoSink)
}

/// As [`build_from_reader`], handing each database to `sink` as soon as it is indexed.
pub fn build_from_reader_into<R: Read>(
    source: R,
    len: u64,
    limits: &Limits,
    sink: &dyn Sink,
) -> Result<Built, ArchiveError> {
    let unpack = move |on_entry: &mut dyn FnMut(CsvEntry)| {
        let (skipped, rest) = archive::unpack_from(Hashed::new(source), len, limits, on_entry)?;
        // A plain tar may go on after its end marker: the hash is of the whole file all the same.
        let t = Instant::now();
        let (sha, read) = rest.finish().map_err(ArchiveError::Unreadable)?;
        Ok((skipped, Some(((sha, read), t.elapsed()))))
    };
    let built = build_inner(unpack, None::<&[u8]>, limits, sink)?;
    let (archive_sha256, archive_len) = built
        .archive_sha256
        .ok_or(ArchiveError::BuildFailed(BuildFailure::NotHashed))?;
    Ok(Built {
        catalog: built.catalog,
        timings: built.timings,
        archive_sha256,
        archive_len,
    })
}

/// An archive's SHA-256 and size.
type Identity = ([u8; 32], u64);

struct Inner {
    catalog: Catalog,
    timings: BuildTimings,
    /// The archive's identity as the reading found it, or as hashed on a spare core.
    archive_sha256: Option<Identity>,
}

/// What reading the archive gives: the skipped entries, and the archive's identity when it was found
/// while reading.
type Unpacked = (Vec<SkippedEntry>, Option<(Identity, Duration)>);

fn build_inner<U, B>(
    unpack: U,
    to_hash: Option<B>,
    limits: &Limits,
    sink: &dyn Sink,
) -> Result<Inner, ArchiveError>
where
    U: FnOnce(&mut dyn FnMut(CsvEntry)) -> Result<Unpacked, ArchiveError>,
    B: AsRef<[u8]> + Send,
{
    let start = Instant::now();
    let (sender, receiver) = mpsc::channel::<CsvEntry>();
    let receiver = Mutex::new(receiver);
    let budget = Budget::new(limits);
    let helpers = std::thread::available_parallelism().map_or(1, usize::from) - 1;
    let (unpacked, mut results, decompress_cpu, hashed, lost) = std::thread::scope(|scope| {
        let mut to_hash = to_hash;
        let workers: Vec<_> = (0..helpers)
            .map(|_| {
                let mine = to_hash.take();
                let (receiver, budget) = (&receiver, &budget);
                scope.spawn(move || {
                    let hashed = mine.map(|b| timed_sha256(b.as_ref()));
                    (work_through(receiver, budget, sink), hashed)
                })
            })
            .collect();
        // Without a spare core, hash here first.
        let mut hashed = to_hash.map(|b| timed_sha256(b.as_ref()));
        let t = Instant::now();
        let unpacked = unpack(&mut |entry| {
            // The receiver outlives every send, so this cannot fail.
            let _ = sender.send(entry);
        });
        if unpacked.is_err() {
            // The archive is refused: the databases being parsed are let go at their next chunk.
            budget.stop();
        }
        let decompress_cpu = t.elapsed();
        drop(sender);
        let mut results = work_through(&receiver, &budget, sink);
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
    let (skipped, read_hash) = unpacked?;
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
    if let Some((_, hash_cpu)) = read_hash {
        // Hashed while reading: that time is not the decompression's.
        cpu.decompress = cpu.decompress.saturating_sub(hash_cpu);
    }
    let archive_sha256 = read_hash.or(hashed).map(|(id, hash_cpu)| {
        cpu.hash += hash_cpu;
        id
    });
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

fn timed_sha256(bytes: &[u8]) -> (Identity, Duration) {
    let t = Instant::now();
    let id = (archive::sha256(bytes), bytes.len() as u64);
    (id, t.elapsed())
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

fn work_through(
    entries: &Mutex<mpsc::Receiver<CsvEntry>>,
    budget: &Budget,
    sink: &dyn Sink,
) -> Vec<Outcome> {
    let mut done = Vec::new();
    loop {
        let next = match entries.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return done,
        };
        match next {
            // Once the build has failed, what is still queued is only let go of.
            Ok(_) if budget.stopped() => {}
            Ok(entry) => {
                let outcome = index_entry(entry, budget);
                if let Ok(database) = &outcome.result {
                    sink.take(database);
                }
                done.push(outcome);
            }
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

/// Parses and indexes one database's CSV; its bytes become the text of its rows as they are parsed.
pub(crate) fn index_csv(
    entry: CsvEntry,
    source_sha256: [u8; 32],
    budget: &Budget,
    cpu: &mut BuildTimings,
) -> Result<Database, ParseError> {
    #[cfg(feature = "testkit")]
    crate::testkit::faults::before_parsing(&entry.name);
    let t = Instant::now();
    let parsed = csv::parse(&entry.path, entry.bytes, budget);
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

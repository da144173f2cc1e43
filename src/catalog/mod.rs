//! The data model, with no disk cache involved: archive bytes -> every database's index.

mod access;
pub mod archive;
pub(crate) mod arena;
pub(crate) mod build;
pub mod compare;
pub(crate) mod csv;
mod deserialize;
pub mod diff;
pub mod index;
pub mod limits;
pub mod pack;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde::Serialize;

pub use archive::{SkipReason, SkippedEntry};
pub use build::{Built, Sink, build, build_from, build_from_reader, build_from_reader_into};
pub use deserialize::DeserializeError;
pub use index::{Database, DatabaseMeta, DuplicateKey, Record, Warnings};
pub use limits::{IndexLimit, Limits};

use crate::error::DatabaseError;

/// The version used for the cache file name when no database carries one.
pub const DEFAULT_VERSION: &str = "v0.1.0";

/// A database that could not be loaded (invalid UTF-8, or a bug while parsing it), kept so it can be
/// reported; the archive's other databases load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedDatabase {
    /// The database's name (its file stem).
    pub name: String,
    /// SHA-256 of its CSV bytes.
    #[serde(serialize_with = "crate::hex::serialize")]
    pub source_sha256: [u8; 32],
    /// Why; serialized as its one-line message.
    #[serde(serialize_with = "as_message")]
    pub error: DatabaseError,
}

fn as_message<S: serde::Serializer>(error: &DatabaseError, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(error)
}

/// Every database of one archive, sorted by name.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub(crate) databases: Vec<Database>,
    pub(crate) failed: Vec<FailedDatabase>,
    pub(crate) skipped: Vec<SkippedEntry>,
    /// For a catalog read from a cache file: each database goes through a check on its first use.
    first_use: Option<Arc<FirstUse>>,
}

/// What a database must pass on its first use, and what is used instead when it does not.
pub(crate) type Check = Box<dyn Fn(usize, &Database) -> Database + Send + Sync>;

/// Databases as they are after their first use: checked, or replaced.
struct FirstUse {
    each: Vec<OnceLock<Database>>,
    all: OnceLock<Vec<Database>>,
    check: Check,
}

impl std::fmt::Debug for FirstUse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let checked = self.each.iter().filter(|d| d.get().is_some()).count();
        write!(
            f,
            "FirstUse {{ checked: {checked} of {} }}",
            self.each.len()
        )
    }
}

/// Wall time of each phase of a build from the archive.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuildTimings {
    /// SHA-256s: every database's, and the archive's when the build computes it.
    pub hash: Duration,
    /// Reading the archive's entries out of the gzip and tar streams.
    pub decompress: Duration,
    /// Splitting the CSV into fields.
    pub parse: Duration,
    /// Building the key tables and warnings.
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
            first_use: None,
        }
    }

    /// Makes every database go through `check` on its first use (by `get` or `databases`), which returns
    /// the database to use: the same one, or a replacement. Each is checked once.
    pub(crate) fn check_on_first_use(mut self, check: Check) -> Self {
        self.first_use = Some(Arc::new(FirstUse {
            each: self.databases.iter().map(|_| OnceLock::new()).collect(),
            all: OnceLock::new(),
            check,
        }));
        self
    }

    /// Checks every database not checked yet, spread over the cores: validating a large catalog takes
    /// about as long as loading it, and each database is checked on its own.
    fn check_all(&self) {
        let Some(first) = &self.first_use else { return };
        let pending: Vec<usize> = (0..self.databases.len())
            .filter(|&i| first.each[i].get().is_none())
            .collect();
        let threads = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .min(pending.len());
        if threads < 2 {
            return;
        }
        let next = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| {
                    while let Some(&i) =
                        pending.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
                    {
                        self.used(i);
                    }
                });
            }
        });
    }

    fn used(&self, index: usize) -> &Database {
        match &self.first_use {
            Some(first) => {
                first.each[index].get_or_init(|| (first.check)(index, &self.databases[index]))
            }
            None => &self.databases[index],
        }
    }

    /// Every database, in name order.
    pub fn databases(&self) -> &[Database] {
        match &self.first_use {
            Some(first) => first.all.get_or_init(|| {
                self.check_all();
                (0..self.databases.len())
                    .map(|i| self.used(i).clone())
                    .collect()
            }),
            None => &self.databases,
        }
    }

    /// Number of databases loaded (those that failed not counted).
    pub fn len(&self) -> usize {
        self.databases.len()
    }

    /// Whether no database loaded.
    pub fn is_empty(&self) -> bool {
        self.databases.is_empty()
    }

    /// The database of this name, if it loaded.
    pub fn get(&self, name: &str) -> Option<&Database> {
        self.databases
            .binary_search_by(|d| d.name().cmp(name))
            .ok()
            .map(|i| self.used(i))
    }

    /// Databases left out because they could not be read.
    pub fn failed(&self) -> &[FailedDatabase] {
        &self.failed
    }

    /// Archive entries that were not databases.
    pub fn skipped(&self) -> &[SkippedEntry] {
        &self.skipped
    }

    /// Records in all databases together.
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
        all.sort_unstable();
        all
    }
}

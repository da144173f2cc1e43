//! What a load did and why, how long each phase took, and the cache's state: `Display` for people,
//! `Serialize` for `--json`.

use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use serde::{Serialize, Serializer};

pub use super::clock::{age, rfc3339};
use super::problem::{Corruption, Unusable};

/// A step of a cold build or a warm load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Hashing the archive (SHA-256).
    Hash,
    /// Reading the entries out of the gzip and tar streams.
    Decompress,
    /// Splitting CSV into fields.
    Parse,
    /// Building key tables and warnings.
    Index,
    /// Encoding the catalog into the cache body.
    Encode,
    /// Writing the cache file.
    Write,
    /// Reading the cache file.
    Read,
    /// Checking the payload checksum.
    Verify,
    /// Decoding the body and proving it consistent.
    Decode,
}

impl Phase {
    /// The phases of a cold build, in order.
    pub const COLD: [Phase; 6] = [
        Phase::Hash,
        Phase::Decompress,
        Phase::Parse,
        Phase::Index,
        Phase::Encode,
        Phase::Write,
    ];
    /// The phases of a warm load, in order.
    pub const WARM: [Phase; 4] = [Phase::Hash, Phase::Read, Phase::Verify, Phase::Decode];

    /// The phase's name, as `--json` and the timing pane show it.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Hash => "hash",
            Phase::Decompress => "decompress",
            Phase::Parse => "parse",
            Phase::Index => "index",
            Phase::Encode => "encode",
            Phase::Write => "write",
            Phase::Read => "read",
            Phase::Verify => "verify",
            Phase::Decode => "decode",
        }
    }
}

/// Time per phase, in the order the phases ran.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PhaseTimings(pub Vec<(Phase, Duration)>);

impl PhaseTimings {
    /// Adds time to a phase, appending it if it has none yet.
    pub fn add(&mut self, phase: Phase, time: Duration) {
        match self.0.iter_mut().find(|(p, _)| *p == phase) {
            Some((_, t)) => *t += time,
            None => self.0.push((phase, time)),
        }
    }

    /// The time of one phase, if it ran.
    pub fn get(&self, phase: Phase) -> Option<Duration> {
        self.0.iter().find(|(p, _)| *p == phase).map(|(_, t)| *t)
    }

    /// The sum of all phases.
    pub fn total(&self) -> Duration {
        self.0.iter().map(|(_, t)| *t).sum()
    }
}

impl Serialize for PhaseTimings {
    /// A map of phase name to whole microseconds.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(p, t)| (p.name(), t.as_micros() as u64)))
    }
}

/// How a database differs between the archive and the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// In the archive, not in the cache.
    Added,
    /// In the cache, not in the archive.
    Removed,
    /// In both, with different contents.
    Modified,
}

impl ChangeKind {
    /// The kind in one word, as `status` prints it.
    pub fn word(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Modified => "modified",
        }
    }
}

/// One database that differs between the archive and the cache.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The database's name.
    pub database: String,
    /// How it differs.
    pub change: ChangeKind,
}

/// The verdict words of the cache states, for displays that show a verdict before or without a state.
pub mod verdicts {
    /// The cache was built from this very archive.
    pub const FRESH: &str = "FRESH";
    /// Built from another archive.
    pub const STALE: &str = "STALE";
    /// No cache file.
    pub const MISSING: &str = "MISSING";
    /// The cache file is damaged.
    pub const CORRUPT: &str = "CORRUPT";
    /// Written by another format version.
    pub const FORMAT_CHANGED: &str = "FORMAT CHANGED";
    /// No cache can be used or written; the data lives in memory.
    pub const IN_MEMORY_ONLY: &str = "IN MEMORY ONLY";
}

/// The cache file's state against the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheState {
    /// Built from this very archive, and its payload checks out.
    Fresh,
    /// Built from another archive; `changed` lists the databases that differ.
    Stale {
        /// The databases that differ.
        changed: Vec<Change>,
    },
    /// No cache file for this version.
    Missing,
    /// The file is there but damaged, truncated, or not a regular file.
    Corrupt {
        /// What is wrong with it.
        problem: Corruption,
    },
    /// Written by another format version of this program.
    FormatChanged {
        /// The format version the file has.
        found: u32,
        /// The one this program reads and writes.
        expected: u32,
    },
    /// No usable cache, and none can be written: the data lives in memory only.
    InMemoryOnly {
        /// Why no cache can be used.
        why: Unusable,
    },
}

impl CacheState {
    /// The machine-readable word: what `status --json` prints as `state`.
    pub fn word(&self) -> &'static str {
        match self {
            CacheState::Fresh => "fresh",
            CacheState::Stale { .. } => "stale",
            CacheState::Missing => "missing",
            CacheState::Corrupt { .. } => "corrupt",
            CacheState::FormatChanged { .. } => "format-changed",
            CacheState::InMemoryOnly { .. } => "in-memory-only",
        }
    }

    /// The word a person reads at a glance: FRESH, STALE, MISSING, CORRUPT, FORMAT CHANGED, IN MEMORY ONLY.
    pub fn verdict(&self) -> &'static str {
        match self {
            CacheState::Fresh => verdicts::FRESH,
            CacheState::Stale { .. } => verdicts::STALE,
            CacheState::Missing => verdicts::MISSING,
            CacheState::Corrupt { .. } => verdicts::CORRUPT,
            CacheState::FormatChanged { .. } => verdicts::FORMAT_CHANGED,
            CacheState::InMemoryOnly { .. } => verdicts::IN_MEMORY_ONLY,
        }
    }

    /// The databases that differ, for a stale cache; empty otherwise.
    pub fn changed(&self) -> &[Change] {
        match self {
            CacheState::Stale { changed } => changed,
            _ => &[],
        }
    }
}

impl fmt::Display for CacheState {
    /// Which check decided the state, in words.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CacheState::Fresh => write!(f, "archive hash matches the cache"),
            CacheState::Stale { changed } => {
                write!(f, "archive hash differs")?;
                if !changed.is_empty() {
                    let list: Vec<String> = changed
                        .iter()
                        .map(|c| format!("{} {}", c.database, c.change.word()))
                        .collect();
                    write!(f, ": {}", list.join(", "))?;
                }
                Ok(())
            }
            CacheState::Missing => write!(f, "no cache file"),
            CacheState::Corrupt { problem } => write!(f, "cache corrupt: {problem}"),
            CacheState::FormatChanged { found, expected } => {
                write!(
                    f,
                    "cache format {found}, this program reads format {expected}"
                )
            }
            CacheState::InMemoryOnly { why } => write!(f, "{why}"),
        }
    }
}

/// Why a build from the archive happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildReason {
    /// The cache was not usable in this state.
    Cache(CacheState),
    /// A rebuild was asked for.
    Forced,
}

impl fmt::Display for BuildReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildReason::Cache(state) => write!(f, "{state}"),
            BuildReason::Forced => write!(f, "rebuild requested"),
        }
    }
}

/// Where the data of a load came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Read from a fresh cache file.
    Loaded,
    /// Built from the archive, and the cache file written.
    Built(BuildReason),
    /// Built from the archive, but the cache could not be written: the data lives in memory only.
    InMemory {
        /// Why it was built.
        reason: BuildReason,
        /// Why nothing was written.
        why: Unusable,
    },
}

impl Outcome {
    /// The machine-readable word: what `load --json` prints as `outcome`.
    pub fn word(&self) -> &'static str {
        match self {
            Outcome::Loaded => "loaded",
            Outcome::Built(_) => "built",
            Outcome::InMemory { .. } => "in-memory",
        }
    }

    /// Where the data came from, in words.
    pub fn summary(&self) -> &'static str {
        match self {
            Outcome::Loaded => "loaded from the cache",
            Outcome::Built(_) => "built from the archive, cache written",
            Outcome::InMemory { .. } => "built from the archive, kept in memory only",
        }
    }

    /// Why the data came from where it did, in a sentence.
    pub fn reason(&self) -> String {
        match self {
            Outcome::Loaded => "cache is fresh".to_string(),
            Outcome::Built(reason) => reason.to_string(),
            // The reason already is why nothing was written.
            Outcome::InMemory {
                reason: BuildReason::Cache(CacheState::InMemoryOnly { .. }),
                why,
            } => why.to_string(),
            Outcome::InMemory { reason, why } => format!("{reason}; cache not written: {why}"),
        }
    }
}

/// What `load_or_build`, `rebuild` and `warm_load` return besides the data.
#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    /// Where the data came from.
    #[serde(serialize_with = "outcome_word")]
    pub outcome: Outcome,
    /// Why, in a sentence.
    pub reason: String,
    /// Wall time of each phase.
    #[serde(rename = "timings_us")]
    pub timings: PhaseTimings,
    /// Wall time of the whole load.
    #[serde(rename = "total_us", serialize_with = "micros")]
    pub total: Duration,
    /// Databases loaded.
    pub databases: usize,
    /// Records in them.
    pub records: usize,
    /// Databases that could not be read (the others loaded).
    pub failed_databases: usize,
    /// The data version: the cache file is named after it.
    pub version: String,
    /// The data dir the cache lives in, `None` when there is none.
    pub data_dir: Option<PathBuf>,
    /// The cache file, `None` when there is none.
    pub cache_path: Option<PathBuf>,
}

fn outcome_word<S: Serializer>(outcome: &Outcome, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(outcome.word())
}

fn micros<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_micros() as u64)
}

/// The archive a manager reads.
#[derive(Debug, Clone, Serialize)]
pub struct ArchiveInfo {
    /// `embedded` or the path given.
    pub source: String,
    /// Its SHA-256.
    #[serde(serialize_with = "crate::hex::serialize")]
    pub sha256: [u8; 32],
    /// Its size.
    pub bytes: u64,
}

/// The cache file as found on disk.
#[derive(Debug, Clone, Serialize)]
pub struct CacheFileInfo {
    /// Where the cache file is (or would be).
    pub path: Option<PathBuf>,
    /// Whether a file is there.
    pub exists: bool,
    /// Its size.
    pub bytes: Option<u64>,
    /// When it was built, from its header.
    #[serde(serialize_with = "rfc3339_opt")]
    pub built_at: Option<SystemTime>,
    /// The archive hash its header names.
    #[serde(serialize_with = "crate::hex::serialize_opt")]
    pub source_sha256: Option<[u8; 32]>,
    /// The format version its header names.
    pub format_version: Option<u32>,
}

/// Another `databases_*.bin` in the cache folder (another version's).
#[derive(Debug, Clone, Serialize)]
pub struct OtherCacheFile {
    /// Where it is.
    pub path: PathBuf,
    /// Its size.
    pub bytes: u64,
    /// When it was last modified.
    #[serde(serialize_with = "rfc3339_opt")]
    pub modified: Option<SystemTime>,
}

/// A temporary file in the cache folder: one being written, or one a killed writer left.
#[derive(Debug, Clone, Serialize)]
pub struct TempFileInfo {
    /// Where it is.
    pub path: PathBuf,
    /// Its size.
    pub bytes: u64,
    /// A live writer holds it; otherwise the next writer removes it.
    pub in_use: bool,
}

/// How deeply `status` looks at the cache file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Depth {
    /// Header, size and payload checksum, then the body decoded and validated: what a load would find.
    #[default]
    Full,
    /// Header and size only: cheap, but blind to damage inside the payload.
    Quick,
}

/// What `status` reports: the state, the check that decided it, and the files involved.
#[derive(Debug, Clone, Serialize)]
pub struct CacheStatus {
    /// The verdict.
    #[serde(serialize_with = "state_word")]
    pub state: CacheState,
    /// Which check decided the state, in words.
    pub reason: String,
    /// How deeply the cache file was checked.
    pub check: Depth,
    /// The data version: the cache file is named after it.
    pub version: String,
    /// The data dir the cache lives in, `None` when there is none.
    pub data_dir: Option<PathBuf>,
    /// The archive read.
    pub archive: ArchiveInfo,
    /// The cache file of this version.
    pub cache: CacheFileInfo,
    /// The databases that differ, for a stale cache.
    pub changed: Vec<Change>,
    /// Cache files of other versions in the same folder.
    pub other_cache_files: Vec<OtherCacheFile>,
    /// Temporary files in the cache folder (leftovers of killed writers, or files being written).
    pub temp_files: Vec<TempFileInfo>,
}

fn state_word<S: Serializer>(state: &CacheState, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(state.word())
}

fn rfc3339_opt<S: Serializer>(time: &Option<SystemTime>, s: S) -> Result<S::Ok, S::Error> {
    match time {
        Some(t) => s.serialize_str(&rfc3339(*t)),
        None => s.serialize_none(),
    }
}

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
    Hash,
    Decompress,
    Parse,
    Index,
    Encode,
    Write,
    Read,
    Verify,
    Decode,
}

impl Phase {
    pub const COLD: [Phase; 6] = [
        Phase::Hash,
        Phase::Decompress,
        Phase::Parse,
        Phase::Index,
        Phase::Encode,
        Phase::Write,
    ];
    pub const WARM: [Phase; 4] = [Phase::Hash, Phase::Read, Phase::Verify, Phase::Decode];

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
    pub fn add(&mut self, phase: Phase, time: Duration) {
        match self.0.iter_mut().find(|(p, _)| *p == phase) {
            Some((_, t)) => *t += time,
            None => self.0.push((phase, time)),
        }
    }

    pub fn get(&self, phase: Phase) -> Option<Duration> {
        self.0.iter().find(|(p, _)| *p == phase).map(|(_, t)| *t)
    }

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
    Added,
    Removed,
    Modified,
}

impl ChangeKind {
    pub fn word(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Modified => "modified",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    pub database: String,
    pub change: ChangeKind,
}

/// The verdict words of the cache states, for displays that show a verdict before or without a state.
pub mod verdicts {
    pub const FRESH: &str = "FRESH";
    pub const STALE: &str = "STALE";
    pub const MISSING: &str = "MISSING";
    pub const CORRUPT: &str = "CORRUPT";
    pub const FORMAT_CHANGED: &str = "FORMAT CHANGED";
    pub const IN_MEMORY_ONLY: &str = "IN MEMORY ONLY";
}

/// The cache file's state against the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheState {
    Fresh,
    /// Built from another archive; `changed` lists the databases that differ.
    Stale {
        changed: Vec<Change>,
    },
    Missing,
    Corrupt {
        problem: Corruption,
    },
    /// Written by another format version of this program.
    FormatChanged {
        found: u32,
        expected: u32,
    },
    /// No usable cache, and none can be written: the data lives in memory only.
    InMemoryOnly {
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
    InMemory { reason: BuildReason, why: Unusable },
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
    #[serde(serialize_with = "outcome_word")]
    pub outcome: Outcome,
    pub reason: String,
    #[serde(rename = "timings_us")]
    pub timings: PhaseTimings,
    #[serde(rename = "total_us", serialize_with = "micros")]
    pub total: Duration,
    pub databases: usize,
    pub records: usize,
    pub failed_databases: usize,
    pub version: String,
    /// The data dir the cache lives in, `None` when there is none.
    pub data_dir: Option<PathBuf>,
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
    #[serde(serialize_with = "crate::hex::serialize")]
    pub sha256: [u8; 32],
    pub bytes: u64,
}

/// The cache file as found on disk.
#[derive(Debug, Clone, Serialize)]
pub struct CacheFileInfo {
    pub path: Option<PathBuf>,
    pub exists: bool,
    pub bytes: Option<u64>,
    #[serde(serialize_with = "rfc3339_opt")]
    pub built_at: Option<SystemTime>,
    #[serde(serialize_with = "crate::hex::serialize_opt")]
    pub source_sha256: Option<[u8; 32]>,
    pub format_version: Option<u32>,
}

/// Another `databases_*.bin` in the cache folder (another version's).
#[derive(Debug, Clone, Serialize)]
pub struct OtherCacheFile {
    pub path: PathBuf,
    pub bytes: u64,
    #[serde(serialize_with = "rfc3339_opt")]
    pub modified: Option<SystemTime>,
}

/// A temporary file in the cache folder: one being written, or one a killed writer left.
#[derive(Debug, Clone, Serialize)]
pub struct TempFileInfo {
    pub path: PathBuf,
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
    #[serde(serialize_with = "state_word")]
    pub state: CacheState,
    /// Which check decided the state, in words.
    pub reason: String,
    /// How deeply the cache file was checked.
    pub check: Depth,
    pub version: String,
    /// The data dir the cache lives in, `None` when there is none.
    pub data_dir: Option<PathBuf>,
    pub archive: ArchiveInfo,
    pub cache: CacheFileInfo,
    pub changed: Vec<Change>,
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

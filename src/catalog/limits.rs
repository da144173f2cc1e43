//! What one build may take: decompressed bytes, scaled with the archive's own size, and the index's records
//! and fields, so a small hostile archive is refused early instead of filling memory.
//!
//! Decompressed bytes alone do not bound memory: the index of tiny rows is several times the size of their
//! text. Records and fields do, whatever the rows look like.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Caps on one build from an archive.
///
/// A decompressed size is capped at the larger of a fixed floor and `max_ratio` times the archive's own
/// size: a genuine archive of any size loads (real CSV compresses 3-10 times), while a small archive that
/// expands a thousandfold is refused as soon as an entry's header declares its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest single entry once decompressed, as declared in its tar header; at least this many bytes.
    pub max_entry_bytes: u64,
    /// Largest total decompressed stream, skipped entries included; at least this many bytes.
    pub max_total_bytes: u64,
    /// Decompressed bytes allowed per byte of the archive, where that is more than the floors above;
    /// 0 keeps the caps at the floors.
    pub max_ratio: u64,
    /// Most records in the whole archive (and so in any one database).
    pub max_records: u64,
    /// Most fields, keys included, in the whole archive (and so in any one database).
    pub max_fields: u64,
}

impl Limits {
    /// The defaults: a 10,000,000-row corpus (~730 MB of CSV, ~180-270 MB gzipped, ~63,000,000 fields) loads
    /// with room to spare; at the record and field caps the offset tables take about 1 GB besides the text.
    pub const DEFAULT: Limits = Limits {
        max_entry_bytes: 64 << 20,
        max_total_bytes: 128 << 20,
        max_ratio: 32,
        max_records: 25_000_000,
        max_fields: 200_000_000,
    };

    /// The per-entry cap for an archive of `archive_len` bytes.
    pub fn entry_cap(&self, archive_len: u64) -> u64 {
        self.max_entry_bytes
            .max(self.max_ratio.saturating_mul(archive_len))
    }

    /// The total decompressed cap for an archive of `archive_len` bytes.
    pub fn total_cap(&self, archive_len: u64) -> u64 {
        self.max_total_bytes
            .max(self.max_ratio.saturating_mul(archive_len))
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// Which index limit a database ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum IndexLimit {
    /// More records than [`Limits::max_records`] in the archive.
    Records(u64),
    /// More fields than [`Limits::max_fields`] in the archive.
    Fields(u64),
    /// More text or fields than the index's 32-bit offsets can address in one database.
    Offsets,
}

impl std::fmt::Display for IndexLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IndexLimit::Records(limit) => write!(
                f,
                "more than {limit} records in the archive (raise the limit with --max-records, \
                 or Limits::max_records, if the archive is genuine)"
            ),
            IndexLimit::Fields(limit) => write!(
                f,
                "more than {limit} fields in the archive (raise the limit with --max-fields, \
                 or Limits::max_fields, if the archive is genuine)"
            ),
            IndexLimit::Offsets => write!(
                f,
                "over 4 GiB of text or 4,294,967,295 fields in one database, more than the index can address"
            ),
        }
    }
}

/// How many records and fields a build has indexed so far, across the threads parsing its databases.
///
/// A parser counts its own database exactly and adds to the shared totals in chunks, so the totals cost
/// one atomic add per chunk and overshoot the limit by at most a chunk per thread before it is refused.
#[derive(Debug)]
pub(crate) struct Budget {
    max_records: u64,
    max_fields: u64,
    records: AtomicU64,
    fields: AtomicU64,
    /// Set when the build has failed, so the databases still queued are not parsed for nothing.
    stopped: AtomicBool,
}

/// Why a claim on the budget was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// This claim took the build over a limit: the database making it is the one to name.
    Over(IndexLimit),
    /// The build has already failed; the database making the claim is let go.
    Stopped,
}

impl Budget {
    /// Records a parser counts before adding them to the shared totals.
    pub const CHUNK_RECORDS: u64 = 1 << 16;
    /// Fields a parser counts before adding them to the shared totals.
    pub const CHUNK_FIELDS: u64 = 1 << 20;

    pub fn new(limits: &Limits) -> Self {
        Budget {
            max_records: limits.max_records,
            max_fields: limits.max_fields,
            records: AtomicU64::new(0),
            fields: AtomicU64::new(0),
            stopped: AtomicBool::new(false),
        }
    }

    /// A budget no real input reaches, for parsing one database on its own.
    #[cfg(feature = "testkit")]
    pub fn unlimited() -> Self {
        Budget::new(&Limits {
            max_records: u64::MAX,
            max_fields: u64::MAX,
            ..Limits::DEFAULT
        })
    }

    /// Adds a database's newly counted records and fields to the totals. Once the totals are over a
    /// limit, the one claim that took them over it is refused with the limit, and every other claim, of
    /// any database, is told the build has stopped.
    pub fn claim(&self, records: u64, fields: u64) -> Result<(), Refusal> {
        if self.stopped() {
            return Err(Refusal::Stopped);
        }
        let before_records = self.records.fetch_add(records, Ordering::Relaxed);
        let before_fields = self.fields.fetch_add(fields, Ordering::Relaxed);
        let crossed = |before: u64, added: u64, max: u64| before <= max && before + added > max;
        let limit = if crossed(before_records, records, self.max_records) {
            IndexLimit::Records(self.max_records)
        } else if crossed(before_fields, fields, self.max_fields) {
            IndexLimit::Fields(self.max_fields)
        } else if before_records + records > self.max_records
            || before_fields + fields > self.max_fields
        {
            return Err(Refusal::Stopped);
        } else {
            return Ok(());
        };
        self.stop();
        Err(Refusal::Over(limit))
    }

    pub fn stop(&self) {
        self.stopped.store(true, Ordering::Relaxed);
    }

    pub fn stopped(&self) -> bool {
        self.stopped.load(Ordering::Relaxed)
    }
}

//! A column's frequency table (`VisiData`'s `F`): each distinct value with its count and share, most
//! frequent first, equal counts by value (code point order); empty and missing fields counted apart.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;
use std::hash::{BuildHasherDefault, Hash, Hasher};

use xxhash_rust::xxh3::xxh3_64;

use super::{InsightError, check_column};
use crate::catalog::Database;
use crate::catalog::arena::Arena;

/// Records counted between two looks at the cancel flag.
const CHUNK: usize = 64 * 1024;

/// One distinct value of a column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValueCount {
    /// The value.
    pub value: String,
    /// Records holding it.
    pub count: usize,
    /// Share of all records, in percent.
    pub percent: f64,
    /// Position of the first record with this value.
    pub first: usize,
}

/// How often each value of one column occurs (`VisiData`'s `F`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FrequencyTable {
    /// Non-empty values, most frequent first.
    pub values: Vec<ValueCount>,
    /// Records whose field is there but empty.
    pub empty: usize,
    /// Records too short to have the column.
    pub missing: usize,
    /// Records in the database.
    pub records: usize,
}

/// A value with its hash worked out once (xxh3), so the map hashes nothing itself.
#[derive(Clone, Copy)]
pub(crate) struct Value<'a> {
    hash: u64,
    pub(crate) bytes: &'a [u8],
}

impl PartialEq for Value<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl Eq for Value<'_> {}

impl Hash for Value<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

/// Passes a [`Value`]'s hash through.
#[derive(Default)]
pub(crate) struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only write_u64 is used; anything else still hashes, just not as fast.
        self.0 = xxh3_64(bytes) ^ self.0.rotate_left(5);
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// How often each value occurs: count and first position per value, plus empty and missing.
pub(crate) struct Counts<'a> {
    pub(crate) values: HashMap<Value<'a>, (usize, usize), BuildHasherDefault<Prehashed>>,
    pub(crate) empty: usize,
    pub(crate) missing: usize,
}

/// Counts a column's values on every core: each core reads every record but counts only the values
/// whose hash falls to it, so the parts never overlap and need no merging.
pub(crate) fn count<'a>(
    db: &'a Database,
    column: usize,
    cancel: &AtomicBool,
) -> Result<Counts<'a>, InsightError> {
    check_column(db, column)?;
    let arena = Arena::of(db);
    let len = db.len();
    let threads = super::workers(len, CHUNK) as u64;
    let parts: Vec<Counts> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let arena = &arena;
                s.spawn(move || {
                    let mut counts = Counts {
                        values: HashMap::default(),
                        empty: 0,
                        missing: 0,
                    };
                    for record in 0..len {
                        if record % CHUNK == 0 && cancel.load(Ordering::Relaxed) {
                            break;
                        }
                        match arena.value(record, column) {
                            // Blanks are counted by the first core only.
                            None if t == 0 => counts.missing += 1,
                            Some([]) if t == 0 => counts.empty += 1,
                            None | Some([]) => {}
                            Some(bytes) => {
                                let hash = xxh3_64(bytes);
                                if hash % threads == t {
                                    let entry = counts
                                        .values
                                        .entry(Value { hash, bytes })
                                        .or_insert((0, record));
                                    entry.0 += 1;
                                }
                            }
                        }
                    }
                    counts
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    if cancel.load(Ordering::Relaxed) {
        return Err(InsightError::Cancelled);
    }
    let mut parts = parts.into_iter();
    let mut total = parts.next().unwrap_or(Counts {
        values: HashMap::default(),
        empty: 0,
        missing: 0,
    });
    for part in parts {
        total.values.extend(part.values);
    }
    Ok(total)
}

/// The frequency table of column `column` (0 is the key).
pub fn frequency(
    db: &Database,
    column: usize,
    cancel: &AtomicBool,
) -> Result<FrequencyTable, InsightError> {
    let counts = count(db, column, cancel)?;
    let records = db.len();
    let mut values: Vec<(&[u8], usize, usize)> = counts
        .values
        .into_iter()
        .map(|(v, (count, first))| (v.bytes, count, first))
        .collect();
    values.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    if cancel.load(Ordering::Relaxed) {
        return Err(InsightError::Cancelled);
    }
    let values = values
        .into_iter()
        .map(|(value, count, first)| ValueCount {
            value: String::from_utf8_lossy(value).into_owned(),
            count,
            percent: count as f64 * 100.0 / records as f64,
            first,
        })
        .collect();
    Ok(FrequencyTable {
        values,
        empty: counts.empty,
        missing: counts.missing,
        records,
    })
}

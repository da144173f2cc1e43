//! A column's frequency table (VisiData's `F`): each distinct value with its count and share, most
//! frequent first, equal counts by value (code point order); empty and missing fields counted apart.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::Serialize;
use xxhash_rust::xxh3::Xxh3DefaultBuilder;

use super::{InsightError, check_column};
use crate::catalog::Database;
use crate::catalog::arena::Arena;

/// Records counted between two looks at the cancel flag.
const CHUNK: usize = 64 * 1024;

/// One distinct value of a column.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValueCount {
    pub value: String,
    pub count: usize,
    /// Share of all records, in percent.
    pub percent: f64,
    /// Position of the first record with this value.
    pub first: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FrequencyTable {
    /// Non-empty values, most frequent first.
    pub values: Vec<ValueCount>,
    /// Records whose field is there but empty.
    pub empty: usize,
    /// Records too short to have the column.
    pub missing: usize,
    pub records: usize,
}

/// How often each value occurs: count and first position per value, plus empty and missing.
pub(crate) struct Counts<'a> {
    pub(crate) values: HashMap<&'a [u8], (usize, usize), Xxh3DefaultBuilder>,
    pub(crate) empty: usize,
    pub(crate) missing: usize,
}

/// Counts a column's values on every core.
pub(crate) fn count<'a>(
    db: &'a Database,
    column: usize,
    cancel: &AtomicBool,
) -> Result<Counts<'a>, InsightError> {
    check_column(db, column)?;
    let arena = Arena::of(db);
    let len = db.len();
    let chunks = len.div_ceil(CHUNK);
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(chunks)
        .max(1);
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
                    for chunk in (t..chunks).step_by(threads) {
                        if cancel.load(Ordering::Relaxed) {
                            break;
                        }
                        for record in chunk * CHUNK..((chunk + 1) * CHUNK).min(len) {
                            match arena.value(record, column) {
                                None => counts.missing += 1,
                                Some([]) => counts.empty += 1,
                                Some(v) => {
                                    let entry = counts.values.entry(v).or_insert((0, record));
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
        total.empty += part.empty;
        total.missing += part.missing;
        for (value, (count, first)) in part.values {
            let entry = total.values.entry(value).or_insert((0, first));
            entry.0 += count;
            entry.1 = entry.1.min(first);
        }
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
        .map(|(v, (count, first))| (v, count, first))
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

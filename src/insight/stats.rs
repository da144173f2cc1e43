//! A column's statistics (`VisiData`'s `I`): distinct, empty and missing counts, lengths, and for a
//! numeric column its minimum, maximum and mean.

use std::sync::atomic::AtomicBool;

use serde::Serialize;

use super::frequency::count;
use super::{InsightError, number};
use crate::catalog::Database;

/// What one column holds, over all records (`VisiData`'s `I`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnStats {
    /// Records in the database.
    pub records: usize,
    /// Different non-empty values.
    pub distinct: usize,
    /// Records whose field is there but empty.
    pub empty: usize,
    /// Records too short to have the column.
    pub missing: usize,
    /// Shortest and longest non-empty value, in characters; `None` when there is none.
    pub min_length: Option<usize>,
    /// See `min_length`.
    pub max_length: Option<usize>,
    /// When every non-empty value is a number (and there is one).
    pub numeric: Option<NumericStats>,
}

/// Minimum, maximum and mean of a column whose values are all numbers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct NumericStats {
    /// The smallest value.
    pub min: f64,
    /// The largest value.
    pub max: f64,
    /// Over the non-empty values, each record counted once.
    pub mean: f64,
}

/// The statistics of column `column` (0 is the key).
pub fn stats(
    db: &Database,
    column: usize,
    cancel: &AtomicBool,
) -> Result<ColumnStats, InsightError> {
    let counts = count(db, column, cancel)?;
    let mut lengths: Option<(usize, usize)> = None;
    // (min, max, sum, count) while every value so far is a number.
    let mut numbers: Option<(f64, f64, f64, usize)> =
        Some((f64::INFINITY, f64::NEG_INFINITY, 0.0, 0));
    for (value, (n, _)) in &counts.values {
        let text = String::from_utf8_lossy(value.bytes);
        let chars = text.chars().count();
        lengths = Some(lengths.map_or((chars, chars), |(lo, hi)| (lo.min(chars), hi.max(chars))));
        numbers = match (numbers, number(&text)) {
            (Some((lo, hi, sum, k)), Some(x)) => {
                Some((lo.min(x), hi.max(x), sum + x * *n as f64, k + n))
            }
            _ => None,
        };
    }
    let numeric = numbers
        .filter(|(_, _, _, k)| *k > 0)
        .map(|(min, max, sum, k)| NumericStats {
            min,
            max,
            mean: sum / k as f64,
        });
    Ok(ColumnStats {
        records: db.len(),
        distinct: counts.values.len(),
        empty: counts.empty,
        missing: counts.missing,
        min_length: lengths.map(|l| l.0),
        max_length: lengths.map(|l| l.1),
        numeric,
    })
}

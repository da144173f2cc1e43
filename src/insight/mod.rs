//! Column insight over one database: sort by a column, a column's frequency table, its statistics.
//! Pure and synchronous like [`crate::search`]: callable off the UI thread, cancellable through an
//! `AtomicBool`, results as plain data (record positions and counts).
//!
//! A column's value in a record is *missing* when the row is too short to have it, *empty* when it is
//! there but `""`, else a value. A value is a *number* when it is a plain decimal: an optional sign,
//! digits with an optional fraction (`12`, `-0.5`, `.5`, `3.`), an optional exponent (`1e-3`); no spaces,
//! no thousands separators, no `inf` or `NaN`. A column is numeric when it has at least one value and
//! every value is a number.

pub mod frequency;
pub mod sort;
pub mod stats;

pub use frequency::{FrequencyTable, ValueCount, frequency};
pub use sort::{Direction, sort};
pub use stats::{ColumnStats, NumericStats, stats};

/// Why an insight returned nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InsightError {
    /// The caller cancelled it.
    #[error("cancelled")]
    Cancelled,
    /// The database has no column at that position.
    #[error("{database} has no column {column} (it has {columns})")]
    NoColumn {
        /// The database asked about.
        database: String,
        /// The column position asked for.
        column: usize,
        /// How many columns it has.
        columns: usize,
    },
}

/// The value of a plain decimal number (see the module docs), else `None`.
pub fn number(text: &str) -> Option<f64> {
    let b = text.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    let whole = digits(&mut i);
    let mut fraction = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        fraction = digits(&mut i);
    }
    if whole + fraction == 0 {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    text.parse().ok()
}

/// Checks that a database has column `column`.
pub(crate) fn check_column(
    db: &crate::catalog::Database,
    column: usize,
) -> Result<(), InsightError> {
    if column < db.columns().len() {
        return Ok(());
    }
    Err(InsightError::NoColumn {
        database: db.name().to_string(),
        column,
        columns: db.columns().len(),
    })
}

/// Threads for `len` records in chunks of `chunk`: one per core, but none without a chunk of its own.
fn workers(len: usize, chunk: usize) -> usize {
    std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(len.div_ceil(chunk))
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_decimals_are_numbers() {
        for (text, value) in [
            ("12", Some(12.0)),
            ("-0.5", Some(-0.5)),
            ("+.5", Some(0.5)),
            ("3.", Some(3.0)),
            ("1e-3", Some(0.001)),
            ("2E+2", Some(200.0)),
            ("", None),
            (".", None),
            ("-", None),
            ("1e", None),
            (" 1", None),
            ("1,000", None),
            ("inf", None),
            ("NaN", None),
            ("0x10", None),
            ("١٢", None),
        ] {
            assert_eq!(number(text), value, "{text:?}");
        }
    }
}

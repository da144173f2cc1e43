//! References for column insight: a stable sort with an obvious comparator, and counts in a `HashMap`,
//! compared with [`crate::insight`].

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::atomic::AtomicBool;

use crate::catalog::Database;
use crate::insight::{self, Direction};

/// A plain decimal, checked character by character, then parsed by the standard library.
fn reference_number(text: &str) -> Option<f64> {
    let body = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    let mantissa_ok = digits(whole) && digits(fraction) && whole.len() + fraction.len() > 0;
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    (mantissa_ok && exponent_ok)
        .then(|| text.parse().ok())
        .flatten()
}

#[derive(Debug, PartialEq, PartialOrd)]
enum Value {
    Number(f64),
    Text(String),
}

/// Record positions sorted the obvious way: `sort_by` (stable), numbers before text, blanks last.
pub fn reference_sort(db: &Database, column: usize, direction: Direction) -> Vec<usize> {
    let value = |r: usize| -> Option<Value> {
        let v = db.record(r)?.value(column)?;
        if v.is_empty() {
            return None;
        }
        Some(reference_number(v).map_or_else(|| Value::Text(v.to_string()), Value::Number))
    };
    let blank_rank = |r: usize| match db.record(r).and_then(|rec| rec.value(column)) {
        Some(_) => 0,
        None => 1,
    };
    // Each record's value worked out once, then a stable sort of the positions.
    let values: Vec<Option<Value>> = (0..db.len()).map(value).collect();
    let mut positions: Vec<usize> = (0..db.len()).collect();
    positions.sort_by(|&a, &b| match (&values[a], &values[b]) {
        (Some(x), Some(y)) => {
            let order = x.partial_cmp(y).unwrap_or(Ordering::Equal);
            match direction {
                Direction::Ascending => order,
                Direction::Descending => order.reverse(),
            }
        }
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => blank_rank(a).cmp(&blank_rank(b)),
    });
    positions
}

/// Checks `insight::sort` against [`reference_sort`] both ways; panics on a difference.
pub fn check_sort(db: &Database, column: usize) {
    let never = AtomicBool::new(false);
    for direction in [Direction::Ascending, Direction::Descending] {
        let got = insight::sort(db, column, direction, &never).expect("a column it has");
        assert_eq!(
            got,
            reference_sort(db, column, direction),
            "{} column {column} {direction:?}",
            db.name()
        );
    }
}

/// Checks the frequency table and statistics against counts in a `HashMap`; panics on a difference.
pub fn check_insight(db: &Database, column: usize) {
    let never = AtomicBool::new(false);
    let (mut counts, mut first, mut empty, mut missing) = (HashMap::new(), HashMap::new(), 0, 0);
    for record in db.records() {
        match record.value(column) {
            None => missing += 1,
            Some("") => empty += 1,
            Some(v) => {
                *counts.entry(v.to_string()).or_insert(0usize) += 1;
                first.entry(v.to_string()).or_insert(record.index());
            }
        }
    }
    let table = insight::frequency(db, column, &never).expect("a column it has");
    assert_eq!(
        (table.empty, table.missing, table.records),
        (empty, missing, db.len())
    );
    let mut expected: Vec<(String, usize)> = counts.clone().into_iter().collect();
    expected.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let got: Vec<(String, usize)> = table
        .values
        .iter()
        .map(|v| (v.value.clone(), v.count))
        .collect();
    assert_eq!(got, expected, "{} column {column}", db.name());
    for v in &table.values {
        assert_eq!(v.first, first[&v.value]);
        assert!((v.percent - v.count as f64 * 100.0 / db.len() as f64).abs() < 1e-9);
    }

    let stats = insight::stats(db, column, &never).expect("a column it has");
    assert_eq!(stats.distinct, counts.len());
    assert_eq!(
        (stats.empty, stats.missing, stats.records),
        (empty, missing, db.len())
    );
    let lengths: Vec<usize> = counts.keys().map(|v| v.chars().count()).collect();
    assert_eq!(stats.min_length, lengths.iter().min().copied());
    assert_eq!(stats.max_length, lengths.iter().max().copied());
    let values: Vec<&str> = db
        .records()
        .filter_map(|r| r.value(column))
        .filter(|v| !v.is_empty())
        .collect();
    let numbers: Option<Vec<f64>> = values.iter().map(|v| reference_number(v)).collect();
    match (numbers.filter(|n| !n.is_empty()), stats.numeric) {
        (None, None) => {}
        (Some(n), Some(got)) => {
            let min = n.iter().copied().fold(f64::INFINITY, f64::min);
            let max = n.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let mean = n.iter().sum::<f64>() / n.len() as f64;
            assert_eq!((got.min, got.max), (min, max));
            #[allow(clippy::float_cmp)] // equal means (infinities included) are the same answer
            let close = (got.mean - mean).abs() <= 1e-9 * mean.abs().max(1.0)
                || (got.mean.is_nan() && mean.is_nan())
                || got.mean == mean;
            assert!(close, "mean {} vs {mean}", got.mean);
        }
        (expected, got) => panic!("numeric: expected {expected:?}, got {got:?}"),
    }
}

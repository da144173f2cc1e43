//! Sorting a database by one column: a permutation of its record positions.
//!
//! One total order serves every column: numbers (see [`super::number`]) by value, before text; text by
//! its bytes, which for UTF-8 is code point order (`B` before `a`, `é` after `z`); then empty values,
//! then missing ones. Descending reverses the order of the values, and empty and missing values still
//! come last. Equal values keep record order (the sort is stable), so `-0` and `0`, or two equal names,
//! stay as they were. A column of numbers thus sorts numerically, and a mixed one puts its numbers first.

use std::cmp::Ordering;
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};

use super::{InsightError, check_column, number};
use crate::catalog::Database;
use crate::catalog::arena::Arena;

/// Which way a sort goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// Smallest first; numbers as numbers.
    #[default]
    Ascending,
    /// Largest first.
    Descending,
}

/// Elements sorted between two looks at the cancel flag.
const CHUNK: usize = 64 * 1024;

/// What a record sorts by: its class, then a number or the text (its first 8 bytes as a number first,
/// which settles most comparisons without touching the text), then its position.
#[derive(Clone, Copy)]
struct Key<'a> {
    class: Class,
    number: f64,
    prefix: u64,
    text: &'a [u8],
    position: u32,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    Number,
    Text,
    Empty,
    Missing,
}

impl<'a> Key<'a> {
    fn new(value: Option<&'a [u8]>, position: usize) -> Self {
        let (class, number, text) = match value {
            None => (Class::Missing, 0.0, &[][..]),
            Some([]) => (Class::Empty, 0.0, &[][..]),
            Some(v) => match parse(v) {
                Some(n) => (Class::Number, n, v),
                None => (Class::Text, 0.0, v),
            },
        };
        let mut prefix = [0u8; 8];
        let n = text.len().min(8);
        prefix[..n].copy_from_slice(&text[..n]);
        Key {
            class,
            number,
            prefix: u64::from_be_bytes(prefix),
            text,
            position: position as u32,
        }
    }
}

fn parse(value: &[u8]) -> Option<f64> {
    // Most text is ruled out by its first byte without a UTF-8 check.
    match value.first() {
        Some(b'0'..=b'9' | b'+' | b'-' | b'.') => number(std::str::from_utf8(value).ok()?),
        _ => None,
    }
}

fn compare(a: &Key, b: &Key, direction: Direction) -> Ordering {
    let blank = |k: &Key| k.class >= Class::Empty;
    let values = match (blank(a), blank(b)) {
        (true, true) => a.class.cmp(&b.class),
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => {
            let order = a.class.cmp(&b.class).then_with(|| match a.class {
                Class::Number => a.number.partial_cmp(&b.number).unwrap_or(Ordering::Equal),
                _ => a.prefix.cmp(&b.prefix).then_with(|| a.text.cmp(b.text)),
            });
            match direction {
                Direction::Ascending => order,
                Direction::Descending => order.reverse(),
            }
        }
    };
    values.then(a.position.cmp(&b.position))
}

/// The positions of `db`'s records in order of column `column` (0 is the key).
pub fn sort(
    db: &Database,
    column: usize,
    direction: Direction,
    cancel: &AtomicBool,
) -> Result<Vec<usize>, InsightError> {
    check_column(db, column)?;
    let arena = Arena::of(db);
    let len = db.len();
    let threads = super::workers(len, CHUNK);
    let cancelled = || cancel.load(AtomicOrdering::Relaxed);
    // Keys built and chunks sorted on every core; chunk i goes to thread i % threads.
    let chunks: Vec<std::ops::Range<usize>> = (0..len.div_ceil(CHUNK))
        .map(|i| i * CHUNK..((i + 1) * CHUNK).min(len))
        .collect();
    let mut runs: Vec<(usize, Vec<Key>)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let (arena, chunks) = (&arena, &chunks);
                s.spawn(move || {
                    let mut done = Vec::new();
                    for (i, range) in chunks.iter().enumerate().skip(t).step_by(threads) {
                        if cancelled() {
                            break;
                        }
                        let mut keys: Vec<Key> = range
                            .clone()
                            .map(|r| Key::new(arena.value(r, column), r))
                            .collect();
                        keys.sort_unstable_by(|a, b| compare(a, b, direction));
                        done.push((i, keys));
                    }
                    done
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    if cancelled() {
        return Err(InsightError::Cancelled);
    }
    runs.sort_by_key(|(i, _)| *i);
    let mut runs: Vec<Vec<Key>> = runs.into_iter().map(|(_, keys)| keys).collect();
    // Merge pairs of runs, round after round, both cores at a time.
    while runs.len() > 1 {
        if cancelled() {
            return Err(InsightError::Cancelled);
        }
        let mut pairs = Vec::new();
        let mut left = runs.into_iter();
        while let Some(a) = left.next() {
            pairs.push((a, left.next()));
        }
        runs = std::thread::scope(|s| {
            let handles: Vec<_> = pairs
                .into_iter()
                .map(|(a, b)| match b {
                    Some(b) => s.spawn(move || merge(a, b, direction)),
                    None => s.spawn(move || a),
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        });
    }
    Ok(runs
        .pop()
        .unwrap_or_default()
        .into_iter()
        .map(|k| k.position as usize)
        .collect())
}

fn merge<'a>(a: Vec<Key<'a>>, b: Vec<Key<'a>>, direction: Direction) -> Vec<Key<'a>> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if compare(&a[i], &b[j], direction) == Ordering::Greater {
            out.push(b[j]);
            j += 1;
        } else {
            out.push(a[i]);
            i += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

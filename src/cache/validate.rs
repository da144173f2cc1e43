//! Proves a decoded database's sections consistent in one linear pass, so that a body which passed its
//! checksum but was written wrong (or crafted) is refused rather than answering `get` differently from
//! `list`, or handing out a record of four billion fields.
//!
//! What holds afterwards: field ends never decrease, stay inside the text and fall on UTF-8 character
//! boundaries of valid UTF-8 text; record starts begin at 0, grow by at least one field per record, end at
//! the last field, and no record has more fields than the columns plus the recorded maximum of extras;
//! every key table entry names a record, and looking up each record's key finds that record, or for a
//! duplicate the first record with its key; version exceptions are sorted and in range. The work is
//! linear in the sections' sizes: key table probes are counted against a budget proportional to the
//! table, which an honestly built table stays far below.

mod keys;

use std::sync::atomic::{AtomicUsize, Ordering};

use thiserror::Error;

use crate::catalog::Database;

/// What is inconsistent in a database's sections.
#[allow(missing_docs)] // a variant's fields are the figures its message names
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum Inconsistency {
    /// Field `field` ends before the field in front of it.
    #[error("field {field} ends before the field in front of it")]
    FieldEndsDecrease { field: usize },
    /// Field ends run past the text (`end` of `text` bytes).
    #[error("field ends run past the text ({end} of {text} bytes)")]
    FieldEndPastText { end: usize, text: usize },
    /// The text is not valid UTF-8.
    #[error("the text is not valid UTF-8")]
    TextNotUtf8,
    /// Field `field` ends inside a UTF-8 character.
    #[error("field {field} ends inside a UTF-8 character")]
    FieldSplitsCharacter { field: usize },
    /// The record list does not start at the first field.
    #[error("the record list does not start at the first field")]
    RecordStartsNotAtZero,
    /// Record `record` has no field, not even a key.
    #[error("record {record} has no field, not even a key")]
    RecordWithoutFields { record: usize },
    /// The record list ends at field `end`, but there are `fields` fields.
    #[error("the record list ends at field {end}, but there are {fields} fields")]
    RecordStartsEnd { end: usize, fields: usize },
    /// Record `record` has `fields` fields, more than the `allowed` allowed.
    #[error("record {record} has {fields} fields, more than the {allowed} allowed")]
    TooManyFields {
        record: usize,
        fields: usize,
        allowed: usize,
    },
    /// The recorded maximum of `recorded` extra fields is not the `found` found.
    #[error("the recorded maximum of {recorded} extra fields is not the {found} found")]
    ExtraFieldsMaximum { recorded: usize, found: usize },
    /// The key table has `slots` slots for `records` records.
    #[error("the key table has {slots} slots for {records} records")]
    KeyTableTooSmall { slots: usize, records: usize },
    /// Key table slot `slot` names record `record` of `records`.
    #[error("key table slot {slot} names record {record} of {records}")]
    KeyTableEntryOutOfRange {
        slot: usize,
        record: usize,
        records: usize,
    },
    /// The key of record `record` is not found by a lookup.
    #[error("the key of record {record} is not found by a lookup")]
    KeyNotFound { record: usize },
    /// The key table is too crowded to search in proportion to its size.
    #[error("the key table is too crowded to search in proportion to its size")]
    KeyTableTooCrowded,
    /// The key table holds `entries` entries for `keys` different keys.
    #[error("the key table holds {entries} entries for {keys} different keys")]
    KeyTableStrayEntries { entries: usize, keys: usize },
    /// The recorded count of duplicate rows is not the one found.
    #[error("{recorded} duplicate rows are recorded, {found} found")]
    DuplicateCount { recorded: u64, found: u64 },
    /// Duplicate key entry `entry` does not match the records.
    #[error("duplicate key entry {entry} does not match the records")]
    DuplicateEntry { entry: usize },
    /// Version exception `entry` is out of order or out of range.
    #[error("version exception {entry} is out of order or out of range")]
    VersionException { entry: usize },
    /// An unversioned database carries versions.
    #[error("an unversioned database carries versions")]
    UnversionedWithVersions,
}

/// Checks every database (`max_extra` in the same order), spread over the cores; the error is the first
/// inconsistent database's, by position, whatever order the checks finished in.
pub fn check_each(dbs: &[Database], max_extra: &[usize]) -> Result<(), (usize, Inconsistency)> {
    let next = AtomicUsize::new(0);
    let run = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(db) = dbs.get(i) else { break done };
            // Lengths agree by construction; a missing maximum allows no extra field at all.
            let extra = max_extra.get(i).copied().unwrap_or(0);
            done.push((i, check(db, extra)));
        }
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(dbs.len());
    let mut done = if threads < 2 {
        run()
    } else {
        std::thread::scope(|s| {
            let workers: Vec<_> = (0..threads).map(|_| s.spawn(run)).collect();
            workers
                .into_iter()
                .flat_map(|w| {
                    w.join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        })
    };
    done.sort_unstable_by_key(|(i, _)| *i);
    match done.into_iter().find_map(|(i, r)| r.err().map(|p| (i, p))) {
        Some(first) => Err(first),
        None => Ok(()),
    }
}

/// Checks one database; `max_extra` is the most fields beyond its columns that any record was written with.
/// A large database's checks are split over the cores: one large database among small ones would
/// otherwise keep one core busy long after the other is done.
pub fn check(db: &Database, max_extra: usize) -> Result<(), Inconsistency> {
    let parts = if db.sections().text.len() >= SPLIT_FROM {
        std::thread::available_parallelism().map_or(1, usize::from)
    } else {
        1
    };
    check_in_parts(db, max_extra, parts)
}

/// Text bytes from which a database's checks are worth splitting over threads.
const SPLIT_FROM: usize = 1 << 20;

/// [`check`], its work split into `parts` pieces, each on its own thread: the verdict is the same for
/// any number of parts (a differential test holds it to the one of a single part).
#[doc(hidden)]
pub fn check_in_parts(db: &Database, max_extra: usize, parts: usize) -> Result<(), Inconsistency> {
    let parts = parts.max(1);
    let sections = db.sections();
    let sections = Raw {
        text: &sections.text,
        ends: &sections.field_ends,
        starts: &sections.record_starts,
        slots: &sections.key_slots,
    };
    check_fields(&sections, parts)?;
    let records = check_records(&sections, db.columns().len(), max_extra)?;
    check_versions(db, records)?;
    let duplicates = keys::check_keys(&sections, records, parts)?;
    check_duplicates(db, &sections, duplicates)
}

/// The four sections as plain byte slices.
struct Raw<'a> {
    text: &'a [u8],
    ends: &'a [u8],
    starts: &'a [u8],
    slots: &'a [u8],
}

fn words(section: &[u8]) -> impl ExactSizeIterator<Item = usize> + '_ {
    section
        .chunks_exact(4)
        .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]) as usize)
}

/// The `index`th word of a section the caller has proven long enough.
fn word(section: &[u8], index: usize) -> usize {
    let at = index * 4;
    u32::from_le_bytes([
        section[at],
        section[at + 1],
        section[at + 2],
        section[at + 3],
    ]) as usize
}

/// Runs `work` for each of `parts` pieces, all but the first on threads of their own, and returns the
/// results in piece order; a panic in a piece is resumed on the caller's thread.
fn in_parallel<T: Send>(parts: usize, work: impl Fn(usize) -> T + Sync) -> Vec<T> {
    if parts < 2 {
        return (0..parts).map(work).collect();
    }
    let work = &work;
    std::thread::scope(|s| {
        let others: Vec<_> = (1..parts).map(|p| s.spawn(move || work(p))).collect();
        let mut done = vec![work(0)];
        done.extend(others.into_iter().map(|o| {
            o.join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        }));
        done
    })
}

/// The text is checked as UTF-8 in pieces, and the field ends in stretches, in parallel: pieces start
/// at the first byte that is not a continuation byte (at most three on, in valid text), so each piece
/// of valid text is valid, and valid pieces make valid text.
fn check_fields(raw: &Raw<'_>, parts: usize) -> Result<(), Inconsistency> {
    let text = raw.text;
    let mut cuts: Vec<usize> = (0..=parts)
        .map(|p| {
            let mut at = text.len() * p / parts;
            for _ in 0..3 {
                if text.get(at).is_some_and(|&b| b & 0xC0 == 0x80) {
                    at += 1;
                }
            }
            at
        })
        .collect();
    for p in 1..cuts.len() {
        cuts[p] = cuts[p].max(cuts[p - 1]);
    }
    let fields = raw.ends.len() / 4;
    let checked = in_parallel(parts, |p| {
        let utf8 = simdutf8::basic::from_utf8(&text[cuts[p]..cuts[p + 1]]).is_ok();
        let (first, last) = (fields * p / parts, fields * (p + 1) / parts);
        let previous = if first == 0 {
            0
        } else {
            word(raw.ends, first - 1)
        };
        (utf8, check_ends(raw, first..last, previous))
    });
    if checked.iter().any(|(utf8, _)| !utf8) {
        return Err(Inconsistency::TextNotUtf8);
    }
    checked.into_iter().try_for_each(|(_, ends)| ends)
}

/// Checks the ends of fields `range` of valid UTF-8 text; `previous` is the end of the field before.
fn check_ends(
    raw: &Raw<'_>,
    range: std::ops::Range<usize>,
    mut previous: usize,
) -> Result<(), Inconsistency> {
    let text = raw.text;
    let section = &raw.ends[range.start * 4..range.end * 4];
    for (i, end) in words(section).enumerate() {
        let field = range.start + i;
        if end < previous {
            return Err(Inconsistency::FieldEndsDecrease { field });
        }
        match text.get(end) {
            None if end > text.len() => {
                return Err(Inconsistency::FieldEndPastText {
                    end,
                    text: text.len(),
                });
            }
            // A UTF-8 continuation byte: the field would end inside a character.
            Some(byte) if byte & 0xC0 == 0x80 => {
                return Err(Inconsistency::FieldSplitsCharacter { field });
            }
            _ => {}
        }
        previous = end;
    }
    Ok(())
}

/// Returns the number of records.
fn check_records(raw: &Raw<'_>, columns: usize, max_extra: usize) -> Result<usize, Inconsistency> {
    let fields = raw.ends.len() / 4;
    let mut starts = words(raw.starts);
    let records = starts.len().saturating_sub(1);
    if starts.next() != Some(0) {
        return Err(Inconsistency::RecordStartsNotAtZero);
    }
    let allowed = columns.saturating_add(max_extra);
    let (mut previous, mut most) = (0, 0);
    for (record, start) in starts.enumerate() {
        if start <= previous {
            return Err(Inconsistency::RecordWithoutFields { record });
        }
        let count = start - previous;
        if count > allowed {
            return Err(Inconsistency::TooManyFields {
                record,
                fields: count,
                allowed,
            });
        }
        most = most.max(count);
        previous = start;
    }
    if previous != fields {
        return Err(Inconsistency::RecordStartsEnd {
            end: previous,
            fields,
        });
    }
    let found = most.saturating_sub(columns);
    if found != max_extra {
        return Err(Inconsistency::ExtraFieldsMaximum {
            recorded: max_extra,
            found,
        });
    }
    Ok(records)
}

fn check_versions(db: &Database, records: usize) -> Result<(), Inconsistency> {
    let meta = db.meta();
    if !meta.versioned && (meta.version.is_some() || !meta.version_exceptions.is_empty()) {
        return Err(Inconsistency::UnversionedWithVersions);
    }
    let mut next = 0;
    for (entry, (position, _)) in meta.version_exceptions.iter().enumerate() {
        let position = *position as usize;
        if position < next || position >= records {
            return Err(Inconsistency::VersionException { entry });
        }
        next = position + 1;
    }
    Ok(())
}

/// The key of a record whose fields the earlier checks proved in range.
fn key<'a>(raw: &Raw<'a>, record: usize) -> &'a [u8] {
    let field = word(raw.starts, record);
    let start = if field == 0 {
        0
    } else {
        word(raw.ends, field - 1)
    };
    &raw.text[start..word(raw.ends, field)]
}

fn check_duplicates(db: &Database, raw: &Raw<'_>, found: u64) -> Result<(), Inconsistency> {
    let warnings = db.warnings();
    if warnings.duplicate_rows != found {
        return Err(Inconsistency::DuplicateCount {
            recorded: warnings.duplicate_rows,
            found,
        });
    }
    let records = db.len();
    for (entry, duplicate) in warnings.duplicates.iter().enumerate() {
        let first = duplicate.first as usize;
        let same = |record: usize| record < records && key(raw, record) == duplicate.key.as_bytes();
        let consistent = same(first)
            && db.position(&duplicate.key) == Some(first)
            && duplicate
                .repeats
                .iter()
                .all(|&r| r as usize > first && same(r as usize));
        if !consistent {
            return Err(Inconsistency::DuplicateEntry { entry });
        }
    }
    Ok(())
}

#[cfg(all(test, feature = "testkit"))]
mod tests {
    use std::sync::OnceLock;

    use bytes::Bytes;
    use proptest::prelude::*;

    use super::check_in_parts;
    use crate::cache::wire::{Body, config};
    use crate::catalog::Limits;
    use crate::testkit::cache_edit::{OwnedBody, OwnedDatabase, set_word, word};
    use crate::testkit::corpus::{self, CorpusSpec};

    /// A body of two databases with non-ASCII text and long fields, as its mirror for editing.
    fn body() -> &'static OwnedBody {
        static BODY: OnceLock<OwnedBody> = OnceLock::new();
        BODY.get_or_init(|| {
            let spec = CorpusSpec {
                databases: 2,
                rows: 3_000,
                min_columns: 2,
                max_columns: 5,
                long_field_every: 20,
                junk_entries: false,
                varied: true,
                seed: 7,
            };
            let (catalog, _) =
                crate::catalog::build::build(&corpus::generate(&spec), &Limits::DEFAULT)
                    .expect("the corpus builds");
            let payload = bincode::serde::encode_to_vec(Body::of(&catalog), config())
                .expect("encoding to memory");
            bincode::serde::decode_from_slice(&payload, config())
                .expect("the mirror decodes a body")
                .0
        })
    }

    /// One edit of one section of a database, as a crafted file might hold it.
    #[derive(Debug, Clone)]
    enum Edit {
        /// A byte of a section set to a value.
        Byte { section: u8, at: usize, value: u8 },
        /// A word of a section moved by a small amount, as an off-by-one writer would.
        Nudge { section: u8, at: usize, by: i8 },
        /// Two words of a section swapped.
        Swap { section: u8, a: usize, b: usize },
    }

    fn edit() -> impl Strategy<Value = Edit> {
        prop_oneof![
            (0..4u8, any::<usize>(), any::<u8>()).prop_map(|(section, at, value)| Edit::Byte {
                section,
                at,
                value
            }),
            (1..4u8, any::<usize>(), -3..=3i8).prop_map(|(section, at, by)| Edit::Nudge {
                section,
                at,
                by
            }),
            (1..4u8, any::<usize>(), any::<usize>()).prop_map(|(section, a, b)| Edit::Swap {
                section,
                a,
                b
            }),
        ]
    }

    /// A section of a database by its number: text, field ends, record starts, key slots.
    fn section(db: &mut OwnedDatabase, s: u8) -> &mut Vec<u8> {
        match s {
            0 => &mut db.text,
            1 => &mut db.field_ends,
            2 => &mut db.record_starts,
            _ => &mut db.key_slots,
        }
    }

    fn apply(body: &mut OwnedBody, database: usize, edit: &Edit) {
        let db = &mut body.databases[database % 2];
        match *edit {
            Edit::Byte {
                section: s,
                at,
                value,
            } => {
                let bytes = section(db, s);
                let len = bytes.len();
                if len > 0 {
                    bytes[at % len] = value;
                }
            }
            Edit::Nudge { section: s, at, by } => {
                let words = section(db, s);
                let count = words.len() / 4;
                if count > 0 {
                    let at = at % count;
                    let value = word(words, at).wrapping_add_signed(i32::from(by));
                    set_word(words, at, value);
                }
            }
            Edit::Swap { section: s, a, b } => {
                let words = section(db, s);
                let count = words.len() / 4;
                if count > 0 {
                    let (a, b) = (a % count, b % count);
                    let (x, y) = (word(words, a), word(words, b));
                    set_word(words, a, y);
                    set_word(words, b, x);
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(crate::testkit::proptest_cases(64)))]

        /// The checks split over threads give the verdict of the checks in one piece, whatever the edits.
        #[test]
        fn a_split_check_agrees_with_a_whole_one(
            edits in proptest::collection::vec((0..2usize, edit()), 0..4),
        ) {
            let mut body = body().clone();
            for (database, edit) in &edits {
                apply(&mut body, *database, edit);
            }
            let Ok(unchecked) = Body::decode_unchecked(&Bytes::from(body.encode())) else {
                return Ok(());
            };
            for (db, &extra) in unchecked.catalog.databases().iter().zip(&unchecked.max_extra) {
                let whole = check_in_parts(db, extra, 1);
                for parts in 2..=5 {
                    prop_assert_eq!(check_in_parts(db, extra, parts), whole, "{} parts", parts);
                }
            }
        }
    }
}

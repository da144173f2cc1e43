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

use std::sync::atomic::{AtomicUsize, Ordering};

use thiserror::Error;
use xxhash_rust::xxh3::xxh3_64;

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

/// Probes a lookup of every key may take, per slot of the table: honest tables need about two.
const PROBES_PER_SLOT: usize = 32;

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
pub fn check(db: &Database, max_extra: usize) -> Result<(), Inconsistency> {
    let sections = db.sections();
    let sections = Raw {
        text: &sections.text,
        ends: &sections.field_ends,
        starts: &sections.record_starts,
        slots: &sections.key_slots,
    };
    check_fields(&sections)?;
    let records = check_records(&sections, db.columns().len(), max_extra)?;
    check_versions(db, records)?;
    let duplicates = check_keys(&sections, records)?;
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

fn check_fields(raw: &Raw<'_>) -> Result<(), Inconsistency> {
    let text = raw.text;
    if simdutf8::basic::from_utf8(text).is_err() {
        return Err(Inconsistency::TextNotUtf8);
    }
    let mut previous = 0;
    for (field, end) in words(raw.ends).enumerate() {
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

/// Proves that looking up any record's key finds the first record with that key, as
/// `Database::position` probes, without probing at random: records are sorted by their key's home slot,
/// so the table is walked in order. Returns how many records are duplicates.
///
/// Records with equal keys form a group; the table must hold exactly one entry per group, the group's
/// first record, in a slot reached from the key's home without crossing an empty slot. Then a lookup
/// passes only other groups' entries (other keys) on its way, and stops at that first record.
fn check_keys(raw: &Raw<'_>, records: usize) -> Result<u64, Inconsistency> {
    let slots = raw.slots.len() / 4;
    // At least one empty slot, so a lookup of an absent key ends; decoding checked the power of two.
    if slots <= records {
        return Err(Inconsistency::KeyTableTooSmall { slots, records });
    }
    let mut occupied = 0usize;
    for (slot, entry) in words(raw.slots).enumerate() {
        if entry > records {
            return Err(Inconsistency::KeyTableEntryOutOfRange {
                slot,
                record: entry - 1,
                records,
            });
        }
        occupied += usize::from(entry != 0);
    }
    let mask = slots - 1;
    let mut keyed: Vec<(u64, u32)> = (0..records)
        .map(|r| (xxh3_64(key(raw, r)), r as u32))
        .collect();
    sort_by_home(&mut keyed, mask);
    let mut budget = slots.saturating_mul(PROBES_PER_SLOT);
    let (mut groups, mut duplicates) = (0usize, 0u64);
    let mut leaders: Vec<u32> = Vec::new();
    let mut i = 0;
    while i < keyed.len() {
        // One run of equal hashes: after the sort they are adjacent, records in increasing order.
        let hash = keyed[i].0;
        let run = keyed[i..].iter().take_while(|(h, _)| *h == hash).count();
        leaders.clear();
        for &(_, record) in &keyed[i..i + run] {
            // Keys are fetched (at random places) only for the rare runs of more than one record.
            if run > 1 {
                let wanted = key(raw, record as usize);
                if leaders.iter().any(|&l| key(raw, l as usize) == wanted) {
                    duplicates += 1;
                    continue;
                }
            }
            // Distinct keys with one 64-bit hash: honest data never has more than a couple.
            if leaders.len() == MAX_KEYS_PER_HASH {
                return Err(Inconsistency::KeyTableTooCrowded);
            }
            leaders.push(record);
            groups += 1;
            let mut slot = hash as usize & mask;
            loop {
                budget = budget
                    .checked_sub(1)
                    .ok_or(Inconsistency::KeyTableTooCrowded)?;
                match word(raw.slots, slot) {
                    0 => {
                        return Err(Inconsistency::KeyNotFound {
                            record: record as usize,
                        });
                    }
                    entry if entry - 1 == record as usize => break,
                    _ => slot = (slot + 1) & mask,
                }
            }
        }
        i += run;
    }
    // Every group's first record was found; any other entry is a duplicate or a stray record.
    if occupied != groups {
        return Err(Inconsistency::KeyTableStrayEntries {
            entries: occupied,
            keys: groups,
        });
    }
    Ok(duplicates)
}

/// Distinct keys sharing one 64-bit hash that a table may hold.
const MAX_KEYS_PER_HASH: usize = 4;

/// Sorts (hash, record) by home slot, then hash, keeping records in order within equal hashes: a stable
/// radix sort on the home's bits (linear), then each run of one home sorted by hash (runs are short).
fn sort_by_home(keyed: &mut Vec<(u64, u32)>, mask: usize) {
    const DIGIT: u32 = 11;
    let bits = usize::BITS - mask.leading_zeros();
    let mut buffer = vec![(0u64, 0u32); keyed.len()];
    let mut shift = 0;
    while shift < bits {
        let width = DIGIT.min(bits - shift);
        let digit = |h: u64| ((h as usize & mask) >> shift) & ((1 << width) - 1);
        let mut counts = vec![0usize; 1 << width];
        for &(h, _) in keyed.iter() {
            counts[digit(h)] += 1;
        }
        let mut at = 0;
        for count in &mut counts {
            let n = *count;
            *count = at;
            at += n;
        }
        for &item in keyed.iter() {
            let d = digit(item.0);
            buffer[counts[d]] = item;
            counts[d] += 1;
        }
        std::mem::swap(keyed, &mut buffer);
        shift += width;
    }
    let mut i = 0;
    while i < keyed.len() {
        let home = keyed[i].0 as usize & mask;
        let run = keyed[i..]
            .iter()
            .take_while(|(h, _)| *h as usize & mask == home)
            .count();
        if run > 1 {
            keyed[i..i + run].sort_by_key(|&(h, r)| (h, r));
        }
        i += run;
    }
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

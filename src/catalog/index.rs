//! A database's index: every field in one text arena, offset tables over it, and a key -> position table.
//!
//! The four sections are plain little-endian byte arrays held as `Bytes`, so a database built from CSV and
//! one sliced out of a cache file are the same thing, and a warm load copies nothing. Accessors never panic
//! on inconsistent offsets (a tampered cache): they answer "missing" instead.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use serde::Serialize;
use xxhash_rust::xxh3::xxh3_64;

/// The byte sections a database's index lives in.
#[derive(Debug, Clone, Default)]
pub struct Sections {
    /// Every field's bytes, back to back (valid UTF-8 as a whole; fields start on char boundaries).
    pub text: Bytes,
    /// u32 LE per field: where the field ends in `text` (it starts where the previous one ends).
    pub field_ends: Bytes,
    /// u32 LE per record plus one sentinel: index of the record's first field.
    pub record_starts: Bytes,
    /// u32 LE open-addressing table, a power of two long: 0 is empty, else record position + 1.
    pub key_slots: Bytes,
}

/// A key that occurs on more than one row: the lookup answers its first row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DuplicateKey {
    /// The repeated key.
    pub key: String,
    /// Position of the record the lookup returns.
    pub first: u32,
    /// Positions of the later records with the same key.
    pub repeats: Vec<u32>,
}

/// How many rows needed attention, with the first few line numbers as examples.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Warnings {
    /// Rows with more or fewer fields than the header.
    pub ragged_rows: u64,
    /// Line numbers of the first such rows.
    pub ragged_lines: Vec<u64>,
    /// Rows whose key is empty.
    pub empty_key_rows: u64,
    /// Line numbers of the first such rows.
    pub empty_key_lines: Vec<u64>,
    /// Rows whose key an earlier row already has.
    pub duplicate_rows: u64,
    /// The first repeated keys, with their positions.
    pub duplicates: Vec<DuplicateKey>,
}

impl Warnings {
    /// How many example line numbers are kept per kind of warning.
    pub const EXAMPLES: usize = 20;

    /// Whether no row needed attention.
    pub fn is_empty(&self) -> bool {
        self.ragged_rows == 0 && self.empty_key_rows == 0 && self.duplicate_rows == 0
    }
}

/// What is known about a database besides its records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatabaseMeta {
    /// The database's name (its file stem).
    pub name: String,
    /// SHA-256 of its CSV bytes, which the diff compares first.
    #[serde(serialize_with = "crate::hex::serialize")]
    pub source_sha256: [u8; 32],
    /// Whether the header starts with `version` (then every row's first field is its version).
    pub versioned: bool,
    /// The version of the first data row, for versioned databases.
    pub version: Option<String>,
    /// Rows whose version differs from `version`: (record position, version), by position.
    pub version_exceptions: Vec<(u32, String)>,
    /// The header without `version`; the first column is the key.
    pub columns: Vec<String>,
    /// Rows that needed attention.
    pub warnings: Warnings,
}

/// One database's records and lookup. Cheap to clone: the data is shared.
#[derive(Debug, Clone)]
pub struct Database {
    meta: Arc<DatabaseMeta>,
    sections: Sections,
}

/// One record, borrowed from its database.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    db: &'a Database,
    index: usize,
    fields: (usize, usize),
}

impl Database {
    pub(crate) fn from_parts(meta: DatabaseMeta, sections: Sections) -> Self {
        Database {
            meta: Arc::new(meta),
            sections,
        }
    }

    /// Everything known about it besides its records.
    pub fn meta(&self) -> &DatabaseMeta {
        &self.meta
    }

    pub(crate) fn sections(&self) -> &Sections {
        &self.sections
    }

    /// The database's name (its file stem).
    pub fn name(&self) -> &str {
        &self.meta.name
    }

    /// The version of its first data row, for versioned databases.
    pub fn version(&self) -> Option<&str> {
        self.meta.version.as_deref()
    }

    /// The header without `version`; the first column is the key.
    pub fn columns(&self) -> &[String] {
        &self.meta.columns
    }

    /// Rows that needed attention: ragged, empty keys, duplicates.
    pub fn warnings(&self) -> &Warnings {
        &self.meta.warnings
    }

    /// Number of records (rows kept, duplicates included).
    pub fn len(&self) -> usize {
        (self.sections.record_starts.len() / 4).saturating_sub(1)
    }

    /// Whether it has no records.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of different keys (what the lookup can find).
    pub fn distinct_keys(&self) -> usize {
        self.len() - self.meta.warnings.duplicate_rows as usize
    }

    /// The record at a position, `None` past the end.
    pub fn record(&self, index: usize) -> Option<Record<'_>> {
        let starts = &self.sections.record_starts;
        let first = u32_at(starts, index)?;
        let end = u32_at(starts, index + 1)?;
        Some(Record {
            db: self,
            index,
            fields: (first, end.max(first)),
        })
    }

    /// Every record, in file order.
    pub fn records(&self) -> impl ExactSizeIterator<Item = Record<'_>> + '_ {
        (0..self.len()).map(|i| self.record(i).unwrap_or_else(|| self.empty_record(i)))
    }

    /// The record a key leads to: the first row with that key.
    pub fn lookup(&self, key: &str) -> Option<Record<'_>> {
        self.position(key).and_then(|i| self.record(i))
    }

    /// The position of the first record with this key.
    pub fn position(&self, key: &str) -> Option<usize> {
        let slots = &self.sections.key_slots;
        let count = slots.len() / 4;
        if count == 0 {
            return None;
        }
        let mask = count - 1;
        let mut slot = xxh3_64(key.as_bytes()) as usize & mask;
        // Bounded, so even a tampered table that is full cannot loop forever.
        for _ in 0..count {
            let entry = u32_at(slots, slot)?;
            if entry == 0 {
                return None;
            }
            let position = entry - 1;
            if self.key_bytes(position) == Some(key.as_bytes()) {
                return Some(position);
            }
            slot = (slot + 1) & mask;
        }
        None
    }

    fn key_bytes(&self, position: usize) -> Option<&[u8]> {
        let starts = &self.sections.record_starts;
        let field = u32_at(starts, position)?;
        if field >= u32_at(starts, position + 1)? {
            return None;
        }
        self.field_bytes(field)
    }

    fn row_version(&self, position: usize) -> Option<&str> {
        if !self.meta.versioned {
            return None;
        }
        let exceptions = &self.meta.version_exceptions;
        match exceptions.binary_search_by_key(&(position as u32), |(p, _)| *p) {
            Ok(i) => Some(exceptions[i].1.as_str()),
            Err(_) => self.meta.version.as_deref(),
        }
    }

    fn field_bytes(&self, field: usize) -> Option<&[u8]> {
        let ends = &self.sections.field_ends;
        let start = if field == 0 {
            0
        } else {
            u32_at(ends, field - 1)?
        };
        let end = u32_at(ends, field)?;
        self.sections.text.get(start..end)
    }

    fn field_str(&self, field: usize) -> Option<&str> {
        // Valid by construction; a tampered cache shows a replacement mark rather than panicking. Checked
        // on every access, so with the vectorised check: a field may be megabytes long.
        self.field_bytes(field)
            .map(|b| simdutf8::basic::from_utf8(b).unwrap_or("\u{fffd}"))
    }

    fn empty_record(&self, index: usize) -> Record<'_> {
        Record {
            db: self,
            index,
            fields: (0, 0),
        }
    }
}

impl<'a> Record<'a> {
    /// Position among the database's records (what the lookup maps keys to).
    pub fn index(&self) -> usize {
        self.index
    }

    /// The database the record belongs to.
    pub fn database(&self) -> &'a Database {
        self.db
    }

    fn field_count(&self) -> usize {
        self.fields.1 - self.fields.0
    }

    fn field(&self, i: usize) -> Option<&'a str> {
        (i < self.field_count())
            .then(|| self.db.field_str(self.fields.0 + i))
            .flatten()
    }

    /// The row's version, for versioned databases.
    pub fn version(&self) -> Option<&'a str> {
        self.db.row_version(self.index)
    }

    /// The key (the first field); empty if the row had none.
    pub fn key(&self) -> &'a str {
        self.field(0).unwrap_or("")
    }

    /// The value of column `column` (0 is the key); `None` when this row is too short to have it.
    pub fn value(&self, column: usize) -> Option<&'a str> {
        self.field(column)
    }

    /// One entry per column, `None` for the fields a short row lacks.
    pub fn values(&self) -> impl Iterator<Item = Option<&'a str>> + use<'a> {
        let record = *self;
        (0..self.db.columns().len()).map(move |c| record.value(c))
    }

    /// Fields beyond the header's columns, which a long row carries.
    pub fn extra(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        let record = *self;
        (self.db.columns().len()..self.field_count()).filter_map(move |i| record.field(i))
    }

    /// Whether this row has a different number of fields than the header.
    pub fn is_ragged(&self) -> bool {
        self.field_count() != self.db.columns().len()
    }

    /// Every field of the row: key, values, then extras.
    pub fn fields(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        let record = *self;
        (0..self.field_count()).filter_map(move |i| record.field(i))
    }
}

/// Reads the `index`th little-endian u32 of a section.
fn u32_at(section: &[u8], index: usize) -> Option<usize> {
    let start = index.checked_mul(4)?;
    let bytes = section.get(start..start + 4)?;
    Some(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize)
}

/// Builds the key table over an arena and finds the duplicate keys.
pub(crate) fn build_key_table(
    text: &[u8],
    field_ends: &[u8],
    record_starts: &[u8],
) -> (Vec<u8>, Vec<DuplicateKey>) {
    let records = (record_starts.len() / 4).saturating_sub(1);
    // At most three quarters full: linear probing stays short, and the table stays small on disk.
    let slot_count = (records + records / 3 + 1).next_power_of_two().max(16);
    let mask = slot_count - 1;
    // Written straight as the section's little-endian bytes: no second pass to convert them.
    let mut slots = vec![0u8; slot_count * 4];
    let mut duplicates: Vec<DuplicateKey> = Vec::new();
    let mut duplicate_of_first: HashMap<usize, usize> = HashMap::new();
    let key_of = |position: usize| -> &[u8] {
        let field = u32_at(record_starts, position).unwrap_or(0);
        let start = match field {
            0 => 0,
            f => u32_at(field_ends, f - 1).unwrap_or(0),
        };
        let end = u32_at(field_ends, field).unwrap_or(start);
        &text[start..end]
    };
    // Each record's key hash, high half: a probe compares keys only when these agree, instead of reading
    // the other key's text from wherever it lies.
    let mut tags: Vec<u32> = Vec::with_capacity(records);
    for position in 0..records {
        let key = key_of(position);
        let hash = xxh3_64(key);
        let tag = (hash >> 32) as u32;
        tags.push(tag);
        let mut slot = hash as usize & mask;
        loop {
            let entry = u32_at(&slots, slot).unwrap_or(0);
            if entry == 0 {
                slots[slot * 4..slot * 4 + 4].copy_from_slice(&(position as u32 + 1).to_le_bytes());
                break;
            }
            if tags[entry - 1] == tag && key_of(entry - 1) == key {
                let first = entry - 1;
                let at = *duplicate_of_first.entry(first).or_insert_with(|| {
                    duplicates.push(DuplicateKey {
                        key: String::from_utf8_lossy(key).into_owned(),
                        first: first as u32,
                        repeats: Vec::new(),
                    });
                    duplicates.len() - 1
                });
                duplicates[at].repeats.push(position as u32);
                break;
            }
            slot = (slot + 1) & mask;
        }
    }
    (slots, duplicates)
}

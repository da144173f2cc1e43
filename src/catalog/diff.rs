//! The record-level diff between two catalogs (say the cached data and a fresh parse of the archive):
//! per database, added, removed and changed records, and for a changed record the fields that differ.
//!
//! - Databases are matched by name. One whose source SHA-256 is the same on both sides holds the same
//!   CSV and is skipped without looking at a record. One on a single side is added or removed, with
//!   its record count (its records are not listed); one that could not be read on either side is
//!   reported as unreadable with its error.
//! - Records are matched by key. With duplicate keys the n-th record with a key matches the n-th record
//!   with that key on the other side; the rest are added or removed. A record that only moved is not a
//!   change.
//! - Fields are compared by column name, over the columns both headers have; a header change (a column
//!   added, removed, renamed or moved) is reported once for the database, not on every record. Fields
//!   past the header are compared by position (`extra 1`, ...), and a row's own version as `version`.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::arena::Arena;
use super::{Catalog, Database};
use crate::error::DatabaseError;

/// Everything that differs, database by database in name order. Empty when the catalogs agree.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CatalogDiff {
    /// The databases that differ, in name order.
    pub databases: Vec<DatabaseDiff>,
}

impl CatalogDiff {
    /// Whether the catalogs agree.
    pub fn is_empty(&self) -> bool {
        self.databases.is_empty()
    }
}

/// How a database differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DiffKind {
    /// Only in the new catalog.
    Added,
    /// Only in the old catalog.
    Removed,
    /// In both, with different contents.
    Modified,
    /// It could not be read on one side or both (the error is given).
    Unreadable,
}

impl DiffKind {
    /// The kind in one word, as `diff` prints it.
    pub fn word(self) -> &'static str {
        match self {
            DiffKind::Added => "added",
            DiffKind::Removed => "removed",
            DiffKind::Modified => "modified",
            DiffKind::Unreadable => "unreadable",
        }
    }
}

/// An old value and a new one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change<T> {
    /// The value before.
    pub old: T,
    /// The value after.
    pub new: T,
}

/// How one database differs between the two catalogs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatabaseDiff {
    /// The database's name.
    pub name: String,
    /// Added, removed, modified or unreadable.
    pub change: DiffKind,
    /// Record counts before and after.
    pub records: Change<usize>,
    /// When the database's version differs.
    pub version: Option<Change<Option<String>>>,
    /// When the header differs.
    pub columns: Option<Change<Vec<String>>>,
    /// Why it could not be read, on each side, for [`DiffKind::Unreadable`]; serialized as messages.
    #[serde(serialize_with = "error_messages")]
    pub errors: Option<Change<Option<DatabaseError>>>,
    /// New records without a match among the old ones, in new order.
    pub added: Vec<RecordRef>,
    /// Old records without a match among the new ones, in old order.
    pub removed: Vec<RecordRef>,
    /// Matched records whose fields differ, in old order.
    pub changed: Vec<ChangedRecord>,
}

fn error_messages<S: serde::Serializer>(
    errors: &Option<Change<Option<DatabaseError>>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    let message = |e: &Option<DatabaseError>| e.as_ref().map(ToString::to_string);
    errors
        .as_ref()
        .map(|c| Change {
            old: message(&c.old),
            new: message(&c.new),
        })
        .serialize(s)
}

/// A record by key and position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordRef {
    /// The record's key.
    pub key: String,
    /// Its position in its database.
    pub position: usize,
}

/// A record on both sides whose fields differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangedRecord {
    /// The key both sides share.
    pub key: String,
    /// Its position before and after.
    pub position: Change<usize>,
    /// The fields that differ, in column order.
    pub fields: Vec<FieldChange>,
}

/// One field that differs; `None` where a row is too short to have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    /// The column's name (or `extra N` beyond the header).
    pub column: String,
    /// The value before.
    pub old: Option<String>,
    /// The value after.
    pub new: Option<String>,
}

/// Compares two catalogs, `old` (e.g. the cache) against `new` (e.g. the archive).
pub fn diff(old: &Catalog, new: &Catalog) -> CatalogDiff {
    let mut names: Vec<&str> = old
        .databases()
        .iter()
        .chain(new.databases())
        .map(Database::name)
        .chain(
            old.failed()
                .iter()
                .chain(new.failed())
                .map(|f| f.name.as_str()),
        )
        .collect();
    names.sort_unstable();
    names.dedup();
    let databases = names
        .into_iter()
        .filter_map(|name| database_diff(old, new, name))
        .collect();
    CatalogDiff { databases }
}

fn database_diff(old: &Catalog, new: &Catalog, name: &str) -> Option<DatabaseDiff> {
    let (old_db, new_db) = (old.get(name), new.get(name));
    let (old_failed, new_failed) = (failure(old, name), failure(new, name));
    let blank = |change| DatabaseDiff {
        name: name.to_string(),
        change,
        records: Change {
            old: old_db.map_or(0, Database::len),
            new: new_db.map_or(0, Database::len),
        },
        version: None,
        columns: None,
        errors: None,
        added: Vec::new(),
        removed: Vec::new(),
        changed: Vec::new(),
    };
    if old_failed.is_some() || new_failed.is_some() {
        if old_failed == new_failed {
            return None;
        }
        return Some(DatabaseDiff {
            errors: Some(Change {
                old: old_failed.map(|f| f.error.clone()),
                new: new_failed.map(|f| f.error.clone()),
            }),
            ..blank(DiffKind::Unreadable)
        });
    }
    match (old_db, new_db) {
        (None, None) => None,
        (None, Some(_)) => Some(blank(DiffKind::Added)),
        (Some(_), None) => Some(blank(DiffKind::Removed)),
        (Some(a), Some(b)) if a.meta().source_sha256 == b.meta().source_sha256 => None,
        (Some(a), Some(b)) => {
            let mut d = blank(DiffKind::Modified);
            if a.version() != b.version() {
                d.version = Some(Change {
                    old: a.version().map(str::to_string),
                    new: b.version().map(str::to_string),
                });
            }
            if a.columns() != b.columns() {
                d.columns = Some(Change {
                    old: a.columns().to_vec(),
                    new: b.columns().to_vec(),
                });
            }
            records(a, b, &mut d);
            // The CSV differs but every record is the same (say, quoting or line endings changed).
            let same = d.version.is_none()
                && d.columns.is_none()
                && d.added.is_empty()
                && d.removed.is_empty()
                && d.changed.is_empty();
            (!same).then_some(d)
        }
    }
}

fn failure<'c>(catalog: &'c Catalog, name: &str) -> Option<&'c super::FailedDatabase> {
    catalog.failed().iter().find(|f| f.name == name)
}

/// Positions of the second and later records of each duplicate key, in record order.
fn repeats(db: &Database) -> HashMap<&str, Vec<usize>> {
    let mut repeats: HashMap<&str, Vec<usize>> = HashMap::new();
    let warnings = db.warnings();
    let listed: u64 = warnings
        .duplicates
        .iter()
        .map(|d| d.repeats.len() as u64)
        .sum();
    if warnings.duplicate_rows == 0 {
        return repeats;
    }
    if listed == warnings.duplicate_rows {
        for d in &warnings.duplicates {
            let mut positions: Vec<usize> = d.repeats.iter().map(|&p| p as usize).collect();
            positions.sort_unstable();
            if let Some(key) = db.record(d.first as usize).map(|r| r.key()) {
                repeats.insert(key, positions);
            }
        }
        return repeats;
    }
    // The list is incomplete: find the repeats with the lookup, which answers each key's first record.
    for record in db.records() {
        if db.position(record.key()) != Some(record.index()) {
            repeats
                .entry(record.key())
                .or_default()
                .push(record.index());
        }
    }
    repeats
}

/// Matches records by key (n-th with n-th) and fills in added, removed and changed.
fn records(old: &Database, new: &Database, d: &mut DatabaseDiff) {
    let (old_repeats, new_repeats) = (repeats(old), repeats(new));
    // Occurrence number of each repeated old record.
    let mut occurrence: HashMap<usize, usize> = HashMap::new();
    for positions in old_repeats.values() {
        for (n, &p) in positions.iter().enumerate() {
            occurrence.insert(p, n + 1);
        }
    }
    let fields = FieldPlan::new(old, new);
    let (old_arena, new_arena) = (Arena::of(old), Arena::of(new));
    let later_in_new: HashSet<usize> = new_repeats.values().flatten().copied().collect();
    let mut matched = vec![false; new.len()];
    // Where the last match fell relative to its old position: records mostly keep their order, so the
    // next one is first looked for there, one sequential read instead of a lookup's random ones.
    let mut shift = 0isize;
    for record in old.records() {
        let key = record.key();
        let p = record.index();
        let repeat = (!occurrence.is_empty())
            .then(|| occurrence.get(&p))
            .flatten();
        let q = match repeat {
            None => p
                .checked_add_signed(shift)
                .filter(|&q| new.record(q).is_some_and(|r| r.key() == key))
                .filter(|q| !later_in_new.contains(q))
                .or_else(|| new.position(key)),
            Some(&n) => new_repeats.get(key).and_then(|r| r.get(n - 1)).copied(),
        };
        if let Some(q) = q {
            shift = q as isize - p as isize;
        }
        let Some(q) = q else {
            d.removed.push(RecordRef {
                key: key.to_string(),
                position: p,
            });
            continue;
        };
        matched[q] = true;
        if fields.same_bytes
            && same_record(&old_arena, &new_arena, p, q)
            && record.version() == new.record(q).and_then(|r| r.version())
        {
            continue;
        }
        let changes = fields.compare(old, new, p, q);
        if !changes.is_empty() {
            d.changed.push(ChangedRecord {
                key: key.to_string(),
                position: Change { old: p, new: q },
                fields: changes,
            });
        }
    }
    for (q, _) in matched.iter().enumerate().filter(|(_, m)| !**m) {
        if let Some(record) = new.record(q) {
            d.added.push(RecordRef {
                key: record.key().to_string(),
                position: q,
            });
        }
    }
}

/// Whether two records have the same fields, byte for byte.
fn same_record(a: &Arena, b: &Arena, p: usize, q: usize) -> bool {
    let (Some(n), Some(m)) = (a.field_count(p), b.field_count(q)) else {
        return false;
    };
    n == m && (0..n).all(|c| a.value(p, c) == b.value(q, c))
}

/// Which old column is compared with which new one.
struct FieldPlan {
    /// (name, old column, new column) for the columns both headers have, in old order.
    shared: Vec<(String, usize, usize)>,
    old_width: usize,
    new_width: usize,
    /// The headers are equal, so equal bytes mean equal records.
    same_bytes: bool,
}

impl FieldPlan {
    fn new(old: &Database, new: &Database) -> Self {
        let mut shared = vec![(old.columns().first().cloned().unwrap_or_default(), 0, 0)];
        for (i, name) in old.columns().iter().enumerate().skip(1) {
            if let Some(j) = new.columns().iter().skip(1).position(|c| c == name) {
                shared.push((name.clone(), i, j + 1));
            }
        }
        FieldPlan {
            shared,
            old_width: old.columns().len(),
            new_width: new.columns().len(),
            same_bytes: old.columns() == new.columns(),
        }
    }

    fn compare(&self, old: &Database, new: &Database, p: usize, q: usize) -> Vec<FieldChange> {
        let (Some(a), Some(b)) = (old.record(p), new.record(q)) else {
            return Vec::new();
        };
        let mut changes = Vec::new();
        let mut push = |column: String, x: Option<&str>, y: Option<&str>| {
            if x != y {
                changes.push(FieldChange {
                    column,
                    old: x.map(str::to_string),
                    new: y.map(str::to_string),
                });
            }
        };
        push("version".to_string(), a.version(), b.version());
        for (name, i, j) in &self.shared {
            push(name.clone(), a.value(*i), b.value(*j));
        }
        let extras = |r: &crate::catalog::Record, width: usize| -> Vec<Option<String>> {
            r.fields()
                .skip(width)
                .map(|f| Some(f.to_string()))
                .collect()
        };
        let (x, y) = (extras(&a, self.old_width), extras(&b, self.new_width));
        for i in 0..x.len().max(y.len()) {
            let (x, y) = (x.get(i).cloned().flatten(), y.get(i).cloned().flatten());
            push(format!("extra {}", i + 1), x.as_deref(), y.as_deref());
        }
        changes
    }
}

//! The reference for the record-level diff: keys counted in a `HashMap`, records compared field by field
//! as strings, compared with [`crate::catalog::diff::diff`].

use std::collections::HashMap;

use crate::catalog::diff::{self, Change, ChangedRecord, FieldChange, RecordRef};
use crate::catalog::{Catalog, Database};

/// Added, removed and changed records of one database pair, the slow way.
pub fn reference_records(
    old: &Database,
    new: &Database,
) -> (Vec<RecordRef>, Vec<RecordRef>, Vec<ChangedRecord>) {
    let positions = |db: &Database| {
        let mut map: HashMap<String, Vec<usize>> = HashMap::new();
        for r in db.records() {
            map.entry(r.key().to_string()).or_default().push(r.index());
        }
        map
    };
    let (old_keys, new_keys) = (positions(old), positions(new));
    let (mut added, mut removed, mut changed) = (Vec::new(), Vec::new(), Vec::new());
    let mut matched = vec![false; new.len()];
    for r in old.records() {
        let key = r.key().to_string();
        let n = old_keys[&key]
            .iter()
            .position(|&p| p == r.index())
            .expect("listed");
        let Some(&q) = new_keys.get(&key).and_then(|v| v.get(n)) else {
            removed.push(RecordRef {
                key,
                position: r.index(),
            });
            continue;
        };
        matched[q] = true;
        let s = new.record(q).expect("listed");
        let mut fields = Vec::new();
        let mut differ = |column: String, a: Option<&str>, b: Option<&str>| {
            if a != b {
                fields.push(FieldChange {
                    column,
                    old: a.map(String::from),
                    new: b.map(String::from),
                });
            }
        };
        differ("version".into(), r.version(), s.version());
        for (i, name) in old.columns().iter().enumerate() {
            let j = if i == 0 {
                Some(0)
            } else {
                new.columns()
                    .iter()
                    .skip(1)
                    .position(|c| c == name)
                    .map(|j| j + 1)
            };
            if let Some(j) = j {
                differ(name.clone(), r.value(i), s.value(j));
            }
        }
        let (x, y): (Vec<&str>, Vec<&str>) = (r.extra().collect(), s.extra().collect());
        for i in 0..x.len().max(y.len()) {
            differ(
                format!("extra {}", i + 1),
                x.get(i).copied(),
                y.get(i).copied(),
            );
        }
        if !fields.is_empty() {
            changed.push(ChangedRecord {
                key,
                position: Change {
                    old: r.index(),
                    new: q,
                },
                fields,
            });
        }
    }
    for (q, m) in matched.iter().enumerate() {
        if !m {
            let key = new.record(q).expect("in range").key().to_string();
            added.push(RecordRef { key, position: q });
        }
    }
    (added, removed, changed)
}

/// Checks `diff(old, new)` against the reference, and that a catalog has no diff with itself.
pub fn check_diff(old: &Catalog, new: &Catalog) {
    assert!(
        diff::diff(old, old).is_empty(),
        "a catalog differs from itself"
    );
    let got = diff::diff(old, new);
    let mut names: Vec<&str> = old
        .databases()
        .iter()
        .chain(new.databases())
        .map(super::super::catalog::index::Database::name)
        .collect();
    names.sort_unstable();
    names.dedup();
    for name in names {
        let reported = got.databases.iter().find(|d| d.name == name);
        match (old.get(name), new.get(name)) {
            (Some(a), Some(b)) => {
                let (added, removed, changed) = reference_records(a, b);
                let same = a.meta().source_sha256 == b.meta().source_sha256
                    || (added.is_empty()
                        && removed.is_empty()
                        && changed.is_empty()
                        && a.columns() == b.columns()
                        && a.version() == b.version());
                match reported {
                    None => assert!(same, "{name}: differences not reported"),
                    Some(d) => {
                        assert!(!same, "{name}: reported but the same");
                        assert_eq!(d.added, added, "{name}: added");
                        assert_eq!(d.removed, removed, "{name}: removed");
                        assert_eq!(d.changed, changed, "{name}: changed");
                        assert_eq!(d.columns.is_some(), a.columns() != b.columns());
                        assert_eq!(
                            d.records,
                            Change {
                                old: a.len(),
                                new: b.len()
                            }
                        );
                    }
                }
            }
            (a, b) => {
                let d =
                    reported.unwrap_or_else(|| panic!("{name}: only on one side, not reported"));
                let kind = if a.is_some() {
                    diff::DiffKind::Removed
                } else {
                    diff::DiffKind::Added
                };
                assert_eq!(d.change, kind, "{name}");
                assert!(b.is_some() != a.is_some());
            }
        }
    }
}

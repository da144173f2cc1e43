//! Compares two catalogs record by record and names the first difference: what "verify" reports.

use super::{Catalog, Database};

/// The first difference between two catalogs, in words; `None` when they hold the same data.
pub fn first_difference(left: &Catalog, right: &Catalog) -> Option<String> {
    let names = |c: &Catalog| {
        c.databases()
            .iter()
            .map(|d| d.name().to_string())
            .collect::<Vec<_>>()
    };
    if names(left) != names(right) {
        return Some(format!(
            "databases differ: [{}] vs [{}]",
            names(left).join(", "),
            names(right).join(", ")
        ));
    }
    left.databases()
        .iter()
        .zip(right.databases())
        .find_map(|(a, b)| database_difference(a, b))
        .or_else(|| {
            (left.failed() != right.failed()).then(|| "failed databases differ".to_string())
        })
}

fn database_difference(a: &Database, b: &Database) -> Option<String> {
    let name = a.name();
    if a.meta() != b.meta() {
        return Some(format!("{name}: header, version, hash or warnings differ"));
    }
    if a.len() != b.len() {
        return Some(format!("{name}: {} records vs {}", a.len(), b.len()));
    }
    for (ra, rb) in a.records().zip(b.records()) {
        let fields_a: Vec<_> = ra.fields().collect();
        let fields_b: Vec<_> = rb.fields().collect();
        if fields_a != fields_b || ra.version() != rb.version() {
            return Some(format!(
                "{name} record {} (key {:?}): {:?} vs {:?}",
                ra.index(),
                ra.key(),
                fields_a,
                fields_b
            ));
        }
        if a.position(ra.key()) != b.position(rb.key()) {
            return Some(format!("{name}: lookup of {:?} differs", ra.key()));
        }
    }
    None
}

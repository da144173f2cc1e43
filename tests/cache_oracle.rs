//! The cache's oracle: for generated catalogs, build -> write -> read gives back exactly what was built
//! (every database, record, field, version, warning and lookup), through the manager and the file alone.

mod common;

use std::fmt::Write as _;

use backstore::cache::file;
use backstore::cache::{CacheState, Outcome};
use backstore::catalog::compare::first_difference;
use backstore::catalog::{Catalog, Database};
use backstore::testkit::corpus::{self, CorpusSpec};
use common::Sandbox;
use proptest::prelude::*;

/// One generated database: a header (maybe versioned) and rows of fields.
#[derive(Debug, Clone)]
struct Table {
    versioned: bool,
    columns: usize,
    rows: Vec<(String, Vec<String>)>,
}

fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z]{0,6}",
        2 => "[a-zA-Z0-9 ,\"]{0,12}",
        1 => "[éü東京😀]{1,3}",
        1 => "[a-z]{1,3}\n[a-z]{1,3}",
        1 => Just(String::new()),
    ]
}

fn table() -> impl Strategy<Value = Table> {
    (any::<bool>(), 1usize..6).prop_flat_map(|(versioned, columns)| {
        // Keys from a small alphabet, so duplicates are common; lengths vary, so rows can be ragged.
        let row = (
            prop_oneof![Just("v1".to_string()), Just("v2".to_string())],
            proptest::collection::vec(field(), 1..(columns + 3).min(30)),
            "[a-d]{0,2}",
        )
            .prop_map(|(version, mut fields, key)| {
                fields[0] = key;
                (version, fields)
            });
        proptest::collection::vec(row, 0..30).prop_map(move |rows| Table {
            versioned,
            columns,
            rows,
        })
    })
}

fn quoted(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

fn csv(table: &Table) -> String {
    let mut text = String::new();
    let mut header: Vec<String> = (0..table.columns).map(|c| format!("c{c}")).collect();
    if table.versioned {
        header.insert(0, "version".into());
    }
    writeln!(text, "{}", header.join(",")).unwrap();
    for (version, fields) in &table.rows {
        let mut cells: Vec<String> = fields.iter().map(|f| quoted(f)).collect();
        if table.versioned {
            cells.insert(0, version.clone());
        }
        writeln!(text, "{}", cells.join(",")).unwrap();
    }
    text
}

fn assert_same(built: &Catalog, read: &Catalog) {
    assert_eq!(first_difference(built, read), None);
    assert_eq!(built.failed(), read.failed());
    assert_eq!(built.skipped(), read.skipped());
    assert_eq!(built.version(), read.version());
    for (a, b) in built.databases().iter().zip(read.databases()) {
        assert_eq!(a.meta(), b.meta());
        assert_lookups_agree(a, b);
    }
}

fn assert_lookups_agree(a: &Database, b: &Database) {
    for record in a.records() {
        assert_eq!(a.position(record.key()), b.position(record.key()));
        let found = b
            .lookup(record.key())
            .expect("every key is found in the copy read back");
        assert!(found.index() <= record.index());
    }
    assert!(b.lookup("no such key \u{0}").is_none());
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: backstore::testkit::proptest_cases(256),
        ..ProptestConfig::default()
    })]

    #[test]
    fn build_write_read_gives_back_exactly_what_was_built(
        tables in proptest::collection::btree_map("[a-z]{1,8}", table(), 1..4)
    ) {
        let sources: Vec<(String, String)> = tables.iter().map(|(n, t)| (n.clone(), csv(t))).collect();
        let databases: Vec<(&str, &str)> =
            sources.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
        let sandbox = Sandbox::new();
        sandbox.write_archive(&common::csv_archive(&databases));

        let built = sandbox.manager().load_or_build().expect("build");
        prop_assert!(matches!(built.report.outcome, Outcome::Built(_)), "{:?}", built.report.outcome);
        let loaded = sandbox.manager().load_or_build().expect("load");
        prop_assert_eq!(&loaded.report.outcome, &Outcome::Loaded);
        assert_same(&built.catalog, &loaded.catalog);

        // The file alone, without the manager, reads back the same.
        let path = built.report.cache_path.expect("a cache path");
        let (_, read, _) = file::read(&path).expect("the cache file reads");
        assert_same(&built.catalog, &read);
        prop_assert_eq!(sandbox.manager().status().expect("status").state, CacheState::Fresh);
    }
}

#[test]
fn the_small_corpus_reads_back_exactly() {
    let sandbox = Sandbox::new();
    sandbox.write_archive(&corpus::generate(&CorpusSpec::small()));
    let built = sandbox.manager().load_or_build().expect("build");
    let loaded = sandbox.manager().load_or_build().expect("load");
    assert_eq!(loaded.report.outcome, Outcome::Loaded);
    assert_same(&built.catalog, &loaded.catalog);
}

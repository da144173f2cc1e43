//! Whatever fails while one database is parsed is that database's reported error, and the build's
//! identity is always the hash of the bytes parsed: a panic is never swallowed into a "successful" load
//! with databases missing, nor into a cache written under another archive's hash.

mod common;

use backstore::cache::header::Header;
use backstore::cache::{ArchiveSource, CacheManager, ManagerOptions, Outcome};
use backstore::catalog::{self, Limits, archive};
use backstore::error::DatabaseError;
use backstore::testkit::faults;
use common::Sandbox;

/// Eight databases; the one named `broken` is the one to break.
fn eight(broken: &str) -> Vec<u8> {
    let names = [
        "alpha", "bravo", "charlie", broken, "echo", "foxtrot", "golf", "hotel",
    ];
    let texts: Vec<(String, String)> = names
        .iter()
        .map(|n| {
            (
                n.to_string(),
                format!("version,key,value\nv1,{n}-key,{n}-value\n"),
            )
        })
        .collect();
    let borrowed: Vec<(&str, &str)> = texts
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    common::csv_archive(&borrowed)
}

fn assert_only_broken_failed(catalog: &catalog::Catalog, broken: &str) {
    let names: Vec<&str> = catalog
        .databases()
        .iter()
        .map(backstore::Database::name)
        .collect();
    assert_eq!(
        names,
        [
            "alpha", "bravo", "charlie", "echo", "foxtrot", "golf", "hotel"
        ]
    );
    for db in catalog.databases() {
        let key = format!("{}-key", db.name());
        let value = format!("{}-value", db.name());
        assert_eq!(db.lookup(&key).and_then(|r| r.value(1)), Some(&*value));
    }
    assert_eq!(catalog.failed().len(), 1, "{:?}", catalog.failed());
    let failed = &catalog.failed()[0];
    assert_eq!(failed.name, broken);
    let path = format!("databases/{broken}.csv");
    match &failed.error {
        DatabaseError::Panicked { path: p, message } => {
            assert_eq!(*p, path);
            assert_eq!(*message, format!("fault injected while parsing {broken}"));
        }
        other @ DatabaseError::Csv(_) => {
            panic!("expected a panic reported as the database's error, got {other:?}")
        }
    }
    let text = failed.error.to_string();
    assert!(!text.contains('\n'), "{text}");
    assert!(
        text.starts_with(&format!("{path}: internal error")),
        "{text}"
    );
}

#[test]
fn a_panic_while_parsing_one_database_fails_that_database_and_the_others_load() {
    let _armed = faults::panic_while_parsing("panics-in-catalog-build");
    let archive = eight("panics-in-catalog-build");
    let (catalog, _) = catalog::build(&archive, &Limits::default()).expect("the build succeeds");
    assert_only_broken_failed(&catalog, "panics-in-catalog-build");

    let built = catalog::build_from(archive.clone(), &Limits::default(), None).expect("builds");
    assert_only_broken_failed(&built.catalog, "panics-in-catalog-build");
    assert_eq!(built.archive_sha256, archive::sha256(&archive));
}

#[test]
fn a_panicking_database_is_reported_by_the_manager_and_the_cache_has_the_archives_own_hash() {
    let _armed = faults::panic_while_parsing("panics-in-manager");
    let sandbox = Sandbox::new();
    let bytes = eight("panics-in-manager");
    sandbox.write_archive(&bytes);
    let loaded = sandbox
        .manager()
        .load_or_build()
        .expect("the load succeeds");
    assert!(matches!(loaded.report.outcome, Outcome::Built(_)));
    assert_only_broken_failed(&loaded.catalog, "panics-in-manager");

    let cache = loaded.report.cache_path.clone().expect("a cache file");
    let file = std::fs::read(&cache).expect("the cache file");
    let header = Header::parse(&file).expect("a valid header");
    assert_eq!(header.archive_sha256, archive::sha256(&bytes));

    // The embedded archive in the same data dir is not fooled into a "fresh" cache of other data.
    let embedded = CacheManager::new(ManagerOptions {
        source: ArchiveSource::demo(),
        data_dir: Some(sandbox.data_dir()),
        limits: Limits::default(),
    });
    let own = embedded
        .load_or_build()
        .expect("the embedded archive loads");
    assert!(matches!(own.report.outcome, Outcome::Built(_)));
    assert!(own.catalog.get("colours").is_some());
}

#[test]
fn list_json_shows_the_panicking_database_with_its_error() {
    let _armed = faults::panic_while_parsing("panics-in-list");
    let sandbox = Sandbox::new();
    let path = sandbox.write_archive(&eight("panics-in-list"));
    let data = sandbox.data_dir();
    let argv = [
        "backstore",
        "--archive",
        path.to_str().expect("a UTF-8 path"),
        "--data-dir",
        data.to_str().expect("a UTF-8 path"),
        "list",
        "--json",
    ];
    let cli = <backstore::cli::Cli as clap::Parser>::try_parse_from(argv).expect("valid arguments");
    let mut out = Vec::new();
    backstore::cli::execute(&cli.global, cli.command.expect("a subcommand"), &mut out)
        .expect("list runs");
    let list: serde_json::Value = serde_json::from_slice(&out).expect("JSON");
    let rows = list["databases"].as_array().expect("an array");
    assert_eq!(rows.len(), 8);
    let broken = rows
        .iter()
        .find(|r| r["name"] == "panics-in-list")
        .expect("the failed database is listed");
    let error = broken["error"].as_str().expect("a string error");
    assert!(error.contains("internal error while parsing"), "{error}");
    assert!(
        error.contains("fault injected while parsing panics-in-list"),
        "{error}"
    );
    assert_eq!(rows.iter().filter(|r| r["error"].is_null()).count(), 7);
}

#[test]
fn the_failed_databases_error_survives_the_cache_as_the_same_typed_value() {
    let _armed = faults::panic_while_parsing("panics-then-cached");
    let sandbox = Sandbox::new();
    sandbox.write_archive(&eight("panics-then-cached"));
    let built = sandbox.manager().load_or_build().expect("builds");
    let warm = sandbox.manager().load_or_build().expect("loads");
    assert!(matches!(warm.report.outcome, Outcome::Loaded));
    assert_eq!(warm.catalog.failed(), built.catalog.failed());
    assert_only_broken_failed(&warm.catalog, "panics-then-cached");
}

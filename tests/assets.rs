//! The embedded data: `assets/databases.tar.gz` must be exactly `assets/databases/*.csv` packed (re-run
//! `python3 scripts/pack-assets.py` after editing a CSV), and its content must keep the documented format.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;

use backstore::catalog::archive::{self, SkipReason};
use backstore::catalog::{self, Catalog, Limits};

fn assets() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets")
}

/// Every `assets/databases/*.csv`, by database name.
fn sources() -> BTreeMap<String, Vec<u8>> {
    fs::read_dir(assets().join("databases"))
        .expect("assets/databases")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .map(|p| {
            let name = p
                .file_stem()
                .expect("a stem")
                .to_string_lossy()
                .into_owned();
            (name, fs::read(&p).expect("a readable CSV"))
        })
        .collect()
}

fn embedded() -> Catalog {
    catalog::build(backstore::embedded::ARCHIVE, &Limits::default())
        .expect("the embedded archive builds")
        .0
}

#[test]
fn the_archive_holds_exactly_the_source_csv_files_byte_for_byte() {
    let packed = fs::read(assets().join("databases.tar.gz")).expect("assets/databases.tar.gz");
    let unpacked = archive::unpack(&packed, &Limits::default()).expect("the archive unpacks");
    let sources = sources();

    let in_archive: Vec<&str> = unpacked.entries.iter().map(|e| e.name.as_str()).collect();
    let on_disk: Vec<&str> = sources.keys().map(String::as_str).collect();
    let mut sorted_archive = in_archive.clone();
    sorted_archive.sort_unstable();
    assert_eq!(
        sorted_archive, on_disk,
        "the archive and assets/databases list different databases: run python3 scripts/pack-assets.py"
    );
    for entry in &unpacked.entries {
        assert_eq!(entry.path, format!("databases/{}.csv", entry.name));
        assert!(
            entry.bytes == sources[&entry.name],
            "{} differs from assets/databases/{}.csv: run python3 scripts/pack-assets.py",
            entry.path,
            entry.name
        );
    }
    // Nothing else but the folder entry.
    assert!(
        unpacked
            .skipped
            .iter()
            .all(|s| s.reason == SkipReason::Directory),
        "{:?}",
        unpacked.skipped
    );
}

#[test]
fn the_embedded_archive_is_the_one_in_assets() {
    let packed = fs::read(assets().join("databases.tar.gz")).expect("assets/databases.tar.gz");
    assert!(
        packed == backstore::embedded::ARCHIVE,
        "the binary embeds a stale copy of assets/databases.tar.gz"
    );
}

#[test]
fn the_embedded_data_has_at_least_8_databases_and_3000_records() {
    let catalog = embedded();
    assert!(catalog.failed().is_empty(), "{:?}", catalog.failed());
    assert!(
        catalog.databases().len() >= 8,
        "{}",
        catalog.databases().len()
    );
    assert!(catalog.records() >= 3000, "{}", catalog.records());
    for db in catalog.databases() {
        assert!(!db.is_empty(), "{} is empty", db.name());
        assert!(
            db.warnings().is_empty(),
            "{}: {:?}",
            db.name(),
            db.warnings()
        );
        assert_eq!(
            db.distinct_keys(),
            db.len(),
            "{}: keys are unique",
            db.name()
        );
    }
    assert_eq!(catalog.version(), "v0.1.0");
}

#[test]
fn every_csv_starts_with_version_and_every_row_is_v0_1_0() {
    for (name, bytes) in sources() {
        let text = std::str::from_utf8(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            text.starts_with("version,"),
            "{name}: header must start with version"
        );
        assert!(!text.contains('\r'), "{name}: LF line endings only");
    }
    for db in embedded().databases() {
        assert_eq!(db.version(), Some("v0.1.0"), "{}", db.name());
        for record in db.records() {
            assert_eq!(
                record.version(),
                Some("v0.1.0"),
                "{} row {:?}",
                db.name(),
                record.key()
            );
            assert!(!record.is_ragged(), "{} row {:?}", db.name(), record.key());
        }
    }
}

#[test]
fn some_values_carry_commas_and_quotes_so_the_quoting_is_exercised() {
    let catalog = embedded();
    let values: Vec<&str> = catalog
        .databases()
        .iter()
        .flat_map(backstore::Database::records)
        .flat_map(|r| r.fields().collect::<Vec<_>>())
        .collect();
    assert!(
        values.iter().any(|v| v.contains(',')),
        "a value with a comma"
    );
    assert!(
        values.iter().any(|v| v.contains('"')),
        "a value with a double quote"
    );
    assert!(!values.iter().any(|v| v.is_empty()), "no empty values");
    // The example from the format notes reads back unquoted.
    let abject = catalog
        .get("adjectives")
        .and_then(|db| db.lookup("abject"))
        .expect("adjectives has abject");
    assert_eq!(
        abject.value(2),
        Some("Extremely bad, unpleasant and degrading, as in \"abject poverty\"")
    );
}

//! The caps on one build: decompressed bytes scaled with the archive's size, and the index's records and
//! fields in total. Over a cap, nothing is loaded and no cache is written, and the one-line error names
//! the database, the limit and how to raise it.

mod common;

use backstore::cache::{ArchiveSource, CacheManager, ManagerOptions};
use backstore::catalog::{self, IndexLimit, Limits};
use backstore::error::{CsvError, CsvProblem};
use backstore::{ArchiveError, Error};
use common::{Sandbox, assert_one_line_error, code, run_in, stderr};

/// `rows` rows of `key,a,b`, keys all different.
fn rows(rows: usize) -> String {
    let mut text = String::from("key,a,b\n");
    for i in 0..rows {
        text.push_str(&format!("k{i},a{i},b{i}\n"));
    }
    text
}

fn limits(max_records: u64, max_fields: u64) -> Limits {
    Limits {
        max_records,
        max_fields,
        ..Limits::DEFAULT
    }
}

fn index_limit(error: ArchiveError) -> CsvError {
    match error {
        ArchiveError::IndexTooLarge(error) => error,
        other => panic!("expected IndexTooLarge, got {other:?}"),
    }
}

#[test]
fn the_records_of_all_databases_together_are_capped() {
    let archive = common::csv_archive(&[("one", &rows(600)), ("two", &rows(600))]);
    assert!(catalog::build(&archive, &limits(1200, u64::MAX)).is_ok());
    let error = index_limit(catalog::build(&archive, &limits(1199, u64::MAX)).unwrap_err());
    assert!(
        ["databases/one.csv", "databases/two.csv"].contains(&error.path.as_str()),
        "{error:?}"
    );
    assert_eq!(
        error.problem,
        CsvProblem::OverLimit(IndexLimit::Records(1199))
    );
    let message = error.to_string();
    assert!(message.contains("more than 1199 records"), "{message}");
    assert!(message.contains("--max-records"), "{message}");
}

#[test]
fn the_database_that_crosses_the_record_limit_is_named_at_the_row_where_it_is_counted() {
    // Past one chunk of the shared count, so the limit is found while the database is being read; the
    // small database, before or after, never crosses it.
    let archive = common::csv_archive(&[("small", &rows(3)), ("big", &rows(70_000))]);
    for _ in 0..3 {
        let error = index_limit(catalog::build(&archive, &limits(65_000, u64::MAX)).unwrap_err());
        assert_eq!(error.path, "databases/big.csv");
        // The header is line 1 and each row one line: the first chunk of 65,536 ends on line 65,537.
        assert_eq!(error.line, 65_537, "{error:?}");
    }
}

#[test]
fn the_fields_of_all_databases_together_are_capped() {
    let archive = common::csv_archive(&[("one", &rows(100)), ("two", &rows(100))]);
    assert!(catalog::build(&archive, &limits(u64::MAX, 600)).is_ok());
    let error = index_limit(catalog::build(&archive, &limits(u64::MAX, 599)).unwrap_err());
    assert_eq!(
        error.problem,
        CsvProblem::OverLimit(IndexLimit::Fields(599))
    );
    assert!(error.to_string().contains("--max-fields"), "{error}");
}

/// A CSV of `bytes` bytes that gzip squeezes about a thousandfold.
fn squeezable(bytes: usize) -> Vec<u8> {
    let mut csv = b"key,value\nk,".to_vec();
    csv.resize(bytes, b'z');
    csv
}

/// A CSV of `bytes` bytes that gzip barely squeezes.
fn dense(bytes: usize) -> Vec<u8> {
    let mut csv = b"key,value\nk,".to_vec();
    let mut x: u32 = 1;
    while csv.len() < bytes {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        csv.push(b'a' + (x % 26) as u8);
    }
    csv
}

const SCALED: Limits = Limits {
    max_entry_bytes: 1 << 20,
    max_total_bytes: 2 << 20,
    max_ratio: 4,
    ..Limits::DEFAULT
};

#[test]
fn the_decompressed_caps_scale_with_the_archives_size() {
    // 3 MiB that compresses to a few KB: over the 1 MiB floor and over 4x the archive.
    let bomb = common::archive_of(&[("databases/bomb.csv", &squeezable(3 << 20))]);
    assert!(bomb.len() < 64 << 10, "{}", bomb.len());
    match catalog::build(&bomb, &SCALED) {
        Err(error @ ArchiveError::EntryTooLarge { .. }) => {
            let message = error.to_string();
            let ArchiveError::EntryTooLarge { path, limit, .. } = error else {
                unreachable!()
            };
            assert_eq!(path, "databases/bomb.csv");
            assert_eq!(limit, 1 << 20);
            assert!(message.contains("--max-entry-mib"), "{message}");
        }
        other => panic!("expected EntryTooLarge, got {:?}", other.map(|_| ())),
    }
    // 3 MiB that gzip cannot squeeze: the archive is large, so 4x its size admits it.
    let genuine = common::archive_of(&[("databases/genuine.csv", &dense(3 << 20))]);
    assert!(genuine.len() > (3 << 20) / 4, "{}", genuine.len());
    let (catalog, _) = catalog::build(&genuine, &SCALED).expect("within 4x the archive's size");
    assert_eq!(
        catalog.get("genuine").map(backstore::Database::len),
        Some(1)
    );
    // Without scaling, the floors alone decide.
    let fixed = Limits {
        max_ratio: 0,
        ..SCALED
    };
    assert!(matches!(
        catalog::build(&genuine, &fixed),
        Err(ArchiveError::EntryTooLarge { .. })
    ));
    assert_eq!(SCALED.entry_cap(1000), 1 << 20);
    assert_eq!(SCALED.entry_cap(1 << 20), 4 << 20);
    assert_eq!(SCALED.total_cap(1 << 20), 4 << 20);
    assert_eq!(SCALED.total_cap(1 << 10), 2 << 20);
}

#[test]
fn over_an_index_limit_the_manager_loads_nothing_and_writes_no_cache() {
    let sandbox = Sandbox::new();
    sandbox.write_archive(&common::csv_archive(&[("words", &rows(50))]));
    let manager = CacheManager::new(ManagerOptions {
        source: ArchiveSource::Path(sandbox.archive_path()),
        data_dir: Some(sandbox.data_dir()),
        limits: limits(10, u64::MAX),
    });
    match manager.load_or_build() {
        Err(Error::Archive { error, .. }) => {
            let error = index_limit(error);
            assert_eq!(error.path, "databases/words.csv");
        }
        other => panic!("expected an archive error, got {:?}", other.map(|_| ())),
    }
    assert!(
        sandbox.cache_files().iter().all(|f| !f.ends_with(".bin")),
        "{:?}",
        sandbox.cache_files()
    );
}

#[test]
fn the_command_line_refuses_over_a_limit_in_one_line_and_its_flags_raise_it() {
    let sandbox = Sandbox::new();
    let archive = sandbox.write_archive(&common::csv_archive(&[("words", &rows(50))]));
    let archive = archive.to_str().expect("a UTF-8 path");
    let data = sandbox.data_dir();

    let refused = run_in(
        &data,
        &["--archive", archive, "--max-records", "10", "load"],
    );
    let err = assert_one_line_error(&refused, 2);
    assert!(err.contains("databases/words.csv"), "{err}");
    assert!(err.contains("more than 10 records"), "{err}");
    assert!(err.contains("--max-records"), "{err}");

    let refused = run_in(&data, &["--archive", archive, "--max-fields", "99", "load"]);
    let err = assert_one_line_error(&refused, 2);
    assert!(err.contains("more than 99 fields"), "{err}");

    let raised = run_in(
        &data,
        &["--archive", archive, "--max-records", "50", "load"],
    );
    assert_eq!(code(&raised), 0, "{}", stderr(&raised));
}

#[test]
fn the_default_limits_admit_a_ten_million_row_corpus_with_room_to_spare() {
    // The large corpus' shape at 10,000,000 rows: 4-6 value columns and a key a row, about 73 bytes.
    let defaults = Limits::default();
    assert!(defaults.max_records >= 2 * 10_000_000);
    assert!(defaults.max_fields >= 2 * 10_000_000 * 7);
    // ~730 MB of CSV in ~270 MB of gzip.
    assert!(defaults.entry_cap(270_000_000) >= 2 * 730_000_000);
    assert!(defaults.total_cap(270_000_000) >= 2 * 730_000_000);
}

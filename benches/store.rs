//! `cargo bench`: cold build, warm load, status, lookup, search in every mode, sort, frequency table and
//! the record-level diff on the generated corpora.
//!
//! The small corpus has the reference's shape (19 databases, 12,500 rows); the large one has 1,000,000 rows.
//! Corpora are generated once into the system temp folder and reused.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use backstore::cache::{ArchiveSource, CacheManager, ManagerOptions};
use backstore::catalog::{self, Catalog, Limits, diff};
use backstore::insight::{self, Direction};
use backstore::search::{self, Mode, Query, Scope};
use backstore::testkit::corpus::{self, CorpusSpec};
use backstore::testkit::tables;
use divan::Bencher;
use divan::black_box;

fn main() {
    divan::main();
}

#[derive(Debug, Clone, Copy)]
enum Size {
    Small,
    Large,
}

impl std::fmt::Display for Size {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Size::Small => "small",
            Size::Large => "large",
        })
    }
}

const SIZES: [Size; 2] = [Size::Small, Size::Large];

fn corpus_path(size: Size) -> PathBuf {
    let dir = std::env::temp_dir().join("backstore-bench-corpora");
    let (name, spec) = match size {
        Size::Small => ("small.tar.gz", CorpusSpec::small()),
        Size::Large => ("large.tar.gz", CorpusSpec::large()),
    };
    let path = dir.join(name);
    if !path.exists() {
        corpus::write(&spec, &path).expect("the system temp folder is writable");
    }
    path
}

/// A manager over a corpus with its own data dir, its cache already built.
fn manager(size: Size) -> (CacheManager, tempfile::TempDir) {
    let data = tempfile::tempdir().expect("temp dir");
    let manager = CacheManager::new(ManagerOptions {
        source: ArchiveSource::Path(corpus_path(size)),
        data_dir: Some(data.path().to_path_buf()),
        limits: Limits::default(),
    });
    manager.rebuild().expect("the corpus builds");
    (manager, data)
}

// Builds take milliseconds (small) or a third of a second (large), so each sample is one build, and the
// small corpus gets many more samples to give a steady median on a noisy machine.
#[divan::bench(sample_count = 100, sample_size = 1)]
fn cold_build_small(bencher: Bencher) {
    cold_build(bencher, Size::Small);
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn cold_build_large(bencher: Bencher) {
    cold_build(bencher, Size::Large);
}

fn cold_build(bencher: Bencher, size: Size) {
    let (manager, _data) = manager(size);
    bencher.bench_local(|| manager.rebuild().expect("builds"));
}

#[divan::bench(sample_count = 100, sample_size = 1)]
fn warm_load_small(bencher: Bencher) {
    warm_load(bencher, Size::Small);
}

#[divan::bench(sample_count = 30, sample_size = 1)]
fn warm_load_large(bencher: Bencher) {
    warm_load(bencher, Size::Large);
}

fn warm_load(bencher: Bencher, size: Size) {
    let (manager, _data) = manager(size);
    bencher.bench_local(|| manager.warm_load().expect("loads"));
}

/// The whole file checked: header, size, checksum, decoding and validation.
#[divan::bench(args = SIZES)]
fn status(bencher: Bencher, size: Size) {
    let (manager, _data) = manager(size);
    bencher.bench_local(|| manager.status().expect("status"));
}

/// Header and size only (`status --quick`).
#[divan::bench(args = SIZES)]
fn status_quick(bencher: Bencher, size: Size) {
    let (manager, _data) = manager(size);
    bencher.bench_local(|| {
        manager
            .status_with(backstore::cache::Depth::Quick)
            .expect("status")
    });
}

#[divan::bench(args = SIZES)]
fn lookup(bencher: Bencher, size: Size) {
    let (manager, _data) = manager(size);
    let catalog = manager.loaded().expect("loaded").catalog;
    // Every key of the largest database, visited in a scrambled order so caches don't flatter the result.
    let db = catalog
        .databases()
        .iter()
        .max_by_key(|d| d.len())
        .expect("a database");
    let mut keys: Vec<String> = db.records().map(|r| r.key().to_string()).collect();
    let n = keys.len();
    for i in 0..n {
        keys.swap(i, (i * 7919 + 13) % n);
    }
    let mut i = 0;
    bencher.bench_local(|| {
        i = (i + 1) % n;
        black_box(db.position(black_box(&keys[i])))
    });
}

/// One query over every record of the corpus, ranked hits complete. The patterns are words of the
/// corpus's vocabulary: one that occurs nowhere compactly and a common one (about 270,000 hits).
fn search_all(bencher: Bencher, size: Size, text: &str, mode: Mode) {
    let (manager, _data) = manager(size);
    let catalog = manager.loaded().expect("loaded").catalog;
    let query = Query::new(text, mode).expect("a valid query");
    let never = AtomicBool::new(false);
    bencher
        .bench_local(|| search::search(&catalog, &query, Scope::All, None, &never).expect("runs"));
}

#[divan::bench(args = ["tanira", "fensave"], sample_count = 20)]
fn search_substring_large(bencher: Bencher, text: &str) {
    search_all(bencher, Size::Large, text, Mode::Substring);
}

#[divan::bench(args = ["ta(ni|ri)ra", "fen(sa|so)ve"], sample_count = 20)]
fn search_regex_large(bencher: Bencher, text: &str) {
    search_all(bencher, Size::Large, text, Mode::Regex);
}

#[divan::bench(args = ["tanira", "fensave"], sample_count = 20)]
fn search_fuzzy_large(bencher: Bencher, text: &str) {
    search_all(bencher, Size::Large, text, Mode::Fuzzy);
}

#[divan::bench(args = [Mode::Substring, Mode::Regex, Mode::Fuzzy], sample_count = 50)]
fn search_small(bencher: Bencher, mode: Mode) {
    search_all(bencher, Size::Small, "tanira", mode);
}

/// The largest database of the corpus and its catalog.
fn largest(size: Size) -> (std::sync::Arc<Catalog>, usize, tempfile::TempDir) {
    let (manager, data) = manager(size);
    let catalog = manager.loaded().expect("loaded").catalog;
    let db = (0..catalog.databases().len())
        .max_by_key(|&i| catalog.databases()[i].len())
        .expect("a database");
    (catalog, db, data)
}

/// The largest database by its `name` column (text), ascending.
#[divan::bench(args = SIZES, sample_count = 20)]
fn sort_column(bencher: Bencher, size: Size) {
    let (catalog, db, _data) = largest(size);
    let db = &catalog.databases()[db];
    let never = AtomicBool::new(false);
    bencher.bench_local(|| insight::sort(db, 1, Direction::Ascending, &never).expect("sorts"));
}

/// The largest database's frequency table: a column of a dozen values, and its key (every value new).
#[divan::bench(args = ["category", "key"], sample_count = 20)]
fn frequency_large(bencher: Bencher, column: &str) {
    let (catalog, db, _data) = largest(Size::Large);
    let db = &catalog.databases()[db];
    let column = db
        .columns()
        .iter()
        .position(|c| c == column)
        .expect("the column");
    let never = AtomicBool::new(false);
    bencher.bench_local(|| insight::frequency(db, column, &never).expect("counts"));
}

/// The large corpus against a copy whose largest database had 1 row in 1,000 edited, 10 removed and
/// 10 added: what `backstore diff` compares after a stale cache.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn diff_one_database_changed(bencher: Bencher) {
    let bytes = std::fs::read(corpus_path(Size::Large)).expect("the corpus");
    let (old, _) = catalog::build(&bytes, &Limits::default()).expect("builds");
    let largest = old
        .databases()
        .iter()
        .max_by_key(|d| d.len())
        .expect("a database")
        .name()
        .to_string();
    let edited = tables::edit_database(&bytes, &largest, |rows| {
        for row in rows.iter_mut().step_by(1000) {
            row[2].push('x');
        }
        rows.drain(100..110);
        for i in 0..10 {
            rows.push(vec![
                "v0.1.0".into(),
                format!("added{i}"),
                "a".into(),
                "b".into(),
            ]);
        }
    });
    let (new, _) = catalog::build(&edited, &Limits::default()).expect("builds");
    let found = diff::diff(&old, &new);
    assert_eq!(found.databases.len(), 1, "one database changed");
    bencher.bench_local(|| diff::diff(&old, &new));
}

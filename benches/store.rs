//! `cargo bench`: cold build, warm load, status, lookup and fuzzy search on the generated corpora.
//!
//! The small corpus has the reference's shape (19 databases, 12,500 rows); the large one has 1,000,000 rows.
//! Corpora are generated once into the system temp folder and reused.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use backstore::cache::{ArchiveSource, CacheManager, ManagerOptions};
use backstore::search::{self, Mode, Query, Scope};
use backstore::testkit::corpus::{self, CorpusSpec};
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
        limits: Default::default(),
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

#[divan::bench(args = SIZES)]
fn status(bencher: Bencher, size: Size) {
    let (manager, _data) = manager(size);
    bencher.bench_local(|| manager.status().expect("status"));
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

#[divan::bench(args = SIZES, sample_count = 20)]
fn fuzzy_search(bencher: Bencher, size: Size) {
    let (manager, _data) = manager(size);
    let catalog = manager.loaded().expect("loaded").catalog;
    let query = Query::new("tanira", Mode::Fuzzy).expect("a fuzzy query");
    let never = AtomicBool::new(false);
    bencher.bench_local(|| search::search(&catalog, &query, Scope::All, None, &never));
}

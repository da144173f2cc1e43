//! A warm load's data stays what was verified when the cache file under it is truncated or written over in
//! place while the data is in use (the file may be mapped rather than read: see `src/cache/map.rs`).

mod common;

use std::fs::OpenOptions;
use std::io::Write;

use backstore::cache::Outcome;
use backstore::catalog::compare::first_difference;
use backstore::testkit::corpus::{self, CorpusSpec};
use common::Sandbox;

/// A corpus whose cache file is a few megabytes: many pages, some long quoted fields.
fn corpus() -> Vec<u8> {
    corpus::generate(&CorpusSpec {
        rows: 40_000,
        ..CorpusSpec::large()
    })
}

/// Loads from a fresh cache file in a manager of its own, as a second process would.
fn warm(sandbox: &Sandbox) -> backstore::cache::Loaded {
    let loaded = sandbox.manager().load_or_build().expect("warm load");
    assert!(
        matches!(loaded.report.outcome, Outcome::Loaded),
        "{:?}",
        loaded.report.outcome
    );
    loaded
}

fn cache_file(sandbox: &Sandbox) -> std::path::PathBuf {
    let names: Vec<String> = sandbox
        .cache_files()
        .into_iter()
        .filter(|n| n.ends_with(".bin"))
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    sandbox.cache_dir().join(&names[0])
}

#[test]
fn a_cache_file_truncated_under_a_warm_load_leaves_its_data_intact() {
    let sandbox = Sandbox::new();
    let archive = corpus();
    sandbox.write_archive(&archive);
    let reference = common::build(&archive);
    sandbox.manager().load_or_build().expect("cold load");
    let loaded = warm(&sandbox);
    let path = cache_file(&sandbox);

    // Another program (here another thread) opens the file for writing and cuts it short.
    let cutter = std::thread::spawn({
        let path = path.clone();
        move || {
            let file = OpenOptions::new().write(true).open(&path).expect("open");
            file.set_len(100).expect("truncate");
        }
    });
    cutter.join().expect("the truncating thread");
    assert_eq!(std::fs::metadata(&path).expect("stat").len(), 100);

    // Every record, field and lookup is read again, from the memory the warm load returned.
    assert_eq!(first_difference(&loaded.catalog, &reference), None);
}

#[test]
fn a_cache_file_written_over_in_place_under_a_warm_load_leaves_its_data_intact() {
    let sandbox = Sandbox::new();
    let archive = corpus();
    sandbox.write_archive(&archive);
    let reference = common::build(&archive);
    sandbox.manager().load_or_build().expect("cold load");
    let loaded = warm(&sandbox);
    let path = cache_file(&sandbox);
    let len = std::fs::metadata(&path).expect("stat").len() as usize;

    let mut file = OpenOptions::new().write(true).open(&path).expect("open");
    file.write_all(&vec![b'#'; len]).expect("overwrite");
    drop(file);

    assert_eq!(first_difference(&loaded.catalog, &reference), None);
    // The damage is seen by the next load, which rebuilds.
    let next = sandbox
        .manager()
        .load_or_build()
        .expect("load after damage");
    assert!(
        matches!(next.report.outcome, Outcome::Built(_)),
        "{:?}",
        next.report.outcome
    );
    assert_eq!(first_difference(&next.catalog, &reference), None);
}

#[test]
fn many_warm_loads_at_once_each_keep_their_data_when_the_files_are_replaced() {
    let sandbox = Sandbox::new();
    let archive = corpus();
    sandbox.write_archive(&archive);
    let reference = common::build(&archive);
    sandbox.manager().load_or_build().expect("cold load");
    // More loads alive at once than there are mapping slots, so some are read instead.
    let loads: Vec<_> = (0..70).map(|_| warm(&sandbox)).collect();
    // A rebuild replaces the file by rename; then the old one is cut short in place through a hard link
    // that outlived it.
    let path = cache_file(&sandbox);
    let old = sandbox.path().join("old.bin");
    std::fs::hard_link(&path, &old).expect("hard link");
    sandbox.manager().rebuild().expect("rebuild");
    OpenOptions::new()
        .write(true)
        .open(&old)
        .expect("open")
        .set_len(0)
        .expect("truncate");
    for loaded in &loads {
        assert_eq!(first_difference(&loaded.catalog, &reference), None);
    }
}

#[test]
fn a_newer_cache_file_of_another_archive_is_read_first_but_this_archives_file_is_loaded() {
    let sandbox = Sandbox::new();
    let archive = corpus();
    sandbox.write_archive(&archive);
    let reference = common::build(&archive);
    sandbox.manager().load_or_build().expect("cold load");
    let ours = cache_file(&sandbox);

    // Another archive's cache, built later, sits beside ours under another name: the warm load reads it
    // first (it is the newest) while hashing, and must still load ours.
    let other = Sandbox::new();
    let other_archive = corpus::generate(&CorpusSpec {
        rows: 30_000,
        ..CorpusSpec::large()
    });
    other.write_archive(&other_archive);
    std::thread::sleep(std::time::Duration::from_millis(5));
    other
        .manager()
        .load_or_build()
        .expect("the other archive's cold load");
    let newer = sandbox.cache_dir().join("databases_zz.bin");
    std::fs::copy(cache_file(&other), &newer).expect("copy");

    let loaded = sandbox.manager().load_or_build().expect("warm load");
    assert!(
        matches!(loaded.report.outcome, Outcome::Loaded),
        "{:?}",
        loaded.report.outcome
    );
    assert_eq!(loaded.report.cache_path.as_deref(), Some(ours.as_path()));
    assert_eq!(first_difference(&loaded.catalog, &reference), None);
    assert!(newer.exists(), "another archive's file is left alone");
}

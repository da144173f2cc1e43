//! Where an archive comes from: a folder of CSV files or one CSV file (the sources a developer edits),
//! bytes in memory hashed once, and bytes whose hash was computed at build time.

mod common;

use std::fs;
use std::path::Path;
use std::time::Duration;

use backstore::cache::{ArchiveSource, CacheManager, ManagerOptions, Outcome};
use backstore::catalog::SkipReason;
use backstore::catalog::archive::sha256;
use backstore::catalog::compare::first_difference;
use backstore::{ArchiveError, CacheState, Error};
use common::{Sandbox, csv_archive};

const COLOURS: &str = "colour,hex\nTeal,#008080\nRed,#FF0000\n";
const SIZES: &str = "version,size,cm\nv3,S,88\nv3,M,96\n";

fn manager(source: ArchiveSource, data: &Path) -> CacheManager {
    CacheManager::new(
        ManagerOptions::for_app("sources-test")
            .source(source)
            .data_dir(data),
    )
}

/// `<dir>/colours.csv`, `<dir>/clothes/sizes.csv`, and what a real folder also holds.
fn write_folder(dir: &Path) {
    fs::create_dir_all(dir.join("clothes/old")).unwrap();
    fs::create_dir_all(dir.join(".git")).unwrap();
    fs::write(dir.join("colours.csv"), COLOURS).unwrap();
    fs::write(dir.join("clothes/sizes.csv"), SIZES).unwrap();
    fs::write(dir.join("README.md"), "notes").unwrap();
    fs::write(dir.join("._colours.csv"), b"\x00\x05\x16\x07").unwrap();
    fs::write(dir.join(".git/config.csv"), "a,b\n").unwrap();
    fs::write(dir.join("clothes/old/sizes.csv"), "k,v\nx,y\n").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink("colours.csv", dir.join("link.csv")).unwrap();
}

#[test]
fn a_folder_of_csv_files_loads_as_the_same_files_in_an_archive_would() {
    let sandbox = Sandbox::new();
    let folder = sandbox.path().join("src");
    write_folder(&folder);
    let from_folder = manager(ArchiveSource::Path(folder), &sandbox.data_dir())
        .load_or_build()
        .unwrap();
    let archive = sandbox.write_archive(&csv_archive(&[("colours", COLOURS), ("sizes", SIZES)]));
    let from_archive = manager(ArchiveSource::Path(archive), &sandbox.path().join("other"))
        .load_or_build()
        .unwrap();
    assert_eq!(
        first_difference(&from_folder.catalog, &from_archive.catalog),
        None
    );
    let teal = from_folder
        .catalog
        .get("colours")
        .unwrap()
        .lookup("Teal")
        .unwrap();
    assert_eq!(teal.get("hex"), Some("#008080"));

    let skipped: Vec<(String, SkipReason)> = from_folder
        .catalog
        .skipped()
        .iter()
        .map(|s| (s.path.clone(), s.reason))
        .collect();
    for (path, reason) in [
        (".git", SkipReason::Directory),
        ("._colours.csv", SkipReason::AppleDouble),
        ("README.md", SkipReason::NotCsv),
        ("clothes/old", SkipReason::Directory),
        ("link.csv", SkipReason::Link),
    ] {
        assert!(
            skipped
                .iter()
                .any(|(p, r)| p.trim_end_matches('/') == path && *r == reason),
            "{path} skipped as {reason:?}: {skipped:?}"
        );
    }
    assert!(
        !skipped.iter().any(|(p, _)| p.starts_with(".git/")),
        "a hidden folder is not walked: {skipped:?}"
    );
}

#[test]
fn the_same_files_give_the_same_hash_wherever_they_are_and_whenever_written() {
    let sandbox = Sandbox::new();
    let (a, b) = (sandbox.path().join("a"), sandbox.path().join("b"));
    write_folder(&a);
    std::thread::sleep(Duration::from_millis(20));
    write_folder(&b);
    let status = |dir: &Path| {
        manager(ArchiveSource::Path(dir.to_path_buf()), &sandbox.data_dir())
            .status()
            .unwrap()
            .archive
            .sha256
    };
    assert_eq!(status(&a), status(&b));
    fs::write(b.join("README.md"), "other notes").unwrap();
    assert_eq!(
        status(&a),
        status(&b),
        "a file that is not a database does not count"
    );
    fs::write(b.join("colours.csv"), "colour,hex\nTeal,#008081\n").unwrap();
    assert_ne!(status(&a), status(&b));
}

#[test]
fn editing_a_file_of_the_folder_makes_the_cache_stale_naming_the_database() {
    let sandbox = Sandbox::new();
    let folder = sandbox.path().join("src");
    write_folder(&folder);
    let source = ArchiveSource::Path(folder.clone());
    manager(source.clone(), &sandbox.data_dir())
        .load_or_build()
        .unwrap();
    assert_eq!(
        manager(source.clone(), &sandbox.data_dir())
            .status()
            .unwrap()
            .state,
        CacheState::Fresh
    );

    fs::write(
        folder.join("clothes/sizes.csv"),
        "version,size,cm\nv3,S,90\n",
    )
    .unwrap();
    fs::write(folder.join("hats.csv"), "hat\nfez\n").unwrap();
    let watching = manager(source.clone(), &sandbox.data_dir());
    let status = watching.status().unwrap();
    assert_eq!(status.state.verdict(), "STALE", "{}", status.reason);
    assert!(
        status.reason.contains("sizes modified"),
        "{}",
        status.reason
    );
    assert!(status.reason.contains("hats added"), "{}", status.reason);
    assert!(
        watching
            .source_files()
            .iter()
            .any(|(p, _, _)| p.ends_with("hats.csv")),
        "what a watcher compares includes the new file"
    );
}

#[test]
fn one_csv_file_is_an_archive_of_one_database_named_after_it() {
    let sandbox = Sandbox::new();
    let csv = sandbox.path().join("colours.csv");
    fs::write(&csv, COLOURS).unwrap();
    let loaded = manager(ArchiveSource::Path(csv), &sandbox.data_dir())
        .load_or_build()
        .unwrap();
    let names: Vec<&str> = loaded
        .catalog
        .databases()
        .iter()
        .map(backstore::Database::name)
        .collect();
    assert_eq!(names, ["colours"]);
}

#[cfg(unix)]
#[test]
fn a_fifo_given_as_the_archive_is_refused_without_blocking() {
    let sandbox = Sandbox::new();
    let fifo = sandbox.path().join("databases.tar.gz");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let out = common::run_in(
        &sandbox.data_dir(),
        &["--archive", fifo.to_str().unwrap(), "list"],
    );
    let line = common::assert_one_line_error(&out, 2);
    assert!(line.contains("not a regular file"), "{line}");
}

#[test]
fn bytes_in_memory_load_and_are_hashed_from_their_contents() {
    let sandbox = Sandbox::new();
    let bytes: &'static [u8] = Box::leak(csv_archive(&[("colours", COLOURS)]).into_boxed_slice());
    let manager = manager(ArchiveSource::Bytes(bytes), &sandbox.data_dir());
    let loaded = manager.load_or_build().unwrap();
    assert!(matches!(loaded.report.outcome, Outcome::Built(_)));
    let status = manager.status().unwrap();
    assert_eq!(status.archive.sha256, sha256(bytes));
    assert_eq!(status.state, CacheState::Fresh);
    assert_eq!(status.archive.source, "embedded");
}

#[test]
fn a_prehashed_archive_warm_starts_without_reading_its_bytes() {
    let sandbox = Sandbox::new();
    let bytes: &'static [u8] = Box::leak(csv_archive(&[("colours", COLOURS)]).into_boxed_slice());
    let sha = sha256(bytes);
    manager(ArchiveSource::prehashed(bytes, sha), &sandbox.data_dir())
        .load_or_build()
        .unwrap();
    // Other bytes under the same declared hash: a warm start that never looks at the bytes loads the
    // cache built from the real ones.
    let decoy: &'static [u8] = b"not an archive at all";
    let warm = manager(ArchiveSource::prehashed(decoy, sha), &sandbox.data_dir())
        .load_or_build()
        .unwrap();
    assert_eq!(warm.report.outcome, Outcome::Loaded);
    assert!(warm.catalog.get("colours").is_some());
}

#[test]
fn a_build_time_hash_of_other_bytes_is_refused_at_the_cold_build() {
    let sandbox = Sandbox::new();
    let bytes: &'static [u8] = Box::leak(csv_archive(&[("colours", COLOURS)]).into_boxed_slice());
    let wrong = sha256(b"something else");
    let error = manager(ArchiveSource::prehashed(bytes, wrong), &sandbox.data_dir())
        .load_or_build()
        .unwrap_err();
    match &error {
        Error::Archive {
            error: ArchiveError::HashMismatch { declared, actual },
            ..
        } => {
            assert_eq!(declared, &wrong);
            assert_eq!(actual, &sha256(bytes));
        }
        other => panic!("expected a hash mismatch, got {other}"),
    }
    assert!(
        error
            .to_string()
            .contains("build script hashed another file"),
        "{error}"
    );
}

#[test]
fn an_application_gets_its_own_platform_data_dir() {
    let options = ManagerOptions::for_app("colour-shop");
    let expected =
        directories::ProjectDirs::from("", "", "colour-shop").map(|d| d.data_dir().to_path_buf());
    assert_eq!(options.data_dir, expected);
    assert_eq!(options.clone().in_memory().data_dir, None);
    assert_eq!(
        options.data_dir("/some/dir").data_dir.as_deref(),
        Some(Path::new("/some/dir"))
    );
}

/// A file rewritten within its timestamp's granularity can keep its size and mtime: a manager that hashed it
/// then must not take the unchanged stamp for unchanged contents (git's racy-timestamp rule).
#[test]
fn an_archive_rewritten_at_the_same_size_and_mtime_is_hashed_again() {
    let sandbox = Sandbox::new();
    let path = sandbox.path().join("a.tar.gz");
    let archive = |value: &str| csv_archive(&[("colours", &format!("colour,hex\nTeal,{value}\n"))]);
    let (before, after) = (archive("#008080"), archive("#008081"));
    assert_eq!(
        before.len(),
        after.len(),
        "the same size, so only the contents tell"
    );
    fs::write(&path, &before).unwrap();
    let mtime = fs::metadata(&path).unwrap().modified().unwrap();
    let watching = manager(ArchiveSource::Path(path.clone()), &sandbox.data_dir());
    watching.load_or_build().unwrap();
    assert_eq!(watching.status().unwrap().state, CacheState::Fresh);

    fs::write(&path, &after).unwrap();
    fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    let status = watching.status().unwrap();
    assert_eq!(status.state.verdict(), "STALE", "{}", status.reason);
}

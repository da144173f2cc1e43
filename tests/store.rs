//! The binary cache through `CacheManager`: building, loading, staleness, corruption of every kind,
//! unwritable data dirs, file naming, concurrency within and across processes, invalidation.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};

use backstore::cache::file::{self, ReadProblem};
use backstore::cache::header::{FORMAT_VERSION, HEADER_LEN, Header};
use backstore::cache::{
    ArchiveSource, BodyProblem, BuildReason, CacheManager, CacheState, Change, ChangeKind,
    Corruption, Depth, ManagerOptions, Outcome, Phase, Unusable,
};
use backstore::catalog::archive::sha256;
use backstore::catalog::compare::first_difference;
use backstore::catalog::{self, Limits};
use backstore::testkit::corpus::{self, CorpusSpec};
use common::{Sandbox, csv_archive};
use xxhash_rust::xxh3::xxh3_64;

/// Every feature the body has to carry: versions that differ per row, ragged rows, empty keys,
/// duplicates, non-ASCII, a failed database and skipped entries.
fn rich_archive() -> Vec<u8> {
    common::targz(&[
        common::file("databases/._colours.csv", "junk"),
        common::file(
            "databases/colours.csv",
            "version,colour,hex\nv1,Teal,#008080\nv1,Red,#FF0000\nv2,Café au Lait,#A67B5B\n\
             v1,Teal,#000000\nv1,,#FFFFFF\nv1,Short\nv1,Long,#1,#2\n",
        ),
        common::file(
            "databases/nouns.csv",
            "version,noun,plural\nv1,東京,x\nv1,cat,cats\n",
        ),
        common::file("databases/plain.csv", "word,meaning\nhello,greeting\n"),
        common::file("databases/broken.csv", b"version,key\nv1,\xff\n"),
    ])
}

fn cache_file(sandbox: &Sandbox, version: &str) -> PathBuf {
    sandbox.cache_dir().join(format!("databases_{version}.bin"))
}

fn built_reason(outcome: &Outcome) -> &CacheState {
    match outcome {
        Outcome::Built(BuildReason::Cache(state)) => state,
        other => panic!("expected a build caused by the cache's state, got {other:?}"),
    }
}

#[test]
fn the_first_run_builds_and_writes_the_cache_and_the_next_loads_it_without_parsing() {
    let sandbox = Sandbox::new();
    sandbox.write_archive(&rich_archive());

    let first = sandbox.manager().load_or_build().expect("first load");
    assert_eq!(
        first.report.outcome,
        Outcome::Built(BuildReason::Cache(CacheState::Missing))
    );
    assert_eq!(first.report.reason, "no cache file");
    assert_eq!(
        sandbox.cache_files(),
        [".lock", "checksums.json", "databases_v1.bin"]
    );
    assert_eq!(first.report.cache_path, Some(cache_file(&sandbox, "v1")));
    for phase in [Phase::Decompress, Phase::Parse, Phase::Index, Phase::Encode] {
        assert!(first.report.timings.get(phase).is_some(), "{phase:?}");
    }
    assert_eq!(first.report.databases, 3);
    assert_eq!(first.report.failed_databases, 1);

    let second = sandbox.manager().load_or_build().expect("second load");
    assert_eq!(second.report.outcome, Outcome::Loaded);
    assert_eq!(second.report.reason, "cache is fresh");
    let phases: Vec<Phase> = second.report.timings.0.iter().map(|(p, _)| *p).collect();
    assert_eq!(
        phases,
        [Phase::Hash, Phase::Read, Phase::Verify, Phase::Decode]
    );
    assert_eq!(first_difference(&first.catalog, &second.catalog), None);
    assert_eq!(second.catalog.failed(), first.catalog.failed());
    assert_eq!(second.catalog.skipped(), first.catalog.skipped());

    // Spot checks on the loaded copy, beyond the comparison.
    let colours = second.catalog.get("colours").expect("colours");
    let cafe = colours.lookup("Café au Lait").expect("a non-ASCII key");
    assert_eq!(cafe.version(), Some("v2"));
    assert_eq!(cafe.value(1), Some("#A67B5B"));
    assert_eq!(
        colours.lookup("Teal").map(|r| r.value(1)),
        Some(Some("#008080"))
    );
    assert_eq!(colours.warnings().empty_key_lines, [6]);
    assert_eq!(colours.warnings().ragged_lines, [7, 8]);
    assert_eq!(
        colours
            .lookup("Long")
            .map(|r| r.extra().collect::<Vec<_>>()),
        Some(vec!["#2"])
    );
    assert!(
        second
            .catalog
            .get("plain")
            .is_some_and(|d| d.version().is_none())
    );
}

#[test]
fn later_calls_on_one_manager_return_the_same_load() {
    let sandbox = Sandbox::new();
    sandbox.write_archive(&rich_archive());
    let manager = sandbox.manager();
    let first = manager.load_or_build().expect("load");
    let again = manager.load_or_build().expect("load again");
    assert!(Arc::ptr_eq(&first.catalog, &again.catalog));
    assert_eq!(again.report.outcome, first.report.outcome);
    assert_eq!(
        manager
            .lookup("nouns", "cat")
            .expect("lookup")
            .map(|r| r.index),
        Some(1)
    );
    assert_eq!(
        manager.databases().expect("names"),
        ["colours", "nouns", "plain"]
    );
}

const BEFORE: [(&str, &str); 3] = [
    ("colours", "version,colour\nv1,Teal\n"),
    ("nouns", "version,noun\nv1,cat\n"),
    ("verbs", "version,verb\nv1,run\n"),
];

const AFTER: [(&str, &str); 3] = [
    ("animals", "version,animal\nv1,Aardvark\n"),
    ("colours", "version,colour\nv1,Teal\nv1,Red\n"),
    ("nouns", "version,noun\nv1,cat\n"),
];

fn expected_changes() -> Vec<Change> {
    let change = |database: &str, change| Change {
        database: database.into(),
        change,
    };
    vec![
        change("animals", ChangeKind::Added),
        change("colours", ChangeKind::Modified),
        change("verbs", ChangeKind::Removed),
    ]
}

fn assert_stale_names_the_changes(sandbox: &Sandbox) {
    let status = sandbox.manager().status().expect("status");
    assert_eq!(
        status.state,
        CacheState::Stale {
            changed: expected_changes()
        }
    );
    assert_eq!(status.changed, expected_changes());
    assert_eq!(
        status.reason,
        "archive hash differs: animals added, colours modified, verbs removed"
    );
    assert_eq!(status.cache.path, Some(cache_file(sandbox, "v1")));

    let loaded = sandbox.manager().load_or_build().expect("load");
    assert_eq!(
        built_reason(&loaded.report.outcome),
        &CacheState::Stale {
            changed: expected_changes()
        }
    );
    let colours = loaded.catalog.get("colours").expect("colours");
    assert!(colours.lookup("Red").is_some(), "the new data is loaded");
    assert_eq!(
        sandbox.manager().status().expect("status").state,
        CacheState::Fresh
    );
}

#[test]
fn a_changed_archive_makes_the_cache_stale_naming_what_was_added_removed_and_modified() {
    let sandbox = Sandbox::new();
    sandbox.write_archive(&csv_archive(&BEFORE));
    sandbox.manager().load_or_build().expect("first build");
    sandbox.write_archive(&csv_archive(&AFTER));
    assert_stale_names_the_changes(&sandbox);
}

#[test]
fn without_checksums_json_the_changes_are_read_from_the_cache_body() {
    let sandbox = Sandbox::new();
    sandbox.write_archive(&csv_archive(&BEFORE));
    sandbox.manager().load_or_build().expect("first build");
    fs::remove_file(sandbox.cache_dir().join("checksums.json")).expect("remove checksums.json");
    sandbox.write_archive(&csv_archive(&AFTER));
    assert_stale_names_the_changes(&sandbox);
}

#[test]
fn a_checksums_json_of_another_build_is_not_trusted() {
    let sandbox = Sandbox::new();
    sandbox.write_archive(&csv_archive(&BEFORE));
    sandbox.manager().load_or_build().expect("first build");
    let checksums = sandbox.cache_dir().join("checksums.json");
    let saved = fs::read(&checksums).expect("checksums.json");
    // A rebuild of the same archive holds the same databases (the streamed file may place them in
    // another order, so the payload's own checksum may differ): the same per-database hashes.
    sandbox.manager().rebuild().expect("rebuild");
    let hashes = |bytes: &[u8]| {
        let value: serde_json::Value =
            serde_json::from_slice(bytes).expect("checksums.json is JSON");
        value["databases"].clone()
    };
    assert_eq!(
        hashes(&fs::read(&checksums).expect("checksums.json")),
        hashes(&saved)
    );
    // A record that does not belong to the file (another payload checksum) is ignored in favour of the
    // body: were it trusted, its zeroed hashes would make every database look modified.
    let mut record: serde_json::Value =
        serde_json::from_slice(&saved).expect("checksums.json is JSON");
    record["cache_payload_xxh3"] = "0000000000000000".into();
    for database in record["databases"].as_array_mut().expect("databases") {
        database["sha256"] = "0".repeat(64).into();
    }
    fs::write(&checksums, record.to_string()).expect("write");
    sandbox.write_archive(&csv_archive(&AFTER));
    assert_stale_names_the_changes(&sandbox);
}

/// Builds a cache for the rich archive, damages it, and checks status, load and the rewrite.
/// `status_detail` is `None` when the damage is beyond what `status` (headers only) can see.
fn assert_damage_is_detected(
    damage: impl FnOnce(&Path),
    status_detail: Option<&str>,
    load_detail: &str,
) {
    let sandbox = Sandbox::new();
    sandbox.write_archive(&rich_archive());
    let built = sandbox.manager().load_or_build().expect("first build");
    let path = cache_file(&sandbox, "v1");
    sandbox
        .manager()
        .check_cache_file()
        .expect("an intact cache file checks out");
    damage(&path);
    // The whole-file check sees every kind of damage, including what headers alone cannot show.
    assert!(sandbox.manager().check_cache_file().is_err());

    let status = sandbox
        .manager()
        .status()
        .expect("status never fails on a bad cache");
    match status_detail {
        Some(detail) => {
            match &status.state {
                CacheState::Corrupt { problem } => {
                    let found = problem.to_string();
                    assert!(
                        found.contains(detail),
                        "{found:?} should mention {detail:?}"
                    );
                }
                other => panic!("status: expected corrupt ({detail}), got {other:?}"),
            }
            assert_eq!(status.reason, format!("{}", status.state));
        }
        None => assert_eq!(status.state, CacheState::Fresh),
    }

    let loaded = sandbox
        .manager()
        .load_or_build()
        .expect("a bad cache never fails a load");
    match built_reason(&loaded.report.outcome) {
        CacheState::Corrupt { problem } => {
            let detail = problem.to_string();
            assert!(
                detail.contains(load_detail),
                "{detail:?} should mention {load_detail:?}"
            );
        }
        other => panic!("load: expected corrupt ({load_detail}), got {other:?}"),
    }
    assert!(loaded.report.reason.starts_with("cache corrupt: "));
    assert_eq!(first_difference(&built.catalog, &loaded.catalog), None);

    // The file was rewritten whole.
    file::read(&path).expect("the rewritten cache reads back");
    assert_eq!(
        sandbox.manager().status().expect("status").state,
        CacheState::Fresh
    );
    assert_eq!(
        sandbox
            .manager()
            .load_or_build()
            .expect("load")
            .report
            .outcome,
        Outcome::Loaded
    );
}

fn rewrite(path: &Path, change: impl FnOnce(&mut Vec<u8>)) {
    let mut bytes = fs::read(path).expect("the cache file");
    change(&mut bytes);
    fs::write(path, bytes).expect("rewrite the cache file");
}

/// Replaces the header with one built from these fields, its checksum recomputed.
fn with_header(bytes: &mut [u8], change: impl FnOnce(&mut Header)) {
    let mut header = Header::parse(&bytes[..HEADER_LEN]).expect("a valid header");
    change(&mut header);
    let built_at = header.built_at_ms;
    let mut fresh = Header::new(
        header.archive_sha256,
        header.payload_len,
        header.payload_checksum,
    );
    fresh.built_at_ms = built_at;
    fresh.format_version = header.format_version;
    bytes[..HEADER_LEN].copy_from_slice(&fresh.to_bytes());
}

#[test]
fn a_truncated_cache_file_is_corrupt_and_rebuilt() {
    assert_damage_is_detected(
        |path| {
            rewrite(path, |b| {
                b.truncate(HEADER_LEN + (b.len() - HEADER_LEN) / 2);
            });
        },
        Some("but the header says"),
        "but the header says",
    );
}

#[test]
fn a_truncated_header_is_corrupt_and_rebuilt() {
    assert_damage_is_detected(
        |path| rewrite(path, |b| b.truncate(40)),
        Some("truncated header: 40 of 80 bytes"),
        "truncated header: 40 of 80 bytes",
    );
}

#[test]
fn one_flipped_payload_byte_fails_the_checksum_and_is_rebuilt() {
    for at in [HEADER_LEN + 100, usize::MAX] {
        assert_damage_is_detected(
            |path| {
                rewrite(path, |b| {
                    let at = at.min(b.len() - 1);
                    b[at] ^= 0x01;
                });
            },
            Some("payload checksum mismatch"),
            "payload checksum mismatch",
        );
    }
}

#[test]
fn status_quick_reads_only_the_header_and_misses_payload_damage() {
    let sandbox = Sandbox::new();
    sandbox.write_archive(&rich_archive());
    sandbox.manager().load_or_build().expect("build");
    rewrite(&cache_file(&sandbox, "v1"), |b| b[HEADER_LEN + 10] ^= 0x40);
    let quick = sandbox.manager().status_with(Depth::Quick).expect("status");
    assert_eq!(quick.state, CacheState::Fresh);
    assert_eq!(quick.check, Depth::Quick);
    let full = sandbox.manager().status().expect("status");
    assert!(
        matches!(full.state, CacheState::Corrupt { .. }),
        "{:?}",
        full.state
    );
}

#[test]
fn one_flipped_header_byte_fails_the_header_checksum_and_is_rebuilt() {
    for byte in [20, 50, 70] {
        assert_damage_is_detected(
            |path| rewrite(path, |b| b[byte] ^= 0x80),
            Some("header checksum mismatch"),
            "header checksum mismatch",
        );
    }
}

#[test]
fn garbage_in_place_of_the_cache_is_corrupt_and_rebuilt() {
    assert_damage_is_detected(
        |path| {
            fs::write(
                path,
                b"this is not a cache file at all, just text\n".repeat(20),
            )
            .unwrap();
        },
        Some("bad magic"),
        "bad magic",
    );
}

#[test]
fn an_empty_cache_file_is_corrupt_and_rebuilt() {
    assert_damage_is_detected(
        |path| fs::write(path, b"").unwrap(),
        Some("truncated header: 0 of 80"),
        "truncated header: 0 of 80",
    );
}

#[test]
fn an_absurd_payload_length_is_caught_by_the_length_check_without_allocating() {
    assert_damage_is_detected(
        |path| rewrite(path, |b| with_header(b, |h| h.payload_len = u64::MAX / 2)),
        Some(&format!("but the header says {}", u64::MAX / 2)),
        &format!("but the header says {}", u64::MAX / 2),
    );
}

#[test]
fn another_format_version_is_reported_as_format_changed_and_rebuilt() {
    let sandbox = Sandbox::new();
    sandbox.write_archive(&rich_archive());
    sandbox.manager().load_or_build().expect("first build");
    let path = cache_file(&sandbox, "v1");
    let other = FORMAT_VERSION + 1;
    rewrite(&path, |b| with_header(b, |h| h.format_version = other));

    let status = sandbox.manager().status().expect("status");
    let expected = CacheState::FormatChanged {
        found: other,
        expected: FORMAT_VERSION,
    };
    assert_eq!(status.state, expected);
    assert_eq!(status.state.word(), "format-changed");
    assert_eq!(
        status.reason,
        format!("cache format {other}, this program reads format {FORMAT_VERSION}")
    );

    let loaded = sandbox.manager().load_or_build().expect("load");
    assert_eq!(built_reason(&loaded.report.outcome), &expected);
    let (header, _) = file::read_header(&path).expect("rewritten");
    assert_eq!(header.format_version, FORMAT_VERSION);
}

/// Writes a cache file for the sandbox's archive whose body is `payload`, with a valid header.
fn write_crafted_cache(sandbox: &Sandbox, payload: &[u8]) -> PathBuf {
    let archive = fs::read(sandbox.archive_path()).expect("archive");
    let header = Header::new(sha256(&archive), payload.len() as u64, xxh3_64(payload));
    let path = cache_file(sandbox, "v1");
    fs::create_dir_all(sandbox.cache_dir()).expect("cache dir");
    let mut bytes = header.to_bytes().to_vec();
    bytes.extend_from_slice(payload);
    fs::write(&path, bytes).expect("write crafted cache");
    path
}

#[test]
fn a_crafted_body_with_a_valid_checksum_but_huge_lengths_is_rebuilt_cleanly() {
    let huge = (u64::MAX / 2).to_le_bytes();
    let one = 1u64.to_le_bytes();
    let payloads: Vec<(&str, Vec<u8>)> = vec![
        // One database whose name claims to be 2^63 bytes long.
        ("huge string", [&one[..], &huge, b"abc"].concat()),
        // 2^63 databases.
        ("huge vector", [&huge[..], &[0u8; 64]].concat()),
        // A database name, then a SHA-256 byte string of absurd length.
        (
            "huge bytes",
            [&one[..], &3u64.to_le_bytes(), b"abc", &huge, &[7u8; 32]].concat(),
        ),
        // Nothing decodable at all.
        ("empty body", Vec::new()),
    ];
    for (what, payload) in payloads {
        let sandbox = Sandbox::new();
        sandbox.write_archive(&rich_archive());
        let path = write_crafted_cache(&sandbox, &payload);
        assert!(
            matches!(file::read(&path), Err(ReadProblem::Corrupt(_))),
            "{what}: the crafted body is refused"
        );
        let loaded = sandbox.manager().load_or_build().expect("load");
        match built_reason(&loaded.report.outcome) {
            CacheState::Corrupt { problem } => {
                let detail = problem.to_string();
                assert!(detail.contains("undecodable body"), "{what}: {detail}");
            }
            other => panic!("{what}: expected corrupt, got {other:?}"),
        }
        assert_eq!(loaded.report.databases, 3, "{what}");
        file::read(&path).expect("rewritten");
    }
}

#[test]
fn trailing_bytes_after_a_valid_body_are_corrupt() {
    let sandbox = Sandbox::new();
    sandbox.write_archive(&rich_archive());
    sandbox.manager().load_or_build().expect("first build");
    let path = cache_file(&sandbox, "v1");
    let bytes = fs::read(&path).expect("cache");
    let mut payload = bytes[HEADER_LEN..].to_vec();
    payload.extend_from_slice(b"extra");
    write_crafted_cache(&sandbox, &payload);
    let loaded = sandbox.manager().load_or_build().expect("load");
    match built_reason(&loaded.report.outcome) {
        CacheState::Corrupt { problem } => assert_eq!(
            problem,
            &Corruption::Body(BodyProblem::TrailingBytes { count: 5 })
        ),
        other => panic!("expected corrupt, got {other:?}"),
    }
}

fn assert_in_memory(data_dir: PathBuf) {
    let sandbox = Sandbox::new();
    sandbox.write_archive(&rich_archive());
    let manager = common::manager(&sandbox.archive_path(), &data_dir);
    let loaded = manager
        .load_or_build()
        .expect("an unwritable dir never fails a load");
    match &loaded.report.outcome {
        Outcome::InMemory { reason, why } => {
            assert_eq!(reason, &BuildReason::Cache(CacheState::Missing));
            assert!(why.to_string().contains("cannot write the cache"), "{why}");
            assert!(loaded.report.reason.contains("cache not written"));
        }
        other => panic!("expected in-memory, got {other:?}"),
    }
    assert_eq!(loaded.report.databases, 3);
    let teal = manager
        .lookup("colours", "Teal")
        .expect("lookup")
        .expect("Teal");
    assert_eq!(teal.values[1].1.as_deref(), Some("#008080"));
    let status = manager.status().expect("status works without a cache");
    // The CLI and the inspector say what the load found: nothing can be written there.
    assert!(
        matches!(
            &status.state,
            CacheState::InMemoryOnly {
                why: Unusable::Unwritable { .. }
            }
        ),
        "{:?}",
        status.state
    );
    assert!(!status.cache.exists);
    assert!(
        manager
            .invalidate()
            .expect("nothing to invalidate")
            .is_empty()
    );
}

#[test]
fn a_data_dir_under_a_regular_file_keeps_the_data_in_memory() {
    let holder = Sandbox::new();
    let blocker = holder.path().join("file.txt");
    fs::write(&blocker, "a file where a folder should be").expect("write");
    assert_in_memory(blocker.join("data"));
}

#[test]
fn a_data_dir_that_is_a_regular_file_keeps_the_data_in_memory() {
    let holder = Sandbox::new();
    let blocker = holder.path().join("file.txt");
    fs::write(&blocker, "a file where a folder should be").expect("write");
    assert_in_memory(blocker);
}

#[test]
fn without_a_data_dir_everything_stays_in_memory() {
    let sandbox = Sandbox::new();
    sandbox.write_archive(&rich_archive());
    let manager = CacheManager::new(ManagerOptions {
        source: ArchiveSource::Path(sandbox.archive_path()),
        data_dir: None,
        limits: Limits::default(),
    });
    let loaded = manager.load_or_build().expect("load");
    assert!(matches!(
        &loaded.report.outcome,
        Outcome::InMemory { why, .. } if why == &Unusable::NoDataDir
    ));
    assert_eq!(
        manager.status().expect("status").state,
        CacheState::InMemoryOnly {
            why: Unusable::NoDataDir
        }
    );
    assert!(manager.warm_load().is_err());
}

fn cache_name_for(databases: &[(&str, &str)]) -> (String, Vec<String>) {
    let sandbox = Sandbox::new();
    sandbox.write_archive(&csv_archive(databases));
    let loaded = sandbox.manager().load_or_build().expect("load");
    assert!(matches!(loaded.report.outcome, Outcome::Built(_)));
    let path = loaded.report.cache_path.expect("a cache path");
    assert_eq!(path.parent(), Some(sandbox.cache_dir().as_path()));
    assert!(path.exists(), "{}", path.display());
    let mut top: Vec<String> = fs::read_dir(sandbox.path())
        .expect("sandbox")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    top.sort();
    assert_eq!(
        top,
        ["data", "databases.tar.gz"],
        "nothing written elsewhere"
    );
    (
        path.file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned(),
        sandbox.cache_files(),
    )
}

#[test]
fn the_cache_is_named_after_the_first_versioned_database_in_name_order() {
    let (name, files) = cache_name_for(&[
        ("zebra", "version,key\nv9.0,z\n"),
        ("apple", "key,value\na,1\n"),
        ("mango", "version,key\nv2.0,m\nv3.0,n\n"),
    ]);
    assert_eq!(name, "databases_v2.0.bin");
    assert_eq!(files, [".lock", "checksums.json", "databases_v2.0.bin"]);
}

#[test]
fn the_cache_is_named_v0_1_0_when_no_database_has_a_version() {
    let (name, _) = cache_name_for(&[("apple", "key,value\na,1\n"), ("pear", "key\np\n")]);
    assert_eq!(name, "databases_v0.1.0.bin");
}

#[test]
fn an_unsafe_version_is_sanitised_in_the_file_name() {
    let (name, _) = cache_name_for(&[("evil", "version,key\nv1/../x,k\n")]);
    assert_eq!(name, "databases_v1_.._x.bin");
    let (name, _) = cache_name_for(&[("evil", "version,key\n/etc/passwd,k\n")]);
    assert_eq!(name, "databases__etc_passwd.bin");
}

#[test]
fn eight_threads_loading_at_once_share_one_load() {
    let sandbox = Sandbox::new();
    sandbox.write_archive(&rich_archive());
    let manager = Arc::new(sandbox.manager());
    let barrier = Arc::new(Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let manager = Arc::clone(&manager);
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                manager.load_or_build().expect("load")
            })
        })
        .collect();
    let results: Vec<_> = handles
        .into_iter()
        .map(|h| h.join().expect("no thread panics"))
        .collect();
    for loaded in &results[1..] {
        assert!(Arc::ptr_eq(&results[0].catalog, &loaded.catalog));
        assert_eq!(loaded.report.outcome, results[0].report.outcome);
        assert_eq!(
            loaded.report.total, results[0].report.total,
            "the very same report"
        );
    }
    assert_eq!(
        results[0].report.outcome,
        Outcome::Built(BuildReason::Cache(CacheState::Missing))
    );
}

#[test]
fn concurrent_rebuilds_in_two_processes_never_expose_a_torn_file() {
    const PROCESSES: usize = 2;
    const REBUILDS: usize = 10;
    let sandbox = Sandbox::new();
    sandbox.write_archive(&corpus::generate(&CorpusSpec::small()));
    let path = cache_file(&sandbox, "v0.1.0");
    let done = AtomicBool::new(false);

    let (reads, problems) = std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let mut reads = 0usize;
            let mut problems = Vec::new();
            while !done.load(Ordering::Acquire) {
                match file::read(&path) {
                    Ok(_) => reads += 1,
                    Err(ReadProblem::Missing) => {}
                    Err(problem) => problems.push(problem),
                }
            }
            (reads, problems)
        });
        let writers: Vec<_> = (0..PROCESSES)
            .map(|_| {
                scope.spawn(|| {
                    for _ in 0..REBUILDS {
                        let status = Command::new(env!("CARGO_BIN_EXE_backstore"))
                            .arg("--archive")
                            .arg(sandbox.archive_path())
                            .arg("--data-dir")
                            .arg(sandbox.data_dir())
                            .arg("rebuild")
                            .env_remove("BACKSTORE_DATA_DIR")
                            .stdin(Stdio::null())
                            .stdout(Stdio::null())
                            .stderr(Stdio::null())
                            .status()
                            .expect("run rebuild");
                        assert!(status.success(), "rebuild failed: {status}");
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.join().expect("writer");
        }
        done.store(true, Ordering::Release);
        reader.join().expect("reader")
    });

    assert!(
        problems.is_empty(),
        "a reader saw a torn file: {problems:?}"
    );
    assert!(reads > 0, "the reader read the file at least once");
    file::read(&path).expect("the final file is whole");
    let status = sandbox.manager().status().expect("status");
    assert_eq!(status.state, CacheState::Fresh);
    assert_eq!(
        sandbox.cache_files(),
        [".lock", "checksums.json", "databases_v0.1.0.bin"],
        "no temporary files are left behind"
    );
}

#[test]
fn invalidate_removes_every_version_and_checksums_but_keeps_the_loaded_data() {
    let sandbox = Sandbox::new();
    sandbox.write_archive(&csv_archive(&[("nouns", "version,noun\nv1,cat\n")]));
    sandbox.manager().load_or_build().expect("build v1");
    sandbox.write_archive(&csv_archive(&[("nouns", "version,noun\nv2,cat\nv2,dog\n")]));
    let manager = sandbox.manager();
    let loaded = manager.load_or_build().expect("build v2");
    assert_eq!(
        sandbox.cache_files(),
        [
            ".lock",
            "checksums.json",
            "databases_v1.bin",
            "databases_v2.bin"
        ]
    );
    let status = manager.status().expect("status");
    assert_eq!(status.state, CacheState::Fresh);
    let others: Vec<&Path> = status
        .other_cache_files
        .iter()
        .map(|o| o.path.as_path())
        .collect();
    assert_eq!(others, [cache_file(&sandbox, "v1").as_path()]);

    let mut removed = manager.invalidate().expect("invalidate");
    removed.sort();
    assert_eq!(
        removed,
        [
            sandbox.cache_dir().join("checksums.json"),
            cache_file(&sandbox, "v1"),
            cache_file(&sandbox, "v2"),
        ]
    );
    assert_eq!(sandbox.cache_files(), [".lock"]);
    assert!(manager.invalidate().expect("again").is_empty());

    // The data already loaded stays usable, through the catalog and the manager.
    let nouns = loaded.catalog.get("nouns").expect("nouns");
    assert_eq!(nouns.lookup("dog").map(|r| r.index()), Some(1));
    assert!(manager.lookup("nouns", "dog").expect("lookup").is_some());
    assert_eq!(manager.status().expect("status").state, CacheState::Missing);
}

#[test]
fn cache_files_are_private_and_their_folders_owner_only() {
    let sandbox = Sandbox::new();
    sandbox.write_archive(&rich_archive());
    sandbox.manager().load_or_build().expect("build");
    let mode = |p: &Path| fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
    assert_eq!(mode(&sandbox.data_dir()), 0o700, "data dir");
    assert_eq!(mode(&sandbox.cache_dir()), 0o700, "cache dir");
    assert_eq!(mode(&cache_file(&sandbox, "v1")), 0o600, "cache file");
    assert_eq!(mode(&sandbox.cache_dir().join("checksums.json")), 0o600);
    // A rebuild replaces the files and keeps them private.
    sandbox.manager().rebuild().expect("rebuild");
    assert_eq!(mode(&cache_file(&sandbox, "v1")), 0o600);
    assert_eq!(mode(&sandbox.cache_dir().join("checksums.json")), 0o600);
}

#[test]
fn warm_load_fails_clearly_without_a_cache_and_loads_once_there_is_one() {
    let sandbox = Sandbox::new();
    sandbox.write_archive(&rich_archive());
    let manager = sandbox.manager();
    let error = manager.warm_load().expect_err("no cache yet");
    let message = error.to_string();
    assert!(
        message.contains("no cache file built from this archive"),
        "{message}"
    );
    assert!(
        message.contains(&sandbox.cache_dir().display().to_string()),
        "{message}"
    );

    manager.load_or_build().expect("build");
    let warm = manager.warm_load().expect("warm load");
    assert_eq!(warm.report.outcome, Outcome::Loaded);
    assert!(warm.report.timings.get(Phase::Parse).is_none());
}

#[test]
fn rebuild_always_builds_with_the_reason_forced() {
    let sandbox = Sandbox::new();
    sandbox.write_archive(&rich_archive());
    let manager = sandbox.manager();
    manager.load_or_build().expect("build");
    assert_eq!(manager.status().expect("status").state, CacheState::Fresh);
    let before = file::read_header(&cache_file(&sandbox, "v1"))
        .expect("header")
        .0;

    let rebuilt = manager.rebuild().expect("rebuild");
    assert_eq!(rebuilt.report.outcome, Outcome::Built(BuildReason::Forced));
    assert_eq!(rebuilt.report.reason, "rebuild requested");
    assert!(rebuilt.report.timings.get(Phase::Parse).is_some());
    let after = file::read_header(&cache_file(&sandbox, "v1"))
        .expect("header")
        .0;
    assert_eq!(
        after.payload_checksum, before.payload_checksum,
        "same data, same body"
    );
    // The manager now holds the rebuilt data.
    let current = manager.loaded().expect("loaded");
    assert!(Arc::ptr_eq(&current.catalog, &rebuilt.catalog));
}

#[test]
fn the_embedded_manager_is_static_and_the_embedded_hash_matches_the_archive() {
    let first: &'static CacheManager = backstore::cache::embedded();
    let second = backstore::cache::embedded();
    assert!(std::ptr::eq(first, second));
    assert_eq!(first.options().source, ArchiveSource::demo());
    assert_eq!(
        backstore::embedded::SHA256,
        sha256(backstore::embedded::ARCHIVE)
    );
    // The embedded archive builds (without touching any data dir).
    let (catalog, _) =
        catalog::build(backstore::embedded::ARCHIVE, &Limits::default()).expect("embedded");
    assert!(!catalog.databases().is_empty());
}

#[test]
fn an_embedded_manager_with_a_temporary_data_dir_builds_then_loads() {
    let sandbox = Sandbox::new();
    let options = ManagerOptions {
        source: ArchiveSource::demo(),
        data_dir: Some(sandbox.data_dir()),
        limits: Limits::default(),
    };
    let built = CacheManager::new(options.clone())
        .load_or_build()
        .expect("build");
    assert!(matches!(built.report.outcome, Outcome::Built(_)));
    let status = CacheManager::new(options.clone()).status().expect("status");
    assert_eq!(status.state, CacheState::Fresh);
    assert_eq!(status.archive.source, "embedded");
    assert_eq!(status.archive.sha256, backstore::embedded::SHA256);
    let loaded = CacheManager::new(options).load_or_build().expect("load");
    assert_eq!(loaded.report.outcome, Outcome::Loaded);
    assert_eq!(first_difference(&built.catalog, &loaded.catalog), None);
}

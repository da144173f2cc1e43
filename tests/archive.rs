//! Reading archives: which entries become databases, what is skipped and counted, the size limits, and
//! every way a file can fail to be a readable archive.

mod common;

use std::io::Write;

use backstore::cache::{ArchiveSource, CacheManager, ManagerOptions};
use backstore::catalog::archive::{self, SkipReason, Unpacked};
use backstore::catalog::{self, Limits};
use backstore::testkit::corpus::{self, CorpusSpec};
use backstore::{ArchiveError, Error};
use common::{Entry, Sandbox, file, gzip, tar_bytes, targz};
use flate2::write::DeflateEncoder;
use flate2::{Compression, Crc};

const NOUNS: &str = "version,noun,plural\nv1,cat,cats\nv1,dog,dogs\n";

fn unpack(bytes: &[u8]) -> Result<Unpacked, ArchiveError> {
    archive::unpack(bytes, &Limits::default())
}

fn reason_of(unpacked: &Unpacked, path: &str) -> Option<SkipReason> {
    unpacked
        .skipped
        .iter()
        .find(|s| s.path == path)
        .map(|s| s.reason)
}

fn pax(pairs: &[(&str, &[u8])]) -> Vec<(String, Vec<u8>)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_vec()))
        .collect()
}

#[test]
fn a_messy_archive_keeps_only_its_databases_and_counts_every_skipped_entry() {
    let bytes = targz(&[
        Entry::PaxGlobal(pax(&[("comment", b"made on a Mac")])),
        Entry::Dir("databases/".into()),
        file(
            "databases/._nouns.csv",
            b"\x00\x05\x16\x07 AppleDouble junk",
        ),
        file("databases/.DS_Store", b"\x00\x00\x00\x01Bud1"),
        file("databases/.gitignore", ".DS_Store\n"),
        file("databases/date.txt", "2024-01-01\n"),
        file("databases/build.sh", "#!/bin/sh\n"),
        file(".hidden/secret.csv", "version,key\nv1,k\n"),
        file("databases/deeper/more.csv", "version,key\nv1,k\n"),
        file("a/b/c/deepest.csv", "version,key\nv1,k\n"),
        Entry::PaxLocal(pax(&[(
            "LIBARCHIVE.xattr.com.apple.quarantine",
            b"MDA4MTswMDAwMDAwMDtTYWZhcmk7",
        )])),
        file("databases/nouns.csv", NOUNS),
        Entry::Symlink("databases/x.csv".into(), "nouns.csv".into()),
        Entry::HardLink("databases/y.csv".into(), "databases/nouns.csv".into()),
        Entry::RawName("/etc/abs.csv".into(), b"version,key\nv1,k\n".to_vec()),
        Entry::RawName("../up.csv".into(), b"version,key\nv1,k\n".to_vec()),
        Entry::RawName(
            "databases/../../esc.csv".into(),
            b"version,k\nv1,k\n".to_vec(),
        ),
        file("other/nouns.csv", "version,noun\nv9,impostor\n"),
    ]);
    let unpacked = unpack(&bytes).expect("the databases are readable");

    let names: Vec<&str> = unpacked.entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["nouns"]);
    assert_eq!(unpacked.entries[0].path, "databases/nouns.csv");
    assert_eq!(unpacked.entries[0].bytes, NOUNS.as_bytes());

    let expected = [
        ("databases/", SkipReason::Directory),
        ("databases/._nouns.csv", SkipReason::AppleDouble),
        ("databases/.DS_Store", SkipReason::Hidden),
        ("databases/.gitignore", SkipReason::Hidden),
        ("databases/date.txt", SkipReason::NotCsv),
        ("databases/build.sh", SkipReason::NotCsv),
        (".hidden/secret.csv", SkipReason::Hidden),
        ("databases/deeper/more.csv", SkipReason::Nested),
        ("a/b/c/deepest.csv", SkipReason::Nested),
        ("databases/x.csv", SkipReason::Link),
        ("databases/y.csv", SkipReason::Link),
        ("/etc/abs.csv", SkipReason::UnsafePath),
        ("../up.csv", SkipReason::UnsafePath),
        ("databases/../../esc.csv", SkipReason::UnsafePath),
        ("other/nouns.csv", SkipReason::DuplicateName),
    ];
    for (path, reason) in expected {
        assert_eq!(reason_of(&unpacked, path), Some(reason), "{path}");
    }
    // The global PAX header is an entry of its own; the local one is folded into the entry it describes.
    let metadata = unpacked
        .skipped
        .iter()
        .filter(|s| s.reason == SkipReason::Metadata)
        .count();
    assert_eq!(metadata, 1, "{:?}", unpacked.skipped);
    assert_eq!(unpacked.skipped.len(), expected.len() + 1);

    // The same through catalog::build, which keeps the list for reporting.
    let catalog = common::build(&bytes);
    assert_eq!(catalog.databases().len(), 1);
    assert_eq!(catalog.skipped().len(), expected.len() + 1);
    let nouns = catalog.get("nouns").expect("nouns is a database");
    assert_eq!(nouns.lookup("dog").map(|r| r.value(1)), Some(Some("dogs")));
}

#[test]
fn a_folder_csv_and_a_top_level_csv_are_both_named_after_their_stem() {
    let catalog = common::build(&common::archive_of(&[
        ("databases/nouns.csv", NOUNS.as_bytes()),
        ("verbs.csv", b"version,verb\nv1,run\n"),
        ("./adverbs.CSV", b"version,adverb\nv1,fast\n"),
    ]));
    let names: Vec<&str> = catalog
        .databases()
        .iter()
        .map(backstore::Database::name)
        .collect();
    assert_eq!(names, ["adverbs", "nouns", "verbs"]);
    assert!(catalog.skipped().is_empty(), "{:?}", catalog.skipped());
}

#[test]
fn a_file_named_only_dot_csv_is_not_a_database() {
    let unpacked = unpack(&common::archive_of(&[
        ("databases/nouns.csv", NOUNS.as_bytes()),
        ("databases/csv", b"x"),
        ("databases/x.csv.bak", b"x"),
    ]))
    .expect("nouns is readable");
    assert_eq!(unpacked.entries.len(), 1);
    assert_eq!(
        reason_of(&unpacked, "databases/csv"),
        Some(SkipReason::NotCsv)
    );
    assert_eq!(
        reason_of(&unpacked, "databases/x.csv.bak"),
        Some(SkipReason::NotCsv)
    );
}

#[test]
fn a_link_named_csv_is_never_followed_even_when_it_is_the_only_candidate() {
    let bytes = targz(&[
        Entry::Symlink("databases/passwd.csv".into(), "/etc/passwd".into()),
        Entry::HardLink("databases/shadow.csv".into(), "/etc/shadow".into()),
    ]);
    match unpack(&bytes) {
        Err(error @ ArchiveError::NoDatabases { .. }) => {
            let message = error.to_string();
            let ArchiveError::NoDatabases { skipped, examples } = error else {
                unreachable!()
            };
            assert_eq!(skipped, 2);
            let paths: Vec<(&str, SkipReason)> = examples
                .iter()
                .map(|e| (e.path.as_str(), e.reason))
                .collect();
            assert_eq!(
                paths,
                [
                    ("databases/passwd.csv", SkipReason::Link),
                    ("databases/shadow.csv", SkipReason::Link)
                ]
            );
            assert!(message.contains("databases/passwd.csv"), "{message}");
            assert!(message.contains("never followed"), "{message}");
        }
        other => panic!("expected NoDatabases, got {other:?}"),
    }
}

#[test]
fn a_pax_path_that_escapes_the_archive_is_skipped_as_unsafe() {
    // A local PAX header renames the next entry; the unsafe name is what counts.
    let bytes = targz(&[
        file("databases/nouns.csv", NOUNS),
        Entry::PaxLocal(pax(&[("path", b"../../evil.csv")])),
        file("databases/innocent.csv", "version,key\nv1,k\n"),
    ]);
    let unpacked = unpack(&bytes).expect("nouns is readable");
    let names: Vec<&str> = unpacked.entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["nouns"]);
    assert_eq!(
        reason_of(&unpacked, "../../evil.csv"),
        Some(SkipReason::UnsafePath)
    );
}

#[test]
fn a_duplicate_database_name_keeps_the_first_and_counts_the_rest() {
    let catalog = common::build(&common::archive_of(&[
        ("databases/nouns.csv", NOUNS.as_bytes()),
        ("more/nouns.csv", b"version,noun\nv2,first-impostor\n"),
        ("nouns.csv", b"version,noun\nv3,second-impostor\n"),
    ]));
    assert_eq!(catalog.databases().len(), 1);
    let nouns = catalog.get("nouns").expect("nouns");
    assert_eq!(nouns.version(), Some("v1"));
    assert!(nouns.lookup("cat").is_some());
    let duplicates: Vec<&str> = catalog
        .skipped()
        .iter()
        .filter(|s| s.reason == SkipReason::DuplicateName)
        .map(|s| s.path.as_str())
        .collect();
    assert_eq!(duplicates, ["more/nouns.csv", "nouns.csv"]);
}

/// Raw deflate blocks for `data`, ending byte-aligned (a sync flush) or with the final block.
fn deflate_blocks(data: &[u8], last: bool) -> Vec<u8> {
    let mut encoder = DeflateEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(data).expect("deflate in memory");
    if last {
        return encoder.finish().expect("deflate in memory");
    }
    encoder.flush().expect("deflate in memory");
    encoder.get_ref().clone()
}

/// A tar.gz holding a small database plus one entry of `size` zero bytes (a multiple of 1 MiB),
/// compressed to almost nothing. Every deflate part comes from a fresh encoder and ends byte-aligned,
/// so the 1 MiB block of zeros is compressed once and repeated: building a bomb costs next to nothing,
/// and the result is a valid gzip whose CRC and length cover the whole stream.
fn bomb(entry: &str, size: u64) -> Vec<u8> {
    const MIB: usize = 1 << 20;
    assert_eq!(size % MIB as u64, 0);
    let mut head = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_mode(0o644);
    header.set_size(NOUNS.len() as u64);
    head.append_data(&mut header, "databases/nouns.csv", NOUNS.as_bytes())
        .expect("tar in memory");
    let mut header = tar::Header::new_gnu();
    header.set_mode(0o644);
    header.set_size(size);
    header.set_path(entry).expect("a short path");
    header.set_cksum();
    let mut head = head.into_inner().expect("tar in memory");
    head.truncate(head.len() - 1024); // drop the end marker the builder wrote
    head.extend_from_slice(header.as_bytes());
    let tail = [0u8; 1024];
    let zeros = vec![0u8; MIB];

    let mut crc = Crc::new();
    crc.update(&head);
    let mut zeros_crc = Crc::new();
    zeros_crc.update(&zeros);
    let zeros_blocks = deflate_blocks(&zeros, false);

    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    out.extend_from_slice(&deflate_blocks(&head, false));
    for _ in 0..size / MIB as u64 {
        out.extend_from_slice(&zeros_blocks);
        crc.combine(&zeros_crc);
    }
    out.extend_from_slice(&deflate_blocks(&tail, true));
    crc.update(&tail);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&crc.amount().to_le_bytes());
    out
}

#[test]
fn the_bomb_is_a_valid_archive_that_unpacks_under_limits_large_enough() {
    // Proves the bomb below is a genuine, complete archive, so the limits are what refuse it.
    let bytes = bomb("databases/bomb.csv", 4 << 20);
    let limits = Limits {
        max_entry_bytes: 8 << 20,
        max_total_bytes: 16 << 20,
        ..Limits::DEFAULT
    };
    let unpacked = archive::unpack(&bytes, &limits).expect("within the limits");
    let sizes: Vec<(&str, usize)> = unpacked
        .entries
        .iter()
        .map(|e| (e.name.as_str(), e.bytes.len()))
        .collect();
    assert_eq!(sizes, [("nouns", NOUNS.len()), ("bomb", 4 << 20)]);
    assert!(unpacked.entries[1].bytes.iter().all(|b| *b == 0));
}

const BOMB_BYTES: u64 = 50 << 20;

const SMALL_LIMITS: Limits = Limits {
    max_entry_bytes: 1 << 20,
    max_total_bytes: 4 << 20,
    max_ratio: 0,
    ..Limits::DEFAULT
};

#[test]
fn a_decompression_bomb_in_a_database_is_refused_by_the_entry_limit() {
    let bytes = bomb("databases/bomb.csv", BOMB_BYTES);
    assert!(
        bytes.len() < 256 << 10,
        "the bomb is small: {}",
        bytes.len()
    );
    match archive::unpack(&bytes, &SMALL_LIMITS) {
        Err(error @ ArchiveError::EntryTooLarge { .. }) => {
            let ArchiveError::EntryTooLarge { path, size, limit } = &error else {
                unreachable!()
            };
            assert_eq!(path, "databases/bomb.csv");
            assert_eq!(*size, BOMB_BYTES);
            assert_eq!(*limit, 1 << 20);
            let message = error.to_string();
            assert!(message.contains("databases/bomb.csv"), "{message}");
            assert!(message.contains("per-entry limit"), "{message}");
        }
        other => panic!("expected EntryTooLarge, got {other:?}"),
    }
}

#[test]
fn a_decompression_bomb_in_a_skipped_entry_is_refused_by_the_total_limit() {
    // Skipped entries are still decompressed to reach the next header, so they count too.
    let bytes = bomb("databases/bomb.bin", BOMB_BYTES);
    let error = catalog::build(&bytes, &SMALL_LIMITS).expect_err("the bomb is refused");
    match &error {
        ArchiveError::TotalTooLarge { limit } => assert_eq!(*limit, 4 << 20),
        other => panic!("expected TotalTooLarge, got {other:?}"),
    }
    let message = error.to_string();
    assert!(message.contains("decompression bomb"), "{message}");
    assert!(message.contains(&(4u64 << 20).to_string()), "{message}");
}

#[test]
fn the_manager_reports_a_bomb_as_an_archive_error_and_writes_no_cache() {
    let sandbox = Sandbox::new();
    sandbox.write_archive(&bomb("databases/bomb.csv", BOMB_BYTES));
    let manager = CacheManager::new(ManagerOptions {
        source: ArchiveSource::Path(sandbox.archive_path()),
        data_dir: Some(sandbox.data_dir()),
        limits: SMALL_LIMITS,
    });
    match manager.load_or_build() {
        Err(Error::Archive { archive, error }) => {
            assert!(archive.ends_with("databases.tar.gz"), "{archive}");
            assert!(
                matches!(error, ArchiveError::EntryTooLarge { .. }),
                "{error}"
            );
        }
        other => panic!("expected an archive error, got {other:?}"),
    }
    assert!(
        sandbox.cache_files().iter().all(|f| !f.ends_with(".bin")),
        "{:?}",
        sandbox.cache_files()
    );
}

#[test]
fn the_default_limits_accept_a_realistic_archive() {
    let bytes = corpus::generate(&CorpusSpec::small());
    let (catalog, _) = catalog::build(&bytes, &Limits::default()).expect("a realistic archive");
    assert_eq!(catalog.databases().len(), CorpusSpec::small().databases);
    assert_eq!(catalog.records(), CorpusSpec::small().rows);
    assert!(catalog.failed().is_empty());
    // Its macOS clutter is skipped, not loaded.
    assert!(
        catalog
            .skipped()
            .iter()
            .any(|s| s.reason == SkipReason::AppleDouble)
    );
    assert!(
        catalog
            .skipped()
            .iter()
            .any(|s| s.reason == SkipReason::Hidden)
    );
}

fn assert_unknown_format(bytes: &[u8], guess: &str) {
    match unpack(bytes) {
        Err(error @ ArchiveError::UnknownFormat(_)) => {
            let message = error.to_string();
            assert!(
                message.contains("neither a gzip nor a tar file"),
                "{message}"
            );
            assert!(message.contains(guess), "{message} should say {guess}");
        }
        other => panic!("expected UnknownFormat, got {other:?}"),
    }
}

#[test]
fn plain_text_is_not_an_archive() {
    assert_unknown_format(b"version,key\nv1,k\n", "plain text");
}

#[test]
fn a_zip_file_is_not_an_archive() {
    assert_unknown_format(b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "zip");
}

#[test]
fn binary_bytes_that_are_no_tar_header_are_not_an_archive() {
    let mut bytes = vec![7u8; 600];
    bytes[0] = 0;
    assert_unknown_format(&bytes, "00 07 07 07");
}

#[test]
fn a_plain_tar_of_zero_blocks_only_holds_no_entries() {
    assert!(matches!(unpack(&[0u8; 1024]), Err(ArchiveError::NoEntries)));
}

#[test]
fn an_empty_file_is_its_own_error() {
    assert!(matches!(unpack(b""), Err(ArchiveError::EmptyFile)));
    assert_eq!(ArchiveError::EmptyFile.to_string(), "empty file (0 bytes)");
}

/// An archive large enough that the cut points fall inside entries, headers and the trailer.
fn sizeable_archive() -> Vec<u8> {
    let mut rows = String::from("version,key,value\n");
    for i in 0..3000 {
        rows.push_str(&format!("v1,key{i},value {} of many\n", i * 7919 % 10007));
    }
    targz(&[
        file("databases/one.csv", &rows),
        file("databases/two.csv", &rows),
        file("databases/three.csv", NOUNS),
    ])
}

#[test]
fn a_gzip_truncated_anywhere_is_an_error_never_a_partial_load() {
    let bytes = sizeable_archive();
    assert!(unpack(&bytes).is_ok(), "the whole archive is readable");
    let n = bytes.len();
    for cut in [10, n / 4, n / 2, n * 9 / 10, n - 9, n - 8, n - 4, n - 1] {
        match unpack(&bytes[..cut]) {
            Err(ArchiveError::Gzip(_) | ArchiveError::TruncatedTar) => {}
            other => panic!("cut at {cut} of {n}: expected a truncation error, got {other:?}"),
        }
        let built = catalog::build(&bytes[..cut], &Limits::default());
        assert!(built.is_err(), "cut at {cut} of {n} must not build");
    }
}

#[test]
fn a_gzip_missing_its_trailer_names_the_gzip_stream() {
    let bytes = sizeable_archive();
    // The tar is whole but the CRC and length trailer are gone.
    let error = unpack(&bytes[..bytes.len() - 8]).expect_err("no trailer");
    assert!(matches!(error, ArchiveError::Gzip(_)), "{error:?}");
    assert!(error.to_string().contains("gzip"), "{error}");
}

#[test]
fn a_corrupted_gzip_body_is_an_error() {
    let mut bytes = sizeable_archive();
    let middle = bytes.len() / 2;
    for b in &mut bytes[middle..middle + 16] {
        *b ^= 0x5a;
    }
    let error = unpack(&bytes).expect_err("corrupt deflate data or CRC");
    assert!(
        matches!(error, ArchiveError::Gzip(_) | ArchiveError::Tar(_)),
        "{error:?}"
    );
}

#[test]
fn a_tar_without_its_end_marker_is_truncated() {
    let mut tar = tar_bytes(&[
        file("databases/nouns.csv", NOUNS),
        file("databases/verbs.csv", "version,verb\nv1,run\n"),
    ]);
    // Drop the two zero blocks (and any padding) after the last entry.
    while tar.ends_with(&[0u8; 512]) {
        tar.truncate(tar.len() - 512);
    }
    match unpack(&gzip(&tar)) {
        Err(error @ ArchiveError::TruncatedTar) => {
            assert!(
                error.to_string().contains("end-of-archive marker"),
                "{error}"
            );
        }
        other => panic!("expected TruncatedTar, got {other:?}"),
    }
}

#[test]
fn a_tar_cut_inside_an_entry_is_truncated() {
    let tar = tar_bytes(&[file("databases/nouns.csv", "version,noun\n".repeat(200))]);
    for cut in [100, 512, 700, 1500] {
        match unpack(&gzip(&tar[..cut])) {
            Err(ArchiveError::TruncatedTar | ArchiveError::Tar(_)) => {}
            other => panic!("cut at {cut}: expected a tar error, got {other:?}"),
        }
    }
}

#[test]
fn garbage_inside_a_valid_gzip_is_a_corrupt_tar() {
    let garbage: Vec<u8> = (0..2048u32).map(|i| (i * 31 % 251) as u8 + 1).collect();
    match unpack(&gzip(&garbage)) {
        Err(error @ ArchiveError::Tar(_)) => {
            assert!(error.to_string().contains("corrupt tar"), "{error}");
        }
        other => panic!("expected Tar, got {other:?}"),
    }
}

#[test]
fn a_gzipped_empty_tar_and_a_gzip_of_nothing_hold_no_entries() {
    assert!(matches!(
        unpack(&gzip(&[0u8; 1024])),
        Err(ArchiveError::NoEntries)
    ));
    assert!(matches!(unpack(&gzip(b"")), Err(ArchiveError::NoEntries)));
}

#[test]
fn an_archive_without_csv_names_what_it_skipped() {
    let bytes = targz(&[
        Entry::Dir("databases/".into()),
        file("databases/readme.txt", "hello"),
        file("databases/._x.csv", "junk"),
    ]);
    match unpack(&bytes) {
        Err(error @ ArchiveError::NoDatabases { .. }) => {
            let message = error.to_string();
            assert!(message.contains("no CSV databases"), "{message}");
            assert!(message.contains("3 entries skipped"), "{message}");
            assert!(message.contains("databases/readme.txt"), "{message}");
        }
        other => panic!("expected NoDatabases, got {other:?}"),
    }
}

#[test]
fn the_manager_never_writes_a_cache_for_a_truncated_archive() {
    let sandbox = Sandbox::new();
    let bytes = sizeable_archive();
    sandbox.write_archive(&bytes[..bytes.len() / 2]);
    let error = sandbox
        .manager()
        .load_or_build()
        .expect_err("a truncated archive cannot load");
    let message = error.to_string();
    assert!(message.starts_with("archive "), "{message}");
    assert!(message.contains("databases.tar.gz"), "{message}");
    assert!(
        sandbox.cache_files().is_empty(),
        "{:?}",
        sandbox.cache_files()
    );
}

#[test]
fn an_unreadable_archive_path_is_an_archive_error() {
    let sandbox = Sandbox::new();
    let error = sandbox
        .manager()
        .load_or_build()
        .expect_err("there is no archive file");
    assert!(
        matches!(
            error,
            Error::Archive {
                error: ArchiveError::Unreadable(_),
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn the_cli_names_a_bad_archive_in_one_line_and_exits_2() {
    let sandbox = Sandbox::new();
    let whole = sizeable_archive();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "text.tar.gz",
            b"just some text\n".to_vec(),
            "neither a gzip nor a tar file",
        ),
        ("zip.tar.gz", b"PK\x03\x04rest".to_vec(), "zip"),
        ("empty.tar.gz", Vec::new(), "empty file"),
        (
            "half.tar.gz",
            whole[..whole.len() / 2].to_vec(),
            "truncated",
        ),
        (
            "nocsv.tar.gz",
            common::archive_of(&[("a.txt", b"x")]),
            "no CSV",
        ),
    ];
    let data = sandbox.data_dir();
    for (name, bytes, what) in cases {
        let path = sandbox.path().join(name);
        std::fs::write(&path, bytes).expect("write archive");
        for command in [&["load"][..], &["get", "nouns", "cat"], &["status"]] {
            let mut args = vec!["--archive", path.to_str().expect("utf-8")];
            args.extend_from_slice(command);
            let output = common::run_in(&data, &args);
            let err = common::assert_one_line_error(&output, 2);
            assert!(err.contains(name), "{command:?} on {name}: {err}");
            assert!(err.contains(what), "{command:?} on {name}: {err}");
        }
    }
    assert!(!data.join("cache").join("checksums.json").exists());
}

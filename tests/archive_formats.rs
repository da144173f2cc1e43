//! Archive formats beyond one gzip member of a plain ustar: several gzip members, a plain tar, GNU and
//! PAX sparse members (fixtures made by GNU tar), GNU and PAX long names, names that are not UTF-8, and
//! error messages that stay one clean line whatever the archive's names hold.

mod common;

use std::path::Path;

use backstore::ArchiveError;
use backstore::catalog::Limits;
use backstore::catalog::archive::{self, SkipReason, SkippedEntry, Unpacked};
use common::{Entry, file, gzip, gzip_members, tar_bytes};

const NOUNS: &str = "version,noun\nv1,cat\nv1,dog\n";

fn unpack(bytes: &[u8]) -> Result<Unpacked, ArchiveError> {
    archive::unpack(bytes, &Limits::default())
}

fn names(unpacked: &Unpacked) -> Vec<&str> {
    unpacked.entries.iter().map(|e| e.name.as_str()).collect()
}

fn skipped(path: &str, reason: SkipReason) -> SkippedEntry {
    SkippedEntry {
        path: path.to_string(),
        reason,
    }
}

/// Three databases and some junk, large enough that member cuts fall in headers and in data.
fn sample_tar() -> Vec<u8> {
    let mut rows = String::from("version,key,value\n");
    for i in 0..400 {
        rows.push_str(&format!("v1,key{i},value {i}\n"));
    }
    tar_bytes(&[
        Entry::Dir("databases/".into()),
        file("databases/nouns.csv", NOUNS),
        file("databases/.DS_Store", b"\0\0\0\x01Bud1"),
        file("databases/rows.csv", &rows),
        file("databases/notes.txt", "hello"),
        file("verbs.csv", "version,verb\nv1,run\n"),
    ])
}

fn assert_same(a: &Unpacked, b: &Unpacked) {
    let bytes = |u: &Unpacked| {
        u.entries
            .iter()
            .map(|e| (e.name.clone(), e.path.clone(), e.bytes.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(bytes(a), bytes(b));
    assert_eq!(a.skipped, b.skipped);
}

#[test]
fn a_gzip_of_several_members_is_read_to_the_end_of_its_last_member() {
    let tar = sample_tar();
    let whole = unpack(&gzip(&tar)).expect("one member");
    assert_eq!(names(&whole), ["nouns", "rows", "verbs"]);
    // Cuts inside a header, inside an entry's data, on a block edge, and an empty member.
    for cuts in [
        vec![100],
        vec![512, 3000],
        vec![1024, 1024, tar.len() - 600],
        vec![tar.len() - 1],
    ] {
        let members = gzip_members(&tar, &cuts);
        let read = unpack(&members).unwrap_or_else(|e| panic!("members cut at {cuts:?}: {e}"));
        assert_same(&read, &whole);
    }
}

/// The offsets of each member's 8-byte trailer in a gzip made by [`gzip_members`].
fn member_ends(tar: &[u8], cuts: &[usize]) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut start = 0;
    let mut at = 0;
    for &cut in cuts.iter().chain(std::iter::once(&tar.len())) {
        at += gzip(&tar[start..cut]).len();
        ends.push(at);
        start = cut;
    }
    ends
}

#[test]
fn every_members_crc_and_length_are_checked_not_only_the_last_ones() {
    let tar = sample_tar();
    let cuts = [2000];
    let good = gzip_members(&tar, &cuts);
    let first_end = member_ends(&tar, &cuts)[0];
    for (what, at) in [("CRC", first_end - 8), ("length", first_end - 4)] {
        let mut bad = good.clone();
        bad[at] ^= 0x01;
        match unpack(&bad) {
            Err(error @ ArchiveError::Gzip(_)) => {
                assert!(error.to_string().contains("gzip"), "{error}");
            }
            other => {
                panic!("a wrong {what} in the first member: expected a gzip error, got {other:?}")
            }
        }
    }
}

#[test]
fn a_first_member_without_its_trailer_is_an_error() {
    let tar = sample_tar();
    let cuts = [2000];
    let good = gzip_members(&tar, &cuts);
    let first_end = member_ends(&tar, &cuts)[0];
    let mut bad = good[..first_end - 8].to_vec();
    bad.extend_from_slice(&good[first_end..]);
    assert!(unpack(&bad).is_err(), "a member lost its trailer");
}

#[test]
fn nul_padding_after_the_last_member_is_ignored_as_gzip_does() {
    let tar = sample_tar();
    let whole = unpack(&gzip(&tar)).expect("one member");
    for padding in [1, 7, 512, 10240] {
        let mut padded = gzip_members(&tar, &[700]);
        padded.resize(padded.len() + padding, 0);
        let read = unpack(&padded).unwrap_or_else(|e| panic!("{padding} NUL bytes: {e}"));
        assert_same(&read, &whole);
    }
}

#[test]
fn other_bytes_after_the_last_member_are_named_as_trailing_data() {
    let tar = sample_tar();
    let good = gzip(&tar);
    for tail in [&b"junk"[..], b"\0\0\x01", b"\x1f", b"\n"] {
        let mut bad = good.clone();
        bad.extend_from_slice(tail);
        let error = unpack(&bad).expect_err("trailing bytes");
        if tail == b"\x1f" {
            // One byte of a gzip magic number: not a member, and not padding.
            assert!(
                matches!(error, ArchiveError::TrailingData { .. }),
                "{error:?}"
            );
        }
        match &error {
            ArchiveError::TrailingData { offset, bytes } => {
                assert_eq!(*offset, good.len() as u64);
                assert_eq!(*bytes, tail.len() as u64);
                let message = error.to_string();
                assert!(message.contains("not gzip data"), "{message}");
            }
            other => panic!("{tail:?}: expected TrailingData, got {other:?}"),
        }
    }
    // A second member that starts but is cut short is a gzip error, not trailing data.
    let mut cut = good.clone();
    cut.extend_from_slice(&gzip(b"more")[..12]);
    assert!(
        matches!(unpack(&cut), Err(ArchiveError::Gzip(_))),
        "{:?}",
        unpack(&cut)
    );
}

#[test]
fn a_plain_tar_loads_exactly_like_its_gzip() {
    let tar = sample_tar();
    let plain = unpack(&tar).expect("a plain tar is an archive");
    let gzipped = unpack(&gzip(&tar)).expect("its gzip");
    assert_same(&plain, &gzipped);
    assert_eq!(names(&plain), ["nouns", "rows", "verbs"]);
    assert_eq!(
        plain.skipped,
        [
            skipped("databases/", SkipReason::Directory),
            skipped("databases/.DS_Store", SkipReason::Hidden),
            skipped("databases/notes.txt", SkipReason::NotCsv),
        ]
    );
}

#[test]
fn a_plain_ustar_and_a_plain_v7_tar_are_recognised_by_their_first_header() {
    // A ustar header carries its magic; an old (v7) header only its checksum.
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_old();
    header.set_size(NOUNS.len() as u64);
    header.set_mode(0o644);
    builder
        .append_data(&mut header, "nouns.csv", NOUNS.as_bytes())
        .expect("tar in memory");
    let v7 = builder.into_inner().expect("tar in memory");
    assert_ne!(&v7[257..262], b"ustar");
    assert_eq!(names(&unpack(&v7).expect("a v7 tar")), ["nouns"]);

    let mut ustar = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_ustar();
    header.set_size(NOUNS.len() as u64);
    header.set_mode(0o644);
    ustar
        .append_data(&mut header, "databases/nouns.csv", NOUNS.as_bytes())
        .expect("tar in memory");
    let ustar = ustar.into_inner().expect("tar in memory");
    assert_eq!(names(&unpack(&ustar).expect("a ustar tar")), ["nouns"]);

    // With its checksum broken, a ustar header is still a tar: a corrupt one.
    let mut broken = ustar.clone();
    broken[0] ^= 0x20;
    match unpack(&broken) {
        Err(error @ ArchiveError::Tar(_)) => {
            assert!(error.to_string().contains("checksum"), "{error}");
        }
        other => panic!("expected a corrupt tar, got {other:?}"),
    }
}

#[test]
fn a_plain_tar_cut_before_its_end_marker_is_an_error_and_never_a_partial_load() {
    let tar = sample_tar();
    let whole = unpack(&tar).expect("whole");
    // The tar crate's builder ends with two zero blocks; the first one proves the end.
    let marker_end = tar.len() - 512;
    for cut in (1..marker_end)
        .step_by(61)
        .chain([511, 512, 513, marker_end - 1])
    {
        assert!(
            unpack(&tar[..cut]).is_err(),
            "cut at {cut} of {} loaded",
            tar.len()
        );
    }
    // After the first zero block nothing is lost: the same archive, whole.
    for cut in [marker_end, marker_end + 1, tar.len() - 1] {
        assert_same(&unpack(&tar[..cut]).expect("complete"), &whole);
    }
}

#[test]
fn a_plain_tar_is_held_to_the_same_limits() {
    let tar = sample_tar();
    let entry_limit = Limits {
        max_entry_bytes: 1000,
        max_total_bytes: 1 << 20,
        max_ratio: 0,
        ..Limits::DEFAULT
    };
    match archive::unpack(&tar, &entry_limit) {
        Err(ArchiveError::EntryTooLarge { path, limit, .. }) => {
            assert_eq!(path, "databases/rows.csv");
            assert_eq!(limit, 1000);
        }
        other => panic!("expected EntryTooLarge, got {other:?}"),
    }
    let total_limit = Limits {
        max_entry_bytes: 1 << 20,
        max_total_bytes: 4096,
        max_ratio: 0,
        ..Limits::DEFAULT
    };
    assert!(matches!(
        archive::unpack(&tar, &total_limit),
        Err(ArchiveError::TotalTooLarge { limit: 4096 })
    ));
    // Bytes after the end marker are not read, so they do not count.
    let mut padded = tar.clone();
    padded.resize(tar.len() + 64 * 1024, 0);
    let roomy = Limits {
        max_entry_bytes: 1 << 20,
        max_total_bytes: tar.len() as u64,
        max_ratio: 0,
        ..Limits::DEFAULT
    };
    assert!(archive::unpack(&padded, &roomy).is_ok());
}

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/archive")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn gnu_and_pax_sparse_members_made_by_gnu_tar_are_skipped_by_their_real_names() {
    // See tests/fixtures/archive/make.sh: holes.csv has eleven data regions (GNU extension headers),
    // tail.csv is sparse and the last member.
    for name in [
        "gnu-sparse.tar.gz",
        "pax-sparse-0.0.tar.gz",
        "pax-sparse-0.1.tar.gz",
        "pax-sparse-1.0.tar.gz",
    ] {
        let unpacked = unpack(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let read: Vec<(&str, &[u8])> = unpacked
            .entries
            .iter()
            .map(|e| (e.path.as_str(), e.bytes.as_slice()))
            .collect();
        assert_eq!(
            read,
            [
                ("databases/nouns.csv", NOUNS.as_bytes()),
                ("databases/after.csv", &b"key,value\nk1,v1\n"[..]),
            ],
            "{name}"
        );
        assert_eq!(
            unpacked.skipped,
            [
                skipped("databases/holes.csv", SkipReason::Sparse),
                skipped("databases/tail.csv", SkipReason::Sparse),
            ],
            "{name}"
        );
        backstore::testkit::archive_check::check_with(&fixture(name), &Limits::default());
    }
    assert_eq!(
        SkipReason::Sparse.describe(),
        "sparse file (its holes are not CSV)"
    );
}

#[test]
fn names_that_are_not_utf8_are_skipped_and_never_become_one_database() {
    // Made readable with U+FFFD, all three would be "databases/\u{fffd}.csv".
    let bytes = common::targz(&[
        Entry::RawName(b"databases/\xff.csv".to_vec(), b"key\nfirst\n".to_vec()),
        Entry::RawName(b"databases/\xfe.csv".to_vec(), b"key\nsecond\n".to_vec()),
        file("databases/\u{fffd}.csv", "key\nthird\n"),
        Entry::GnuLongName(
            [&b"databases/"[..], &[b'n'; 120], b"\xc3.csv"].concat(),
            b"key\nfourth\n".to_vec(),
        ),
    ]);
    let unpacked = unpack(&bytes).expect("the valid name is a database");
    assert_eq!(names(&unpacked), ["\u{fffd}"]);
    assert_eq!(unpacked.entries[0].bytes, b"key\nthird\n");
    let long = format!("databases/{}\\xc3.csv", "n".repeat(120));
    assert_eq!(
        unpacked.skipped,
        [
            skipped("databases/\\xff.csv", SkipReason::NotUtf8),
            skipped("databases/\\xfe.csv", SkipReason::NotUtf8),
            skipped(&long, SkipReason::NotUtf8),
        ]
    );
    assert_eq!(SkipReason::NotUtf8.describe(), "name is not valid UTF-8");
}

#[test]
fn pax_paths_rename_the_entry_they_describe_and_an_unsafe_one_is_refused() {
    let long = format!("databases/{}.csv", "l".repeat(150));
    let pax = |path: &str| Entry::PaxLocal(vec![("path".to_string(), path.as_bytes().to_vec())]);
    let bytes = common::targz(&[
        pax("databases/renamed.csv"),
        file("databases/original.csv", NOUNS),
        pax("../x.csv"),
        file("databases/innocent.csv", "key\nk\n"),
        pax(&long),
        file("databases/short.csv", "key\nlong\n"),
        pax("databases/folder/"),
        file("databases/folder.csv", "key\nk\n"),
        Entry::GnuLongName(
            b"databases/../../etc/evil.csv".to_vec(),
            b"key\nk\n".to_vec(),
        ),
        file("databases/after.csv", "key\nafter\n"),
    ]);
    let unpacked = unpack(&bytes).expect("readable");
    let read: Vec<(&str, &str)> = unpacked
        .entries
        .iter()
        .map(|e| (e.name.as_str(), e.path.as_str()))
        .collect();
    assert_eq!(
        read,
        [
            ("renamed", "databases/renamed.csv"),
            (&long[10..long.len() - 4], long.as_str()),
            ("after", "databases/after.csv"),
        ]
    );
    assert_eq!(unpacked.entries[0].bytes, NOUNS.as_bytes());
    assert_eq!(
        unpacked.skipped,
        [
            skipped("../x.csv", SkipReason::UnsafePath),
            skipped("databases/folder/", SkipReason::Directory),
            skipped("databases/../../etc/evil.csv", SkipReason::UnsafePath),
        ]
    );
}

#[test]
fn entries_without_a_file_name_or_with_a_trailing_slash_are_not_databases() {
    let bytes = common::targz(&[
        Entry::RawName(b"x.csv/".to_vec(), b"key\nk\n".to_vec()),
        Entry::RawName(b".".to_vec(), b"key\nk\n".to_vec()),
        Entry::RawName(b"./".to_vec(), b"key\nk\n".to_vec()),
        Entry::RawName(b"/".to_vec(), b"key\nk\n".to_vec()),
        Entry::Fifo("databases/pipe.csv".into()),
        file("databases/nouns.csv", NOUNS),
    ]);
    let unpacked = unpack(&bytes).expect("readable");
    assert_eq!(names(&unpacked), ["nouns"]);
    assert_eq!(
        unpacked.skipped,
        [
            skipped("x.csv/", SkipReason::Directory),
            skipped(".", SkipReason::NoName),
            skipped("./", SkipReason::Directory),
            skipped("/", SkipReason::Directory),
            skipped("databases/pipe.csv", SkipReason::Special),
        ]
    );
}

/// Every way our messages may be written must stay one line, free of terminal control.
fn assert_clean(message: &str) {
    let bad = |c: char| c.is_control() || ('\u{2028}'..='\u{2029}').contains(&c) || c == '\u{202e}';
    assert!(!message.chars().any(bad), "raw control text in {message:?}");
}

#[test]
fn names_with_control_characters_cannot_clear_the_screen_or_forge_a_line_in_an_error() {
    let crafted = "databases/\x1b[2J\x1b[H\rbackstore: all good\n\u{202e}lqs.csv";
    let small = Limits {
        max_entry_bytes: 4,
        max_total_bytes: 1 << 20,
        max_ratio: 0,
        ..Limits::DEFAULT
    };
    let error = archive::unpack(&common::archive_of(&[(crafted, NOUNS.as_bytes())]), &small)
        .expect_err("over the entry limit");
    assert!(matches!(&error, ArchiveError::EntryTooLarge { path, .. } if path == crafted));
    let message = error.to_string();
    assert_clean(&message);
    assert!(
        message.contains("databases/\\x1b[2J\\x1b[H\\rbackstore: all good\\n\\u{202e}lqs.csv"),
        "{message}"
    );

    let error = unpack(&common::archive_of(&[("a\x07\x1b]0;title\x07.txt", b"x")]))
        .expect_err("no databases");
    assert!(matches!(error, ArchiveError::NoDatabases { .. }));
    let message = error.to_string();
    assert_clean(&message);
    assert!(
        message.contains("a\\x07\\x1b]0;title\\x07.txt"),
        "{message}"
    );
}

#[test]
fn a_tar_crate_error_that_quotes_a_crafted_name_is_escaped_too() {
    // A size field that is not a number: the tar crate's message names the entry.
    let mut header = tar::Header::new_gnu();
    let name = b"x\n\x1b[31mred.csv";
    header.as_old_mut().name[..name.len()].copy_from_slice(name);
    header.as_old_mut().size.copy_from_slice(b"zzzzzzzzzzz\0");
    header.set_mode(0o644);
    header.set_cksum();
    let mut tar = header.as_bytes().to_vec();
    tar.extend_from_slice(&[0u8; 1024]);
    let error = unpack(&gzip(&tar)).expect_err("a bad size field");
    let message = error.to_string();
    assert!(matches!(error, ArchiveError::Tar(_)), "{error:?}");
    assert_clean(&message);
    assert!(message.contains("x\\n\\x1b[31mred.csv"), "{message}");
}

#[test]
fn the_cli_reads_a_plain_tar_and_a_multi_member_gzip_and_keeps_bad_names_off_the_terminal() {
    let sandbox = common::Sandbox::new();
    let tar = sample_tar();
    for (name, bytes) in [
        ("plain.tar", tar.clone()),
        ("members.tar.gz", gzip_members(&tar, &[777, 2048])),
    ] {
        let path = sandbox.path().join(name);
        std::fs::write(&path, bytes).expect("write the archive");
        let output = common::run_in(
            &sandbox.data_dir(),
            &["--archive", path.to_str().expect("utf-8"), "list", "--json"],
        );
        assert_eq!(common::code(&output), 0, "{}", common::stderr(&output));
        let listed = common::json(&output).to_string();
        for db in ["nouns", "rows", "verbs"] {
            assert!(listed.contains(db), "{name}: {listed}");
        }
    }
    let path = sandbox.path().join("crafted.tar.gz");
    let crafted = common::archive_of(&[("\x1b[2J\rbackstore: fine\n.txt", b"x")]);
    std::fs::write(&path, crafted).expect("write the archive");
    let output = common::run_in(
        &sandbox.data_dir(),
        &["--archive", path.to_str().expect("utf-8"), "load"],
    );
    let err = common::assert_one_line_error(&output, 2);
    assert!(!err.contains('\x1b') && !err.contains('\r'), "{err:?}");
    assert!(err.contains("no CSV databases"), "{err}");
}

#[test]
fn a_pax_name_the_tar_crate_cannot_parse_is_skipped_not_loaded_under_the_header_name() {
    // PAX allows a newline in a value; the tar crate splits records at newlines and would fall back
    // to the header's name, loading a database under a name the archive does not give it.
    let bytes = common::targz(&[
        Entry::PaxLocal(vec![("path".into(), b"databases/real\nname.csv".to_vec())]),
        file("databases/decoy.csv", "key\nk\n"),
        file("databases/nouns.csv", NOUNS),
    ]);
    let unpacked = unpack(&bytes).expect("readable");
    assert_eq!(names(&unpacked), ["nouns"]);
    assert_eq!(
        unpacked.skipped,
        [skipped("databases/decoy.csv", SkipReason::UnreadablePax)]
    );
}

#[test]
fn a_pax_size_the_tar_crate_did_not_apply_makes_the_archive_unreadable() {
    // After an unreadable record the tar crate ignores `size`, and would look for the next header
    // inside this entry's data.
    let data = b"key\nk\n".repeat(200);
    let mut builder = tar::Builder::new(Vec::new());
    let size = data.len().to_string();
    let records = [("comment", &b"two\nlines"[..]), ("size", size.as_bytes())];
    builder
        .append_pax_extensions(records.iter().map(|(k, v)| (*k, *v)))
        .expect("tar in memory");
    let mut header = tar::Header::new_gnu();
    header.set_size(0);
    header.set_mode(0o644);
    header
        .set_path("databases/smuggler.csv")
        .expect("a short path");
    header.set_cksum();
    builder
        .append(&header, data.as_slice())
        .expect("tar in memory");
    let tar = builder.into_inner().expect("tar in memory");
    match unpack(&gzip(&tar)) {
        Err(error @ ArchiveError::UncertainSize { .. }) => {
            let message = error.to_string();
            assert!(message.contains("databases/smuggler.csv"), "{message}");
            assert!(message.contains("PAX size"), "{message}");
        }
        other => panic!("expected UncertainSize, got {other:?}"),
    }
    backstore::testkit::archive_check::check(&gzip(&tar));
}

//! The archive reader against what was written: random tar contents made with the `tar` crate's builder
//! (nested paths, dotfiles, `._` files, non-CSV files, directories, links, FIFOs, PAX global and local
//! headers, GNU and PAX long names, GNU and PAX sparse members, names that are not UTF-8, data sizes
//! around 512-byte block edges), packed as a plain tar or as one or several gzip members, must read back
//! as exactly the databases our documented rules keep, in order, and the rest skipped for the right
//! reason. Every case also goes through `testkit::archive_check`, the reference on the tar crate's API.
//! And any archive cut short is an error, never a partial load.
//!
//! `PROPTEST_CASES` raises the case counts.

mod common;

use std::collections::HashSet;

use backstore::catalog::Limits;
use backstore::catalog::archive::{self, SkipReason, SkippedEntry, Unpacked};
use backstore::testkit::archive_check;
use proptest::prelude::*;
use tar::{EntryType, Header};

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    File(Vec<u8>),
    Dir,
    Symlink,
    HardLink,
    Fifo,
    PaxGlobal,
    /// A PAX 1.0 sparse member: a regular header under a made-up name, the real one in `GNU.sparse.name`.
    PaxSparse(Vec<u8>),
    /// An old GNU sparse member (type `S`): one data region at the end of a larger file.
    GnuSparse(Vec<u8>),
}

/// How the entry's name is written.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Naming {
    /// In the header: the old name field up to 100 bytes, else a ustar prefix, else a GNU long name.
    Header,
    /// A GNU long-name entry in front.
    GnuLong,
    /// A PAX `path` record, over a decoy name in the header that would be a database of its own.
    Pax,
}

#[derive(Debug, Clone)]
struct Spec {
    kind: Kind,
    name: Vec<u8>,
    naming: Naming,
    /// Other PAX records beside it (times, a macOS xattr), folded into the same entry.
    extra_pax: bool,
}

#[derive(Debug, Clone)]
enum Packing {
    /// A plain tar with this many zero bytes after the builder's end marker.
    Plain { padding: usize },
    /// Gzip members cut at these fractions of the tar, then NUL padding.
    Gzip { cuts: Vec<u16>, padding: usize },
}

fn component() -> impl Strategy<Value = Vec<u8>> {
    let fixed: Vec<&'static [u8]> = vec![
        b"databases",
        b"db",
        b"a",
        b"nouns.csv",
        b"Nouns.csv",
        b"x.csv",
        b"X.CSV",
        b"y.Csv",
        b".csv",
        b"csv",
        b"notes.txt",
        b"a.csv.bak",
        b".hidden",
        b".DS_Store",
        b"._nouns.csv",
        b"..",
        b".",
        b"",
        "é.csv".as_bytes(),
        "\u{fffd}.csv".as_bytes(),
        b"\xff.csv",
        b"\xfe.csv",
        b"\xc3.csv",
        b"ctl\x1b[2J.csv",
        b"line\nbreak.csv",
        b"sp ace.csv",
        b"back\\slash.csv",
    ];
    prop_oneof![
        8 => proptest::sample::select(fixed).prop_map(<[u8]>::to_vec),
        1 => (40usize..140).prop_map(|n| {
            let mut long = vec![b'l'; n];
            long.extend_from_slice(b".csv");
            long
        }),
    ]
}

fn name() -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::collection::vec(component(), 1..=3),
        prop::bool::weighted(0.05),
        prop::bool::weighted(0.05),
    )
        .prop_map(|(parts, leading, trailing)| {
            let mut name = if leading { b"/".to_vec() } else { Vec::new() };
            name.extend_from_slice(&parts.join(&b'/'));
            if trailing {
                name.push(b'/');
            }
            name
        })
}

fn data() -> impl Strategy<Value = Vec<u8>> {
    let edge = prop_oneof![
        Just(0usize),
        Just(1),
        Just(511),
        Just(512),
        Just(513),
        Just(1023),
        Just(1024),
        Just(1025),
        0usize..1600,
    ];
    (edge, any::<u8>()).prop_map(|(len, seed)| {
        // Text-like bytes most of the time, so gzip has something to compress.
        (0..len)
            .map(|i| b"k,v\n0123456789abc"[(i * 7 + seed as usize) % 17])
            .collect()
    })
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        12 => data().prop_map(Kind::File),
        1 => Just(Kind::Dir),
        1 => Just(Kind::Symlink),
        1 => Just(Kind::HardLink),
        1 => Just(Kind::Fifo),
        1 => Just(Kind::PaxGlobal),
        1 => data().prop_map(Kind::PaxSparse),
        1 => data().prop_map(Kind::GnuSparse),
    ]
}

fn spec() -> impl Strategy<Value = Spec> {
    let naming = prop_oneof![
        6 => Just(Naming::Header),
        1 => Just(Naming::GnuLong),
        2 => Just(Naming::Pax),
    ];
    (kind(), name(), naming, prop::bool::weighted(0.2)).prop_map(
        |(kind, name, naming, extra_pax)| Spec {
            kind,
            name,
            naming,
            extra_pax,
        },
    )
}

fn packing() -> impl Strategy<Value = Packing> {
    let padding = prop_oneof![4 => Just(0usize), 1 => 1usize..2048];
    prop_oneof![
        1 => padding.clone().prop_map(|padding| Packing::Plain { padding }),
        3 => (proptest::collection::vec(any::<u16>(), 0..4), padding)
            .prop_map(|(cuts, padding)| Packing::Gzip { cuts, padding }),
    ]
}

/// Writes `bytes` over the start of a header field.
fn put(field: &mut [u8], bytes: &[u8]) {
    field[..bytes.len()].copy_from_slice(bytes);
}

fn append(builder: &mut tar::Builder<Vec<u8>>, spec: &Spec) {
    let name = spec.name.as_slice();
    let empty = Vec::new();
    let (kind, data) = match &spec.kind {
        Kind::File(data) => (EntryType::Regular, data),
        Kind::Dir => (EntryType::Directory, &empty),
        Kind::Symlink => (EntryType::Symlink, &empty),
        Kind::HardLink => (EntryType::Link, &empty),
        Kind::Fifo => (EntryType::Fifo, &empty),
        Kind::PaxGlobal => (EntryType::XGlobalHeader, &empty),
        Kind::PaxSparse(data) => (EntryType::Regular, data),
        Kind::GnuSparse(data) => (EntryType::GNUSparse, data),
    };
    let global_body = b"24 comment=made by a test\n".to_vec();
    let data = if spec.kind == Kind::PaxGlobal {
        &global_body
    } else {
        data
    };

    let mut pax: Vec<(&str, Vec<u8>)> = Vec::new();
    if spec.naming == Naming::Pax {
        pax.push(("path", name.to_vec()));
    }
    if let Kind::PaxSparse(data) = &spec.kind {
        pax.push(("GNU.sparse.major", b"1".to_vec()));
        pax.push(("GNU.sparse.minor", b"0".to_vec()));
        pax.push(("GNU.sparse.name", name.to_vec()));
        pax.push((
            "GNU.sparse.realsize",
            (data.len() + 4096).to_string().into_bytes(),
        ));
    }
    if spec.extra_pax {
        pax.push(("mtime", b"1700000000.25".to_vec()));
        pax.push((
            "LIBARCHIVE.xattr.com.apple.quarantine",
            b"MDA4MTs2NTk=".to_vec(),
        ));
    }
    if !pax.is_empty() {
        builder
            .append_pax_extensions(pax.iter().map(|(k, v)| (*k, v.as_slice())))
            .expect("tar in memory");
    }

    // Sparse members need a GNU header, which has no prefix field.
    let split = ustar_split(name).filter(|_| !matches!(spec.kind, Kind::GnuSparse(_)));
    let long = spec.naming == Naming::GnuLong
        || (spec.naming == Naming::Header && name.len() > 100 && split.is_none());
    if long {
        common::append_gnu_long_name(builder, name).expect("tar in memory");
    }
    let mut header = if spec.naming == Naming::Header && !long && name.len() > 100 {
        Header::new_ustar()
    } else {
        Header::new_gnu()
    };
    header.set_entry_type(kind);
    header.set_mode(0o644);
    header.set_size(data.len() as u64);
    match spec.naming {
        Naming::Pax if matches!(spec.kind, Kind::PaxSparse(_)) => put(
            &mut header.as_old_mut().name,
            b"databases/GNUSparseFile.0/sparse.csv",
        ),
        Naming::Pax => put(&mut header.as_old_mut().name, b"decoy/decoy.csv"),
        Naming::GnuLong => put(&mut header.as_old_mut().name, &name[..name.len().min(99)]),
        Naming::Header if long => put(&mut header.as_old_mut().name, &name[..99]),
        Naming::Header => match (name.len() > 100, split) {
            (true, Some(at)) => {
                let ustar = header.as_ustar_mut().expect("a ustar header");
                put(&mut ustar.prefix, &name[..at]);
                put(&mut ustar.name, &name[at + 1..]);
            }
            _ => put(&mut header.as_old_mut().name, name),
        },
    }
    if matches!(spec.kind, Kind::Symlink | Kind::HardLink) {
        put(&mut header.as_old_mut().linkname, b"databases/target.csv");
    }
    if let Kind::GnuSparse(data) = &spec.kind {
        let gnu = header.as_gnu_mut().expect("a GNU header");
        gnu.set_real_size(data.len() as u64 + 4096);
        gnu.sparse[0].set_offset(4096);
        gnu.sparse[0].set_length(data.len() as u64);
    }
    header.set_cksum();
    builder
        .append(&header, data.as_slice())
        .expect("tar in memory");
}

/// Where a ustar header can split a long name into prefix (up to 155 bytes) and name (up to 100).
fn ustar_split(name: &[u8]) -> Option<usize> {
    (1..name.len()).rev().find(|&at| {
        name[at] == b'/' && at <= 155 && name.len() - at - 1 <= 100 && at + 1 < name.len()
    })
}

struct Packed {
    bytes: Vec<u8>,
    /// Cuts shorter than this must fail; longer ones may read the whole archive.
    detectable_below: usize,
    /// Gzip member boundaries: a cut there leaves a valid gzip of part of the tar.
    boundaries: Vec<usize>,
}

fn pack(tar: &[u8], packing: &Packing) -> Packed {
    match packing {
        Packing::Plain { padding } => {
            let mut bytes = tar.to_vec();
            bytes.resize(tar.len() + padding, 0);
            // The builder wrote two zero blocks; the first one ends the archive.
            Packed {
                bytes,
                detectable_below: tar.len() - 512,
                boundaries: Vec::new(),
            }
        }
        Packing::Gzip { cuts, padding } => {
            let mut cuts: Vec<usize> = cuts
                .iter()
                .map(|c| *c as usize * tar.len() / u16::MAX as usize)
                .collect();
            cuts.sort_unstable();
            let mut bytes = Vec::new();
            let mut boundaries = Vec::new();
            let mut start = 0;
            for &cut in cuts.iter().chain(std::iter::once(&tar.len())) {
                bytes.extend_from_slice(&common::gzip(&tar[start..cut]));
                boundaries.push(bytes.len());
                start = cut;
            }
            let detectable_below = bytes.len();
            bytes.resize(bytes.len() + padding, 0);
            Packed {
                bytes,
                detectable_below,
                boundaries,
            }
        }
    }
}

/// What the documented rules make of the specs: the databases (name, path, bytes) and the skipped.
/// A database as read: name, path, bytes.
type Database = (String, String, Vec<u8>);

fn model(specs: &[Spec]) -> (Vec<Database>, Vec<SkippedEntry>) {
    let mut kept = Vec::new();
    let mut skipped = Vec::new();
    let mut taken = HashSet::new();
    for spec in specs {
        // The tar crate splits PAX records at newlines: a `path` holding one is lost, and the name in
        // the header shows instead (a `GNU.sparse.name` holding one is lost the same way).
        let pax_broken = spec.naming == Naming::Pax && spec.name.contains(&b'\n');
        let raw: &[u8] = match &spec.kind {
            Kind::PaxSparse(_) if pax_broken => b"databases/GNUSparseFile.0/sparse.csv",
            _ if pax_broken => b"decoy/decoy.csv",
            _ => &spec.name,
        };
        let shown_bytes = match &spec.kind {
            Kind::PaxSparse(_) if !spec.name.contains(&b'\n') => &spec.name,
            _ => raw,
        };
        let shown = String::from_utf8(shown_bytes.to_vec()).unwrap_or_else(|_| {
            shown_bytes
                .utf8_chunks()
                .map(|c| {
                    let bad: String = c.invalid().iter().map(|b| format!("\\x{b:02x}")).collect();
                    format!("{}{bad}", c.valid())
                })
                .collect()
        });
        let outcome = match &spec.kind {
            Kind::Dir => Err(SkipReason::Directory),
            Kind::Symlink | Kind::HardLink => Err(SkipReason::Link),
            Kind::PaxGlobal => Err(SkipReason::Metadata),
            Kind::PaxSparse(_) | Kind::GnuSparse(_) => Err(SkipReason::Sparse),
            Kind::Fifo => Err(SkipReason::Special),
            Kind::File(_) if raw.ends_with(b"/") => Err(SkipReason::Directory),
            Kind::File(_) if pax_broken => Err(SkipReason::UnreadablePax),
            Kind::File(data) => rules(raw).map(|name| (name, data.clone())),
        };
        match outcome {
            Ok((name, _)) if !taken.insert(name.clone()) => skipped.push(SkippedEntry {
                path: shown,
                reason: SkipReason::DuplicateName,
            }),
            Ok((name, data)) => kept.push((name, shown, data)),
            Err(reason) => skipped.push(SkippedEntry {
                path: shown,
                reason,
            }),
        }
    }
    (kept, skipped)
}

/// The path rules of README's "Archives and CSV", for a regular file.
fn rules(name: &[u8]) -> Result<String, SkipReason> {
    let name = std::str::from_utf8(name).map_err(|_| SkipReason::NotUtf8)?;
    if name.starts_with('/') || name.split('/').any(|p| p == "..") {
        return Err(SkipReason::UnsafePath);
    }
    let parts: Vec<&str> = name
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    let file = *parts.last().ok_or(SkipReason::NoName)?;
    if file.starts_with("._") {
        Err(SkipReason::AppleDouble)
    } else if parts.iter().any(|p| p.starts_with('.')) {
        Err(SkipReason::Hidden)
    } else if parts.len() > 2 {
        Err(SkipReason::Nested)
    } else if file.len() > 4
        && file.is_char_boundary(file.len() - 4)
        && file[file.len() - 4..].eq_ignore_ascii_case(".csv")
    {
        Ok(file[..file.len() - 4].to_string())
    } else {
        Err(SkipReason::NotCsv)
    }
}

fn read(unpacked: &Unpacked) -> Vec<Database> {
    unpacked
        .entries
        .iter()
        .map(|e| (e.name.clone(), e.path.clone(), e.bytes.clone()))
        .collect()
}

fn config(cases: u32) -> ProptestConfig {
    let mut config = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = cases;
    }
    config
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn random_archives_read_back_as_exactly_what_the_rules_keep(
        specs in proptest::collection::vec(spec(), 0..10),
        packing in packing(),
    ) {
        let mut builder = tar::Builder::new(Vec::new());
        for spec in &specs {
            append(&mut builder, spec);
        }
        let tar = builder.into_inner().expect("tar in memory");
        let packed = pack(&tar, &packing);
        let (kept, skipped) = model(&specs);

        let result = archive::unpack(&packed.bytes, &Limits::default());
        match (&result, specs.is_empty(), kept.is_empty()) {
            (Err(backstore::ArchiveError::NoEntries), true, _) => {}
            (Err(backstore::ArchiveError::NoDatabases { skipped: n, .. }), false, true) => {
                prop_assert_eq!(*n, skipped.len());
            }
            (Ok(unpacked), false, false) => {
                prop_assert_eq!(read(unpacked), kept);
                prop_assert_eq!(&unpacked.skipped, &skipped);
            }
            (other, _, _) => prop_assert!(false, "got {:?}, expected {:?} / {:?}", other, kept, skipped),
        }
        archive_check::check_with(&packed.bytes, &Limits::default());
    }
}

proptest! {
    // Each case cuts its archive at nine places or more and reads every piece twice.
    #![proptest_config(config(256))]

    #[test]
    fn an_archive_cut_short_anywhere_is_an_error_never_a_partial_load(
        specs in proptest::collection::vec(spec(), 1..6),
        packing in packing(),
        cuts in proptest::collection::vec(any::<u32>(), 6),
    ) {
        let mut builder = tar::Builder::new(Vec::new());
        for spec in &specs {
            append(&mut builder, spec);
        }
        let tar = builder.into_inner().expect("tar in memory");
        let packed = pack(&tar, &packing);
        let whole = archive::unpack(&packed.bytes, &Limits::default());
        let len = packed.bytes.len();
        let mut positions: Vec<usize> = cuts.iter().map(|c| *c as usize % len).collect();
        positions.extend([packed.detectable_below.saturating_sub(1), packed.detectable_below.min(len - 1)]);
        positions.extend(packed.boundaries.iter().filter(|b| **b < len));
        for cut in positions {
            let part = &packed.bytes[..cut];
            let result = archive::unpack(part, &Limits::default());
            let at_boundary = packed.boundaries.contains(&cut);
            if cut < packed.detectable_below && !at_boundary {
                prop_assert!(result.is_err(), "cut at {} of {} loaded", cut, len);
            }
            match (&result, &whole) {
                (Err(_), _) => {}
                (Ok(part), Ok(whole)) => {
                    prop_assert_eq!(read(part), read(whole), "cut at {} of {}", cut, len);
                    prop_assert_eq!(&part.skipped, &whole.skipped);
                }
                (Ok(_), Err(e)) => prop_assert!(false, "cut at {} loaded, the whole fails: {}", cut, e),
            }
            archive_check::check_with(part, &Limits::default());
        }
    }
}

/// Found by the cut-short property: a plain tar cut right after its `ustar` magic (262 bytes) is a truncated
/// tar to our reader, and the reference must say the same rather than "not an archive".
#[test]
fn a_plain_tar_cut_just_after_its_magic_is_a_truncated_tar() {
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = Header::new_ustar();
    header.set_size(3);
    header.set_cksum();
    builder
        .append_data(&mut header, "databases/a.csv", &b"k\n1"[..])
        .expect("tar in memory");
    let tar = builder.into_inner().expect("tar in memory");
    let cut = &tar[..262];
    assert!(matches!(
        archive::unpack(cut, &Limits::default()),
        Err(backstore::ArchiveError::TruncatedTar)
    ));
    archive_check::check_with(cut, &Limits::default());
}

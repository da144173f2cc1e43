//! The archive reader's oracle: its documented rules written a second time, directly on flate2's and the
//! tar crate's own API (whole-stream decompression, a reader that fails at the end of its bytes, `Path`
//! components), and a check that runs both on the same bytes and panics when they disagree.
//!
//! Where an archive is broken the two agree that it is, not on the words: which problem is met first can
//! depend on reading order (ours streams, the reference decompresses everything first).
//!
//! Which truncations can be seen: a gzip stream cut anywhere but at a member boundary or inside the NUL
//! padding after its last member (its trailer is missing); a tar stream, gzipped or not, that runs out
//! before a zero block (the tar reader asked for more than there is). A plain tar cut after its first
//! zero block, or a gzip cut at a member boundary after the tar's first zero block, has lost nothing
//! and reads whole, by both.

use std::borrow::Cow;
use std::collections::HashSet;
use std::io::{self, Read};
use std::path::{Component, Path};

use crate::catalog::Limits;
use crate::catalog::archive::{self, SkipReason, SkippedEntry};

/// Small limits, so a fuzzed bomb costs milliseconds; large enough for every committed seed.
/// The caps stay at these floors (no ratio), as the reference applies them.
pub const LIMITS: Limits = Limits {
    max_entry_bytes: 256 << 10,
    max_total_bytes: 2 << 20,
    max_ratio: 0,
    ..Limits::DEFAULT
};

/// One database as the reference finds it: name, path, bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub name: String,
    pub path: String,
    pub bytes: Vec<u8>,
}

/// What the reference reads out of an archive that is not broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub entries: Vec<Kept>,
    pub skipped: Vec<SkippedEntry>,
}

/// Why the reference finds an archive broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Broken {
    Empty,
    NotAnArchive,
    Gzip(String),
    TooLarge,
    Tar(String),
    Truncated,
    EntryTooLarge(String),
    NoEntries,
    NoDatabases,
}

/// [`check_with`] under [`LIMITS`], on the bytes as they are and, since a mutation rarely keeps a tar
/// header's checksum or a gzip member's CRC right, on the same bytes with a valid checksum in every
/// 512-byte block, as a plain tar and gzipped in two members.
pub fn check(bytes: &[u8]) {
    check_with(bytes, &LIMITS);
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return;
    }
    let tar = with_checksums(bytes);
    check_with(&tar, &LIMITS);
    let cut = tar.len() / 2;
    let mut members = gzip(&tar[..cut]);
    members.extend_from_slice(&gzip(&tar[cut..]));
    check_with(&members, &LIMITS);
}

/// Every whole 512-byte block that is not all zeros gets the checksum a tar header of those bytes
/// would have (data blocks too: both readers see the same bytes either way).
fn with_checksums(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for block in out.chunks_exact_mut(512) {
        if block.iter().all(|b| *b == 0) {
            continue;
        }
        block[148..156].fill(b' ');
        let sum: u32 = block.iter().map(|b| u32::from(*b)).sum();
        block[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    }
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).expect("gzip to memory");
    encoder.finish().expect("gzip to memory")
}

/// Runs our reader and the reference on `bytes`; panics unless both keep the same databases (name, path
/// and bytes, in order) and skip the same entries for the same reasons, or both find the archive broken.
/// Any error message of ours must be one line without control characters.
pub fn check_with(bytes: &[u8], limits: &Limits) {
    let ours = archive::unpack(bytes, limits);
    let reference = reference(bytes, limits);
    match (&ours, &reference) {
        (Ok(unpacked), Ok(expected)) => {
            let entries: Vec<Kept> = unpacked
                .entries
                .iter()
                .map(|e| Kept {
                    name: e.name.clone(),
                    path: e.path.clone(),
                    bytes: e.bytes.clone(),
                })
                .collect();
            assert_eq!(entries, expected.entries, "databases differ");
            assert_eq!(unpacked.skipped, expected.skipped, "skipped entries differ");
        }
        (Err(_), Err(_)) => {}
        (Ok(unpacked), Err(broken)) => panic!(
            "the reference finds the archive broken ({broken:?}), ours read {} databases, skipped {:?}",
            unpacked.entries.len(),
            unpacked.skipped
        ),
        (Err(error), Ok(expected)) => panic!(
            "ours failed ({error:?}: {error}), the reference read {:?}, skipped {:?}",
            expected.entries.iter().map(|e| &e.path).collect::<Vec<_>>(),
            expected.skipped
        ),
    }
    if let Err(error) = &ours {
        let message = error.to_string();
        let bad = |c: char| c.is_control() || c == '\u{2028}' || c == '\u{2029}';
        assert!(
            !message.chars().any(bad),
            "raw control characters in {message:?}"
        );
        // Detection comes before anything is read, so these must agree exactly.
        match reference {
            Err(Broken::Empty) => {
                assert!(matches!(error, crate::ArchiveError::EmptyFile), "{error:?}");
            }
            Err(Broken::NotAnArchive) => assert!(
                matches!(error, crate::ArchiveError::UnknownFormat(_)),
                "{error:?}"
            ),
            _ => {}
        }
    }
}

/// The documented rules, read with the crates' own API.
pub fn reference(bytes: &[u8], limits: &Limits) -> Result<Expected, Broken> {
    let stream = tar_stream(bytes, limits)?;
    let gzipped = matches!(stream, Cow::Owned(_));
    let mut reader = Strict {
        rest: &stream,
        consumed: 0,
    };
    let mut archive = tar::Archive::new(&mut reader);
    let mut expected = Expected {
        entries: Vec::new(),
        skipped: Vec::new(),
    };
    let mut taken = HashSet::new();
    let mut seen = 0;
    for entry in archive.entries().map_err(tar_error)? {
        let mut entry = entry.map_err(tar_error)?;
        seen += 1;
        let (name, path) = match judge(&mut entry)? {
            Ok(kept) => kept,
            Err(skipped) => {
                expected.skipped.push(skipped);
                continue;
            }
        };
        if !taken.insert(name.clone()) {
            let reason = SkipReason::DuplicateName;
            expected.skipped.push(SkippedEntry { path, reason });
            continue;
        }
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).map_err(tar_error)?;
        if bytes.len() as u64 > limits.max_entry_bytes {
            return Err(Broken::EntryTooLarge(path));
        }
        expected.entries.push(Kept { name, path, bytes });
    }
    if seen == 0 {
        return Err(Broken::NoEntries);
    }
    // A plain tar is read up to its end marker only; a gzip stream was counted whole already.
    if !gzipped && reader.consumed > limits.max_total_bytes {
        return Err(Broken::TooLarge);
    }
    if expected.entries.is_empty() {
        return Err(Broken::NoDatabases);
    }
    Ok(expected)
}

/// The tar stream: every gzip member decompressed up front, or the bytes themselves for a plain tar.
fn tar_stream<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Cow<'a, [u8]>, Broken> {
    if bytes.is_empty() {
        return Err(Broken::Empty);
    }
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return gunzip(bytes, limits).map(Cow::Owned);
    }
    let ustar = bytes.get(257..262) == Some(b"ustar");
    let empty_tar = bytes.len() >= 512 && bytes[..512] == [0u8; 512];
    if ustar || empty_tar || header_checksum_matches(bytes) {
        Ok(Cow::Borrowed(bytes))
    } else {
        Err(Broken::NotAnArchive)
    }
}

/// Each member decompressed whole in turn (flate2 checks its CRC and length); after the last one only NUL
/// bytes may follow, as `gzip -d` allows without a warning.
fn gunzip(bytes: &[u8], limits: &Limits) -> Result<Vec<u8>, Broken> {
    let mut out = Vec::new();
    let mut rest = bytes;
    loop {
        let room = (limits.max_total_bytes + 1).saturating_sub(out.len() as u64);
        let mut member = flate2::bufread::GzDecoder::new(rest);
        (&mut member)
            .take(room)
            .read_to_end(&mut out)
            .map_err(|e| Broken::Gzip(e.to_string()))?;
        if out.len() as u64 > limits.max_total_bytes {
            return Err(Broken::TooLarge);
        }
        rest = member.into_inner();
        if rest.iter().all(|b| *b == 0) {
            return Ok(out);
        }
        if !rest.starts_with(&[0x1f, 0x8b]) {
            return Err(Broken::Gzip("trailing bytes after the last member".into()));
        }
    }
}

fn header_checksum_matches(bytes: &[u8]) -> bool {
    if bytes.len() < 512 {
        return false;
    }
    let header = tar::Header::from_byte_slice(&bytes[..512]);
    let mut blanked = bytes[..512].to_vec();
    blanked[148..156].fill(b' ');
    let sum: u32 = blanked.iter().map(|b| u32::from(*b)).sum();
    header.cksum().is_ok_and(|stored| stored == sum)
}

/// A stream that fails rather than end: the tar reader then cannot stop quietly at the end of the bytes,
/// only at a zero block, which is what proves the archive complete.
struct Strict<'a> {
    rest: &'a [u8],
    consumed: u64,
}

impl Read for Strict<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.rest.is_empty() {
            return Err(io::Error::other("the stream ran out before an end marker"));
        }
        let n = self.rest.read(buf)?;
        self.consumed += n as u64;
        Ok(n)
    }
}

fn tar_error(error: io::Error) -> Broken {
    if error.to_string().contains("ran out before an end marker") {
        Broken::Truncated
    } else {
        Broken::Tar(error.to_string())
    }
}

/// The rules for one entry: `Ok((database name, path))` or the skip; broken when a PAX `size` record
/// is not the size the tar crate went by.
fn judge<R: Read>(
    entry: &mut tar::Entry<'_, R>,
) -> Result<Result<(String, String), SkippedEntry>, Broken> {
    let flag = entry.header().as_old().linkflag[0];
    let regular = matches!(flag, b'0' | 0 | b'7');
    let mut sparse_name: Option<Vec<u8>> = None;
    let mut sparse = false;
    let mut unreadable = false;
    let size = entry.size();
    if !matches!(flag, b'g' | b'x')
        && let Ok(Some(records)) = entry.pax_extensions()
    {
        for record in records {
            let Ok(record) = record else {
                unreadable = true;
                continue;
            };
            let key = record.key_bytes();
            if key.starts_with(b"GNU.sparse.") {
                sparse = true;
            }
            if key == b"GNU.sparse.name" && sparse_name.is_none() {
                sparse_name = Some(record.value_bytes().to_vec());
            }
            if key == b"size" && record.value().ok().and_then(|v| v.parse().ok()) != Some(size) {
                return Err(Broken::Tar("a PAX size the tar crate did not apply".into()));
            }
        }
    }
    let sparse = sparse && regular;
    let unreadable = unreadable && regular;
    let raw = entry.path_bytes().into_owned();
    let shown = if sparse {
        sparse_name.clone().unwrap_or_else(|| raw.clone())
    } else {
        raw.clone()
    };
    let skip = |reason| {
        Ok(Err(SkippedEntry {
            path: escape_invalid(&shown),
            reason,
        }))
    };
    match flag {
        b'5' => return skip(SkipReason::Directory),
        b'1' | b'2' => return skip(SkipReason::Link),
        b'g' | b'x' => return skip(SkipReason::Metadata),
        b'S' => return skip(SkipReason::Sparse),
        _ if sparse => return skip(SkipReason::Sparse),
        _ if !regular => return skip(SkipReason::Special),
        _ if raw.last() == Some(&b'/') => return skip(SkipReason::Directory),
        _ if unreadable => return skip(SkipReason::UnreadablePax),
        _ => {}
    }
    let Ok(path) = String::from_utf8(raw) else {
        return skip(SkipReason::NotUtf8);
    };
    let mut parts = Vec::new();
    for component in Path::new(&path).components() {
        match component {
            Component::Normal(part) => parts.push(part.to_str().expect("from a str")),
            Component::CurDir => {}
            Component::RootDir | Component::ParentDir | Component::Prefix(_) => {
                return skip(SkipReason::UnsafePath);
            }
        }
    }
    let Some(file) = parts.last() else {
        return skip(SkipReason::NoName);
    };
    if file.starts_with("._") {
        return skip(SkipReason::AppleDouble);
    }
    if parts.iter().any(|p| p.starts_with('.')) {
        return skip(SkipReason::Hidden);
    }
    if parts.len() > 2 {
        return skip(SkipReason::Nested);
    }
    let file = Path::new(file);
    let is_csv = file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    match file.file_stem().and_then(|s| s.to_str()) {
        Some(stem) if is_csv && !stem.is_empty() => Ok(Ok((stem.to_string(), path))),
        _ => skip(SkipReason::NotCsv),
    }
}

/// Invalid UTF-8 shown as `\xNN` per byte, valid text as it is.
fn escape_invalid(mut bytes: &[u8]) -> String {
    let mut out = String::new();
    loop {
        match std::str::from_utf8(bytes) {
            Ok(text) => {
                out.push_str(text);
                return out;
            }
            Err(error) => {
                let (good, bad) = bytes.split_at(error.valid_up_to());
                out.push_str(std::str::from_utf8(good).expect("checked valid"));
                let len = error.error_len().unwrap_or(bad.len());
                for b in &bad[..len] {
                    out.push_str(&format!("\\x{b:02x}"));
                }
                bytes = &bad[len..];
            }
        }
    }
}

//! The cache file on disk: header + bincode body, written to a temporary file and renamed into place.
//!
//! The body is streamed straight into the file (no second copy in memory) while its length and checksum are
//! counted; the header is then written over the placeholder at the start. A reader or a crash never sees a
//! torn file: the rename is atomic, and a file torn by power loss fails its checksum and is rebuilt.

use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bytes::Bytes;
use xxhash_rust::xxh3::{Xxh3, xxh3_64};

use super::header::{HEADER_LEN, Header, HeaderProblem};
use super::wire::{self, Body};
use crate::catalog::Catalog;

/// Prefix and suffix of cache file names: `databases_<version>.bin`.
pub const FILE_PREFIX: &str = "databases_";
pub const FILE_SUFFIX: &str = ".bin";

/// The cache file name for a version, with anything unsafe in a file name replaced.
pub fn file_name(version: &str) -> String {
    let safe: String = version
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{FILE_PREFIX}{safe}{FILE_SUFFIX}")
}

/// The version a cache file name stands for, if it is one.
pub fn version_of(path: &Path) -> Option<&str> {
    path.file_name()?
        .to_str()?
        .strip_prefix(FILE_PREFIX)?
        .strip_suffix(FILE_SUFFIX)
}

/// Time spent writing a cache file, split into encoding and the file system's share.
#[derive(Debug, Clone, Copy, Default)]
pub struct WriteTimings {
    pub encode: Duration,
    pub write: Duration,
}

/// Creates a folder and its parents owner-only.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Writes the catalog's cache file atomically and returns its header.
pub fn write(
    path: &Path,
    archive_sha256: [u8; 32],
    catalog: &Catalog,
) -> io::Result<(Header, WriteTimings)> {
    let dir = path.parent().unwrap_or(Path::new("."));
    create_private_dir(dir)?;
    let start = Instant::now();
    // tempfile creates the file owner-only (0600) in the target folder, so the rename stays atomic.
    let mut temp = tempfile::Builder::new()
        .prefix(".databases_")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    let body = Body::of(catalog);
    preallocate(temp.as_file(), HEADER_LEN as u64 + encoded_len(&body)?);
    temp.as_file_mut().write_all(&[0u8; HEADER_LEN])?;
    let mut sink = ChecksumWriter::new(BufWriter::with_capacity(1 << 16, temp.as_file_mut()));
    bincode::serde::encode_into_std_write(&body, &mut sink, wire::config()).map_err(encoding)?;
    let (payload_len, checksum, mut io_time, writer) = sink.finish();
    let t = Instant::now();
    writer.into_inner().map_err(|e| e.into_error())?;
    let header = Header::new(archive_sha256, payload_len, checksum);
    let file = temp.as_file_mut();
    file.seek(SeekFrom::Start(0))?;
    file.write_all(&header.to_bytes())?;
    temp.persist(path).map_err(|e| e.error)?;
    io_time += t.elapsed();
    let total = start.elapsed();
    let timings = WriteTimings {
        encode: total.saturating_sub(io_time),
        write: io_time,
    };
    Ok((header, timings))
}

fn encoding(e: bincode::error::EncodeError) -> io::Error {
    io::Error::other(format!("encoding the cache body: {e}"))
}

/// The body's encoded length, found by encoding it into a counter: the sections are only lengths to it.
fn encoded_len(body: &Body<'_>) -> io::Result<u64> {
    let mut counter = ChecksumWriter::counting(io::sink());
    bincode::serde::encode_into_std_write(body, &mut counter, wire::config()).map_err(encoding)?;
    Ok(counter.len)
}

/// Reserves the file's blocks up front: on ext4 that makes writing a new file about three times
/// faster than allocating it page by page. Only a hint, so a file system without it is fine.
fn preallocate(file: &File, len: u64) {
    #[cfg(target_os = "linux")]
    {
        let _ = rustix::fs::fallocate(file, rustix::fs::FallocateFlags::empty(), 0, len);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (file, len);
}

/// Counts and checksums what passes through, and how long the underlying writes take.
struct ChecksumWriter<W> {
    inner: W,
    len: u64,
    /// `None` when only counting.
    hasher: Option<Box<Xxh3>>,
    io_time: Duration,
}

impl<W: Write> ChecksumWriter<W> {
    fn new(inner: W) -> Self {
        ChecksumWriter {
            inner,
            len: 0,
            hasher: Some(Box::new(Xxh3::new())),
            io_time: Duration::ZERO,
        }
    }

    fn counting(inner: W) -> Self {
        ChecksumWriter {
            hasher: None,
            ..ChecksumWriter::new(inner)
        }
    }

    fn finish(self) -> (u64, u64, Duration, W) {
        let checksum = self.hasher.map_or(0, |h| h.digest());
        (self.len, checksum, self.io_time, self.inner)
    }
}

impl<W: Write> Write for ChecksumWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let t = Instant::now();
        let n = self.inner.write(buf)?;
        self.io_time += t.elapsed();
        if let Some(hasher) = &mut self.hasher {
            hasher.update(&buf[..n]);
        }
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Why a cache file could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadProblem {
    Missing,
    Header(HeaderProblem),
    Unreadable(String),
}

/// Reads only the header: what `status` needs.
pub fn read_header(path: &Path) -> Result<(Header, u64), ReadProblem> {
    let mut file = open(path)?;
    let size = file.metadata().map_or(0, |m| m.len());
    let mut buf = [0u8; HEADER_LEN];
    let mut got = 0;
    while got < HEADER_LEN {
        match file.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) => return Err(ReadProblem::Unreadable(e.to_string())),
        }
    }
    let header = Header::parse(&buf[..got]).map_err(ReadProblem::Header)?;
    Ok((header, size))
}

fn open(path: &Path) -> Result<File, ReadProblem> {
    File::open(path).map_err(open_problem)
}

/// No file there is "missing", also when a parent of the path is a regular file (an unusable data dir
/// holds no cache, it is not a corrupt one).
fn open_problem(e: io::Error) -> ReadProblem {
    match e.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory => ReadProblem::Missing,
        _ => ReadProblem::Unreadable(e.to_string()),
    }
}

/// Time spent reading a cache file, by phase.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadTimings {
    pub read: Duration,
    pub verify: Duration,
    pub decode: Duration,
}

/// Reads, verifies and decodes a whole cache file.
pub fn read(path: &Path) -> Result<(Header, Catalog, ReadTimings), ReadProblem> {
    let mut timings = ReadTimings::default();
    let t = Instant::now();
    let bytes = fs::read(path).map_err(open_problem)?;
    timings.read = t.elapsed();

    let t = Instant::now();
    let header = verify(&bytes)?;
    timings.verify = t.elapsed();

    let t = Instant::now();
    let payload = Bytes::from(bytes).slice(HEADER_LEN..);
    let catalog = Body::decode(&payload).map_err(corrupt)?;
    timings.decode = t.elapsed();
    Ok((header, catalog, timings))
}

/// Checks header, the payload's length against the real file size, and the payload checksum.
pub fn verify(bytes: &[u8]) -> Result<Header, ReadProblem> {
    let header = Header::parse(bytes).map_err(ReadProblem::Header)?;
    check_length(&header, bytes.len() as u64)?;
    let payload = &bytes[HEADER_LEN..];
    let found = xxh3_64(payload);
    if found != header.payload_checksum {
        return Err(corrupt(format!(
            "payload checksum mismatch (header {:016x}, payload {found:016x})",
            header.payload_checksum
        )));
    }
    Ok(header)
}

/// Checks the payload length in the header against the file's size: cheap, as it needs no payload.
pub fn check_length(header: &Header, file_len: u64) -> Result<(), ReadProblem> {
    let payload = file_len.saturating_sub(HEADER_LEN as u64);
    if payload != header.payload_len {
        return Err(corrupt(format!(
            "payload is {payload} bytes but the header says {}",
            header.payload_len
        )));
    }
    Ok(())
}

fn corrupt(detail: impl Into<String>) -> ReadProblem {
    ReadProblem::Header(HeaderProblem::Corrupt(detail.into()))
}

/// Every `databases_*.bin` in a folder, sorted by name.
pub fn list_cache_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| version_of(p).is_some())
        .collect();
    files.sort();
    files
}

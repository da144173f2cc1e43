//! Reading a cache file: its name, its header first, then exactly the payload the header announces, verified
//! and decoded. Only a regular file we own is opened (see `trust`); it is mapped where that is safe (see
//! `map`), else read. Writing is in `write`.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bytes::Bytes;
use xxhash_rust::xxh3::xxh3_64;

use super::header::{HEADER_LEN, Header, HeaderProblem};
use super::map::Mapped;
use super::problem::{BodyProblem, Corruption, Distrust};
use super::trust::{self, OpenProblem};
use super::wire::{Body, Unchecked};
use crate::catalog::Catalog;

/// Prefix and suffix of cache file names: `databases_<version>.bin`.
pub const FILE_PREFIX: &str = "databases_";
/// Suffix of cache file names.
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

/// Why a cache file could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadProblem {
    /// Nothing there (also when a parent of the path is a regular file).
    Missing,
    /// Written by another format version of this program.
    FormatChanged {
        /// The format version the file says it has.
        found: u32,
    },
    /// Damaged, not a cache file, or not a regular file.
    Corrupt(Corruption),
    /// Owned by someone else or writable by others: never read.
    Untrusted(Distrust),
}

impl From<HeaderProblem> for ReadProblem {
    fn from(problem: HeaderProblem) -> Self {
        match problem {
            HeaderProblem::FormatChanged { found } => ReadProblem::FormatChanged { found },
            HeaderProblem::Corrupt(corruption) => ReadProblem::Corrupt(corruption),
        }
    }
}

impl From<OpenProblem> for ReadProblem {
    fn from(problem: OpenProblem) -> Self {
        match problem {
            OpenProblem::Missing => ReadProblem::Missing,
            OpenProblem::NotRegular(kind) => ReadProblem::Corrupt(Corruption::NotRegular(kind)),
            OpenProblem::Untrusted(distrust) => ReadProblem::Untrusted(distrust),
            OpenProblem::Io(e) => unreadable(e),
        }
    }
}

fn unreadable(e: io::Error) -> ReadProblem {
    ReadProblem::Corrupt(Corruption::Unreadable(e.into()))
}

/// A cache file opened and its header read, the payload not yet.
pub struct Opened {
    file: File,
    /// The header, read and checked.
    pub header: Header,
    /// The file's size, from the opened file.
    pub size: u64,
}

/// Opens a cache file (a regular file we own, see `trust`) and reads its header, and only the header.
pub fn open(path: &Path) -> Result<Opened, ReadProblem> {
    let (mut file, meta) = trust::open_regular(path)?;
    let mut buf = [0u8; HEADER_LEN];
    let mut got = 0;
    while got < HEADER_LEN {
        match file.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(unreadable(e)),
        }
    }
    let header = Header::parse(&buf[..got])?;
    Ok(Opened {
        file,
        header,
        size: meta.len(),
    })
}

/// Reads only the header: what `status --quick` needs. Returns the header and the file's size.
pub fn read_header(path: &Path) -> Result<(Header, u64), ReadProblem> {
    let opened = open(path)?;
    Ok((opened.header, opened.size))
}

/// Time spent reading a cache file, by phase.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadTimings {
    /// Reading the file from disk.
    pub read: Duration,
    /// Checking the payload against its checksum.
    pub verify: Duration,
    /// Decoding the body and proving its sections consistent.
    pub decode: Duration,
}

impl Opened {
    /// Checks the size against the header, then reads exactly the payload the header announces, verifies
    /// its checksum, decodes it and validates every database.
    pub fn read_body(self) -> Result<(Header, Catalog, ReadTimings), ReadProblem> {
        let (header, payload, mut timings) = self.read_payload()?;
        let t = Instant::now();
        let catalog = Body::decode(&payload).map_err(body_problem)?;
        timings.decode = t.elapsed();
        Ok((header, catalog, timings))
    }

    /// As `read_body`, but leaves the databases to be validated on their first use.
    pub(crate) fn read_body_unchecked(
        self,
    ) -> Result<(Header, Unchecked, ReadTimings), ReadProblem> {
        let (header, payload, mut timings) = self.read_payload()?;
        let t = Instant::now();
        let unchecked = Body::decode_unchecked(&payload).map_err(body_problem)?;
        timings.decode = t.elapsed();
        Ok((header, unchecked, timings))
    }

    fn read_payload(mut self) -> Result<(Header, Bytes, ReadTimings), ReadProblem> {
        let mut timings = ReadTimings::default();
        check_length(&self.header, self.size)?;
        let t = Instant::now();
        let len = usize::try_from(self.header.payload_len).map_err(|_| too_long(&self.header))?;
        let payload = match Mapped::of(&self.file, self.size) {
            // The whole file is mapped (offsets must be page-aligned) and the header left out.
            Some(mapped) => Bytes::from_owner(mapped).slice(HEADER_LEN..),
            None => self.read_exactly(len)?,
        };
        timings.read = t.elapsed();
        if payload.len() != len {
            // The file shrank after it was opened: only someone writing in place does that.
            return Err(ReadProblem::Corrupt(Corruption::Length {
                found: payload.len() as u64,
                expected: self.header.payload_len,
            }));
        }
        let t = Instant::now();
        check_checksum(&self.header, &payload)?;
        timings.verify = t.elapsed();
        Ok((self.header, payload, timings))
    }

    /// Reads the `len` bytes after the header into private memory (fewer if the file shrank meanwhile).
    fn read_exactly(&mut self, len: usize) -> Result<Bytes, ReadProblem> {
        let mut payload = Vec::new();
        payload
            .try_reserve_exact(len)
            .map_err(|_| too_long(&self.header))?;
        (&mut self.file)
            .take(self.header.payload_len)
            .read_to_end(&mut payload)
            .map_err(unreadable)?;
        Ok(Bytes::from(payload))
    }
}

fn body_problem(problem: BodyProblem) -> ReadProblem {
    ReadProblem::Corrupt(Corruption::Body(problem))
}

fn too_long(header: &Header) -> ReadProblem {
    ReadProblem::Corrupt(Corruption::Length {
        found: 0,
        expected: header.payload_len,
    })
}

/// Reads, verifies, decodes and validates a whole cache file.
pub fn read(path: &Path) -> Result<(Header, Catalog, ReadTimings), ReadProblem> {
    open(path)?.read_body()
}

/// Checks a whole cache file in memory (header, length, payload checksum), without decoding it.
pub fn verify(bytes: &[u8]) -> Result<Header, ReadProblem> {
    let header = Header::parse(bytes)?;
    check_length(&header, bytes.len() as u64)?;
    check_checksum(&header, &bytes[HEADER_LEN..])?;
    Ok(header)
}

fn check_checksum(header: &Header, payload: &[u8]) -> Result<(), ReadProblem> {
    let found = xxh3_64(payload);
    if found != header.payload_checksum {
        return Err(ReadProblem::Corrupt(Corruption::PayloadChecksum {
            expected: header.payload_checksum,
            found,
        }));
    }
    Ok(())
}

/// Checks the payload length in the header against the file's size: cheap, as it needs no payload.
pub fn check_length(header: &Header, file_len: u64) -> Result<(), ReadProblem> {
    let payload = file_len.saturating_sub(HEADER_LEN as u64);
    if payload != header.payload_len {
        return Err(ReadProblem::Corrupt(Corruption::Length {
            found: payload,
            expected: header.payload_len,
        }));
    }
    Ok(())
}

/// Every `databases_*.bin` in a folder, sorted by name (whatever they are: opening them judges that).
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

//! The fixed 80-byte header in front of the cache body: enough to judge freshness without reading the body.
//!
//! Layout, little-endian: magic (8) | format version u32 | header length u32 | archive SHA-256 (32) |
//! payload length u64 | payload xxh3-64 u64 | built-at Unix milliseconds u64 | header xxh3-64 u64.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use xxhash_rust::xxh3::xxh3_64;

use super::problem::Corruption;

/// The first bytes of every cache file.
pub const MAGIC: &[u8; 8] = b"BACKSTOR";
/// Bump whenever the header or body layout changes; older files then read as "format changed".
/// 2: each database records the most extra fields a record has, which validation bounds fields by, and a
/// failed database its typed error.
pub const FORMAT_VERSION: u32 = 2;
/// The header's size in bytes.
pub const HEADER_LEN: usize = 80;

/// A cache file's header: which archive it was built from, and how to check the payload behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The format the file was written in ([`FORMAT_VERSION`] when current).
    pub format_version: u32,
    /// SHA-256 of the archive the cache was built from: the freshness verdict compares it.
    pub archive_sha256: [u8; 32],
    /// Length of the payload that follows the header.
    pub payload_len: u64,
    /// xxh3-64 of that payload.
    pub payload_checksum: u64,
    /// When the file was built, in Unix milliseconds.
    pub built_at_ms: u64,
}

/// Why a header cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderProblem {
    /// Written by another format version of this program.
    FormatChanged {
        /// The format version the header says it has.
        found: u32,
    },
    /// Damaged or not a cache file at all.
    Corrupt(Corruption),
}

impl Header {
    /// A header for a payload built now.
    pub fn new(archive_sha256: [u8; 32], payload_len: u64, payload_checksum: u64) -> Self {
        let built_at_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        Header {
            format_version: FORMAT_VERSION,
            archive_sha256,
            payload_len,
            payload_checksum,
            built_at_ms,
        }
    }

    /// When the file was built.
    pub fn built_at(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(self.built_at_ms)
    }

    /// The header as it is written to disk.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[0..8].copy_from_slice(MAGIC);
        out[8..12].copy_from_slice(&self.format_version.to_le_bytes());
        out[12..16].copy_from_slice(&(HEADER_LEN as u32).to_le_bytes());
        out[16..48].copy_from_slice(&self.archive_sha256);
        out[48..56].copy_from_slice(&self.payload_len.to_le_bytes());
        out[56..64].copy_from_slice(&self.payload_checksum.to_le_bytes());
        out[64..72].copy_from_slice(&self.built_at_ms.to_le_bytes());
        let check = xxh3_64(&out[..72]);
        out[72..80].copy_from_slice(&check.to_le_bytes());
        out
    }

    /// Parses a header, checking magic, format version and its own checksum, in that order.
    pub fn parse(bytes: &[u8]) -> Result<Header, HeaderProblem> {
        let corrupt = |why: Corruption| Err(HeaderProblem::Corrupt(why));
        let truncated = Corruption::TruncatedHeader { got: bytes.len() };
        if bytes.len() < 12 {
            return corrupt(truncated);
        }
        if &bytes[0..8] != MAGIC {
            return corrupt(Corruption::BadMagic);
        }
        let format_version = u32_at(bytes, 8);
        if format_version != FORMAT_VERSION {
            return Err(HeaderProblem::FormatChanged {
                found: format_version,
            });
        }
        if bytes.len() < HEADER_LEN {
            return corrupt(truncated);
        }
        if xxh3_64(&bytes[..72]) != u64_at(bytes, 72) || u32_at(bytes, 12) as usize != HEADER_LEN {
            return corrupt(Corruption::HeaderChecksum);
        }
        let mut archive_sha256 = [0u8; 32];
        archive_sha256.copy_from_slice(&bytes[16..48]);
        Ok(Header {
            format_version,
            archive_sha256,
            payload_len: u64_at(bytes, 48),
            payload_checksum: u64_at(bytes, 56),
            built_at_ms: u64_at(bytes, 64),
        })
    }
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(b)
}

//! An owned, editable mirror of the cache body, for tests that craft checksum-valid files which break
//! one invariant at a time. It encodes exactly as the body does (`mirrors_the_body` below proves it on
//! every use), so a test edits sections and values, and the checksums are made right again.

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

use crate::cache::header::{HEADER_LEN, Header};
use crate::cache::wire::config;
use crate::catalog::SkipReason;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnedBody {
    pub databases: Vec<OwnedDatabase>,
    pub failed: Vec<OwnedFailed>,
    pub skipped: Vec<OwnedSkipped>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnedDatabase {
    pub name: String,
    #[serde(with = "serde_bytes")]
    pub source_sha256: Vec<u8>,
    pub versioned: bool,
    pub version: Option<String>,
    pub version_exceptions: Vec<(u32, String)>,
    pub columns: Vec<String>,
    pub ragged_rows: u64,
    pub ragged_lines: Vec<u64>,
    pub empty_key_rows: u64,
    pub empty_key_lines: Vec<u64>,
    pub duplicate_rows: u64,
    pub duplicates: Vec<OwnedDuplicate>,
    #[serde(with = "serde_bytes")]
    pub text: Vec<u8>,
    #[serde(with = "serde_bytes")]
    pub field_ends: Vec<u8>,
    #[serde(with = "serde_bytes")]
    pub record_starts: Vec<u8>,
    #[serde(with = "serde_bytes")]
    pub key_slots: Vec<u8>,
    pub max_extra_fields: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnedDuplicate {
    pub key: String,
    pub first: u32,
    pub repeats: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnedFailed {
    pub name: String,
    #[serde(with = "serde_bytes")]
    pub source_sha256: Vec<u8>,
    pub error: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnedSkipped {
    pub path: String,
    pub reason: SkipReason,
}

/// Reads the u32 at `index` of a section.
pub fn word(section: &[u8], index: usize) -> u32 {
    let at = index * 4;
    u32::from_le_bytes(section[at..at + 4].try_into().expect("four bytes"))
}

/// Writes the u32 at `index` of a section.
pub fn set_word(section: &mut [u8], index: usize, value: u32) {
    section[index * 4..index * 4 + 4].copy_from_slice(&value.to_le_bytes());
}

impl OwnedBody {
    /// Decodes a whole cache file's body (the bytes after the header).
    pub fn of_file(file: &[u8]) -> OwnedBody {
        let payload = &file[HEADER_LEN..];
        let (body, used): (OwnedBody, usize) =
            bincode::serde::decode_from_slice(payload, config()).expect("a cache body");
        assert_eq!(used, payload.len(), "the mirror reads the whole body");
        assert_eq!(
            body.encode(),
            payload,
            "the mirror encodes as the body does"
        );
        body
    }

    pub fn encode(&self) -> Vec<u8> {
        bincode::serde::encode_to_vec(self, config()).expect("encoding to memory")
    }

    /// A whole file: `file`'s header with this body and both checksums recomputed.
    pub fn into_file(&self, file: &[u8]) -> Vec<u8> {
        let old = Header::parse(file).expect("a valid header");
        let payload = self.encode();
        let mut header = Header::new(old.archive_sha256, payload.len() as u64, xxh3_64(&payload));
        header.built_at_ms = old.built_at_ms;
        let mut out = header.to_bytes().to_vec();
        out.extend_from_slice(&payload);
        out
    }

    pub fn database(&mut self, name: &str) -> &mut OwnedDatabase {
        self.databases
            .iter_mut()
            .find(|d| d.name == name)
            .expect("a database of that name")
    }
}

//! `checksums.json` beside the cache file: the archive hash, each database's hash and the payload checksum,
//! for people to read, and for naming the changed databases of a stale cache without decoding its body.

use std::io::{self, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::header::Header;
use crate::catalog::Catalog;
use crate::hex;

pub const FILE_NAME: &str = "checksums.json";
/// Far more than any real record (a line per database): a larger file is not ours.
const MAX_BYTES: u64 = 64 << 20;

#[derive(Debug, Serialize, Deserialize)]
struct Checksums {
    format_version: u32,
    archive_sha256: String,
    cache_file: String,
    cache_payload_xxh3: String,
    databases: Vec<DatabaseChecksum>,
}

#[derive(Debug, Serialize, Deserialize)]
struct DatabaseChecksum {
    name: String,
    sha256: String,
}

/// Writes the record (atomically, like the cache file) beside the cache file.
pub fn write(cache_path: &Path, header: &Header, catalog: &Catalog) -> io::Result<()> {
    let dir = cache_path.parent().unwrap_or(Path::new("."));
    let record = Checksums {
        format_version: header.format_version,
        archive_sha256: hex::encode(&header.archive_sha256),
        cache_file: file_name(cache_path),
        cache_payload_xxh3: format!("{:016x}", header.payload_checksum),
        databases: catalog
            .source_hashes()
            .into_iter()
            .map(|(name, sha)| DatabaseChecksum {
                name: name.to_string(),
                sha256: hex::encode(&sha),
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&record).map_err(io::Error::other)?;
    text.push('\n');
    let mut temp = super::write::temp_file(dir, ".checksums_")?;
    temp.write_all(text.as_bytes())?;
    temp.persist(dir.join(FILE_NAME)).map_err(|e| e.error)?;
    Ok(())
}

/// The per-database hashes recorded for this cache file, if the record belongs to it.
pub fn read(cache_path: &Path, header: &Header) -> Option<Vec<(String, [u8; 32])>> {
    let dir = cache_path.parent()?;
    // Opened like a cache file: a FIFO or another user's file in its place is ignored, never waited on.
    let (file, meta) = super::trust::open_regular(&dir.join(FILE_NAME)).ok()?;
    if meta.len() > MAX_BYTES {
        return None;
    }
    let record: Checksums = serde_json::from_reader(io::BufReader::new(file)).ok()?;
    let belongs = record.cache_file == file_name(cache_path)
        && hex::decode32(&record.archive_sha256) == Some(header.archive_sha256)
        && record.cache_payload_xxh3 == format!("{:016x}", header.payload_checksum);
    if !belongs {
        return None;
    }
    record
        .databases
        .into_iter()
        .map(|d| Some((d.name, hex::decode32(&d.sha256)?)))
        .collect()
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

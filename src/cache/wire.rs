//! The bincode body of a cache file, as borrowed types.
//!
//! Every string and byte section borrows from the payload, so decoding checks each length against the bytes
//! really there before using it: a corrupt length fails a bounds check and never allocates. The sections then
//! become slices of the one buffer the file was read into, so a warm load copies no record data.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::catalog::index::Sections;
use crate::catalog::{
    Catalog, Database, DatabaseMeta, DuplicateKey, FailedDatabase, SkipReason, SkippedEntry,
    Warnings,
};
use crate::error::DatabaseError;

pub(crate) fn config() -> impl bincode::config::Config {
    bincode::config::standard()
        .with_little_endian()
        .with_fixed_int_encoding()
}

#[derive(Serialize, Deserialize)]
pub(crate) struct Body<'a> {
    #[serde(borrow)]
    databases: Vec<WireDatabase<'a>>,
    #[serde(borrow)]
    failed: Vec<WireFailed<'a>>,
    #[serde(borrow)]
    skipped: Vec<WireSkipped<'a>>,
}

#[derive(Serialize, Deserialize)]
struct WireDatabase<'a> {
    name: &'a str,
    #[serde(with = "serde_bytes")]
    source_sha256: &'a [u8],
    versioned: bool,
    version: Option<&'a str>,
    #[serde(borrow)]
    version_exceptions: Vec<(u32, &'a str)>,
    #[serde(borrow)]
    columns: Vec<&'a str>,
    ragged_rows: u64,
    ragged_lines: Vec<u64>,
    empty_key_rows: u64,
    empty_key_lines: Vec<u64>,
    duplicate_rows: u64,
    #[serde(borrow)]
    duplicates: Vec<WireDuplicate<'a>>,
    #[serde(with = "serde_bytes")]
    text: &'a [u8],
    #[serde(with = "serde_bytes")]
    field_ends: &'a [u8],
    #[serde(with = "serde_bytes")]
    record_starts: &'a [u8],
    #[serde(with = "serde_bytes")]
    key_slots: &'a [u8],
}

#[derive(Serialize, Deserialize)]
struct WireDuplicate<'a> {
    key: &'a str,
    first: u32,
    repeats: Vec<u32>,
}

#[derive(Serialize, Deserialize)]
struct WireFailed<'a> {
    name: &'a str,
    #[serde(with = "serde_bytes")]
    source_sha256: &'a [u8],
    error: DatabaseError,
}

#[derive(Serialize, Deserialize)]
struct WireSkipped<'a> {
    path: &'a str,
    reason: SkipReason,
}

impl<'a> Body<'a> {
    /// A view of a catalog for encoding; nothing is copied.
    pub(crate) fn of(catalog: &'a Catalog) -> Self {
        Body {
            databases: catalog.databases().iter().map(wire_database).collect(),
            failed: catalog
                .failed()
                .iter()
                .map(|f| WireFailed {
                    name: &f.name,
                    source_sha256: &f.source_sha256,
                    error: f.error.clone(),
                })
                .collect(),
            skipped: catalog
                .skipped()
                .iter()
                .map(|s| WireSkipped {
                    path: &s.path,
                    reason: s.reason,
                })
                .collect(),
        }
    }

    /// Decodes a payload; the databases' sections become slices of `payload`.
    pub(crate) fn decode(payload: &Bytes) -> Result<Catalog, String> {
        let (body, used): (Body<'_>, usize) =
            bincode::serde::borrow_decode_from_slice(payload, config())
                .map_err(|e| format!("undecodable body: {e}"))?;
        if used != payload.len() {
            return Err(format!(
                "{} trailing bytes after the body",
                payload.len() - used
            ));
        }
        let mut databases = Vec::with_capacity(body.databases.len());
        for wire in body.databases {
            databases.push(owned_database(payload, wire)?);
        }
        let failed = body
            .failed
            .into_iter()
            .map(|f| {
                Ok(FailedDatabase {
                    name: f.name.to_string(),
                    source_sha256: sha(f.source_sha256)?,
                    error: f.error,
                })
            })
            .collect::<Result<_, String>>()?;
        let skipped = body
            .skipped
            .into_iter()
            .map(|s| SkippedEntry {
                path: s.path.to_string(),
                reason: s.reason,
            })
            .collect();
        Ok(Catalog::from_parts(databases, failed, skipped))
    }
}

fn wire_database(db: &Database) -> WireDatabase<'_> {
    let meta = db.meta();
    let warnings = &meta.warnings;
    let sections = db.sections();
    WireDatabase {
        name: &meta.name,
        source_sha256: &meta.source_sha256,
        versioned: meta.versioned,
        version: meta.version.as_deref(),
        version_exceptions: meta
            .version_exceptions
            .iter()
            .map(|(p, v)| (*p, v.as_str()))
            .collect(),
        columns: meta.columns.iter().map(String::as_str).collect(),
        ragged_rows: warnings.ragged_rows,
        ragged_lines: warnings.ragged_lines.clone(),
        empty_key_rows: warnings.empty_key_rows,
        empty_key_lines: warnings.empty_key_lines.clone(),
        duplicate_rows: warnings.duplicate_rows,
        duplicates: warnings
            .duplicates
            .iter()
            .map(|d| WireDuplicate {
                key: &d.key,
                first: d.first,
                repeats: d.repeats.clone(),
            })
            .collect(),
        text: &sections.text,
        field_ends: &sections.field_ends,
        record_starts: &sections.record_starts,
        key_slots: &sections.key_slots,
    }
}

fn owned_database(payload: &Bytes, wire: WireDatabase<'_>) -> Result<Database, String> {
    let name = wire.name;
    let shape_ok = wire.field_ends.len() % 4 == 0
        && wire.record_starts.len() % 4 == 0
        && !wire.record_starts.is_empty()
        && (wire.key_slots.len() / 4).is_power_of_two()
        && wire.key_slots.len() % 4 == 0;
    if !shape_ok {
        return Err(format!("database {name}: malformed index sections"));
    }
    let meta = DatabaseMeta {
        name: name.to_string(),
        source_sha256: sha(wire.source_sha256)?,
        versioned: wire.versioned,
        version: wire.version.map(str::to_string),
        version_exceptions: wire
            .version_exceptions
            .into_iter()
            .map(|(p, v)| (p, v.to_string()))
            .collect(),
        columns: wire.columns.into_iter().map(str::to_string).collect(),
        warnings: Warnings {
            ragged_rows: wire.ragged_rows,
            ragged_lines: wire.ragged_lines,
            empty_key_rows: wire.empty_key_rows,
            empty_key_lines: wire.empty_key_lines,
            duplicate_rows: wire.duplicate_rows,
            duplicates: wire
                .duplicates
                .into_iter()
                .map(|d| DuplicateKey {
                    key: d.key.to_string(),
                    first: d.first,
                    repeats: d.repeats,
                })
                .collect(),
        },
    };
    let sections = Sections {
        text: payload.slice_ref(wire.text),
        field_ends: payload.slice_ref(wire.field_ends),
        record_starts: payload.slice_ref(wire.record_starts),
        key_slots: payload.slice_ref(wire.key_slots),
    };
    let database = Database::from_parts(meta, sections);
    if database.warnings().duplicate_rows as usize > database.len() {
        return Err(format!("database {name}: inconsistent counts"));
    }
    Ok(database)
}

fn sha(bytes: &[u8]) -> Result<[u8; 32], String> {
    bytes
        .try_into()
        .map_err(|_| format!("a SHA-256 of {} bytes", bytes.len()))
}

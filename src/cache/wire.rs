//! The bincode body of a cache file, as borrowed types.
//!
//! Every string and byte section borrows from the payload, so decoding checks each length against the bytes
//! really there before using it: a corrupt length fails a bounds check and never allocates. The sections then
//! become slices of the one buffer the file was read into, so a warm load copies no record data.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::problem::{BodyProblem, DecodeFailure};
use super::validate;
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

/// A decoded catalog whose databases are still to be validated, with what validation needs.
pub(crate) struct Unchecked {
    pub(crate) catalog: Catalog,
    /// Per database, in the catalog's order: the most extra fields a record was written with.
    pub(crate) max_extra: Vec<usize>,
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
    /// The most fields beyond the columns that any record has: what bounds a record's field count.
    max_extra_fields: u32,
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

    /// As [`Body::of`], with the databases in the order they were streamed to a file (`order` indexes
    /// the catalog's databases): the same bytes as those written.
    pub(crate) fn of_ordered(catalog: &'a Catalog, order: &[usize]) -> Self {
        let mut body = Body::of(catalog);
        let all = catalog.databases();
        body.databases = order.iter().map(|&i| wire_database(&all[i])).collect();
        body
    }

    /// Decodes a payload and validates every database; the sections become slices of `payload`.
    pub(crate) fn decode(payload: &Bytes) -> Result<Catalog, BodyProblem> {
        let unchecked = Body::decode_unchecked(payload)?;
        let databases = unchecked.catalog.databases();
        validate::check_each(databases, &unchecked.max_extra).map_err(|(index, problem)| {
            BodyProblem::Inconsistent {
                database: databases[index].name().to_string(),
                problem,
            }
        })?;
        Ok(unchecked.catalog)
    }

    /// Decodes a payload, checking its structure but not yet its databases' sections (`validate`): for
    /// checking each database on its first use instead.
    pub(crate) fn decode_unchecked(payload: &Bytes) -> Result<Unchecked, BodyProblem> {
        let (body, used): (Body<'_>, usize) =
            bincode::serde::borrow_decode_from_slice(payload, config())
                .map_err(|e| BodyProblem::Undecodable(DecodeFailure(e.into())))?;
        if used != payload.len() {
            return Err(BodyProblem::TrailingBytes {
                count: payload.len() - used,
            });
        }
        let mut databases = Vec::with_capacity(body.databases.len());
        for wire in body.databases {
            let extra = wire.max_extra_fields as usize;
            databases.push((owned_database(payload, wire)?, extra));
        }
        // In name order, as the catalog keeps them.
        databases.sort_by(|a, b| a.0.name().cmp(b.0.name()));
        let (databases, max_extra): (Vec<Database>, Vec<usize>) = databases.into_iter().unzip();
        let failed = body
            .failed
            .into_iter()
            .map(|f| {
                Ok(FailedDatabase {
                    name: f.name.to_string(),
                    source_sha256: sha(f.name, f.source_sha256)?,
                    error: f.error,
                })
            })
            .collect::<Result<_, BodyProblem>>()?;
        let skipped = body
            .skipped
            .into_iter()
            .map(|s| SkippedEntry {
                path: s.path.to_string(),
                reason: s.reason,
            })
            .collect();
        let catalog = Catalog::from_parts(databases, failed, skipped);
        // Lookups by name bisect the sorted list: a name twice would make one of them unreachable.
        let mut names: Vec<&str> = catalog
            .source_hashes()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        names.sort_unstable();
        if let Some(pair) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(BodyProblem::DuplicateName {
                name: pair[0].to_string(),
            });
        }
        Ok(Unchecked { catalog, max_extra })
    }
}

/// Encodes one database as it stands in a body's list, for a file streamed one database at a time.
pub(crate) fn encode_database<W: std::io::Write>(
    db: &Database,
    out: &mut W,
) -> Result<usize, bincode::error::EncodeError> {
    bincode::serde::encode_into_std_write(wire_database(db), out, config())
}

/// Encodes what follows the databases in a body: the failed databases and the skipped entries.
pub(crate) fn encode_tail<W: std::io::Write>(
    catalog: &Catalog,
    out: &mut W,
) -> Result<usize, bincode::error::EncodeError> {
    let body = Body::of(catalog);
    bincode::serde::encode_into_std_write((&body.failed, &body.skipped), out, config())
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
        max_extra_fields: max_extra_fields(&sections.record_starts, meta.columns.len()),
    }
}

/// The most fields beyond `columns` that any record has, from the record starts.
fn max_extra_fields(record_starts: &[u8], columns: usize) -> u32 {
    let mut starts = record_starts
        .chunks_exact(4)
        .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]));
    let mut previous = starts.next().unwrap_or(0);
    let mut most = 0;
    for start in starts {
        most = most.max(start.saturating_sub(previous));
        previous = start;
    }
    u32::try_from((most as usize).saturating_sub(columns)).unwrap_or(u32::MAX)
}

fn owned_database(payload: &Bytes, wire: WireDatabase<'_>) -> Result<Database, BodyProblem> {
    let name = wire.name;
    let shape_ok = wire.field_ends.len().is_multiple_of(4)
        && wire.record_starts.len().is_multiple_of(4)
        && !wire.record_starts.is_empty()
        && (wire.key_slots.len() / 4).is_power_of_two()
        && wire.key_slots.len().is_multiple_of(4);
    if !shape_ok {
        return Err(BodyProblem::MalformedSections {
            database: name.to_string(),
        });
    }
    let meta = DatabaseMeta {
        name: name.to_string(),
        source_sha256: sha(name, wire.source_sha256)?,
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
    Ok(database)
}

fn sha(name: &str, bytes: &[u8]) -> Result<[u8; 32], BodyProblem> {
    bytes.try_into().map_err(|_| BodyProblem::BadSha256 {
        database: name.to_string(),
        bytes: bytes.len(),
    })
}

//! The cache file's reference check, for the `cache_file` fuzz target and its replayed seeds: whatever a
//! cache file holds, once its checksums are made right (so the body decoder and the validation are what
//! get tested), reading it either fails with a typed problem or gives a catalog that answers every
//! accessor without panicking, finds every record by its key, stays within bounds set by the file's size,
//! and encodes back to the same data.

use bytes::Bytes;
use xxhash_rust::xxh3::xxh3_64;

use crate::cache::file;
use crate::cache::header::{HEADER_LEN, Header};
use crate::cache::wire::Body;
use crate::catalog::Catalog;
use crate::catalog::compare::first_difference;

/// Panics when `bytes`, read as a cache file with its checksums recomputed, shows a bug.
pub fn check(bytes: &[u8]) {
    // The header parser alone, on the bytes as they are.
    let _ = Header::parse(bytes);
    let Some(payload) = bytes.get(HEADER_LEN..) else {
        return;
    };
    let mut sha = [0u8; 32];
    sha.copy_from_slice(&bytes[16..48]);
    let header = Header::new(sha, payload.len() as u64, xxh3_64(payload));
    let mut whole = header.to_bytes().to_vec();
    whole.extend_from_slice(payload);
    file::verify(&whole).expect("a file with recomputed checksums verifies");

    let Ok(catalog) = Body::decode(&Bytes::copy_from_slice(payload)) else {
        return;
    };
    answers_everything(&catalog, payload.len());
    // What was accepted encodes back to the same data.
    let encoded = bincode::serde::encode_to_vec(Body::of(&catalog), crate::cache::wire::config())
        .expect("a decoded catalog encodes");
    let again = Body::decode(&Bytes::from(encoded)).expect("a re-encoded catalog decodes");
    assert_eq!(first_difference(&catalog, &again), None);
}

/// Every accessor of every database, with the work counted against the payload's size.
fn answers_everything(catalog: &Catalog, payload_len: usize) {
    let _ = (
        catalog.version(),
        catalog.records(),
        catalog.source_hashes(),
    );
    let mut fields_seen = 0usize;
    for db in catalog.databases() {
        let _ = (db.name(), db.version(), db.columns(), db.warnings());
        assert!(db.distinct_keys() <= db.len());
        assert_eq!(
            catalog
                .get(db.name())
                .map(super::super::catalog::index::Database::name),
            Some(db.name())
        );
        for record in db.records() {
            let fields = record.fields().count();
            fields_seen += fields;
            assert!(fields >= 1, "every record has a key");
            let _ = (record.version(), record.is_ragged(), record.extra().count());
            assert_eq!(record.fields().next(), Some(record.key()));
            let found = db
                .lookup(record.key())
                .expect("every record's key is found");
            assert_eq!(found.key(), record.key());
            assert!(
                found.index() <= record.index(),
                "the lookup finds the first"
            );
            assert_eq!(db.position(record.key()), Some(found.index()));
        }
        // `values` walks the columns, so it is asked of a few records only.
        for index in [0, db.len() / 2, db.len().saturating_sub(1)] {
            if let Some(record) = db.record(index) {
                assert_eq!(record.values().count(), db.columns().len());
            }
        }
        assert!(db.record(db.len()).is_none());
        let _ = db.lookup("a key that is not in any generated file \u{1F50E}");
    }
    // Every field is one u32 in the payload: the fields walked are bounded by its size.
    assert!(
        fields_seen <= payload_len / 4,
        "{fields_seen} fields from {payload_len} bytes"
    );
}

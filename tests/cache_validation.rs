//! Crafted cache files whose checksums are valid but whose body breaks one invariant each: every one is
//! refused as corrupt, naming what is wrong, rebuilt, and the data then comes from the archive.

mod common;

use std::fs;

use backstore::cache::validate::Inconsistency;
use backstore::cache::{BodyProblem, BuildReason, CacheState, Corruption, Outcome};
use backstore::testkit::cache_edit::{OwnedBody, set_word, word};
use common::Sandbox;

/// Plain keys, a duplicate, a ragged row, non-ASCII text and per-row versions.
fn archive() -> Vec<u8> {
    common::csv_archive(&[
        (
            "colours",
            "version,colour,hex\nv1,Teal,#008080\nv1,Red,#FF0000\nv2,Café,#A67B5B\nv1,Teal,#000000\nv1,Long,#1,#2\n",
        ),
        ("plain", "word,meaning\nhello,greeting\nbye,farewell\n"),
    ])
}

/// Writes the archive, builds its cache, applies `edit` to the body (checksums recomputed), and returns
/// the problem `status` names. A load takes the file (its databases are validated on first use); using
/// the data then finds the problem, takes the archive's data instead and rewrites the cache.
fn refused(edit: impl FnOnce(&mut OwnedBody)) -> BodyProblem {
    let sandbox = Sandbox::new();
    sandbox.write_archive(&archive());
    let built = sandbox.manager().load_or_build().expect("build");
    let path = built.report.cache_path.expect("a cache file");
    let bytes = fs::read(&path).expect("the cache file");
    let mut body = OwnedBody::of_file(&bytes);
    edit(&mut body);
    let crafted = body.into_file(&bytes);
    fs::write(&path, &crafted).expect("write the crafted file");

    let problem = match sandbox.manager().status().expect("status").state {
        CacheState::Corrupt {
            problem: Corruption::Body(problem),
        } => problem,
        other => panic!("expected status to find the body corrupt, got {other:?}"),
    };
    let loaded = sandbox
        .manager()
        .load_or_build()
        .expect("a crafted file never fails a load");
    match &loaded.report.outcome {
        // Refused while decoding, before any database could be used.
        Outcome::Built(BuildReason::Cache(CacheState::Corrupt {
            problem: Corruption::Body(found),
        })) => assert_eq!(found, &problem),
        // Taken, to be checked database by database on first use.
        Outcome::Loaded => assert_eq!(fs::read(&path).unwrap(), crafted),
        other => panic!("unexpected outcome {other:?}"),
    }
    // Whatever the load did, the data used is the archive's...
    let colours = loaded.catalog.get("colours").expect("colours");
    assert_eq!(
        colours.lookup("Teal").and_then(|r| r.value(1)),
        Some("#008080")
    );
    assert_eq!(colours.lookup("Café").map(|r| r.index()), Some(2));
    let plain = loaded.catalog.get("plain").expect("plain");
    assert_eq!(
        plain.lookup("bye").and_then(|r| r.value(1)),
        Some("farewell")
    );
    assert_eq!(plain.version(), None);
    assert_eq!(loaded.catalog.databases().len(), 2);
    // ...and the cache file was rewritten: fresh, and used from then on.
    assert_eq!(
        sandbox.manager().status().expect("status").state,
        CacheState::Fresh
    );
    let again = sandbox.manager().load_or_build().expect("load");
    assert_eq!(again.report.outcome, Outcome::Loaded);
    assert_ne!(fs::read(&path).unwrap(), crafted);
    problem
}

fn inconsistency(problem: BodyProblem) -> Inconsistency {
    match problem {
        BodyProblem::Inconsistent { problem, .. } => problem,
        other => panic!("expected an inconsistency, got {other:?}"),
    }
}

fn colours(body: &mut OwnedBody) -> &mut backstore::testkit::cache_edit::OwnedDatabase {
    body.database("colours")
}

#[test]
fn field_ends_that_decrease_are_refused() {
    let found = inconsistency(refused(|b| {
        let db = colours(b);
        let second = word(&db.field_ends, 1);
        set_word(&mut db.field_ends, 2, second - 1);
    }));
    assert_eq!(found, Inconsistency::FieldEndsDecrease { field: 2 });
}

#[test]
fn a_field_end_past_the_text_is_refused() {
    let found = inconsistency(refused(|b| {
        let db = colours(b);
        let last = db.field_ends.len() / 4 - 1;
        set_word(&mut db.field_ends, last, u32::MAX);
    }));
    assert!(
        matches!(found, Inconsistency::FieldEndPastText { .. }),
        "{found:?}"
    );
}

#[test]
fn text_that_is_not_utf8_is_refused() {
    let found = inconsistency(refused(|b| colours(b).text[0] = 0xFF));
    assert_eq!(found, Inconsistency::TextNotUtf8);
}

#[test]
fn a_field_ending_inside_a_character_is_refused() {
    let found = inconsistency(refused(|b| {
        let db = colours(b);
        // "Café": the field ends one byte into the two bytes of "é".
        let at = db
            .text
            .windows(2)
            .position(|w| w == "é".as_bytes())
            .expect("é");
        let field = (0..db.field_ends.len() / 4)
            .find(|&f| word(&db.field_ends, f) as usize == at + 2)
            .expect("the field ending after é");
        set_word(&mut db.field_ends, field, (at + 1) as u32);
    }));
    assert!(
        matches!(found, Inconsistency::FieldSplitsCharacter { .. }),
        "{found:?}"
    );
}

#[test]
fn record_starts_that_do_not_start_at_zero_are_refused() {
    let found = inconsistency(refused(|b| set_word(&mut colours(b).record_starts, 0, 1)));
    assert_eq!(found, Inconsistency::RecordStartsNotAtZero);
}

#[test]
fn a_record_without_fields_is_refused() {
    let found = inconsistency(refused(|b| {
        let db = colours(b);
        let first = word(&db.record_starts, 1);
        set_word(&mut db.record_starts, 2, first);
    }));
    assert_eq!(found, Inconsistency::RecordWithoutFields { record: 1 });
}

#[test]
fn a_record_of_four_billion_fields_is_refused() {
    // The case found by hand: a start near u32::MAX made one record of ~4e9 fields and search took 21 s.
    let found = inconsistency(refused(|b| {
        let db = colours(b);
        let last = db.record_starts.len() / 4 - 1;
        set_word(&mut db.record_starts, last, u32::MAX - 3);
    }));
    assert!(
        matches!(found, Inconsistency::TooManyFields { .. }),
        "{found:?}"
    );
}

#[test]
fn record_starts_that_end_short_of_the_fields_are_refused() {
    let found = inconsistency(refused(|b| {
        let db = colours(b);
        db.field_ends
            .extend_from_slice(&(db.text.len() as u32).to_le_bytes());
    }));
    assert!(
        matches!(found, Inconsistency::RecordStartsEnd { .. }),
        "{found:?}"
    );
}

#[test]
fn a_wrong_maximum_of_extra_fields_is_refused() {
    let found = inconsistency(refused(|b| colours(b).max_extra_fields = 0));
    assert!(
        matches!(found, Inconsistency::TooManyFields { .. }),
        "{found:?}"
    );
    let found = inconsistency(refused(|b| colours(b).max_extra_fields = 9));
    assert_eq!(
        found,
        Inconsistency::ExtraFieldsMaximum {
            recorded: 9,
            found: 1
        }
    );
}

#[test]
fn a_key_table_with_no_empty_slot_is_refused() {
    let found = inconsistency(refused(|b| {
        colours(b).key_slots = 1u32.to_le_bytes().to_vec();
    }));
    assert!(
        matches!(found, Inconsistency::KeyTableTooSmall { .. }),
        "{found:?}"
    );
}

#[test]
fn a_key_table_entry_past_the_records_is_refused() {
    let found = inconsistency(refused(|b| {
        let db = colours(b);
        let empty = (0..db.key_slots.len() / 4)
            .find(|&s| word(&db.key_slots, s) == 0)
            .unwrap();
        set_word(&mut db.key_slots, empty, 1000);
    }));
    assert!(
        matches!(found, Inconsistency::KeyTableEntryOutOfRange { .. }),
        "{found:?}"
    );
}

#[test]
fn a_record_its_lookup_cannot_find_is_refused() {
    // What 5,034 of 19,625 crafted files did: `list` showed records that `get` could not find.
    let found = inconsistency(refused(|b| {
        let db = colours(b);
        let slot = (0..db.key_slots.len() / 4)
            .find(|&s| word(&db.key_slots, s) == 2)
            .unwrap();
        set_word(&mut db.key_slots, slot, 0);
    }));
    assert_eq!(found, Inconsistency::KeyNotFound { record: 1 });
}

#[test]
fn a_duplicate_in_the_key_table_is_refused() {
    let found = inconsistency(refused(|b| {
        let db = colours(b);
        let empty = (0..db.key_slots.len() / 4)
            .find(|&s| word(&db.key_slots, s) == 0)
            .unwrap();
        // Record 3 is the second "Teal": the lookup must find record 0, and the table hold it once.
        set_word(&mut db.key_slots, empty, 4);
    }));
    assert!(
        matches!(
            found,
            Inconsistency::KeyTableStrayEntries { .. } | Inconsistency::KeyNotFound { .. }
        ),
        "{found:?}"
    );
}

#[test]
fn a_wrong_count_of_duplicates_is_refused() {
    let found = inconsistency(refused(|b| colours(b).duplicate_rows = 0));
    assert_eq!(
        found,
        Inconsistency::DuplicateCount {
            recorded: 0,
            found: 1
        }
    );
}

#[test]
fn a_duplicate_entry_naming_the_wrong_records_is_refused() {
    let found = inconsistency(refused(|b| colours(b).duplicates[0].first = 1));
    assert_eq!(found, Inconsistency::DuplicateEntry { entry: 0 });
}

#[test]
fn version_exceptions_out_of_order_or_range_are_refused() {
    let found = inconsistency(refused(|b| colours(b).version_exceptions[0].0 = 99));
    assert_eq!(found, Inconsistency::VersionException { entry: 0 });
    let found = inconsistency(refused(|b| {
        let db = colours(b);
        db.version_exceptions.push((1, "v3".into()));
    }));
    assert_eq!(found, Inconsistency::VersionException { entry: 1 });
}

#[test]
fn versions_in_an_unversioned_database_are_refused() {
    let found = inconsistency(refused(|b| b.database("plain").version = Some("v1".into())));
    assert_eq!(found, Inconsistency::UnversionedWithVersions);
}

#[test]
fn a_database_name_twice_is_refused() {
    let found = refused(|b| b.database("plain").name = "colours".into());
    assert_eq!(
        found,
        BodyProblem::DuplicateName {
            name: "colours".into()
        }
    );
}

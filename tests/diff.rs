//! The record-level diff against its reference (`backstore::testkit::diff`) over random pairs of tables
//! (edited, reordered, duplicated keys, changed headers), and `backstore diff` as a real process.

mod common;

use backstore::catalog::diff::{self, DiffKind};
use backstore::testkit::diff::check_diff;
use backstore::testkit::tables::{self, Table};
use common::{Sandbox, assert_one_line_error, code, json, run_in, stderr, stdout};
use proptest::prelude::*;

fn rows() -> impl Strategy<Value = Vec<Vec<String>>> {
    // Few keys, so duplicates are common; rows now and then a field short or long.
    let row = (1..=4usize).prop_flat_map(|n| {
        ("[abc]", proptest::collection::vec("[xy]{0,2}", n - 1))
            .prop_map(|(k, rest)| std::iter::once(k).chain(rest).collect::<Vec<String>>())
    });
    proptest::collection::vec(row, 0..12)
}

fn header() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        3 => Just(vec!["key".to_string(), "a".into(), "b".into()]),
        1 => Just(vec!["key".to_string(), "b".into(), "a".into()]),
        1 => Just(vec!["key".to_string(), "a".into()]),
        1 => Just(vec!["version".to_string(), "key".into(), "a".into()]),
    ]
}

fn side() -> impl Strategy<Value = Vec<Table>> {
    (header(), rows(), rows(), any::<bool>()).prop_map(|(header, one, two, both)| {
        let mut tables = vec![Table {
            name: "one".into(),
            header: header.clone(),
            rows: one,
        }];
        if both {
            tables.push(Table {
                name: "two".into(),
                header,
                rows: two,
            });
        }
        tables
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(backstore::testkit::proptest_cases(512)))]

    #[test]
    fn diff_matches_its_reference(old in side(), new in side()) {
        check_diff(&tables::catalog(&old), &tables::catalog(&new));
    }

    /// A few edits of the same table, so most records match and the changes are small.
    #[test]
    fn small_edits_match_the_reference(old in rows(), edits in proptest::collection::vec((0..12usize, "[xyz]{0,2}"), 0..4)) {
        let header = vec!["key".to_string(), "a".into(), "b".into()];
        let mut new = old.clone();
        for (at, value) in edits {
            match new.get_mut(at) {
                Some(row) if row.len() > 1 => row[1] = value,
                Some(_) => { new.remove(at); }
                None => new.push(vec![format!("k{at}"), value]),
            }
        }
        let old = tables::catalog(&[Table { name: "t".into(), header: header.clone(), rows: old }]);
        let new = tables::catalog(&[Table { name: "t".into(), header, rows: new }]);
        check_diff(&old, &new);
    }
}

#[test]
fn duplicate_keys_match_nth_with_nth() {
    let table = |rows: &[[&str; 2]]| {
        tables::catalog(&[Table {
            name: "t".into(),
            header: vec!["key".into(), "v".into()],
            rows: rows
                .iter()
                .map(|r| r.iter().map(std::string::ToString::to_string).collect())
                .collect(),
        }])
    };
    let old = table(&[["a", "1"], ["b", "2"], ["a", "3"]]);
    let new = table(&[["a", "1"], ["a", "4"], ["c", "5"], ["a", "6"]]);
    let d = diff::diff(&old, &new);
    let t = &d.databases[0];
    assert_eq!(t.change, DiffKind::Modified);
    // The second "a" (old 2) matches the second "a" (new 1); the third "a" is added.
    assert_eq!(t.changed.len(), 1);
    assert_eq!(
        (t.changed[0].position.old, t.changed[0].position.new),
        (2, 1)
    );
    assert_eq!(t.changed[0].fields[0].column, "v");
    assert_eq!(
        (
            t.changed[0].fields[0].old.as_deref(),
            t.changed[0].fields[0].new.as_deref()
        ),
        (Some("3"), Some("4"))
    );
    let added: Vec<(&str, usize)> = t
        .added
        .iter()
        .map(|r| (r.key.as_str(), r.position))
        .collect();
    assert_eq!(added, vec![("c", 2), ("a", 3)]);
    let removed: Vec<&str> = t.removed.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(removed, vec!["b"]);
}

const COLOURS: &str = "version,colour,hex\nv0.1.0,Teal,#008080\nv0.1.0,Navy,#000080\n";
const PLACES: &str = "version,place\nv0.1.0,Oslo\n";

#[test]
fn cli_diff_compares_a_stale_cache_with_the_archive() {
    let sandbox = Sandbox::new();
    let data = sandbox.data_dir();
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("databases.tar.gz");
    let path = archive.to_str().unwrap();
    std::fs::write(
        &archive,
        common::csv_archive(&[("colours", COLOURS), ("places", PLACES)]),
    )
    .unwrap();

    let none = run_in(&data, &["--archive", path, "diff"]);
    let err = assert_one_line_error(&none, 2);
    assert!(
        err.contains("no cache file") && err.contains("databases_v0.1.0.bin"),
        "{err}"
    );

    assert_eq!(code(&run_in(&data, &["--archive", path, "load"])), 0);
    let same = run_in(&data, &["--archive", path, "diff"]);
    assert_eq!(code(&same), 0, "{}", stderr(&same));
    assert!(stdout(&same).contains("identical"), "{}", stdout(&same));

    let edited = COLOURS.replace("#000080", "#000081") + "v0.1.0,Coral,#FF7F50\n";
    std::fs::write(&archive, common::csv_archive(&[("colours", &edited)])).unwrap();
    let text = run_in(&data, &["--archive", path, "diff"]);
    assert_eq!(code(&text), 1, "{}", stderr(&text));
    let out = stdout(&text);
    assert!(out.contains("colours: modified"), "{out}");
    assert!(
        out.contains("~ Navy") && out.contains("hex: \"#000080\" → \"#000081\""),
        "{out}"
    );
    assert!(out.contains("+ Coral"), "{out}");
    assert!(out.contains("places: removed (1 record)"), "{out}");

    let value = json(&run_in(&data, &["--archive", path, "diff", "--json"]));
    assert_eq!(value["identical"], false);
    let colours = &value["databases"][0];
    assert_eq!(colours["name"], "colours");
    assert_eq!(colours["change"], "modified");
    assert_eq!(colours["changed"][0]["key"], "Navy");
    assert_eq!(colours["changed"][0]["fields"][0]["new"], "#000081");
    assert_eq!(colours["added"][0]["key"], "Coral");
    assert_eq!(value["databases"][1]["change"], "removed");
}

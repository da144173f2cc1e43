//! Sort, frequency table and column statistics against their references (`backstore::testkit::insight`)
//! over random tables: numbers, text, mixed columns, empty and missing fields.

use std::sync::atomic::AtomicBool;

use backstore::insight::{self, Direction, InsightError};
use backstore::testkit::insight::{check_insight, check_sort};
use backstore::testkit::tables::{self, Table};
use proptest::prelude::*;

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[0-9]{1,3}",
        2 => "-?[0-9]{0,2}\\.?[0-9]{0,2}(e-?[0-9])?",
        2 => "[a-cA-Cé]{0,3}",
        1 => Just(String::new()),
        1 => Just("-0".to_string()),
        1 => Just("1e999".to_string()),
    ]
}

fn table() -> impl Strategy<Value = Table> {
    (1..=3usize, 0..40usize).prop_flat_map(|(width, rows)| {
        let header: Vec<String> = (0..width).map(|c| format!("c{c}")).collect();
        let row = (1..=width + 1).prop_flat_map(|n| proptest::collection::vec(value(), n));
        // Keys must not be empty or the row is dropped; prefix them so every row stays.
        proptest::collection::vec(row, rows).prop_map(move |rows| Table {
            name: "t".into(),
            header: header.clone(),
            rows: rows
                .into_iter()
                .map(|mut r| {
                    r[0] = format!("k{}", r[0]);
                    r
                })
                .collect(),
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(backstore::testkit::proptest_cases(512)))]

    #[test]
    fn sort_matches_its_reference(table in table()) {
        let catalog = tables::catalog(&[table]);
        let db = &catalog.databases()[0];
        for column in 0..db.columns().len() {
            check_sort(db, column);
        }
    }

    #[test]
    fn frequency_and_stats_match_their_reference(table in table()) {
        let catalog = tables::catalog(&[table]);
        let db = &catalog.databases()[0];
        for column in 0..db.columns().len() {
            check_insight(db, column);
        }
    }
}

/// More records than one chunk, so the merge of sorted runs and the merge of counts are checked too.
#[test]
fn large_columns_match_their_references() {
    let rows: Vec<Vec<String>> = (0..70_000)
        .map(|i| {
            vec![
                format!("k{i}"),
                format!("{}", (i * 7919) % 1000),
                ["x", "", "10"][i % 3].to_string(),
            ]
        })
        .collect();
    let catalog = tables::catalog(&[Table {
        name: "big".into(),
        header: vec!["key".into(), "n".into(), "mixed".into()],
        rows,
    }]);
    let db = &catalog.databases()[0];
    for column in 0..3 {
        check_sort(db, column);
        check_insight(db, column);
    }
}

#[test]
fn numbers_sort_as_numbers_then_text_then_blanks_and_ties_keep_order() {
    let rows = [
        ["a", "10"],
        ["b", "9"],
        ["c", "x"],
        ["d", ""],
        ["e", "9.0"],
        ["f", "-1"],
    ];
    let mut rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(std::string::ToString::to_string).collect())
        .collect();
    rows.push(vec!["g".into()]);
    let catalog = tables::catalog(&[Table {
        name: "t".into(),
        header: vec!["key".into(), "n".into()],
        rows,
    }]);
    let db = &catalog.databases()[0];
    let never = AtomicBool::new(false);
    let up = insight::sort(db, 1, Direction::Ascending, &never).unwrap();
    assert_eq!(up, vec![5, 1, 4, 0, 2, 3, 6]);
    let down = insight::sort(db, 1, Direction::Descending, &never).unwrap();
    assert_eq!(down, vec![2, 0, 1, 4, 5, 3, 6]);
}

#[test]
fn frequency_counts_values_and_stats_see_numbers() {
    let rows = [["a", "2"], ["b", "1"], ["c", "2"], ["d", ""]];
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(std::string::ToString::to_string).collect())
        .collect();
    let catalog = tables::catalog(&[Table {
        name: "t".into(),
        header: vec!["key".into(), "n".into()],
        rows,
    }]);
    let db = &catalog.databases()[0];
    let never = AtomicBool::new(false);
    let table = insight::frequency(db, 1, &never).unwrap();
    let values: Vec<(&str, usize, f64)> = table
        .values
        .iter()
        .map(|v| (v.value.as_str(), v.count, v.percent))
        .collect();
    assert_eq!(values, vec![("2", 2, 50.0), ("1", 1, 25.0)]);
    assert_eq!((table.empty, table.missing), (1, 0));
    let stats = insight::stats(db, 1, &never).unwrap();
    let numeric = stats.numeric.expect("a numeric column");
    assert_eq!(
        (numeric.min, numeric.max, numeric.mean),
        (1.0, 2.0, 5.0 / 3.0)
    );
    assert_eq!(
        (stats.distinct, stats.min_length, stats.max_length),
        (2, Some(1), Some(1))
    );
    assert!(insight::stats(db, 0, &never).unwrap().numeric.is_none());
}

#[test]
fn a_cancelled_or_unknown_column_is_an_error() {
    let rows = vec![vec!["a".to_string()]];
    let catalog = tables::catalog(&[Table {
        name: "t".into(),
        header: vec!["key".into()],
        rows,
    }]);
    let db = &catalog.databases()[0];
    let cancelled = AtomicBool::new(true);
    assert_eq!(
        insight::sort(db, 0, Direction::Ascending, &cancelled),
        Err(InsightError::Cancelled)
    );
    assert_eq!(
        insight::frequency(db, 0, &cancelled),
        Err(InsightError::Cancelled)
    );
    let never = AtomicBool::new(false);
    let err = insight::stats(db, 3, &never).unwrap_err();
    assert_eq!(err.to_string(), "t has no column 3 (it has 1)");
}

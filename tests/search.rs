//! Search against its reference (`backstore::testkit::search`): random catalogs and queries in every mode,
//! with the letters whose case rules differ beyond ASCII (Turkish dotted I, German sharp s, Greek sigma,
//! the Kelvin sign, accents), plus the command line's `search`.

mod common;

use backstore::search::{self, Hit, Mode, Query, Scope, Span};
use backstore::testkit::search::{check_rank, check_search};
use backstore::testkit::tables::{self, Table};
use common::{Sandbox, assert_one_line_error, code, json, run_in, stderr, stdout};
use proptest::prelude::*;
use std::sync::atomic::AtomicBool;

/// Letters chosen for their case rules, ASCII look-alikes, spaces, newlines and colons.
const ALPHABET: &str = "aAbBkKiIİıeéÉsSßẞσςΣ :\n,\u{212a}";

/// ASCII only, so the scans that need ASCII text (fuzzy's) are the ones checked.
const ASCII: &str = "aAbBkKsS :\n,";

fn text(max: usize) -> impl Strategy<Value = String> {
    text_of(ALPHABET, max)
}

fn text_of(alphabet: &'static str, max: usize) -> impl Strategy<Value = String> {
    let chars: Vec<char> = alphabet.chars().collect();
    proptest::collection::vec(proptest::sample::select(chars), 0..=max)
        .prop_map(|c| c.into_iter().collect())
}

fn table(name: &'static str) -> impl Strategy<Value = Table> {
    table_of(name, ALPHABET)
}

fn table_of(name: &'static str, alphabet: &'static str) -> impl Strategy<Value = Table> {
    let columns = ["key", "name", "Note"];
    (1..=3usize, 0..12usize).prop_flat_map(move |(width, rows)| {
        let header: Vec<String> = columns[..width]
            .iter()
            .map(std::string::ToString::to_string)
            .collect();
        // Rows a field short or long now and then, as ragged CSV is.
        let row = (width.saturating_sub(1)..=width + 1)
            .prop_flat_map(move |n| proptest::collection::vec(text_of(alphabet, 10), n.max(1)));
        proptest::collection::vec(row, rows).prop_map(move |rows| Table {
            name: name.to_string(),
            header: header.clone(),
            rows,
        })
    })
}

fn catalog_tables() -> impl Strategy<Value = Vec<Table>> {
    (table("alpha"), table("beta"), any::<bool>()).prop_map(
        |(a, b, two)| {
            if two { vec![a, b] } else { vec![a] }
        },
    )
}

/// A pattern for a mode: literal text, or a small regex from pieces whose case is plain.
fn query(mode: Mode) -> BoxedStrategy<String> {
    let scope = prop_oneof![
        4 => Just(String::new()),
        1 => Just("name:".to_string()),
        1 => Just("NOTE:".to_string()),
        1 => Just("nosuch:".to_string()),
    ];
    let pattern = match mode {
        Mode::Regex => {
            let piece = prop_oneof![
                text(2),
                Just(".".to_string()),
                Just("[ab]".to_string()),
                Just("(a|σ)".to_string()),
                Just("k+".to_string()),
                Just("s?".to_string()),
                Just("é*".to_string()),
                Just("^".to_string()),
                Just("$".to_string()),
                Just(r"\b".to_string()),
                Just("(".to_string()),
            ];
            proptest::collection::vec(piece, 1..4)
                .prop_map(|p| p.concat())
                .boxed()
        }
        _ => text(4).boxed(),
    };
    (scope, pattern)
        .prop_map(|(s, p)| format!("{s}{p}"))
        .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(backstore::testkit::proptest_cases(256)))]

    #[test]
    fn substring_matches_its_reference(tables in catalog_tables(), q in query(Mode::Substring)) {
        check_search(&tables::catalog(&tables), &q, Mode::Substring);
    }

    #[test]
    fn regex_matches_its_reference(tables in catalog_tables(), q in query(Mode::Regex)) {
        check_search(&tables::catalog(&tables), &q, Mode::Regex);
    }

    #[test]
    fn ascii_fuzzy_and_substring_match_their_reference(
        table in table_of("ascii", ASCII),
        q in text_of(ASCII, 5),
        fuzzy in any::<bool>(),
    ) {
        let mode = if fuzzy { Mode::Fuzzy } else { Mode::Substring };
        check_search(&tables::catalog(&[table]), &q, mode);
    }

    #[test]
    fn fuzzy_matches_its_reference(tables in catalog_tables(), q in query(Mode::Fuzzy)) {
        check_search(&tables::catalog(&tables), &q, Mode::Fuzzy);
    }

    #[test]
    fn ranking_matches_the_plain_comparison(hits in hits(), in_catalog_order in any::<bool>()) {
        let mut hits = hits;
        if in_catalog_order {
            hits.sort_by_key(|h| (h.database, h.record));
        }
        check_rank(&hits);
    }
}

/// Hits on distinct records, their scores all in a narrow range (substring's three, fuzzy's hundreds)
/// or anywhere.
fn hits() -> impl Strategy<Value = Vec<Hit>> {
    let scores = prop_oneof![Just(0..3i64), Just(-300..300i64), Just(i64::MIN..i64::MAX)];
    scores.prop_flat_map(|scores| {
        let hit = (0..3usize, 0..400usize, 0..3usize, scores).prop_map(
            |(database, record, field, score)| Hit {
                database,
                record,
                score,
                field,
                span: Span::default(),
            },
        );
        proptest::collection::vec(hit, 0..300).prop_map(|mut hits| {
            let mut seen = std::collections::HashSet::new();
            hits.retain(|h| seen.insert((h.database, h.record)));
            hits
        })
    })
}

/// Enough records for several chunks per database, so hits at chunk edges are checked too.
#[test]
fn large_databases_split_into_chunks_match_the_reference() {
    let rows: Vec<Vec<String>> = (0..12_000)
        .map(|i| vec![format!("k{i}"), format!("v{}", i % 977), "x".repeat(i % 3)])
        .collect();
    let table = Table {
        name: "big".into(),
        header: vec!["key".into(), "value".into(), "pad".into()],
        rows,
    };
    let catalog = tables::catalog(&[table]);
    for (text, mode) in [
        ("k1", Mode::Substring),
        ("v97", Mode::Substring),
        ("value:v1", Mode::Substring),
        ("xx", Mode::Substring),
        ("k[0-9]*7$", Mode::Regex),
        ("v9+", Mode::Regex),
        ("k39", Mode::Fuzzy),
    ] {
        check_search(&catalog, text, mode);
    }
}

#[test]
fn key_hits_rank_first_and_each_hit_says_where_it_matched() {
    let catalog = tables::catalog(&[Table {
        name: "animals".into(),
        header: vec!["animal".into(), "habitat".into()],
        rows: [
            ["Flea", "Parasites of mammals and birds"],
            ["Bluebird", "Open woodland"],
            ["Bird", "Everywhere"],
        ]
        .iter()
        .map(|r| r.iter().map(std::string::ToString::to_string).collect())
        .collect(),
    }]);
    let never = AtomicBool::new(false);
    let query = Query::new("bird", Mode::Substring).unwrap();
    let hits = search::search(&catalog, &query, Scope::All, None, &never).unwrap();
    let order: Vec<(usize, usize, std::ops::Range<usize>)> = hits
        .iter()
        .map(|h| (h.record, h.field, h.span.range()))
        .collect();
    // Bird (whole key), Bluebird (key), then Flea (habitat).
    assert_eq!(order, vec![(2, 0, 0..4), (1, 0, 4..8), (0, 1, 25..29)]);
}

#[test]
fn fuzzy_no_longer_floods_but_still_tolerates_gaps() {
    let catalog = backstore::testkit::tables::catalog(&[Table {
        name: "adjectives".into(),
        header: vec!["adjective".into(), "definition".into()],
        rows: [
            [
                "conventional",
                "Based on or in accordance with what is generally done",
            ],
            ["hummingbird-like", "Small and quick"],
        ]
        .iter()
        .map(|r| r.iter().map(std::string::ToString::to_string).collect())
        .collect(),
    }]);
    let never = AtomicBool::new(false);
    let run = |text: &str| {
        let query = Query::new(text, Mode::Fuzzy).unwrap();
        search::search(&catalog, &query, Scope::All, None, &never).unwrap()
    };
    assert!(
        run("bird").iter().all(|h| h.record == 1),
        "only the compact match"
    );
    assert_eq!(run("hmmngbrd").len(), 1);
    assert!(run("anosdusk").is_empty());
}

#[test]
fn an_unknown_column_is_an_error_naming_the_known_ones() {
    let catalog = tables::catalog(&[Table {
        name: "colours".into(),
        header: vec!["colour".into(), "hex".into()],
        rows: vec![vec!["Teal".into(), "#008080".into()]],
    }]);
    let query = Query::new("shade:teal", Mode::Substring).unwrap();
    let err = search::check(&catalog, &query, Scope::All).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown column \"shade\" (known: colour, hex)"
    );
    let query = Query::new(r"shade\:teal", Mode::Substring).unwrap();
    assert!(search::check(&catalog, &query, Scope::All).is_ok());
}

#[test]
fn cancelling_stops_a_search() {
    let catalog = tables::catalog(&[Table {
        name: "t".into(),
        header: vec!["key".into()],
        rows: vec![vec!["a".into()]],
    }]);
    let cancelled = AtomicBool::new(true);
    let query = Query::new("a", Mode::Substring).unwrap();
    assert_eq!(
        search::search(&catalog, &query, Scope::All, None, &cancelled),
        Err(search::SearchError::Cancelled)
    );
}

#[test]
fn cli_search_modes_exit_codes_and_errors() {
    let sandbox = Sandbox::new();
    let data = sandbox.data_dir();
    // Substring by default: "bird" in keys ranks first and the field is named.
    let found = run_in(&data, &["search", "bird", "--db", "animals", "--json"]);
    assert_eq!(code(&found), 0, "{}", stderr(&found));
    let value = json(&found);
    let hits = value.as_array().expect("an array");
    assert!(!hits.is_empty());
    let first = &hits[0];
    assert!(
        first["key"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("bird"),
        "{first}"
    );
    assert_eq!(first["field"], "animal");
    let (start, end) = (
        first["match"]["start"].as_u64().unwrap(),
        first["match"]["end"].as_u64().unwrap(),
    );
    let key = first["key"].as_str().unwrap();
    assert_eq!(key[start as usize..end as usize].to_lowercase(), "bird");

    let none = run_in(&data, &["search", "anosdusk"]);
    assert_eq!(code(&none), 1, "{}", stderr(&none));
    assert!(
        stdout(&none).contains("0 of 0 matches (substring)"),
        "{}",
        stdout(&none)
    );

    let regex = run_in(
        &data,
        &["search", "^Blue", "--mode", "regex", "--db", "colours"],
    );
    assert_eq!(code(&regex), 0, "{}", stderr(&regex));
    assert!(
        stdout(&regex).lines().next().unwrap().contains("Blue"),
        "{}",
        stdout(&regex)
    );

    let invalid = run_in(&data, &["search", "(bird", "--mode", "regex"]);
    let err = assert_one_line_error(&invalid, 2);
    assert!(
        err.contains("invalid regex \"(bird\": unclosed group"),
        "{err}"
    );

    let column = run_in(&data, &["search", "shade:teal", "--db", "colours"]);
    let err = assert_one_line_error(&column, 2);
    assert!(
        err.contains("unknown column \"shade\"") && err.contains("colour"),
        "{err}"
    );

    let mode = run_in(&data, &["search", "x", "--mode", "glob"]);
    let err = assert_one_line_error(&mode, 2);
    assert!(err.contains("glob"), "{err}");
}

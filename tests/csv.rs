//! CSV as the catalog reads it: RFC 4180 quoting, BOM, line endings, versions, ragged rows, empty keys,
//! duplicate keys, invalid UTF-8 and non-ASCII keys. Every fixture also runs without its final newline
//! and with CRLF line ends (`common::for_each_variant`).

mod common;

use backstore::catalog::{Catalog, Database, DuplicateKey};
use backstore::cli::{Cli, execute};
use backstore::error::{CsvError, CsvProblem, DatabaseError};
use backstore::testkit::csv_check::parse_one;
use clap::Parser;
use common::{Sandbox, for_each_variant};

fn only(catalog: &Catalog, name: &str) -> Database {
    assert!(
        catalog.failed().is_empty(),
        "no database fails: {:?}",
        catalog.failed()
    );
    catalog
        .get(name)
        .unwrap_or_else(|| panic!("database {name} is loaded"))
        .clone()
}

/// A catalog of one database `databases/<name>.csv` holding these bytes.
fn build_one(name: &str, csv: &[u8]) -> Catalog {
    common::build(&common::archive_of(&[(
        &format!("databases/{name}.csv"),
        csv,
    )]))
}

/// The one database of a catalog built from these bytes, which must load.
fn db_of(name: &str, csv: &[u8]) -> Database {
    only(&build_one(name, csv), name)
}

fn values(db: &Database, key: &str) -> Vec<Option<String>> {
    db.lookup(key)
        .unwrap_or_else(|| panic!("key {key:?} is found"))
        .values()
        .map(|v| v.map(str::to_string))
        .collect()
}

/// Runs a command in-process against an archive and returns (exit code as debug text, stdout).
fn execute_on(archive: &[u8], args: &[&str]) -> (String, String) {
    let sandbox = Sandbox::new();
    let path = sandbox.write_archive(archive);
    let mut argv = vec![
        "backstore".to_string(),
        "--archive".to_string(),
        path.display().to_string(),
        "--data-dir".to_string(),
        sandbox.data_dir().display().to_string(),
    ];
    argv.extend(args.iter().map(std::string::ToString::to_string));
    let cli = Cli::try_parse_from(argv).expect("valid arguments");
    let mut out = Vec::new();
    let code = execute(&cli.global, cli.command.expect("a subcommand"), &mut out)
        .expect("the command runs");
    (
        format!("{code:?}"),
        String::from_utf8(out).expect("UTF-8 output"),
    )
}

fn success() -> String {
    format!("{:?}", std::process::ExitCode::SUCCESS)
}

#[test]
fn quoted_commas_doubled_quotes_and_embedded_newlines_are_kept_exactly() {
    let text = "version,key,note\r\n\
                v1,comma,\"a, b, c\"\r\n\
                v1,quote,\"say \"\"hi\"\"\"\r\n\
                v1,crlf,\"line one\r\nline two\"\r\n\
                v1,lf,\"line one\nline two\"\n\
                v1,\"quoted, key\",plain\n";
    for_each_variant(text, |csv| {
        let db = db_of("q", csv);
        assert_eq!(db.len(), 5);
        assert_eq!(
            values(&db, "comma"),
            [Some("comma".into()), Some("a, b, c".into())]
        );
        assert_eq!(values(&db, "quote")[1].as_deref(), Some("say \"hi\""));
        assert_eq!(
            values(&db, "crlf")[1].as_deref(),
            Some("line one\r\nline two")
        );
        assert_eq!(values(&db, "lf")[1].as_deref(), Some("line one\nline two"));
        assert_eq!(values(&db, "quoted, key")[1].as_deref(), Some("plain"));
        assert!(db.warnings().is_empty(), "{:?}", db.warnings());
    });
}

#[test]
fn a_bom_is_stripped_so_the_version_header_is_still_recognised() {
    for_each_variant("\u{feff}version,key,value\nv2.0,k,v\n", |csv| {
        let db = db_of("bom", csv);
        assert_eq!(db.columns(), ["key", "value"]);
        assert_eq!(db.version(), Some("v2.0"));
        assert_eq!(db.lookup("k").and_then(|r| r.version()), Some("v2.0"));
        assert_eq!(values(&db, "k")[1].as_deref(), Some("v"));
    });
}

#[test]
fn only_one_bom_is_stripped_as_the_csv_crate_does() {
    for_each_variant("\u{feff}\u{feff}version,key\nv1,k\n", |csv| {
        let db = db_of("boms", csv);
        assert_eq!(db.columns(), ["\u{feff}version", "key"]);
        assert_eq!(db.version(), None);
        assert_eq!(values(&db, "v1")[1].as_deref(), Some("k"));
    });
}

#[test]
fn crlf_and_lf_rows_both_end_a_row_and_blank_lines_are_ignored() {
    let text = "version,key,value\r\n\r\nv1,a,1\r\n\nv1,b,2\n\n\r\nv1,c,3\r\n\n";
    for_each_variant(text, |csv| {
        let db = db_of("mixed", csv);
        let keys: Vec<&str> = db.records().map(|r| r.key()).collect();
        assert_eq!(keys, ["a", "b", "c"]);
        assert_eq!(values(&db, "c")[1].as_deref(), Some("3"));
        assert!(db.warnings().is_empty(), "{:?}", db.warnings());
    });
}

#[test]
fn blank_lines_before_the_header_are_ignored_too() {
    for_each_variant("\u{feff}\n\r\n\nversion,key\nv1,k\n", |csv| {
        let db = db_of("late", csv);
        assert_eq!(db.columns(), ["key"]);
        assert_eq!(db.version(), Some("v1"));
        assert_eq!(db.len(), 1);
    });
}

#[test]
fn a_line_of_two_quotes_is_a_row_with_an_empty_key_not_a_blank_line() {
    for_each_variant("key,value\n\"\"\nk,1\n\"\",x\n", |csv| {
        let db = db_of("quotes", csv);
        assert_eq!(db.len(), 1);
        assert_eq!(db.warnings().empty_key_rows, 2);
        assert_eq!(db.warnings().empty_key_lines, [2, 4]);
    });
}

#[test]
fn fields_are_neither_trimmed_nor_case_folded() {
    let text =
        "version,key,value\nv1,\"  Spaced  \", padded value \nv1,Apple,upper\nv1,apple,lower\n";
    for_each_variant(text, |csv| {
        let db = db_of("raw", csv);
        assert_eq!(db.lookup("  Spaced  ").map(|r| r.key()), Some("  Spaced  "));
        assert!(db.lookup("Spaced").is_none());
        assert_eq!(
            values(&db, "  Spaced  ")[1].as_deref(),
            Some(" padded value ")
        );
        assert_eq!(values(&db, "Apple")[1].as_deref(), Some("upper"));
        assert_eq!(values(&db, "apple")[1].as_deref(), Some("lower"));
        assert!(db.lookup("APPLE").is_none());
    });
}

#[test]
fn a_version_header_gives_each_row_its_version_and_the_database_the_first_rows() {
    let text = "version,key,value\nv1.0,a,1\nv1.0,b,2\nv2.0,c,3\nv1.0,d,4\n";
    for_each_variant(text, |csv| {
        let db = db_of("versions", csv);
        assert_eq!(db.version(), Some("v1.0"));
        assert_eq!(db.columns(), ["key", "value"]);
        let versions: Vec<Option<&str>> = db.records().map(|r| r.version()).collect();
        assert_eq!(
            versions,
            [Some("v1.0"), Some("v1.0"), Some("v2.0"), Some("v1.0")]
        );
        // The version is not a field: the key comes first.
        let c = db.lookup("c").expect("c");
        assert_eq!(c.fields().collect::<Vec<_>>(), ["c", "3"]);
        assert_eq!(c.value(0), Some("c"));
        assert_eq!(values(&db, "d")[1].as_deref(), Some("4"));
    });
}

#[test]
fn without_a_version_header_the_first_field_is_the_key_and_there_is_no_version() {
    let text = "word,meaning\nhello,greeting\nv1,looks like a version\n";
    for_each_variant(text, |csv| {
        let db = db_of("plain", csv);
        assert_eq!(db.version(), None);
        assert_eq!(db.columns(), ["word", "meaning"]);
        assert_eq!(db.len(), 2);
        let hello = db.lookup("hello").expect("hello");
        assert_eq!(hello.version(), None);
        assert_eq!(hello.value(1), Some("greeting"));
        assert_eq!(db.lookup("v1").map(|r| r.index()), Some(1));
        assert_eq!(
            values(&db, "v1")[1].as_deref(),
            Some("looks like a version")
        );
    });
}

#[test]
fn ragged_rows_are_kept_with_missing_fields_none_and_extras_apart() {
    let text = "version,key,a,b\n\
                v1,full,1,2\n\
                v1,short,1\n\
                v1,empty,,\n\
                v1,long,1,2,x,y\n\
                v1,keyonly\n";
    for_each_variant(text, |csv| {
        let db = db_of("ragged", csv);
        assert_eq!(db.len(), 5);
        let short = db.lookup("short").expect("short");
        assert_eq!(
            short.values().collect::<Vec<_>>(),
            [Some("short"), Some("1"), None]
        );
        assert!(short.is_ragged());
        let empty = db.lookup("empty").expect("empty");
        assert_eq!(
            empty.values().collect::<Vec<_>>(),
            [Some("empty"), Some(""), Some("")]
        );
        assert!(!empty.is_ragged());
        let long = db.lookup("long").expect("long");
        assert_eq!(long.extra().collect::<Vec<_>>(), ["x", "y"]);
        assert_eq!(long.values().count(), 3);
        assert_eq!(
            db.lookup("keyonly")
                .expect("keyonly")
                .values()
                .collect::<Vec<_>>(),
            [Some("keyonly"), None, None]
        );
        let warnings = db.warnings();
        assert_eq!(warnings.ragged_rows, 3);
        assert_eq!(warnings.ragged_lines, [3, 5, 6]);
    });
}

#[test]
fn get_json_shows_a_missing_field_as_null_and_an_empty_one_as_an_empty_string() {
    let text = "version,key,a,b\nv1,short,1\nv1,empty,,\nv1,long,1,2,x\n";
    for_each_variant(text, |csv| {
        let archive = common::archive_of(&[("databases/ragged.csv", csv)]);
        let (code, out) = execute_on(&archive, &["get", "ragged", "short", "--json"]);
        assert_eq!(code, success());
        let json: serde_json::Value = serde_json::from_str(&out).expect("JSON");
        assert_eq!(
            json["values"],
            serde_json::json!({"key": "short", "a": "1", "b": null})
        );
        assert_eq!(json["extra"], serde_json::json!([]));

        let (_, out) = execute_on(&archive, &["get", "ragged", "empty", "--json"]);
        let json: serde_json::Value = serde_json::from_str(&out).expect("JSON");
        assert_eq!(
            json["values"],
            serde_json::json!({"key": "empty", "a": "", "b": ""})
        );

        let (_, out) = execute_on(&archive, &["get", "ragged", "long", "--json"]);
        let json: serde_json::Value = serde_json::from_str(&out).expect("JSON");
        assert_eq!(json["extra"], serde_json::json!(["x"]));
        assert_eq!(json["version"], "v1");
    });
}

#[test]
fn rows_with_an_empty_key_are_dropped_and_counted_with_their_lines() {
    let text = "version,key,value\n\
                v1,a,1\n\
                v1,,no key\n\
                v1\n\
                v1,b,2\n";
    for_each_variant(text, |csv| {
        let db = db_of("gaps", csv);
        assert_eq!(db.len(), 2);
        assert_eq!(db.warnings().empty_key_rows, 2);
        assert_eq!(db.warnings().empty_key_lines, [3, 4]);
        assert!(db.lookup("").is_none());
        assert_eq!(values(&db, "b")[1].as_deref(), Some("2"));
    });
}

#[test]
fn the_lookup_maps_a_key_to_its_record_position_not_its_line() {
    let text = "version,key,note\n\
                v1,alpha,one\n\
                v1,,dropped\n\
                v1,beta,\"multi\n\
                line\n\
                field\"\n\
                \n\
                v1,,dropped again\n\
                v1,gamma,three\n";
    for_each_variant(text, |csv| {
        let db = db_of("positions", csv);
        // gamma is on line 9 but is the third record kept.
        assert_eq!(db.position("alpha"), Some(0));
        assert_eq!(db.position("beta"), Some(1));
        assert_eq!(db.position("gamma"), Some(2));
        let gamma = db.lookup("gamma").expect("gamma");
        assert_eq!(gamma.index(), 2);
        assert_eq!(gamma.value(1), Some("three"));
        assert_eq!(db.record(2).map(|r| r.key()), Some("gamma"));
        assert_eq!(
            values(&db, "beta")[1].as_deref(),
            Some("multi\nline\nfield")
        );
        assert_eq!(db.warnings().empty_key_lines, [3, 8]);
    });
}

#[test]
fn duplicate_keys_keep_every_row_and_the_lookup_finds_the_first() {
    let text = "version,key,value\nv1,a,first\nv1,b,1\nv1,a,second\nv1,c,1\nv1,a,third\nv1,c,2\n";
    for_each_variant(text, |csv| {
        let db = db_of("dups", csv);
        assert_eq!(db.len(), 6);
        assert_eq!(db.distinct_keys(), 3);
        assert_eq!(values(&db, "a")[1].as_deref(), Some("first"));
        assert_eq!(db.record(4).and_then(|r| r.value(1)), Some("third"));
        assert_eq!(db.record(5).and_then(|r| r.value(1)), Some("2"));
        let warnings = db.warnings();
        assert_eq!(warnings.duplicate_rows, 3);
        assert_eq!(
            warnings.duplicates,
            [
                DuplicateKey {
                    key: "a".into(),
                    first: 0,
                    repeats: vec![2, 4],
                },
                DuplicateKey {
                    key: "c".into(),
                    first: 3,
                    repeats: vec![5],
                },
            ]
        );
    });
}

/// The typed error of a database that failed on invalid UTF-8.
fn utf8_error(path: &str, line: u64, field: u64, byte: u64) -> DatabaseError {
    DatabaseError::Csv(CsvError {
        path: path.into(),
        line,
        problem: CsvProblem::InvalidUtf8 { field, byte },
    })
}

#[test]
fn invalid_utf8_fails_only_its_database_naming_the_file_and_line() {
    let mut bad = b"version,key,value\nv1,ok,fine\nv1,broken,caf".to_vec();
    bad.extend_from_slice(b"\xe9\xff\n");
    for_each_variant(&bad, |bad| {
        let archive = common::archive_of(&[
            ("databases/bad.csv", bad),
            ("databases/good.csv", b"version,key\nv1,k\n"),
        ]);
        let catalog = common::build(&archive);
        let names: Vec<&str> = catalog
            .databases()
            .iter()
            .map(backstore::Database::name)
            .collect();
        assert_eq!(names, ["good"]);
        assert_eq!(catalog.failed().len(), 1);
        let failed = &catalog.failed()[0];
        assert_eq!(failed.name, "bad");
        assert_eq!(failed.error, utf8_error("databases/bad.csv", 3, 3, 3));
        assert_eq!(
            failed.error.to_string(),
            "databases/bad.csv line 3: invalid UTF-8 in field 3 (at byte 3 of the field)"
        );

        let (code, out) = execute_on(&archive, &["list", "--json"]);
        assert_eq!(code, success());
        let list: serde_json::Value = serde_json::from_str(&out).expect("JSON");
        let rows = list["databases"].as_array().expect("an array");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0]["name"], "bad");
        assert_eq!(rows[0]["error"], failed.error.to_string());
        assert_eq!(rows[0]["records"], 0);
        assert_eq!(rows[1]["name"], "good");
        assert!(rows[1]["error"].is_null());
    });
}

#[test]
fn invalid_utf8_in_the_header_fails_the_database_at_line_1() {
    for_each_variant(b"version,k\xffey\nv1,a\n", |bad| {
        let catalog = common::build(&common::archive_of(&[
            ("bad.csv", bad),
            ("good.csv", b"version,key\nv1,k\n"),
        ]));
        assert_eq!(catalog.databases().len(), 1);
        assert_eq!(catalog.failed()[0].error, utf8_error("bad.csv", 1, 2, 1));
    });
}

#[test]
fn a_character_split_between_two_fields_is_invalid_utf8_though_the_fields_join_up() {
    // 'é' is C3 A9; with a comma between its two bytes each field is invalid on its own.
    for_each_variant(b"key,a,b\nk,\xc3,\xa9\n", |bad| {
        let catalog = build_one("split", bad);
        assert!(catalog.databases().is_empty());
        assert_eq!(
            catalog.failed()[0].error,
            utf8_error("databases/split.csv", 2, 2, 0)
        );
    });
}

#[test]
fn a_header_only_database_has_columns_and_no_records() {
    for_each_variant("version,key,value\n", |csv| {
        let db = db_of("empty", csv);
        assert_eq!(db.len(), 0);
        assert!(db.is_empty());
        assert_eq!(db.columns(), ["key", "value"]);
        assert_eq!(db.version(), None);
        assert!(db.lookup("key").is_none());
    });
}

#[test]
fn an_empty_file_is_a_database_with_nothing_in_it() {
    for_each_variant("version,key\nv1,k\n", |other| {
        let catalog = common::build(&common::archive_of(&[
            ("databases/void.csv", b""),
            ("databases/other.csv", other),
        ]));
        let db = only(&catalog, "void");
        assert_eq!(db.len(), 0);
        assert!(db.columns().is_empty());
        assert!(db.lookup("").is_none());
        // An empty database has no version, so the next one names the cache.
        assert_eq!(catalog.version(), "v1");
    });
}

#[test]
fn non_ascii_keys_look_up_exactly() {
    let text = "version,key,value\n\
                v1,東京,Tokyo\n\
                v1,🦀,crab\n\
                v1,👩‍🔬,scientist\n\
                v1,e\u{301}te\u{301},combining\n\
                v1,été,precomposed\n\
                v1,القاهرة,Cairo\n";
    for_each_variant(text, |csv| {
        let db = db_of("intl", csv);
        assert_eq!(values(&db, "東京")[1].as_deref(), Some("Tokyo"));
        assert_eq!(values(&db, "🦀")[1].as_deref(), Some("crab"));
        assert_eq!(values(&db, "👩‍🔬")[1].as_deref(), Some("scientist"));
        assert_eq!(values(&db, "القاهرة")[1].as_deref(), Some("Cairo"));
        // Different byte sequences are different keys: no normalisation.
        assert_eq!(
            values(&db, "e\u{301}te\u{301}")[1].as_deref(),
            Some("combining")
        );
        assert_eq!(values(&db, "été")[1].as_deref(), Some("precomposed"));
        assert_eq!(db.distinct_keys(), 6);
    });
}

#[test]
fn a_lookup_of_an_absent_key_is_none_even_in_a_large_database() {
    let mut text = String::from("version,key,value\n");
    for i in 0..5000 {
        text.push_str(&format!("v1,key-{i},{i}\n"));
    }
    for_each_variant(&text, |csv| {
        let db = db_of("big", csv);
        assert_eq!(db.len(), 5000);
        for i in (0..5000).step_by(97) {
            assert_eq!(db.position(&format!("key-{i}")), Some(i));
            assert_eq!(values(&db, &format!("key-{i}"))[1], Some(i.to_string()));
        }
        assert!(db.lookup("key-5000").is_none());
        assert!(db.lookup("key-").is_none());
    });
}

#[test]
fn warning_lines_count_blank_lines_crlf_and_lone_cr_like_an_editor() {
    let text = "version,key,a,b\r\n\
                \r\n\
                v1,ok,1,2\r\n\
                v1,short,1\r\n\
                \r\n\
                \n\
                v1,,x,y\r\n\
                v1,\"multi\r\nline\",1,2\r\n\
                v1,short2\r\
                v1,short3,1\n";
    for_each_variant(text, |csv| {
        let db = db_of("lines", csv);
        let keys: Vec<&str> = db.records().map(|r| r.key()).collect();
        assert_eq!(keys, ["ok", "short", "multi\r\nline", "short2", "short3"]);
        // A lone CR ends a line too: short3 starts on line 11.
        assert_eq!(db.warnings().ragged_lines, [4, 10, 11]);
        assert_eq!(db.warnings().empty_key_lines, [7]);
    });
}

#[test]
fn an_invalid_utf8_line_number_counts_blank_lines() {
    for_each_variant(b"version,key\r\n\r\nv1,a\r\n\r\n\r\nv1,b\xff\r\n", |bad| {
        let catalog = common::build(&common::archive_of(&[("bad.csv", bad)]));
        assert!(catalog.databases().is_empty());
        assert_eq!(catalog.failed()[0].error, utf8_error("bad.csv", 6, 2, 1));
    });
}

// The cases that once returned wrong data or panicked, each as found and in every variant.

#[test]
fn the_last_field_of_a_file_without_a_final_newline_is_exact() {
    let (code, out) = execute_on(
        &common::csv_archive(&[("a", "key,val\nk1,v1\nk2,v2")]),
        &["get", "a", "k2", "--json"],
    );
    assert_eq!(code, success());
    let json: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(
        json["values"],
        serde_json::json!({"key": "k2", "val": "v2"})
    );

    let text = "version,key,description_of_the_thing,another_long_header\nv1,k,d";
    for_each_variant(text, |csv| {
        let db = db_of("b", csv);
        assert_eq!(
            db.lookup("k").expect("k").values().collect::<Vec<_>>(),
            [Some("k"), Some("d"), None]
        );
    });
}

/// A header of `n` columns `c0..` and one row of `n` fields `v0..`.
fn wide(n: usize) -> String {
    let header: Vec<String> = (0..n).map(|i| format!("c{i}")).collect();
    let row: Vec<String> = (0..n).map(|i| format!("v{i}")).collect();
    format!("{}\n{}\n", header.join(","), row.join(","))
}

#[test]
fn headers_and_rows_wider_than_32_fields_are_exact() {
    for n in [32, 33, 40, 300] {
        for_each_variant(wide(n), |csv| {
            let db = db_of("wide", csv);
            let columns: Vec<String> = (0..n).map(|i| format!("c{i}")).collect();
            assert_eq!(db.columns(), columns);
            let fields: Vec<String> = (0..n).map(|i| format!("v{i}")).collect();
            assert_eq!(
                db.lookup("v0").expect("v0").fields().collect::<Vec<_>>(),
                fields
            );
            assert!(db.warnings().is_empty(), "{:?}", db.warnings());
        });
    }
}

#[test]
fn a_row_of_more_fields_than_its_header_keeps_every_extra() {
    let extras: Vec<String> = (0..40).map(|i| format!("f{i}")).collect();
    for_each_variant(format!("key,val\nk,{}\n", extras.join(",")), |csv| {
        let db = db_of("many", csv);
        let k = db.lookup("k").expect("k");
        assert_eq!(k.value(1), Some("f0"));
        assert_eq!(k.extra().collect::<Vec<_>>(), extras[1..]);
        assert_eq!(db.warnings().ragged_lines, [2]);
    });
}

#[test]
fn a_last_line_longer_than_everything_before_it_is_exact() {
    let long = "x".repeat(300);
    for_each_variant(format!("key,val\nk,{long}\n"), |csv| {
        assert_eq!(values(&db_of("long", csv), "k")[1].as_deref(), Some(&*long));
    });
}

#[test]
fn a_quote_left_open_at_the_end_of_the_file_runs_to_the_end() {
    // No variant: the line breaks inside the open quote are part of its field.
    let db = db_of("open", b"key,val\nk,\"abc\ndef\n");
    assert_eq!(values(&db, "k")[1].as_deref(), Some("abc\ndef\n"));
    let db = db_of("open", b"key,val\nk,\"abc");
    assert_eq!(values(&db, "k")[1].as_deref(), Some("abc"));
}

#[test]
fn a_50_mb_last_field_without_a_newline_is_exact() {
    let mut csv = b"version,key,val\nv1,k,".to_vec();
    csv.resize(csv.len() + (50 << 20), b'y');
    // The parser alone: gzip and SHA-256 of 50 MB in a debug build would take most of a minute.
    let db = parse_one(&csv).expect("it parses");
    let value = db.lookup("k").and_then(|r| r.value(1)).expect("the field");
    assert_eq!(value.len(), 50 << 20);
    assert!(value.bytes().all(|b| b == b'y'));
}

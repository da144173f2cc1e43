//! CSV as the catalog reads it: RFC 4180 quoting, BOM, line endings, versions, ragged rows, empty keys,
//! duplicate keys, invalid UTF-8 and non-ASCII keys.

mod common;

use backstore::catalog::{Catalog, Database, DuplicateKey};
use backstore::cli::{Cli, execute};
use clap::Parser;
use common::{Sandbox, build_csv};

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
    argv.extend(args.iter().map(|a| a.to_string()));
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
    let db = only(&build_csv(&[("q", text)]), "q");
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
}

#[test]
fn a_bom_is_stripped_so_the_version_header_is_still_recognised() {
    let db = only(
        &build_csv(&[("bom", "\u{feff}version,key,value\nv2.0,k,v\n")]),
        "bom",
    );
    assert_eq!(db.columns(), ["key", "value"]);
    assert_eq!(db.version(), Some("v2.0"));
    assert_eq!(db.lookup("k").and_then(|r| r.version()), Some("v2.0"));
}

#[test]
fn crlf_and_lf_rows_both_end_a_row_and_blank_lines_are_ignored() {
    let text = "version,key,value\r\n\r\nv1,a,1\r\n\nv1,b,2\n\n\r\nv1,c,3\r\n\n";
    let db = only(&build_csv(&[("mixed", text)]), "mixed");
    let keys: Vec<&str> = db.records().map(|r| r.key()).collect();
    assert_eq!(keys, ["a", "b", "c"]);
    assert_eq!(values(&db, "c")[1].as_deref(), Some("3"));
    assert!(db.warnings().is_empty(), "{:?}", db.warnings());
}

#[test]
fn fields_are_neither_trimmed_nor_case_folded() {
    let text =
        "version,key,value\nv1,\"  Spaced  \", padded value \nv1,Apple,upper\nv1,apple,lower\n";
    let db = only(&build_csv(&[("raw", text)]), "raw");
    assert_eq!(db.lookup("  Spaced  ").map(|r| r.key()), Some("  Spaced  "));
    assert!(db.lookup("Spaced").is_none());
    assert_eq!(
        values(&db, "  Spaced  ")[1].as_deref(),
        Some(" padded value ")
    );
    assert_eq!(values(&db, "Apple")[1].as_deref(), Some("upper"));
    assert_eq!(values(&db, "apple")[1].as_deref(), Some("lower"));
    assert!(db.lookup("APPLE").is_none());
}

#[test]
fn a_version_header_gives_each_row_its_version_and_the_database_the_first_rows() {
    let text = "version,key,value\nv1.0,a,1\nv1.0,b,2\nv2.0,c,3\nv1.0,d,4\n";
    let db = only(&build_csv(&[("versions", text)]), "versions");
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
}

#[test]
fn without_a_version_header_the_first_field_is_the_key_and_there_is_no_version() {
    let db = only(
        &build_csv(&[(
            "plain",
            "word,meaning\nhello,greeting\nv1,looks like a version\n",
        )]),
        "plain",
    );
    assert_eq!(db.version(), None);
    assert_eq!(db.columns(), ["word", "meaning"]);
    assert_eq!(db.len(), 2);
    let hello = db.lookup("hello").expect("hello");
    assert_eq!(hello.version(), None);
    assert_eq!(hello.value(1), Some("greeting"));
    assert_eq!(db.lookup("v1").map(|r| r.index()), Some(1));
}

#[test]
fn ragged_rows_are_kept_with_missing_fields_none_and_extras_apart() {
    let text = "version,key,a,b\n\
                v1,full,1,2\n\
                v1,short,1\n\
                v1,empty,,\n\
                v1,long,1,2,x,y\n\
                v1,keyonly\n";
    let db = only(&build_csv(&[("ragged", text)]), "ragged");
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
}

#[test]
fn get_json_shows_a_missing_field_as_null_and_an_empty_one_as_an_empty_string() {
    let archive = common::csv_archive(&[(
        "ragged",
        "version,key,a,b\nv1,short,1\nv1,empty,,\nv1,long,1,2,x\n",
    )]);
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
}

#[test]
fn rows_with_an_empty_key_are_dropped_and_counted_with_their_lines() {
    let text = "version,key,value\n\
                v1,a,1\n\
                v1,,no key\n\
                v1\n\
                v1,b,2\n";
    let db = only(&build_csv(&[("gaps", text)]), "gaps");
    assert_eq!(db.len(), 2);
    assert_eq!(db.warnings().empty_key_rows, 2);
    assert_eq!(db.warnings().empty_key_lines, [3, 4]);
    assert!(db.lookup("").is_none());
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
    let catalog = build_csv(&[("positions", text)]);
    let db = only(&catalog, "positions");
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
}

#[test]
fn duplicate_keys_keep_every_row_and_the_lookup_finds_the_first() {
    let text = "version,key,value\nv1,a,first\nv1,b,1\nv1,a,second\nv1,c,1\nv1,a,third\nv1,c,2\n";
    let db = only(&build_csv(&[("dups", text)]), "dups");
    assert_eq!(db.len(), 6);
    assert_eq!(db.distinct_keys(), 3);
    assert_eq!(values(&db, "a")[1].as_deref(), Some("first"));
    assert_eq!(db.record(4).and_then(|r| r.value(1)), Some("third"));
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
}

#[test]
fn invalid_utf8_fails_only_its_database_naming_the_file_and_line() {
    let mut bad = b"version,key,value\nv1,ok,fine\nv1,broken,caf".to_vec();
    bad.extend_from_slice(b"\xe9\xff\n");
    let archive = common::archive_of(&[
        ("databases/bad.csv", &bad),
        ("databases/good.csv", b"version,key\nv1,k\n"),
    ]);
    let catalog = common::build(&archive);
    let names: Vec<&str> = catalog.databases().iter().map(|d| d.name()).collect();
    assert_eq!(names, ["good"]);
    assert_eq!(catalog.failed().len(), 1);
    let failed = &catalog.failed()[0];
    assert_eq!(failed.name, "bad");
    assert!(
        failed.error.contains("databases/bad.csv"),
        "{}",
        failed.error
    );
    assert!(failed.error.contains("line 3"), "{}", failed.error);
    assert!(failed.error.contains("UTF-8"), "{}", failed.error);

    let (code, out) = execute_on(&archive, &["list", "--json"]);
    assert_eq!(code, success());
    let list: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let rows = list.as_array().expect("an array");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["name"], "bad");
    assert!(
        rows[0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("line 3")),
        "{}",
        rows[0]
    );
    assert_eq!(rows[0]["records"], 0);
    assert_eq!(rows[1]["name"], "good");
    assert!(rows[1]["error"].is_null());
}

#[test]
fn invalid_utf8_in_the_header_fails_the_database_at_line_1() {
    let catalog = common::build(&common::archive_of(&[
        ("bad.csv", b"version,k\xffey\nv1,a\n"),
        ("good.csv", b"version,key\nv1,k\n"),
    ]));
    assert_eq!(catalog.databases().len(), 1);
    assert!(
        catalog.failed()[0].error.contains("bad.csv line 1"),
        "{:?}",
        catalog.failed()
    );
}

#[test]
fn a_header_only_database_has_columns_and_no_records() {
    let db = only(&build_csv(&[("empty", "version,key,value\n")]), "empty");
    assert_eq!(db.len(), 0);
    assert!(db.is_empty());
    assert_eq!(db.columns(), ["key", "value"]);
    assert_eq!(db.version(), None);
    assert!(db.lookup("key").is_none());
}

#[test]
fn an_empty_file_is_a_database_with_nothing_in_it() {
    let catalog = build_csv(&[("void", ""), ("other", "version,key\nv1,k\n")]);
    let db = only(&catalog, "void");
    assert_eq!(db.len(), 0);
    assert!(db.columns().is_empty());
    assert!(db.lookup("").is_none());
    // An empty database has no version, so the next one names the cache.
    assert_eq!(catalog.version(), "v1");
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
    let db = only(&build_csv(&[("intl", text)]), "intl");
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
}

#[test]
fn a_lookup_of_an_absent_key_is_none_even_in_a_large_database() {
    let mut text = String::from("version,key,value\n");
    for i in 0..5000 {
        text.push_str(&format!("v1,key-{i},{i}\n"));
    }
    let db = only(&build_csv(&[("big", &text)]), "big");
    assert_eq!(db.len(), 5000);
    for i in (0..5000).step_by(97) {
        assert_eq!(db.position(&format!("key-{i}")), Some(i));
    }
    assert!(db.lookup("key-5000").is_none());
    assert!(db.lookup("key-").is_none());
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
                v1,ok2,1,2\n";
    let db = only(&build_csv(&[("lines", text)]), "lines");
    let keys: Vec<&str> = db.records().map(|r| r.key()).collect();
    assert_eq!(keys, ["ok", "short", "multi\r\nline", "short2", "ok2"]);
    assert_eq!(db.warnings().ragged_lines, [4, 10]);
    assert_eq!(db.warnings().empty_key_lines, [7]);
}

#[test]
fn an_invalid_utf8_line_number_counts_blank_lines() {
    let catalog = common::build(&common::archive_of(&[(
        "bad.csv",
        b"version,key\r\n\r\nv1,a\r\n\r\n\r\nv1,b\xff\r\n",
    )]));
    assert!(catalog.databases().is_empty());
    let error = &catalog.failed()[0].error;
    assert!(error.contains("bad.csv line 6"), "{error}");
}

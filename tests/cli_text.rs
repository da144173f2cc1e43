//! Text output on hostile archives, through the real binary: names, keys and values holding ESC, CR,
//! LF, BEL, DEL, C1 and bidirectional controls, and names over 65,535 characters, never reach the
//! terminal raw, never panic a format, and every error stays one line. JSON keeps the exact text.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{Entry, Sandbox, code, file, run_in, stderr, targz};

/// The bytes a terminal would act on: C0 controls but the line feed that ends a line, DEL, C1 controls
/// (UTF-8 `C2 80`..`C2 9F`), and the bidirectional overrides and isolates.
fn raw_controls(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    text.char_indices()
        .filter(|(_, c)| {
            (c.is_control() && *c != '\n')
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .map(|(at, c)| format!("U+{:04X} at byte {at}", c as u32))
        .collect()
}

fn assert_clean(what: &str, output: &Output) {
    for (stream, bytes) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
        let found = raw_controls(bytes);
        assert!(
            found.is_empty(),
            "{what}: raw controls on {stream}: {found:?}\n{}",
            String::from_utf8_lossy(bytes)
        );
    }
    assert_ne!(code(output), 101, "{what} panicked: {}", stderr(output));
    assert!(
        !stderr(output).contains("panicked"),
        "{what}: {}",
        stderr(output)
    );
}

/// A failed run: exit `expected`, and exactly one line on stderr.
fn assert_one_line(what: &str, output: &Output, expected: i32) -> String {
    assert_clean(what, output);
    assert_eq!(code(output), expected, "{what}: {}", stderr(output));
    let err = stderr(output);
    assert_eq!(err.lines().count(), 1, "{what}: one line, got:\n{err}");
    err
}

const HOSTILE_DB: &str = "a\x1b[2Jb";
const HOSTILE_KEY: &str = "k\x1b]0;title\x07\u{202e}1";

/// Databases whose names, columns, keys and values carry every kind of control character.
fn hostile_entries(value: &str) -> Vec<Entry> {
    let long_column = "c".repeat(70_000);
    let long_value = "v".repeat(70_000);
    let long_name = format!("databases/{}.csv", "n".repeat(70_000));
    vec![
        file(
            &format!("databases/{HOSTILE_DB}.csv"),
            format!(
                "key,v\x1b[31m,\"line\nbreak\"\n\"{HOSTILE_KEY}\",\"{value}\",x\n\"cr\rkey\",\"bel\x07del\x7fc1\u{9b}2J\u{2066}iso\",y\n"
            ),
        ),
        file(
            "databases/long.csv",
            format!("key,{long_column}\nk,{long_value}\n"),
        ),
        Entry::GnuLongName(long_name.into_bytes(), b"key,v\nk,1\n".to_vec()),
        file("databases/skip\x1b[2J\u{202e}.txt", "not a database"),
    ]
}

/// A sandbox whose archive file and data dir are named with an ESC too, since both are printed.
struct Hostile {
    sandbox: Sandbox,
    archive: PathBuf,
    data: PathBuf,
}

impl Hostile {
    fn new(value: &str) -> Self {
        let sandbox = Sandbox::new();
        let archive = sandbox.path().join("arch\x1b[2J.tar.gz");
        std::fs::write(&archive, targz(&hostile_entries(value))).expect("write the archive");
        let data = sandbox.path().join("data\x1b[31m");
        Hostile {
            sandbox,
            archive,
            data,
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut all = vec!["--archive", utf8(&self.archive)];
        all.extend_from_slice(args);
        run_in(&self.data, &all)
    }

    fn rewrite(&self, value: &str) {
        std::fs::write(&self.archive, targz(&hostile_entries(value))).expect("rewrite the archive");
    }
}

fn utf8(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

#[test]
fn every_text_output_escapes_what_the_archive_holds() {
    let hostile = Hostile::new("red\x1b[0m\r\nforged: line");
    let long_name = "n".repeat(70_000);
    let runs: Vec<(&str, Vec<&str>)> = vec![
        ("status", vec!["status"]),
        ("load", vec!["load"]),
        ("rebuild", vec!["rebuild"]),
        ("list", vec!["list"]),
        ("get", vec!["get", HOSTILE_DB, HOSTILE_KEY]),
        ("get cr key", vec!["get", HOSTILE_DB, "cr\rkey"]),
        ("get long column", vec!["get", "long", "k"]),
        ("get long name", vec!["get", &long_name, "k"]),
        ("search", vec!["search", "red"]),
        ("search bel", vec!["search", "bel"]),
        ("search long", vec!["search", "vvvv"]),
        ("search in db", vec!["search", "k", "--db", HOSTILE_DB]),
        ("diff", vec!["diff"]),
        ("invalidate", vec!["invalidate"]),
    ];
    for (what, args) in &runs {
        let output = hostile.run(args);
        assert_clean(what, &output);
        assert!(
            matches!(code(&output), 0 | 1),
            "{what}: {}",
            stderr(&output)
        );
    }

    let list = String::from_utf8(hostile.run(&["list"]).stdout).expect("UTF-8");
    assert!(list.contains("a\\x1b[2Jb"), "{list}");
    assert!(list.contains("v\\x1b[31m"), "{list}");
    assert!(list.contains("line\\nbreak"), "{list}");
    assert!(
        list.contains(&"c".repeat(70_000)),
        "names are cut nowhere in list"
    );
    assert!(
        list.contains("databases/skip\\x1b[2J\\u{202e}.txt  (not a .csv file)"),
        "{list}"
    );

    let get = String::from_utf8(hostile.run(&["get", HOSTILE_DB, HOSTILE_KEY]).stdout).unwrap();
    // A value's CR and LF cannot start a line of their own.
    assert!(get.contains("red\\x1b[0m\\r\\nforged: line"), "{get}");
    assert!(!get.lines().any(|l| l.starts_with("forged")), "{get}");
    assert!(get.contains("\\u{202e}"), "{get}");

    let long = String::from_utf8(hostile.run(&["get", "long", "k"]).stdout).unwrap();
    assert!(
        long.contains(&"v".repeat(70_000)),
        "the value is printed whole"
    );
}

#[test]
fn a_changed_hostile_archive_shows_its_diff_and_status_escaped() {
    let hostile = Hostile::new("old\x1b[1m");
    assert_eq!(code(&hostile.run(&["load"])), 0);
    hostile.rewrite("new\x1b[2J\r\nforged");
    for (what, args) in [("status", vec!["status"]), ("diff", vec!["diff"])] {
        let output = hostile.run(&args);
        assert_clean(what, &output);
        assert_eq!(code(&output), 1, "{what}: {}", stderr(&output));
    }
    let diff = String::from_utf8(hostile.run(&["diff"]).stdout).unwrap();
    assert!(diff.contains("a\\x1b[2Jb: modified"), "{diff}");
    assert!(
        diff.contains("\"old\\x1b[1m\" → \"new\\x1b[2J\\r\\nforged\""),
        "{diff}"
    );
    let status = String::from_utf8(hostile.run(&["status"]).stdout).unwrap();
    assert!(status.contains("a\\x1b[2Jb modified"), "{status}");
}

#[test]
fn bench_prints_a_hostile_archive_path_escaped() {
    let hostile = Hostile::new("v");
    let output = hostile.run(&["bench", "--runs", "1", "--warmup", "0"]);
    assert_clean("bench", &output);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("arch\\x1b[2J.tar.gz"),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn errors_naming_hostile_text_are_one_escaped_line() {
    let hostile = Hostile::new("v");
    let err = assert_one_line("unknown db", &hostile.run(&["get", "a", "k"]), 2);
    assert!(err.contains("known: \"a\\x1b[2Jb\""), "{err}");

    let err = assert_one_line(
        "unknown db with controls",
        &hostile.run(&["get", "x\r\nbackstore: forged\x1b[2J", "k"]),
        2,
    );
    assert!(err.contains("x\\r\\nbackstore: forged\\x1b[2J"), "{err}");

    let err = assert_one_line(
        "missing key",
        &hostile.run(&["get", HOSTILE_DB, "k\x1b]0;title\x07\u{202e}\n"]),
        1,
    );
    assert!(
        err.contains("no key \"k\\x1b]0;title\\x07\\u{202e}\\n\" in a\\x1b[2Jb"),
        "{err}"
    );
    assert!(err.contains("closest keys: \"k\\x1b]0;title"), "{err}");

    let err = assert_one_line(
        "search in an unknown db",
        &hostile.run(&["search", "k", "--db", "\u{202e}zz"]),
        2,
    );
    assert!(err.contains("\\u{202e}zz"), "{err}");

    // An archive error that names an entry: over the per-entry limit (with no cache to load instead).
    let fresh = Hostile::new("v");
    let err = assert_one_line(
        "entry too large",
        &fresh.run(&["--max-entry-mib", "0", "--max-ratio", "0", "list"]),
        2,
    );
    assert!(err.contains("a\\x1b[2Jb.csv"), "{err}");

    // A database that cannot be loaded, named with controls, asked for by name.
    let sandbox = Sandbox::new();
    let archive = sandbox.write_archive(&targz(&[
        file(
            "databases/bad\x1b[2J.csv",
            b"key,v\nk,\xff\x1b\n".as_slice(),
        ),
        file("databases/good.csv", "key,v\nk,1\n"),
    ]));
    let output = run_in(
        &sandbox.data_dir(),
        &["--archive", utf8(&archive), "get", "bad\x1b[2J", "k"],
    );
    let err = assert_one_line("failed db", &output, 2);
    assert!(err.contains("could not be loaded"), "{err}");
    assert!(err.contains("bad\\x1b[2J"), "{err}");
    let list = run_in(&sandbox.data_dir(), &["--archive", utf8(&archive), "list"]);
    assert_clean("list with a failed db", &list);
}

#[test]
fn a_long_missing_key_is_echoed_cut_with_its_length() {
    let hostile = Hostile::new("v");
    let key = "x".repeat(10_000);
    let err = assert_one_line("long key", &hostile.run(&["get", "long", &key]), 1);
    assert!(
        err.contains(&format!("\"{}\"… (10,000 characters)", "x".repeat(80))),
        "{err}"
    );
    assert!(err.len() < 300, "{} bytes: {err}", err.len());
}

#[test]
fn json_output_keeps_the_exact_text() {
    let value = "red\x1b[0m\r\n\u{202e}x";
    let hostile = Hostile::new(value);
    let output = hostile.run(&["get", HOSTILE_DB, HOSTILE_KEY, "--json"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let record = common::json(&output);
    assert_eq!(record["database"], HOSTILE_DB);
    assert_eq!(record["key"], HOSTILE_KEY);
    assert_eq!(record["values"]["v\x1b[31m"], value);

    let list = common::json(&hostile.run(&["list", "--json"]));
    let skipped = list["skipped"].as_array().expect("skipped entries");
    assert_eq!(skipped.len(), 1, "{list}");
    assert_eq!(skipped[0]["path"], "databases/skip\x1b[2J\u{202e}.txt");
    assert_eq!(skipped[0]["reason"], "not-csv");
    let names: Vec<&str> = list["databases"]
        .as_array()
        .expect("databases")
        .iter()
        .filter_map(|d| d["name"].as_str())
        .collect();
    assert!(names.contains(&HOSTILE_DB), "{names:?}");
    assert!(
        names.iter().any(|n| n.len() == 70_000),
        "the long name is whole"
    );
    drop(hostile.sandbox);
}

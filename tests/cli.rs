//! The headless command line, run as a real process: JSON shapes, exit codes, global flags, errors.
//! Plus `execute()` in-process.

mod common;

use std::process::ExitCode;

use backstore::catalog::{self, Limits};
use backstore::cli::{Cli, execute};
use backstore::testkit::corpus::{self, CorpusSpec};
use clap::Parser;
use common::{Sandbox, assert_one_line_error, code, json, keys, run_in, sorted, stderr};
use serde_json::Value;

const STATUS_KEYS: [&str; 10] = [
    "state",
    "reason",
    "check",
    "version",
    "data_dir",
    "temp_files",
    "archive",
    "cache",
    "changed",
    "other_cache_files",
];

fn is_hex64(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[test]
fn status_json_has_the_documented_shape_and_exits_1_until_the_cache_is_fresh() {
    let sandbox = Sandbox::new();
    let data = sandbox.data_dir();

    let missing = run_in(&data, &["status", "--json"]);
    assert_eq!(code(&missing), 1, "{}", stderr(&missing));
    let value = json(&missing);
    assert_eq!(keys(&value), sorted(&STATUS_KEYS));
    assert_eq!(value["state"], "missing");
    assert_eq!(value["reason"], "no cache file");
    assert_eq!(value["version"], "v0.1.0");
    assert_eq!(
        keys(&value["archive"]),
        sorted(&["source", "sha256", "bytes"])
    );
    assert_eq!(value["archive"]["source"], "embedded");
    assert!(
        is_hex64(&value["archive"]["sha256"]),
        "{}",
        value["archive"]
    );
    assert_eq!(
        value["archive"]["bytes"],
        backstore::embedded::ARCHIVE.len() as u64
    );
    assert_eq!(
        keys(&value["cache"]),
        sorted(&[
            "path",
            "exists",
            "bytes",
            "built_at",
            "source_sha256",
            "format_version"
        ])
    );
    assert_eq!(value["cache"]["exists"], false);
    assert!(value["cache"]["bytes"].is_null());
    assert!(value["cache"]["built_at"].is_null());
    assert!(
        value["cache"]["path"]
            .as_str()
            .is_some_and(|p| p.ends_with("/cache/databases_v0.1.0.bin")),
        "{}",
        value["cache"]
    );
    assert_eq!(value["changed"], serde_json::json!([]));

    let load = run_in(&data, &["load"]);
    assert_eq!(code(&load), 0, "{}", stderr(&load));

    let fresh = run_in(&data, &["status", "--json"]);
    assert_eq!(code(&fresh), 0, "{}", stderr(&fresh));
    let value = json(&fresh);
    assert_eq!(keys(&value), sorted(&STATUS_KEYS));
    assert_eq!(value["state"], "fresh");
    let cache = &value["cache"];
    assert_eq!(cache["exists"], true);
    assert!(cache["bytes"].as_u64().is_some_and(|b| b > 80), "{cache}");
    assert_eq!(
        cache["format_version"],
        backstore::cache::header::FORMAT_VERSION
    );
    assert_eq!(cache["source_sha256"], value["archive"]["sha256"]);
    let built_at = cache["built_at"].as_str().expect("an RFC 3339 time");
    assert_eq!(built_at.len(), "2026-11-24T08:06:48Z".len(), "{built_at}");
    assert!(built_at.ends_with('Z') && built_at.as_bytes()[10] == b'T');

    // Plain text says the same in words.
    let text = run_in(&data, &["status"]);
    assert_eq!(code(&text), 0);
    assert!(common::stdout(&text).starts_with("cache:    FRESH"));
}

#[test]
fn status_json_lists_what_changed_in_a_stale_archive() {
    let sandbox = Sandbox::new();
    let archive = sandbox.archive_path();
    let archive = archive.to_str().expect("UTF-8");
    let data = sandbox.data_dir();
    sandbox.write_archive(&common::csv_archive(&[
        ("colours", "version,colour\nv1,Teal\n"),
        ("nouns", "version,noun\nv1,cat\n"),
    ]));
    assert_eq!(code(&run_in(&data, &["--archive", archive, "load"])), 0);
    sandbox.write_archive(&common::csv_archive(&[
        ("colours", "version,colour\nv1,Red\n"),
        ("places", "version,place\nv1,Paris\n"),
        ("nouns", "version,noun\nv1,cat\n"),
    ]));
    let output = run_in(&data, &["--archive", archive, "status", "--json"]);
    assert_eq!(code(&output), 1);
    let value = json(&output);
    assert_eq!(value["state"], "stale");
    assert_eq!(
        value["reason"],
        "archive hash differs: colours modified, places added"
    );
    assert_eq!(
        value["changed"],
        serde_json::json!([
            { "database": "colours", "change": "modified" },
            { "database": "places", "change": "added" },
        ])
    );
    assert_eq!(value["archive"]["source"], archive);
    assert_ne!(value["cache"]["source_sha256"], value["archive"]["sha256"]);
}

#[test]
fn load_json_reports_the_outcome_reason_timings_and_counts() {
    let sandbox = Sandbox::new();
    let data = sandbox.data_dir();
    let cold = run_in(&data, &["load", "--json"]);
    assert_eq!(code(&cold), 0, "{}", stderr(&cold));
    let value = json(&cold);
    for key in ["outcome", "reason", "timings_us", "databases", "records"] {
        assert!(value.get(key).is_some(), "{key} in {value}");
    }
    assert_eq!(value["outcome"], "built");
    assert_eq!(value["reason"], "no cache file");
    assert!(
        value["timings_us"]["parse"].is_u64(),
        "{}",
        value["timings_us"]
    );
    assert!(value["databases"].as_u64().is_some_and(|n| n >= 8));
    assert!(value["records"].as_u64().is_some_and(|n| n >= 3000));

    let warm = json(&run_in(&data, &["load", "--json"]));
    assert_eq!(warm["outcome"], "loaded");
    assert_eq!(warm["reason"], "cache is fresh");
    let phases = keys(&warm["timings_us"]);
    assert_eq!(phases, sorted(&["hash", "read", "verify", "decode"]));
    assert_eq!(warm["records"], value["records"]);
}

#[test]
fn rebuild_builds_even_when_fresh_and_invalidate_removes_the_files() {
    let sandbox = Sandbox::new();
    let data = sandbox.data_dir();
    assert_eq!(code(&run_in(&data, &["load"])), 0);
    let rebuilt = run_in(&data, &["rebuild", "--json"]);
    assert_eq!(code(&rebuilt), 0);
    let value = json(&rebuilt);
    assert_eq!(value["outcome"], "built");
    assert_eq!(value["reason"], "rebuild requested");

    let text = run_in(&data, &["rebuild"]);
    assert!(
        common::stdout(&text).starts_with("built from the archive, cache written"),
        "{}",
        common::stdout(&text)
    );

    let invalidated = run_in(&data, &["invalidate", "--json"]);
    assert_eq!(code(&invalidated), 0);
    let removed = json(&invalidated)["removed"].clone();
    let mut names: Vec<String> = removed
        .as_array()
        .expect("a list")
        .iter()
        .map(|p| {
            let p = p.as_str().expect("a path");
            p.rsplit('/').next().expect("a name").to_string()
        })
        .collect();
    names.sort();
    assert_eq!(names, ["checksums.json", "databases_v0.1.0.bin"]);
    // Only the writers' lock file stays: removing it under another writer would break the locking.
    assert_eq!(sandbox.cache_files(), [".lock"]);
    assert_eq!(code(&run_in(&data, &["status"])), 1);

    let again = run_in(&data, &["invalidate"]);
    assert_eq!(code(&again), 0);
    assert!(common::stdout(&again).contains("nothing to remove"));
}

#[test]
fn list_json_describes_every_database() {
    let sandbox = Sandbox::new();
    let archive = sandbox.write_archive(&common::archive_of(&[
        (
            "databases/colours.csv",
            b"version,colour,hex\nv2,Teal,#008080\nv2,Teal,#000\nv2,,x\nv2,Red\n",
        ),
        ("databases/plain.csv", b"word,meaning\nhi,greeting\n"),
        ("databases/broken.csv", b"version,key\nv1,\xff\n"),
    ]));
    let output = run_in(
        &sandbox.data_dir(),
        &[
            "list",
            "--json",
            "--archive",
            archive.to_str().expect("UTF-8"),
        ],
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let value = json(&output);
    assert_eq!(keys(&value), sorted(&["databases", "skipped"]));
    let rows = value["databases"].as_array().expect("an array");
    let names: Vec<&str> = rows.iter().filter_map(|r| r["name"].as_str()).collect();
    assert_eq!(names, ["broken", "colours", "plain"]);
    for row in rows {
        for key in [
            "name",
            "version",
            "columns",
            "records",
            "distinct_keys",
            "duplicate_keys",
            "ragged_rows",
            "empty_key_rows",
            "error",
        ] {
            assert!(row.get(key).is_some(), "{key} in {row}");
        }
    }
    let colours = &rows[1];
    assert_eq!(colours["version"], "v2");
    assert_eq!(colours["columns"], serde_json::json!(["colour", "hex"]));
    assert_eq!(colours["records"], 3);
    assert_eq!(colours["distinct_keys"], 2);
    assert_eq!(colours["duplicate_keys"], 1);
    assert_eq!(colours["ragged_rows"], 1);
    assert_eq!(colours["empty_key_rows"], 1);
    assert!(colours["error"].is_null());
    assert!(rows[2]["version"].is_null());
    assert!(
        rows[0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("UTF-8"))
    );
}

#[test]
fn get_json_prints_one_record() {
    let sandbox = Sandbox::new();
    let output = run_in(&sandbox.data_dir(), &["get", "colours", "Teal", "--json"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let value = json(&output);
    assert_eq!(
        keys(&value),
        sorted(&["database", "key", "index", "version", "values", "extra"])
    );
    assert_eq!(value["database"], "colours");
    assert_eq!(value["key"], "Teal");
    assert_eq!(value["version"], "v0.1.0");
    assert_eq!(value["values"]["colour"], "Teal");
    assert_eq!(value["values"]["hex"], "#008080");
    let index = value["index"].as_u64().expect("an index") as usize;

    // The index is the record's position in its database.
    let (catalog, _) = catalog::build(backstore::embedded::ARCHIVE, &Limits::default()).unwrap();
    let colours = catalog.get("colours").expect("colours");
    assert_eq!(colours.position("Teal"), Some(index));
}

#[test]
fn get_of_an_absent_key_exits_1_with_the_closest_keys_on_stderr() {
    let sandbox = Sandbox::new();
    let output = run_in(&sandbox.data_dir(), &["get", "colours", "Tael"]);
    assert_eq!(code(&output), 1);
    assert!(output.stdout.is_empty());
    let err = stderr(&output);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("no key \"Tael\" in colours"), "{err}");
    let closest = err.split("closest keys: ").nth(1).expect("closest keys");
    // Quoted, so a key holding ", " cannot read as two.
    assert!(closest.split(", ").any(|k| k.trim() == "\"Teal\""), "{err}");
}

#[test]
fn search_json_is_ranked_and_limited() {
    let sandbox = Sandbox::new();
    let output = run_in(
        &sandbox.data_dir(),
        &[
            "search", "burnt", "--db", "colours", "--limit", "5", "--json",
        ],
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let value = json(&output);
    let hits = value.as_array().expect("an array");
    assert!(!hits.is_empty() && hits.len() <= 5, "{value}");
    let scores: Vec<i64> = hits
        .iter()
        .map(|h| h["score"].as_i64().expect("a score"))
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    for hit in hits {
        assert_eq!(
            keys(hit),
            sorted(&[
                "database", "key", "index", "version", "score", "field", "match", "values", "extra"
            ])
        );
        assert_eq!(hit["database"], "colours");
    }
    assert!(
        hits[0]["key"]
            .as_str()
            .is_some_and(|k| k.to_lowercase().contains("burnt")),
        "{}",
        hits[0]
    );

    // Across every database, a limit of 3 shows 3.
    let all = json(&run_in(
        &sandbox.data_dir(),
        &["search", "a", "--limit", "3", "--json"],
    ));
    assert_eq!(all.as_array().map(Vec::len), Some(3));
}

#[test]
fn global_flags_work_before_or_after_the_subcommand() {
    let sandbox = Sandbox::new();
    let data = sandbox.data_dir();
    let data = data.to_str().expect("UTF-8");
    let before = common::run(&["--data-dir", data, "-v", "load", "--json"]);
    assert_eq!(code(&before), 0, "{}", stderr(&before));
    // -v logs decisions on stderr.
    assert!(
        stderr(&before).contains("cache written"),
        "{}",
        stderr(&before)
    );
    let after = common::run(&["status", "--json", "--data-dir", data]);
    assert_eq!(code(&after), 0, "{}", stderr(&after));
    assert_eq!(json(&after)["state"], "fresh");
    let mixed = common::run(&["get", "--data-dir", data, "colours", "Teal", "--json"]);
    assert_eq!(code(&mixed), 0);
    assert_eq!(json(&mixed)["key"], "Teal");
}

#[test]
fn an_unknown_database_is_one_line_and_exit_2() {
    let sandbox = Sandbox::new();
    for args in [
        &["get", "nosuchdb", "x"][..],
        &["search", "x", "--db", "nosuchdb"],
    ] {
        let output = run_in(&sandbox.data_dir(), args);
        let err = assert_one_line_error(&output, 2);
        assert!(err.contains("unknown database \"nosuchdb\""), "{err}");
        assert!(err.contains("colours"), "lists the known ones: {err}");
    }
}

#[test]
fn bad_arguments_are_one_line_and_exit_2() {
    let sandbox = Sandbox::new();
    let cases: [(&[&str], &str); 5] = [
        (&["get", "colours"], "KEY"),
        (&["frobnicate"], "frobnicate"),
        (&["status", "--no-such-flag"], "--no-such-flag"),
        (&["search", "x", "--limit", "many"], "many"),
        (&["--max-entry-mib", "lots", "status"], "lots"),
    ];
    for (args, named) in cases {
        let output = run_in(&sandbox.data_dir(), args);
        let err = assert_one_line_error(&output, 2);
        assert!(err.contains(named), "{args:?}: {err}");
        assert!(output.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn help_and_version_still_print_and_exit_0() {
    let help = common::run(&["--help"]);
    assert_eq!(code(&help), 0);
    assert!(common::stdout(&help).contains("Usage"));
    let version = common::run(&["--version"]);
    assert_eq!(code(&version), 0);
    assert!(common::stdout(&version).contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn a_messy_macos_archive_is_read_through_the_cli() {
    let sandbox = Sandbox::new();
    let bytes = corpus::generate(&CorpusSpec::small());
    let archive = sandbox.write_archive(&bytes);
    let archive = archive.to_str().expect("UTF-8");
    let (catalog, _) = catalog::build(&bytes, &Limits::default()).expect("the corpus builds");
    let db = &catalog.databases()[3];
    let record = db.record(7).expect("a record");

    let output = run_in(
        &sandbox.data_dir(),
        &[
            "--archive",
            archive,
            "get",
            db.name(),
            record.key(),
            "--json",
        ],
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let value = json(&output);
    assert_eq!(value["database"], db.name());
    assert_eq!(value["key"], record.key());
    assert_eq!(value["index"], db.position(record.key()).unwrap() as u64);

    let list = json(&run_in(
        &sandbox.data_dir(),
        &["--archive", archive, "list", "--json"],
    ));
    assert_eq!(
        list["databases"].as_array().map(Vec::len),
        Some(CorpusSpec::small().databases)
    );
    // Every skipped entry, in archive order, with its reason as a word and in words.
    let listed = list["skipped"].as_array().expect("skipped entries");
    assert_eq!(listed.len(), catalog.skipped().len());
    assert!(!listed.is_empty(), "the small corpus carries macOS junk");
    for (shown, entry) in listed.iter().zip(catalog.skipped()) {
        assert_eq!(keys(shown), sorted(&["path", "reason", "description"]));
        assert_eq!(shown["path"], entry.path.as_str());
        assert_eq!(shown["reason"], serde_json::to_value(entry.reason).unwrap());
        assert_eq!(shown["description"], entry.reason.describe());
    }
    let text = run_in(&sandbox.data_dir(), &["--archive", archive, "list"]);
    let skipped = catalog.skipped().len();
    let text = common::stdout(&text);
    assert!(
        text.contains(&format!("{skipped} archive entries skipped:")),
        "{text}"
    );
    for entry in catalog.skipped().iter().take(20) {
        let line = format!("  {}  ({})", entry.path, entry.reason.describe());
        assert!(text.lines().any(|l| l == line), "{line} in {text}");
    }
}

/// Parses arguments as the binary would, with a data dir, and runs the command in-process.
fn execute_in(data: &std::path::Path, args: &[&str]) -> (ExitCode, String) {
    let mut argv = vec!["backstore", "--data-dir", data.to_str().expect("UTF-8")];
    argv.extend_from_slice(args);
    let cli = Cli::try_parse_from(argv).expect("valid arguments");
    let mut out = Vec::new();
    let code = execute(&cli.global, cli.command.expect("a subcommand"), &mut out)
        .expect("the command runs");
    (code, String::from_utf8(out).expect("UTF-8"))
}

#[test]
fn execute_runs_status_and_list_in_process() {
    let sandbox = Sandbox::new();
    let data = sandbox.data_dir();

    let (code, out) = execute_in(&data, &["status", "--json"]);
    assert_eq!(code, ExitCode::from(1));
    let status: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(status["state"], "missing");

    let (code, out) = execute_in(&data, &["list"]);
    assert_eq!(code, ExitCode::SUCCESS);
    let mut lines = out.lines();
    let header = lines.next().expect("a header line");
    assert!(header.starts_with("database"), "{header}");
    assert!(out.contains("colours"), "{out}");
    assert!(out.contains(" databases, "), "{out}");

    let (code, out) = execute_in(&data, &["list", "--json"]);
    assert_eq!(code, ExitCode::SUCCESS);
    let list: Value = serde_json::from_str(&out).expect("JSON");
    assert!(list["databases"].as_array().is_some_and(|a| a.len() >= 8));

    // list loaded and wrote the cache, so status is now fresh.
    let (code, out) = execute_in(&data, &["status"]);
    assert_eq!(code, ExitCode::SUCCESS);
    assert!(out.starts_with("cache:    FRESH"), "{out}");
}

#[test]
fn execute_reports_errors_as_values_not_panics() {
    let sandbox = Sandbox::new();
    let cli = Cli::try_parse_from([
        "backstore",
        "--data-dir",
        sandbox.data_dir().to_str().expect("UTF-8"),
        "get",
        "nosuchdb",
        "x",
    ])
    .expect("valid arguments");
    let mut out = Vec::new();
    let error = execute(&cli.global, cli.command.expect("a subcommand"), &mut out)
        .expect_err("an unknown database");
    assert!(error.to_string().contains("unknown database"), "{error}");
    assert!(out.is_empty());
}

#[test]
fn text_list_names_the_first_20_skipped_entries_and_counts_the_rest() {
    let sandbox = Sandbox::new();
    let mut files: Vec<(String, Vec<u8>)> = (0..25)
        .map(|i| (format!("databases/notes{i:02}.txt"), b"x".to_vec()))
        .collect();
    files.push(("databases/a.csv".into(), b"key,v\nk,1\n".to_vec()));
    let files: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, b)| (p.as_str(), b.as_slice()))
        .collect();
    let archive = sandbox.write_archive(&common::archive_of(&files));
    let archive = archive.to_str().expect("UTF-8");
    let text = common::stdout(&run_in(
        &sandbox.data_dir(),
        &["--archive", archive, "list"],
    ));
    assert!(text.contains("25 archive entries skipped:"), "{text}");
    assert!(
        text.contains("  databases/notes19.txt  (not a .csv file)"),
        "{text}"
    );
    assert!(!text.contains("notes20"), "{text}");
    assert!(
        text.contains("  … and 5 more (--json lists them all)"),
        "{text}"
    );
    let list = json(&run_in(
        &sandbox.data_dir(),
        &["--archive", archive, "list", "--json"],
    ));
    assert_eq!(list["skipped"].as_array().map(Vec::len), Some(25));
}

/// `bench` ends with the Timing pane's sentences: how much faster a warm start is, and when building the
/// cache pays back; for an archive on disk the headline counts the hash a new process pays.
#[test]
fn bench_says_what_a_warm_start_saves_counting_the_hash_of_an_archive_on_disk() {
    let sandbox = Sandbox::new();
    let embedded = run_in(
        &sandbox.data_dir(),
        &["bench", "--runs", "2", "--warmup", "0"],
    );
    let text = common::stdout(&embedded);
    assert!(text.contains("a warm start is "), "{text}");
    assert!(text.contains("building the cache costs "), "{text}");
    assert!(!text.contains("hashing the archive included"), "{text}");

    let archive = sandbox.path().join("a.tar.gz");
    std::fs::write(
        &archive,
        common::csv_archive(&[("colours", "colour,hex\nTeal,#008080\n")]),
    )
    .unwrap();
    // Older than the racy window, so warm runs in the process reuse its hash as a long-lived one would.
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
    std::fs::File::options()
        .write(true)
        .open(&archive)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let archive = archive.to_str().unwrap();
    let on_disk = run_in(
        &sandbox.path().join("d2"),
        &[
            "--archive",
            archive,
            "bench",
            "--runs",
            "2",
            "--warmup",
            "0",
        ],
    );
    let text = common::stdout(&on_disk);
    assert!(text.contains("hashing the archive included"), "{text}");
    assert!(text.contains("a new process hashes it again"), "{text}");
}

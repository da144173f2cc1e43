//! `backstore export`, through the real binary: CSV that reads back as the very same records (export,
//! pack into an archive, load, compare), JSON lines shaped as `get --json`, and files that are never
//! overwritten unless asked.

mod common;

use std::path::Path;

use backstore::catalog::Catalog;
use backstore::record::RecordData;
use backstore::testkit::corpus::{self, CorpusSpec};
use common::{Sandbox, assert_one_line_error, code, file, run_in, stderr, stdout, targz};

/// CSV that is hard to write back: quoted commas, quotes and line breaks, CRLF and lone CR, a BOM,
/// ragged rows both ways, duplicate and empty keys, non-ASCII, versions that vary by row.
const MESSY: &[(&str, &str)] = &[
    (
        "quoted",
        "\u{feff}key,\"a, b\",\"say \"\"hi\"\"\"\r\nk1,\"x,y\",\"line\nbreak\"\r\nk2,\"cr\rinside\",\"crlf\r\ninside\"\r\n\"k,3\",\"\",\" spaced \"\r\n",
    ),
    (
        "ragged",
        "key,a,b\nshort\nshort2,1\nlong,1,2,3,4\n\"\",empty key\n,also empty\ndup,first\ndup,second,x\ndup,third\n",
    ),
    (
        "versioned",
        "version,colour,hex\nv1,Teal,#008080\nv2,Crème brûlée,#ffe\nv1,日本,\"#\"\"1\"\"\"\nv3,Ünïcödé ✓,\n",
    ),
    // The database's version comes from a first row that has no key, so is not a record.
    ("keyless_first", "version,key,v\nv9,,lost\nv1,k,1\nv9,j,2\n"),
    ("keyless_only", "version,key\nv7,\n"),
    ("header_only", "key,v"),
    ("empty", ""),
    ("one_column", "key\na\n\"\"\nb\n"),
    // A header that starts with a BOM after the one a reader strips.
    ("double_bom", "\u{feff}\u{feff}key,v\nk,1\n"),
    ("no_final_newline", "key,v\nk1,v1\nk2,\"last\nfield\""),
];

fn utf8(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

fn build(archive: &[u8]) -> Catalog {
    common::build(archive)
}

/// Asserts two catalogs hold the same databases with the same records, field for field.
fn assert_same_records(original: &Catalog, exported: &Catalog) {
    let names = |c: &Catalog| -> Vec<String> {
        c.databases().iter().map(|d| d.name().to_string()).collect()
    };
    assert_eq!(names(original), names(exported));
    for (a, b) in original.databases().iter().zip(exported.databases()) {
        let name = a.name();
        assert_eq!(a.columns(), b.columns(), "{name}: columns");
        assert_eq!(a.meta().versioned, b.meta().versioned, "{name}: versioned");
        assert_eq!(a.version(), b.version(), "{name}: version");
        assert_eq!(a.len(), b.len(), "{name}: records");
        for (x, y) in a.records().zip(b.records()) {
            assert_eq!(RecordData::from(x), RecordData::from(y), "{name}");
            let (xs, ys): (Vec<&str>, Vec<&str>) = (x.fields().collect(), y.fields().collect());
            assert_eq!(xs, ys, "{name} record {}", x.index());
        }
    }
}

/// Exports every database as CSV into a folder, packs the files as an archive, and loads it.
fn export_and_reload(sandbox: &Sandbox, archive: &Path) -> Catalog {
    let out = sandbox.path().join("exported");
    let output = run_in(
        &sandbox.data_dir(),
        &[
            "--archive",
            utf8(archive),
            "export",
            "--format",
            "csv",
            "--out",
            utf8(&out),
        ],
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(&out).expect("the export folder") {
        let path = entry.expect("an entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).expect("a name");
        let bytes = std::fs::read(&path).expect("an exported file");
        entries.push(file(&format!("databases/{name}"), bytes));
    }
    build(&targz(&entries))
}

#[test]
fn csv_export_reads_back_as_the_same_records_on_messy_input() {
    for (variant, _) in common::variants("") {
        let sandbox = Sandbox::new();
        let databases: Vec<(String, Vec<u8>)> = MESSY
            .iter()
            .map(|(name, text)| {
                let bytes = common::variants(text)
                    .into_iter()
                    .find(|(v, _)| *v == variant)
                    .expect("every variant")
                    .1;
                (name.to_string(), bytes)
            })
            .collect();
        let entries: Vec<_> = databases
            .iter()
            .map(|(name, bytes)| file(&format!("databases/{name}.csv"), bytes))
            .collect();
        let archive = sandbox.write_archive(&targz(&entries));
        let original = build(&std::fs::read(&archive).unwrap());
        assert_eq!(original.databases().len(), MESSY.len(), "{variant}");
        assert!(original.failed().is_empty(), "{variant}");
        let exported = export_and_reload(&sandbox, &archive);
        assert_same_records(&original, &exported);
    }
}

#[test]
fn csv_export_of_a_generated_corpus_reads_back_the_same() {
    let spec = CorpusSpec {
        long_field_every: 7,
        varied: true,
        ..CorpusSpec::small()
    };
    let sandbox = Sandbox::new();
    let archive = sandbox.write_archive(&corpus::generate(&spec));
    let original = build(&std::fs::read(&archive).unwrap());
    let exported = export_and_reload(&sandbox, &archive);
    assert_same_records(&original, &exported);
}

#[test]
fn one_database_as_csv_goes_to_stdout_and_matches_its_file() {
    let sandbox = Sandbox::new();
    let archive = sandbox.write_archive(&common::csv_archive(&[MESSY[0], MESSY[1]]));
    let one = run_in(
        &sandbox.data_dir(),
        &[
            "--archive",
            utf8(&archive),
            "export",
            "ragged",
            "--format",
            "csv",
        ],
    );
    assert_eq!(code(&one), 0, "{}", stderr(&one));
    assert_eq!(
        stdout(&one),
        "key,a,b\nshort\nshort2,1\nlong,1,2,3,4\ndup,first\ndup,second,x\ndup,third\n"
    );
    let out = sandbox.path().join("out");
    let all = run_in(
        &sandbox.data_dir(),
        &[
            "--archive",
            utf8(&archive),
            "export",
            "--format",
            "csv",
            "--out",
            utf8(&out),
        ],
    );
    assert_eq!(code(&all), 0, "{}", stderr(&all));
    assert_eq!(
        std::fs::read(out.join("ragged.csv")).expect("the file"),
        one.stdout
    );
    assert!(
        stdout(&all).contains("ragged.csv (6 records)"),
        "{}",
        stdout(&all)
    );
}

#[test]
fn jsonl_is_one_get_json_object_a_line_in_record_order() {
    let sandbox = Sandbox::new();
    let archive = sandbox.write_archive(&common::csv_archive(MESSY));
    let catalog = build(&std::fs::read(&archive).unwrap());
    let output = run_in(
        &sandbox.data_dir(),
        &["--archive", utf8(&archive), "export"],
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let lines: Vec<serde_json::Value> = stdout(&output)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let expected: Vec<serde_json::Value> = catalog
        .databases()
        .iter()
        .flat_map(backstore::Database::records)
        .map(|r| serde_json::to_value(RecordData::from(r)).unwrap())
        .collect();
    assert_eq!(lines, expected);

    // One database: exactly what `get --json` prints for each of its keys.
    let one = run_in(
        &sandbox.data_dir(),
        &["--archive", utf8(&archive), "export", "versioned"],
    );
    let first = stdout(&one).lines().next().expect("a line").to_string();
    let get = run_in(
        &sandbox.data_dir(),
        &[
            "--archive",
            utf8(&archive),
            "get",
            "versioned",
            "Teal",
            "--json",
        ],
    );
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&first).unwrap(),
        common::json(&get)
    );
}

#[test]
fn existing_files_are_kept_unless_forced() {
    let sandbox = Sandbox::new();
    let archive = sandbox.write_archive(&common::csv_archive(&[
        ("a", "key,v\nk,1\n"),
        ("b", "key\nx\n"),
    ]));
    let out = sandbox.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("b.csv"), "mine").unwrap();
    let args = [
        "--archive",
        utf8(&archive),
        "export",
        "--format",
        "csv",
        "--out",
        utf8(&out),
    ];
    let refused = run_in(&sandbox.data_dir(), &args);
    let err = assert_one_line_error(&refused, 2);
    assert!(
        err.contains("b.csv already exists (--force overwrites it)"),
        "{err}"
    );
    assert!(
        !out.join("a.csv").exists(),
        "nothing is written when one file is in the way"
    );
    assert_eq!(std::fs::read_to_string(out.join("b.csv")).unwrap(), "mine");

    let mut forced = args.to_vec();
    forced.push("--force");
    let output = run_in(&sandbox.data_dir(), &forced);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(
        std::fs::read_to_string(out.join("b.csv")).unwrap(),
        "key\nx\n"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("a.csv")).unwrap(),
        "key,v\nk,1\n"
    );
}

#[test]
fn csv_of_every_database_needs_a_folder_and_unknown_or_failed_ones_are_errors() {
    let sandbox = Sandbox::new();
    let archive = sandbox.write_archive(&targz(&[
        file("databases/good.csv", "key,v\nk,1\n"),
        file("databases/bad.csv", b"key,v\nk,\xff\n".as_slice()),
    ]));
    let run = |args: &[&str]| {
        let mut all = vec!["--archive", utf8(&archive), "export"];
        all.extend_from_slice(args);
        run_in(&sandbox.data_dir(), &all)
    };
    let err = assert_one_line_error(&run(&["--format", "csv"]), 2);
    assert!(err.contains("needs --out DIR"), "{err}");
    let err = assert_one_line_error(&run(&["nothere"]), 2);
    assert!(err.contains("unknown database \"nothere\""), "{err}");
    let err = assert_one_line_error(&run(&["bad"]), 2);
    assert!(err.contains("could not be loaded"), "{err}");
    // Everything: the good database is written, and the missing one makes it an error.
    let all = run(&[]);
    assert_eq!(stdout(&all).lines().count(), 1, "{}", stdout(&all));
    let err = assert_one_line_error(&all, 2);
    assert!(
        err.contains("1 database(s) could not be loaded and were not exported: \"bad\""),
        "{err}"
    );
}

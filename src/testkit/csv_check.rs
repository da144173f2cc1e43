//! The CSV differential check: our parser and index against the `csv` crate's own reader plus the
//! documented rules (README, "Archives and CSV"), field for field, on versions, warnings and errors.
//!
//! `tests/csv_differential.rs` (proptest), the `csv_differential` fuzz target and the replay of its seeds
//! all call [`check`]. The reference side is written plainly and on purpose shares no code with the
//! parser: records and their positions come from `csv::Reader`, the rules are applied to those records
//! here, and line numbers are counted again from the bytes.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::catalog::archive::CsvEntry;
use crate::catalog::csv::ParseError;
use crate::catalog::limits::Budget;
use crate::catalog::{BuildTimings, Database, DuplicateKey, Warnings};
use crate::error::{CsvError, CsvProblem};

/// The name and path the checked database gets.
pub const NAME: &str = "differential";
const PATH: &str = "databases/differential.csv";

/// Parses `bytes` as one database with our parser and with the reference; panics, saying where and on
/// which input, when they disagree on anything.
pub fn check(bytes: &[u8]) {
    let expected = reference(bytes);
    let ours = parse(bytes);
    let report = |what: String| -> ! {
        panic!(
            "CSV differential: {what}\ninput ({} bytes): b\"{}\"",
            bytes.len(),
            shown(bytes)
        )
    };
    match (expected, ours) {
        (_, Err(ParseError::Abandoned)) => report("abandoned with no limit in sight".into()),
        (Expected::Failed(want), Err(ParseError::Csv(got))) => {
            let want = CsvError {
                path: PATH.to_string(),
                line: want.line,
                problem: CsvProblem::InvalidUtf8 {
                    field: want.field,
                    byte: want.byte,
                },
            };
            if got != want {
                report(format!("error {got:?}, the reference says {want:?}"));
            }
            let message = got.to_string();
            if message.contains(['\n', '\r']) {
                report(format!("the error is not one line: {message:?}"));
            }
        }
        (Expected::Failed(want), Ok(_)) => report(format!(
            "loaded, but the reference finds invalid UTF-8 at line {} field {}",
            want.line, want.field
        )),
        (Expected::Loaded(_), Err(ParseError::Csv(got))) => {
            report(format!("failed with {got:?}, the reference loads it"))
        }
        (Expected::Loaded(want), Ok(db)) => {
            if let Err(Disagreement(what)) = compare(&want, &db) {
                report(what);
            }
        }
    }
}

/// Our parser and index on `bytes` as one database (named [`NAME`]), with no archive around it and no
/// limits: how tests reach the parser alone.
pub fn parse_one(bytes: &[u8]) -> Result<Database, CsvError> {
    match parse(bytes) {
        Ok(db) => Ok(db),
        Err(ParseError::Csv(error)) => Err(error),
        Err(ParseError::Abandoned) => unreachable!("a build without limits is never stopped"),
    }
}

fn parse(bytes: &[u8]) -> Result<Database, ParseError> {
    let entry = CsvEntry {
        name: NAME.to_string(),
        path: PATH.to_string(),
        bytes: bytes.to_vec(),
    };
    let mut cpu = BuildTimings::default();
    crate::catalog::build::index_csv(entry, [0; 32], &Budget::unlimited(), &mut cpu)
}

/// What the documented rules make of a file.
enum Expected {
    Loaded(ExpectedDb),
    Failed(Utf8Failure),
}

/// The first row with invalid UTF-8: its line, its field (from 1, as written) and the byte in the field.
struct Utf8Failure {
    line: u64,
    field: u64,
    byte: u64,
}

#[derive(Default)]
struct ExpectedDb {
    versioned: bool,
    version: Option<String>,
    columns: Vec<String>,
    records: Vec<ExpectedRecord>,
    warnings: Warnings,
}

struct ExpectedRecord {
    version: Option<String>,
    /// Key first, then the values (the version field is not one).
    fields: Vec<String>,
}

/// A row as the `csv` crate reads it, with the line it starts on.
struct Row {
    line: u64,
    fields: Vec<String>,
}

/// The `csv` crate's records (flexible, no headers), each checked for UTF-8 as `csv::StringRecord` does.
fn rows(bytes: &[u8]) -> Result<Vec<Row>, Utf8Failure> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(bytes);
    let mut lines = LineCount::default();
    let mut rows = Vec::new();
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => return Ok(rows),
            Err(e) => panic!("the csv crate cannot fail on bytes in memory, but: {e}"),
        }
        let after_previous = record.position().map_or(0, |p| p.byte() as usize);
        let line = lines.line_of(bytes, first_byte_of_row(bytes, after_previous));
        match csv::StringRecord::from_byte_record(record.clone()) {
            Ok(fields) => rows.push(Row {
                line,
                fields: fields.iter().map(str::to_string).collect(),
            }),
            Err(e) => {
                let error = e.utf8_error();
                return Err(Utf8Failure {
                    line,
                    field: error.field() as u64 + 1,
                    byte: error.valid_up_to() as u64,
                });
            }
        }
    }
}

/// A record's position is where the reader stood before it; the row itself starts after the BOM (at the
/// very start) and after the blank lines the reader skips.
fn first_byte_of_row(bytes: &[u8], mut at: usize) -> usize {
    if at == 0 && bytes.starts_with("\u{feff}".as_bytes()) {
        at = 3;
    }
    while matches!(bytes.get(at), Some(b'\r' | b'\n')) {
        at += 1;
    }
    at
}

/// Counts lines as an editor does: CRLF, LF and a lone CR each end one.
#[derive(Default)]
struct LineCount {
    upto: usize,
    ended: u64,
}

impl LineCount {
    fn line_of(&mut self, bytes: &[u8], offset: usize) -> u64 {
        while self.upto < offset {
            match bytes[self.upto] {
                b'\n' => self.ended += 1,
                b'\r' if bytes.get(self.upto + 1) != Some(&b'\n') => self.ended += 1,
                _ => {}
            }
            self.upto += 1;
        }
        self.ended + 1
    }
}

/// The documented rules, applied to the reference's rows.
fn reference(bytes: &[u8]) -> Expected {
    let rows = match rows(bytes) {
        Ok(rows) => rows,
        Err(failure) => return Expected::Failed(failure),
    };
    let mut rows = rows.into_iter();
    let Some(header) = rows.next() else {
        return Expected::Loaded(ExpectedDb::default());
    };
    let versioned = header.fields[0] == "version";
    let key = usize::from(versioned);
    let mut db = ExpectedDb {
        versioned,
        columns: header.fields[key..].to_vec(),
        ..ExpectedDb::default()
    };
    let example = |lines: &mut Vec<u64>, line| {
        if lines.len() < Warnings::EXAMPLES {
            lines.push(line);
        }
    };
    for row in rows {
        // The database's version is its first data row's, whether or not that row is kept.
        if versioned && db.version.is_none() {
            db.version = Some(row.fields[0].clone());
        }
        if row.fields.get(key).is_none_or(String::is_empty) {
            db.warnings.empty_key_rows += 1;
            example(&mut db.warnings.empty_key_lines, row.line);
            continue;
        }
        if row.fields.len() != key + db.columns.len() {
            db.warnings.ragged_rows += 1;
            example(&mut db.warnings.ragged_lines, row.line);
        }
        db.records.push(ExpectedRecord {
            version: versioned.then(|| row.fields[0].clone()),
            fields: row.fields[key..].to_vec(),
        });
    }
    // Every row is a record; the lookup finds the first of a key, and the later ones are listed under
    // it, in the order their first repeat comes.
    let mut first_of: HashMap<&str, usize> = HashMap::new();
    let mut listed: HashMap<usize, usize> = HashMap::new();
    for (i, record) in db.records.iter().enumerate() {
        let key = record.fields[0].as_str();
        let Some(&first) = first_of.get(key) else {
            first_of.insert(key, i);
            continue;
        };
        let at = *listed.entry(first).or_insert_with(|| {
            db.warnings.duplicates.push(DuplicateKey {
                key: key.to_string(),
                first: first as u32,
                repeats: Vec::new(),
            });
            db.warnings.duplicates.len() - 1
        });
        db.warnings.duplicates[at].repeats.push(i as u32);
        db.warnings.duplicate_rows += 1;
    }
    Expected::Loaded(db)
}

/// What our database and the reference's disagree on, in words.
struct Disagreement(String);

/// Our database against the expected one; says what differs first.
fn compare(want: &ExpectedDb, db: &Database) -> Result<(), Disagreement> {
    let same = |what: &str, ours: String, reference: String| {
        if ours == reference {
            Ok(())
        } else {
            Err(Disagreement(format!(
                "{what}: ours {ours}, the reference {reference}"
            )))
        }
    };
    same(
        "versioned",
        format!("{}", db.meta().versioned),
        format!("{}", want.versioned),
    )?;
    same(
        "columns",
        format!("{:?}", db.columns()),
        format!("{:?}", want.columns),
    )?;
    same(
        "version",
        format!("{:?}", db.version()),
        format!("{:?}", want.version),
    )?;
    same(
        "record count",
        db.len().to_string(),
        want.records.len().to_string(),
    )?;
    same(
        "warnings",
        format!("{:?}", db.warnings()),
        format!("{:?}", want.warnings),
    )?;
    if db.records().len() != want.records.len() {
        return Err(Disagreement(
            "records() does not yield len() records".into(),
        ));
    }
    let columns = want.columns.len();
    let mut first_of: HashMap<&str, usize> = HashMap::new();
    for (i, (record, expected)) in db.records().zip(&want.records).enumerate() {
        let at = |what: &str| format!("record {i} {what}");
        same(&at("index"), record.index().to_string(), i.to_string())?;
        same(
            &at("fields"),
            format!("{:?}", record.fields().collect::<Vec<_>>()),
            format!("{:?}", expected.fields),
        )?;
        same(
            &at("version"),
            format!("{:?}", record.version()),
            format!("{:?}", expected.version),
        )?;
        same(
            &at("key"),
            record.key().to_string(),
            expected.fields[0].clone(),
        )?;
        let values: Vec<Option<&str>> = (0..columns)
            .map(|c| expected.fields.get(c).map(String::as_str))
            .collect();
        same(
            &at("values"),
            format!("{:?}", record.values().collect::<Vec<_>>()),
            format!("{values:?}"),
        )?;
        let extra = expected.fields.get(columns..).unwrap_or(&[]);
        same(
            &at("extra"),
            format!("{:?}", record.extra().collect::<Vec<_>>()),
            format!("{extra:?}"),
        )?;
        same(
            &at("raggedness"),
            record.is_ragged().to_string(),
            (expected.fields.len() != columns).to_string(),
        )?;
        first_of.entry(expected.fields[0].as_str()).or_insert(i);
    }
    // Every key looks up to the first record with that key; a key that is not there looks up to nothing.
    for (key, &first) in &first_of {
        same(
            &format!("lookup of {key:?}"),
            format!("{:?}", db.lookup(key).map(|r| r.index())),
            format!("{:?}", Some(first)),
        )?;
        let absent = format!("{key}\u{0}absent");
        if !first_of.contains_key(absent.as_str()) {
            same(
                &format!("lookup of {absent:?}"),
                format!("{:?}", db.position(&absent)),
                "None".to_string(),
            )?;
        }
    }
    same(
        "distinct keys",
        db.distinct_keys().to_string(),
        first_of.len().to_string(),
    )?;
    same(
        "record past the end",
        format!("{:?}", db.record(want.records.len()).map(|r| r.index())),
        "None".to_string(),
    )
}

/// The input as an escaped byte string, cut short when long.
fn shown(bytes: &[u8]) -> String {
    const MOST: usize = 4000;
    let mut out = String::new();
    for b in bytes.iter().take(MOST) {
        let _ = write!(out, "{}", std::ascii::escape_default(*b));
    }
    if bytes.len() > MOST {
        let _ = write!(out, "... ({} more bytes)", bytes.len() - MOST);
    }
    out
}

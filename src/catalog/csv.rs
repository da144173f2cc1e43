//! CSV bytes -> a database's rows in an arena, with the header, version and row warnings (csv crate, RFC 4180).

use crate::catalog::index::{ArenaBuilder, Warnings};

/// A parsed CSV before its key table is built.
#[derive(Debug)]
pub(crate) struct ParsedCsv {
    pub versioned: bool,
    pub version: Option<String>,
    /// Rows whose version differs from the database's: (record position, version).
    pub version_exceptions: Vec<(u32, String)>,
    pub columns: Vec<String>,
    pub text: Vec<u8>,
    pub field_ends: Vec<u8>,
    pub record_starts: Vec<u8>,
    pub warnings: Warnings,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Parses one database. Fails only on invalid UTF-8, naming the line; everything else is kept or counted.
pub(crate) fn parse(path: &str, bytes: &[u8]) -> Result<ParsedCsv, String> {
    let data = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(data);
    let mut row = csv::ByteRecord::new();
    let mut arena = ArenaBuilder::with_capacity(data.len());
    let mut warnings = Warnings::default();

    let header = match next_row(&mut reader, &mut row, path)? {
        Some(_) => row.iter().map(to_string).collect::<Vec<_>>(),
        None => Vec::new(),
    };
    let versioned = header.first().is_some_and(|f| f == "version");
    let key_field = usize::from(versioned);
    let columns = header[key_field.min(header.len())..].to_vec();
    let expected_fields = key_field + columns.len();
    let mut version: Option<String> = None;
    let mut version_exceptions = Vec::new();
    let mut records = 0u32;

    while let Some(line) = next_row(&mut reader, &mut row, path)? {
        if versioned && version.is_none() {
            version = row.get(0).map(to_string);
        }
        if row.get(key_field).is_none_or(<[u8]>::is_empty) {
            note(
                &mut warnings.empty_key_rows,
                &mut warnings.empty_key_lines,
                line,
            );
            continue;
        }
        if row.len() != expected_fields {
            note(&mut warnings.ragged_rows, &mut warnings.ragged_lines, line);
        }
        // The version is stored once per database; a row keeps its own only when it differs.
        let version_len = if versioned {
            let own = row.get(0).unwrap_or_default();
            if version.as_deref().map(str::as_bytes) != Some(own) {
                version_exceptions.push((records, to_string(own)));
            }
            own.len()
        } else {
            0
        };
        let fields = row.iter().skip(key_field).map(<[u8]>::len);
        arena.push_row(&row.as_slice()[version_len..], fields);
        records += 1;
    }
    let (text, field_ends, record_starts) = arena.finish();
    Ok(ParsedCsv {
        versioned,
        version,
        version_exceptions,
        columns,
        text,
        field_ends,
        record_starts,
        warnings,
    })
}

/// Reads the next non-blank row, checking it is UTF-8; returns its line number.
fn next_row(
    reader: &mut csv::Reader<&[u8]>,
    row: &mut csv::ByteRecord,
    path: &str,
) -> Result<Option<u64>, String> {
    loop {
        match reader.read_byte_record(row) {
            Ok(false) => return Ok(None),
            Ok(true) => {}
            Err(e) => return Err(format!("{path}: {e}")),
        }
        let line = row.position().map_or(0, |p| p.line());
        // A line holding nothing at all is a blank line, not a row with one empty field.
        if row.len() == 1 && row.as_slice().is_empty() {
            continue;
        }
        if let Err(e) = std::str::from_utf8(row.as_slice()) {
            let at = e.valid_up_to();
            return Err(format!(
                "{path} line {line}: invalid UTF-8 (byte {at} of the row's fields)"
            ));
        }
        return Ok(Some(line));
    }
}

fn note(count: &mut u64, lines: &mut Vec<u64>, line: u64) {
    *count += 1;
    if lines.len() < Warnings::EXAMPLES {
        lines.push(line);
    }
}

fn to_string(field: &[u8]) -> String {
    String::from_utf8_lossy(field).into_owned()
}

//! CSV bytes -> a database's rows in an arena, with the header, version and row warnings (RFC 4180).
//!
//! Parsing uses `csv_core` (the engine of the `csv` crate) directly: each row's fields are written straight
//! into the text arena, and each thread reuses one parser, whose set-up would otherwise cost more than
//! parsing a small database.

use std::cell::RefCell;

use csv_core::{ReadRecordResult, Reader};

use crate::catalog::index::Warnings;

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

thread_local! {
    static PARSER: RefCell<Reader> = RefCell::new(Reader::new());
}

/// Parses one database. Fails only on invalid UTF-8, naming the line; everything else is kept or counted.
pub(crate) fn parse(path: &str, bytes: &[u8]) -> Result<ParsedCsv, String> {
    let data = bytes.strip_prefix(BOM).unwrap_or(bytes);
    PARSER.with_borrow_mut(|reader| {
        reader.reset();
        Rows::new(reader, data).parse(path)
    })
}

/// Reads rows into a text buffer as large as the input (fields never take more room than their CSV).
struct Rows<'a> {
    reader: &'a mut Reader,
    input: &'a [u8],
    text: Vec<u8>,
    /// Bytes of `text` that hold kept rows; the row being read starts here.
    kept: usize,
    /// End of each field of the current row, relative to `kept`.
    ends: Vec<usize>,
    /// Blank lines consumed here, which the parser's own line count does not see.
    blank_lines: u64,
}

impl<'a> Rows<'a> {
    fn new(reader: &'a mut Reader, input: &'a [u8]) -> Self {
        Rows {
            reader,
            input,
            text: vec![0; input.len() + 1],
            kept: 0,
            ends: vec![0; 32],
            blank_lines: 0,
        }
    }

    /// Reads the next row after `kept`, returning its line and field count; skips blank lines.
    fn next(&mut self) -> Option<(u64, usize)> {
        loop {
            self.skip_blank_lines();
            let line = self.reader.line() + self.blank_lines;
            let fields = self.read_record()?;
            let blank = fields == 1 && self.ends[0] == 0;
            if !blank {
                return Some((line, fields));
            }
        }
    }

    /// At a row boundary, a line ending starts a blank line (inside a quoted field it would not).
    fn skip_blank_lines(&mut self) {
        loop {
            let skip = match self.input {
                [b'\r', b'\n', ..] => 2,
                [b'\n' | b'\r', ..] => 1,
                _ => return,
            };
            self.input = &self.input[skip..];
            self.blank_lines += 1;
        }
    }

    fn read_record(&mut self) -> Option<usize> {
        let mut out = self.kept;
        let mut fields = 0;
        loop {
            let (result, read, written, ended) = self.reader.read_record(
                self.input,
                &mut self.text[out..],
                &mut self.ends[fields..],
            );
            // Ends come relative to where this call started writing; make them relative to the row.
            for end in &mut self.ends[fields..fields + ended] {
                *end += out - self.kept;
            }
            self.input = &self.input[read..];
            out += written;
            fields += ended;
            match result {
                ReadRecordResult::Record => return Some(fields),
                ReadRecordResult::End => return None,
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => self.text.resize(self.text.len() * 2 + 64, 0),
                ReadRecordResult::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
            }
        }
    }

    fn row_bytes(&self, fields: usize) -> &[u8] {
        &self.text[self.kept..self.kept + fields.checked_sub(1).map_or(0, |last| self.ends[last])]
    }

    fn field(&self, fields: usize, i: usize) -> Option<&[u8]> {
        (i < fields).then(|| {
            let start = if i == 0 { 0 } else { self.ends[i - 1] };
            &self.text[self.kept + start..self.kept + self.ends[i]]
        })
    }

    fn parse(mut self, path: &str) -> Result<ParsedCsv, String> {
        let check = |rows: &Self, line: u64, fields: usize| match std::str::from_utf8(
            rows.row_bytes(fields),
        ) {
            Ok(_) => Ok(()),
            Err(e) => Err(format!(
                "{path} line {line}: invalid UTF-8 (byte {} of the row's fields)",
                e.valid_up_to()
            )),
        };
        let header: Vec<String> = match self.next() {
            Some((line, fields)) => {
                check(&self, line, fields)?;
                (0..fields)
                    .filter_map(|i| self.field(fields, i))
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .collect()
            }
            None => Vec::new(),
        };
        let versioned = header.first().is_some_and(|f| f == "version");
        let key_field = usize::from(versioned);
        let columns = header[key_field.min(header.len())..].to_vec();
        let expected_fields = key_field + columns.len();

        let mut version: Option<String> = None;
        let mut version_exceptions = Vec::new();
        let mut warnings = Warnings::default();
        let mut field_ends = Vec::with_capacity(self.input.len() / 8);
        let mut record_starts = Vec::with_capacity(self.input.len() / 32);
        let mut records = 0u32;
        let mut stored_fields = 0u32;

        while let Some((line, fields)) = self.next() {
            check(&self, line, fields)?;
            let own_version = if versioned {
                self.field(fields, 0)
            } else {
                None
            };
            if versioned && version.is_none() {
                version = own_version.map(lossy);
            }
            if self.field(fields, key_field).is_none_or(<[u8]>::is_empty) {
                note(
                    &mut warnings.empty_key_rows,
                    &mut warnings.empty_key_lines,
                    line,
                );
                continue;
            }
            if fields != expected_fields {
                note(&mut warnings.ragged_rows, &mut warnings.ragged_lines, line);
            }
            // The version is stored once per database; a row keeps its own only when it differs.
            let skip = match own_version {
                Some(own) => {
                    if version.as_deref().map(str::as_bytes) != Some(own) {
                        version_exceptions.push((records, lossy(own)));
                    }
                    own.len()
                }
                None => 0,
            };
            let row_end = self.kept + self.ends[fields - 1];
            self.text.copy_within(self.kept + skip..row_end, self.kept);
            record_starts.extend_from_slice(&stored_fields.to_le_bytes());
            for &end in &self.ends[key_field..fields] {
                let absolute = (self.kept + end - skip) as u32;
                field_ends.extend_from_slice(&absolute.to_le_bytes());
            }
            stored_fields += (fields - key_field) as u32;
            self.kept = row_end - skip;
            records += 1;
        }
        record_starts.extend_from_slice(&stored_fields.to_le_bytes());
        self.text.truncate(self.kept);
        Ok(ParsedCsv {
            versioned,
            version,
            version_exceptions,
            columns,
            text: self.text,
            field_ends,
            record_starts,
            warnings,
        })
    }
}

fn note(count: &mut u64, lines: &mut Vec<u64>, line: u64) {
    *count += 1;
    if lines.len() < Warnings::EXAMPLES {
        lines.push(line);
    }
}

fn lossy(field: &[u8]) -> String {
    String::from_utf8_lossy(field).into_owned()
}

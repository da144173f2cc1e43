//! CSV bytes -> a database's rows in an arena, with the header, version and row warnings (RFC 4180).
//!
//! Parsing uses `csv_core` (the engine of the `csv` crate) directly, and a fast path (`quick`) for plain
//! rows: each row's fields are written into a small buffer, and moved from there over the CSV bytes already
//! read, which become the text arena. Each thread reuses one parser, whose set-up would otherwise cost more
//! than parsing a small database. `src/testkit/csv_check.rs` holds this parser to the `csv` crate's own
//! reader.

mod quick;

use std::cell::{Cell, RefCell};

use csv_core::{ReadRecordResult, Reader};

use crate::catalog::index::Warnings;
use crate::catalog::limits::{Budget, IndexLimit, Refusal};
use crate::error::{CsvError, CsvProblem};

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

/// Why a parse stopped.
#[derive(Debug)]
pub(crate) enum ParseError {
    /// To report: invalid UTF-8, or this database took the build over an index limit.
    Csv(CsvError),
    /// Another database took the build over a limit; this one was let go.
    Abandoned,
}

/// Parses one database. Fails on invalid UTF-8 (naming the line and field) and on the index limits;
/// everything else is kept or counted. The text is written over the CSV bytes as they are read (fields
/// never take more room than their CSV), so a database is never held twice.
pub(crate) fn parse(path: &str, bytes: Vec<u8>, budget: &Budget) -> Result<ParsedCsv, ParseError> {
    PARSER.with_borrow_mut(|reader| {
        // A fresh reader strips one BOM itself, as the `csv` crate's does.
        reader.reset();
        Rows::new(reader, bytes).parse(path, budget)
    })
}

/// Rows not yet moved into the text are gathered in a buffer of about this size.
const PENDING: usize = 64 << 10;

/// Reads rows into a small buffer, and moves them from there over the input already read.
struct Rows<'a> {
    reader: &'a mut Reader,
    /// The input; its first `moved` bytes are the text of the rows kept so far.
    data: Vec<u8>,
    /// Bytes of `data` the parser has consumed.
    pos: usize,
    /// Bytes of text already moved into `data`.
    moved: usize,
    /// Kept rows not yet moved, then the row being read.
    out: Vec<u8>,
    /// Bytes of `out` that hold kept rows; the row being read starts here.
    kept: usize,
    /// End of each field of the current row, relative to `kept`.
    ends: Vec<usize>,
    lines: Lines,
    /// Whether rows may be read by the fast path: there is no CR, so LF alone ends a row.
    quick: bool,
    /// The whole input is valid UTF-8, so every field is: fields are split at ASCII bytes, which never
    /// fall inside a character, and lose only ASCII quotes. Rows are then not checked one by one.
    all_utf8: bool,
}

/// A row just read: where it starts in the input, and how many fields it has (at least one).
#[derive(Debug, Clone, Copy)]
struct Row {
    start: usize,
    fields: usize,
}

impl<'a> Rows<'a> {
    fn new(reader: &'a mut Reader, data: Vec<u8>) -> Self {
        let quick = memchr::memchr(b'\r', &data).is_none();
        let all_utf8 = simdutf8::basic::from_utf8(&data).is_ok();
        Rows {
            reader,
            data,
            pos: 0,
            moved: 0,
            out: vec![0; PENDING + 1024],
            kept: 0,
            ends: vec![0; 32],
            lines: Lines::new(!quick),
            quick,
            all_utf8,
        }
    }

    /// Reads the next row after `kept`; the parser itself skips blank lines.
    fn next(&mut self) -> Option<Row> {
        let start = row_start(&self.data, self.pos);
        // The header row is csv_core's, which strips a BOM.
        if self.quick && self.pos > 0 && start < self.data.len() {
            let read = quick::row(&self.data, start, &mut self.out, self.kept, &mut self.ends);
            if let Some((next, fields)) = read {
                self.pos = next;
                return Some(Row { start, fields });
            }
        }
        let fields = self.read_record()?;
        // csv_core ends every record with at least one field; a row of none would have nothing to keep.
        (fields > 0).then_some(Row { start, fields })
    }

    fn read_record(&mut self) -> Option<usize> {
        let mut out = self.kept;
        let mut fields = 0;
        loop {
            let (result, read, written, ended) = self.reader.read_record(
                &self.data[self.pos..],
                &mut self.out[out..],
                &mut self.ends[fields..],
            );
            // csv_core gives every end relative to the start of the record, across calls: they are
            // already relative to `kept`.
            self.pos += read;
            out += written;
            fields += ended;
            match result {
                ReadRecordResult::Record => return Some(fields),
                ReadRecordResult::End => return None,
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => self.out.resize(self.out.len() * 2 + 64, 0),
                ReadRecordResult::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
            }
        }
    }

    /// Keeps the current row's fields from `from` on (after the version, when the row has one).
    fn keep(&mut self, row: Row, from: usize) {
        let row_end = self.kept + self.row_len(row);
        self.out.copy_within(self.kept + from..row_end, self.kept);
        self.kept = row_end - from;
        if self.kept >= PENDING {
            self.move_kept();
        }
    }

    /// Moves the kept rows over input already read: their text is never longer than the CSV it came
    /// from. Line numbers are counted first over the bytes about to be written over, as only rows after
    /// `pos` can still ask for theirs.
    fn move_kept(&mut self) {
        self.lines.at(&self.data, self.pos);
        let end = self.moved + self.kept;
        debug_assert!(end <= self.pos, "text never overtakes the input");
        self.data[self.moved..end].copy_from_slice(&self.out[..self.kept]);
        (self.moved, self.kept) = (end, 0);
    }

    /// Where the current row's text starts in the database's text.
    fn text_at(&self) -> usize {
        self.moved + self.kept
    }

    /// Line of an input offset.
    fn line(&self, offset: usize) -> u64 {
        self.lines.at(&self.data, offset)
    }

    /// Length of the current row's fields, back to back.
    fn row_len(&self, row: Row) -> usize {
        self.ends[row.fields - 1]
    }

    fn field(&self, row: Row, i: usize) -> Option<&[u8]> {
        (i < row.fields).then(|| {
            let start = if i == 0 { 0 } else { self.ends[i - 1] };
            &self.out[self.kept + start..self.kept + self.ends[i]]
        })
    }

    /// The first field that is not valid UTF-8, and the byte where it goes wrong.
    fn invalid_utf8(&self, row: Row) -> Option<CsvProblem> {
        if self.all_utf8 {
            return None;
        }
        let bytes = &self.out[self.kept..self.kept + self.row_len(row)];
        // Fast path: the row as a whole, then each field end on a character boundary (a character split
        // between two fields leaves both invalid although their concatenation is not).
        let valid = std::str::from_utf8(bytes).is_ok_and(|text| {
            self.ends[..row.fields]
                .iter()
                .all(|&e| text.is_char_boundary(e))
        });
        if valid {
            return None;
        }
        (0..row.fields).find_map(|i| {
            let field = self.field(row, i)?;
            let error = std::str::from_utf8(field).err()?;
            Some(CsvProblem::InvalidUtf8 {
                field: i as u64 + 1,
                byte: error.valid_up_to() as u64,
            })
        })
    }

    fn parse(mut self, path: &str, budget: &Budget) -> Result<ParsedCsv, ParseError> {
        let error = |rows: &Self, row: Row, problem| {
            ParseError::Csv(CsvError {
                path: path.to_string(),
                line: rows.line(row.start),
                problem,
            })
        };
        let refused = |rows: &Self, row: Row, refusal| match refusal {
            Refusal::Over(limit) => error(rows, row, over(limit)),
            Refusal::Stopped => ParseError::Abandoned,
        };
        let header: Vec<String> = match self.next() {
            Some(row) => {
                if let Some(problem) = self.invalid_utf8(row) {
                    return Err(error(&self, row, problem));
                }
                (0..row.fields)
                    .filter_map(|i| self.field(row, i))
                    .map(lossy)
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
        let mut field_ends = Vec::with_capacity(self.data.len() / 8);
        let mut record_starts = Vec::with_capacity(self.data.len() / 32);
        let mut records = 0u32;
        let mut stored_fields = 0u32;
        // Counted here and handed to the build's shared totals in chunks.
        let (mut unclaimed_records, mut unclaimed_fields) = (0u64, 0u64);

        while let Some(row) = self.next() {
            if let Some(problem) = self.invalid_utf8(row) {
                return Err(error(&self, row, problem));
            }
            let own_version = if versioned { self.field(row, 0) } else { None };
            if versioned && version.is_none() {
                version = own_version.map(lossy);
            }
            if self.field(row, key_field).is_none_or(<[u8]>::is_empty) {
                let lines = &mut warnings.empty_key_lines;
                warnings.empty_key_rows += 1;
                if lines.len() < Warnings::EXAMPLES {
                    lines.push(self.line(row.start));
                }
                continue;
            }
            if row.fields != expected_fields {
                let lines = &mut warnings.ragged_lines;
                warnings.ragged_rows += 1;
                if lines.len() < Warnings::EXAMPLES {
                    lines.push(self.line(row.start));
                }
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
            let row_end = self.text_at() + self.row_len(row);
            let kept_fields = row.fields - key_field;
            let offsets_fit = u32::try_from(row_end - skip).is_ok()
                && u32::try_from(stored_fields as usize + kept_fields).is_ok();
            if !offsets_fit {
                return Err(error(&self, row, over(IndexLimit::Offsets)));
            }
            record_starts.extend_from_slice(&stored_fields.to_le_bytes());
            let at = self.text_at();
            for &end in &self.ends[key_field..row.fields] {
                let absolute = (at + end - skip) as u32;
                field_ends.extend_from_slice(&absolute.to_le_bytes());
            }
            stored_fields += kept_fields as u32;
            self.keep(row, skip);
            records += 1;

            unclaimed_records += 1;
            unclaimed_fields += kept_fields as u64;
            if unclaimed_records >= Budget::CHUNK_RECORDS
                || unclaimed_fields >= Budget::CHUNK_FIELDS
            {
                let claimed = budget.claim(unclaimed_records, unclaimed_fields);
                if let Err(refusal) = claimed {
                    return Err(refused(&self, row, refusal));
                }
                (unclaimed_records, unclaimed_fields) = (0, 0);
            }
        }
        if let Err(refusal) = budget.claim(unclaimed_records, unclaimed_fields) {
            let end = Row {
                start: self.data.len(),
                fields: 1,
            };
            return Err(refused(&self, end, refusal));
        }
        record_starts.extend_from_slice(&stored_fields.to_le_bytes());
        self.move_kept();
        let mut text = self.data;
        text.truncate(self.moved);
        // The rest of the input is let go (in place, for a buffer this large).
        text.shrink_to_fit();
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
}

fn over(limit: IndexLimit) -> CsvProblem {
    CsvProblem::OverLimit(limit)
}

/// Where the row read from `pos` on really starts: after the BOM at the very start, and after the blank
/// lines the parser skips.
fn row_start(data: &[u8], pos: usize) -> usize {
    let from = if pos == 0 && data.starts_with(BOM) {
        BOM.len()
    } else {
        pos
    };
    let blank = data[from.min(data.len())..]
        .iter()
        .take_while(|&&b| b == b'\n' || b == b'\r')
        .count();
    from + blank
}

/// Line numbers of input offsets, counted on demand: only rows that are reported need one, and the bytes
/// about to be written over. (Cells, so a line can be asked for while a row is borrowed.)
struct Lines {
    counted: Cell<usize>,
    /// Lines before `counted`, less one.
    before: Cell<u64>,
    /// Whether the input holds a CR at all: without one, only LFs need counting.
    any_cr: bool,
}

impl Lines {
    fn new(any_cr: bool) -> Self {
        Lines {
            counted: Cell::new(0),
            before: Cell::new(0),
            any_cr,
        }
    }

    /// The line `offset` of `data` is on; offsets are asked for in increasing order, and the bytes from
    /// the last one asked for on must be the input's. CRLF, LF and a lone CR each end a line, as they
    /// each end a row.
    fn at(&self, data: &[u8], offset: usize) -> u64 {
        let offset = offset.min(data.len());
        let counted = self.counted.get();
        if offset > counted {
            let span = &data[counted..offset];
            let after = &data[counted + 1..(offset + 1).min(data.len())];
            let lf = span.iter().filter(|&&b| b == b'\n').count();
            if !self.any_cr {
                self.before.set(self.before.get() + lf as u64);
                self.counted.set(offset);
                return self.before.get() + 1;
            }
            let cr = span.iter().filter(|&&b| b == b'\r').count();
            let crlf = if cr == 0 {
                0
            } else {
                span.iter()
                    .zip(after)
                    .filter(|&(&a, &b)| a == b'\r' && b == b'\n')
                    .count()
            };
            self.before.set(self.before.get() + (lf + cr - crlf) as u64);
            self.counted.set(offset);
        }
        self.before.get() + 1
    }
}

fn lossy(field: &[u8]) -> String {
    String::from_utf8_lossy(field).into_owned()
}

//! A fast path for the rows most files are made of: bare fields and simply quoted ones, read with memchr
//! instead of `csv_core`'s byte-at-a-time automaton. Anything else is left to `csv_core`, so the two read
//! every row alike; `src/testkit/csv_check.rs` holds the whole parser to the `csv` crate's reader.
//!
//! Only used in files without a CR (where LF alone ends a row), after the header row (so a BOM has been
//! dealt with), and from the start of a row, where `csv_core` would be in its start-of-record state.

use memchr::{memchr, memchr3};

/// One row read from `data[from..]` (the first byte of a row: not a line end, not past the end), its
/// fields written back to back into `out[at..]` and their ends, relative to `at`, into `ends`. Returns where
/// the next row starts and how many fields this one has, or `None` when the row is not one this path
/// reads (a quote inside a bare field or after a closing one, a quote never closed): `out` and `ends`
/// then hold nothing of use and `csv_core` reads the row instead.
pub(super) fn row(
    data: &[u8],
    from: usize,
    out: &mut Vec<u8>,
    at: usize,
    ends: &mut Vec<usize>,
) -> Option<(usize, usize)> {
    let mut i = from;
    let mut o = at;
    let mut fields = 0;
    loop {
        if data.get(i) == Some(&b'"') {
            i += 1;
            loop {
                let len = memchr(b'"', &data[i..])?;
                append(out, &mut o, &data[i..i + len]);
                i += len + 1;
                if data.get(i) != Some(&b'"') {
                    break;
                }
                // A doubled quote is one quote of the field.
                append(out, &mut o, b"\"");
                i += 1;
            }
        } else {
            let rest = &data[i..];
            let len = memchr3(b',', b'\n', b'"', rest).unwrap_or(rest.len());
            if rest.get(len) == Some(&b'"') {
                return None;
            }
            append(out, &mut o, &rest[..len]);
            i += len;
        }
        if fields == ends.len() {
            ends.resize(ends.len() * 2 + 1, 0);
        }
        ends[fields] = o - at;
        fields += 1;
        match data.get(i) {
            None => return Some((i, fields)),
            Some(b'\n') => return Some((i + 1, fields)),
            Some(b',') => i += 1,
            // Text after a closing quote: `csv_core` joins it to the field.
            Some(_) => return None,
        }
    }
}

fn append(out: &mut Vec<u8>, at: &mut usize, bytes: &[u8]) {
    let end = *at + bytes.len();
    if out.len() < end {
        out.resize(end.max(out.len() * 2), 0);
    }
    out[*at..end].copy_from_slice(bytes);
    *at = end;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(data: &[u8]) -> Option<(usize, Vec<Vec<u8>>)> {
        let (mut out, mut ends) = (Vec::new(), vec![0; 1]);
        let (next, fields) = row(data, 0, &mut out, 0, &mut ends)?;
        let mut start = 0;
        let split = ends[..fields]
            .iter()
            .map(|&end| {
                let field = out[start..end].to_vec();
                start = end;
                field
            })
            .collect();
        Some((next, split))
    }

    fn fields(list: &[&str]) -> Vec<Vec<u8>> {
        list.iter().map(|f| f.as_bytes().to_vec()).collect()
    }

    #[test]
    fn bare_and_quoted_fields_read_as_csv_reads_them() {
        assert_eq!(read(b"a,b\nc"), Some((4, fields(&["a", "b"]))));
        assert_eq!(
            read(b"\"x, \"\"y\"\"\",,\"\"\n"),
            Some((15, fields(&["x, \"y\"", "", ""])))
        );
        assert_eq!(read(b"a,"), Some((2, fields(&["a", ""]))));
        assert_eq!(read(b"\"two\nlines\""), Some((11, fields(&["two\nlines"]))));
    }

    #[test]
    fn odd_quoting_is_left_to_the_full_parser() {
        assert_eq!(read(b"a\"b,c\n"), None);
        assert_eq!(read(b"\"a\"b,c\n"), None);
        assert_eq!(read(b"\"never closed\n"), None);
    }
}

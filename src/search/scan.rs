//! The scan that turns occurrences found in a database's whole text arena into per-field matches.
//!
//! Fields lie back to back in one buffer with nothing between them, so one search over the buffer is far
//! cheaper than one per field. An occurrence found there belongs to the field it starts in; one that runs
//! past that field's end, or any a prefilter cannot vouch for, is checked again on the field alone.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};

use super::{Found, tier};
use crate::catalog::Database;
use crate::catalog::arena::Arena;

/// A way to look for occurrences in the whole arena.
pub(crate) trait Prefilter {
    /// The leftmost occurrence starting at or after `from` in `hay`, and whether it is sure: a sure
    /// occurrence that lies inside one field is that field's first match. Every field that matches must
    /// hold the start of an occurrence, or the scan would miss it.
    fn next(&self, hay: &[u8], from: usize) -> Option<(Range<usize>, bool)>;
}

/// Which matching fields of a record a scan reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fields {
    /// The first one.
    First,
    /// The key if it matches, else every value that matches, in order (for fuzzy, which ranks by the
    /// best of them).
    KeyOrEveryValue,
}

/// One field that matched: its record, its number within the record, and the match in it.
pub(crate) struct FieldHit {
    pub(crate) record: usize,
    pub(crate) field: usize,
    pub(crate) found: Found,
}

/// Scans records `range` of a database for the matching fields of each record that `fields` asks for.
/// `prefilter` finds occurrences: a sure one lying inside one field is taken as found; anything else is
/// handed to `check` with the field's bytes. Returns `None` when cancelled; offsets that do not add up end
/// the scan.
pub(crate) fn scan(
    db: &Database,
    range: Range<usize>,
    prefilter: &dyn Prefilter,
    check: &dyn Fn(&[u8]) -> Option<Found>,
    fields: Fields,
    cancel: &AtomicBool,
    out: &mut dyn FnMut(FieldHit),
) -> Option<()> {
    let arena = Arena::of(db);
    let end_record = range.end.min(db.len());
    let mut steps = 0usize;
    let mut next = Cursor::start(&arena, range.start, end_record);
    while let Some(cursor) = next {
        steps += 1;
        if steps.is_multiple_of(1024) && cancel.load(Ordering::Relaxed) {
            return None;
        }
        next = cursor.step(&arena, prefilter, check, fields, out);
    }
    Some(())
}

/// Where a scan is: the next byte to look at and the first field and record it can be in.
#[derive(Clone, Copy)]
struct Cursor {
    pos: usize,
    end: usize,
    field: usize,
    record: usize,
    end_record: usize,
}

impl Cursor {
    fn start(arena: &Arena, record: usize, end_record: usize) -> Option<Self> {
        Some(Cursor {
            pos: arena.record_offset(record)?,
            end: arena.record_offset(end_record)?.min(arena.text.len()),
            field: arena.first_field(record)?,
            record,
            end_record,
        })
    }

    /// Finds the next occurrence and settles it; `None` when the records are done.
    fn step(
        self,
        arena: &Arena,
        prefilter: &dyn Prefilter,
        check: &dyn Fn(&[u8]) -> Option<Found>,
        fields: Fields,
        out: &mut dyn FnMut(FieldHit),
    ) -> Option<Self> {
        if self.pos >= self.end {
            return None;
        }
        let (found, sure) = prefilter.next(arena.text.get(..self.end)?, self.pos)?;
        let field = arena.field_at(found.start, self.field)?;
        let (start, field_end) = (arena.field_start(field)?, arena.field_end(field)?);
        let record = arena.record_of(field, self.record, self.end_record)?;
        let first = arena.first_field(record)?;
        let hit = if sure && found.end <= field_end {
            let span = found.start - start..found.end - start;
            let score = tier(&span, field_end - start);
            Some(Found { span, score })
        } else {
            arena.field_bytes(field).and_then(check)
        };
        match hit {
            Some(found) => {
                out(FieldHit {
                    record,
                    field: field - first,
                    found,
                });
                let record_done = fields == Fields::First || field == first;
                if record_done {
                    return Some(Cursor {
                        pos: arena.record_offset(record + 1)?,
                        field: arena.first_field(record + 1)?,
                        record: record + 1,
                        ..self
                    });
                }
                Some(Cursor {
                    pos: field_end.max(self.pos + 1),
                    field: field + 1,
                    record,
                    ..self
                })
            }
            None => Some(Cursor {
                pos: field_end.max(self.pos + 1),
                field: field + 1,
                record,
                ..self
            }),
        }
    }
}

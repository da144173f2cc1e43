//! A read-only view of a database's text arena, and the scan that turns occurrences found in the whole
//! arena into per-field matches.
//!
//! Fields lie back to back in one buffer with nothing between them, so one search over the buffer is far
//! cheaper than one per field. An occurrence found there belongs to the field it starts in; one that runs
//! past that field's end, or any a prefilter cannot vouch for, is checked again on the field alone.
//! Offsets that do not add up (a crafted cache) make the view answer "nothing", never panic.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::catalog::Database;

/// The sections of one database, as byte offsets.
pub(crate) struct Arena<'a> {
    pub(crate) text: &'a [u8],
    ends: &'a [u8],
    starts: &'a [u8],
}

impl<'a> Arena<'a> {
    pub(crate) fn of(db: &'a Database) -> Self {
        let sections = db.sections();
        Arena {
            text: &sections.text,
            ends: &sections.field_ends,
            starts: &sections.record_starts,
        }
    }

    pub(crate) fn fields(&self) -> usize {
        self.ends.len() / 4
    }

    /// Index of the first field of a record; `records()` gives the end sentinel.
    pub(crate) fn first_field(&self, record: usize) -> Option<usize> {
        u32_at(self.starts, record)
    }

    pub(crate) fn field_end(&self, field: usize) -> Option<usize> {
        u32_at(self.ends, field)
    }

    pub(crate) fn field_start(&self, field: usize) -> Option<usize> {
        match field {
            0 => Some(0),
            f => self.field_end(f - 1),
        }
    }

    /// Where a record's text starts in the arena (its first field's start).
    fn record_offset(&self, record: usize) -> Option<usize> {
        let field = self.first_field(record)?;
        if field >= self.fields() {
            return Some(self.text.len());
        }
        self.field_start(field)
    }

    pub(crate) fn field_bytes(&self, field: usize) -> Option<&'a [u8]> {
        let (start, end) = (self.field_start(field)?, self.field_end(field)?);
        self.text.get(start..end)
    }

    /// The field holding arena byte `pos`: the first whose end is past it (empty fields hold nothing).
    fn field_at(&self, pos: usize, from: usize) -> Option<usize> {
        let (mut lo, mut hi) = (from, self.fields());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.field_end(mid)? > pos {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        (lo < self.fields()).then_some(lo)
    }

    /// The record a field belongs to, searching records from `from` on.
    fn record_of(&self, field: usize, from: usize, records: usize) -> Option<usize> {
        let (mut lo, mut hi) = (from, records);
        // The last record whose first field is at or before `field`.
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.first_field(mid + 1)? > field {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        (lo < records).then_some(lo)
    }
}

fn u32_at(section: &[u8], index: usize) -> Option<usize> {
    let start = index.checked_mul(4)?;
    let bytes = section.get(start..start.checked_add(4)?)?;
    Some(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize)
}

/// A way to look for occurrences in the whole arena.
pub(crate) trait Prefilter {
    /// The leftmost occurrence starting at or after `from` in `hay`, and whether it is sure: a sure
    /// occurrence that lies inside one field is that field's first match. Every field that matches must
    /// hold the start of an occurrence, or the scan would miss it.
    fn next(&self, hay: &[u8], from: usize) -> Option<(Range<usize>, bool)>;
}

/// One field that matched: its record, its number within the record, and the match in it.
pub(crate) struct FieldHit {
    pub(crate) record: usize,
    pub(crate) field: usize,
    pub(crate) found: super::Found,
}

/// Scans records `range` of a database for the first matching field of each record. `prefilter` finds
/// occurrences: a sure one lying inside one field is taken as found; anything else is handed to `check`
/// with the field's text. Returns `None` when cancelled; offsets that do not add up end the scan.
pub(crate) fn scan(
    db: &Database,
    range: Range<usize>,
    prefilter: &dyn Prefilter,
    check: &dyn Fn(&str) -> Option<super::Found>,
    cancel: &AtomicBool,
    out: &mut Vec<FieldHit>,
) -> Option<()> {
    let arena = Arena::of(db);
    let end_record = range.end.min(db.len());
    let mut steps = 0usize;
    let mut next = Cursor::start(&arena, range.start, end_record);
    while let Some(cursor) = next {
        steps += 1;
        if steps % 1024 == 0 && cancel.load(Ordering::Relaxed) {
            return None;
        }
        next = cursor.step(&arena, prefilter, check, out);
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
        check: &dyn Fn(&str) -> Option<super::Found>,
        out: &mut Vec<FieldHit>,
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
            let score = super::tier(&span, field_end - start);
            Some(super::Found { span, score })
        } else {
            arena
                .field_bytes(field)
                .and_then(|b| std::str::from_utf8(b).ok())
                .and_then(check)
        };
        match hit {
            Some(found) => {
                out.push(FieldHit {
                    record,
                    field: field - first,
                    found,
                });
                // One hit per record: go on from the next record.
                Some(Cursor {
                    pos: arena.record_offset(record + 1)?,
                    field: arena.first_field(record + 1)?,
                    record: record + 1,
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

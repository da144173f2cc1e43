//! A read-only view of a database's sections as byte offsets, for the scans that work on the whole text
//! at once (search, sort, frequency, diff) without checking UTF-8 field by field.
//! Offsets that do not add up (a crafted cache) make the view answer "nothing", never panic.

use super::Database;

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

    /// Number of fields of a record.
    pub(crate) fn field_count(&self, record: usize) -> Option<usize> {
        Some(
            self.first_field(record + 1)?
                .saturating_sub(self.first_field(record)?),
        )
    }

    /// The bytes of field `column` of a record; `None` when the row is too short to have it.
    pub(crate) fn value(&self, record: usize, column: usize) -> Option<&'a [u8]> {
        if column >= self.field_count(record)? {
            return None;
        }
        self.field_bytes(self.first_field(record)? + column)
    }

    /// Where a record's text starts in the arena (its first field's start).
    pub(crate) fn record_offset(&self, record: usize) -> Option<usize> {
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

    /// The field holding arena byte `pos`: the first from `from` on whose end is past it (empty fields
    /// hold nothing). Gallops from `from`, since the field sought is usually a few fields on.
    pub(crate) fn field_at(&self, pos: usize, from: usize) -> Option<usize> {
        let first = gallop(from, self.fields(), |f| {
            self.field_end(f).is_some_and(|e| e > pos)
        });
        (first < self.fields()).then_some(first)
    }

    /// The record a field belongs to, searching records from `from` to `records`.
    pub(crate) fn record_of(&self, field: usize, from: usize, records: usize) -> Option<usize> {
        // The first record that starts after the field, less one.
        let after = gallop(from, records, |r| {
            self.first_field(r + 1).is_some_and(|f| f > field)
        });
        (after < records).then_some(after)
    }
}

/// The first index in `from..to` where `past` holds (it holds from some point on), or `to`; looks at
/// `from`, `from + 1`, `from + 3`, ... before a binary search, so an answer near `from` costs little.
fn gallop(from: usize, to: usize, past: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut step) = (from, 1);
    let mut hi = loop {
        let probe = lo.saturating_add(step - 1);
        if probe >= to {
            break to;
        }
        if past(probe) {
            break probe;
        }
        lo = probe + 1;
        step *= 2;
    };
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if past(mid) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    hi
}

fn u32_at(section: &[u8], index: usize) -> Option<usize> {
    let start = index.checked_mul(4)?;
    let bytes = section.get(start..start.checked_add(4)?)?;
    Some(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize)
}

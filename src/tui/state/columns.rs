//! The Records table's geometry: which columns fit, how wide each is (from the values on screen, up to what
//! the pane allows, the key column frozen on the left), the row-number gutter, and how tall each row is when
//! cells wrap. State computes it after every action; drawing and clicks read the same numbers.

use unicode_width::UnicodeWidthChar;

use crate::tui::text;

/// Narrowest a value column is drawn; less than this shows nothing useful.
pub const MIN_COLUMN: usize = 3;
/// Widest share of the pane the frozen key column takes, so value columns always have room.
const KEY_SHARE: usize = 2;
/// Lines a wrapped row may take at most.
pub const MAX_ROW_LINES: usize = 8;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ColumnLayout {
    /// Width of the row-number gutter, its trailing space included; 0 when there is no room for it.
    pub gutter: usize,
    /// The columns drawn, key first: (column index, width).
    pub shown: Vec<(usize, usize)>,
}

impl ColumnLayout {
    pub fn width_of(&self, column: usize) -> Option<usize> {
        self.shown
            .iter()
            .find(|(c, _)| *c == column)
            .map(|(_, w)| *w)
    }
}

/// Display width of `s` as drawn (control characters cleaned), counted no further than `cap`: a value of
/// a megabyte costs no more than one as wide as the pane.
pub fn capped_width(s: &str, cap: usize) -> usize {
    let mut used = 0;
    for c in s.chars() {
        if c == '\r' {
            continue;
        }
        used += text::clean_char(c).width().unwrap_or(0);
        if used >= cap {
            return cap;
        }
    }
    used
}

/// Digits of the largest row number, plus a space.
pub fn gutter_for(largest: usize, width: usize) -> usize {
    let digits = largest.max(1).ilog10() as usize + 1;
    // On a very narrow pane the numbers would crowd out the data.
    if width < 24 { 0 } else { digits + 1 }
}

/// Lays out columns from `offset` (the first value column shown after the key) in `width` cells. `natural`
/// gives a column's widest visible value (its header included), already capped at `width`.
pub fn layout(
    natural: &mut dyn FnMut(usize) -> usize,
    count: usize,
    offset: usize,
    width: usize,
    gutter: usize,
) -> ColumnLayout {
    let mut shown = Vec::new();
    if count == 0 {
        return ColumnLayout { gutter, shown };
    }
    let room = width.saturating_sub(gutter);
    let key = natural(0)
        .max(MIN_COLUMN)
        .min((room / KEY_SHARE).max(MIN_COLUMN))
        .min(room);
    shown.push((0, key));
    let mut used = key;
    for c in offset.max(1)..count {
        let left = room.saturating_sub(used + 1);
        if left < MIN_COLUMN {
            break;
        }
        let w = natural(c).max(MIN_COLUMN).min(left);
        shown.push((c, w));
        used += w + 1;
    }
    ColumnLayout { gutter, shown }
}

/// The widest a value column can be drawn: the pane less the gutter, the key and a space.
pub fn widest_value(layout: &ColumnLayout, width: usize) -> usize {
    let key = layout.shown.first().map_or(0, |(_, w)| *w);
    width
        .saturating_sub(layout.gutter + key + 1)
        .max(MIN_COLUMN)
}

/// `s` wrapped to `w` columns in at most `max` lines, the last one ending in `…` when text was left out.
/// Only a prefix is wrapped, so a huge value costs what the screen shows.
pub fn wrap_at_most(s: &str, w: usize, max: usize) -> Vec<String> {
    let w = w.max(1);
    let max = max.max(1);
    let budget = (max + 1) * w * 2;
    let end = s.char_indices().nth(budget).map_or(s.len(), |(i, _)| i);
    let mut lines = text::wrap(&s[..end], w);
    let cut = end < s.len() || lines.len() > max;
    lines.truncate(max);
    if cut && let Some(last) = lines.last_mut() {
        let kept = text::fit(last, w.saturating_sub(1));
        *last = format!("{}…", kept.trim_end_matches('…'));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_take_their_content_up_to_the_pane() {
        let widths = [5, 10, 200, 4];
        let mut natural = |c: usize| widths[c].min(80);
        let l = layout(&mut natural, 4, 1, 80, 4);
        assert_eq!(l.shown, vec![(0, 5), (1, 10), (2, 59)]);
        let l = layout(&mut natural, 4, 3, 80, 0);
        assert_eq!(l.shown, vec![(0, 5), (3, 4)]);
        // The key never takes more than half.
        let mut wide_key = |_| 80;
        let l = layout(&mut wide_key, 2, 1, 40, 0);
        assert_eq!(l.shown, vec![(0, 20), (1, 19)]);
    }

    #[test]
    fn widths_are_capped_and_wraps_are_bounded() {
        assert_eq!(capped_width(&"x".repeat(1_000_000), 50), 50);
        assert_eq!(capped_width("東京", 50), 4);
        let lines = wrap_at_most(&"word ".repeat(10_000), 10, 3);
        assert_eq!(lines.len(), 3);
        assert!(lines[2].ends_with('…'), "{lines:?}");
        assert_eq!(wrap_at_most("short", 10, 3), vec!["short"]);
        assert_eq!(gutter_for(9, 80), 2);
        assert_eq!(gutter_for(1000, 80), 5);
        assert_eq!(gutter_for(1000, 10), 0);
    }
}

//! Text for people: what comes from an archive (names, keys, values) made safe to print on a terminal,
//! cut to a readable length, and padded into columns without `{:width$}`, which panics past 65,535.
//!
//! Every plain-text output of the headless subcommands goes through here; JSON output does not (serde
//! escapes what JSON needs, and a script wants the exact text).

use std::borrow::Cow;
use std::path::Path;

use unicode_width::UnicodeWidthStr;

use crate::error::escape_controls;

/// Widest a column is padded to: a longer cell is printed whole and pushes its own row out of line, so
/// one huge name cannot push every other row out of sight.
pub const MAX_COLUMN: usize = 40;

/// Most characters of a key echoed back in a message.
pub const MAX_ECHO: usize = 80;

/// `text` with its control characters (C0, DEL, C1, line separators, bidirectional controls) escaped:
/// it stays on one line and cannot drive the terminal.
pub fn show(text: &str) -> Cow<'_, str> {
    escape_controls(text)
}

/// A path, shown as [`show`] shows text.
pub fn path(path: &Path) -> String {
    escape_controls(&path.display().to_string()).into_owned()
}

/// `text` in double quotes with `"` and `\` escaped as well, so where it ends is never in doubt.
pub fn quoted(text: &str) -> String {
    let mut marked = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        if matches!(c, '"' | '\\') {
            marked.push('\\');
        }
        marked.push(c);
    }
    format!("\"{}\"", show(&marked))
}

/// [`quoted`], cut to [`MAX_ECHO`] characters with its full length said after it.
pub fn echo(text: &str) -> String {
    let chars = text.chars().count();
    if chars <= MAX_ECHO {
        return quoted(text);
    }
    let head: String = text.chars().take(MAX_ECHO).collect();
    format!(
        "{}… ({} characters)",
        quoted(&head),
        crate::units::thousands(chars)
    )
}

/// [`show`], cut to `max` characters with `…` where it was cut.
pub fn short(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => show(text).into_owned(),
        Some((end, _)) => format!("{}…", show(&text[..end])),
    }
}

/// Columns on a terminal that `text` takes (after [`show`], it holds no control characters).
pub fn width(text: &str) -> usize {
    text.width()
}

/// `text` followed by spaces up to `width` columns, `width` capped at [`MAX_COLUMN`].
pub fn pad_right(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    out.push_str(text);
    out.extend(std::iter::repeat_n(' ', padding(text, width)));
    out
}

/// Spaces up to `width` columns (capped at [`MAX_COLUMN`]), then `text`.
pub fn pad_left(text: &str, width: usize) -> String {
    let mut out: String = std::iter::repeat_n(' ', padding(text, width)).collect();
    out.push_str(text);
    out
}

fn padding(text: &str, width: usize) -> usize {
    width.min(MAX_COLUMN).saturating_sub(self::width(text))
}

/// The width a column needs for the cells that fit in [`MAX_COLUMN`]; a longer one sticks out.
pub fn column_width<'a>(cells: impl IntoIterator<Item = &'a str>) -> usize {
    cells
        .into_iter()
        .map(width)
        .filter(|w| *w <= MAX_COLUMN)
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_and_bidi_controls_are_escaped() {
        let shown = show("a\x1b[2J\r\n\x07\u{9b}\u{202e}\u{2066}\x7fb");
        assert_eq!(shown, "a\\x1b[2J\\r\\n\\x07\\u{9b}\\u{202e}\\u{2066}\\x7fb");
    }

    #[test]
    fn quoting_marks_where_the_text_ends() {
        assert_eq!(quoted("a\"b\\c\n\x1b"), r#""a\"b\\c\n\x1b""#);
    }

    #[test]
    fn a_long_key_is_echoed_cut_with_its_length() {
        let key = "x".repeat(1000);
        let shown = echo(&key);
        assert_eq!(shown, format!("\"{}\"… (1,000 characters)", "x".repeat(80)));
        assert_eq!(echo("Tael"), "\"Tael\"");
        assert_eq!(short("abc\n", 4), "abc\\n");
        assert_eq!(short("abcdef", 4), "abcd…");
    }

    #[test]
    fn padding_is_capped_and_never_panics_on_a_huge_width() {
        assert_eq!(pad_right("ab", 4), "ab  ");
        assert_eq!(pad_left("ab", 4), "  ab");
        assert_eq!(pad_right("ab", 100_000).len(), MAX_COLUMN);
        let long = "c".repeat(70_000);
        assert_eq!(pad_right(&long, 70_000), long);
        assert_eq!(column_width([long.as_str(), "abc"]), 3);
        // Wide characters take two columns.
        assert_eq!(pad_right("日本", 6), "日本  ");
    }
}

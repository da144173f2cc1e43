//! Display-width text helpers: cleaning control characters, cutting to a width with an ellipsis, and
//! highlighting matched characters, all by Unicode display width so CJK, emoji and combining marks align.

use std::borrow::Cow;

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// One display character for each character of a field: line breaks become `↵`, tabs a space, other
/// control characters `�`, so a value can never move the terminal's cursor.
pub fn clean_char(c: char) -> char {
    match c {
        '\n' => '↵',
        '\t' => ' ',
        c if c.is_control() => '\u{fffd}',
        c => c,
    }
}

pub fn clean(s: &str) -> Cow<'_, str> {
    if s.chars().any(char::is_control) {
        Cow::Owned(s.chars().filter(|c| *c != '\r').map(clean_char).collect())
    } else {
        Cow::Borrowed(s)
    }
}

pub fn width(s: &str) -> usize {
    clean(s).width()
}

fn char_width(c: char) -> usize {
    clean_char(c).width().unwrap_or(0)
}

/// `s` cleaned and cut to `max` display columns, ending in `…` when something was cut. Reads no further
/// than the cut: a value of megabytes costs what one as wide as the cell does.
pub fn fit(s: &str, max: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    // Where the text would be cut, if it must: the end of what fits in `max - 1` columns.
    let mut cut: Option<usize> = None;
    for c in s.chars().filter(|c| *c != '\r').map(clean_char) {
        let w = c.width().unwrap_or(0);
        if cut.is_none() && used + w > max.saturating_sub(1) {
            cut = Some(out.len());
        }
        used += w;
        if used > max {
            if max == 0 {
                return String::new();
            }
            out.truncate(cut.unwrap_or(0));
            out.push('…');
            return out;
        }
        out.push(c);
    }
    out
}

/// `s` padded with spaces to `w` display columns (cut first when longer).
pub fn pad(s: &str, w: usize) -> String {
    let mut out = fit(s, w);
    let have = out.width();
    out.extend(std::iter::repeat_n(' ', w.saturating_sub(have)));
    out
}

/// `s` cut to `max` columns with the characters at `positions` (char indices, sorted) in `mark` style.
pub fn highlight(
    s: &str,
    positions: &[usize],
    max: usize,
    base: Style,
    mark: Style,
) -> Line<'static> {
    let total: usize = s.chars().filter(|c| *c != '\r').map(char_width).sum();
    let budget = if total <= max {
        max
    } else {
        max.saturating_sub(1)
    };
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut run = String::new();
    let mut run_marked = false;
    let mut used = 0;
    let mut next = positions.iter().peekable();
    for (i, c) in s.chars().enumerate() {
        while next.peek().is_some_and(|p| **p < i) {
            next.next();
        }
        if c == '\r' {
            continue;
        }
        let w = char_width(c);
        if used + w > budget {
            break;
        }
        used += w;
        let marked = next.peek() == Some(&&i);
        if marked != run_marked && !run.is_empty() {
            spans.push(Span::styled(
                std::mem::take(&mut run),
                style(run_marked, base, mark),
            ));
        }
        run_marked = marked;
        run.push(clean_char(c));
    }
    if !run.is_empty() {
        spans.push(Span::styled(run, style(run_marked, base, mark)));
    }
    if total > max && max > 0 {
        spans.push(Span::styled("…", base));
    }
    Line::from(spans)
}

/// Like [`highlight`], but when the first matched character would fall past `max` the text starts later,
/// after a `…`, so the match is in view with a few characters before it.
pub fn highlight_in_view(
    s: &str,
    positions: &[usize],
    max: usize,
    base: Style,
    mark: Style,
) -> Line<'static> {
    const CONTEXT: usize = 4;
    let Some(&first) = positions.first() else {
        return highlight(s, positions, max, base, mark);
    };
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let before: usize = chars.iter().take(first).map(|(_, c)| char_width(*c)).sum();
    // The first match: its run of consecutive positions.
    let run = positions
        .iter()
        .enumerate()
        .take_while(|(i, p)| **p == first + i)
        .count();
    let matched: usize = chars
        .iter()
        .skip(first)
        .take(run)
        .map(|(_, c)| char_width(*c))
        .sum();
    let skip = first.saturating_sub(CONTEXT);
    if before + matched < max || max < 2 + CONTEXT || skip == 0 {
        return highlight(s, positions, max, base, mark);
    }
    let Some(&(byte, _)) = chars.get(skip) else {
        return highlight(s, positions, max, base, mark);
    };
    let shifted: Vec<usize> = positions
        .iter()
        .filter(|p| **p >= skip)
        .map(|p| p - skip)
        .collect();
    let mut line = highlight(&s[byte..], &shifted, max - 1, base, mark);
    line.spans.insert(0, Span::styled("…", base));
    line
}

fn style(marked: bool, base: Style, mark: Style) -> Style {
    if marked { base.patch(mark) } else { base }
}

pub use crate::units::{bytes, thousands};

/// Lines of `s` wrapped to `w` display columns, breaking at spaces when it can; explicit line breaks kept.
pub fn wrap(s: &str, w: usize) -> Vec<String> {
    let w = w.max(1);
    let mut lines = Vec::new();
    for paragraph in s.split('\n') {
        let paragraph: String = paragraph
            .chars()
            .filter(|c| *c != '\r')
            .map(clean_char)
            .collect();
        let mut line = String::new();
        let mut used = 0;
        for word in paragraph.split_inclusive(' ') {
            let ww = word.width();
            // A trailing space may hang past the edge; it is trimmed off the line.
            if used + word.trim_end().width() > w && used > 0 {
                lines.push(std::mem::take(&mut line).trim_end().to_string());
                used = 0;
            }
            if ww > w {
                for c in word.chars() {
                    let cw = c.width().unwrap_or(0);
                    if used + cw > w {
                        lines.push(std::mem::take(&mut line));
                        used = 0;
                    }
                    line.push(c);
                    used += cw;
                }
            } else {
                line.push_str(word);
                used += ww;
            }
        }
        lines.push(line.trim_end().to_string());
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_counts_display_width() {
        assert_eq!(fit("東京都", 4), "東…");
        assert_eq!(fit("東京", 4), "東京");
        assert_eq!(fit("abc\ndef", 20), "abc↵def");
        assert_eq!(width("e\u{301}t\u{e9}"), 3);
        assert_eq!(fit("anything", 0), "");
    }

    /// `fit` measuring the whole text first: the oracle of the bounded walk. Both count a text's width as
    /// the sum of its characters' (unicode-width's string width differs for a lone combining mark).
    fn fit_whole(s: &str, max: usize) -> String {
        let s = clean(s);
        if s.chars().map(|c| c.width().unwrap_or(0)).sum::<usize>() <= max {
            return s.into_owned();
        }
        if max == 0 {
            return String::new();
        }
        let mut out = String::new();
        let mut used = 0;
        for c in s.chars() {
            let w = c.width().unwrap_or(0);
            if used + w > max - 1 {
                break;
            }
            used += w;
            out.push(c);
        }
        out.push('…');
        out
    }

    proptest::proptest! {
        #[test]
        fn fit_reads_no_further_than_the_cut_and_cuts_as_a_whole_measure_would(
            s in "[a東\u{301}\n\r\t\u{7}é ]{0,12}",
            max in 0usize..10,
        ) {
            proptest::prop_assert_eq!(fit(&s, max), fit_whole(&s, max));
        }
    }

    #[test]
    fn a_match_past_the_width_is_scrolled_into_view() {
        let s = format!("{}needle end", "x".repeat(50));
        let positions: Vec<usize> = (50..56).collect();
        let line = highlight_in_view(&s, &positions, 20, Style::new(), Style::new());
        let shown: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
        assert!(shown.starts_with("…xxxxneedle"), "{shown}");
        assert!(unicode_width::UnicodeWidthStr::width(shown.as_str()) <= 20);
        // A match already in view is drawn from the start.
        let line = highlight_in_view("needle x", &[0, 1], 20, Style::new(), Style::new());
        assert_eq!(line.spans[0].content, "ne");
    }

    #[test]
    fn wrap_breaks_at_spaces_and_width() {
        assert_eq!(wrap("aaa bbb ccc", 7), vec!["aaa bbb", "ccc"]);
        assert_eq!(wrap("東京東京", 4), vec!["東京", "東京"]);
        assert_eq!(wrap("", 4), vec![""]);
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(2903), "2,903");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(bytes(1_234_567), "1.2 MB");
        assert_eq!(bytes(999), "999 B");
    }
}

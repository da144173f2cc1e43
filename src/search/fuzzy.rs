//! Fuzzy matching: the pattern's characters in order and close together, scored by skim.
//!
//! Accents are ignored on both sides (`zur` finds Zürich) and so is ASCII case unless the pattern has an
//! upper-case letter, as skim does. A field matches only when it holds the pattern's characters in order
//! within a window of at most [`SLACK`] characters more than the pattern: `hmmngbrd` still finds
//! Hummingbird (11 characters for 8) and `albtrs` Albatross, but `bird` no longer finds
//! "**B**ased on or **i**n acco**r**dance" nor `anosdusk` a paragraph that happens to hold those
//! letters in order. A fixed slack (rather than one that grows with the pattern) keeps the rule
//! monotonic: the hits of `birds` are always among the hits of `bird`, so a growing query can be
//! narrowed to the previous hits. The window is then scored by skim, whose positions are highlighted.

use std::borrow::Cow;
use std::ops::Range;

use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;
use unicode_normalization::char::decompose_canonical;

/// How many characters a match may skip in all.
pub const SLACK: usize = 3;

pub(crate) struct Fuzzy {
    /// The pattern with accents folded away.
    pattern: String,
    chars: Vec<char>,
    case_sensitive: bool,
    matcher: SkimMatcherV2,
}

/// A fuzzy match in a field: skim's score and the matched characters.
pub(crate) struct FuzzyMatch {
    pub(crate) score: i64,
    /// Byte ranges of the field's matched characters, runs of neighbours merged.
    pub(crate) ranges: Vec<Range<usize>>,
}

impl FuzzyMatch {
    /// From the first matched character to the end of the last.
    pub(crate) fn span(&self) -> Range<usize> {
        let start = self.ranges.first().map_or(0, |r| r.start);
        start..self.ranges.last().map_or(start, |r| r.end)
    }
}

impl Fuzzy {
    pub(crate) fn new(pattern: &str) -> Self {
        let pattern = fold_accents(pattern).into_owned();
        let case_sensitive = pattern.chars().any(char::is_uppercase);
        let matcher = SkimMatcherV2::default();
        let matcher = if case_sensitive {
            matcher.respect_case()
        } else {
            matcher.ignore_case()
        };
        Fuzzy {
            chars: pattern.chars().collect(),
            pattern,
            case_sensitive,
            matcher,
        }
    }

    fn eq(&self, a: char, b: char) -> bool {
        if self.case_sensitive {
            a == b
        } else {
            a.eq_ignore_ascii_case(&b)
        }
    }

    pub(crate) fn find(&self, field: &str) -> Option<FuzzyMatch> {
        if self.chars.is_empty() {
            return None;
        }
        let folded = fold_accents(field);
        let (start, end) = if folded.is_ascii() && self.pattern.is_ascii() {
            let eq = |a: &u8, b: &u8| {
                if self.case_sensitive {
                    a == b
                } else {
                    a.eq_ignore_ascii_case(b)
                }
            };
            min_window(folded.as_bytes(), self.pattern.as_bytes(), eq)?
        } else {
            let chars: Vec<char> = folded.chars().collect();
            min_window(&chars, &self.chars, |a, b| self.eq(*a, *b))?
        };
        if end - start > self.chars.len() + SLACK {
            return None;
        }
        // Byte offset of every character of the field, and its end.
        let offsets: Vec<usize> = field
            .char_indices()
            .map(|(o, _)| o)
            .chain([field.len()])
            .collect();
        let folded_offsets: Vec<usize> = folded
            .char_indices()
            .map(|(o, _)| o)
            .chain([folded.len()])
            .collect();
        let window = &folded[folded_offsets[start]..folded_offsets[end]];
        let (score, positions) = match self.matcher.fuzzy_indices(window, &self.pattern) {
            Some((score, positions)) => (score, positions),
            // Skim found no alignment in a window that holds one: score it as the weakest match.
            None => (0, (0..end - start).collect()),
        };
        let mut ranges: Vec<Range<usize>> = Vec::new();
        for p in positions {
            let c = start + p;
            let range = offsets[c]..offsets[c + 1];
            match ranges.last_mut() {
                Some(last) if last.end == range.start => last.end = range.end,
                _ => ranges.push(range),
            }
        }
        Some(FuzzyMatch { score, ranges })
    }
}

/// The first shortest window `start..end` of `hay` holding `needle` in order, as element indices.
fn min_window<T>(hay: &[T], needle: &[T], eq: impl Fn(&T, &T) -> bool) -> Option<(usize, usize)> {
    let n = needle.len();
    let mut best: Option<(usize, usize)> = None;
    let mut from = 0;
    loop {
        // Forward: the earliest end of a match starting at or after `from`.
        let mut j = 0;
        let mut end = None;
        for (k, item) in hay.iter().enumerate().skip(from) {
            if eq(item, &needle[j]) {
                j += 1;
                if j == n {
                    end = Some(k);
                    break;
                }
            }
        }
        let Some(end) = end else { break };
        // Backward: the latest start of a match ending there.
        let mut j = n;
        let mut start = end;
        loop {
            if eq(&hay[start], &needle[j - 1]) {
                j -= 1;
                if j == 0 {
                    break;
                }
            }
            start -= 1;
        }
        if best.is_none_or(|(s, e)| end + 1 - start < e - s) {
            best = Some((start, end + 1));
        }
        if end + 1 - start == n {
            break;
        }
        from = start + 1;
        if hay.len() - from < n {
            break;
        }
    }
    best
}

/// Replaces each accented letter by its base letter (é -> e, Ø stays), one character for one.
pub(crate) fn fold_accents(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.chars().map(base_letter).collect())
    }
}

/// The letter under combining accents (U+0300-U+036F), or the character itself when it has none; other
/// decompositions (Hangul syllables, compatibility forms) are left alone.
fn base_letter(c: char) -> char {
    if c.is_ascii() {
        return c;
    }
    let (mut base, mut parts, mut only_accents) = (c, 0, true);
    decompose_canonical(c, |part| {
        if parts == 0 {
            base = part;
        } else if !('\u{300}'..='\u{36f}').contains(&part) {
            only_accents = false;
        }
        parts += 1;
    });
    if parts > 1 && only_accents { base } else { c }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(pattern: &str, field: &str) -> Option<Vec<Range<usize>>> {
        Fuzzy::new(pattern).find(field).map(|m| m.ranges)
    }

    #[test]
    fn accents_are_folded_one_character_for_one() {
        assert_eq!(
            fold_accents("Zürich São Paulo Kraków"),
            "Zurich Sao Paulo Krakow"
        );
        assert_eq!(fold_accents("Øresund 東京 한국"), "Øresund 東京 한국");
        let text = "Zürich, Ελλάδα";
        assert_eq!(fold_accents(text).chars().count(), text.chars().count());
    }

    #[test]
    fn a_query_without_accents_finds_and_highlights_text_with_them() {
        // "Zü" is three bytes: the range covers the whole ü.
        let zurich = spans("zur", "Zürich").expect("a match");
        assert_eq!((zurich.len(), zurich[0].clone()), (1, 0..4));
        assert!(spans("zür", "Zurich").is_some());
        assert!(spans("xyz", "Zürich").is_none());
    }

    #[test]
    fn matches_must_be_compact() {
        assert!(spans("hmmngbrd", "Hummingbird").is_some());
        assert!(spans("albtrs", "Wandering Albatross").is_some());
        let bird = spans("bird", "Bluebird").expect("a match");
        assert_eq!((bird.len(), bird[0].clone()), (1, 4..8));
        assert!(spans("bird", "Based on or in accordance").is_none());
        assert!(spans("bird", "bxxxird").is_some());
        assert!(spans("bird", "bxxxxird").is_none());
    }

    #[test]
    fn an_upper_case_letter_makes_it_case_sensitive() {
        assert!(spans("Teal", "teal").is_none());
        assert!(spans("teal", "TEAL").is_some());
    }

    #[test]
    fn the_shortest_window_is_found_wherever_it_is() {
        assert_eq!(min_window(b"abxxabc", b"abc", u8::eq), Some((4, 7)));
        assert_eq!(min_window(b"axbxc abc", b"abc", u8::eq), Some((6, 9)));
        assert_eq!(min_window(b"ab", b"abc", u8::eq), None);
        assert_eq!(min_window(b"cba", b"abc", u8::eq), None);
    }
}

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
use std::cell::Cell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
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

impl Clone for Fuzzy {
    /// Built again: skim's matcher cannot be cloned, and its setup is cheap.
    fn clone(&self) -> Self {
        Fuzzy::new(&self.pattern)
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
        let (folded, start, end) = self.window(field)?;
        // Byte offsets of the window's characters in the field and in its folded copy (the same when
        // the field is ASCII), and the end of the last.
        let (offsets, folded_offsets): (Vec<usize>, Vec<usize>) = if field.is_ascii() {
            ((start..=end).collect(), (start..=end).collect())
        } else {
            let at = |text: &str| -> Vec<usize> {
                text.char_indices()
                    .map(|(o, _)| o)
                    .chain([text.len()])
                    .skip(start)
                    .take(end - start + 1)
                    .collect()
            };
            (at(field), at(&folded))
        };
        let window = &folded[folded_offsets[0]..folded_offsets[end - start]];
        let (score, positions) = self.score(window, end - start);
        let mut ranges: Vec<Range<usize>> = Vec::new();
        for p in positions {
            let range = offsets[p]..offsets[p + 1];
            match ranges.last_mut() {
                Some(last) if last.end == range.start => last.end = range.end,
                _ => ranges.push(range),
            }
        }
        Some(FuzzyMatch { score, ranges })
    }

    /// The score and span of [`Fuzzy::find`]'s match, without its ranges. An ASCII field's window is
    /// scored once per search for each different window text, through `scores`: skim's verdict depends
    /// on the window's text alone, and a search meets the same few windows over and over.
    pub(crate) fn find_scored(
        &self,
        field: &str,
        scores: &mut Scores,
    ) -> Option<(i64, Range<usize>)> {
        if !field.is_ascii() || !self.pattern.is_ascii() {
            return self.find(field).map(|m| (m.score, m.span()));
        }
        // Both ASCII: what `window` finds, without folding or checking the field again.
        if self.chars.is_empty() {
            return None;
        }
        let eq = |a: &u8, b: &u8| self.byte_eq(*a, *b);
        let limit = self.chars.len() + SLACK;
        let (start, end) = min_window(field.as_bytes(), self.pattern.as_bytes(), limit, eq)?;
        let window = &field[start..end];
        let (score, matched) = if let Some(&known) = scores.0.get(window) {
            known
        } else {
            let (score, positions) = self.score(window, end - start);
            let matched = positions
                .first()
                .zip(positions.last())
                .map(|(&f, &l)| (f, l));
            scores.0.insert(window.into(), (score, matched));
            (score, matched)
        };
        // An ASCII field's characters are its bytes: as `FuzzyMatch::span` of the merged ranges.
        let span = matched.map_or(0..0, |(first, last)| start + first..start + last + 1);
        Some((score, span))
    }

    /// Whether a field (UTF-8 bytes) may match, judged without folding it: false only when it cannot. Each
    /// character of the field stands for itself if it is ASCII, else for any letter (accents fold one
    /// character for one, so a field that matches has a compact window in this outline too). For an
    /// ASCII pattern only; any other may always match.
    pub(crate) fn may_match(&self, field: &[u8], scores: &mut Scores) -> bool {
        if field.is_ascii() || !self.pattern.is_ascii() {
            return true;
        }
        let outline = &mut scores.1;
        outline.clear();
        // One entry per character: an ASCII byte as it is, a lead byte as ANY, continuation bytes
        // (0b10xx_xxxx) none.
        let lead = |b: &&u8| **b & 0xC0 != 0x80;
        outline.extend(
            field
                .iter()
                .filter(lead)
                .map(|&b| if b.is_ascii() { b } else { ANY }),
        );
        let eq = |h: &u8, p: &u8| *h == ANY || self.byte_eq(*h, *p);
        let limit = self.chars.len() + SLACK;
        min_window(outline, self.pattern.as_bytes(), limit, eq).is_some()
    }

    /// The field with accents folded and its first shortest compact window, as character indices.
    fn window<'f>(&self, field: &'f str) -> Option<(Cow<'f, str>, usize, usize)> {
        if self.chars.is_empty() {
            return None;
        }
        let folded = fold_accents(field);
        let limit = self.chars.len() + SLACK;
        let (start, end) = if folded.is_ascii() && self.pattern.is_ascii() {
            let eq = |a: &u8, b: &u8| {
                if self.case_sensitive {
                    a == b
                } else {
                    a.eq_ignore_ascii_case(b)
                }
            };
            min_window(folded.as_bytes(), self.pattern.as_bytes(), limit, eq)?
        } else {
            let chars: Vec<char> = folded.chars().collect();
            min_window(&chars, &self.chars, limit, |a, b| self.eq(*a, *b))?
        };
        Some((folded, start, end))
    }

    /// Skim's score of a window of `chars` characters and the positions of its matched characters.
    fn score(&self, window: &str, chars: usize) -> (i64, Vec<usize>) {
        match self.matcher.fuzzy_indices(window, &self.pattern) {
            Some((score, positions)) => (score, positions),
            // Skim found no alignment in a window that holds one: score it as the weakest match.
            None => (0, (0..chars).collect()),
        }
    }
}

/// Skim's score of a window and its first and last matched character (`None` when none was).
type Scored = (i64, Option<(usize, usize)>);

/// What one search keeps between fields: the windows already scored, by their text, and room for
/// [`Fuzzy::may_match`]'s outline of a field.
#[derive(Default)]
pub(crate) struct Scores(HashMap<Box<str>, Scored, BuildHasherDefault<Fnv>>, Vec<u8>);

/// A non-ASCII character in [`Fuzzy::may_match`]'s outline: it may fold to any letter.
const ANY: u8 = 0x80;

/// FNV-1a: windows are a few bytes long, and looked up once per candidate field, where the standard hasher's
/// setup costs more than the hash itself. No defence against crafted collisions is needed: a search's
/// windows come from the user's own data, and a collision costs time, not a wrong score.
pub(crate) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut hash = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = hash;
    }
}

/// The first shortest window `start..end` of `hay` holding `needle` in order, as element indices, among
/// windows of at most `limit` elements. From each start that matches the needle's first element, the
/// earliest end is found greedily, so each start costs at most `limit` steps.
fn min_window<T>(
    hay: &[T],
    needle: &[T],
    limit: usize,
    eq: impl Fn(&T, &T) -> bool,
) -> Option<(usize, usize)> {
    let (first, rest) = needle.split_first()?;
    let mut best: Option<(usize, usize)> = None;
    for start in 0..hay.len() {
        if !eq(&hay[start], first) {
            continue;
        }
        let bound = best
            .map_or(limit, |(s, e)| e - s - 1)
            .min(hay.len() - start);
        let mut wanted = rest.iter();
        let mut next = wanted.next();
        let mut end = None;
        if next.is_none() {
            end = Some(start + 1);
        }
        for (k, item) in hay.iter().enumerate().take(start + bound).skip(start + 1) {
            let Some(w) = next else { break };
            if eq(item, w) {
                next = wanted.next();
                if next.is_none() {
                    end = Some(k + 1);
                    break;
                }
            }
        }
        if let Some(end) = end {
            best = Some((start, end));
            if end - start == needle.len() {
                break;
            }
        }
    }
    best
}

/// A scan of a stretch of the arena for an ASCII pattern. Every compact match in an ASCII field holds
/// the pattern's rarest character (by a sample of the text) with its neighbours in the pattern at most
/// [`SLACK`] characters away, so the scan jumps from one occurrence of that character to the next
/// (memchr), rules most out by their neighbours, and looks for a compact run of the pattern around
/// the rest. A field with a non-ASCII character may match through its accents (`é` for `e`), so in
/// a stretch that has them each such character is a candidate too. Each candidate is only that: the
/// field it starts in is then matched on its own.
pub(crate) struct Scan<'a> {
    fuzzy: &'a Fuzzy,
    /// Index in the pattern of the rarest character, and that character in both cases.
    anchor: usize,
    cases: (u8, u8),
    /// For a stretch with non-ASCII bytes: the last one looked for.
    non_ascii: Option<Cell<Seen>>,
}

/// The first non-ASCII byte at or after `from`, if any (a scan moves forward, so each byte is looked
/// at once).
#[derive(Clone, Copy)]
struct Seen {
    from: usize,
    first: Option<usize>,
}

/// Bytes of text sampled to find the pattern's rarest character.
const SAMPLE: usize = 16 * 1024;

impl Fuzzy {
    pub(crate) fn scan(&self, text: &[u8]) -> Option<Scan<'_>> {
        if !self.pattern.is_ascii() {
            return None;
        }
        let mut counts = [0u32; 256];
        for &b in &text[..text.len().min(SAMPLE)] {
            counts[usize::from(b.to_ascii_lowercase())] += 1;
        }
        let bytes = self.pattern.as_bytes();
        let anchor =
            (0..bytes.len()).min_by_key(|&i| counts[usize::from(bytes[i].to_ascii_lowercase())])?;
        let c = bytes[anchor];
        Some(Scan {
            fuzzy: self,
            anchor,
            cases: if self.case_sensitive {
                (c, c)
            } else {
                (c.to_ascii_lowercase(), c.to_ascii_uppercase())
            },
            non_ascii: (!text.is_ascii()).then(|| {
                Cell::new(Seen {
                    from: usize::MAX,
                    first: None,
                })
            }),
        })
    }

    fn byte_eq(&self, a: u8, b: u8) -> bool {
        if self.case_sensitive {
            a == b
        } else {
            a.eq_ignore_ascii_case(&b)
        }
    }
}

impl super::scan::Prefilter for Scan<'_> {
    fn next(&self, hay: &[u8], from: usize) -> Option<(Range<usize>, bool)> {
        // Anchors are looked for before the next non-ASCII byte only: a field before it that matches
        // holds an anchor with its compact run, and the one it is in is checked whole anyway.
        let non_ascii = self.non_ascii_from(hay, from);
        let mut at = from;
        let anchored = loop {
            let rest = hay.get(at..non_ascii.unwrap_or(hay.len()))?;
            let Some(a) = memchr::memchr2(self.cases.0, self.cases.1, rest) else {
                break None;
            };
            let a = at + a;
            at = a + 1;
            if let Some(window) = self.around(hay, from, a) {
                break Some(window);
            }
        };
        let candidate = anchored.or_else(|| non_ascii.map(|n| n..n + 1))?;
        Some((candidate, false))
    }
}

impl Scan<'_> {
    /// The first non-ASCII byte at or after `from`, for a stretch that has any.
    fn non_ascii_from(&self, hay: &[u8], from: usize) -> Option<usize> {
        let cell = self.non_ascii.as_ref()?;
        let seen = cell.get();
        if from >= seen.from && seen.first.is_none_or(|n| n >= from) {
            return seen.first;
        }
        let first = first_non_ascii(hay.get(from..)?).map(|n| from + n);
        cell.set(Seen { from, first });
        first
    }

    /// The shortest run of the pattern with its anchor character at `a`, if compact enough: the rest
    /// of the pattern matched as early as possible after `a` and as late as possible before it (each
    /// side's greedy choice skips the fewest characters), not looking before `from`.
    fn around(&self, hay: &[u8], from: usize, a: usize) -> Option<Range<usize>> {
        let pattern = self.fuzzy.pattern.as_bytes();
        let eq = |x: &u8, y: &u8| self.fuzzy.byte_eq(*x, *y);
        let mut skipped = 0;
        let (mut k, mut j) = (a + 1, self.anchor + 1);
        while j < pattern.len() {
            if eq(hay.get(k)?, &pattern[j]) {
                j += 1;
            } else {
                skipped += 1;
                if skipped > SLACK {
                    return None;
                }
            }
            k += 1;
        }
        let end = k;
        let (mut k, mut j) = (a, self.anchor);
        while j > 0 {
            if k <= from {
                return None;
            }
            k -= 1;
            if eq(&hay[k], &pattern[j - 1]) {
                j -= 1;
            } else {
                skipped += 1;
                if skipped > SLACK {
                    return None;
                }
            }
        }
        Some(k..end)
    }
}

/// Where the first non-ASCII byte of `bytes` is, a block at a time.
fn first_non_ascii(bytes: &[u8]) -> Option<usize> {
    const BLOCK: usize = 64;
    let block = bytes.chunks(BLOCK).position(|b| !b.is_ascii())?;
    let start = block * BLOCK;
    bytes[start..]
        .iter()
        .position(|b| !b.is_ascii())
        .map(|n| start + n)
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
    fn a_remembered_score_is_the_one_found() {
        let fuzzy = Fuzzy::new("bird");
        let mut scores = Scores::default();
        for field in [
            "Bluebird",
            "bxxxird",
            "BIRD",
            "Bluebird",
            "Zürich bird",
            "no",
            "bxxxird",
        ] {
            let expected = fuzzy.find(field).map(|m| (m.score, m.span()));
            assert_eq!(fuzzy.find_scored(field, &mut scores), expected, "{field}");
        }
        assert_eq!(scores.0.len(), 3, "one entry per different ASCII window");
    }

    #[test]
    fn the_shortest_window_is_found_wherever_it_is() {
        assert_eq!(min_window(b"abxxabc", b"abc", 9, u8::eq), Some((4, 7)));
        assert_eq!(min_window(b"axbxc abc", b"abc", 9, u8::eq), Some((6, 9)));
        assert_eq!(min_window(b"axbxc", b"abc", 9, u8::eq), Some((0, 5)));
        assert_eq!(min_window(b"axbxc", b"abc", 4, u8::eq), None);
        assert_eq!(min_window(b"ab", b"abc", 9, u8::eq), None);
        assert_eq!(min_window(b"cba", b"abc", 9, u8::eq), None);
    }
}

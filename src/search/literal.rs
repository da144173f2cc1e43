//! Substring search with smart case.
//!
//! A pattern with an upper-case letter (`char::is_uppercase`) matches its bytes exactly. Otherwise a
//! field matches when its lower case (`str::to_lowercase`: Unicode's full lower-case mapping, no locale)
//! contains the pattern's lower case. That is a mapping, not case folding, and it has consequences for
//! some letters: `ß` does not match `SS` (nor `ss` match `ß`), dotted capital `İ` lowers to `i` plus a
//! combining dot so `i` finds it but `istanbul` does not find `İstanbul`, the dotless `ı` matches only
//! itself, and a word-final capital sigma lowers to `ς`, so `οδος` finds `ΟΔΟΣ` but `σ` does not.
//!
//! The fast path never builds the lower case: an ASCII pattern is looked for in the raw bytes, ignoring
//! ASCII case, over a whole chunk of the arena at once (the regex crate's literal search, `(?i-u)`).
//! That is exact because no non-ASCII character lowers to ASCII except two, `İ` and the Kelvin sign
//! `K`: when the pattern holds `i` or `k`, what they lower to, a chunk that holds one of them is
//! searched for them too, and their fields get the slow path.
//! A non-ASCII pattern cannot match an ASCII field, so only fields with a non-ASCII byte are lowered
//! and compared.

use std::ops::Range;

use aho_corasick::packed;
use memchr::memmem;
use regex::bytes::{Regex, RegexBuilder};

use super::scan::Prefilter;

/// The non-ASCII characters whose lower case holds ASCII: `İ` (to `i` + U+0307) and `K` (to `k`).
pub(crate) const LOWER_TO_ASCII: [char; 2] = ['\u{130}', '\u{212a}'];

#[derive(Clone)]
pub(crate) struct Literal {
    pattern: String,
    /// Smart case: an upper-case letter makes the pattern exact.
    exact: bool,
    /// The pattern's lower case, what a lowered field must contain.
    lower: String,
    finder: memmem::Finder<'static>,
    /// For a case-insensitive ASCII pattern: how to find it ignoring ASCII case.
    folded: Option<Folded>,
}

#[derive(Clone)]
struct Folded {
    /// The pattern's lower case.
    lower: Box<[u8]>,
    /// Its first bytes in every ASCII case, looked for all at once (Teddy), each find then compared
    /// with the whole pattern: cheaper than a regex search per find. `None` where Teddy cannot be had.
    prefixes: Option<packed::Searcher>,
    /// The pattern, ASCII case ignored.
    plain: Regex,
    /// The pattern or one of [`LOWER_TO_ASCII`], for text that holds one of them.
    with_specials: Regex,
    specials: [memmem::Finder<'static>; 2],
    /// Whether the pattern holds `i` or `k`, the only letters the lower case of [`LOWER_TO_ASCII`]
    /// adds: without them a match lies in lowered ASCII text only, and the specials can be ignored.
    meets_specials: bool,
}

impl Folded {
    fn new(lower: &str) -> Self {
        let escaped = regex_syntax::escape(lower);
        let build = |pattern: &str| {
            RegexBuilder::new(pattern)
                .unicode(false)
                .build()
                .expect("an escaped ASCII literal is a valid regex")
        };
        let special = |c: char| {
            let mut utf8 = [0; 4];
            let bytes = c.encode_utf8(&mut utf8).as_bytes();
            memmem::Finder::new(bytes).into_owned()
        };
        Folded {
            lower: lower.as_bytes().into(),
            prefixes: packed::Config::new()
                .match_kind(packed::MatchKind::LeftmostFirst)
                .builder()
                .extend(case_variants(&lower.as_bytes()[..lower.len().min(PREFIX)]))
                .build(),
            plain: build(&format!("(?i){escaped}")),
            with_specials: build(&format!("(?i){escaped}|\\xC4\\xB0|\\xE2\\x84\\xAA")),
            specials: LOWER_TO_ASCII.map(special),
            meets_specials: lower.bytes().any(|b| b == b'i' || b == b'k'),
        }
    }
}

/// Bytes of the pattern whose case variants [`Folded::prefixes`] holds: at most 2^4 of them.
const PREFIX: usize = 4;

/// Every ASCII-case spelling of `bytes`.
fn case_variants(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut variants = vec![Vec::with_capacity(bytes.len())];
    for &b in bytes {
        let cases = [b.to_ascii_lowercase(), b.to_ascii_uppercase()];
        let cases = if cases[0] == cases[1] {
            &cases[..1]
        } else {
            &cases[..]
        };
        variants = variants
            .into_iter()
            .flat_map(|v| {
                cases.iter().map(move |&c| {
                    let mut v = v.clone();
                    v.push(c);
                    v
                })
            })
            .collect();
    }
    variants
}

/// How to look for a literal over one stretch of the arena.
pub(crate) struct Scan<'a> {
    literal: &'a Literal,
    /// The stretch holds a character of [`LOWER_TO_ASCII`].
    specials: bool,
}

impl Literal {
    pub(crate) fn new(pattern: &str) -> Self {
        let exact = pattern.chars().any(char::is_uppercase);
        let lower = pattern.to_lowercase();
        let folded = (!exact && lower.is_ascii()).then(|| Folded::new(&lower));
        Literal {
            finder: memmem::Finder::new(pattern.as_bytes()).into_owned(),
            pattern: pattern.to_string(),
            exact,
            lower,
            folded,
        }
    }

    /// Whether the pattern matches case exactly (it has an upper-case letter).
    pub(crate) fn exact(&self) -> bool {
        self.exact
    }

    /// The first match in a field.
    pub(crate) fn find(&self, field: &str) -> Option<Range<usize>> {
        if self.exact {
            return self
                .finder
                .find(field.as_bytes())
                .map(|s| s..s + self.pattern.len());
        }
        if field.is_ascii() {
            return self
                .lower
                .is_ascii()
                .then(|| ascii_find(field.as_bytes(), self.lower.as_bytes(), 0))
                .flatten();
        }
        Lowered::new(field).find(&self.lower, 0)
    }

    /// Every match in a field, left to right, not overlapping.
    pub(crate) fn find_all(&self, field: &str) -> Vec<Range<usize>> {
        let mut all = Vec::new();
        if self.exact {
            let n = self.pattern.len();
            all.extend(self.finder.find_iter(field.as_bytes()).map(|s| s..s + n));
            return all;
        }
        if !field.is_ascii() {
            all.extend(Lowered::new(field).find_all(&self.lower, 0));
            return all;
        }
        if !self.lower.is_ascii() {
            return all;
        }
        let mut from = 0;
        while let Some(range) = ascii_find(field.as_bytes(), self.lower.as_bytes(), from) {
            from = range.end;
            all.push(range);
        }
        all
    }
}

impl Literal {
    /// The scan for one stretch of the arena.
    pub(crate) fn scan(&self, text: &[u8]) -> Scan<'_> {
        // One quick pass over ASCII text (the usual case) instead of one search per special character.
        let specials = self.folded.as_ref().is_some_and(|f| {
            f.meets_specials
                && !text.is_ascii()
                && f.specials.iter().any(|s| s.find(text).is_some())
        });
        Scan {
            literal: self,
            specials,
        }
    }
}

impl Prefilter for Scan<'_> {
    fn next(&self, hay: &[u8], from: usize) -> Option<(Range<usize>, bool)> {
        let this = self.literal;
        let rest = hay.get(from..)?;
        if this.exact {
            let s = from + this.finder.find(rest)?;
            return Some((s..s + this.pattern.len(), true));
        }
        if let Some(folded) = &this.folded {
            if let (Some(prefixes), false) = (&folded.prefixes, self.specials) {
                return folded.next(prefixes, hay, from);
            }
            let regex = if self.specials {
                &folded.with_specials
            } else {
                &folded.plain
            };
            let m = regex.find_at(hay, from)?;
            // A special character's bytes are not ASCII; the pattern's are.
            let sure = m.as_bytes().is_ascii();
            return Some((m.range(), sure));
        }
        // A non-ASCII pattern: only fields with a non-ASCII byte can match.
        let s = from + rest.iter().position(|b| !b.is_ascii())?;
        Some((s..s + 1, false))
    }
}

impl Folded {
    /// The leftmost match at or after `from`, as the `plain` regex finds it: the leftmost find of a
    /// prefix that the whole pattern follows.
    fn next(
        &self,
        prefixes: &packed::Searcher,
        hay: &[u8],
        from: usize,
    ) -> Option<(Range<usize>, bool)> {
        let n = self.lower.len();
        let mut at = from;
        while at <= hay.len() {
            let s = prefixes
                .find_in(hay, aho_corasick::Span::from(at..hay.len()))?
                .start();
            if hay
                .get(s..s + n)
                .is_some_and(|w| w.eq_ignore_ascii_case(&self.lower))
            {
                return Some((s..s + n, true));
            }
            at = s + 1;
        }
        None
    }
}

/// The first place at or after `from` where `haystack` holds `needle`, ignoring ASCII case.
fn ascii_find(haystack: &[u8], needle: &[u8], from: usize) -> Option<Range<usize>> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    (from..=haystack.len() - needle.len())
        .find(|&s| haystack[s..s + needle.len()].eq_ignore_ascii_case(needle))
        .map(|s| s..s + needle.len())
}

/// A field's lower case, and a walk over the field's characters that maps offsets in the lower case back
/// to the field. The walk only moves forward, so finding every match of a field costs one pass over it
/// and no memory beyond the lower case itself (a table per character would take 16 bytes for each).
struct Lowered<'a> {
    field: &'a str,
    lower: String,
}

/// Where a [`Lowered`] walk is: the next character of the field, and where its lower case starts.
struct Walk<'a> {
    chars: std::str::CharIndices<'a>,
    /// The current character (its field offset and the offset of its lower case) and the next one's.
    here: Option<(usize, usize)>,
    next: Option<(usize, usize)>,
    lower_at: usize,
}

impl<'a> Walk<'a> {
    fn new(field: &'a str) -> Self {
        let mut walk = Walk {
            chars: field.char_indices(),
            here: None,
            next: None,
            lower_at: 0,
        };
        walk.next = walk.pull();
        walk
    }

    /// The next character's (field offset, lower offset).
    fn pull(&mut self) -> Option<(usize, usize)> {
        let (offset, c) = self.chars.next()?;
        let at = self.lower_at;
        // str::to_lowercase maps one character at a time except a final sigma (ς for σ), which
        // has the same length, so these lengths add up to the lowered text's.
        self.lower_at += c.to_lowercase().map(char::len_utf8).sum::<usize>();
        Some((offset, at))
    }

    fn advance(&mut self) {
        self.here = self.next;
        self.next = self.pull();
    }

    /// The lower offset of the first character at or after field offset `from`.
    fn lower_from(&mut self, from: usize) -> Option<usize> {
        while self.next.is_some_and(|(o, _)| o < from) {
            self.advance();
        }
        self.next.map(|(_, l)| l)
    }

    /// The field offset of the character whose lower case holds lower offset `at`.
    fn start_of(&mut self, at: usize) -> usize {
        while self.next.is_some_and(|(_, l)| l <= at) {
            self.advance();
        }
        self.here.map_or(0, |(o, _)| o)
    }

    /// The field offset just past the character whose lower case holds lower offset `end - 1`.
    fn end_of(&mut self, end: usize, field_len: usize) -> usize {
        while self.next.is_some_and(|(_, l)| l < end) {
            self.advance();
        }
        self.next.map_or(field_len, |(o, _)| o)
    }
}

impl<'a> Lowered<'a> {
    fn new(field: &'a str) -> Self {
        Lowered {
            field,
            lower: field.to_lowercase(),
        }
    }

    /// The first match at or after field offset `from`, as a range of the field.
    fn find(&self, needle: &str, from: usize) -> Option<Range<usize>> {
        self.find_all(needle, from).next()
    }

    /// Every match at or after field offset `from`, left to right, not overlapping, as ranges of the field.
    fn find_all<'s>(
        &'s self,
        needle: &'s str,
        from: usize,
    ) -> impl Iterator<Item = Range<usize>> + 's {
        let mut walk = Walk::new(self.field);
        let mut lower_from = if needle.is_empty() {
            None
        } else {
            walk.lower_from(from)
        };
        std::iter::from_fn(move || {
            let at = lower_from?;
            let s = at + self.lower.get(at..)?.find(needle)?;
            let e = s + needle.len();
            let range = walk.start_of(s)..walk.end_of(e, self.field.len());
            // The next match starts at a character after this one's last.
            lower_from = walk.next.map(|(_, l)| l);
            Some(range)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The claim the fast path rests on, checked over every character there is.
    #[test]
    fn only_two_non_ascii_characters_lower_to_ascii() {
        let found: Vec<char> = (0..=char::MAX as u32)
            .filter_map(char::from_u32)
            .filter(|c| !c.is_ascii() && c.to_lowercase().any(|l| l.is_ascii()))
            .collect();
        assert_eq!(found, LOWER_TO_ASCII);
    }

    #[test]
    fn lowering_one_character_at_a_time_gives_the_same_length() {
        for c in (0..=char::MAX as u32).filter_map(char::from_u32) {
            for text in [format!("{c}"), format!("a{c}"), format!("a{c}b")] {
                let per_char: usize = text
                    .chars()
                    .map(|c| c.to_lowercase().map(char::len_utf8).sum::<usize>())
                    .sum();
                assert_eq!(per_char, text.to_lowercase().len(), "{text:?}");
            }
        }
    }

    #[test]
    fn smart_case_and_the_documented_non_ascii_cases() {
        let m = |p: &str, f: &str| Literal::new(p).find(f);
        assert_eq!(m("teal", "Dark TEAL"), Some(5..9));
        assert_eq!(m("Teal", "Dark TEAL"), None);
        assert_eq!(m("Teal", "Teal"), Some(0..4));
        assert_eq!(m("k", "\u{212a}elvin"), Some(0..3));
        assert_eq!(m("i", "İstanbul"), Some(0..2));
        assert_eq!(m("istanbul", "İstanbul"), None);
        assert_eq!(m("ı", "I"), None);
        assert_eq!(m("straße", "STRASSE"), None);
        assert_eq!(m("ß", "GROẞ"), Some(3..6));
        assert_eq!(m("οδος", "ΟΔΟΣ"), Some(0..8));
        assert_eq!(m("σ", "ΟΔΟΣ"), None);
        assert_eq!(m("é", "CAFÉ"), Some(3..5));
        assert_eq!(m("cafe", "CAFÉ"), None);
    }

    proptest::proptest! {
        /// The prefix search finds what the regex finds, from every offset, over stretches long
        /// enough for Teddy (short ones go to Rabin-Karp).
        #[test]
        fn the_prefix_search_finds_what_the_regex_finds(
            hay in proptest::collection::vec(proptest::sample::select(b"fFeEnNsSaA -\xc3\xa9".to_vec()), 0..300),
            pattern in "[fensa-]{1,6}",
        ) {
            let literal = Literal::new(&pattern);
            let folded = literal.folded.as_ref().expect("an ASCII pattern without upper case");
            // A machine without the vector instructions Teddy needs uses the regex instead.
            let Some(prefixes) = folded.prefixes.as_ref() else { return Ok(()) };
            for from in 0..=hay.len() {
                let want = folded.plain.find_at(&hay, from).map(|m| (m.range(), true));
                proptest::prop_assert_eq!(folded.next(prefixes, &hay, from), want, "from {}", from);
            }
        }
    }

    /// The walk's matches, against a table of every character's lower offset searched by bisection.
    fn matches_by_table(field: &str, needle: &str) -> Vec<Range<usize>> {
        let lower = field.to_lowercase();
        let mut starts = Vec::new();
        let mut at = 0;
        for (offset, c) in field.char_indices() {
            starts.push((at, offset));
            at += c.to_lowercase().map(char::len_utf8).sum::<usize>();
        }
        let original = |at: usize| {
            let i = starts.partition_point(|(l, _)| *l <= at);
            starts.get(i.wrapping_sub(1)).map_or(0, |(_, o)| *o)
        };
        let original_end = |end: usize| {
            let i = starts.partition_point(|(l, _)| *l < end);
            starts.get(i).map_or(field.len(), |(_, o)| *o)
        };
        let (mut all, mut from) = (Vec::new(), 0);
        while let Some(&(lower_from, _)) = starts.iter().find(|(_, o)| *o >= from) {
            let Some(s) = lower[lower_from..].find(needle).map(|s| s + lower_from) else {
                break;
            };
            let range = original(s)..original_end(s + needle.len());
            from = range.end.max(range.start + 1);
            all.push(range);
        }
        all
    }

    use proptest::strategy::Strategy;

    proptest::proptest! {
        #[test]
        fn the_walk_maps_matches_as_a_table_of_every_character_does(
            field in proptest::collection::vec(proptest::sample::select(
                vec!['a', 'i', 'I', 'İ', '\u{307}', 'k', 'K', '\u{212a}', 'ß', 'ẞ', 'σ', 'Σ', 'é', ' ']), 0..40)
                .prop_map(|c| c.into_iter().collect::<String>()),
            needle in proptest::collection::vec(proptest::sample::select(
                vec!['a', 'i', '\u{307}', 'k', 'ß', 'σ', 'ς', 'é', ' ']), 1..4)
                .prop_map(|c| c.into_iter().collect::<String>()),
        ) {
            let walked: Vec<_> = Lowered::new(&field).find_all(&needle, 0).collect();
            proptest::prop_assert_eq!(walked, matches_by_table(&field, &needle));
        }
    }

    #[test]
    fn every_match_is_listed_left_to_right() {
        assert_eq!(
            Literal::new("ab").find_all("abABab"),
            vec![0..2, 2..4, 4..6]
        );
        assert_eq!(Literal::new("aa").find_all("aaa"), vec![0..2]);
        assert_eq!(Literal::new("Ab").find_all("abAbAb"), vec![2..4, 4..6]);
        assert_eq!(Literal::new("é").find_all("éÉe"), vec![0..2, 2..4]);
    }
}

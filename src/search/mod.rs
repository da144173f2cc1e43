//! Find over keys and values, in three modes: substring (the default), regex and fuzzy. Pure and
//! synchronous, shared by CLI, inspector and benches: a search runs on the caller's thread (split over
//! all cores), can be cancelled through an `AtomicBool`, and returns plain data.
//!
//! - **Substring**, smart case: a pattern without an upper-case letter ignores case (see
//!   [`literal`](self) for what that means beyond ASCII), one with an upper-case letter is exact.
//! - **Regex**: the `regex` crate's syntax, smart case by its literals (`\D` is not upper case).
//! - **Fuzzy**: skim scoring with accents folded, but only compact matches (see [`fuzzy::SLACK`]).
//!
//! `column:pattern` looks in one column only (see [`query`] for the colon's escape). Each hit names the
//! field that matched and the byte range of its first match there, so a viewer can scroll it into view;
//! [`Query::ranges`] gives every matched range of a field, for highlighting, once per shown hit.
//! Hits are ranked: key hits first, then by score (for substring and regex: a match covering the whole
//! field, then one at its start, then the rest; for fuzzy: skim's score), then in catalog order.

pub mod fuzzy;
mod literal;
pub mod query;
mod rank;
mod regexp;
mod run;
mod scan;

use std::ops::Range;

pub use query::{Mode, QueryError};
pub use run::{check, check_text, search};
#[cfg(feature = "testkit")]
pub(crate) use {rank::rank, regexp::has_upper_case_literal as regex_has_upper_case_literal};

use fuzzy::Fuzzy;
use literal::Literal;
use regexp::Pattern;

/// One matching record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    /// Position of the database in the catalog.
    pub database: usize,
    /// Position of the record in its database.
    pub record: usize,
    /// Higher ranks first among hits of the same kind (key or value); see the module docs.
    pub score: i64,
    /// Which field matched: 0 is the key, then the values in column order, then extras.
    pub field: usize,
    /// Byte range of the first match in that field.
    pub span: Span,
}

impl Hit {
    /// Whether the hit is in the key.
    pub fn is_key(&self) -> bool {
        self.field == 0
    }

    /// The order a search ranks its hits in: key hits first, then by score, then in catalog order. Total
    /// over one search's hits (no two share a record), so a hit can be found among them by bisection.
    pub fn cmp_rank(&self, other: &Hit) -> std::cmp::Ordering {
        other
            .is_key()
            .cmp(&self.is_key())
            .then(other.score.cmp(&self.score))
            .then(self.database.cmp(&other.database))
            .then(self.record.cmp(&other.record))
    }
}

/// A byte range within one field (fields are shorter than 4 GiB: the arena's offsets are u32).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// First byte of the match.
    pub start: u32,
    /// One past its last byte.
    pub end: u32,
}

impl Span {
    /// The span as a range, for slicing the field.
    pub fn range(&self) -> Range<usize> {
        self.start as usize..self.end as usize
    }
}

impl From<Range<usize>> for Span {
    fn from(r: Range<usize>) -> Self {
        Span {
            start: r.start as u32,
            end: r.end as u32,
        }
    }
}

/// Where to look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every database.
    All,
    /// One database, by its position in the catalog.
    Database(usize),
}

/// Why a search returned no hits list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SearchError {
    /// Search cancelled.
    #[error("search cancelled")]
    Cancelled,
    /// The query cannot run.
    #[error(transparent)]
    Query(#[from] QueryError),
}

/// A match in one field: where, and how good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Byte range of the match in the field.
    pub span: Range<usize>,
    /// Higher is better; comparable within one mode only.
    pub score: i64,
}

/// The score of a substring or regex match: 2 when it is the whole field, 1 when it starts it, else 0.
pub(crate) fn tier(span: &Range<usize>, field_len: usize) -> i64 {
    match (span.start, span.end) {
        (0, e) if e == field_len => 2,
        (0, _) => 1,
        _ => 0,
    }
}

#[derive(Clone)]
enum Matcher {
    Literal(Box<Literal>),
    Regex(Box<Pattern>),
    Fuzzy(Box<Fuzzy>),
    /// An empty pattern: matches nothing (the caller shows everything instead).
    Nothing,
}

/// A prepared query: parsed once, used for every field. A clone is cheap: what was compiled is shared,
/// but each clone has its own scratch space for its regexes, so a thread searching with its own clone
/// never waits for another's.
#[derive(Clone)]
pub struct Query {
    text: String,
    mode: Mode,
    column: Option<String>,
    pattern: String,
    matcher: Matcher,
}

/// A query shows as what it was built from: its matcher (a compiled regex, a searcher's tables) is no
/// reading for people.
impl std::fmt::Debug for Query {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Query")
            .field("text", &self.text)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl Query {
    /// Parses `text` (`column:pattern` or a pattern) for a mode; an invalid regex is an error.
    pub fn new(text: &str, mode: Mode) -> Result<Self, QueryError> {
        let parts = query::split(text);
        let matcher = if parts.pattern.is_empty() {
            Matcher::Nothing
        } else {
            match mode {
                Mode::Substring => Matcher::Literal(Box::new(Literal::new(&parts.pattern))),
                Mode::Regex => Matcher::Regex(Box::new(Pattern::new(&parts.pattern)?)),
                Mode::Fuzzy => Matcher::Fuzzy(Box::new(Fuzzy::new(&parts.pattern))),
            }
        };
        Ok(Query {
            text: text.to_string(),
            mode,
            column: parts.column,
            pattern: parts.pattern,
            matcher,
        })
    }

    /// The text with its colons escaped, so that it scopes nothing: for matching text as it is.
    pub fn escape(text: &str) -> String {
        text.replace(':', r"\:")
    }

    /// The query as typed.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// How it matches.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The column this query is scoped to, as typed.
    pub fn column(&self) -> Option<&str> {
        self.column.as_deref()
    }

    /// The pattern, without the column scope and with escapes resolved.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// Whether it matches nothing (an empty pattern).
    pub fn is_empty(&self) -> bool {
        matches!(self.matcher, Matcher::Nothing)
    }

    /// Whether every hit of this query is a hit of `previous`, so a search can be narrowed to its hits:
    /// the same mode and column and a pattern that only grew at the end. Never for regexes (`a` -> `a|b`).
    pub fn narrows(&self, previous: &Query) -> bool {
        let grown = !previous.is_empty()
            && self.mode == previous.mode
            && self.column == previous.column
            && self.pattern.starts_with(&previous.pattern);
        match (&self.matcher, &previous.matcher) {
            // An exact pattern's hits are among a case-insensitive one's, not the other way round.
            (Matcher::Literal(new), Matcher::Literal(old)) => {
                grown && (new.exact() || !old.exact())
            }
            (Matcher::Fuzzy(_), Matcher::Fuzzy(_)) => grown,
            _ => false,
        }
    }

    /// The first match in one field.
    pub fn find(&self, field: &str) -> Option<Found> {
        match &self.matcher {
            Matcher::Literal(l) => l.find(field).map(|span| Found {
                score: tier(&span, field.len()),
                span,
            }),
            Matcher::Regex(r) => r.find(field).map(|span| Found {
                score: tier(&span, field.len()),
                span,
            }),
            Matcher::Fuzzy(f) => f.find(field).map(|m| Found {
                span: m.span(),
                score: m.score,
            }),
            Matcher::Nothing => None,
        }
    }

    /// [`Query::find`] on a field's bytes (`None` when they are not UTF-8), with fuzzy scores remembered
    /// in `scores` across the fields of one search, and fuzzy's fields that cannot match turned down
    /// before they are read as text.
    pub(crate) fn find_scored(&self, field: &[u8], scores: &mut fuzzy::Scores) -> Option<Found> {
        match &self.matcher {
            Matcher::Fuzzy(f) => {
                if !f.may_match(field, scores) {
                    return None;
                }
                f.find_scored(std::str::from_utf8(field).ok()?, scores)
                    .map(|(score, span)| Found { span, score })
            }
            _ => self.find(std::str::from_utf8(field).ok()?),
        }
    }

    /// Every matched byte range of a field, left to right: all matches for substring and regex, the
    /// runs of matched characters for fuzzy. Empty when the field does not match.
    pub fn ranges(&self, field: &str) -> Vec<Range<usize>> {
        match &self.matcher {
            Matcher::Literal(l) => l.find_all(field),
            Matcher::Regex(r) => r.find_all(field),
            Matcher::Fuzzy(f) => f.find(field).map(|m| m.ranges).unwrap_or_default(),
            Matcher::Nothing => Vec::new(),
        }
    }

    /// Character positions of [`Query::ranges`], for highlighting by character.
    pub fn positions(&self, field: &str) -> Vec<usize> {
        let ranges = self.ranges(field);
        let mut positions = Vec::new();
        let mut next = ranges.iter().peekable();
        for (i, (offset, _)) in field.char_indices().enumerate() {
            while next.peek().is_some_and(|r| r.end <= offset) {
                next.next();
            }
            match next.peek() {
                Some(r) if r.start <= offset => positions.push(i),
                Some(_) => {}
                None => break,
            }
        }
        positions
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_characters_of_the_ranges() {
        let q = Query::new("é", Mode::Substring).unwrap();
        assert_eq!(q.ranges("aéb"), vec![1..3]);
        assert_eq!(q.positions("aéb"), vec![1]);
        let q = Query::new("zur", Mode::Fuzzy).unwrap();
        assert_eq!(q.positions("Zürich"), vec![0, 1, 2]);
    }

    #[test]
    fn a_query_narrows_only_what_it_can() {
        let q = |t: &str, m| Query::new(t, m).unwrap();
        assert!(q("teal", Mode::Substring).narrows(&q("tea", Mode::Substring)));
        assert!(q("teAl", Mode::Substring).narrows(&q("te", Mode::Substring)));
        assert!(!q("teal", Mode::Substring).narrows(&q("Tea", Mode::Substring)));
        assert!(!q("teal", Mode::Fuzzy).narrows(&q("tea", Mode::Substring)));
        assert!(!q("a|b", Mode::Regex).narrows(&q("a", Mode::Regex)));
        assert!(!q("hex:te", Mode::Substring).narrows(&q("te", Mode::Substring)));
        assert!(q("bird", Mode::Fuzzy).narrows(&q("bi", Mode::Fuzzy)));
        assert!(!q("tea", Mode::Substring).narrows(&q("", Mode::Substring)));
    }

    #[test]
    fn an_escaped_text_scopes_nothing() {
        let q = Query::new(&Query::escape(r"a:b\:c"), Mode::Substring).unwrap();
        assert_eq!((q.column(), q.pattern()), (None, r"a:b\:c"));
    }
}

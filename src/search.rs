//! Fuzzy search over keys and values (fuzzy-matcher, skim scoring): pure, shared by CLI, inspector and benches.
//!
//! Each field is first checked with a cheap byte-level subsequence test, and only fields that contain the
//! query's characters in order are scored by skim. Records are split over all cores; a search can be
//! cancelled between chunks, and narrowed to the hits of a previous query that this one extends.

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};

use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;
use unicode_normalization::char::decompose_canonical;

use crate::catalog::{Catalog, Database};

/// One matching record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    /// Position of the database in the catalog.
    pub database: usize,
    /// Position of the record in its database.
    pub record: usize,
    pub score: i64,
    /// Which field scored best: 0 is the key, then the values in column order, then extras.
    pub field: usize,
}

/// Where to look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    All,
    /// One database, by its position in the catalog.
    Database(usize),
}

/// A prepared query.
pub struct Query {
    text: String,
    /// The query with accents folded away: what is matched against folded fields.
    pattern: String,
    /// Lower-cased ASCII bytes for the prefilter, or `None` when the query has other characters.
    folded: Option<Vec<u8>>,
    case_sensitive: bool,
    matcher: SkimMatcherV2,
}

impl Query {
    /// Smart case, as in skim and fzf: a query with an upper-case letter matches case exactly.
    pub fn new(text: &str) -> Self {
        let case_sensitive = text.chars().any(char::is_uppercase);
        let pattern = fold_accents(text).into_owned();
        let folded = pattern.is_ascii().then(|| {
            pattern
                .bytes()
                .filter(|b| *b != b' ')
                .map(|b| {
                    if case_sensitive {
                        b
                    } else {
                        b.to_ascii_lowercase()
                    }
                })
                .collect()
        });
        Query {
            text: text.to_string(),
            pattern,
            folded,
            case_sensitive,
            // Long fields (past 255 characters) use skim's linear-time matcher instead of its full
            // dynamic programme, which would cost query length x field length per field.
            matcher: SkimMatcherV2::default().smart_case().element_limit(512),
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether this query's hits are all among the hits of `previous` (it only grew at the end).
    pub fn narrows(&self, previous: &str) -> bool {
        !previous.is_empty() && self.text.starts_with(previous)
    }

    /// The skim score of one field, if it matches. Accents are ignored on both sides (`zur` finds Zürich).
    pub fn score(&self, field: &str) -> Option<i64> {
        let field = fold_accents(field);
        if let Some(folded) = &self.folded
            && !is_subsequence(folded, field.as_bytes(), self.case_sensitive)
        {
            return None;
        }
        self.matcher.fuzzy_match(&field, &self.pattern)
    }

    /// Character positions of the match in a field, for highlighting.
    pub fn positions(&self, field: &str) -> Vec<usize> {
        // Folding maps each character to one character, so positions point into the original too.
        self.matcher
            .fuzzy_indices(&fold_accents(field), &self.pattern)
            .map(|(_, p)| p)
            .unwrap_or_default()
    }

    /// The best-scoring field of a record: (score, field number).
    pub fn score_record(&self, db: &Database, record: usize) -> Option<(i64, usize)> {
        let record = db.record(record)?;
        record
            .fields()
            .enumerate()
            .filter_map(|(i, f)| self.score(f).map(|s| (s, i)))
            .max_by_key(|(s, i)| (*s, std::cmp::Reverse(*i)))
    }
}

/// Replaces each accented letter by its base letter (é -> e, Ø stays), one character for one.
fn fold_accents(text: &str) -> Cow<'_, str> {
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

fn is_subsequence(needle: &[u8], haystack: &[u8], case_sensitive: bool) -> bool {
    let mut wanted = needle.iter().peekable();
    for &b in haystack {
        let Some(&&next) = wanted.peek() else {
            return true;
        };
        let b = if case_sensitive {
            b
        } else {
            b.to_ascii_lowercase()
        };
        if b == next {
            wanted.next();
        }
    }
    wanted.peek().is_none()
}

/// Ranks every matching record: best score first, then catalog order. `within` limits the search to the
/// hits of an earlier query this one extends. Returns `None` if `cancel` was set before it finished.
pub fn search(
    catalog: &Catalog,
    query: &Query,
    scope: Scope,
    within: Option<&[Hit]>,
    cancel: &AtomicBool,
) -> Option<Vec<Hit>> {
    if query.text.trim().is_empty() {
        return Some(Vec::new());
    }
    let candidates: Vec<(usize, usize)> = match within {
        Some(hits) => hits.iter().map(|h| (h.database, h.record)).collect(),
        None => all_records(catalog, scope),
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(candidates.len() / 4096 + 1);
    let chunk = candidates.len().div_ceil(threads.max(1)).max(1);
    let mut hits: Vec<Hit> = std::thread::scope(|scope| {
        let workers: Vec<_> = candidates
            .chunks(chunk)
            .map(|part| scope.spawn(move || score_part(catalog, query, part, cancel)))
            .collect();
        workers
            .into_iter()
            .filter_map(|w| w.join().ok().flatten())
            .flatten()
            .collect()
    });
    if cancel.load(Ordering::Relaxed) {
        return None;
    }
    hits.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then(a.database.cmp(&b.database))
            .then(a.record.cmp(&b.record))
    });
    Some(hits)
}

fn all_records(catalog: &Catalog, scope: Scope) -> Vec<(usize, usize)> {
    catalog
        .databases()
        .iter()
        .enumerate()
        .filter(|(i, _)| scope == Scope::All || scope == Scope::Database(*i))
        .flat_map(|(i, db)| (0..db.len()).map(move |r| (i, r)))
        .collect()
}

fn score_part(
    catalog: &Catalog,
    query: &Query,
    part: &[(usize, usize)],
    cancel: &AtomicBool,
) -> Option<Vec<Hit>> {
    let mut hits = Vec::new();
    for (n, &(database, record)) in part.iter().enumerate() {
        if n % 2048 == 0 && cancel.load(Ordering::Relaxed) {
            return None;
        }
        let Some(db) = catalog.databases().get(database) else {
            continue;
        };
        if let Some((score, field)) = query.score_record(db, record) {
            hits.push(Hit {
                database,
                record,
                score,
                field,
            });
        }
    }
    Some(hits)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let query = Query::new("zur");
        assert!(query.score("Zürich").is_some());
        assert_eq!(query.positions("Zürich"), vec![0, 1, 2]);
        assert!(Query::new("zür").score("Zurich").is_some());
        assert!(Query::new("xyz").score("Zürich").is_none());
    }
}

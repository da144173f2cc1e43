//! The reference for search: every field of every record matched the slow, obvious way, compared with
//! what [`crate::search::search`] returns (hits, fields, spans, order, narrowing).

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;

use crate::catalog::Catalog;
use crate::search::{self, Hit, Mode, Query, QueryError, Scope, SearchError, fuzzy};

/// The slow, obvious matcher for a query's mode and pattern.
pub struct Reference {
    mode: Mode,
    pattern: String,
    regex: Option<regex::Regex>,
}

impl Reference {
    pub fn new(mode: Mode, pattern: &str) -> Self {
        Reference {
            mode,
            pattern: pattern.to_string(),
            regex: (mode == Mode::Regex)
                .then(|| reference_regex(pattern))
                .flatten(),
        }
    }

    /// Whether a field matches.
    pub fn matches(&self, field: &str) -> bool {
        let pattern = self.pattern.as_str();
        if pattern.is_empty() {
            return false;
        }
        match self.mode {
            Mode::Substring => {
                if pattern.chars().any(char::is_uppercase) {
                    field.contains(pattern)
                } else {
                    field.to_lowercase().contains(&pattern.to_lowercase())
                }
            }
            Mode::Regex => self.regex.as_ref().is_some_and(|r| r.is_match(field)),
            Mode::Fuzzy => reference_fuzzy(pattern, field),
        }
    }
}

fn reference_regex(pattern: &str) -> Option<regex::Regex> {
    let insensitive = !search::regex_has_upper_case_literal(pattern).ok()?;
    regex::RegexBuilder::new(pattern)
        .case_insensitive(insensitive)
        .size_limit(64 << 20)
        .build()
        .ok()
}

/// Some start from which the pattern's characters all follow, in order, within `len + SLACK`.
fn reference_fuzzy(pattern: &str, field: &str) -> bool {
    let fold = |s: &str| -> Vec<char> { fuzzy::fold_accents(s).chars().collect() };
    let (p, f) = (fold(pattern), fold(field));
    let sensitive = p.iter().any(|c| c.is_uppercase());
    let eq = |a: char, b: char| {
        if sensitive {
            a == b
        } else {
            a.eq_ignore_ascii_case(&b)
        }
    };
    (0..f.len()).any(|start| {
        let mut want = p.iter();
        let mut next = want.next();
        for (i, &c) in f.iter().enumerate().skip(start) {
            let Some(&w) = next else { break };
            if eq(c, w) {
                next = want.next();
                if next.is_none() {
                    return i + 1 - start <= p.len() + fuzzy::SLACK;
                }
            }
        }
        false
    })
}

/// Runs `text` in `mode` over the catalog and checks everything against the reference; panics on a
/// difference. An invalid regex must be refused by both.
pub fn check_search(catalog: &Catalog, text: &str, mode: Mode) {
    let query = match Query::new(text, mode) {
        Ok(query) => query,
        Err(QueryError::InvalidRegex { .. }) => {
            let pattern = Query::new(text, Mode::Substring).expect("substring never fails");
            assert!(
                reference_regex(pattern.pattern()).is_none(),
                "{text:?} refused but the regex crate builds it"
            );
            return;
        }
        Err(e) => panic!("{text:?}: {e}"),
    };
    for scope in
        std::iter::once(Scope::All).chain((0..catalog.databases().len()).map(Scope::Database))
    {
        check_scope(catalog, &query, scope);
    }
}

fn check_scope(catalog: &Catalog, query: &Query, scope: Scope) {
    let never = AtomicBool::new(false);
    let got = search::search(catalog, query, scope, None, &never);
    let expected = reference_hits(catalog, query, scope);
    let hits = match (got, expected) {
        (Ok(hits), Some(expected)) => {
            let found: BTreeMap<(usize, usize), usize> = hits
                .iter()
                .map(|h| ((h.database, h.record), h.field))
                .collect();
            assert_eq!(found.len(), hits.len(), "one hit per record");
            let got_records: Vec<_> = found.keys().copied().collect();
            let want_records: Vec<_> = expected.keys().copied().collect();
            assert_eq!(
                got_records,
                want_records,
                "records hit by {:?}",
                query.text()
            );
            for hit in &hits {
                check_hit(catalog, query, hit, &expected[&(hit.database, hit.record)]);
            }
            assert_eq!(
                hits,
                field_by_field(catalog, query, &expected),
                "{:?}: the hits of matching field by field, ranked",
                query.text()
            );
            hits
        }
        (Err(SearchError::Query(QueryError::UnknownColumn { .. })), None) => return,
        (got, expected) => panic!(
            "{:?} in {scope:?}: got {got:?}, the reference says {}",
            query.text(),
            if expected.is_some() {
                "it runs"
            } else {
                "unknown column"
            }
        ),
    };
    let mut ranked = hits.clone();
    reference_rank(&mut ranked);
    assert_eq!(ranked, hits, "hits come ranked");
    check_narrowing(catalog, query, scope, &hits);
}

/// The ranking the module docs promise, by plain comparison: key hits first, then by score, then in
/// catalog order.
pub fn reference_rank(hits: &mut [Hit]) {
    hits.sort_by(|a, b| {
        b.is_key()
            .cmp(&a.is_key())
            .then(b.score.cmp(&a.score))
            .then(a.database.cmp(&b.database))
            .then(a.record.cmp(&b.record))
    });
}

/// Ranks `hits` as a search does and by [`reference_rank`]; panics when the orders differ.
pub fn check_rank(hits: &[Hit]) {
    let (mut fast, mut slow) = (hits.to_vec(), hits.to_vec());
    search::rank(&mut fast);
    reference_rank(&mut slow);
    assert_eq!(fast, slow, "ranking of {} hits", hits.len());
}

/// The hits a search must return, from each matching record's fields matched one at a time with
/// [`Query::find`] (no whole-arena scan): the first matching field, or for fuzzy the key if it matches,
/// else the best-scoring value (ties to the earlier); ranked by [`reference_rank`].
fn field_by_field(
    catalog: &Catalog,
    query: &Query,
    matching: &BTreeMap<(usize, usize), Vec<usize>>,
) -> Vec<Hit> {
    let mut hits: Vec<Hit> = matching
        .iter()
        .map(|(&(database, record), fields)| {
            let row = catalog.databases()[database]
                .record(record)
                .expect("a reference hit names a record");
            let found = |field: usize| {
                let text = row.fields().nth(field).expect("a matching field exists");
                let found = query.find(text).expect("a matching field is found");
                (field, found)
            };
            let (field, found) = if query.mode() == Mode::Fuzzy && fields[0] != 0 {
                fields
                    .iter()
                    .map(|&f| found(f))
                    .reduce(|best, next| {
                        if next.1.score > best.1.score {
                            next
                        } else {
                            best
                        }
                    })
                    .expect("a record with a match has a matching field")
            } else {
                found(fields[0])
            };
            Hit {
                database,
                record,
                score: found.score,
                field,
                span: found.span.into(),
            }
        })
        .collect();
    reference_rank(&mut hits);
    hits
}

/// For each record with a match, the numbers of its matching fields; `None` for an unknown column.
fn reference_hits(
    catalog: &Catalog,
    query: &Query,
    scope: Scope,
) -> Option<BTreeMap<(usize, usize), Vec<usize>>> {
    let reference = Reference::new(query.mode(), query.pattern());
    let mut hits = BTreeMap::new();
    let mut column_found = query.column().is_none();
    for (d, db) in catalog.databases().iter().enumerate() {
        if scope != Scope::All && scope != Scope::Database(d) {
            continue;
        }
        let column = match query.column() {
            None => None,
            Some(name) => {
                let exact = db.columns().iter().position(|c| c == name);
                let loose = || {
                    db.columns()
                        .iter()
                        .position(|c| c.eq_ignore_ascii_case(name))
                };
                match exact.or_else(loose) {
                    Some(c) => Some(c),
                    None => continue,
                }
            }
        };
        column_found = true;
        for record in db.records() {
            let fields: Vec<usize> = record
                .fields()
                .enumerate()
                .filter(|(i, _)| column.is_none_or(|c| c == *i))
                .filter(|(_, f)| reference.matches(f))
                .map(|(i, _)| i)
                .collect();
            if !fields.is_empty() {
                hits.insert((d, record.index()), fields);
            }
        }
    }
    column_found.then_some(hits)
}

fn check_hit(catalog: &Catalog, query: &Query, hit: &Hit, fields: &[usize]) {
    let record = catalog.databases()[hit.database]
        .record(hit.record)
        .expect("a hit names a record");
    let field = record.fields().nth(hit.field).expect("a hit names a field");
    let span = hit.span.range();
    let context = format!("{:?} on {field:?} (hit {hit:?})", query.text());
    assert!(
        fields.contains(&hit.field),
        "{context}: field does not match"
    );
    assert!(
        field.is_char_boundary(span.start)
            && field.is_char_boundary(span.end)
            && span.start <= span.end,
        "{context}: span is not a range of characters"
    );
    let ranges = query.ranges(field);
    match query.mode() {
        Mode::Fuzzy => {
            // The key comes first; among values any matching one may be the best-scoring.
            if fields.contains(&0) {
                assert_eq!(hit.field, 0, "{context}: the key matches");
            }
            assert_eq!(
                ranges.first().map(|r| r.start),
                Some(span.start),
                "{context}"
            );
            assert_eq!(ranges.last().map(|r| r.end), Some(span.end), "{context}");
        }
        Mode::Substring | Mode::Regex => {
            assert_eq!(hit.field, fields[0], "{context}: the first matching field");
            assert_eq!(
                ranges.first(),
                Some(&span),
                "{context}: ranges start with the span"
            );
            check_span(query, field, span, &context);
        }
    }
}

/// The span is the first match, computed the slow way where that is simple.
fn check_span(query: &Query, field: &str, span: std::ops::Range<usize>, context: &str) {
    let pattern = query.pattern();
    let matched = &field[span.clone()];
    match query.mode() {
        Mode::Regex => {
            let regex = reference_regex(pattern).expect("it built once");
            assert_eq!(
                regex.find(field).map(|m| m.range()),
                Some(span),
                "{context}"
            );
        }
        Mode::Substring if pattern.chars().any(char::is_uppercase) => {
            assert_eq!(field.find(pattern), Some(span.start), "{context}");
            assert_eq!(matched, pattern, "{context}");
        }
        Mode::Substring if field.is_ascii() => {
            let at = field.to_lowercase().find(&pattern.to_lowercase());
            assert_eq!(at, Some(span.start), "{context}");
            assert_eq!(span.len(), pattern.len(), "{context}");
        }
        Mode::Substring => {
            // Lowered one character at a time (no final-sigma rule), the match holds the pattern.
            let lower = |s: &str| -> String {
                s.chars()
                    .flat_map(char::to_lowercase)
                    .map(|c| if c == 'ς' { 'σ' } else { c })
                    .collect()
            };
            assert!(lower(matched).contains(&lower(pattern)), "{context}");
        }
        Mode::Fuzzy => {}
    }
}

/// A query that narrows the one before it (one character shorter) finds the same within its hits.
fn check_narrowing(catalog: &Catalog, query: &Query, scope: Scope, hits: &[Hit]) {
    let text = query.text();
    let Some((cut, _)) = text.char_indices().last() else {
        return;
    };
    let Ok(previous) = Query::new(&text[..cut], query.mode()) else {
        return;
    };
    if !query.narrows(&previous) {
        return;
    }
    let never = AtomicBool::new(false);
    let Ok(before) = search::search(catalog, &previous, scope, None, &never) else {
        return;
    };
    let within = search::search(catalog, query, scope, Some(&before), &never)
        .expect("the narrowed search runs");
    assert_eq!(within, hits, "{text:?} narrowed from {:?}", previous.text());
}

/// The fuzz target's check: the first byte picks the mode, the text up to a NUL is the query, the rest
/// is one database's CSV. Panics when search and its reference disagree.
pub fn check_search_input(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mode = Mode::ALL[usize::from(mode) % Mode::ALL.len()];
    let (query, csv) = match rest.iter().position(|&b| b == 0) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &b""[..]),
    };
    // Long regexes only cost compile time; short ones reach every path.
    let Ok(query) = std::str::from_utf8(query) else {
        return;
    };
    if query.len() > 48 {
        return;
    }
    // Read by the csv crate and written again, so the table is valid UTF-8 CSV: this target is about
    // search, not about the parser.
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(csv);
    let Ok(mut rows) = reader
        .records()
        .map(|r| r.map(|r| r.iter().map(str::to_string).collect::<Vec<String>>()))
        .collect::<Result<Vec<_>, _>>()
    else {
        return;
    };
    if rows.is_empty() {
        return;
    }
    let header = rows.remove(0);
    let table = super::tables::Table {
        name: "fuzz".into(),
        header,
        rows,
    };
    let archive = super::tables::archive(&[table]);
    let Ok((catalog, _)) = crate::catalog::build(&archive, &crate::catalog::Limits::default())
    else {
        return;
    };
    check_search(&catalog, query, mode);
}

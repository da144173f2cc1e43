//! Running a query over a catalog: which databases and columns it covers, the work split into chunks
//! for all cores, and the ranking of the hits.

use std::cell::RefCell;
use std::ops::Range;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::fuzzy::Scores;
use super::rank;
use super::scan::{self, FieldHit};
use super::{Found, Hit, Matcher, Query, QueryError, Scope, SearchError, query};
use crate::catalog::arena::Arena;
use crate::catalog::{Catalog, Database};

/// Records per chunk: small enough to share the work evenly and notice a cancel quickly.
const CHUNK: usize = 8 * 1024;

/// Ranks every matching record (see the module docs). `within` limits the search to the hits of an
/// earlier query this one narrows ([`Query::narrows`]). Fails when the query names a column none of the
/// databases searched has, or when `cancel` was set before it finished.
pub fn search(
    catalog: &Catalog,
    query: &Query,
    scope: Scope,
    within: Option<&[Hit]>,
    cancel: &AtomicBool,
) -> Result<Vec<Hit>, SearchError> {
    let targets = targets(catalog, query.column(), scope)?;
    if query.is_empty() {
        return Ok(Vec::new());
    }
    let jobs = jobs(catalog, &targets, within);
    let done = Mutex::new(Vec::with_capacity(jobs.len()));
    let next = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(jobs.len());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                // The regex crate lends scratch space to threads other than a regex's first user
                // through a locked pool, which costs more than a search step; a clone has its own.
                let query = query.clone();
                let query = &query;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { break };
                    let Some(mut hits) = run_job(catalog, query, job, cancel) else {
                        break;
                    };
                    if within.is_none() {
                        rank::rank_chunk(&mut hits);
                    }
                    done.lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push((i, hits));
                }
            });
        }
    });
    if cancel.load(Ordering::Relaxed) {
        return Err(SearchError::Cancelled);
    }
    let mut done = done
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    done.sort_unstable_by_key(|(i, _)| *i);
    let chunks: Vec<Vec<Hit>> = done.into_iter().map(|(_, h)| h).collect();
    // Jobs over records cover the catalog in order; an earlier query's hits come in its ranking.
    Ok(match within {
        None => rank::merged(&chunks),
        Some(_) => rank::sorted(&chunks),
    })
}

/// Checks the query against a catalog without running it: fails as [`search`] would when the query's
/// column is in none of the databases of the scope. Cheap enough for every keystroke.
pub fn check(catalog: &Catalog, query: &Query, scope: Scope) -> Result<(), QueryError> {
    targets(catalog, query.column(), scope).map(drop)
}

/// [`check`] from a query's text, before the query is built (which compiles its matcher: milliseconds
/// for some patterns): fails when the column the text names is in none of the databases of the scope.
pub fn check_text(catalog: &Catalog, text: &str, scope: Scope) -> Result<(), QueryError> {
    targets(catalog, query::split(text).column.as_deref(), scope).map(drop)
}

/// A database to search and the field to look at: `None` for every field.
struct Target {
    database: usize,
    column: Option<usize>,
}

/// The databases (and column, for a `column:` query) of `scope` a query naming `column` looks in.
fn targets(
    catalog: &Catalog,
    column: Option<&str>,
    scope: Scope,
) -> Result<Vec<Target>, QueryError> {
    let in_scope = catalog
        .databases()
        .iter()
        .enumerate()
        .filter(|(i, _)| scope == Scope::All || scope == Scope::Database(*i));
    let Some(name) = column else {
        return Ok(in_scope
            .map(|(database, _)| Target {
                database,
                column: None,
            })
            .collect());
    };
    let mut known: Vec<String> = Vec::new();
    let mut targets = Vec::new();
    for (database, db) in in_scope {
        for c in db.columns() {
            if !known.contains(c) {
                known.push(c.clone());
            }
        }
        if let Some(column) = query::column_position(db.columns(), name) {
            targets.push(Target {
                database,
                column: Some(column),
            });
        }
    }
    if targets.is_empty() {
        return Err(QueryError::UnknownColumn {
            column: name.to_string(),
            known,
        });
    }
    Ok(targets)
}

enum Job<'a> {
    /// Records of one database, looked at through its arena when the mode allows.
    Records {
        database: usize,
        column: Option<usize>,
        records: Range<usize>,
    },
    /// Hits of an earlier query, checked again one by one.
    Within {
        hits: &'a [Hit],
        /// Per database: `None` when it is not searched, else its target field (`None` for every field).
        #[allow(clippy::option_option)]
        columns: Vec<Option<Option<usize>>>,
    },
}

fn jobs<'a>(catalog: &Catalog, targets: &[Target], within: Option<&'a [Hit]>) -> Vec<Job<'a>> {
    if let Some(hits) = within {
        // Per database: None when it is not searched, Some(column) when it is.
        let mut columns = vec![None; catalog.databases().len()];
        for t in targets {
            columns[t.database] = Some(t.column);
        }
        return hits
            .chunks(CHUNK / 4)
            .map(|hits| Job::Within {
                hits,
                columns: columns.clone(),
            })
            .collect();
    }
    let mut jobs = Vec::new();
    for t in targets {
        let len = catalog.databases()[t.database].len();
        let mut start = 0;
        while start < len {
            let end = (start + CHUNK).min(len);
            jobs.push(Job::Records {
                database: t.database,
                column: t.column,
                records: start..end,
            });
            start = end;
        }
    }
    jobs
}

fn run_job(catalog: &Catalog, query: &Query, job: &Job, cancel: &AtomicBool) -> Option<Vec<Hit>> {
    if cancel.load(Ordering::Relaxed) {
        return None;
    }
    let mut hits: Vec<Hit> = Vec::new();
    match job {
        Job::Records {
            database,
            column,
            records,
        } => {
            let db = &catalog.databases()[*database];
            let hit = |record: usize, field: usize, found: Found| Hit {
                database: *database,
                record,
                score: found.score,
                field,
                span: found.span.into(),
            };
            let arena = Arena::of(db);
            let text = arena
                .record_offset(records.start)
                .zip(arena.record_offset(records.end))
                .and_then(|(a, b)| arena.text.get(a..b))
                .unwrap_or_default();
            if let Some(prefilter) = arena_prefilter(query, *column, text) {
                // Fuzzy ranks a record by its key if that matches, else by its best-scoring value.
                let fields = if matches!(query.matcher, Matcher::Fuzzy(_)) {
                    scan::Fields::KeyOrEveryValue
                } else {
                    scan::Fields::First
                };
                let scores = RefCell::new(Scores::default());
                let check = |field: &[u8]| query.find_scored(field, &mut scores.borrow_mut());
                // A record's fields come together and in order: the best score wins, the earlier on ties.
                let mut keep = |found: FieldHit| {
                    let new = hit(found.record, found.field, found.found);
                    match hits.last_mut() {
                        Some(last) if last.record == new.record => {
                            if new.score > last.score {
                                *last = new;
                            }
                        }
                        _ => hits.push(new),
                    }
                };
                scan::scan(
                    db,
                    records.clone(),
                    prefilter.as_ref(),
                    &check,
                    fields,
                    cancel,
                    &mut keep,
                )?;
            } else {
                for (n, record) in records.clone().enumerate() {
                    if n % 1024 == 0 && cancel.load(Ordering::Relaxed) {
                        return None;
                    }
                    if let Some((field, found)) = match_record(query, db, record, *column) {
                        hits.push(hit(record, field, found));
                    }
                }
            }
        }
        Job::Within { hits: old, columns } => {
            for (n, old) in old.iter().enumerate() {
                if n % 1024 == 0 && cancel.load(Ordering::Relaxed) {
                    return None;
                }
                let Some(Some(column)) = columns.get(old.database) else {
                    continue;
                };
                let Some(db) = catalog.databases().get(old.database) else {
                    continue;
                };
                if let Some((field, found)) = match_record(query, db, old.record, *column) {
                    hits.push(Hit {
                        database: old.database,
                        record: old.record,
                        score: found.score,
                        field,
                        span: found.span.into(),
                    });
                }
            }
        }
    }
    Some(hits)
}

/// The whole-arena prefilter for this query over this stretch of text, when one can be used.
fn arena_prefilter<'q>(
    query: &'q Query,
    column: Option<usize>,
    text: &[u8],
) -> Option<Box<dyn scan::Prefilter + 'q>> {
    if column.is_some() {
        return None;
    }
    match &query.matcher {
        Matcher::Literal(l) => Some(Box::new(l.scan(text))),
        Matcher::Regex(r) if r.arena_safe() => Some(Box::new(&**r)),
        Matcher::Fuzzy(f) => f
            .scan(text)
            .map(|s| Box::new(s) as Box<dyn scan::Prefilter>),
        _ => None,
    }
}

/// The field of a record that matches, and the match: the first that matches, except in fuzzy mode,
/// where a value hit is the best-scoring value (the key still comes first).
pub(crate) fn match_record(
    query: &Query,
    db: &Database,
    record: usize,
    column: Option<usize>,
) -> Option<(usize, Found)> {
    let record = db.record(record)?;
    if let Some(c) = column {
        return record.value(c).and_then(|v| query.find(v)).map(|f| (c, f));
    }
    let mut fields = record.fields().enumerate();
    if !matches!(query.matcher, Matcher::Fuzzy(_)) {
        return fields.find_map(|(i, f)| query.find(f).map(|found| (i, found)));
    }
    let (_, key) = fields.next()?;
    if let Some(found) = query.find(key) {
        return Some((0, found));
    }
    fields
        .filter_map(|(i, f)| query.find(f).map(|found| (i, found)))
        .fold(
            None,
            |best: Option<(usize, Found)>, (i, found)| match best {
                Some((_, ref b)) if b.score >= found.score => best,
                _ => Some((i, found)),
            },
        )
}

//! The search half of the Records pane: where it looks, whether it finds or filters, the job that builds
//! the query and runs it on a worker, and the lifecycle typed text -> pending job -> applied hits (or the
//! reason the text cannot be searched), with n/N between hits.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::Cursor;
use super::arrange::Ranks;
use super::discard::discard;
use super::records::RecordsPane;
pub use super::search_job::{JobQuery, SearchJob, Searched, Within};
use crate::catalog::{Catalog, Database};
use crate::search::{self, Hit, Mode, Query, QueryError};

/// Where a search looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SearchScope {
    #[default]
    Database,
    All,
}

impl SearchScope {
    pub fn label(self) -> &'static str {
        match self {
            SearchScope::Database => "this database",
            SearchScope::All => "all databases",
        }
    }
}

/// What a search does with its hits: marks them among all rows (`/`, with n/N to jump) or shows only
/// them (`&`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Intent {
    #[default]
    Find,
    Filter,
}

impl Intent {
    /// The prompt's first character.
    pub fn sigil(self) -> &'static str {
        match self {
            Intent::Find => "/",
            Intent::Filter => "&",
        }
    }
}

/// A finished search whose hits are shown.
pub struct Applied {
    /// The search that found them.
    pub id: u64,
    pub text: String,
    pub scope: SearchScope,
    /// The database searched, for [`SearchScope::Database`].
    pub db: Option<usize>,
    pub query: Arc<Query>,
    /// The hits in the order shown: the sort's, when the database is sorted.
    pub hits: Arc<Vec<Hit>>,
    /// The hits in the search's own order, to go back to when the sort goes.
    pub ranked: Arc<Vec<Hit>>,
    /// The sort `hits` follow (`None`: the search's own order).
    pub sorted_by: Option<u64>,
    /// Records searched, for the `matches/total` counter.
    pub total: usize,
}

/// A search that is running; its results replace [`Applied`] when they arrive.
pub struct Pending {
    pub id: u64,
    pub text: String,
    pub scope: SearchScope,
    pub db: Option<usize>,
    pub cancel: Arc<AtomicBool>,
    pub keep_cursor: bool,
}

impl Pending {
    /// The same search again, with hits arranged by `ranks`: the sort changed while it ran. Its query,
    /// built by the run that came back, is not built again.
    fn again(
        &self,
        catalog: &Arc<Catalog>,
        query: Arc<Query>,
        ranks: Option<Ranks>,
    ) -> Option<SearchJob> {
        let scope = match (self.scope, self.db) {
            (SearchScope::All, _) => search::Scope::All,
            (SearchScope::Database, Some(db)) => search::Scope::Database(db),
            (SearchScope::Database, None) => return None,
        };
        Some(SearchJob {
            id: self.id,
            catalog: catalog.clone(),
            query: JobQuery::Built(query),
            scope,
            db: self.db,
            within: None,
            ranks,
            cancel: self.cancel.clone(),
        })
    }
}

impl RecordsPane {
    /// Moves to the next (or previous) hit, wrapping around as `n`/`N` do in less and vim: the next row
    /// of a filter, the next row holding a hit of a find.
    pub fn next_hit(&mut self, catalog: &Catalog, forward: bool) {
        let len = self.len(catalog);
        if len == 0 {
            return;
        }
        let pos = if self.filtered() {
            if forward {
                (self.cursor.pos + 1) % len
            } else {
                (self.cursor.pos + len - 1) % len
            }
        } else {
            // The rows are ascending: the neighbour is found by bisection, not by a walk over them.
            let at = self.cursor.pos;
            let rows = &self.hit_rows;
            let found = if forward {
                rows.get(rows.partition_point(|r| *r <= at))
                    .or(rows.first())
            } else {
                rows.partition_point(|r| *r < at)
                    .checked_sub(1)
                    .and_then(|i| rows.get(i))
                    .or(rows.last())
            };
            match found {
                Some(r) => *r,
                None => return,
            }
        };
        self.cursor.set(pos, len, self.height);
        self.focus_hit(catalog);
    }

    /// Puts the column cursor on the field that matched in the current row, so its match shows.
    pub(super) fn focus_hit(&mut self, catalog: &Catalog) {
        if self.across() {
            return;
        }
        let Some(row) = self.current(catalog) else {
            return;
        };
        let field = match row.hit {
            Some(hit) => Some(hit.field),
            None => self
                .hit_rows
                .binary_search(&self.cursor.pos)
                .ok()
                .and_then(|i| self.hit_fields.get(i).copied()),
        };
        if let Some(field) = field.filter(|f| *f < self.count) {
            self.col = field;
        }
    }

    /// Starts typing a search that finds (`/`) or filters (`&`).
    pub fn start_search(&mut self, intent: Intent) {
        self.editing = true;
        self.intent = intent;
        self.origin = self.cursor.pos;
    }

    /// The next mode: substring, regex, fuzzy, then substring again.
    pub fn cycle_mode(&mut self) {
        let i = Mode::ALL.iter().position(|m| *m == self.mode).unwrap_or(0);
        self.mode = Mode::ALL[(i + 1) % Mode::ALL.len()];
        self.drop_hits();
    }

    pub fn scope_for(&self, scope: SearchScope) -> Option<search::Scope> {
        match scope {
            SearchScope::All => Some(search::Scope::All),
            SearchScope::Database => self.db.map(search::Scope::Database),
        }
    }

    /// Starts a search for the typed text, cancelling the one running. Narrows the shown hits when the
    /// text only grew; an empty text drops the filter.
    pub fn request_search(
        &mut self,
        catalog: &Arc<Catalog>,
        keep_cursor: bool,
    ) -> Option<SearchJob> {
        if let Some(old) = self.pending.take() {
            old.cancel.store(true, Ordering::Relaxed);
        }
        self.error = None;
        if self.input.trim().is_empty() {
            self.drop_hits();
            self.cursor.follow(self.len(catalog), self.height);
            return None;
        }
        let scope = self.scope_for(self.scope)?;
        // Only the check against the catalog's columns runs here; the query is built on the worker, which
        // sends back why when it cannot be.
        if let Err(e) = search::check_text(catalog, &self.input, scope) {
            self.error = Some(e.to_string());
            return None;
        }
        let db = (self.scope == SearchScope::Database)
            .then_some(self.db)
            .flatten();
        let within = self
            .applied
            .as_ref()
            .filter(|a| !keep_cursor && a.scope == self.scope && a.db == db)
            .map(|a| Within {
                query: a.query.clone(),
                hits: a.ranked.clone(),
            });
        self.next_id += 1;
        let cancel = Arc::new(AtomicBool::new(false));
        self.pending = Some(Pending {
            id: self.next_id,
            text: self.input.clone(),
            scope: self.scope,
            db,
            cancel: cancel.clone(),
            keep_cursor,
        });
        Some(SearchJob {
            id: self.next_id,
            catalog: catalog.clone(),
            query: JobQuery::Typed {
                text: self.input.clone(),
                mode: self.mode,
            },
            scope,
            db,
            within,
            ranks: self.sort.ranks_for(db),
            cancel,
        })
    }

    /// Takes a finished search's hits (or why its text cannot be searched) if it is still the one wanted.
    /// Hits arranged to a sort no longer wanted (it changed while the search ran) are not shown: the
    /// search runs again, arranged anew.
    pub fn search_done(
        &mut self,
        catalog: &Arc<Catalog>,
        id: u64,
        result: Result<Searched, QueryError>,
    ) -> Option<SearchJob> {
        if self.pending.as_ref().is_none_or(|p| p.id != id) {
            discard(result);
            return None;
        }
        let Searched { query, found } = match result {
            Ok(searched) => searched,
            Err(e) => {
                // As for an unknown column: the prompt says why, the hits shown stay.
                self.pending = None;
                self.error = Some(e.to_string());
                return None;
            }
        };
        let wanted = self.sort.ranks_for(self.pending.as_ref()?.db);
        if found.sorted_by != wanted.as_ref().map(|r| r.sort) {
            discard(found);
            return self.pending.as_ref()?.again(catalog, query, wanted);
        }
        let p = self.pending.take()?;
        let total = match p.db {
            Some(db) => catalog.databases().get(db).map_or(0, Database::len),
            None => catalog.records(),
        };
        let old = self.applied.replace(Applied {
            id: p.id,
            text: p.text,
            scope: p.scope,
            db: p.db,
            query,
            hits: found.hits,
            ranked: found.ranked,
            sorted_by: found.sorted_by,
            total,
        });
        discard((old, std::mem::replace(&mut self.hit_rows, found.rows)));
        self.hit_fields = found.fields;
        // A switch of order under way was for the hits just replaced: these follow its order already.
        if let Some(switching) = self.sort.switching.take() {
            switching.cancel.store(true, Ordering::Relaxed);
            self.sort.show(switching.to);
        }
        if p.keep_cursor {
            self.cursor.follow(self.len(catalog), self.height);
        } else if self.filtered() {
            self.cursor = Cursor::default();
        } else {
            // A find jumps to the first hit from where it started, as vim's incremental search does.
            let origin = self.origin;
            let rows = &self.hit_rows;
            let first = rows
                .get(rows.partition_point(|r| *r < origin))
                .or(rows.first());
            let pos = first.copied().unwrap_or(origin);
            self.set_row(catalog, pos);
            self.focus_hit(catalog);
        }
        None
    }

    /// Drops the applied search's hits with the rows holding them and the fields that matched there:
    /// every path that drops a search comes here, so n/N never go to the rows of hits no longer shown.
    pub fn drop_hits(&mut self) {
        let rows = std::mem::take(&mut self.hit_rows);
        let fields = std::mem::take(&mut self.hit_fields);
        discard((self.applied.take(), rows, fields));
    }

    /// Drops the search: typed text, pending job and applied hits.
    pub fn clear_search(&mut self, catalog: &Catalog) {
        if let Some(p) = self.pending.take() {
            p.cancel.store(true, Ordering::Relaxed);
        }
        // `was` is read from the rows shown, so the hits go only after.
        let was = self.current(catalog);
        self.input.clear();
        self.editing = false;
        self.drop_hits();
        self.error = None;
        // Stay on the record the cursor was on, as less does when a filter goes.
        let pos = match was {
            Some(r) if Some(r.db) == self.db => self.sort.row_of(r.db, r.record),
            _ => 0,
        };
        self.cursor.set(pos, self.len(catalog), self.height);
    }

    pub fn searching(&self) -> bool {
        self.pending.is_some()
    }
}

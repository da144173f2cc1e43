//! The search half of the Records pane: where it looks, whether it finds or filters, the job that runs on
//! a worker, and the lifecycle typed text -> pending job -> applied hits, with n/N between hits.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::Cursor;
use super::records::RecordsPane;
use crate::catalog::{Catalog, Database};
use crate::search::{self, Hit, Mode, Query, SearchError};

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
    pub text: String,
    pub scope: SearchScope,
    /// The database searched, for [`SearchScope::Database`].
    pub db: Option<usize>,
    pub query: Arc<Query>,
    pub hits: Arc<Vec<Hit>>,
    /// Records searched, for the `matches/total` counter.
    pub total: usize,
}

/// A search that is running; its results replace [`Applied`] when they arrive.
pub struct Pending {
    pub id: u64,
    pub text: String,
    pub scope: SearchScope,
    pub db: Option<usize>,
    pub query: Arc<Query>,
    pub cancel: Arc<AtomicBool>,
    pub keep_cursor: bool,
}

/// What the worker needs to run a search.
pub struct SearchJob {
    pub id: u64,
    pub catalog: Arc<Catalog>,
    pub query: Arc<Query>,
    pub scope: search::Scope,
    pub within: Option<Arc<Vec<Hit>>>,
    pub cancel: Arc<AtomicBool>,
}

impl SearchJob {
    /// Runs the search here; `None` when it was cancelled before it finished.
    pub fn run(&self) -> Option<Vec<Hit>> {
        let within = self.within.as_deref().map(Vec::as_slice);
        match search::search(&self.catalog, &self.query, self.scope, within, &self.cancel) {
            Ok(hits) => Some(hits),
            Err(SearchError::Cancelled) => None,
            // The query was checked against this catalog before the job was made.
            Err(SearchError::Query(e)) => {
                tracing::warn!(error = %e, "search refused");
                None
            }
        }
    }
}

impl RecordsPane {
    /// A find's hits as rows of the database view, in row order (the view may be sorted).
    pub(super) fn find_rows(&mut self) {
        self.hit_rows.clear();
        let Some(a) = self
            .applied
            .as_ref()
            .filter(|a| a.scope == SearchScope::Database)
        else {
            return;
        };
        let Some(db) = a.db else { return };
        let mut rows: Vec<usize> = a
            .hits
            .iter()
            .map(|h| self.sort.row_of(db, h.record))
            .collect();
        rows.sort_unstable();
        rows.dedup();
        self.hit_rows = rows;
    }

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
            let at = self.cursor.pos;
            let found = if forward {
                self.hit_rows
                    .iter()
                    .find(|r| **r > at)
                    .or(self.hit_rows.first())
            } else {
                self.hit_rows
                    .iter()
                    .rev()
                    .find(|r| **r < at)
                    .or(self.hit_rows.last())
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
        let hit = row.hit.or_else(|| {
            self.applied
                .as_ref()?
                .hits
                .iter()
                .find(|h| h.database == row.db && h.record == row.record)
                .copied()
        });
        if let Some(hit) = hit.filter(|h| h.field < self.count) {
            self.col = hit.field;
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
        self.applied = None;
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
            self.applied = None;
            self.cursor.follow(self.len(catalog), self.height);
            return None;
        }
        let scope = self.scope_for(self.scope)?;
        let query = Query::new(&self.input, self.mode)
            .and_then(|q| search::check(catalog, &q, scope).map(|()| q));
        let query = match query {
            Ok(query) => Arc::new(query),
            Err(e) => {
                self.error = Some(e.to_string());
                return None;
            }
        };
        let db = (self.scope == SearchScope::Database)
            .then_some(self.db)
            .flatten();
        let within = self
            .applied
            .as_ref()
            .filter(|a| {
                !keep_cursor && a.scope == self.scope && a.db == db && query.narrows(&a.query)
            })
            .map(|a| a.hits.clone());
        self.next_id += 1;
        let cancel = Arc::new(AtomicBool::new(false));
        self.pending = Some(Pending {
            id: self.next_id,
            text: self.input.clone(),
            scope: self.scope,
            db,
            query: query.clone(),
            cancel: cancel.clone(),
            keep_cursor,
        });
        Some(SearchJob {
            id: self.next_id,
            catalog: catalog.clone(),
            query,
            scope,
            within,
            cancel,
        })
    }

    /// Takes a finished search's hits if it is still the one wanted.
    pub fn search_done(&mut self, catalog: &Catalog, id: u64, hits: Option<Vec<Hit>>) {
        let Some(hits) = hits else { return };
        if self.pending.as_ref().is_none_or(|p| p.id != id) {
            return;
        }
        let Some(p) = self.pending.take() else { return };
        let total = match p.db {
            Some(db) => catalog.databases().get(db).map_or(0, Database::len),
            None => catalog.records(),
        };
        self.applied = Some(Applied {
            text: p.text,
            scope: p.scope,
            db: p.db,
            query: p.query,
            hits: Arc::new(hits),
            total,
        });
        self.reorder_hits();
        if p.keep_cursor {
            self.cursor.follow(self.len(catalog), self.height);
        } else if self.filtered() {
            self.cursor = Cursor::default();
        } else {
            // A find jumps to the first hit from where it started, as vim's incremental search does.
            let origin = self.origin;
            let first = self
                .hit_rows
                .iter()
                .find(|r| **r >= origin)
                .or(self.hit_rows.first());
            let pos = first.copied().unwrap_or(origin);
            self.set_row(catalog, pos);
            self.focus_hit(catalog);
        }
    }

    /// Drops the search: typed text, pending job and applied hits.
    pub fn clear_search(&mut self, catalog: &Catalog) {
        self.hit_rows.clear();
        if let Some(p) = self.pending.take() {
            p.cancel.store(true, Ordering::Relaxed);
        }
        let was = self.current(catalog);
        self.input.clear();
        self.editing = false;
        self.applied = None;
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

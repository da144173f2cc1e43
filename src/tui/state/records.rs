//! The Records pane: the selected database's rows or the hits of a fuzzy search, the row and column cursor,
//! and the search's lifecycle (typed text -> pending job -> applied hits).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::Cursor;
use crate::catalog::{Catalog, Database};
use crate::search::{self, Hit, Mode, Query, SearchError};
use crate::tui::text;

/// Widest a column gets from its contents; the detail view shows the rest.
pub const MAX_COLUMN: usize = 32;
/// Rows sampled for column widths when a database is selected.
const SAMPLE_ROWS: usize = 200;

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

/// One displayed row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowRef {
    pub db: usize,
    pub record: usize,
    pub hit: Option<Hit>,
}

#[derive(Default)]
pub struct RecordsPane {
    pub db: Option<usize>,
    pub cursor: Cursor,
    /// Column cursor: 0 is the key.
    pub col: usize,
    /// First value column shown after the key, which always stays.
    pub col_offset: usize,
    /// Natural widths per column (key first) from a sample of rows, capped at [`MAX_COLUMN`].
    pub widths: Vec<usize>,
    pub input: String,
    pub editing: bool,
    pub scope: SearchScope,
    pub applied: Option<Applied>,
    pub pending: Option<Pending>,
    /// Why the typed text cannot be searched (an unknown column), shown on the search line.
    pub error: Option<String>,
    next_id: u64,
    /// Visible rows and usable width, from the last layout.
    pub height: usize,
    pub width: usize,
}

impl RecordsPane {
    /// Shows another database (or the same one after a reload), keeping the cursor when it is the same.
    pub fn select(&mut self, catalog: &Catalog, db: Option<usize>) {
        let same = db == self.db;
        self.db = db;
        self.widths = db
            .and_then(|i| catalog.databases().get(i))
            .map(sample_widths)
            .unwrap_or_default();
        if !same {
            self.cursor = Cursor::default();
            self.col = 0;
            self.col_offset = 1;
        }
        self.col = self.col.min(self.widths.len().saturating_sub(1));
        self.col_offset = self.col_offset.max(1);
    }

    /// Whether the rows are search hits rather than the whole database.
    pub fn filtered(&self) -> bool {
        self.applied.is_some()
    }

    /// Whether the shown hits come from several databases.
    pub fn across(&self) -> bool {
        self.applied
            .as_ref()
            .is_some_and(|a| a.scope == SearchScope::All)
    }

    pub fn len(&self, catalog: &Catalog) -> usize {
        match &self.applied {
            Some(a) => a.hits.len(),
            None => self.database(catalog).map_or(0, Database::len),
        }
    }

    pub fn database<'c>(&self, catalog: &'c Catalog) -> Option<&'c Database> {
        catalog.databases().get(self.db?)
    }

    pub fn row(&self, i: usize) -> Option<RowRef> {
        match &self.applied {
            Some(a) => a.hits.get(i).map(|h| RowRef {
                db: h.database,
                record: h.record,
                hit: Some(*h),
            }),
            None => self.db.map(|db| RowRef {
                db,
                record: i,
                hit: None,
            }),
        }
    }

    pub fn current(&self, catalog: &Catalog) -> Option<RowRef> {
        (self.cursor.pos < self.len(catalog))
            .then(|| self.row(self.cursor.pos))
            .flatten()
    }

    pub fn step(&mut self, catalog: &Catalog, delta: isize) {
        let len = self.len(catalog);
        self.cursor.step(delta, len, self.height);
    }

    pub fn set_row(&mut self, catalog: &Catalog, pos: usize) {
        let len = self.len(catalog);
        self.cursor.set(pos, len, self.height);
    }

    /// Moves to the next (or previous) hit, wrapping around as `n`/`N` do in less and vim.
    pub fn next_hit(&mut self, catalog: &Catalog, forward: bool) {
        let len = self.len(catalog);
        if len == 0 {
            return;
        }
        let pos = if forward {
            (self.cursor.pos + 1) % len
        } else {
            (self.cursor.pos + len - 1) % len
        };
        self.cursor.set(pos, len, self.height);
    }

    /// Moves the column cursor, scrolling so it stays visible next to the sticky key column.
    pub fn step_column(&mut self, delta: isize) {
        let columns = self.columns_shown();
        if columns == 0 {
            return;
        }
        self.col = self.col.saturating_add_signed(delta).min(columns - 1);
        self.follow_column();
    }

    fn columns_shown(&self) -> usize {
        if self.across() { 3 } else { self.widths.len() }
    }

    /// Keeps `col` inside the columns shown now and on screen given the widths and the pane width. Called
    /// after every action: the column count changes under the cursor when a search across all databases
    /// comes or goes, or when the selected database does.
    pub fn follow_column(&mut self) {
        let columns = self.columns_shown();
        self.col = self.col.min(columns.saturating_sub(1));
        let last = self.widths.len().saturating_sub(1).max(1);
        self.col_offset = self.col_offset.clamp(1, last);
        if self.col == 0 || self.across() {
            return;
        }
        if self.col < self.col_offset {
            self.col_offset = self.col;
        }
        let key = self.widths.first().copied().unwrap_or(0) + 1;
        while self.col_offset < self.col {
            let span: usize = self
                .widths
                .get(self.col_offset..=self.col)
                .map_or(0, |w| w.iter().map(|w| w + 1).sum());
            if key + span <= self.width {
                break;
            }
            self.col_offset += 1;
        }
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
        // The inspector keeps fuzzy search, its behaviour before search modes existed.
        let query = Query::new(&self.input, Mode::Fuzzy)
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
        if p.keep_cursor {
            self.cursor.follow(self.len(catalog), self.height);
        } else {
            self.cursor = Cursor::default();
        }
        if self.across() {
            self.col = self.col.min(2);
        }
        self.follow_column();
    }

    /// Drops the search: typed text, pending job and applied hits.
    pub fn clear_search(&mut self, catalog: &Catalog) {
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
            Some(r) if Some(r.db) == self.db => r.record,
            _ => 0,
        };
        self.cursor.set(pos, self.len(catalog), self.height);
        self.col = self.col.min(self.widths.len().saturating_sub(1));
        self.follow_column();
    }

    pub fn searching(&self) -> bool {
        self.pending.is_some()
    }
}

/// Column widths from the header and the first rows, so the table does not jump while scrolling.
fn sample_widths(db: &Database) -> Vec<usize> {
    let mut widths: Vec<usize> = db.columns().iter().map(|c| text::width(c)).collect();
    for record in db.records().take(SAMPLE_ROWS) {
        for (w, v) in widths.iter_mut().zip(record.values()) {
            *w = (*w).max(v.map_or(1, text::width));
        }
    }
    widths.iter().map(|w| (*w).clamp(3, MAX_COLUMN)).collect()
}

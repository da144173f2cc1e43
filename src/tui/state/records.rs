//! The Records pane: the selected database's rows or the hits of a fuzzy search, the row and column cursor,
//! and the search's lifecycle (typed text -> pending job -> applied hits).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ratatui::layout::Rect;

use super::Cursor;
use super::columns::{self, ColumnLayout, MAX_ROW_LINES};
use super::sort::{SortJob, Sorting};
use crate::catalog::{Catalog, Database};
use crate::insight::Direction;
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
    /// Columns of the selected database.
    pub count: usize,
    /// Whether long cells wrap onto more lines instead of being cut.
    pub wrap: bool,
    /// The columns as drawn now, from the values on screen.
    pub layout: ColumnLayout,
    /// Lines each row from the scroll offset takes (all 1 unless cells wrap).
    pub heights: Vec<usize>,
    /// Lines at the foot of the pane showing the focused cell in full.
    pub cell_lines: usize,
    pub sort: Sorting,
    /// The row number typed after `:`, while it is typed.
    pub jump: Option<String>,
    /// Digits typed before `G`, and the tick the first came.
    pub typed_count: Option<(String, u64)>,
    pub input: String,
    pub editing: bool,
    pub scope: SearchScope,
    pub applied: Option<Applied>,
    /// Substring (the default), regex or fuzzy; switched inside the prompt.
    pub mode: Mode,
    pub intent: Intent,
    /// For a find: the rows holding hits, in row order, and the row the find started from.
    pub hit_rows: Vec<usize>,
    pub origin: usize,
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
        self.count = db
            .and_then(|i| catalog.databases().get(i))
            .map_or(0, |d| d.columns().len());
        if !same {
            self.cursor = Cursor::default();
            self.col = 0;
            self.col_offset = 1;
            self.sort.clear();
        }
    }

    /// Asks for the shown database sorted by the focused column; the same again drops the sort.
    pub fn request_sort(
        &mut self,
        catalog: &Arc<Catalog>,
        direction: Direction,
    ) -> Option<SortJob> {
        let db = self.db.filter(|_| !self.across())?;
        self.sort.request(catalog, db, self.col, direction)
    }

    /// Takes a finished sort, keeping the cursor on the record it was on.
    pub fn sort_done(&mut self, catalog: &Catalog, id: u64, result: Result<Vec<usize>, String>) {
        let was = self.current(catalog);
        if self.sort.done(id, result) {
            self.reorder_hits();
            self.keep_on(catalog, was);
        }
    }

    /// Puts the cursor back on the record it showed before the rows moved.
    fn keep_on(&mut self, catalog: &Catalog, was: Option<RowRef>) {
        let Some(was) = was else { return };
        let pos = match self.shown_hits() {
            Some(a) => a
                .hits
                .iter()
                .position(|h| (h.database, h.record) == (was.db, was.record)),
            None => Some(self.sort.row_of(was.db, was.record)),
        };
        if let Some(pos) = pos {
            self.set_row(catalog, pos);
        }
    }

    /// A find's hits as rows of the database view, in row order (the view may be sorted).
    fn find_rows(&mut self) {
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

    /// Hits of a search in the sorted database follow the sort, ties in rank order.
    fn reorder_hits(&mut self) {
        self.find_rows();
        let Some(a) = &mut self.applied else { return };
        let Some(sort) = a.db.and_then(|db| self.sort.of(db)) else {
            return;
        };
        let mut hits = a.hits.as_ref().clone();
        hits.sort_by_key(|h| sort.rank.get(h.record).copied().unwrap_or(usize::MAX));
        a.hits = Arc::new(hits);
    }

    /// Goes to row `n` (1-based) of what is shown.
    pub fn go_to_row(&mut self, catalog: &Catalog, n: usize) {
        self.set_row(catalog, n.saturating_sub(1));
    }

    /// Whether the rows are search hits rather than the whole database: a filter, or any search across
    /// all databases.
    pub fn filtered(&self) -> bool {
        self.shown_hits().is_some()
    }

    /// The search whose hits are the rows, if they are.
    fn shown_hits(&self) -> Option<&Applied> {
        self.applied
            .as_ref()
            .filter(|a| a.scope == SearchScope::All || self.intent == Intent::Filter)
    }

    /// Whether the shown hits come from several databases.
    pub fn across(&self) -> bool {
        self.applied
            .as_ref()
            .is_some_and(|a| a.scope == SearchScope::All)
    }

    pub fn len(&self, catalog: &Catalog) -> usize {
        match self.shown_hits() {
            Some(a) => a.hits.len(),
            None => self.database(catalog).map_or(0, Database::len),
        }
    }

    pub fn database<'c>(&self, catalog: &'c Catalog) -> Option<&'c Database> {
        catalog.databases().get(self.db?)
    }

    pub fn row(&self, i: usize) -> Option<RowRef> {
        match self.shown_hits() {
            Some(a) => a.hits.get(i).map(|h| RowRef {
                db: h.database,
                record: h.record,
                hit: Some(*h),
            }),
            None => self.db.map(|db| RowRef {
                db,
                record: self.sort.record_at(db, i),
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
    fn focus_hit(&mut self, catalog: &Catalog) {
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

    /// Moves the column cursor; the next layout scrolls so it stays visible next to the frozen key column.
    pub fn step_column(&mut self, delta: isize) {
        let columns = self.columns_shown();
        if columns == 0 {
            return;
        }
        self.col = self.col.saturating_add_signed(delta).min(columns - 1);
    }

    fn columns_shown(&self) -> usize {
        if self.across() { 3 } else { self.count }
    }

    /// The rows of the table inside the pane: below the search line and the header, above the focused
    /// cell's lines.
    pub fn rows_area(&self, pane: Rect, search_line: bool) -> Rect {
        let inner = inner(pane);
        let top = (u16::from(search_line) + 1).min(inner.height);
        let bottom = (self.cell_lines as u16).min(inner.height - top);
        Rect {
            y: inner.y + top,
            height: inner.height - top - bottom,
            ..inner
        }
    }

    /// Fits everything to the pane after any change: the focused cell's lines, the rows that show, the
    /// column cursor and offset, the column widths from the visible values, and the rows' heights.
    pub fn relayout(&mut self, catalog: &Catalog, pane: Rect, search_line: bool) {
        let inner = inner(pane);
        let body = usize::from(inner.height.saturating_sub(u16::from(search_line) + 1));
        self.width = usize::from(inner.width);
        let len = self.len(catalog);
        self.cell_lines = 0;
        self.height = body.max(1);
        self.cursor.follow(len, self.height);
        self.follow_column(catalog);
        // The focused cell in full, in up to a third of the rows: only when there is room for both.
        if body >= 8 {
            let most = (body / 3).max(1);
            self.cell_lines = self.focused_lines(catalog, most).len().max(1);
        }
        self.height = body.saturating_sub(self.cell_lines).max(1);
        self.cursor.follow(len, self.height);
        self.follow_column(catalog);
        self.heights = self.row_heights(catalog);
        if self.wrap {
            // Tall rows: scroll until the cursor's row fits.
            while self.cursor.offset < self.cursor.pos
                && self
                    .heights
                    .iter()
                    .take(self.cursor.pos - self.cursor.offset + 1)
                    .sum::<usize>()
                    > self.height
            {
                self.cursor.offset += 1;
                self.heights = self.row_heights(catalog);
            }
        }
    }

    /// The focused cell as drawn at the foot: its column's name and its value wrapped to the pane, in at
    /// most `most` lines.
    pub fn focused_lines(&self, catalog: &Catalog, most: usize) -> Vec<String> {
        let Some((name, value)) = self.focused_cell(catalog) else {
            return Vec::new();
        };
        let room = self
            .width
            .saturating_sub(crate::tui::text::width(&name) + 2);
        match value {
            Some(v) => columns::wrap_at_most(&v, room, most),
            None => vec!["(missing: this row is shorter than the header)".into()],
        }
    }

    /// The focused cell's column name and value (`None` when the row is too short to have it).
    pub fn focused_cell(&self, catalog: &Catalog) -> Option<(String, Option<String>)> {
        let row = self.current(catalog)?;
        let db = catalog.databases().get(row.db)?;
        let record = db.record(row.record)?;
        if self.across() {
            let field = row.hit.map_or(0, |h| h.field);
            let value = match self.col {
                0 => db.name().to_string(),
                1 => record.key().to_string(),
                _ => record.fields().nth(field).unwrap_or("").to_string(),
            };
            let name = match self.col {
                0 => "database".to_string(),
                1 => "key".to_string(),
                _ => field_name(db, field),
            };
            return Some((name, Some(value)));
        }
        let name = db.columns().get(self.col).cloned().unwrap_or_default();
        Some((name, record.value(self.col).map(str::to_string)))
    }

    /// The visible rows (from the scroll offset, at most a screen of them).
    fn visible(&self, catalog: &Catalog) -> impl Iterator<Item = RowRef> + '_ {
        let end = (self.cursor.offset + self.height).min(self.len(catalog));
        (self.cursor.offset..end).filter_map(|i| self.row(i))
    }

    /// The widest a column's header or visible values are, capped at the pane.
    fn natural(&self, catalog: &Catalog, column: usize) -> usize {
        let Some(db) = self.database(catalog) else {
            return 0;
        };
        let cap = self.width.max(1);
        // A sorted column's header carries an arrow.
        let arrow = self
            .db
            .and_then(|i| self.sort.of(i))
            .is_some_and(|s| s.column == column);
        let header = db.columns().get(column).map_or(0, |c| {
            columns::capped_width(c, cap) + 2 * usize::from(arrow)
        });
        self.visible(catalog)
            .filter_map(|r| db.record(r.record))
            .map(|r| r.value(column).map_or(1, |v| columns::capped_width(v, cap)))
            .fold(header, usize::max)
    }

    fn compute_layout(&self, catalog: &Catalog, offset: usize) -> ColumnLayout {
        let Some(db) = self.database(catalog).filter(|_| !self.across()) else {
            return ColumnLayout::default();
        };
        let gutter = columns::gutter_for(db.len(), self.width);
        let mut natural = |c| self.natural(catalog, c);
        columns::layout(&mut natural, self.count, offset, self.width, gutter)
    }

    /// Keeps `col` inside the columns shown now and fully on screen beside the key column. The column
    /// count changes under the cursor when a search across all databases comes or goes, or when the
    /// selected database does.
    fn follow_column(&mut self, catalog: &Catalog) {
        let columns = self.columns_shown();
        self.col = self.col.min(columns.saturating_sub(1));
        self.col_offset = self
            .col_offset
            .clamp(1, self.count.saturating_sub(1).max(1));
        if self.col > 0 && !self.across() && self.col < self.col_offset {
            self.col_offset = self.col;
        }
        loop {
            self.layout = self.compute_layout(catalog, self.col_offset);
            if self.col == 0 || self.across() || self.col_offset >= self.col {
                return;
            }
            let widest = columns::widest_value(&self.layout, self.width);
            let wanted = self.natural(catalog, self.col).min(widest);
            if self.layout.width_of(self.col).is_some_and(|w| w >= wanted) {
                return;
            }
            self.col_offset += 1;
        }
    }

    /// Lines each visible row takes: its tallest wrapped cell, or 1.
    fn row_heights(&self, catalog: &Catalog) -> Vec<usize> {
        let rows: Vec<RowRef> = self.visible(catalog).collect();
        if !self.wrap || self.across() {
            return vec![1; rows.len()];
        }
        let Some(db) = self.database(catalog) else {
            return vec![1; rows.len()];
        };
        let most = MAX_ROW_LINES.min(self.height).max(1);
        rows.iter()
            .map(|r| {
                let Some(record) = db.record(r.record) else {
                    return 1;
                };
                self.layout
                    .shown
                    .iter()
                    .map(|&(c, w)| {
                        record
                            .value(c)
                            .map_or(1, |v| columns::wrap_at_most(v, w, most).len())
                    })
                    .max()
                    .unwrap_or(1)
            })
            .collect()
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

/// A field's name: its column, or `extra N` past the header.
pub fn field_name(db: &Database, field: usize) -> String {
    match field {
        0 => "key".to_string(),
        f => db
            .columns()
            .get(f)
            .cloned()
            .unwrap_or_else(|| format!("extra {}", f + 1 - db.columns().len())),
    }
}

/// The inside of a bordered pane.
fn inner(pane: Rect) -> Rect {
    Rect {
        x: pane.x.saturating_add(1),
        y: pane.y.saturating_add(1),
        width: pane.width.saturating_sub(2),
        height: pane.height.saturating_sub(2),
    }
}

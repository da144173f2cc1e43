//! The Records pane: the selected database's rows (sorted or not) or a search's hits, the row and column
//! cursor, the layout after every action and the focused cell. The search itself is in `find.rs`.

use ratatui::layout::Rect;

use super::Cursor;
use super::columns::{self, ColumnLayout, MAX_ROW_LINES};
use super::highlights::Highlights;
use super::sort::Sorting;
use crate::catalog::{Catalog, Database};
use crate::search::{Hit, Mode};
use crate::tui::layout::inner;

pub use super::find::{Applied, Intent, Pending, SearchJob, SearchScope};

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
    /// For a find: the rows holding hits, in row order, the field that matched on each, and the row the
    /// find started from.
    pub hit_rows: Vec<usize>,
    pub hit_fields: Vec<usize>,
    pub origin: usize,
    pub pending: Option<Pending>,
    /// Why the typed text cannot be searched (an unknown column, or an invalid regex as the worker found),
    /// shown on the search line.
    pub error: Option<String>,
    pub(super) next_id: u64,
    /// Visible rows and usable width, from the last layout.
    pub height: usize,
    pub width: usize,
    /// The matched characters of the cells on screen, for the search applied.
    pub highlights: Highlights,
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
            // Hits of the database left are not this one's rows.
            if self
                .applied
                .as_ref()
                .is_some_and(|a| a.scope == SearchScope::Database)
            {
                self.drop_hits();
            }
        }
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
    pub(super) fn shown_hits(&self) -> Option<&Applied> {
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
        self.find_highlights(catalog);
    }

    /// Runs the matcher over the cells on screen it has not seen yet, so drawing only reads positions.
    fn find_highlights(&mut self, catalog: &Catalog) {
        let query = self.applied.as_ref().map(|a| a.query.clone());
        self.highlights.prepare(catalog, query.as_ref());
        // Wrapped cells are drawn without highlights.
        if query.is_none() || (self.wrap && !self.across()) {
            return;
        }
        let rows: Vec<RowRef> = self.visible(catalog).collect();
        for row in rows {
            let Some(record) = catalog
                .databases()
                .get(row.db)
                .and_then(|d| d.record(row.record))
            else {
                continue;
            };
            let fields: Vec<usize> = if self.across() {
                vec![0, row.hit.map_or(0, |h| h.field)]
            } else {
                self.layout.shown.iter().map(|&(c, _)| c).collect()
            };
            for field in fields {
                if let Some(value) = record.value(field) {
                    self.highlights.fill((row.db, row.record, field), value);
                }
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

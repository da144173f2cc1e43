//! \[2\] Records: a sticky header, a key column that stays while value columns scroll sideways, search hits with
//! matched characters highlighted, and the position line. Only the visible rows are built.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row, Table, Widget};

use super::layout;
use super::theme::Theme;
use crate::catalog::{Catalog, Database};
use crate::search::Query;
use crate::tui::app::{App, Pane};
use crate::tui::state::databases::Entry;
use crate::tui::state::records::{RecordsPane, SearchScope};
use crate::tui::text;

const SPINNER: [char; 4] = ['|', '/', '-', '\\'];

pub fn render(app: &App, block: Block, area: Rect, buf: &mut Buffer, theme: &Theme) {
    let pane = &app.records;
    let Some(catalog) = &app.catalog else {
        let inner = block.inner(area);
        block.render(area, buf);
        let message = if app.load_error.is_some() {
            "nothing to show: no data loaded"
        } else {
            "loading…"
        };
        super::placeholder(message, inner, buf, theme.dim());
        return;
    };
    let db = pane.database(catalog);
    let mut block = block;
    if let Some(db) = db.filter(|_| !pane.across()) {
        block = block.title(Line::from(format!(" {} ", db.name())));
    }
    let len = pane.len(catalog);
    let columns = if pane.across() { 3 } else { pane.widths.len() };
    if len > 0 {
        let position = format!(
            "[Row {}/{}, Col {}/{}]",
            text::thousands(pane.cursor.pos + 1),
            text::thousands(len),
            pane.col + 1,
            columns
        );
        block = block.title_bottom(Line::from(position).right_aligned());
    }
    let inner = block.inner(area);
    block.render(area, buf);
    let search_line = app.search_line();
    if search_line && inner.height > 0 {
        buf.set_line(
            inner.x,
            inner.y,
            &search_bar(app, catalog, theme),
            inner.width,
        );
    }
    let rows_area = layout::table_rows(area, u16::from(search_line));
    let table_area = Rect {
        y: rows_area.y.saturating_sub(1),
        height: rows_area.height + 1,
        ..rows_area
    };
    if len == 0 {
        super::placeholder(
            &empty_message(app, catalog, db),
            rows_area,
            buf,
            theme.dim(),
        );
        if db.is_none() || pane.across() {
            return;
        }
    }
    let focused = app.focus == Pane::Records;
    let query = pane.applied.as_ref().map(|a| a.query.as_ref());
    if pane.across() {
        across_table(pane, catalog, query, table_area, buf, theme, focused);
    } else if let Some(db) = db {
        database_table(pane, db, query, table_area, buf, theme, focused);
    }
}

fn empty_message(app: &App, catalog: &Catalog, db: Option<&Database>) -> String {
    let pane = &app.records;
    if let Some(a) = &pane.applied {
        return format!("no matches for {:?} in {}", a.text, a.scope.label());
    }
    if pane.searching() {
        return "searching…".into();
    }
    match (db, app.databases.selected()) {
        (Some(db), _) => format!("{}: no records (only a header)", db.name()),
        (None, Some(Entry::Failed(f))) => match catalog.failed().get(f) {
            Some(failed) => format!(
                "nothing to show: {} could not be loaded: {}",
                failed.name, failed.error
            ),
            None => "nothing to show".into(),
        },
        (None, _) => "nothing to show: no database selected".into(),
    }
}

fn search_bar(app: &App, catalog: &Catalog, theme: &Theme) -> Line<'static> {
    let pane = &app.records;
    let mut spans = vec![
        Span::styled("/", theme.label()),
        Span::raw(pane.input.clone()),
    ];
    if pane.editing {
        spans.push(Span::styled("█", theme.dim()));
    }
    let counter = match (&pane.applied, &pane.pending) {
        (Some(a), _) => format!(
            "{}/{}",
            text::thousands(a.hits.len()),
            text::thousands(a.total)
        ),
        (None, Some(p)) => {
            let total = match p.db {
                Some(db) => catalog.databases().get(db).map_or(0, Database::len),
                None => catalog.records(),
            };
            format!("…/{}", text::thousands(total))
        }
        (None, None) => String::new(),
    };
    spans.push(Span::styled(format!("  {counter}"), theme.label()));
    if let Some(error) = &pane.error {
        spans.push(Span::styled(format!("  {error}"), theme.warning()));
    }
    if pane.searching() {
        let spin = SPINNER[(app.ticks % 4) as usize];
        spans.push(Span::styled(format!(" {spin} searching"), theme.warning()));
    }
    spans.push(Span::raw("  "));
    for scope in [SearchScope::Database, SearchScope::All] {
        let style = if pane.scope == scope {
            theme.title(true)
        } else {
            theme.dim()
        };
        let mark = if pane.scope == scope { "●" } else { "○" };
        spans.push(Span::styled(format!("{mark} {}", scope.label()), style));
        spans.push(Span::raw(" "));
    }
    Line::from(spans)
}

/// A cell: the value cut to its width, matched characters highlighted, a missing field marked as such.
fn cell(value: Option<&str>, width: usize, query: Option<&Query>, theme: &Theme) -> Cell<'static> {
    match value {
        None => Cell::from(Span::styled("∅", theme.missing())),
        Some(v) => match query {
            Some(q) => {
                let positions = q.positions(v);
                Cell::from(text::highlight(
                    v,
                    &positions,
                    width,
                    Style::new(),
                    theme.matched(),
                ))
            }
            None => Cell::from(text::fit(v, width)),
        },
    }
}

/// Which value columns fit after the key, from `col_offset`, and their widths.
fn visible_columns(pane: &RecordsPane, width: usize) -> Vec<(usize, usize)> {
    let Some(&key) = pane.widths.first() else {
        return Vec::new();
    };
    let key = key.min(width.saturating_sub(4).max(3));
    let mut shown = vec![(0, key)];
    let mut used = key;
    for c in pane.col_offset.max(1)..pane.widths.len() {
        let room = width.saturating_sub(used + 1);
        if room < 3 {
            break;
        }
        let w = pane.widths[c].min(room);
        shown.push((c, w));
        used += w + 1;
    }
    // The table's last column takes the room left, so long text is not cut while space is free.
    if let Some(last) = shown.last_mut()
        && last.0 + 1 == pane.widths.len()
        && last.0 > 0
    {
        last.1 += width.saturating_sub(used);
    }
    shown
}

fn database_table(
    pane: &RecordsPane,
    db: &Database,
    query: Option<&Query>,
    area: Rect,
    buf: &mut Buffer,
    theme: &Theme,
    focused: bool,
) {
    let shown = visible_columns(pane, usize::from(area.width));
    let columns = db.columns();
    let header = Row::new(shown.iter().map(|&(c, w)| {
        let name = columns.get(c).map_or("", String::as_str);
        let style = if c == pane.col {
            theme.header().patch(theme.current_cell())
        } else {
            theme.header()
        };
        Cell::from(Span::styled(text::fit(name, w), style))
    }));
    let height = usize::from(area.height.saturating_sub(1));
    let rows = (pane.cursor.offset..pane.cursor.offset + height).filter_map(|i| {
        let row = pane.row(i)?;
        let record = db.record(row.record)?;
        let current = i == pane.cursor.pos;
        let cells = shown.iter().map(|&(c, w)| {
            let mut cell = cell(record.value(c), w, query, theme);
            if c == 0 {
                cell = cell.style(theme.key_column());
            }
            if current && c == pane.col {
                cell = cell.style(theme.current_cell());
            }
            cell
        });
        let row = Row::new(cells.collect::<Vec<_>>());
        Some(if current {
            row.style(theme.selected(focused))
        } else {
            row
        })
    });
    let widths: Vec<Constraint> = shown
        .iter()
        .map(|&(_, w)| Constraint::Length(w as u16))
        .collect();
    Table::new(rows, widths)
        .header(header)
        .column_spacing(1)
        .render(area, buf);
}

fn across_table(
    pane: &RecordsPane,
    catalog: &Catalog,
    query: Option<&Query>,
    area: Rect,
    buf: &mut Buffer,
    theme: &Theme,
    focused: bool,
) {
    let height = usize::from(area.height.saturating_sub(1));
    let visible: Vec<_> = (pane.cursor.offset..pane.cursor.offset + height)
        .filter_map(|i| pane.row(i).map(|r| (i, r)))
        .collect();
    let name_w = visible
        .iter()
        .filter_map(|(_, r)| catalog.databases().get(r.db))
        .map(|d| text::width(d.name()))
        .max()
        .unwrap_or(8)
        .clamp(8, 20);
    let key_w = 24.min(usize::from(area.width) / 3);
    let match_w = usize::from(area.width).saturating_sub(name_w + key_w + 2);
    let header = Row::new(
        ["database", "key", "best match"]
            .into_iter()
            .enumerate()
            .map(|(c, name)| {
                let style = if c == pane.col {
                    theme.header().patch(theme.current_cell())
                } else {
                    theme.header()
                };
                Cell::from(Span::styled(name, style))
            }),
    );
    let rows = visible.into_iter().filter_map(|(i, row)| {
        let db = catalog.databases().get(row.db)?;
        let record = db.record(row.record)?;
        let field = row.hit.map_or(0, |h| h.field);
        let label = match field {
            0 => "key".to_string(),
            f => db
                .columns()
                .get(f)
                .cloned()
                .unwrap_or_else(|| format!("extra {}", f + 1 - db.columns().len())),
        };
        let value = record.fields().nth(field).unwrap_or("");
        let prefix = format!("{label}: ");
        let room = match_w.saturating_sub(text::width(&prefix));
        let mut matched = vec![Span::styled(prefix, theme.dim())];
        let positions = query.map(|q| q.positions(value)).unwrap_or_default();
        matched
            .extend(text::highlight(value, &positions, room, Style::new(), theme.matched()).spans);
        let current = i == pane.cursor.pos;
        let mut cells = vec![
            Cell::from(text::fit(db.name(), name_w)),
            cell(Some(record.key()), key_w, query, theme).style(theme.key_column()),
            Cell::from(Line::from(matched)),
        ];
        if current && let Some(c) = cells.get_mut(pane.col) {
            *c = c.clone().style(theme.current_cell());
        }
        let row = Row::new(cells);
        Some(if current {
            row.style(theme.selected(focused))
        } else {
            row
        })
    });
    let widths = [
        Constraint::Length(name_w as u16),
        Constraint::Length(key_w as u16),
        Constraint::Fill(1),
    ];
    Table::new(rows, widths)
        .header(header)
        .column_spacing(1)
        .render(area, buf);
}

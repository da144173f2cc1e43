//! \[2\] Records: a sticky header, a key column that stays while value columns scroll sideways, search hits with
//! matched characters highlighted, and the position line. Only the visible rows are built.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row, Table, Widget};

use super::theme::Theme;
use crate::catalog::{Catalog, Database};
use crate::tui::app::{App, Pane};
use crate::tui::state::databases::Entry;
use crate::tui::state::records::{RecordsPane, SearchScope, field_name};
use crate::tui::state::{columns, sort};
use crate::tui::text;

const SPINNER: [char; 4] = ['|', '/', '-', '\\'];

pub fn render(app: &App, block: Block, area: Rect, buf: &mut Buffer, theme: &Theme) {
    let pane = &app.records;
    let Some(catalog) = &app.data.catalog else {
        let inner = block.inner(area);
        block.render(area, buf);
        let message = if app.data.load_error.is_some() {
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
        let mut title = format!(" {} ", db.name());
        if let Some(sorted) = pane.db.and_then(|i| pane.sort.of(i)) {
            let column = db.columns().get(sorted.column).map_or("", String::as_str);
            title.push_str(&format!(
                "· sorted by {column} {} ",
                sort::arrow(sorted.direction)
            ));
        }
        block = block.title(Line::from(title));
        if pane.sort.running() {
            block = block.title(Line::from(Span::styled(" sorting… ", theme.warning())));
        }
    }
    if let Some((digits, _)) = &pane.typed_count {
        block = block.title_bottom(Line::from(Span::styled(
            format!(" {digits}: G goes to row {digits} "),
            theme.label(),
        )));
    }
    let len = pane.len(catalog);
    let columns = if pane.across() { 3 } else { pane.count };
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
    let rows_area = pane.rows_area(area, search_line);
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
    let focused = app.screen.focus == Pane::Records;
    focused_cell(pane, catalog, rows_area, buf, theme);
    if pane.across() {
        across_table(pane, catalog, table_area, buf, theme, focused);
    } else if let Some(db) = db {
        database_table(pane, db, table_area, buf, theme, focused);
    }
}

fn empty_message(app: &App, catalog: &Catalog, db: Option<&Database>) -> String {
    let pane = &app.records;
    if let Some(a) = pane.applied.as_ref().filter(|_| pane.filtered()) {
        return format!("no matches for {:?} in {}", a.text, a.scope.label());
    }
    if pane.searching() {
        return "searching…".into();
    }
    match (db, app.databases.selected()) {
        (Some(db), _) => format!("{}: no records (only a header)", db.name()),
        (None, Some(Entry::Skipped(i))) => match catalog.skipped().get(i) {
            Some(skipped) => format!(
                "nothing to show: the archive entry {} was not read as a database: {}",
                skipped.path,
                skipped.reason.describe()
            ),
            None => "nothing to show".into(),
        },
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
    if let Some(jump) = &pane.jump {
        return Line::from(vec![
            Span::styled(":", theme.label()),
            Span::raw(jump.clone()),
            Span::styled("█", theme.dim()),
            Span::styled(
                format!(
                    "  go to row (1-{}), Enter goes, Esc cancels",
                    pane.len(catalog)
                ),
                theme.dim(),
            ),
        ]);
    }
    let mut spans = vec![
        Span::styled(pane.intent.sigil(), theme.label()),
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
    spans.push(Span::styled(
        format!("  {}", pane.mode.name()),
        theme.title(true),
    ));
    if let Some(error) = &pane.error {
        spans.push(Span::styled(format!("  {error}"), theme.warning()));
    }
    if pane.searching() {
        let spin = SPINNER[(app.clock.ticks % 4) as usize];
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

/// A cell: the value cut to its width, matched characters (found when the row first showed, `None` with no
/// search applied) highlighted, a missing field marked as such.
fn cell(
    value: Option<&str>,
    width: usize,
    matched: Option<&[usize]>,
    theme: &Theme,
) -> Cell<'static> {
    match value {
        None => Cell::from(Span::styled("∅", theme.missing())),
        Some(v) => match matched {
            Some(positions) => Cell::from(text::highlight_in_view(
                v,
                positions,
                width,
                Style::new(),
                theme.matched(),
            )),
            None => Cell::from(text::fit(v, width)),
        },
    }
}

/// The focused cell in full below the table: its column's name, then its value wrapped.
fn focused_cell(
    pane: &RecordsPane,
    catalog: &Catalog,
    rows: Rect,
    buf: &mut Buffer,
    theme: &Theme,
) {
    if pane.cell_lines == 0 {
        return;
    }
    let Some((name, value)) = pane.focused_cell(catalog) else {
        return;
    };
    let label = format!("{name}: ");
    let label_w = text::width(&label) as u16;
    let lines = pane.focused_lines(catalog, pane.cell_lines);
    let style = if value.is_some() {
        Style::new()
    } else {
        theme.missing()
    };
    for (i, line) in lines.iter().enumerate().take(pane.cell_lines) {
        let y = rows.bottom() + i as u16;
        if i == 0 {
            buf.set_stringn(rows.x, y, &label, usize::from(rows.width), theme.label());
        }
        let x = rows.x + label_w.min(rows.width);
        let room = usize::from(rows.right().saturating_sub(x));
        buf.set_stringn(x, y, line, room, style);
    }
}

/// A cell's lines when rows wrap: the value wrapped to the column, as many lines as the row has.
fn wrapped(value: Option<&str>, width: usize, lines: usize, theme: &Theme) -> Cell<'static> {
    match value {
        None => Cell::from(Span::styled("∅", theme.missing())),
        Some(v) => {
            let text: Vec<Line> = columns::wrap_at_most(v, width, lines)
                .into_iter()
                .map(Line::from)
                .collect();
            Cell::from(ratatui::text::Text::from(text))
        }
    }
}

fn database_table(
    pane: &RecordsPane,
    db: &Database,
    area: Rect,
    buf: &mut Buffer,
    theme: &Theme,
    focused: bool,
) {
    let shown = &pane.layout.shown;
    let gutter = pane.layout.gutter;
    let columns = db.columns();
    let number = |n: String| {
        Cell::from(Span::styled(
            text::pad(&n, gutter.saturating_sub(1)),
            theme.dim(),
        ))
    };
    let mut header_cells = Vec::new();
    if gutter > 0 {
        header_cells.push(number("#".into()));
    }
    let sorted = pane.db.and_then(|i| pane.sort.of(i));
    header_cells.extend(shown.iter().map(|&(c, w)| {
        let mut name = columns.get(c).cloned().unwrap_or_default();
        if let Some(s) = sorted.filter(|s| s.column == c) {
            name = format!("{name} {}", sort::arrow(s.direction));
        }
        let name = name.as_str();
        let style = if c == pane.col {
            theme.header().patch(theme.current_cell())
        } else {
            theme.header()
        };
        Cell::from(Span::styled(text::fit(name, w), style))
    }));
    let header = Row::new(header_cells);
    let rows = pane.heights.iter().enumerate().filter_map(|(n, &lines)| {
        let i = pane.cursor.offset + n;
        let row = pane.row(i)?;
        let record = db.record(row.record)?;
        let current = i == pane.cursor.pos;
        let mut cells = Vec::new();
        if gutter > 0 {
            let n = format!("{:>w$}", row.record + 1, w = gutter - 1);
            // Dim on the selection's background would not show: the current row's number takes its style.
            cells.push(if current { Cell::from(n) } else { number(n) });
        }
        cells.extend(shown.iter().map(|&(c, w)| {
            let mut cell = if pane.wrap {
                wrapped(record.value(c), w, lines, theme)
            } else {
                let matched = pane.highlights.get((row.db, row.record, c));
                cell(record.value(c), w, matched, theme)
            };
            if c == 0 {
                cell = cell.style(theme.key_column());
            }
            if current && c == pane.col {
                cell = cell.style(theme.current_cell());
            }
            cell
        }));
        let row = Row::new(cells).height(lines as u16);
        Some(if current {
            row.style(theme.selected(focused))
        } else {
            row
        })
    });
    let mut widths: Vec<Constraint> = Vec::new();
    if gutter > 0 {
        widths.push(Constraint::Length(gutter.saturating_sub(1) as u16));
    }
    widths.extend(shown.iter().map(|&(_, w)| Constraint::Length(w as u16)));
    Table::new(rows, widths)
        .header(header)
        .column_spacing(1)
        .render(area, buf);
}

fn across_table(
    pane: &RecordsPane,
    catalog: &Catalog,
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
        let label = field_name(db, field);
        let value = record.fields().nth(field).unwrap_or("");
        let prefix = format!("{label}: ");
        let room = match_w.saturating_sub(text::width(&prefix));
        let mut matched = vec![Span::styled(prefix, theme.dim())];
        let positions = pane
            .highlights
            .get((row.db, row.record, field))
            .unwrap_or_default();
        matched.extend(
            text::highlight_in_view(value, positions, room, Style::new(), theme.matched()).spans,
        );
        let current = i == pane.cursor.pos;
        let mut cells = vec![
            Cell::from(text::fit(db.name(), name_w)),
            cell(
                Some(record.key()),
                key_w,
                pane.highlights.get((row.db, row.record, 0)),
                theme,
            )
            .style(theme.key_column()),
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

//! \[1\] Databases: name, records, columns, version (said once in the title when uniform) and warnings, then
//! the archive entries that were skipped, each with its reason when selected.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, Widget};

use super::layout;
use super::theme::Theme;
use crate::catalog::{Catalog, Warnings};
use crate::tui::app::{App, Pane};
use crate::tui::state::databases::Entry;
use crate::tui::text;

pub fn render(app: &App, block: Block, area: Rect, buf: &mut Buffer, theme: &Theme) {
    let pane = &app.databases;
    let Some(catalog) = &app.data.catalog else {
        let message = if app.data.load_error.is_some() {
            "nothing to show: the archive could not be read (see [3] Cache)"
        } else {
            "loading…"
        };
        let inner = block.inner(area);
        block.render(area, buf);
        super::placeholder(message, inner, buf, theme.dim());
        return;
    };
    let legend = legend(app, catalog);
    let legend_width = legend.chars().count();
    let mut block = block.title_bottom(Line::from(legend));
    // One version on every database is said once, in the title, instead of on every row.
    let version_column = !pane.uniform_version || pane.common_version.is_none();
    let mut top_titles = TITLE_WIDTH;
    if let Some(v) = pane.common_version.as_deref().filter(|_| !version_column) {
        let title = format!(" all {v} ");
        top_titles += title.chars().count() + 1;
        block = block.title(Line::from(Span::styled(title, theme.dim())));
    }
    let skipped = catalog.skipped().len();
    if skipped > 0 {
        let title = format!(" {skipped} skipped ");
        // Where the top border has no room left (a narrow pane), the count goes under the list, if it
        // fits there beside the legend; the list's SKIP rows say it anyway.
        let width = title.chars().count();
        let line = Line::from(Span::styled(title, theme.dim()));
        if top_titles + width + 2 <= usize::from(area.width) {
            block = block.title(line);
        } else if legend_width + width + 3 <= usize::from(area.width) {
            block = block.title_bottom(line.right_aligned());
        }
    }
    let inner = block.inner(area);
    block.render(area, buf);
    let mut top = inner;
    if app.filter_line() {
        let cursor = if pane.editing { "█" } else { "" };
        let line = Line::from(vec![
            Span::styled("/", theme.label()),
            Span::raw(format!("{}{cursor}", pane.filter)),
            Span::styled(
                format!(
                    "  {}/{}",
                    pane.entries.len(),
                    catalog.databases().len() + catalog.failed().len() + catalog.skipped().len()
                ),
                theme.dim(),
            ),
        ]);
        buf.set_line(inner.x, inner.y, &line, inner.width);
        top.y += 1;
        top.height = top.height.saturating_sub(1);
    }
    let rows_area = layout::table_rows(area, u16::from(app.filter_line()));
    let height = usize::from(rows_area.height);
    if pane.entries.is_empty() {
        let message = if pane.filter.is_empty() {
            "no databases"
        } else {
            "no database matches the filter"
        };
        super::placeholder(message, rows_area, buf, theme.dim());
    }
    let focused = app.screen.focus == Pane::Databases;
    let common = pane.common_version.as_deref();
    let count_width = catalog
        .databases()
        .iter()
        .map(|d| text::thousands(d.len()).len())
        .max()
        .unwrap_or(1)
        .max(4);
    let version_width = catalog
        .databases()
        .iter()
        .filter_map(|d| d.version())
        .map(text::width)
        .max()
        .unwrap_or(0);
    let version_width = if version_width == 0 {
        3
    } else {
        version_width + 2
    };
    // On a narrow pane the name keeps the room: the column count goes first (it is in the Records pane).
    let cols_column = top.width >= 34;
    let marker_width = if skipped > 0 { 4 } else { 3 };
    let mut widths = vec![Constraint::Fill(1), Constraint::Length(count_width as u16)];
    if cols_column {
        widths.push(Constraint::Length(4));
    }
    if version_column {
        widths.push(Constraint::Length(version_width as u16));
    }
    widths.push(Constraint::Length(marker_width));
    // Names are cut with an ellipsis: the table would cut them silently, and `camera_` reads as a name.
    let name_width = usize::from(
        ratatui::layout::Layout::horizontal(widths.clone())
            .spacing(1)
            .split(top)[0]
            .width,
    );
    let row_of = |cells: [Cell<'static>; 5]| {
        let [name, rows, cols, version, marker] = cells;
        let mut out = vec![name, rows];
        if cols_column {
            out.push(cols);
        }
        if version_column {
            out.push(version);
        }
        out.push(marker);
        Row::new(out)
    };
    let rows = pane
        .entries
        .iter()
        .enumerate()
        .skip(pane.cursor.offset)
        .take(height)
        .map(|(i, entry)| {
            let row = match *entry {
                Entry::Loaded(d) => {
                    let db = &catalog.databases()[d];
                    let version = match (db.version(), common) {
                        (Some(v), Some(c)) if v != c => {
                            Cell::from(Span::styled(format!("{v} ≠"), theme.warning()))
                        }
                        (Some(v), _) => Cell::from(v.to_string()),
                        (None, _) => Cell::from(Span::styled("-", theme.dim())),
                    };
                    row_of([
                        Cell::from(text::fit(db.name(), name_width)),
                        Cell::from(Line::from(text::thousands(db.len())).right_aligned()),
                        Cell::from(Line::from(db.columns().len().to_string()).right_aligned()),
                        version,
                        Cell::from(Span::styled(markers(db.warnings()), theme.warning())),
                    ])
                }
                Entry::Failed(f) => {
                    let failed = &catalog.failed()[f];
                    row_of([
                        Cell::from(text::fit(&failed.name, name_width)),
                        Cell::from(Line::from("-").right_aligned()),
                        Cell::from(Line::from("-").right_aligned()),
                        Cell::from("-"),
                        Cell::from(Span::styled("ERR", theme.error())),
                    ])
                }
                Entry::Skipped(k) => {
                    let path = catalog.skipped().get(k).map_or("", |s| s.path.as_str());
                    row_of([
                        Cell::from(Span::styled(text::fit(path, name_width), theme.dim())),
                        Cell::from(Line::from("-").right_aligned()),
                        Cell::from(Line::from("-").right_aligned()),
                        Cell::from("-"),
                        Cell::from(Span::styled("SKIP", theme.dim())),
                    ])
                }
            };
            if i == pane.cursor.pos {
                row.style(theme.selected(focused))
            } else {
                row
            }
        });
    let header = row_of([
        Cell::from("name"),
        Cell::from(Line::from("rows").right_aligned()),
        Cell::from(Line::from("cols").right_aligned()),
        Cell::from("version"),
        Cell::from("!"),
    ])
    .style(theme.header());
    Table::new(rows, widths)
        .header(header)
        .column_spacing(1)
        .render(top, buf);
    // What matters about a failed database or a skipped entry is why: said in full under the list.
    let why = match pane.selected() {
        Some(Entry::Failed(f)) => catalog
            .failed()
            .get(f)
            .map(|failed| (format!("{}: {}", failed.name, failed.error), theme.error())),
        Some(Entry::Skipped(k)) => catalog.skipped().get(k).map(|s| {
            let reason = format!("{}: skipped: {}", s.path, s.reason.describe());
            (reason, theme.warning())
        }),
        _ => None,
    };
    if let Some((why, style)) = why {
        {
            let used = (pane.entries.len().saturating_sub(pane.cursor.offset)).min(height) as u16;
            let rest = Rect {
                y: rows_area.y + used,
                height: rows_area.height.saturating_sub(used),
                ..rows_area
            };
            if rest.height > 0 {
                Paragraph::new(Span::styled(why, style))
                    .wrap(ratatui::widgets::Wrap { trim: true })
                    .render(rest, buf);
            }
        }
    }
}

/// `D` duplicate keys, `R` ragged rows, `K` empty keys: one letter each, explained in the legend.
fn markers(w: &Warnings) -> String {
    let mut out = String::new();
    if w.duplicate_rows > 0 {
        out.push('D');
    }
    if w.ragged_rows > 0 {
        out.push('R');
    }
    if w.empty_key_rows > 0 {
        out.push('K');
    }
    out
}

/// The selected database's warnings in words, for the bottom border; short, as `list` heads its columns,
/// so they fit a narrow pane.
/// The top border's own title with the focus marker, "▶ [1] Databases", and the corner before it.
const TITLE_WIDTH: usize = 17;

fn legend(app: &App, catalog: &Catalog) -> String {
    let words = match app.databases.selected() {
        Some(Entry::Loaded(d)) => {
            let db = &catalog.databases()[d];
            let w = db.warnings();
            let mut parts = Vec::new();
            if w.duplicate_rows > 0 {
                parts.push(format!("D {} dup", w.duplicate_rows));
            }
            if w.ragged_rows > 0 {
                parts.push(format!("R {} ragged", w.ragged_rows));
            }
            if w.empty_key_rows > 0 {
                parts.push(format!("K {} no key", w.empty_key_rows));
            }
            if let (Some(v), Some(c)) = (db.version(), app.databases.common_version.as_deref())
                && v != c
            {
                parts.push(format!("≠ differs from {c}"));
            }
            if parts.is_empty() {
                "no warnings".to_string()
            } else {
                parts.join(" · ")
            }
        }
        Some(Entry::Failed(_)) => "ERR parse error".to_string(),
        Some(Entry::Skipped(_)) => "SKIP not read as a database".to_string(),
        None => return String::new(),
    };
    format!(" {words} ")
}

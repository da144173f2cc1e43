//! \[1\] Databases: name, records, columns, version (flagged when it differs from the rest) and warnings.

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
    let Some(catalog) = &app.catalog else {
        let message = if app.load_error.is_some() {
            "nothing to show: the archive could not be read (see [3] Cache)"
        } else {
            "loading…"
        };
        let inner = block.inner(area);
        block.render(area, buf);
        super::placeholder(message, inner, buf, theme.dim());
        return;
    };
    let block = block.title_bottom(Line::from(legend(app, catalog)));
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
                    catalog.databases().len() + catalog.failed().len()
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
    let focused = app.focus == Pane::Databases;
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
    let widths = [
        Constraint::Fill(1),
        Constraint::Length(count_width as u16),
        Constraint::Length(4),
        Constraint::Length(version_width as u16),
        Constraint::Length(3),
    ];
    // Names are cut with an ellipsis: the table would cut them silently, and `camera_` reads as a name.
    let name_width = usize::from(
        ratatui::layout::Layout::horizontal(widths)
            .spacing(1)
            .split(top)[0]
            .width,
    );
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
                    Row::new(vec![
                        Cell::from(text::fit(db.name(), name_width)),
                        Cell::from(Line::from(text::thousands(db.len())).right_aligned()),
                        Cell::from(Line::from(db.columns().len().to_string()).right_aligned()),
                        version,
                        Cell::from(Span::styled(markers(db.warnings()), theme.warning())),
                    ])
                }
                Entry::Failed(f) => {
                    let failed = &catalog.failed()[f];
                    Row::new(vec![
                        Cell::from(text::fit(&failed.name, name_width)),
                        Cell::from(Line::from("-").right_aligned()),
                        Cell::from(Line::from("-").right_aligned()),
                        Cell::from("-"),
                        Cell::from(Span::styled("ERR", theme.error())),
                    ])
                }
            };
            if i == pane.cursor.pos {
                row.style(theme.selected(focused))
            } else {
                row
            }
        });
    let header = Row::new(vec![
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
    if let Some(Entry::Failed(f)) = pane.selected() {
        // The parse error is what matters about a failed database: show it in full under the list.
        if let Some(failed) = catalog.failed().get(f) {
            let used = (pane.entries.len().saturating_sub(pane.cursor.offset)).min(height) as u16;
            let rest = Rect {
                y: rows_area.y + used,
                height: rows_area.height.saturating_sub(used),
                ..rows_area
            };
            if rest.height > 0 {
                Paragraph::new(Span::styled(
                    format!("{}: {}", failed.name, failed.error),
                    theme.error(),
                ))
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
        None => return String::new(),
    };
    format!(" {words} ")
}

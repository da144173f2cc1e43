//! The record detail overlay: every column name beside its full value, wrapped, with the record's position and
//! lookup key; a missing field of a short row says so instead of looking empty.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

use super::layout;
use super::theme::Theme;
use crate::tui::app::App;
use crate::tui::state::columns;
use crate::tui::text;

const MAX_NAME: usize = 24;
/// Lines of one value the overlay shows: a value of megabytes is wrapped only this far, each frame.
const MAX_VALUE_LINES: usize = 2000;

/// Draws the record and returns how far it can scroll (0 when there is none to draw).
pub fn render(app: &App, scroll: u16, area: Rect, buf: &mut Buffer, theme: &Theme) -> u16 {
    let Some(catalog) = &app.data.catalog else {
        return 0;
    };
    let Some(row) = app.records.current(catalog) else {
        return 0;
    };
    let Some(db) = catalog.databases().get(row.db) else {
        return 0;
    };
    let Some(record) = db.record(row.record) else {
        return 0;
    };
    let rect = layout::centered(area, (90, 86), (40, 12));
    Clear.render(rect, buf);
    let title = format!(" {} · key {} ", db.name(), text::fit(record.key(), 40));
    let position = format!(
        "row {}/{} here · record {} of {} in {}",
        text::thousands(app.records.cursor.pos + 1),
        text::thousands(app.records.len(catalog)),
        text::thousands(record.index() + 1),
        text::thousands(db.len()),
        db.name()
    );
    let block = Block::bordered()
        .border_style(theme.border(true))
        .title(Span::styled(title, theme.title(true)))
        .title_bottom(Line::from(" y copy · n/N next/prev · Esc close ").right_aligned());
    let inner = block.inner(rect);
    block.render(rect, buf);

    let columns = db.columns();
    let extras: Vec<&str> = record.extra().collect();
    let name_w = columns
        .iter()
        .map(|c| text::width(c))
        .chain(std::iter::once(7))
        .chain((!extras.is_empty()).then_some(9))
        .max()
        .unwrap_or(7)
        .min(MAX_NAME);
    let value_w = usize::from(inner.width).saturating_sub(name_w + 3).max(8);
    let mut lines: Vec<Line> = vec![Line::from(Span::styled(position, theme.dim()))];
    let field = |name: &str, value: Option<&str>, lines: &mut Vec<Line<'static>>| {
        let label = Span::styled(text::pad(name, name_w), theme.label());
        match value {
            None => lines.push(Line::from(vec![
                label,
                Span::raw(" │ "),
                Span::styled(
                    "(missing: this row is shorter than the header)",
                    theme.missing(),
                ),
            ])),
            Some(v) => {
                // One line more than is shown tells whether the value goes on.
                let mut parts = columns::wrap_at_most(v, value_w, MAX_VALUE_LINES + 1);
                let cut = parts.len() > MAX_VALUE_LINES;
                parts.truncate(MAX_VALUE_LINES);
                for (i, part) in parts.into_iter().enumerate() {
                    let head = if i == 0 {
                        label.clone()
                    } else {
                        Span::raw(" ".repeat(name_w))
                    };
                    lines.push(Line::from(vec![head, Span::raw(" │ "), Span::raw(part)]));
                }
                if cut {
                    let note = format!(
                        "cut after {MAX_VALUE_LINES} lines: the value has {} in all (y copies the record whole)",
                        text::bytes(v.len() as u64)
                    );
                    lines.push(Line::from(vec![
                        Span::raw(" ".repeat(name_w)),
                        Span::raw(" │ "),
                        Span::styled(note, theme.dim()),
                    ]));
                }
            }
        }
    };
    let lookup = format!("backstore get {} {}", db.name(), record.key());
    lines.push(Line::from(vec![
        Span::styled(text::pad("lookup", name_w), theme.dim()),
        Span::raw(" │ "),
        Span::styled(lookup, theme.dim()),
    ]));
    if let Some(version) = record.version() {
        field("version", Some(version), &mut lines);
    }
    if record.is_ragged() {
        let have = record.fields().count();
        lines.push(Line::from(Span::styled(
            format!(
                "ragged row: {have} fields, the header has {}",
                columns.len()
            ),
            theme.warning(),
        )));
    }
    for (name, value) in columns.iter().zip(record.values()) {
        field(name, value, &mut lines);
    }
    for (i, extra) in extras.iter().enumerate() {
        field(&format!("(extra {})", i + 1), Some(extra), &mut lines);
    }
    let max_scroll = super::max_scroll(&lines, inner);
    Paragraph::new(lines)
        .scroll((scroll.min(max_scroll), 0))
        .render(inner, buf);
    max_scroll
}

//! The frequency table (value, count, %, bar; Enter filters to the value) and the statistics of the
//! focused column, over the Records pane.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Clear, Row, Table, Widget};

use super::layout;
use super::theme::Theme;
use crate::insight::{ColumnStats, FrequencyTable};
use crate::tui::app::App;
use crate::tui::state::insight::{InsightKind, InsightResult, Shown};
use crate::tui::text;

pub fn render(app: &App, area: Rect, buf: &mut Buffer, theme: &Theme) {
    let Some(shown) = &app.insight.shown else {
        return;
    };
    let Some(catalog) = &app.data.catalog else {
        return;
    };
    let Some(db) = catalog.databases().get(shown.db) else {
        return;
    };
    let column = db.columns().get(shown.column).map_or("", String::as_str);
    let what = match shown.kind {
        InsightKind::Frequency => "frequency",
        InsightKind::Stats => "statistics",
    };
    let rect = layout::centered(area, (80, 80), (40, 12));
    Clear.render(rect, buf);
    let hint = match shown.kind {
        InsightKind::Frequency => " j/k move · Enter filter to the value · Esc close ",
        InsightKind::Stats => " Esc close ",
    };
    let block = Block::bordered()
        .border_style(theme.border(true))
        .title(Span::styled(
            format!(" {what} of {}.{column} ", db.name()),
            theme.title(true),
        ))
        .title_bottom(Line::from(hint).right_aligned());
    let inner = block.inner(rect);
    block.render(rect, buf);
    match &shown.result {
        None => super::placeholder("computing…", inner, buf, theme.warning()),
        Some(Err(e)) => super::placeholder(e, inner, buf, theme.error()),
        Some(Ok(InsightResult::Frequency(table))) => frequency(table, shown, inner, buf, theme),
        Some(Ok(InsightResult::Stats(stats))) => statistics(stats, inner, buf, theme),
    }
}

fn frequency(table: &FrequencyTable, shown: &Shown, area: Rect, buf: &mut Buffer, theme: &Theme) {
    if area.height < 2 {
        return;
    }
    let summary = format!(
        "{} distinct · {} empty · {} missing · {} records",
        text::thousands(table.values.len()),
        text::thousands(table.empty),
        text::thousands(table.missing),
        text::thousands(table.records)
    );
    buf.set_stringn(
        area.x,
        area.y,
        summary,
        usize::from(area.width),
        theme.dim(),
    );
    let rows_area = Rect {
        y: area.y + 1,
        height: area.height - 1,
        ..area
    };
    let height = usize::from(rows_area.height.saturating_sub(1)).max(1);
    let offset = shown.selected.saturating_sub(height - 1);
    let count_w = table
        .values
        .first()
        .map_or(5, |v| text::thousands(v.count).len())
        .max(5);
    let width = usize::from(area.width);
    let bar_w = (width / 4).max(4);
    let value_w = width.saturating_sub(count_w + 7 + bar_w + 3).max(4);
    let most = table.values.first().map_or(1, |v| v.count).max(1);
    let rows = table
        .values
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(i, v)| {
            let filled = (v.count * bar_w).div_ceil(most).min(bar_w);
            let row = Row::new(vec![
                Cell::from(text::fit(&v.value, value_w)),
                Cell::from(Line::from(text::thousands(v.count)).right_aligned()),
                Cell::from(Line::from(format!("{:.1}%", v.percent)).right_aligned()),
                Cell::from(Span::styled("█".repeat(filled), theme.label())),
            ]);
            if i == shown.selected {
                row.style(theme.selected(true))
            } else {
                row
            }
        });
    let header = Row::new(vec!["value", "count", "%", ""]).style(theme.header());
    let widths = [
        Constraint::Length(value_w as u16),
        Constraint::Length(count_w as u16),
        Constraint::Length(6),
        Constraint::Length(bar_w as u16),
    ];
    Table::new(rows, widths)
        .header(header)
        .column_spacing(1)
        .render(rows_area, buf);
}

fn statistics(stats: &ColumnStats, area: Rect, buf: &mut Buffer, theme: &Theme) {
    let row = |name: &str, value: String| {
        Line::from(vec![
            Span::styled(text::pad(name, 12), theme.label()),
            Span::raw(value),
        ])
    };
    let length = |n: Option<usize>| n.map_or("-".to_string(), |n| format!("{n} characters"));
    let mut lines = vec![
        row("records", text::thousands(stats.records)),
        row("distinct", text::thousands(stats.distinct)),
        row("empty", text::thousands(stats.empty)),
        row("missing", text::thousands(stats.missing)),
        row("min length", length(stats.min_length)),
        row("max length", length(stats.max_length)),
    ];
    match &stats.numeric {
        Some(n) => {
            lines.push(row("min", format!("{}", n.min)));
            lines.push(row("max", format!("{}", n.max)));
            lines.push(row("mean", format!("{:.4}", n.mean)));
        }
        None => lines.push(Line::from(Span::styled(
            "not numeric: some value is not a plain number",
            theme.dim(),
        ))),
    }
    super::scrolled_paragraph(lines, 0, area, buf);
}

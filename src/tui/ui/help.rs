//! The help overlay, generated from the keymap table: every key, by where it applies.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Widget};

use super::layout;
use super::theme::Theme;
use crate::tui::keys;
use crate::tui::text;

/// Draws the help and returns how far it can scroll.
pub fn render(scroll: u16, area: Rect, buf: &mut Buffer, theme: &Theme) -> u16 {
    let rect = layout::centered(area, (80, 90), (40, 12));
    Clear.render(rect, buf);
    let block = Block::bordered()
        .border_style(theme.border(true))
        .title(Span::styled(" Keys ", theme.title(true)))
        .title_bottom(Line::from(" j/k scroll · Esc close ").right_aligned());
    let inner = block.inner(rect);
    block.render(rect, buf);
    let lines = lines(theme);
    super::scrolled_paragraph(lines, scroll, inner, buf)
}

fn lines(theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for (title, bindings) in keys::help_sections() {
        if !lines.is_empty() {
            lines.push(Line::default());
        }
        lines.push(Line::from(Span::styled(title, theme.header())));
        for binding in bindings {
            let keys: Vec<String> = binding.keys.iter().map(keys::describe).collect();
            lines.push(Line::from(vec![
                Span::styled(
                    text::pad(&format!("  {}", keys.join(" ")), 20),
                    theme.label(),
                ),
                Span::raw(binding.help),
            ]));
        }
    }
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        "Typing a filter or search: other characters go into the text. The mouse: click focuses, wheel scrolls.",
        theme.dim(),
    )));
    lines
}

//! Drawing: `impl Widget for &App` lays out the panes, footer, overlays and toast. Rendering only reads state
//! and only touches the rows that are visible.

pub mod cache;
pub mod databases;
pub mod detail;
pub mod diff;
pub mod help;
pub mod insight;
/// The geometry lives beside the state, which needs it too; drawing reads it from there.
pub use super::layout;
pub mod records;
pub mod theme;
pub mod timing;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget, Wrap};

use super::app::{App, Overlay, Pane, Question};
use super::keys;
use super::text;
use layout::ScrollLimits;
use theme::Theme;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        draw(self, area, buf);
    }
}

/// Draws the App and reports how far each scrolling text it drew can scroll, for the loop to hand back
/// with [`App::drawn`].
pub fn draw(app: &App, area: Rect, buf: &mut Buffer) -> ScrollLimits {
    let mut limits = ScrollLimits::default();
    let theme = Theme::new(app.look.no_color);
    let Some(areas) = layout::areas(area, app.screen.focus, app.screen.zoom) else {
        let message = format!(
            "terminal too small: need {}x{}, have {}x{}",
            layout::MIN_WIDTH,
            layout::MIN_HEIGHT,
            area.width,
            area.height
        );
        Paragraph::new(message)
            .wrap(Wrap { trim: true })
            .render(area, buf);
        return limits;
    };
    for pane in Pane::ALL {
        let rect = areas.pane(pane);
        if rect.width == 0 || rect.height == 0 {
            continue;
        }
        let block = pane_block(app, pane, &theme);
        match pane {
            Pane::Databases => databases::render(app, block, rect, buf, &theme),
            Pane::Records => records::render(app, block, rect, buf, &theme),
            Pane::Cache => limits.cache = Some(cache::render(app, block, rect, buf, &theme)),
            Pane::Timing => limits.timing = Some(timing::render(app, block, rect, buf, &theme)),
        }
    }
    footer(app, areas.footer, buf, &theme);
    match &app.screen.overlay {
        Overlay::None => {}
        Overlay::Help { scroll } => {
            limits.help = Some(help::render(*scroll, area, buf, &theme));
        }
        Overlay::Detail { scroll } => {
            limits.detail = Some(detail::render(app, *scroll, area, buf, &theme));
        }
        Overlay::Diff { scroll } => {
            limits.diff = Some(diff::render(app, *scroll, area, buf, &theme));
        }
        Overlay::Insight => insight::render(app, area, buf, &theme),
        Overlay::Confirm(question) => confirm(app, question, area, buf, &theme),
    }
    toast(app, areas.footer, buf, &theme);
    split_clusters(area, buf);
    limits
}

/// Gives each character of a cluster such as Devanagari `रा` or a flag its own cell, as terminals lay them out:
/// kept as one wide cell, a later redraw of that cell leaves the terminal's second half on screen as a stray
/// mark. The bytes sent are the same; only the diff between frames now matches the terminal.
fn split_clusters(area: Rect, buf: &mut Buffer) {
    for y in area.top()..area.bottom() {
        let mut x = area.left();
        while x < area.right() {
            let symbol = buf[(x, y)].symbol();
            // Nearly every cell holds one character: nothing to split, and no copy made.
            if symbol.len() == 1 || symbol.chars().nth(1).is_none() {
                x += symbol.width().max(1) as u16;
                continue;
            }
            let cell = buf[(x, y)].clone();
            let symbol = cell.symbol();
            let width = symbol.width();
            let mut parts: Vec<String> = Vec::new();
            for c in symbol.chars() {
                match (c.width().unwrap_or(0), parts.last_mut()) {
                    (0, Some(last)) => last.push(c),
                    (1, _) => parts.push(c.to_string()),
                    _ => {
                        parts.clear();
                        break;
                    }
                }
            }
            let fits = x.saturating_add(width as u16) <= area.right();
            if parts.len() > 1 && parts.len() == width && fits {
                for (i, part) in parts.iter().enumerate() {
                    let mut split = cell.clone();
                    split.set_symbol(part);
                    buf[(x + i as u16, y)] = split;
                }
            }
            x += width.max(1) as u16;
        }
    }
}

/// A pane's frame with its numbered title; the focused one stands out by weight and reverse, not only colour.
fn pane_block<'a>(app: &App, pane: Pane, theme: &Theme) -> Block<'a> {
    let focused = app.screen.focus == pane;
    let marker = if focused { "▶ " } else { "" };
    Block::bordered()
        .border_style(theme.border(focused))
        .title(Line::from(Span::styled(
            format!("{marker}{}", pane.title()),
            theme.title(focused),
        )))
}

fn footer(app: &App, area: Rect, buf: &mut Buffer, theme: &Theme) {
    // `? help` stays at the right edge however many hints the left side has to drop.
    let help = Line::from(vec![Span::styled("?", theme.label()), Span::raw(" help ")]);
    let help_w = help.width() as u16;
    let left = area.width.saturating_sub(help_w + 1);
    let mut spans = Vec::new();
    let mut used = 0;
    let hints = keys::hints(app).into_iter().filter(|(key, _)| *key != "?");
    for (key, what) in hints {
        // Whole hints only: a hint cut in half reads as a different key.
        let sep = if spans.is_empty() { 0 } else { 3 };
        let w = sep + text::width(key) + 1 + text::width(what);
        if used + w > usize::from(left) {
            break;
        }
        used += w;
        if sep > 0 {
            spans.push(Span::styled(" · ", theme.dim()));
        }
        spans.push(Span::styled(key, theme.label()));
        spans.push(Span::raw(format!(" {what}")));
    }
    buf.set_line(area.x, area.y, &Line::from(spans), left);
    if area.width > help_w {
        buf.set_line(area.right() - help_w, area.y, &help, help_w);
    }
}

fn toast(app: &App, footer: Rect, buf: &mut Buffer, theme: &Theme) {
    let Some(toast) = &app.toast else { return };
    let max = usize::from(footer.width.saturating_sub(2));
    let shown = format!(" {} ", text::fit(&toast.text, max.saturating_sub(2)));
    let w = text::width(&shown) as u16;
    let y = footer.y.saturating_sub(1);
    let x = footer.right().saturating_sub(w + 1);
    let area = Rect::new(x, y, w.min(footer.width), 1);
    Clear.render(area, buf);
    buf.set_string(x, y, shown, theme.toast());
}

fn confirm(app: &App, question: &Question, area: Rect, buf: &mut Buffer, theme: &Theme) {
    let (title, body) = match question {
        Question::Invalidate => (
            "Delete the cache?",
            "Every cache file goes; the loaded data stays, and the next load rebuilds from the archive.".to_string(),
        ),
        Question::DeleteFile(path) => ("Delete this cache file?", app.show_path(path)),
    };
    let rect = layout::centered(area, (50, 30), (36, 7));
    Clear.render(rect, buf);
    let lines = vec![
        Line::from(body),
        Line::default(),
        Line::from(vec![
            Span::styled("y", theme.label()),
            Span::raw(" yes   "),
            Span::styled("n", theme.label()),
            Span::raw(" no"),
        ]),
    ];
    Paragraph::new(lines)
        .wrap(Wrap { trim: true })
        .block(
            Block::bordered()
                .border_style(theme.warning())
                .title(Span::styled(title, theme.warning())),
        )
        .render(rect, buf);
}

/// Draws wrapped lines scrolled by `scroll`, never past the point where the last line shows, and returns
/// how far they can scroll.
pub fn scrolled_paragraph(
    lines: Vec<Line<'static>>,
    scroll: u16,
    area: Rect,
    buf: &mut Buffer,
) -> u16 {
    let limit = max_scroll(&lines, area);
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .scroll((scroll.min(limit), 0))
        .render(area, buf);
    limit
}

/// How far wrapped `lines` can scroll in `area`: the rows they take, counted by drawing them off screen, past
/// its height. Counting lines instead leaves a wrapped last line out of reach.
pub fn max_scroll(lines: &[Line<'static>], area: Rect) -> u16 {
    if area.width == 0 {
        return 0;
    }
    let width = usize::from(area.width);
    let bound: usize = lines.iter().map(|l| 2 * (l.width() / width + 1)).sum();
    // Lines that fit even at twice the rows they need cannot scroll: no measuring render.
    if bound <= usize::from(area.height) {
        return 0;
    }
    let scratch = Rect::new(0, 0, area.width, bound.clamp(1, 4096) as u16);
    let mut buf = Buffer::empty(scratch);
    Paragraph::new(lines.to_vec())
        .wrap(Wrap { trim: false })
        .render(scratch, &mut buf);
    let rows = (0..scratch.height)
        .rev()
        .find(|y| (0..scratch.width).any(|x| buf[(x, *y)].symbol() != " "))
        .map_or(0, |y| y + 1);
    rows.saturating_sub(area.height)
}

/// A message in the middle of an empty pane.
pub fn placeholder(message: &str, area: Rect, buf: &mut Buffer, style: Style) {
    if area.height == 0 {
        return;
    }
    Paragraph::new(message.to_string())
        .style(style)
        .wrap(Wrap { trim: true })
        .render(area, buf);
}

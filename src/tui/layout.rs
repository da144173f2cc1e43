//! Where each pane goes for a terminal size: a 2x2 grid from 80x20, panes stacked below that (the focused one
//! gets the room), and nothing below the minimum. Input handling uses the same geometry as drawing.

use ratatui::layout::{Constraint, Layout, Rect};

use crate::tui::app::Pane;

pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 15;
const GRID_WIDTH: u16 = 80;
const GRID_HEIGHT: u16 = 20;

/// The screen's regions; a hidden pane has an empty rectangle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub panes: [Rect; 4],
    pub footer: Rect,
}

impl Areas {
    pub fn pane(&self, pane: Pane) -> Rect {
        self.panes[pane.index()]
    }

    pub fn pane_at(&self, x: u16, y: u16) -> Option<Pane> {
        Pane::ALL.into_iter().find(|p| {
            let r = self.pane(*p);
            r.width > 0 && x >= r.x && x < r.right() && y >= r.y && y < r.bottom()
        })
    }
}

/// The regions for a screen, or `None` when it is too small to draw.
pub fn areas(area: Rect, focus: Pane, zoom: bool) -> Option<Areas> {
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        return None;
    }
    let [main, footer] = Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(area);
    let mut panes = [Rect::default(); 4];
    if zoom {
        panes[focus.index()] = main;
    } else if area.width >= GRID_WIDTH && area.height >= GRID_HEIGHT {
        let [top, bottom] =
            Layout::vertical([Constraint::Percentage(55), Constraint::Fill(1)]).areas(main);
        let list = (area.width * 2 / 5).clamp(32, 48);
        let [dbs, records] =
            Layout::horizontal([Constraint::Length(list), Constraint::Fill(1)]).areas(top);
        let [cache, timing] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Fill(1)]).areas(bottom);
        panes = [dbs, records, cache, timing];
    } else {
        let constraints = Pane::ALL.map(|p| {
            if p == focus {
                Constraint::Fill(1)
            } else {
                Constraint::Length(3)
            }
        });
        let split = Layout::vertical(constraints).split(main);
        for (slot, rect) in panes.iter_mut().zip(split.iter()) {
            *slot = *rect;
        }
    }
    Some(Areas { panes, footer })
}

/// The inside of a bordered pane.
pub fn inner(pane: Rect) -> Rect {
    Rect {
        x: pane.x.saturating_add(1),
        y: pane.y.saturating_add(1),
        width: pane.width.saturating_sub(2),
        height: pane.height.saturating_sub(2),
    }
}

/// The rows of a table inside a pane, below `top` extra lines and the header.
pub fn table_rows(pane: Rect, top: u16) -> Rect {
    let inner = inner(pane);
    let skip = (top + 1).min(inner.height);
    Rect {
        y: inner.y + skip,
        height: inner.height - skip,
        ..inner
    }
}

/// A centred rectangle for overlays: `percent` of the screen, at least `min` cells where the screen allows.
pub fn centered(area: Rect, percent: (u16, u16), min: (u16, u16)) -> Rect {
    let w = (area.width * percent.0 / 100).max(min.0).min(area.width);
    let h = (area.height * percent.1 / 100).max(min.1).min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// How far each scrolling text could scroll when it was last drawn (`None` until it is drawn). Drawing
/// measures the wrapped text and reports these; state clamps its scroll offsets with them and never
/// measures text itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScrollLimits {
    pub help: Option<u16>,
    pub detail: Option<u16>,
    pub diff: Option<u16>,
    pub cache: Option<u16>,
    pub timing: Option<u16>,
}

/// `scroll` kept within a known limit; unknown (not drawn yet), it is left as it is for drawing to clamp.
pub fn clamp_scroll(scroll: u16, limit: Option<u16>) -> u16 {
    limit.map_or(scroll, |limit| scroll.min(limit))
}

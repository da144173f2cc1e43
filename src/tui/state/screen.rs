//! What the screen shows: the four panes, the overlay over them, which pane has focus, zoom and the
//! terminal's size, and how far its texts could scroll when last drawn.

use std::path::PathBuf;

use crate::tui::layout::ScrollLimits;

/// The four panes, in focus order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Databases,
    Records,
    Cache,
    Timing,
}

impl Pane {
    pub const ALL: [Pane; 4] = [Pane::Databases, Pane::Records, Pane::Cache, Pane::Timing];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn title(self) -> &'static str {
        match self {
            Pane::Databases => "[1] Databases",
            Pane::Records => "[2] Records",
            Pane::Cache => "[3] Cache",
            Pane::Timing => "[4] Timing",
        }
    }
}

/// A question waiting for y/n.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Question {
    Invalidate,
    DeleteFile(PathBuf),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    None,
    Help {
        scroll: u16,
    },
    /// Every change between the cached data and the archive.
    Diff {
        scroll: u16,
    },
    /// The focused column's frequency table or statistics.
    Insight,
    /// The current record, transposed.
    Detail {
        scroll: u16,
    },
    Confirm(Question),
}

/// The screen's arrangement: focus, overlay, zoom and the terminal's size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screen {
    pub focus: Pane,
    pub overlay: Overlay,
    /// The focused pane alone on the screen.
    pub zoom: bool,
    /// Columns and rows.
    pub size: (u16, u16),
    /// How far each text could scroll in the last frame drawn.
    pub limits: ScrollLimits,
}

impl Default for Screen {
    fn default() -> Self {
        Screen {
            focus: Pane::Databases,
            overlay: Overlay::None,
            zoom: false,
            size: (80, 24),
            limits: ScrollLimits::default(),
        }
    }
}

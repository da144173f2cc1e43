//! Every style the inspector draws with, in one place. With `NO_COLOR` only bold, underline and reverse are
//! used; every state is also a word, so nothing depends on colour alone.

use ratatui::style::{Color, Modifier, Style};

use crate::tui::state::cache::Verdict;

#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    pub fn new(no_color: bool) -> Self {
        Theme { color: !no_color }
    }

    fn pick(&self, colored: Style, plain: Style) -> Style {
        if self.color { colored } else { plain }
    }

    pub fn border(&self, focused: bool) -> Style {
        if focused {
            self.pick(
                Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
                Style::new().add_modifier(Modifier::BOLD),
            )
        } else {
            self.pick(Style::new().fg(Color::DarkGray), Style::new())
        }
    }

    pub fn title(&self, focused: bool) -> Style {
        if focused {
            Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED)
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        }
    }

    pub fn header(&self) -> Style {
        self.pick(
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        )
    }

    pub fn key_column(&self) -> Style {
        self.pick(
            Style::new().fg(Color::Cyan),
            Style::new().add_modifier(Modifier::BOLD),
        )
    }

    /// The cursor row: reversed everywhere, so it shows without colour.
    pub fn selected(&self, focused: bool) -> Style {
        if focused {
            Style::new().add_modifier(Modifier::REVERSED)
        } else {
            self.pick(
                Style::new().bg(Color::DarkGray),
                Style::new().add_modifier(Modifier::UNDERLINED),
            )
        }
    }

    pub fn current_cell(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }

    pub fn matched(&self) -> Style {
        self.pick(
            Style::new()
                .fg(Color::LightYellow)
                .add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        )
    }

    pub fn dim(&self) -> Style {
        self.pick(
            Style::new().fg(Color::DarkGray),
            Style::new().add_modifier(Modifier::DIM),
        )
    }

    pub fn missing(&self) -> Style {
        self.pick(
            Style::new()
                .fg(Color::Magenta)
                .add_modifier(Modifier::ITALIC),
            Style::new().add_modifier(Modifier::ITALIC),
        )
    }

    pub fn warning(&self) -> Style {
        self.pick(
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD),
        )
    }

    pub fn error(&self) -> Style {
        self.pick(
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD),
        )
    }

    pub fn good(&self) -> Style {
        self.pick(Style::new().fg(Color::Green), Style::new())
    }

    pub fn label(&self) -> Style {
        self.pick(
            Style::new().fg(Color::Blue).add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD),
        )
    }

    /// The verdict badge: a word on a coloured ground.
    pub fn verdict(&self, verdict: Verdict) -> Style {
        let bold = Style::new().add_modifier(Modifier::BOLD);
        if !self.color {
            return bold.add_modifier(Modifier::REVERSED);
        }
        let (fg, bg) = match verdict {
            Verdict::Fresh => (Color::Black, Color::Green),
            Verdict::Stale | Verdict::FormatChanged => (Color::Black, Color::Yellow),
            Verdict::Missing | Verdict::Checking => (Color::Black, Color::Gray),
            Verdict::InMemoryOnly => (Color::Black, Color::Cyan),
            Verdict::Corrupt | Verdict::Error => (Color::White, Color::Red),
        };
        bold.fg(fg).bg(bg)
    }

    /// Highlights the part of a hash from its first differing character.
    pub fn differs(&self) -> Style {
        self.pick(
            Style::new().fg(Color::Black).bg(Color::Yellow),
            Style::new().add_modifier(Modifier::REVERSED),
        )
    }

    /// Ground colours for the phases of the stacked bar, which also carries each phase's letter.
    pub fn phase(&self, i: usize) -> Style {
        const COLORS: [Color; 9] = [
            Color::Blue,
            Color::Magenta,
            Color::Green,
            Color::Cyan,
            Color::Yellow,
            Color::Red,
            Color::LightBlue,
            Color::LightGreen,
            Color::LightMagenta,
        ];
        self.pick(
            Style::new().fg(Color::Black).bg(COLORS[i % COLORS.len()]),
            if i.is_multiple_of(2) {
                Style::new().add_modifier(Modifier::REVERSED)
            } else {
                Style::new()
            },
        )
    }

    pub fn toast(&self) -> Style {
        self.pick(
            Style::new().fg(Color::Black).bg(Color::LightCyan),
            Style::new().add_modifier(Modifier::REVERSED),
        )
    }

    pub fn gauge(&self) -> Style {
        self.pick(Style::new().fg(Color::Cyan), Style::new())
    }
}

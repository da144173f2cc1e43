//! The record diff: what changed between the cache file and the archive, database by database: records
//! added and removed by key, and for a changed record each field that differs, old → new. The Cache pane
//! shows a summary; `D` opens this overlay with all of it.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Widget};

use super::layout;
use super::theme::Theme;
use crate::catalog::diff::{CatalogDiff, DatabaseDiff, DiffKind};
use crate::tui::app::App;
use crate::tui::state::cache::DiffState;
use crate::tui::text;

/// What to do about a stale cache, in one sentence.
pub const WHAT_TO_DO: &str = "The archive changed since the cache was built; the records shown are the cached ones. \
     r reloads (rebuilding the cache), c rebuilds now, D shows every change.";

/// Draws the overlay and returns how far it can scroll.
pub fn render(app: &App, scroll: u16, area: Rect, buf: &mut Buffer, theme: &Theme) -> u16 {
    let rect = layout::centered(area, (90, 90), (40, 12));
    Clear.render(rect, buf);
    let block = Block::bordered()
        .border_style(theme.border(true))
        .title(Span::styled(
            " What changed: cache → archive ",
            theme.title(true),
        ))
        .title_bottom(
            Line::from(" j/k scroll · r reload · c rebuild · Esc close ").right_aligned(),
        );
    let inner = block.inner(rect);
    block.render(rect, buf);
    let width = usize::from(inner.width);
    let mut lines = Vec::new();
    match &app.cache.diff {
        DiffState::NotRun => lines.push(Line::from("the cache is not stale: nothing to compare")),
        DiffState::Running => lines.push(Line::from(Span::styled(
            "comparing the cache file with the archive…",
            theme.warning(),
        ))),
        DiffState::Failed(e) => lines.push(Line::from(Span::styled(
            format!("could not compare: {e}"),
            theme.error(),
        ))),
        DiffState::Done(diff) => full(diff, width, theme, &mut lines),
    }
    super::scrolled_paragraph(lines, scroll, inner, buf)
}

/// One line per database: what kind of change and how many records of each.
pub fn summary(diff: &CatalogDiff, theme: &Theme, lines: &mut Vec<Line<'static>>) {
    if diff.is_empty() {
        lines.push(Line::from(Span::styled(
            "no record differs (the archive's bytes changed, its data did not)",
            theme.dim(),
        )));
    }
    for db in &diff.databases {
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", db.name), theme.label()),
            Span::styled(counts(db), theme.warning()),
        ]));
    }
}

fn counts(db: &DatabaseDiff) -> String {
    match db.change {
        DiffKind::Modified => {
            let mut parts = Vec::new();
            if !db.added.is_empty() {
                parts.push(format!("+{} added", db.added.len()));
            }
            if !db.removed.is_empty() {
                parts.push(format!("-{} removed", db.removed.len()));
            }
            if !db.changed.is_empty() {
                parts.push(format!("~{} changed", db.changed.len()));
            }
            if db.columns.is_some() {
                parts.push("columns changed".into());
            }
            if db.version.is_some() {
                parts.push("version changed".into());
            }
            if parts.is_empty() {
                parts.push("modified".into());
            }
            format!(
                "{} ({} → {} records)",
                parts.join(" · "),
                db.records.old,
                db.records.new
            )
        }
        kind => format!(
            "{} ({} → {} records)",
            kind.word(),
            db.records.old,
            db.records.new
        ),
    }
}

fn full(diff: &CatalogDiff, width: usize, theme: &Theme, lines: &mut Vec<Line<'static>>) {
    if diff.is_empty() {
        lines.push(Line::from(
            "no record differs: only the archive's bytes changed",
        ));
        return;
    }
    let room = width.saturating_sub(4);
    for db in &diff.databases {
        if !lines.is_empty() {
            lines.push(Line::default());
        }
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", db.name), theme.header()),
            Span::styled(counts(db), theme.warning()),
        ]));
        if let Some(v) = &db.version {
            lines.push(Line::from(format!(
                "  version {} → {}",
                v.old.as_deref().unwrap_or("-"),
                v.new.as_deref().unwrap_or("-")
            )));
        }
        if let Some(c) = &db.columns {
            lines.push(Line::from(text::fit(
                &format!("  columns {} → {}", c.old.join(", "), c.new.join(", ")),
                room,
            )));
        }
        for r in &db.added {
            lines.push(Line::from(vec![
                Span::styled("  + ", theme.good()),
                Span::raw(text::fit(&r.key, room)),
            ]));
        }
        for r in &db.removed {
            lines.push(Line::from(vec![
                Span::styled("  - ", theme.error()),
                Span::raw(text::fit(&r.key, room)),
            ]));
        }
        for r in &db.changed {
            lines.push(Line::from(vec![
                Span::styled("  ~ ", theme.warning()),
                Span::raw(text::fit(&r.key, room)),
            ]));
            for f in &r.fields {
                let show = |v: &Option<String>| {
                    v.as_deref()
                        .map_or("(missing)".into(), |v| format!("{v:?}"))
                };
                lines.push(Line::from(vec![
                    Span::styled(format!("      {}: ", f.column), theme.label()),
                    Span::styled(show(&f.old), theme.error()),
                    Span::raw(" → "),
                    Span::styled(show(&f.new), theme.good()),
                ]));
            }
        }
    }
}

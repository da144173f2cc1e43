//! \[3\] Cache: the verdict in one word and the check that decided it, the archive's and the cache's SHA-256
//! side by side from the first differing character, the file's facts, other versions' files and verify.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Widget};

use super::theme::Theme;
use crate::cache::report::{age, rfc3339};
use crate::cache::{ChangeKind, Outcome};
use crate::hex;
use crate::tui::app::{App, Pane};
use crate::tui::state::cache::{DiffState, Verdict, VerifyState};
use crate::tui::text;

const LABEL: usize = 9;

/// Draws the pane and returns how far it can scroll.
pub fn render(app: &App, block: Block, area: Rect, buf: &mut Buffer, theme: &Theme) -> u16 {
    let inner = block.inner(area);
    block.render(area, buf);
    let lines = lines(app, usize::from(inner.width), theme);
    super::scrolled_paragraph(lines, app.cache.scroll, inner, buf)
}

fn label(name: &str, theme: &Theme) -> Span<'static> {
    Span::styled(text::pad(name, LABEL), theme.label())
}

pub fn lines(app: &App, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let pane = &app.cache;
    let (verdict, reason) = pane.verdict();
    let mut lines = vec![Line::from(vec![
        Span::styled(format!(" {} ", verdict.word()), theme.verdict(verdict)),
        Span::raw(" "),
        Span::raw(reason),
    ])];
    if verdict == Verdict::Error {
        lines.push(Line::default());
        lines.push(Line::from(Span::styled(
            "What to do: check that --archive names a readable .tar.gz of CSV files, or leave it out to use the \
             embedded archive. It loads as soon as the file is readable; r here retries now.",
            theme.warning(),
        )));
        return lines;
    }
    if verdict == Verdict::Stale {
        lines.push(Line::from(Span::styled(
            super::diff::WHAT_TO_DO,
            theme.warning(),
        )));
        match &pane.diff {
            DiffState::NotRun => {}
            DiffState::Running => lines.push(Line::from(Span::styled(
                "comparing the cache with the archive, record by record…",
                theme.dim(),
            ))),
            DiffState::Failed(e) => lines.push(Line::from(Span::styled(
                format!("could not compare: {e}"),
                theme.error(),
            ))),
            DiffState::Done(diff) => super::diff::summary(diff, theme, &mut lines),
        }
    }
    if verdict == Verdict::InMemoryOnly {
        lines.push(Line::from(Span::styled(
            "The data is loaded but no cache is used or written: every start parses the archive.",
            theme.warning(),
        )));
    }
    let Some(status) = &pane.status else {
        return lines;
    };
    let room = width.saturating_sub(LABEL);
    let archive_hex = hex::encode(&status.archive.sha256);
    let cache_hex = status.cache.source_sha256.map(|h| hex::encode(&h));
    let diff = cache_hex
        .as_deref()
        .and_then(|c| c.chars().zip(archive_hex.chars()).position(|(a, b)| a != b));
    lines.push(Line::from(
        [label("archive", theme)]
            .into_iter()
            .chain(hash_spans(&archive_hex, diff, room, theme))
            .collect::<Vec<_>>(),
    ));
    let mut cache_line = vec![label("cache", theme)];
    match &cache_hex {
        Some(c) => cache_line.extend(hash_spans(c, diff, room, theme)),
        None => cache_line.push(Span::styled("(no cache file)", theme.dim())),
    }
    lines.push(Line::from(cache_line));
    lines.push(Line::from(vec![
        label("source", theme),
        Span::raw(status.archive.source.clone()),
        Span::styled(
            format!(" ({})", text::bytes(status.archive.bytes)),
            theme.dim(),
        ),
    ]));
    let mut facts = vec![label("version", theme), Span::raw(status.version.clone())];
    if let Some(format) = status.cache.format_version {
        facts.push(Span::raw(format!(" · format {format}")));
    }
    if let Some(bytes) = status.cache.bytes {
        facts.push(Span::raw(format!(" · {}", text::bytes(bytes))));
    }
    lines.push(Line::from(facts));
    if let Some(built) = status.cache.built_at {
        lines.push(Line::from(vec![
            label("built", theme),
            Span::raw(rfc3339(built)),
            Span::styled(format!(" ({})", age(built, app.clock.now)), theme.dim()),
        ]));
    }
    if let Some(path) = &status.cache.path {
        lines.push(Line::from(vec![
            label("file", theme),
            Span::raw(fit_left(&app.show_path(path), room)),
        ]));
    }
    if !status.changed.is_empty() {
        let list: Vec<String> = status
            .changed
            .iter()
            .map(|c| {
                let sign = match c.change {
                    ChangeKind::Added => "+",
                    ChangeKind::Removed => "-",
                    ChangeKind::Modified => "~",
                };
                format!("{sign}{} ({})", c.database, c.change.word())
            })
            .collect();
        lines.push(Line::from(vec![
            label("changed", theme),
            Span::styled(list.join(", "), theme.warning()),
        ]));
    }
    if let Some(report) = &app.data.report {
        let how = match &report.outcome {
            Outcome::Built(reason) => format!("{} ({reason})", report.outcome.summary()),
            Outcome::Loaded | Outcome::InMemory { .. } => report.outcome.summary().to_string(),
        };
        lines.push(Line::from(vec![
            label("data", theme),
            Span::styled(how, theme.dim()),
        ]));
    }
    lines.push(verify_line(&pane.verify, theme));
    if !status.other_cache_files.is_empty() {
        lines.push(Line::from(Span::styled(
            "other versions (d deletes the selected one):",
            theme.label(),
        )));
        let focused = app.screen.focus == Pane::Cache;
        for (i, file) in status.other_cache_files.iter().enumerate() {
            let name = file
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let when = file
                .modified
                .map(|m| age(m, app.clock.now))
                .unwrap_or_default();
            let row = format!(
                "{} {name}  {}  {when}",
                if i == pane.selected { "▶" } else { " " },
                text::bytes(file.bytes)
            );
            let style = if i == pane.selected && focused {
                theme.selected(true)
            } else {
                ratatui::style::Style::new()
            };
            lines.push(Line::from(Span::styled(row, style)));
        }
    }
    lines
}

fn verify_line(verify: &VerifyState, theme: &Theme) -> Line<'static> {
    let (word, style) = match verify {
        VerifyState::NotRun => (
            "not run: press v to compare the cache with the archive".to_string(),
            theme.dim(),
        ),
        VerifyState::Running => ("running…".to_string(), theme.warning()),
        VerifyState::Same => (
            "SAME: the cache matches a fresh parse record by record".to_string(),
            theme.good(),
        ),
        VerifyState::Differs(d) => (format!("DIFFERS: {d}"), theme.error()),
        VerifyState::Failed(e) => (format!("FAILED: {e}"), theme.error()),
    };
    Line::from(vec![label("verify", theme), Span::styled(word, style)])
}

/// A hash cut to `room` columns around its first differing character, which is highlighted onward.
fn hash_spans(hash: &str, diff: Option<usize>, room: usize, theme: &Theme) -> Vec<Span<'static>> {
    let len = hash.len();
    let (mut start, mut end) = (0, len.min(room));
    if len > room {
        end = room.saturating_sub(1);
        if let Some(d) = diff
            && d + 4 > end
        {
            start = d.saturating_sub(room / 3);
            end = (start + room.saturating_sub(2)).min(len);
        }
    }
    let mut spans = Vec::new();
    if start > 0 {
        spans.push(Span::styled("…", theme.dim()));
    }
    let cut = diff.map_or(end, |d| d.clamp(start, end));
    spans.push(Span::raw(hash[start..cut].to_string()));
    if cut < end {
        spans.push(Span::styled(hash[cut..end].to_string(), theme.differs()));
    }
    if end < len {
        spans.push(Span::styled("…", theme.dim()));
    }
    spans
}

/// A path cut from the left, where the less telling part is, to `room` columns.
fn fit_left(path: &str, room: usize) -> String {
    if text::width(path) <= room || room < 2 {
        return path.to_string();
    }
    let mut kept: Vec<char> = Vec::new();
    let mut used = 1;
    for c in path.chars().rev() {
        let w = text::width(&c.to_string());
        if used + w > room {
            break;
        }
        used += w;
        kept.push(c);
    }
    std::iter::once('…').chain(kept.into_iter().rev()).collect()
}

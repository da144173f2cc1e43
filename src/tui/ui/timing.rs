//! \[4\] Timing: progress while work runs, the last load's phases as a stacked bar, and a series' statistics as
//! hyperfine prints them, with sparklines of the run history and the break-even line.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Widget};

use super::theme::Theme;
use crate::cache::Phase;
use crate::timing::verdicts;
use crate::timing::{self, LoadKind};
use crate::tui::app::App;
use crate::tui::state::timing::{LastRun, WARMUP, kind_word};
use crate::tui::text;

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
const SPINNER: [char; 4] = ['|', '/', '-', '\\'];

/// Draws the pane and returns how far it can scroll.
pub fn render(app: &App, block: Block, area: Rect, buf: &mut Buffer, theme: &Theme) -> u16 {
    let block = block.title(Line::from(format!(" N={} ", app.timing.runs)));
    let inner = block.inner(area);
    block.render(area, buf);
    let lines = lines(app, usize::from(inner.width), theme);
    super::scrolled_paragraph(lines, app.timing.scroll, inner, buf)
}

pub fn lines(app: &App, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let pane = &app.timing;
    let mut lines = Vec::new();
    if let Some(path) = &pane.export_to {
        lines.push(Line::from(vec![
            Span::styled("write the series to: ", theme.label()),
            Span::raw(path.clone()),
            Span::styled("█", theme.dim()),
        ]));
        lines.push(Line::from(Span::styled(
            "Enter writes (never over an existing file) · Esc cancels",
            theme.dim(),
        )));
    }
    if let Some(running) = &app.jobs.running {
        lines.push(gauge(running.ratio(), app.clock.ticks, width, theme));
        lines.push(Line::from(Span::styled(running.label(), theme.warning())));
    }
    if let Some(error) = &pane.error {
        lines.push(Line::from(Span::styled(
            format!("failed: {error}"),
            theme.error(),
        )));
    }
    if let Some(series) = &pane.series {
        let state = if app.jobs.running.is_some() {
            " (running)"
        } else if pane.cancelled {
            " (cancelled)"
        } else {
            ""
        };
        let on_disk = app.data.source != "embedded";
        let verdicts = verdicts::verdicts(series, on_disk);
        if !state.is_empty() || verdicts.is_none() {
            lines.push(Line::from(Span::styled(
                format!("series{state}:"),
                theme.header(),
            )));
        }
        if let Some(v) = &verdicts {
            lines.push(Line::from(Span::styled(
                v.headline.clone(),
                theme.good().add_modifier(ratatui::style::Modifier::BOLD),
            )));
            if let Some(note) = &v.hash_note {
                lines.push(Line::from(Span::styled(note.clone(), theme.dim())));
            }
        }
        for kind in [LoadKind::Cold, LoadKind::Warm] {
            if let Some(summary) = series.summary(kind) {
                // The series' own runs only: loads outside it are not part of what it measured.
                let times: Vec<f64> = series
                    .samples(kind)
                    .iter()
                    .map(|s| s.total.as_secs_f64())
                    .collect();
                lines.push(Line::from(vec![
                    Span::styled(format!("{}: ", kind_word(kind)), theme.label()),
                    Span::styled(sparkline(&times, width.saturating_sub(8)), theme.gauge()),
                ]));
                lines.extend(summary.lines().into_iter().map(Line::from));
                if let Some(warning) = summary.warning() {
                    lines.push(Line::from(Span::styled(warning, theme.warning())));
                }
            }
        }
        if let Some(v) = verdicts {
            lines.push(Line::from(Span::styled(v.break_even, theme.dim())));
        }
    }
    let mut any = false;
    // One time scale for both bars: the longer load fills the width, the other is drawn to scale.
    let longest = pane
        .last
        .iter()
        .flatten()
        .map(|l| l.total.as_secs_f64())
        .fold(0.0, f64::max);
    for last in pane.last.iter().flatten() {
        any = true;
        let head = format!(
            "{} {:>9} ",
            kind_word(last.kind),
            timing::duration(last.total)
        );
        let room = width.saturating_sub(text::width(&head));
        let share = if longest > 0.0 {
            last.total.as_secs_f64() / longest
        } else {
            1.0
        };
        let scaled = ((room as f64 * share).round() as usize).clamp(1, room.max(1));
        let mut line = vec![Span::styled(head.clone(), theme.label())];
        line.extend(stacked_bar(last, scaled, theme).spans);
        lines.push(Line::from(line));
        lines.extend(legend(last, width, theme));
    }
    if !any && app.jobs.running.is_none() {
        lines.push(Line::from(Span::styled(
            format!("c cold load · w warm load · b series of {} cold + {} warm (+{WARMUP} warm-up each)", pane.runs, pane.runs),
            theme.dim(),
        )));
    }
    lines
}

/// `[██████░░░░] 60%`, or a bouncing block when the end is unknown.
fn gauge(ratio: Option<f64>, ticks: u64, width: usize, theme: &Theme) -> Line<'static> {
    let bar = width.saturating_sub(8).max(4);
    let text = if let Some(r) = ratio {
        let filled = ((r.clamp(0.0, 1.0) * bar as f64).round() as usize).min(bar);
        format!(
            "{}{} {:>3.0}%",
            "█".repeat(filled),
            "░".repeat(bar - filled),
            r * 100.0
        )
    } else {
        let at = (ticks as usize) % bar;
        let spin = SPINNER[(ticks % 4) as usize];
        format!("{}█{} {spin}", "░".repeat(at), "░".repeat(bar - at - 1))
    };
    Line::from(Span::styled(text, theme.gauge()))
}

fn phases_of(last: &LastRun) -> Vec<(usize, Phase, f64)> {
    let order: &[Phase] = match last.kind {
        LoadKind::Cold => &Phase::COLD,
        LoadKind::Warm => &Phase::WARM,
    };
    order
        .iter()
        .enumerate()
        .filter_map(|(i, p)| last.phases.get(*p).map(|d| (i, *p, d.as_secs_f64())))
        .collect()
}

/// Each phase's share of the width, filled with its initial so the bar reads without colour.
fn stacked_bar(last: &LastRun, width: usize, theme: &Theme) -> Line<'static> {
    let phases = phases_of(last);
    let total: f64 = phases.iter().map(|(_, _, t)| t).sum();
    if total <= 0.0 || width == 0 {
        return Line::default();
    }
    let mut spans = Vec::new();
    let mut used = 0;
    let mut acc = 0.0;
    for (i, phase, t) in &phases {
        acc += t;
        let end = ((acc / total) * width as f64).round() as usize;
        let cells = end.saturating_sub(used);
        if cells == 0 {
            continue;
        }
        let letter = phase.name().chars().next().unwrap_or('?');
        spans.push(Span::styled(
            letter.to_string().repeat(cells),
            theme.phase(*i),
        ));
        used = end;
    }
    Line::from(spans)
}

fn legend(last: &LastRun, width: usize, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for (i, phase, t) in phases_of(last) {
        let item = format!("{} {}", phase.name(), timing::seconds(t));
        let w = text::width(&item) + 3;
        if used + w > width && !spans.is_empty() {
            lines.push(Line::from(std::mem::take(&mut spans)));
            used = 0;
        }
        let letter = phase.name().chars().next().unwrap_or('?');
        spans.push(Span::styled(letter.to_string(), theme.phase(i)));
        spans.push(Span::raw(format!(" {item}  ")));
        used += w;
    }
    if !spans.is_empty() {
        lines.push(Line::from(spans));
    }
    lines
}

/// The last `room` values as bars scaled between their minimum and maximum.
fn sparkline(times: &[f64], room: usize) -> String {
    let shown = &times[times.len().saturating_sub(room)..];
    let min = shown.iter().copied().fold(f64::INFINITY, f64::min);
    let max = shown.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let span = max - min;
    shown
        .iter()
        .map(|t| {
            let level = if span > 0.0 {
                ((t - min) / span * 7.0).round() as usize
            } else {
                3
            };
            BARS[level.min(7)]
        })
        .collect()
}

//! How each action changes the App: input and navigation here, worker results in `results.rs`.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use super::action::{Action, LoadKind};
use super::app::{App, Effect, Job, Overlay, Pane, Question};
use super::layout::{ScrollLimits, clamp_scroll};
use super::state::records::SearchScope;
use super::state::timing::{MAX_RUNS, Running, WARMUP};
use crate::timing::{self, SeriesOptions};

/// Lines the mouse wheel moves.
const WHEEL: isize = 3;

impl App {
    pub(super) fn apply(&mut self, action: Action) {
        // Digits typed in Records wait for G; anything else a person does first ends the count.
        if self.records.typed_count.is_some() && ends_count(&action) {
            let (digits, _) = self.records.typed_count.take().unwrap_or_default();
            if matches!(action, Action::Bottom) {
                if let (Some(catalog), Ok(n)) = (self.data.catalog.clone(), digits.parse::<usize>())
                {
                    self.records.go_to_row(&catalog, n);
                }
                return;
            }
            self.count_as_focus(&digits);
        }
        match action {
            Action::Quit => self.quit = true,
            Action::Tick(now) => {
                self.clock.now = now;
                self.clock.ticks += 1;
                // A lone 1-4 not followed by G within half a second was a focus key.
                if let Some((digits, at)) = &self.records.typed_count
                    && self.clock.ticks >= at + 2
                {
                    let digits = digits.clone();
                    self.records.typed_count = None;
                    self.count_as_focus(&digits);
                }
                if self
                    .toast
                    .as_ref()
                    .is_some_and(|t| t.until <= self.clock.ticks)
                {
                    self.toast = None;
                }
            }
            Action::Resize(w, h) => self.screen.size = (w, h),
            Action::FocusNext => self.screen.focus = Pane::ALL[(self.screen.focus.index() + 1) % 4],
            Action::FocusPrev => self.screen.focus = Pane::ALL[(self.screen.focus.index() + 3) % 4],
            Action::Focus(pane) => self.screen.focus = pane,
            Action::ToggleHelp => {
                self.screen.overlay = match self.screen.overlay {
                    Overlay::Help { .. } => Overlay::None,
                    _ => Overlay::Help { scroll: 0 },
                }
            }
            Action::ToggleZoom => self.screen.zoom = !self.screen.zoom,
            Action::Close => {
                if self.screen.overlay == Overlay::Insight {
                    self.insight.close();
                }
                self.screen.overlay = Overlay::None;
            }
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            Action::PageUp => self.move_by(-self.page()),
            Action::PageDown => self.move_by(self.page()),
            Action::Top => self.move_by(isize::MIN / 2),
            Action::Bottom => self.move_by(isize::MAX / 2),
            Action::Left => self.records.step_column(-1),
            Action::Right => self.records.step_column(1),
            Action::Enter => self.enter(),
            Action::Click { x, y } => self.click(x, y),
            Action::Scroll { x, y, down } => self.wheel(x, y, down),
            Action::StartInput => self.start_input(),
            Action::StartFilter => {
                if self.screen.focus == Pane::Records && self.data.catalog.is_some() {
                    self.records
                        .start_search(super::state::records::Intent::Filter);
                }
            }
            Action::CycleMode => {
                if self.screen.focus == Pane::Records {
                    self.records.cycle_mode();
                    self.search(false);
                }
            }
            Action::Input(c) => self.edit(|text| text.push(c)),
            Action::Backspace => self.edit(|text| {
                text.pop();
            }),
            Action::ClearInput => self.edit(String::clear),
            Action::AcceptInput
                if self.screen.focus == Pane::Timing && self.timing.export_to.is_some() =>
            {
                let path = self.timing.export_to.take().unwrap_or_default();
                match &self.timing.series {
                    Some(series) if !path.trim().is_empty() => self.push(Effect::Job(Job::Export(
                        series.to_json(),
                        std::path::PathBuf::from(path),
                    ))),
                    _ => self.notify("nothing written: no file name"),
                }
            }
            Action::CancelInput
                if self.screen.focus == Pane::Timing && self.timing.export_to.is_some() =>
            {
                self.timing.export_to = None;
                self.notify("export cancelled");
            }
            Action::AcceptInput
                if self.screen.focus == Pane::Records && self.records.jump.is_some() =>
            {
                let typed = self.records.jump.take().unwrap_or_default();
                match (self.data.catalog.clone(), typed.parse::<usize>()) {
                    (Some(catalog), Ok(n)) => self.records.go_to_row(&catalog, n),
                    _ => self.notify("type a row number after :"),
                }
            }
            Action::CancelInput
                if self.screen.focus == Pane::Records && self.records.jump.is_some() =>
            {
                self.records.jump = None;
            }
            Action::AcceptInput => {
                self.databases.editing = false;
                self.records.editing = false;
            }
            Action::CancelInput | Action::ClearFilter => self.clear_filter(),
            Action::ToggleScope => self.toggle_scope(),
            Action::NextHit | Action::PrevHit => {
                let forward = matches!(action, Action::NextHit);
                if let Some(catalog) = self.data.catalog.clone() {
                    self.records.next_hit(&catalog, forward);
                }
                if let Overlay::Detail { scroll } = &mut self.screen.overlay {
                    *scroll = 0;
                }
            }
            Action::Copy => self.copy(),
            Action::ToggleWrap => self.records.wrap = !self.records.wrap,
            Action::SortAscending | Action::SortDescending => {
                let direction = match action {
                    Action::SortAscending => crate::insight::Direction::Ascending,
                    _ => crate::insight::Direction::Descending,
                };
                self.sort(direction);
            }
            Action::StartJump => {
                if self.data.catalog.is_some() {
                    self.records.jump = Some(String::new());
                }
            }
            Action::Count(d) => {
                let ticks = self.clock.ticks;
                let (digits, _) = self
                    .records
                    .typed_count
                    .get_or_insert((String::new(), ticks));
                if digits.len() < 12 {
                    digits.push(d);
                }
            }
            Action::CopyCell => self.copy_cell(),
            Action::Frequency => self.insight(super::state::insight::InsightKind::Frequency),
            Action::Stats => self.insight(super::state::insight::InsightKind::Stats),
            Action::FilterValue => self.filter_value(),
            Action::Verify => {
                self.cache.verify = super::state::cache::VerifyState::Running;
                if !self.start(Job::Verify, Running::Verify) {
                    self.cache.verify = super::state::cache::VerifyState::default();
                }
            }
            Action::DeleteOther => match self.selected_other() {
                Some(path) => self.screen.overlay = Overlay::Confirm(Question::DeleteFile(path)),
                None => self.notify("no other cache files to delete"),
            },
            Action::RefreshStatus
                if self.data.load_error.is_some() && self.data.catalog.is_none() =>
            {
                self.retry_load();
            }
            Action::RefreshStatus => self.push(Effect::Job(Job::Status)),
            Action::Reload if self.data.catalog.is_none() => self.retry_load(),
            Action::Reload => {
                self.screen.overlay = Overlay::None;
                self.start(Job::Load(LoadKind::Reload), Running::Reload);
            }
            Action::ShowDiff => match &self.cache.diff {
                super::state::cache::DiffState::NotRun => {
                    let outcome = self.data.report.as_ref().map(|r| &r.outcome);
                    self.notify(self.cache.no_diff(outcome));
                }
                _ => self.screen.overlay = Overlay::Diff { scroll: 0 },
            },
            Action::Cold => {
                if matches!(self.screen.overlay, Overlay::Diff { .. }) {
                    self.screen.overlay = Overlay::None;
                }
                self.start(
                    Job::Load(LoadKind::Cold),
                    Running::Load(timing::LoadKind::Cold),
                );
            }
            Action::Warm => {
                self.start(
                    Job::Load(LoadKind::Warm),
                    Running::Load(timing::LoadKind::Warm),
                );
            }
            Action::Invalidate => self.screen.overlay = Overlay::Confirm(Question::Invalidate),
            Action::Bench => {
                let options = SeriesOptions {
                    runs: self.timing.runs,
                    warmup: WARMUP,
                };
                let cancel = Arc::new(AtomicBool::new(false));
                if self.start(Job::Series(options, cancel), Running::Series(None)) {
                    self.timing.cancelled = false;
                    self.timing.error = None;
                }
            }
            Action::MoreRuns => {
                self.timing.runs =
                    (self.timing.runs + run_step(self.timing.runs, true)).min(MAX_RUNS);
            }
            Action::FewerRuns => {
                self.timing.runs = self
                    .timing
                    .runs
                    .saturating_sub(run_step(self.timing.runs, false))
                    .max(1);
            }
            Action::Cancel => self.cancel_series(),
            Action::Export => match &self.timing.series {
                Some(series) if !series.cold.is_empty() || !series.warm.is_empty() => {
                    // Where it goes is asked, with a name in the current folder offered.
                    let stamp: String = crate::cache::report::rfc3339(self.clock.now)
                        .chars()
                        .filter(char::is_ascii_alphanumeric)
                        .collect();
                    self.timing.export_to = Some(format!("backstore-bench-{stamp}.json"));
                }
                _ => self.notify("no series to export yet: press b to run one"),
            },
            Action::Confirm => self.confirm(),
            Action::Deny => self.screen.overlay = Overlay::None,
        }
    }

    /// Takes how far each text could scroll in the frame just drawn, and brings back any offset past it,
    /// so a key back up moves at once after scrolling past the end.
    pub fn drawn(&mut self, limits: ScrollLimits) {
        self.screen.limits = limits;
        match &mut self.screen.overlay {
            Overlay::Help { scroll } => *scroll = clamp_scroll(*scroll, limits.help),
            Overlay::Detail { scroll } => *scroll = clamp_scroll(*scroll, limits.detail),
            Overlay::Diff { scroll } => *scroll = clamp_scroll(*scroll, limits.diff),
            Overlay::None | Overlay::Insight | Overlay::Confirm(_) => {}
        }
        self.cache.scroll = clamp_scroll(self.cache.scroll, limits.cache);
        self.timing.scroll = clamp_scroll(self.timing.scroll, limits.timing);
    }

    /// How far a page key moves: the lines an overlay shows (the screen less its frame and footer), or the
    /// focused list's height.
    fn page(&self) -> isize {
        let lines = match self.screen.overlay {
            Overlay::Help { .. } | Overlay::Detail { .. } | Overlay::Diff { .. } => {
                usize::from(self.screen.size.1.saturating_sub(6)).max(1)
            }
            _ => self.list_height(self.screen.focus),
        };
        lines as isize
    }

    /// Moves whatever the focus (or the open overlay) scrolls.
    fn move_by(&mut self, delta: isize) {
        // Saturating over the whole u16 range, so that the end key reaches the end of a long overlay.
        let scroll_by = |s: &mut u16| {
            *s = (*s as isize)
                .saturating_add(delta)
                .clamp(0, u16::MAX as isize) as u16;
        };
        let limits = self.screen.limits;
        match &mut self.screen.overlay {
            Overlay::Help { scroll } => {
                scroll_by(scroll);
                *scroll = clamp_scroll(*scroll, limits.help);
                return;
            }
            Overlay::Detail { scroll } => {
                scroll_by(scroll);
                *scroll = clamp_scroll(*scroll, limits.detail);
                return;
            }
            Overlay::Diff { scroll } => {
                scroll_by(scroll);
                *scroll = clamp_scroll(*scroll, limits.diff);
                return;
            }
            Overlay::Confirm(_) => return,
            Overlay::Insight => return self.insight.step(delta),
            Overlay::None => {}
        }
        let Some(catalog) = self.data.catalog.clone() else {
            return;
        };
        match self.screen.focus {
            Pane::Databases => {
                let height = self.list_height(Pane::Databases);
                let len = self.databases.entries.len();
                self.databases.cursor.step(delta, len, height);
                self.show_selected_database();
            }
            Pane::Records => self.records.step(&catalog, delta),
            Pane::Cache => {
                // The pane scrolls too: on a short screen its last lines (verify, other files) are below.
                scroll_by(&mut self.cache.scroll);
                self.cache.scroll = clamp_scroll(self.cache.scroll, limits.cache);
                let others = self.cache.others();
                self.cache.selected = self
                    .cache
                    .selected
                    .saturating_add_signed(delta)
                    .min(others.saturating_sub(1));
            }
            Pane::Timing => {
                scroll_by(&mut self.timing.scroll);
                self.timing.scroll = clamp_scroll(self.timing.scroll, limits.timing);
            }
        }
    }

    /// Shows the database under the Databases cursor in Records, re-running a search scoped to it.
    pub(super) fn show_selected_database(&mut self) {
        let Some(catalog) = self.data.catalog.clone() else {
            return;
        };
        let db = self.databases.selected_database();
        if db == self.records.db {
            return;
        }
        self.records.select(&catalog, db);
        if self.records.scope == SearchScope::Database {
            self.records.drop_hits();
            if !self.records.input.trim().is_empty() {
                self.search(false);
            }
        }
    }

    pub(super) fn search(&mut self, keep_cursor: bool) {
        let Some(catalog) = self.data.catalog.clone() else {
            return;
        };
        if let Some(job) = self.records.request_search(&catalog, keep_cursor) {
            self.push(Effect::Search(job));
        }
    }

    fn enter(&mut self) {
        match self.screen.focus {
            Pane::Databases => self.screen.focus = Pane::Records,
            Pane::Records => {
                let current = self
                    .data
                    .catalog
                    .as_ref()
                    .and_then(|c| self.records.current(c));
                if current.is_some() {
                    self.screen.overlay = Overlay::Detail { scroll: 0 };
                }
            }
            _ => {}
        }
    }

    fn click(&mut self, x: u16, y: u16) {
        if self.screen.overlay != Overlay::None {
            return;
        }
        let Some(areas) = self.areas() else { return };
        let Some(pane) = areas.pane_at(x, y) else {
            return;
        };
        self.screen.focus = pane;
        let top = match pane {
            Pane::Databases => u16::from(self.filter_line()),
            _ => u16::from(self.search_line()),
        };
        let rows = match pane {
            Pane::Records => self.records.rows_area(areas.pane(pane), self.search_line()),
            _ => super::layout::table_rows(areas.pane(pane), top),
        };
        if y < rows.y || y >= rows.bottom() {
            return;
        }
        let mut line = usize::from(y - rows.y);
        match pane {
            Pane::Databases => {
                let pos = self.databases.cursor.offset + line;
                if pos < self.databases.entries.len() {
                    let height = usize::from(rows.height);
                    let len = self.databases.entries.len();
                    self.databases.cursor.set(pos, len, height);
                    self.show_selected_database();
                }
            }
            Pane::Records => {
                if let Some(catalog) = self.data.catalog.clone() {
                    // Wrapped rows take several lines: count rows, not lines.
                    let mut row = None;
                    for (i, height) in self.records.heights.iter().enumerate() {
                        if line < *height {
                            row = Some(i);
                            break;
                        }
                        line -= height;
                    }
                    let Some(row) = row else { return };
                    let pos = self.records.cursor.offset + row;
                    if pos < self.records.len(&catalog) {
                        self.records.set_row(&catalog, pos);
                    }
                }
            }
            _ => {}
        }
    }

    fn wheel(&mut self, x: u16, y: u16, down: bool) {
        let delta = if down { WHEEL } else { -WHEEL };
        if self.screen.overlay != Overlay::None {
            return self.move_by(delta);
        }
        let Some(pane) = self.areas().and_then(|a| a.pane_at(x, y)) else {
            return;
        };
        let focus = std::mem::replace(&mut self.screen.focus, pane);
        let step = if pane == Pane::Databases || pane == Pane::Cache {
            delta.signum()
        } else {
            delta
        };
        self.move_by(step);
        self.screen.focus = focus;
    }

    fn start_input(&mut self) {
        match self.screen.focus {
            Pane::Databases => self.databases.editing = true,
            Pane::Records if self.data.catalog.is_some() => self
                .records
                .start_search(super::state::records::Intent::Find),
            _ => {}
        }
    }

    fn edit(&mut self, change: impl FnOnce(&mut String)) {
        match self.screen.focus {
            Pane::Databases => {
                change(&mut self.databases.filter);
                if let Some(catalog) = self.data.catalog.clone() {
                    let height = self.list_height(Pane::Databases);
                    self.databases.refresh(&catalog, height);
                    self.show_selected_database();
                }
            }
            Pane::Timing => {
                if let Some(path) = &mut self.timing.export_to {
                    change(path);
                }
            }
            Pane::Records => {
                if let Some(jump) = &mut self.records.jump {
                    change(jump);
                    jump.retain(|c| c.is_ascii_digit());
                    jump.truncate(12);
                    return;
                }
                change(&mut self.records.input);
                self.search(false);
            }
            Pane::Cache => {}
        }
    }

    fn clear_filter(&mut self) {
        match self.screen.focus {
            Pane::Databases => {
                self.databases.editing = false;
                self.databases.filter.clear();
                if let Some(catalog) = self.data.catalog.clone() {
                    let height = self.list_height(Pane::Databases);
                    self.databases.refresh(&catalog, height);
                }
            }
            Pane::Records => {
                if let Some(catalog) = self.data.catalog.clone() {
                    self.records.clear_search(&catalog);
                }
            }
            _ => {}
        }
    }

    fn toggle_scope(&mut self) {
        if self.screen.focus != Pane::Records {
            return;
        }
        self.records.scope = match self.records.scope {
            SearchScope::Database => SearchScope::All,
            SearchScope::All => SearchScope::Database,
        };
        self.records.drop_hits();
        self.search(false);
    }

    fn selected_other(&self) -> Option<std::path::PathBuf> {
        let status = self.cache.status.as_ref()?;
        status
            .other_cache_files
            .get(self.cache.selected)
            .map(|f| f.path.clone())
    }

    fn confirm(&mut self) {
        let overlay = std::mem::replace(&mut self.screen.overlay, Overlay::None);
        match overlay {
            Overlay::Confirm(Question::Invalidate) => {
                self.start(Job::Invalidate, Running::Invalidate);
            }
            Overlay::Confirm(Question::DeleteFile(path)) => {
                self.start(Job::Remove(path), Running::Remove);
            }
            other => self.screen.overlay = other,
        }
    }
}

/// Whether a person did something other than type a count's digits (so the count is over); worker
/// results are not actions and never end it.
fn ends_count(action: &Action) -> bool {
    !matches!(
        action,
        Action::Count(_) | Action::Tick(_) | Action::Resize(..)
    )
}

/// `+`/`-` move by 1 up to 10 runs, then by 5, then by 10 past 50.
fn run_step(runs: usize, up: bool) -> usize {
    let at = if up { runs } else { runs.saturating_sub(1) };
    match at {
        0..10 => 1,
        10..50 => 5,
        _ => 10,
    }
}

//! App: which pane has focus, the open overlay, one state struct per pane, and `update(Action)` that applies
//! every change. It never blocks: slow work leaves as an [`Effect`] for the loop to hand to a worker.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use ratatui::layout::Rect;

use super::action::{Action, Done, LoadKind};
use super::layout::{self, Areas};
use super::state::arrange::ArrangeJob;
use super::state::cache::CachePane;
use super::state::databases::DatabasesPane;
use super::state::insight::{InsightJob, InsightPane};
use super::state::records::{RecordsPane, SearchJob};
pub use super::state::screen::{Overlay, Pane, Question, Screen};
use super::state::sort::SortJob;
use super::state::timing::{Running, TimingPane};
use crate::cache::LoadReport;
use crate::catalog::Catalog;
use crate::timing::SeriesOptions;

/// Work on the manager, run one at a time on a worker thread.
#[derive(Debug, Clone)]
pub enum Job {
    Load(LoadKind),
    Series(SeriesOptions, Arc<AtomicBool>),
    Invalidate,
    Remove(PathBuf),
    Verify,
    Status,
    /// Write the series here (never over an existing file).
    Export(serde_json::Value, PathBuf),
}

/// What `update` asks the loop to do outside the state.
pub enum Effect {
    Job(Job),
    Search(SearchJob),
    Sort(SortJob),
    /// Put the applied search's hits in a new order.
    Arrange(ArrangeJob),
    Insight(InsightJob),
    /// Compare the cache file with the archive, record by record.
    Diff,
    /// Put this text on the clipboard (OSC 52).
    Copy(String),
}

impl Effect {
    /// Whether this is a job cancelled before it started.
    fn superseded(&self) -> bool {
        let cancel = match self {
            Effect::Search(job) => &job.cancel,
            Effect::Sort(job) => &job.cancel,
            Effect::Arrange(job) => &job.cancel,
            Effect::Insight(job) => &job.cancel,
            Effect::Job(_) | Effect::Diff | Effect::Copy(_) => return false,
        };
        cancel.load(Ordering::Relaxed)
    }
}

/// A short message in the corner, gone after a few ticks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toast {
    pub text: String,
    pub until: u64,
}

/// Ticks a toast stays (4 per second).
const TOAST_TICKS: u64 = 16;

/// The inspector's state: what the screen shows, the clock, the data, the work in flight, how things look,
/// one struct per pane, the toast and whether to quit.
pub struct App {
    pub screen: Screen,
    pub clock: Clock,
    pub data: Data,
    pub jobs: Jobs,
    pub look: Look,
    pub databases: DatabasesPane,
    pub records: RecordsPane,
    pub cache: CachePane,
    pub timing: TimingPane,
    pub insight: InsightPane,
    pub toast: Option<Toast>,
    pub quit: bool,
}

/// Time as the App knows it: the wall clock ages are measured against, and ticks for toasts and spinners.
pub struct Clock {
    pub now: SystemTime,
    /// Ticks since start (4 per second).
    pub ticks: u64,
}

/// The data shown, once loaded.
#[derive(Default)]
pub struct Data {
    /// The archive: `embedded` or its path.
    pub source: String,
    pub catalog: Option<Arc<Catalog>>,
    pub report: Option<LoadReport>,
    /// Why the start-up load failed.
    pub load_error: Option<String>,
}

/// Work in flight: the manager job running, how to cancel a series, and the effects not yet handed out.
#[derive(Default)]
pub struct Jobs {
    /// The manager job running, if any.
    pub running: Option<Running>,
    series_cancel: Option<Arc<AtomicBool>>,
    effects: Vec<Effect>,
}

/// How things are shown, set once at start.
#[derive(Default)]
pub struct Look {
    /// Path prefixes shown shorter (the home folder as `~`).
    pub abbreviations: Vec<(PathBuf, String)>,
    pub no_color: bool,
}

impl App {
    /// An app waiting for its first load; `now` is the clock ages are measured against.
    pub fn new(source: String, now: SystemTime) -> Self {
        App {
            screen: Screen::default(),
            clock: Clock { now, ticks: 0 },
            data: Data {
                source,
                ..Data::default()
            },
            jobs: Jobs::default(),
            look: Look::default(),
            databases: DatabasesPane::default(),
            records: RecordsPane::default(),
            cache: CachePane::default(),
            timing: TimingPane::default(),
            insight: InsightPane::default(),
            toast: None,
            quit: false,
        }
    }

    /// The effects queued since the last call, less the jobs already cancelled by newer ones: a burst of
    /// keys taken before one frame starts one search, not one per key.
    pub fn take_effects(&mut self) -> Vec<Effect> {
        let mut effects = std::mem::take(&mut self.jobs.effects);
        effects.retain(|e| !e.superseded());
        effects
    }

    pub fn areas(&self) -> Option<Areas> {
        layout::areas(
            Rect::new(0, 0, self.screen.size.0, self.screen.size.1),
            self.screen.focus,
            self.screen.zoom,
        )
    }

    pub fn editing(&self) -> bool {
        match self.screen.focus {
            Pane::Databases => self.databases.editing,
            Pane::Records => self.records.editing || self.records.jump.is_some(),
            Pane::Timing => self.timing.export_to.is_some(),
            Pane::Cache => false,
        }
    }

    /// Whether the Records pane shows its search line.
    pub fn search_line(&self) -> bool {
        let r = &self.records;
        r.editing || r.filtered() || r.searching() || !r.input.is_empty() || r.jump.is_some()
    }

    pub fn filter_line(&self) -> bool {
        self.databases.editing || !self.databases.filter.is_empty()
    }

    /// A path as shown: known prefixes replaced by their short names.
    pub fn show_path(&self, path: &Path) -> String {
        for (prefix, short) in &self.look.abbreviations {
            if let Ok(rest) = path.strip_prefix(prefix) {
                return Path::new(short).join(rest).display().to_string();
            }
        }
        path.display().to_string()
    }

    pub fn notify(&mut self, text: impl Into<String>) {
        self.toast = Some(Toast {
            text: text.into(),
            until: self.clock.ticks + TOAST_TICKS,
        });
    }

    pub(super) fn push(&mut self, effect: Effect) {
        self.jobs.effects.push(effect);
    }

    /// Sizes the panes' lists from the layout, so paging and clicks match what is drawn.
    fn relayout(&mut self) {
        let Some(areas) = self.areas() else { return };
        let dbs = layout::table_rows(areas.pane(Pane::Databases), u16::from(self.filter_line()));
        let n = self.databases.entries.len();
        self.databases.cursor.follow(n, usize::from(dbs.height));
        if let Some(catalog) = &self.data.catalog {
            let search_line = self.search_line();
            self.records
                .relayout(catalog, areas.pane(Pane::Records), search_line);
        }
    }

    pub fn list_height(&self, pane: Pane) -> usize {
        let Some(areas) = self.areas() else { return 1 };
        if pane == Pane::Records {
            return self.records.height.max(1);
        }
        let top = match pane {
            Pane::Databases => u16::from(self.filter_line()),
            _ => u16::from(self.search_line()),
        };
        usize::from(layout::table_rows(areas.pane(pane), top).height).max(1)
    }

    /// Starts a manager job unless one is running.
    pub(super) fn start(&mut self, job: Job, running: Running) -> bool {
        if let Some(busy) = &self.jobs.running {
            self.notify(format!("busy: {} (Esc cancels a series)", busy.label()));
            return false;
        }
        if let Job::Series(_, cancel) = &job {
            self.jobs.series_cancel = Some(cancel.clone());
        }
        self.jobs.running = Some(running);
        self.push(Effect::Job(job));
        true
    }

    pub(super) fn finish(&mut self) {
        self.jobs.running = None;
        self.jobs.series_cancel = None;
    }

    pub(super) fn cancel_series(&mut self) {
        match &self.jobs.series_cancel {
            Some(cancel) => {
                cancel.store(true, Ordering::Relaxed);
                self.notify("cancelling the series after the current run");
            }
            None => self.notify("no series is running"),
        }
    }

    pub fn update(&mut self, action: Action) {
        self.apply(action);
        self.relayout();
    }

    /// Takes a worker's result.
    pub fn done(&mut self, done: Done) {
        self.apply_result(done);
        self.relayout();
    }
}

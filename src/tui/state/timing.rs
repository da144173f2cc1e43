//! The Timing pane: the last timed load, the current series and its run history, and the runs setting.

use crate::cache::{Outcome, PhaseTimings};
use crate::timing::{LoadKind, Progress, Series};

/// Runs per kind in a series, and the bounds `+`/`-` keep it in.
pub const DEFAULT_RUNS: usize = 10;
pub const MAX_RUNS: usize = 200;
pub const WARMUP: usize = 2;

/// The last timed load.
#[derive(Debug, Clone)]
pub struct LastRun {
    pub kind: LoadKind,
    pub total: std::time::Duration,
    pub phases: PhaseTimings,
    pub outcome: String,
}

/// What is running, for the progress gauge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Running {
    Load(LoadKind),
    Series(Option<Progress>),
    Verify,
    Invalidate,
    Remove,
    Reload,
}

impl Running {
    pub fn label(&self) -> String {
        match self {
            Running::Load(LoadKind::Cold) => "cold load: rebuilding from the archive".into(),
            Running::Load(LoadKind::Warm) => "warm load: reading the cache".into(),
            Running::Series(None) => "series: starting".into(),
            Running::Series(Some(p)) => format!(
                "series: {} {} run {}/{}",
                if p.warmup { "warm-up" } else { "timed" },
                kind_word(p.kind),
                p.done,
                p.total
            ),
            Running::Verify => "verify: comparing cache and archive".into(),
            Running::Invalidate => "deleting the cache".into(),
            Running::Remove => "deleting a cache file".into(),
            Running::Reload => "reloading the archive".into(),
        }
    }

    /// Fraction done, when it is known.
    pub fn ratio(&self) -> Option<f64> {
        match self {
            Running::Series(Some(p)) if p.total > 0 => Some(p.done as f64 / p.total as f64),
            _ => None,
        }
    }
}

pub fn kind_word(kind: LoadKind) -> &'static str {
    match kind {
        LoadKind::Cold => "cold",
        LoadKind::Warm => "warm",
    }
}

#[derive(Debug)]
pub struct TimingPane {
    pub runs: usize,
    /// The last cold and the last warm load.
    pub last: [Option<LastRun>; 2],
    pub series: Option<Series>,
    /// Every timed run's total since start, oldest first, for the sparklines.
    pub history: Vec<(LoadKind, f64)>,
    pub error: Option<String>,
    /// Whether the last series was cancelled before it finished.
    pub cancelled: bool,
    pub scroll: u16,
    /// The file the series is about to be written to, while the user edits it.
    pub export_to: Option<String>,
}

impl Default for TimingPane {
    fn default() -> Self {
        TimingPane {
            runs: DEFAULT_RUNS,
            last: [None, None],
            series: None,
            history: Vec::new(),
            error: None,
            cancelled: false,
            scroll: 0,
            export_to: None,
        }
    }
}

impl TimingPane {
    pub fn record(
        &mut self,
        kind: LoadKind,
        total: std::time::Duration,
        phases: PhaseTimings,
        outcome: &Outcome,
    ) {
        self.history.push((kind, total.as_secs_f64()));
        self.set_last(LastRun {
            kind,
            total,
            phases,
            outcome: outcome.word().to_string(),
        });
    }

    pub fn set_last(&mut self, run: LastRun) {
        let slot = match run.kind {
            LoadKind::Cold => 0,
            LoadKind::Warm => 1,
        };
        self.last[slot] = Some(run);
    }
}

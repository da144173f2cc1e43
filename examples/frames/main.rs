//! Frame times of the inspector while its long jobs run: `frames ARCHIVE [--size WxH]`.
//!
//! Drives the real `App` and the real worker threads with a `TestBackend` (120x40 unless told), loads the
//! archive (a copy, in a scratch data dir), then starts each long job in turn and draws a frame every 16 ms
//! while it runs, as the inspector's loop does. A frame's cost is the updates it took (worker results and
//! actions since the last frame) plus the draw. Per job it prints the frames drawn, their median, p99 and
//! worst cost, and how long the job took (start to its result taken by the App).
//!
//! The large corpus: `gen_corpus large large.tar.gz`, then `cargo run --release --example frames --
//! large.tar.gz`. `FRAMES_TRACE=MS` names every update, draw and start action slower than MS milliseconds
//! on stderr. The jobs themselves are in `jobs.rs`.

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant, SystemTime};

use backstore::cache::{ArchiveSource, CacheManager, ManagerOptions};
use backstore::tui::action::{Action, Done, LoadKind};
use backstore::tui::app::{App, Effect, Job};
use backstore::tui::layout::ScrollLimits;
use backstore::tui::ui;
use backstore::tui::worker::{self, Activity, Event};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

mod jobs;
use jobs::{LongJob, jobs};

const USAGE: &str = "usage: frames ARCHIVE [--size WxH]";
/// A frame every 16 ms: 60 a second.
const FRAME: Duration = Duration::from_millis(16);
const TICK: Duration = Duration::from_millis(250);
/// Frames drawn after a job's result came, so the frames showing it are counted too.
const AFTER: usize = 5;
/// No job of the large corpus takes this long; past it the run stops with an error.
const PATIENCE: Duration = Duration::from_secs(60);

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("frames: {message}\n{USAGE}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (archive, size) = match args.as_slice() {
        [archive] => (archive.clone(), (120, 40)),
        [archive, flag, size] if flag == "--size" => (archive.clone(), parse_size(size)?),
        _ => return Err("missing or unknown arguments".into()),
    };
    let scratch = tempfile::tempdir().map_err(|e| format!("a scratch folder: {e}"))?;
    // The diff edits the archive: it is a copy, never the file given.
    let copy = scratch.path().join("archive.tar.gz");
    std::fs::copy(&archive, &copy).map_err(|e| format!("{archive}: {e}"))?;
    let manager = Arc::new(CacheManager::new(
        ManagerOptions::default()
            .source(ArchiveSource::Path(copy.clone()))
            .data_dir(scratch.path().join("data")),
    ));
    let mut driver = Driver::new(manager, size)?;
    driver.load()?;
    println!(
        "{} records at {}x{}, a frame every {} ms; cost = update + draw",
        driver.records(),
        size.0,
        size.1,
        FRAME.as_millis()
    );
    println!(
        "{:<34} {:>6} {:>8} {:>8} {:>8} {:>6} {:>10}",
        "job", "frames", "median", "p99", "max", ">16ms", "job took"
    );
    for job in jobs(&copy) {
        let figures = driver.measure(&job)?;
        println!(
            "{:<34} {:>6} {:>8} {:>8} {:>8} {:>6} {:>10}",
            job.name,
            figures.costs.len(),
            ms(figures.percentile(50)),
            ms(figures.percentile(99)),
            ms(figures.percentile(100)),
            figures.costs.iter().filter(|c| **c > FRAME).count(),
            ms(figures.took),
        );
    }
    Ok(())
}

fn parse_size(text: &str) -> Result<(u16, u16), String> {
    let (w, h) = text
        .split_once('x')
        .ok_or_else(|| format!("--size {text}: not WxH"))?;
    let number = |n: &str| n.parse::<u16>().map_err(|e| format!("--size {text}: {e}"));
    Ok((number(w)?, number(h)?))
}

pub(crate) fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

/// Updates and draws slower than this are named on stderr (`FRAMES_TRACE=MS`).
pub(crate) fn trace() -> Duration {
    static TRACE: std::sync::OnceLock<Duration> = std::sync::OnceLock::new();
    *TRACE.get_or_init(|| {
        std::env::var("FRAMES_TRACE")
            .ok()
            .and_then(|t| t.parse::<f64>().ok())
            .map_or(Duration::MAX, |t| Duration::from_secs_f64(t / 1e3))
    })
}

/// A worker result's name, for tracing slow updates.
fn result_name(done: &Done) -> &'static str {
    match done {
        Done::Loaded { .. } => "loaded",
        Done::Status(_) => "status",
        Done::SearchDone { .. } => "search",
        Done::Sorted { .. } => "sort",
        Done::Arranged { .. } => "arrange",
        Done::InsightDone { .. } => "insight",
        Done::Diffed(_) => "diff",
        Done::Verified(_) => "verify",
        Done::SeriesProgress(..) => "series progress",
        Done::SeriesDone { .. } => "series",
        Done::Invalidated(_) => "invalidate",
        Done::Removed(_) => "remove",
        Done::Exported(_) => "export",
    }
}

/// What one job measured.
struct Figures {
    /// Each frame's update + draw time, sorted.
    costs: Vec<Duration>,
    took: Duration,
}

impl Figures {
    fn percentile(&self, p: usize) -> Duration {
        if self.costs.is_empty() {
            return Duration::ZERO;
        }
        let i = (self.costs.len() * p).div_ceil(100).saturating_sub(1);
        self.costs[i.min(self.costs.len() - 1)]
    }
}

/// The inspector's loop, with a test backend for a terminal and a clock on every update and draw.
struct Driver {
    app: App,
    terminal: Terminal<TestBackend>,
    manager: Arc<CacheManager>,
    activity: Arc<Activity>,
    tx: Sender<Event>,
    rx: Receiver<Event>,
    next_tick: Instant,
    /// Updates and draws slower than this are named on stderr (`FRAMES_TRACE=MS`).
    trace: Duration,
}

impl Driver {
    fn new(manager: Arc<CacheManager>, size: (u16, u16)) -> Result<Self, String> {
        let mut app = App::new(manager.options().source.label(), SystemTime::now());
        app.update(Action::Resize(size.0, size.1));
        let terminal = Terminal::new(TestBackend::new(size.0, size.1))
            .map_err(|e| format!("a test terminal: {e}"))?;
        let (tx, rx) = mpsc::channel();
        Ok(Driver {
            app,
            terminal,
            manager,
            activity: Arc::new(Activity::default()),
            tx,
            rx,
            next_tick: Instant::now() + TICK,
            trace: trace(),
        })
    }

    fn records(&self) -> usize {
        self.app.data.catalog.as_ref().map_or(0, |c| c.records())
    }

    /// The start-up load and the first status, frames drawn but not counted.
    fn load(&mut self) -> Result<(), String> {
        for effect in self.app.take_effects() {
            self.perform(effect);
        }
        worker::spawn_job(
            Job::Load(LoadKind::Startup),
            self.manager.clone(),
            self.activity.clone(),
            self.tx.clone(),
        );
        let since = Instant::now();
        while self.app.data.catalog.is_none() || self.app.cache.status.is_none() {
            if let Some(e) = &self.app.data.load_error {
                return Err(format!("loading: {e}"));
            }
            if since.elapsed() > PATIENCE {
                return Err("the load did not finish".into());
            }
            self.frame(&mut |_| false)?;
        }
        Ok(())
    }

    fn measure(&mut self, job: &LongJob) -> Result<Figures, String> {
        // Whatever was still arriving from the last job is taken first.
        for _ in 0..3 {
            self.frame(&mut |_| false)?;
        }
        (job.prepare)(&self.app)?;
        let started = Instant::now();
        (job.start)(&mut self.app)?;
        let effects = self.app.take_effects();
        for effect in effects {
            self.perform(effect);
        }
        let mut start_cost = started.elapsed();
        if start_cost > self.trace {
            eprintln!("  start: {}", ms(start_cost));
        }
        let mut costs = Vec::new();
        let mut took = None;
        let mut after = 0;
        while after < AFTER {
            if took.is_none() && started.elapsed() > PATIENCE {
                return Err(format!("{}: no result after {PATIENCE:?}", job.name));
            }
            let mut check = |app: &App| took.is_none() && (job.finished)(app);
            let (cost, finished_at) = self.frame(&mut check)?;
            costs.push(cost + std::mem::take(&mut start_cost));
            if let Some(at) = finished_at {
                took = Some(at - started);
            }
            if took.is_some() {
                after += 1;
            }
        }
        costs.sort();
        Ok(Figures {
            costs,
            took: took.unwrap_or_default(),
        })
    }

    /// One frame: take events until the frame is due, then draw. Returns the time spent updating and
    /// drawing, and when `finished` first held after an update.
    fn frame(
        &mut self,
        finished: &mut dyn FnMut(&App) -> bool,
    ) -> Result<(Duration, Option<Instant>), String> {
        let due = Instant::now() + FRAME;
        let mut cost = Duration::ZERO;
        let mut finished_at = None;
        loop {
            let wait = due.saturating_duration_since(Instant::now());
            let event = match self.rx.recv_timeout(wait) {
                Ok(event) => event,
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => return Err("the channel closed".into()),
            };
            let start = Instant::now();
            let what = match event {
                Event::Done(done) => {
                    let what = result_name(&done);
                    self.app.done(*done);
                    what
                }
                Event::Input(_) => "input",
            };
            let effects = self.app.take_effects();
            for effect in effects {
                self.perform(effect);
            }
            cost += start.elapsed();
            if start.elapsed() > self.trace {
                eprintln!("  update ({what}): {}", ms(start.elapsed()));
            }
            if finished_at.is_none() && finished(&self.app) {
                finished_at = Some(Instant::now());
            }
        }
        let start = Instant::now();
        if start >= self.next_tick {
            self.app.update(Action::Tick(SystemTime::now()));
            self.next_tick = start + TICK;
        }
        let app = &self.app;
        let mut limits = ScrollLimits::default();
        self.terminal
            .draw(|f| limits = ui::draw(app, f.area(), f.buffer_mut()))
            .map_err(|e| format!("drawing: {e}"))?;
        self.app.drawn(limits);
        cost += start.elapsed();
        if start.elapsed() > self.trace {
            eprintln!("  draw: {}", ms(start.elapsed()));
        }
        Ok((cost, finished_at))
    }

    /// What the inspector's loop does with an effect; the clipboard is left alone.
    fn perform(&mut self, effect: Effect) {
        let tx = self.tx.clone();
        match effect {
            Effect::Job(job) => {
                worker::spawn_job(job, self.manager.clone(), self.activity.clone(), tx);
            }
            Effect::Search(job) => worker::spawn_search(job, tx),
            Effect::Sort(job) => worker::spawn_sort(job, tx),
            Effect::Arrange(job) => worker::spawn_arrange(job, tx),
            Effect::Diff => worker::spawn_diff(self.manager.clone(), tx),
            Effect::Insight(job) => worker::spawn_insight(job, tx),
            Effect::Copy(_) => {}
        }
    }
}

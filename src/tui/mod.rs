//! The terminal inspector: terminal set-up and restore, the threads that feed one event channel, and the loop
//! recv -> update -> draw. Everything it shows comes through the `CacheManager`.

pub mod action;
pub mod app;
mod clipboard;
pub mod input;
pub mod keys;
pub mod layout;
mod results;
pub mod state;
pub mod text;
pub mod ui;
mod update;
mod update_records;
pub mod worker;

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context as _;
use ratatui::DefaultTerminal;
use ratatui::crossterm::event::{
    self, DisableMouseCapture, EnableMouseCapture, KeyEventKind, MouseButton, MouseEventKind,
};
use ratatui::crossterm::execute;
use tracing::info;

use crate::cache::CacheManager;
use action::{Action, LoadKind};
use app::{App, Effect, Job};
use worker::{Activity, Event};

/// How often time moves on for toasts, spinners and ages.
const TICK: Duration = Duration::from_millis(250);

/// Opens the inspector on the manager's data and returns when the user quits. The terminal is restored on
/// every way out, a panic included.
pub fn run(manager: Arc<CacheManager>) -> anyhow::Result<()> {
    let mut terminal = open_terminal()?;
    init_logging(&manager);
    let mut app = App::new(manager.options().source.label(), SystemTime::now());
    app.look.no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        app.look.abbreviations.push((home.into(), "~".into()));
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(std::io::stdout(), DisableMouseCapture);
        previous(info);
    }));
    let result = execute!(std::io::stdout(), EnableMouseCapture)
        .context("enabling mouse capture")
        .and_then(|()| event_loop(&mut terminal, &mut app, manager));
    let _ = execute!(std::io::stdout(), DisableMouseCapture);
    ratatui::restore();
    result
}

/// What to say when there is no terminal to draw on (a pipe, CI, `</dev/null` without a controlling tty).
const NO_TERMINAL: &str = "the inspector needs a terminal to draw on and read keys from; \
    `backstore status` (and the other subcommands) work without one";

/// The terminal in raw mode on the alternate screen, or an error in one line when there is none: drawing
/// into a pipe helps nobody, and ratatui's own `init` would panic.
fn open_terminal() -> anyhow::Result<DefaultTerminal> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        anyhow::bail!("{NO_TERMINAL} (standard output is not a terminal)");
    }
    match ratatui::try_init() {
        Ok(terminal) => Ok(terminal),
        Err(e) => {
            // Raw mode may be on already when the alternate screen failed.
            if let Err(restore) = ratatui::try_restore() {
                tracing::warn!(error = %restore, "restoring the terminal failed");
            }
            Err(anyhow::anyhow!("{NO_TERMINAL} ({e})"))
        }
    }
}

/// Logs go to `<data dir>/backstore.log`, never to the terminal being drawn on; no data dir, no logs. The
/// folder is created 0700 and the log 0600 whatever the umask, and nothing is written into a data dir that
/// fails the cache's trust checks.
fn init_logging(manager: &CacheManager) {
    let Some(dir) = &manager.options().data_dir else {
        return;
    };
    let Some(file) = open_log(dir) else {
        return;
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("BACKSTORE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_writer(std::sync::Mutex::new(file))
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init();
}

fn open_log(dir: &std::path::Path) -> Option<std::fs::File> {
    use crate::cache::trust;
    use std::os::unix::fs::OpenOptionsExt;
    trust::check_dir(dir).ok()?;
    trust::create_private_dir(dir).ok()?;
    trust::check_dir(dir).ok()?;
    let path = dir.join("backstore.log");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .custom_flags((rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK).bits() as i32)
        .open(&path)
        .ok()?;
    let meta = file.metadata().ok()?;
    let ours = std::os::unix::fs::MetadataExt::uid(&meta) == trust::current_uid();
    if !meta.is_file() || !ours {
        return None;
    }
    trust::set_file_mode(&file, 0o600).ok()?;
    Some(file)
}

fn event_loop(
    terminal: &mut DefaultTerminal,
    app: &mut App,
    manager: Arc<CacheManager>,
) -> anyhow::Result<()> {
    let size = terminal.size().context("reading the terminal size")?;
    app.update(Action::Resize(size.width, size.height));
    // The first frame goes out before any data is loaded.
    draw(terminal, app)?;

    let (tx, rx) = mpsc::channel();
    let stop = Arc::new(AtomicBool::new(false));
    let activity = Arc::new(Activity::default());
    worker::spawn_job(
        Job::Load(LoadKind::Startup),
        manager.clone(),
        activity.clone(),
        tx.clone(),
    );
    input::spawn(tx.clone(), stop.clone())?;
    worker::spawn_watcher(manager.clone(), activity.clone(), tx.clone(), stop.clone());
    info!(source = %app.data.source, "inspector started");

    let result = run_loop(terminal, app, &manager, &activity, &tx, &rx);
    stop.store(true, Ordering::Relaxed);
    if let Some(pending) = &app.records.pending {
        pending.cancel.store(true, Ordering::Relaxed);
    }
    info!("inspector closed");
    result
}

fn run_loop(
    terminal: &mut DefaultTerminal,
    app: &mut App,
    manager: &Arc<CacheManager>,
    activity: &Arc<Activity>,
    tx: &Sender<Event>,
    rx: &Receiver<Event>,
) -> anyhow::Result<()> {
    let mut next_tick = Instant::now() + TICK;
    loop {
        let wait = next_tick.saturating_duration_since(Instant::now());
        match rx.recv_timeout(wait) {
            Ok(event) => handle(app, event),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return Ok(()),
        }
        // Take everything already queued before drawing once: a resize storm or fast typing costs one frame.
        while let Ok(event) = rx.try_recv() {
            handle(app, event);
        }
        if Instant::now() >= next_tick {
            app.update(Action::Tick(SystemTime::now()));
            next_tick = Instant::now() + TICK;
        }
        for effect in app.take_effects() {
            match effect {
                Effect::Job(job) => {
                    worker::spawn_job(job, manager.clone(), activity.clone(), tx.clone());
                }
                Effect::Search(job) => worker::spawn_search(job, tx.clone()),
                Effect::Sort(job) => worker::spawn_sort(job, tx.clone()),
                Effect::Arrange(job) => worker::spawn_arrange(job, tx.clone()),
                Effect::Diff => worker::spawn_diff(manager.clone(), tx.clone()),
                Effect::Insight(job) => worker::spawn_insight(job, tx.clone()),
                Effect::Copy(text) => {
                    let mut out = std::io::stdout();
                    if let Err(e) = clipboard::copy(&mut out, &text) {
                        app.notify(format!("copy failed: {e}"));
                    }
                    let _ = out.flush();
                }
            }
        }
        if app.quit {
            return Ok(());
        }
        draw(terminal, app)?;
    }
}

/// Draws a frame and hands the App what drawing measured.
fn draw(terminal: &mut DefaultTerminal, app: &mut App) -> anyhow::Result<()> {
    let mut limits = layout::ScrollLimits::default();
    terminal
        .draw(|f| limits = ui::draw(app, f.area(), f.buffer_mut()))
        .context("drawing")?;
    app.drawn(limits);
    Ok(())
}

fn handle(app: &mut App, event: Event) {
    match event {
        Event::Done(done) => app.done(*done),
        Event::Input(input) => {
            if let Some(action) = translate(app, input) {
                app.update(action);
            }
        }
    }
}

/// Terminal input as an action, if it means one now.
fn translate(app: &App, input: event::Event) -> Option<Action> {
    match input {
        event::Event::Key(key) if key.kind != KeyEventKind::Release => keys::action_for(app, key),
        event::Event::Mouse(mouse) => match mouse.kind {
            MouseEventKind::Down(MouseButton::Left) => Some(Action::Click {
                x: mouse.column,
                y: mouse.row,
            }),
            MouseEventKind::ScrollDown => Some(Action::Scroll {
                x: mouse.column,
                y: mouse.row,
                down: true,
            }),
            MouseEventKind::ScrollUp => Some(Action::Scroll {
                x: mouse.column,
                y: mouse.row,
                down: false,
            }),
            _ => None,
        },
        event::Event::Resize(w, h) => Some(Action::Resize(w, h)),
        _ => None,
    }
}

//! The search matcher runs once per cell shown: match positions are found in the records state when a row
//! first shows, kept while the query stays, and drawn from there, never found again at every frame.

mod tui_common;

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use backstore::cache::{ArchiveSource, CacheManager, ManagerOptions};
use backstore::catalog::Limits;
use backstore::tui::action::{Action, Done, LoadKind};
use backstore::tui::app::{App, Pane};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tui_common::settle;

fn loaded_app(dir: &std::path::Path) -> App {
    let manager = Arc::new(CacheManager::new(ManagerOptions {
        source: ArchiveSource::demo(),
        data_dir: Some(dir.to_path_buf()),
        limits: Limits::default(),
    }));
    let mut app = App::new("embedded".into(), UNIX_EPOCH);
    app.update(Action::Resize(120, 40));
    let loaded = manager.load_or_build().expect("embedded archive loads");
    app.done(Done::Loaded {
        kind: LoadKind::Startup,
        result: Ok(loaded),
    });
    app
}

fn draw(app: &App) {
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    terminal.draw(|f| f.render_widget(app, f.area())).unwrap();
}

fn find(app: &mut App, text: &str) {
    app.update(Action::StartInput);
    app.update(Action::ClearInput);
    for c in text.chars() {
        app.update(Action::Input(c));
    }
    app.update(Action::AcceptInput);
    settle(app);
}

#[test]
fn the_matcher_runs_once_per_cell_shown() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = loaded_app(dir.path());
    app.update(Action::Focus(Pane::Records));
    app.update(Action::Bottom);
    app.update(Action::Top);
    assert_eq!(app.records.highlights.runs(), 0, "no search, no matching");
    find(&mut app, "e");
    let catalog = app.data.catalog.clone().unwrap();
    let rows = app.records.height;
    assert!(
        app.records.len(&catalog) > 3 * rows,
        "the database is several screens long"
    );
    let screen = app.records.highlights.runs();
    assert!(screen > 0, "the cells on screen are matched");
    assert_eq!(
        screen as usize,
        app.records.highlights.len(),
        "each cell once"
    );

    // Frames and ticks match nothing again.
    for tick in 1..=4 {
        draw(&app);
        app.update(Action::Tick(UNIX_EPOCH + Duration::from_secs(tick)));
    }
    assert_eq!(app.records.highlights.runs(), screen);

    // A new screen of rows is matched once; going back to the first matches nothing.
    app.update(Action::Top);
    let top = app.records.highlights.runs();
    app.update(Action::PageDown);
    app.update(Action::PageDown);
    let paged = app.records.highlights.runs();
    assert!(paged > top, "the rows paged to are matched");
    app.update(Action::Top);
    app.update(Action::PageDown);
    app.update(Action::PageDown);
    draw(&app);
    assert_eq!(
        app.records.highlights.runs(),
        paged,
        "rows seen before are not"
    );

    // Another query drops the positions: each cell known now was matched for it, once.
    find(&mut app, "a");
    let known = app.records.highlights.len() as u64;
    assert!(known > 0);
    assert_eq!(known, app.records.highlights.runs() - paged);
}

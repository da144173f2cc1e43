//! The inspector's state driven by actions, with no terminal: focus, keys, search lifecycle, reloads that keep
//! the cursor, questions before deleting, and the watcher noticing another process's changes.

mod tui_common;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc;
use std::time::{Duration, Instant, UNIX_EPOCH};

use backstore::cache::report::PhaseTimings;
use backstore::cache::{ArchiveSource, CacheManager, CacheState, ManagerOptions};
use backstore::catalog::Limits;
use backstore::search::{Mode, Query};
use backstore::timing::Series;
use backstore::tui::action::{Action, Done, LoadKind};
use backstore::tui::app::{App, Effect, Job, Overlay, Pane, Question};
use backstore::tui::keys::{self, BINDINGS, Context};
use backstore::tui::state::find::{JobQuery, Searched};
use backstore::tui::worker::{self, Activity, Event};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tui_common::settle;

fn manager(dir: &std::path::Path) -> Arc<CacheManager> {
    Arc::new(CacheManager::new(ManagerOptions {
        source: ArchiveSource::demo(),
        data_dir: Some(dir.to_path_buf()),
        limits: Limits::default(),
    }))
}

fn loaded_app(manager: &CacheManager) -> App {
    let mut app = App::new("embedded".into(), UNIX_EPOCH);
    app.update(Action::Resize(120, 40));
    let loaded = manager.load_or_build().expect("embedded archive loads");
    app.done(Done::Loaded {
        kind: LoadKind::Startup,
        result: Ok(loaded),
    });
    app.done(Done::Status(manager.status().map_err(|e| e.to_string())));
    app
}

type TestTerminal = ratatui::Terminal<ratatui::backend::TestBackend>;

/// A test terminal the size of the App's screen.
fn terminal_for(app: &App) -> TestTerminal {
    ratatui::Terminal::new(ratatui::backend::TestBackend::new(
        app.screen.size.0,
        app.screen.size.1,
    ))
    .unwrap()
}

/// Draws a frame as the inspector's loop does, hands the App what the frame measured (how far overlays
/// scroll), and returns the screen's text.
fn draw_frame(terminal: &mut TestTerminal, app: &mut App) -> String {
    let mut limits = backstore::tui::layout::ScrollLimits::default();
    terminal
        .draw(|f| limits = backstore::tui::ui::draw(app, f.area(), f.buffer_mut()))
        .unwrap();
    app.drawn(limits);
    let buffer = terminal.backend().buffer();
    (0..buffer.area.height)
        .map(|y| {
            (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn press(app: &mut App, code: KeyCode) {
    let modifiers = if matches!(code, KeyCode::BackTab) {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    if let Some(action) = keys::action_for(app, KeyEvent::new(code, modifiers)) {
        app.update(action);
    }
}

#[test]
fn focus_moves_with_tab_numbers_and_clicks() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = loaded_app(&manager(dir.path()));
    assert_eq!(app.screen.focus, Pane::Databases);
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.screen.focus, Pane::Records);
    press(&mut app, KeyCode::BackTab);
    press(&mut app, KeyCode::BackTab);
    assert_eq!(app.screen.focus, Pane::Timing);
    press(&mut app, KeyCode::Char('3'));
    assert_eq!(app.screen.focus, Pane::Cache);
    let areas = app.areas().unwrap();
    let records = areas.pane(Pane::Records);
    app.update(Action::Click {
        x: records.x + 3,
        y: records.y + 5,
    });
    assert_eq!(app.screen.focus, Pane::Records);
    // The click landed on the fourth data row (border, header, rows).
    assert_eq!(app.records.cursor.pos, 3);
}

#[test]
fn q_closes_an_overlay_before_it_quits_and_ctrl_c_always_quits() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = loaded_app(&manager(dir.path()));
    press(&mut app, KeyCode::Char('?'));
    assert!(matches!(app.screen.overlay, Overlay::Help { .. }));
    press(&mut app, KeyCode::Char('q'));
    assert_eq!(app.screen.overlay, Overlay::None);
    assert!(!app.quit);
    app.update(Action::Focus(Pane::Records));
    press(&mut app, KeyCode::Char('/'));
    let ctrl_c = keys::action_for(
        &app,
        KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL),
    );
    assert!(matches!(ctrl_c, Some(Action::Quit)));
    // While typing, q is text.
    assert!(matches!(
        keys::action_for(&app, KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE)),
        Some(Action::Input('q'))
    ));
}

#[test]
fn every_binding_is_documented_and_reachable() {
    let sections = keys::help_sections();
    let listed: usize = sections.iter().map(|(_, b)| b.len()).sum();
    assert_eq!(listed, BINDINGS.len(), "the help lists every binding");
    for binding in BINDINGS {
        assert!(!binding.keys.is_empty() && !binding.help.is_empty());
    }
    // No key means two things in one context.
    for context in Context::ALL {
        let mut seen = Vec::new();
        for binding in BINDINGS.iter().filter(|b| b.context == context) {
            for key in binding.keys {
                assert!(!seen.contains(key), "{key:?} bound twice in {context:?}");
                seen.push(*key);
            }
        }
    }
}

#[test]
fn search_narrows_keeps_and_clears() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = loaded_app(&manager(dir.path()));
    app.update(Action::Focus(Pane::Records));
    app.update(Action::StartFilter);
    app.update(Action::Input('a'));
    let Some(Effect::Search(first)) = app.take_effects().pop() else {
        panic!("typing starts a search")
    };
    assert!(first.within.is_none());
    let result = first.run().expect("not cancelled");
    app.done(Done::SearchDone {
        id: first.id,
        result,
    });
    let broad = app.records.applied.as_ref().unwrap().hits.len();
    app.update(Action::Input('b'));
    let Some(Effect::Search(second)) = app.take_effects().pop() else {
        panic!("typing starts a search")
    };
    assert!(
        second.within.is_some(),
        "a query that only grew searches within the last hits"
    );
    // A third key before the second finishes cancels the second.
    app.update(Action::Input('s'));
    assert!(
        second.cancel.load(std::sync::atomic::Ordering::Relaxed),
        "the stale search is cancelled"
    );
    // The stale result arriving late is dropped.
    app.done(Done::SearchDone {
        id: second.id,
        result: Ok(Searched {
            query: Arc::new(Query::new("ab", Mode::Substring).unwrap()),
            found: backstore::tui::state::arrange::Found::default(),
        }),
    });
    assert_eq!(app.records.applied.as_ref().unwrap().hits.len(), broad);
    settle(&mut app);
    let narrow = app.records.applied.as_ref().unwrap();
    assert_eq!(narrow.text, "abs");
    assert!(narrow.hits.len() < broad);
    app.update(Action::AcceptInput);
    assert!(
        !app.records.editing && app.records.filtered(),
        "Enter keeps the filter"
    );
    app.update(Action::NextHit);
    assert_eq!(app.records.cursor.pos, 1);
    app.update(Action::PrevHit);
    app.update(Action::PrevHit);
    assert_eq!(
        app.records.cursor.pos,
        app.records.len(app.data.catalog.as_ref().unwrap()) - 1,
        "N wraps"
    );
    app.update(Action::ClearFilter);
    assert!(
        !app.records.filtered() && app.records.input.is_empty(),
        "Esc clears it"
    );
}

#[test]
fn a_rebuild_keeps_cursor_and_filter() {
    let dir = tempfile::tempdir().unwrap();
    let manager = manager(dir.path());
    let mut app = loaded_app(&manager);
    app.update(Action::Down);
    app.update(Action::Focus(Pane::Records));
    app.update(Action::StartFilter);
    for c in "an".chars() {
        app.update(Action::Input(c));
    }
    settle(&mut app);
    app.update(Action::AcceptInput);
    for _ in 0..4 {
        app.update(Action::Down);
    }
    let before = app.records.current(app.data.catalog.as_ref().unwrap());
    app.update(Action::Focus(Pane::Timing));
    app.update(Action::Cold);
    let jobs = settle(&mut app);
    assert!(matches!(jobs.as_slice(), [Job::Load(LoadKind::Cold)]));
    app.done(Done::Loaded {
        kind: LoadKind::Cold,
        result: manager.rebuild().map_err(|e| e.to_string()),
    });
    settle(&mut app);
    assert_eq!(app.records.input, "an");
    assert!(app.records.filtered());
    assert_eq!(
        app.records.current(app.data.catalog.as_ref().unwrap()),
        before
    );
    assert!(app.timing.last[0].is_some(), "the cold load is timed");
    assert!(app.jobs.running.is_none());
}

#[test]
fn one_job_at_a_time_and_deletes_ask_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = loaded_app(&manager(dir.path()));
    app.update(Action::Focus(Pane::Timing));
    app.update(Action::Bench);
    app.update(Action::Warm);
    let jobs = settle(&mut app);
    assert_eq!(jobs.len(), 1, "the warm load waits: a series is running");
    let Job::Series(options, cancel) = &jobs[0] else {
        panic!("a series")
    };
    assert_eq!(options.runs, 10);
    app.update(Action::Cancel);
    assert!(
        cancel.load(std::sync::atomic::Ordering::Relaxed),
        "Esc cancels the series"
    );
    app.done(Done::SeriesDone {
        result: Ok(Series::default()),
        cancelled: true,
    });
    app.update(Action::Invalidate);
    assert_eq!(app.screen.overlay, Overlay::Confirm(Question::Invalidate));
    assert!(settle(&mut app).is_empty());
    app.update(Action::Deny);
    assert!(settle(&mut app).is_empty(), "no means nothing is deleted");
    app.update(Action::Invalidate);
    app.update(Action::Confirm);
    assert!(matches!(settle(&mut app).as_slice(), [Job::Invalidate]));
}

#[test]
fn runs_per_series_stay_in_bounds() {
    let mut app = App::new("embedded".into(), UNIX_EPOCH);
    for _ in 0..100 {
        app.update(Action::FewerRuns);
    }
    assert_eq!(app.timing.runs, 1);
    for _ in 0..100 {
        app.update(Action::MoreRuns);
    }
    assert_eq!(app.timing.runs, 200);
}

#[test]
fn keys_before_any_data_do_not_panic() {
    let mut app = App::new("embedded".into(), UNIX_EPOCH);
    let actions = [
        Action::Down,
        Action::PageDown,
        Action::Bottom,
        Action::Enter,
        Action::StartInput,
        Action::Input('x'),
        Action::NextHit,
        Action::Copy,
        Action::Right,
        Action::DeleteOther,
        Action::Export,
        Action::Click { x: 5, y: 5 },
        Action::Scroll {
            x: 50,
            y: 5,
            down: true,
        },
    ];
    for pane in Pane::ALL {
        app.update(Action::Focus(pane));
        for action in actions.clone() {
            app.update(action);
        }
    }
}

#[test]
fn copy_puts_the_record_as_json_with_the_archive_hash() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = loaded_app(&manager(dir.path()));
    app.update(Action::Focus(Pane::Records));
    app.update(Action::Copy);
    let copied = app.take_effects().into_iter().find_map(|e| match e {
        Effect::Copy(text) => Some(text),
        _ => None,
    });
    let json: serde_json::Value = serde_json::from_str(&copied.expect("copied")).unwrap();
    assert_eq!(json["database"], "adjectives");
    assert_eq!(json["key"], "abject");
    assert_eq!(json["archive"].as_str().map(str::len), Some(12));
    assert!(json["values"].is_object());
    assert!(
        app.toast
            .as_ref()
            .is_some_and(|t| t.text.contains("copied"))
    );
}

/// Another process corrupting the cache body is noticed without a key press.
#[test]
fn the_watcher_notices_a_corrupted_or_deleted_cache() {
    let dir = tempfile::tempdir().unwrap();
    let manager = manager(dir.path());
    manager.load_or_build().unwrap();
    let path = manager.status().unwrap().cache.path.unwrap();
    let (tx, rx) = mpsc::channel();
    let stop = Arc::new(AtomicBool::new(false));
    worker::spawn_watcher(
        manager.clone(),
        Arc::new(Activity::default()),
        tx,
        stop.clone(),
    );
    std::thread::sleep(Duration::from_millis(300));
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.len() - 50;
    bytes[at] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    let wait = |want: &dyn Fn(&Done) -> bool| {
        let deadline = Instant::now() + Duration::from_secs(5);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            if let Ok(Event::Done(done)) = rx.recv_timeout(left)
                && want(&done)
            {
                return true;
            }
        }
        false
    };
    assert!(
        wait(&|a| matches!(a, Done::Status(Ok(s)) if s.reason.contains("checksum"))),
        "corruption noticed"
    );
    std::fs::remove_file(&path).unwrap();
    assert!(
        wait(&|a| matches!(a, Done::Status(Ok(s)) if s.state == CacheState::Missing)),
        "deletion noticed"
    );
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
}

#[test]
fn help_scrolls_back_at_once_after_its_end() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = loaded_app(&manager(dir.path()));
    app.update(Action::ToggleHelp);
    // Drawing measures how far the help scrolls; the App clamps with what the last frame measured.
    let mut terminal = terminal_for(&app);
    draw_frame(&mut terminal, &mut app);
    let limit = app.screen.limits.help.expect("the help was drawn");
    assert!(
        limit > 0 && limit < 500,
        "the help scrolls, a little: {limit}"
    );
    for _ in 0..500 {
        app.update(Action::Down);
    }
    let Overlay::Help { scroll: end } = app.screen.overlay else {
        panic!("help is open")
    };
    assert_eq!(end, limit, "scrolling stops where the last line shows");
    app.update(Action::Up);
    assert_eq!(app.screen.overlay, Overlay::Help { scroll: end - 1 });
    draw_frame(&mut terminal, &mut app);
    assert_eq!(app.screen.overlay, Overlay::Help { scroll: end - 1 });
}

/// Every overlay that scrolls takes the page and end keys the panes take, not only j and k.
#[test]
fn overlays_scroll_by_page_and_to_either_end() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = loaded_app(&manager(dir.path()));
    let mut terminal = terminal_for(&app);
    press(&mut app, KeyCode::Char('?'));
    draw_frame(&mut terminal, &mut app);
    let end = app.screen.limits.help.expect("the help was drawn");
    let scroll = |app: &App| match app.screen.overlay {
        Overlay::Help { scroll } => scroll,
        ref other => panic!("help is open, not {other:?}"),
    };
    press(&mut app, KeyCode::PageDown);
    let page = scroll(&app);
    assert!(
        page > 1 && page < end,
        "a page is many lines, not all: {page} of {end}"
    );
    press(&mut app, KeyCode::Char('G'));
    assert_eq!(scroll(&app), end, "G shows the last line");
    press(&mut app, KeyCode::PageUp);
    assert_eq!(scroll(&app), end - page, "PgUp goes back a page");
    press(&mut app, KeyCode::Char('g'));
    assert_eq!(scroll(&app), 0, "g shows the first line");
    press(&mut app, KeyCode::End);
    assert_eq!(scroll(&app), end, "End too");
    press(&mut app, KeyCode::Home);
    assert_eq!(scroll(&app), 0, "Home too");
}

#[test]
fn the_database_filter_offers_no_search_scope() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = loaded_app(&manager(dir.path()));
    app.update(Action::StartInput);
    assert!(
        keys::hints(&app)
            .iter()
            .all(|(_, what)| !what.contains("all"))
    );
    app.update(Action::Focus(Pane::Records));
    app.update(Action::StartInput);
    assert!(
        keys::hints(&app)
            .iter()
            .any(|(_, what)| what.contains("all"))
    );
}

#[test]
fn an_archive_fixed_on_disk_is_loaded_again() {
    let mut app = App::new("broken.tar.gz".into(), UNIX_EPOCH);
    app.done(Done::Loaded {
        kind: LoadKind::Startup,
        result: Err("not a gzip file".into()),
    });
    app.done(Done::Status(Err("not a gzip file".into())));
    assert!(settle(&mut app).is_empty());
    // The watcher reads a good status once the file is fixed: the load runs again, once.
    let dir = tempfile::tempdir().unwrap();
    let status = manager(dir.path()).status().map_err(|e| e.to_string());
    app.done(Done::Status(status.clone()));
    let jobs = settle(&mut app);
    assert!(
        matches!(jobs[..], [Job::Load(LoadKind::Startup)]),
        "{jobs:?}"
    );
    app.done(Done::Status(status));
    assert!(settle(&mut app).is_empty());
}

/// An across-all search dropped while no database is selected left the column cursor past the columns.
#[test]
fn dropping_an_across_all_search_keeps_the_column_in_range() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = loaded_app(&manager(dir.path()));
    let keys = [
        KeyCode::Char('/'),
        KeyCode::Char('z'),
        KeyCode::Char('z'),
        KeyCode::Char('z'),
        KeyCode::Enter,
        KeyCode::Char('2'),
        KeyCode::Char('/'),
        KeyCode::Tab,
        KeyCode::Char('o'),
        KeyCode::Enter,
        KeyCode::Right,
        KeyCode::Right,
        KeyCode::Char('s'),
    ];
    for code in keys {
        press(&mut app, code);
        settle(&mut app);
        draw(&app);
    }
    assert!(app.records.col < app.records.count.max(1));
    for code in [
        KeyCode::Right,
        KeyCode::Left,
        KeyCode::Char('s'),
        KeyCode::Esc,
    ] {
        press(&mut app, code);
        settle(&mut app);
        draw(&app);
    }
}

fn draw(app: &App) {
    let mut terminal = terminal_for(app);
    terminal.draw(|f| f.render_widget(app, f.area())).unwrap();
}

#[test]
fn sort_jump_and_copy_a_cell() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = loaded_app(&manager(dir.path()));
    app.update(Action::Down); // animals
    app.update(Action::Focus(Pane::Records));
    let catalog = app.data.catalog.clone().unwrap();
    let key_at = |app: &App, pos: usize| {
        let row = app.records.row(pos).unwrap();
        let db = &catalog.databases()[row.db];
        db.record(row.record).unwrap().key().to_string()
    };
    let first = key_at(&app, 0);
    // Descending by the key: the last key comes first; the cursor stays on the record it was on.
    press(&mut app, KeyCode::Char(']'));
    let jobs = app.take_effects();
    assert!(
        matches!(jobs.as_slice(), [Effect::Sort(_)]),
        "the sort leaves for a worker"
    );
    for effect in jobs {
        if let Effect::Sort(job) = effect {
            let result = job.run().unwrap();
            app.done(Done::Sorted { id: job.id, result });
        }
    }
    let len = app.records.len(&catalog);
    assert_eq!(key_at(&app, len - 1), first);
    assert_eq!(
        key_at(&app, app.records.cursor.pos),
        first,
        "the cursor follows its record"
    );
    assert!(key_at(&app, 0) > key_at(&app, 1));
    // `:12` Enter and `12G` both go to row 12.
    press(&mut app, KeyCode::Char(':'));
    for c in "12".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.records.cursor.pos, 11);
    press(&mut app, KeyCode::Char('g'));
    for c in ['3', '0', 'G'] {
        press(&mut app, KeyCode::Char(c));
    }
    assert_eq!(app.records.cursor.pos, 29);
    // The same sort again is off: the archive's order.
    press(&mut app, KeyCode::Char(']'));
    settle(&mut app);
    assert_eq!(key_at(&app, 0), first);
    // A lone 1 not followed by G still focuses Databases, at the next key or after half a second.
    press(&mut app, KeyCode::Char('1'));
    press(&mut app, KeyCode::Char('k'));
    assert_eq!(app.screen.focus, Pane::Databases);
    app.update(Action::Focus(Pane::Records));
    press(&mut app, KeyCode::Char('3'));
    assert_eq!(app.screen.focus, Pane::Records);
    for _ in 0..3 {
        app.update(Action::Tick(UNIX_EPOCH));
    }
    assert_eq!(app.screen.focus, Pane::Cache);
    app.update(Action::Focus(Pane::Records));
    // Y copies the focused cell as it is.
    app.update(Action::Right);
    press(&mut app, KeyCode::Char('Y'));
    let copied = app.take_effects().into_iter().find_map(|e| match e {
        Effect::Copy(text) => Some(text),
        _ => None,
    });
    let (_, value) = app.records.focused_cell(&catalog).unwrap();
    assert_eq!(copied, value);
    assert!(copied.is_some_and(|v| !v.is_empty()));
}

#[test]
fn find_jumps_between_hits_and_filter_keeps_only_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = loaded_app(&manager(dir.path()));
    app.update(Action::Down); // animals
    app.update(Action::Focus(Pane::Records));
    let catalog = app.data.catalog.clone().unwrap();
    let all = app.records.len(&catalog);
    press(&mut app, KeyCode::Char('/'));
    for c in "Eagle".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    settle(&mut app);
    press(&mut app, KeyCode::Enter);
    // A find marks hits among every row and jumps to the first.
    assert_eq!(app.records.len(&catalog), all, "a find does not filter");
    let rows = app.records.hit_rows.clone();
    assert!(rows.len() >= 2, "{rows:?}");
    assert_eq!(app.records.cursor.pos, rows[0]);
    press(&mut app, KeyCode::Char('n'));
    assert_eq!(app.records.cursor.pos, rows[1]);
    press(&mut app, KeyCode::Char('N'));
    press(&mut app, KeyCode::Char('N'));
    assert_eq!(app.records.cursor.pos, *rows.last().unwrap(), "N wraps");
    let key = |app: &App| {
        let row = app.records.current(&catalog).unwrap();
        catalog.databases()[row.db]
            .record(row.record)
            .unwrap()
            .key()
            .to_string()
    };
    assert!(key(&app).contains("Eagle"), "{}", key(&app));
    // Substring is smart case: "eagle" finds as many, "EAGLE" none.
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('&'));
    for c in "eagle".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    settle(&mut app);
    let filtered = app.records.len(&catalog);
    assert!(filtered >= rows.len() && filtered < all, "{filtered}");
    // Ctrl-R: regex, then fuzzy.
    let ctrl_r = KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL);
    app.update(keys::action_for(&app, ctrl_r).unwrap());
    assert_eq!(app.records.mode, backstore::search::Mode::Regex);
    press(&mut app, KeyCode::Char('('));
    settle(&mut app);
    assert!(app.records.error.is_some(), "an unfinished regex says why");
    press(&mut app, KeyCode::Backspace);
    for c in "$|^Bald".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    settle(&mut app);
    assert!(app.records.error.is_none());
    assert!(app.records.len(&catalog) > 0);
    app.update(keys::action_for(&app, ctrl_r).unwrap());
    assert_eq!(app.records.mode, backstore::search::Mode::Fuzzy);
}

fn tar_gz(files: &[(&str, &str)]) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for (name, text) in files {
        let mut header = tar::Header::new_ustar();
        header.set_size(text.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, format!("databases/{name}"), text.as_bytes())
            .unwrap();
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &tar.into_inner().unwrap()).unwrap();
    gz.finish().unwrap()
}

/// The archive changes on disk: STALE shows what changed record by record and what to do, and a reload
/// shows the new data.
#[test]
fn a_stale_cache_shows_the_record_diff_and_a_reload_shows_the_new_data() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("databases.tar.gz");
    let before = "version,key,colour\nv0.1.0,sky,blue\nv0.1.0,grass,green\nv0.1.0,sun,yellow\n";
    std::fs::write(&archive, tar_gz(&[("things.csv", before)])).unwrap();
    let manager = Arc::new(CacheManager::new(ManagerOptions {
        source: ArchiveSource::Path(archive.clone()),
        data_dir: Some(dir.path().join("data")),
        limits: Limits::default(),
    }));
    let mut app = loaded_app(&manager);
    assert!(app.take_effects().is_empty(), "fresh: nothing to compare");
    let after = "version,key,colour\nv0.1.0,sky,grey\nv0.1.0,grass,green\nv0.1.0,moon,white\n\
                 v0.1.0,star,silver\n";
    let (old, new) = (
        tar_gz(&[("things.csv", before)]),
        tar_gz(&[("things.csv", after)]),
    );
    // A rewrite of the same size within the file system's time granularity is not told apart by the
    // manager's size-and-mtime memo; this test is about the inspector, so the sizes differ.
    assert_ne!(old.len(), new.len());
    std::fs::write(&archive, new).unwrap();
    app.done(Done::Status(manager.status().map_err(|e| e.to_string())));
    assert!(app.cache.stale());
    let effects = app.take_effects();
    assert!(
        matches!(effects.as_slice(), [Effect::Diff]),
        "a stale status asks for the diff"
    );
    // The diff the worker makes.
    let (_, cached, fresh) = manager.cache_file_and_archive().unwrap();
    let diff = backstore::catalog::diff::diff(&cached.unwrap(), &fresh);
    app.done(Done::Diffed(Ok(Box::new(diff))));
    app.update(Action::Focus(Pane::Cache));
    let shown = screen(&app);
    assert!(shown.contains("r reloads"), "{shown}");
    assert!(
        shown.contains("+2 added · -1 removed · ~1 changed"),
        "{shown}"
    );
    // What STALE says to do works from the other panes too.
    app.update(Action::Focus(Pane::Records));
    press(&mut app, KeyCode::Char('D'));
    assert!(matches!(app.screen.overlay, Overlay::Diff { .. }));
    let shown = screen(&app);
    for line in ["+ moon", "- sun", "~ sky", r#"colour: "blue" → "grey""#] {
        assert!(shown.contains(line), "{line} in the diff:\n{shown}");
    }
    // The same status again does not diff again.
    app.done(Done::Status(manager.status().map_err(|e| e.to_string())));
    assert!(app.take_effects().is_empty());
    // r reloads: the Records pane shows the archive's data, the cache is fresh again.
    press(&mut app, KeyCode::Char('r'));
    let jobs = settle(&mut app);
    assert!(
        matches!(jobs.as_slice(), [Job::Load(LoadKind::Reload)]),
        "{jobs:?}"
    );
    // What the worker does for a reload of a stale cache.
    app.done(Done::Loaded {
        kind: LoadKind::Reload,
        result: manager.rebuild().map_err(|e| e.to_string()),
    });
    app.done(Done::Status(manager.status().map_err(|e| e.to_string())));
    assert!(!app.cache.stale());
    app.update(Action::Focus(Pane::Records));
    let shown = screen(&app);
    assert!(shown.contains("moon") && shown.contains("grey"), "{shown}");
    assert!(!shown.contains("yellow"), "{shown}");
}

#[test]
fn reload_rebuild_and_diff_keys_work_from_every_pane() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = loaded_app(&manager(dir.path()));
    let action = |app: &App, c: char| {
        keys::action_for(app, KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
            .map(|a| format!("{a:?}"))
    };
    for pane in Pane::ALL {
        app.update(Action::Focus(pane));
        for (key, want) in [('r', "Reload"), ('c', "Cold"), ('D', "ShowDiff")] {
            assert_eq!(
                action(&app, key).as_deref(),
                Some(want),
                "{key} in {pane:?}"
            );
        }
    }
    // Typed into a search, they are text.
    app.update(Action::Focus(Pane::Records));
    app.update(Action::StartInput);
    assert_eq!(action(&app, 'r').as_deref(), Some("Input('r')"));
}

fn screen(app: &App) -> String {
    let mut terminal = terminal_for(app);
    terminal.draw(|f| f.render_widget(app, f.area())).unwrap();
    terminal.backend().to_string()
}

#[test]
fn frequency_enter_filters_to_the_value_and_stats_describe_the_column() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = loaded_app(&manager(dir.path()));
    app.update(Action::Down); // animals: animal, family, class, habitat
    app.update(Action::Focus(Pane::Records));
    let catalog = app.data.catalog.clone().unwrap();
    for _ in 0..2 {
        press(&mut app, KeyCode::Char('l'));
    }
    press(&mut app, KeyCode::Char('F'));
    assert_eq!(app.screen.overlay, Overlay::Insight);
    assert!(
        screen(&app).contains("computing…"),
        "shown while the worker counts"
    );
    settle(&mut app);
    let shown = screen(&app);
    assert!(shown.contains("frequency of animals.class"), "{shown}");
    press(&mut app, KeyCode::Char('j'));
    let (_, _, value) = app.insight.selected_value().unwrap();
    let table = backstore::insight::frequency(
        &catalog.databases()[1],
        2,
        &std::sync::atomic::AtomicBool::new(false),
    )
    .unwrap();
    let count = table
        .values
        .iter()
        .find(|v| v.value == value)
        .unwrap()
        .count;
    press(&mut app, KeyCode::Enter);
    settle(&mut app);
    assert_eq!(app.screen.overlay, Overlay::None);
    assert!(app.records.filtered());
    assert_eq!(
        app.records.len(&catalog),
        count,
        "exactly the records with {value}"
    );
    for pos in 0..count {
        let row = app.records.row(pos).unwrap();
        let record = catalog.databases()[row.db].record(row.record).unwrap();
        assert_eq!(record.value(2), Some(value.as_str()));
    }
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('I'));
    settle(&mut app);
    let shown = screen(&app);
    assert!(shown.contains("statistics of animals.class"), "{shown}");
    assert!(shown.contains("distinct"), "{shown}");
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.screen.overlay, Overlay::None);
}

/// The README's list of keys is the keymap table's own text (`BACKSTORE_UPDATE_README=1` rewrites it).
#[test]
fn the_readme_lists_the_keys_of_the_keymap() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let (start, end) = (
        "<!-- keys: generated from src/tui/keys.rs -->\n",
        "<!-- end of keys -->",
    );
    let from = readme.find(start).expect("the README has the keys markers") + start.len();
    let to = from + readme[from..].find(end).expect("the keys block ends");
    let want = keys::markdown();
    if readme[from..to] != want && std::env::var_os("BACKSTORE_UPDATE_README").is_some() {
        std::fs::write(&path, format!("{}{want}{}", &readme[..from], &readme[to..])).unwrap();
        return;
    }
    assert_eq!(
        readme[from..to],
        want,
        "run with BACKSTORE_UPDATE_README=1 to refresh the README"
    );
}

#[test]
fn export_asks_where_and_never_replaces_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = loaded_app(&manager(dir.path()));
    app.update(Action::Focus(Pane::Timing));
    press(&mut app, KeyCode::Char('e'));
    assert!(app.timing.export_to.is_none(), "no series yet");
    app.done(Done::SeriesDone {
        result: Ok(backstore::timing::Series {
            cold: vec![backstore::timing::Sample {
                total: Duration::from_millis(5),
                phases: PhaseTimings::default(),
            }],
            warm: Vec::new(),
        }),
        cancelled: false,
    });
    press(&mut app, KeyCode::Char('e'));
    let offered = app.timing.export_to.clone().expect("e asks where to write");
    assert!(offered.starts_with("backstore-bench-") && offered.ends_with(".json"));
    assert!(screen(&app).contains("write the series to:"));
    // Ctrl-U empties the offer; the typed path is where it goes.
    app.update(Action::ClearInput);
    let target = dir.path().join("series.json");
    for c in target.display().to_string().chars() {
        app.update(Action::Input(c));
    }
    press(&mut app, KeyCode::Enter);
    let jobs = settle(&mut app);
    let [Job::Export(json, path)] = jobs.as_slice() else {
        panic!("{jobs:?}")
    };
    assert_eq!(path, &target);
    worker::export(json, path).unwrap();
    assert!(
        std::fs::read_to_string(&target)
            .unwrap()
            .contains("results")
    );
    let again = worker::export(json, path);
    assert!(
        again.is_err(),
        "an existing file is never replaced: {again:?}"
    );
    // Esc cancels without writing.
    press(&mut app, KeyCode::Char('e'));
    press(&mut app, KeyCode::Esc);
    assert!(app.timing.export_to.is_none());
    assert!(settle(&mut app).is_empty());
}

/// Finds `Eagle` in `animals` afresh and returns the rows holding its hits.
fn find_eagle(app: &mut App) -> Vec<usize> {
    press(app, KeyCode::Esc);
    app.update(Action::Focus(Pane::Records));
    press(app, KeyCode::Char('/'));
    for c in "Eagle".chars() {
        press(app, KeyCode::Char(c));
    }
    settle(app);
    press(app, KeyCode::Enter);
    assert_eq!(
        app.records.intent,
        backstore::tui::state::records::Intent::Find
    );
    let rows = app.records.hit_rows.clone();
    assert!(rows.len() >= 2, "{rows:?}");
    rows
}

/// Every way a find is dropped drops the rows holding its hits with it, at once: n and N never go to the
/// rows of hits no longer shown, not even while the search that replaces them runs.
#[test]
fn every_way_a_find_is_dropped_drops_its_hit_rows() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = loaded_app(&manager(dir.path()));
    app.update(Action::Down); // animals
    let dropped = |app: &mut App, how: &str| {
        assert!(app.records.applied.is_none(), "{how}: the hits go");
        assert!(app.records.hit_rows.is_empty(), "{how}: their rows go too");
        assert!(app.records.hit_fields.is_empty(), "{how}: and their fields");
        let at = app.records.cursor.pos;
        app.update(Action::NextHit);
        assert_eq!(app.records.cursor.pos, at, "{how}: n has nowhere to go");
    };
    // Another scope: the search runs again across all databases.
    find_eagle(&mut app);
    app.update(Action::ToggleScope);
    dropped(&mut app, "scope");
    settle(&mut app);
    app.update(Action::ToggleScope);
    settle(&mut app);
    // Another mode.
    find_eagle(&mut app);
    app.update(Action::CycleMode);
    dropped(&mut app, "mode");
    settle(&mut app);
    app.update(Action::CycleMode);
    app.update(Action::CycleMode);
    settle(&mut app);
    assert_eq!(app.records.mode, backstore::search::Mode::Substring);
    // The text typed away.
    find_eagle(&mut app);
    app.update(Action::ClearInput);
    dropped(&mut app, "empty text");
    // A filter by value from the frequency table.
    find_eagle(&mut app);
    app.update(Action::AcceptInput);
    press(&mut app, KeyCode::Char('l'));
    press(&mut app, KeyCode::Char('l'));
    press(&mut app, KeyCode::Char('F'));
    settle(&mut app);
    press(&mut app, KeyCode::Enter);
    assert!(
        app.records.applied.is_none(),
        "filter by value: the hits go"
    );
    assert!(
        app.records.hit_rows.is_empty(),
        "filter by value: their rows go too"
    );
    settle(&mut app);
    assert!(app.records.filtered());
    // Another database: the search runs again there.
    app.update(Action::CycleMode);
    app.update(Action::CycleMode);
    settle(&mut app);
    find_eagle(&mut app);
    app.update(Action::AcceptInput);
    app.update(Action::Focus(Pane::Databases));
    app.update(Action::Down);
    assert_eq!(app.records.db, Some(2));
    dropped(&mut app, "database");
}

/// `things.csv` with `rows` records keyed `k0`, `k1`, ...: the name `old` from row `from` on, `x0`, `x1`,
/// ... before it.
fn things(rows: usize, from: usize) -> String {
    let mut csv = String::from("version,key,name\n");
    for i in 0..rows {
        let name = if i >= from {
            "old".to_string()
        } else {
            format!("x{i}")
        };
        csv.push_str(&format!("v0.1.0,k{i},{name}\n"));
    }
    csv
}

/// Hands the app a load of `csv` as the only database, as the worker would.
fn load_things(app: &mut App, kind: LoadKind, csv: &str, report: &backstore::cache::LoadReport) {
    let bytes = tar_gz(&[("things.csv", csv)]);
    let catalog = backstore::catalog::build(&bytes, &Limits::default())
        .unwrap()
        .0;
    app.done(Done::Loaded {
        kind,
        result: Ok(backstore::cache::Loaded {
            catalog: Arc::new(catalog),
            report: report.clone(),
        }),
    });
}

/// The records shown, by position in their database.
fn shown_records(app: &App) -> Vec<usize> {
    let catalog = app.data.catalog.as_ref().unwrap();
    (0..app.records.len(catalog))
        .map(|i| app.records.row(i).unwrap().record)
        .collect()
}

/// A reload brings other data: the hits found in the old data are never shown or used, the search runs
/// again on the new data ("searching" meanwhile), and the cursor stays inside the new rows.
#[test]
fn a_reload_drops_the_hits_of_the_old_data() {
    let dir = tempfile::tempdir().unwrap();
    let report = manager(dir.path()).load_or_build().unwrap().report;
    let mut app = App::new("test".into(), UNIX_EPOCH);
    app.update(Action::Resize(120, 40));
    load_things(&mut app, LoadKind::Startup, &things(30, 20), &report);
    app.update(Action::Focus(Pane::Records));
    // A find whose hits are the last ten rows, the cursor on the last.
    press(&mut app, KeyCode::Char('/'));
    for c in "old".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    settle(&mut app);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.records.hit_rows, (20..30).collect::<Vec<_>>());
    press(&mut app, KeyCode::Char('N'));
    assert_eq!(app.records.cursor.pos, 29);
    // Five rows now, `old` only in the last.
    load_things(&mut app, LoadKind::Reload, &things(5, 4), &report);
    let catalog = app.data.catalog.clone().unwrap();
    assert!(app.records.applied.is_none(), "the old hits are not shown");
    assert!(app.records.hit_rows.is_empty(), "nor their rows");
    assert!(app.records.searching());
    assert!(screen(&app).contains("searching"), "{}", screen(&app));
    assert!(app.records.current(&catalog).is_some_and(|r| r.record < 5));
    press(&mut app, KeyCode::Char('n'));
    assert!(app.records.cursor.pos < 5, "n stays in the new rows");
    settle(&mut app);
    assert_eq!(app.records.hit_rows, vec![4]);
    // A filter: its rows are the hits, and none of the old ones shows after a reload.
    press(&mut app, KeyCode::Esc);
    load_things(&mut app, LoadKind::Reload, &things(30, 20), &report);
    settle(&mut app);
    press(&mut app, KeyCode::Char('&'));
    for c in "old".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    settle(&mut app);
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('G'));
    assert_eq!(shown_records(&app), (20..30).collect::<Vec<_>>());
    load_things(&mut app, LoadKind::Reload, &things(5, 4), &report);
    assert!(app.records.searching());
    assert!(
        shown_records(&app).iter().all(|r| *r < 5),
        "{:?}",
        shown_records(&app)
    );
    let catalog = app.data.catalog.clone().unwrap();
    assert!(app.records.current(&catalog).is_some());
    settle(&mut app);
    assert!(app.records.filtered());
    assert_eq!(shown_records(&app), vec![4]);
    // A filter the new data cannot run (no such column) shows why, and none of the old hits.
    press(&mut app, KeyCode::Char('&'));
    app.update(Action::ClearInput);
    for c in "name:old".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    settle(&mut app);
    press(&mut app, KeyCode::Enter);
    assert_eq!(shown_records(&app), vec![4]);
    let other = "version,key,colour\nv0.1.0,a,red\nv0.1.0,b,old\n";
    load_things(&mut app, LoadKind::Reload, other, &report);
    settle(&mut app);
    assert!(app.records.error.is_some(), "the unknown column is named");
    assert!(app.records.applied.is_none(), "the old hits are not shown");
    assert_eq!(shown_records(&app), vec![0, 1]);
}

/// The typed text leaves for the worker as it is: the query (a regex compiled, a searcher built) is made
/// there, not on the UI thread. Why a pattern cannot be searched comes back from there to the prompt, and
/// a result for text typed over since is dropped. An unknown column, a check of the catalog only, is
/// still told at once.
#[test]
fn the_query_is_built_on_the_worker_and_its_error_comes_back_from_there() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = loaded_app(&manager(dir.path()));
    app.update(Action::Down); // animals
    app.update(Action::Focus(Pane::Records));
    press(&mut app, KeyCode::Char('/'));
    app.update(Action::CycleMode);
    assert_eq!(app.records.mode, Mode::Regex);
    let typed = |app: &mut App, c: char| {
        press(app, KeyCode::Char(c));
        let mut effects = app.take_effects();
        assert_eq!(effects.len(), 1, "one search per key");
        let Some(Effect::Search(job)) = effects.pop() else {
            panic!("the text leaves for a worker")
        };
        let JobQuery::Typed { text, mode } = &job.query else {
            panic!("as text, not a query")
        };
        assert_eq!(
            (text.as_str(), *mode),
            (app.records.input.as_str(), Mode::Regex)
        );
        job
    };
    let first = typed(&mut app, '(');
    assert!(
        app.records.error.is_none(),
        "not known before the worker says"
    );
    assert!(app.records.searching());
    let second = typed(&mut app, 'a');
    // The first one's error, from a worker that finished it before it saw the cancel: dropped.
    let invalid = Query::new("(", Mode::Regex).unwrap_err();
    app.done(Done::SearchDone {
        id: first.id,
        result: Err(invalid),
    });
    assert!(app.records.error.is_none());
    assert!(app.records.searching());
    let result = second.run().expect("not cancelled");
    assert!(result.is_err());
    app.done(Done::SearchDone {
        id: second.id,
        result,
    });
    assert!(!app.records.searching());
    let error = app.records.error.clone().expect("the worker said why");
    assert!(error.contains("invalid regex"), "{error}");
    assert!(screen(&app).contains("invalid regex"), "{}", screen(&app));
    // Finished, the pattern searches; the query built on the worker is the one applied.
    let third = typed(&mut app, ')');
    let result = third.run().expect("not cancelled");
    app.done(Done::SearchDone {
        id: third.id,
        result,
    });
    assert!(app.records.error.is_none());
    let applied = app.records.applied.as_ref().expect("the hits are shown");
    assert_eq!(applied.query.text(), "(a)");
    assert!(!applied.hits.is_empty());
    // A column none of the databases has is told without a worker.
    app.update(Action::ClearInput);
    settle(&mut app);
    for c in "nope:x".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    assert!(
        app.take_effects()
            .iter()
            .all(|e| !matches!(e, Effect::Search(_))),
        "no search leaves"
    );
    let error = app.records.error.clone().expect("told at once");
    assert!(error.contains("unknown column"), "{error}");
}

/// `D` with no diff says why: a cache the start-up load found stale was rebuilt from the archive there and
/// then, so nothing differs; a cache loaded fresh is simply not stale.
#[test]
fn show_diff_after_a_stale_cache_was_rebuilt_at_start_up_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("databases.tar.gz");
    let options = || ManagerOptions {
        source: ArchiveSource::Path(archive.clone()),
        data_dir: Some(dir.path().join("data")),
        limits: Limits::default(),
    };
    let toast = |app: &mut App| {
        app.update(Action::ShowDiff);
        assert_eq!(app.screen.overlay, Overlay::None, "no diff to show");
        app.toast.clone().expect("D says why").text
    };
    std::fs::write(&archive, tar_gz(&[("things.csv", &things(3, 3))])).unwrap();
    let mut app = loaded_app(&Arc::new(CacheManager::new(options())));
    assert_eq!(
        toast(&mut app),
        "nothing to compare: the cache was just built from the archive"
    );
    let mut app = loaded_app(&Arc::new(CacheManager::new(options())));
    assert_eq!(
        toast(&mut app),
        "nothing to compare: the cache is not stale"
    );
    // The archive changes before the next start: that start rebuilds the stale cache.
    std::fs::write(&archive, tar_gz(&[("things.csv", &things(5, 2))])).unwrap();
    let manager = Arc::new(CacheManager::new(options()));
    let mut app = loaded_app(&manager);
    let outcome = &app.data.report.as_ref().unwrap().outcome;
    assert!(
        outcome.reason().starts_with("archive hash differs"),
        "rebuilt as stale: {outcome:?}"
    );
    assert!(!app.cache.stale());
    assert_eq!(
        toast(&mut app),
        "nothing to compare: the stale cache was just rebuilt from the archive"
    );
}

/// A value of megabytes is wrapped in the detail only as far as it shows, each frame, and the overlay says
/// how much is left out; scrolling to its end stays within the overlay's bounds.
#[test]
fn a_huge_value_is_cut_in_the_detail_with_a_note_of_its_size() {
    use backstore::testkit::tables::{self, Table};
    let dir = tempfile::tempdir().unwrap();
    let table = Table {
        name: "huge".into(),
        header: vec!["id".into(), "text".into()],
        rows: vec![vec!["big".into(), "é word ".repeat(300_000)]],
    };
    let bytes: &'static [u8] = Box::leak(tables::archive(&[table]).into_boxed_slice());
    let manager = CacheManager::new(ManagerOptions {
        source: ArchiveSource::Bytes(bytes),
        data_dir: Some(dir.path().to_path_buf()),
        limits: Limits::default(),
    });
    let mut app = loaded_app(&manager);
    app.update(Action::Focus(Pane::Records));
    press(&mut app, KeyCode::Enter);
    assert!(matches!(app.screen.overlay, Overlay::Detail { .. }));
    let mut terminal = terminal_for(&app);
    draw_frame(&mut terminal, &mut app);
    let limit = app.screen.limits.detail.expect("the detail was drawn");
    assert!(
        (1900..2100).contains(&usize::from(limit)),
        "about 2,000 lines of the value, not all of its 2.4 MB: {limit}"
    );
    press(&mut app, KeyCode::Char('G'));
    assert_eq!(
        app.screen.overlay,
        Overlay::Detail { scroll: limit },
        "the end key goes to the end"
    );
    let screen = draw_frame(&mut terminal, &mut app);
    assert!(
        screen.contains("cut after 2000 lines: the value has 2.4 MB in all"),
        "{screen}"
    );
}

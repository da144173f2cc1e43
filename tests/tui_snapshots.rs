//! Screen tests of the inspector: every pane, overlays, search highlights, cache states and the too-small
//! message, rendered to a buffer from fixed data and a fixed clock; plus colour checks where colour carries
//! meaning.

mod tui_common;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use backstore::cache::{
    ArchiveInfo, BuildReason, CacheFileInfo, CacheState, CacheStatus, Change, ChangeKind,
    Corruption, Depth, LoadReport, Loaded, OtherCacheFile, Outcome, Phase, PhaseTimings, Unusable,
};
use backstore::catalog::{self, Catalog, Limits};
use backstore::timing::{LoadKind, Progress, Sample, Series};
use backstore::tui::action::{Action, Done, LoadKind as Load};
use backstore::tui::app::{App, Effect, Pane};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;
use tui_common::settle;

/// 2026-11-24T07:30:00Z: every age on screen is measured from here.
fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_795_505_400)
}

fn tar_gz(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for (name, bytes) in files {
        let mut header = tar::Header::new_ustar();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_cksum();
        tar.append_data(&mut header, format!("databases/{name}"), *bytes)
            .unwrap();
    }
    let tar = tar.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &tar).unwrap();
    gz.finish().unwrap()
}

/// Small databases covering what the panes must show: wide text, a ragged row, a duplicate key, a differing
/// version, an empty database, a wide table and one that fails to parse.
fn fixture_archive() -> Vec<u8> {
    let animals = "version,key,family,habitat\n\
        v0.1.0,cat,Felidae,homes and barns\n\
        v0.1.0,dog,Canidae,\"farms, homes\"\n\
        v0.1.0,東京タワーの猫,Felidae,東京 (Tokyo)\n\
        v0.1.0,🦊 fox,Canidae,forests\n\
        v0.1.0,cafe\u{301},Bistro,Paris\n\
        v0.1.0,ghost,Spectre\n\
        v0.1.0,cat,Felidae,duplicate row\n";
    let places = "version,key,country\nv0.2.0,paris,France\nv0.2.0,oslo,Norway\nv0.2.0,lima,Peru\n";
    let empty = "version,key,value\n";
    let mut wide = String::from("version,key,alpha,bravo,charlie,delta,echo,foxtrot,golf,hotel\n");
    for i in 0..40 {
        wide.push_str(&format!(
            "v0.1.0,row{i:02},alpha value {i},bravo {i},charlie long text {i},delta {i},echo {i},foxtrot {i},golf {i},hotel {i}\n"
        ));
    }
    let broken: &[u8] = b"version,key,value\nv0.1.0,bad,\xff\xfe\n";
    tar_gz(&[
        ("animals.csv", animals.as_bytes()),
        ("places.csv", places.as_bytes()),
        ("empty.csv", empty.as_bytes()),
        ("wide.csv", wide.as_bytes()),
        ("broken.csv", broken),
    ])
}

fn catalog_of(bytes: &[u8]) -> Arc<Catalog> {
    Arc::new(
        catalog::build(bytes, &Limits::default())
            .expect("fixture archive builds")
            .0,
    )
}

fn report(catalog: &Catalog, outcome: Outcome) -> LoadReport {
    LoadReport {
        reason: outcome.reason(),
        outcome,
        timings: PhaseTimings(vec![
            (Phase::Hash, Duration::from_micros(300)),
            (Phase::Read, Duration::from_micros(900)),
            (Phase::Verify, Duration::from_micros(200)),
            (Phase::Decode, Duration::from_micros(1_600)),
        ]),
        total: Duration::from_millis(3),
        databases: catalog.databases().len(),
        records: catalog.records(),
        failed_databases: catalog.failed().len(),
        version: catalog.version().to_string(),
        data_dir: None,
        cache_path: None,
    }
}

const ARCHIVE_SHA: [u8; 32] = [0x3f; 32];

fn status(state: CacheState) -> CacheStatus {
    let mut cached = ARCHIVE_SHA;
    if matches!(state, CacheState::Stale { .. }) {
        cached[20] = 0x40;
    }
    let exists = state != CacheState::Missing;
    CacheStatus {
        reason: state.to_string(),
        changed: state.changed().to_vec(),
        state,
        check: Depth::Full,
        data_dir: Some(PathBuf::from("/data/backstore")),
        temp_files: Vec::new(),
        version: "v0.1.0".into(),
        archive: ArchiveInfo {
            source: "embedded".into(),
            sha256: ARCHIVE_SHA,
            bytes: 99_461,
        },
        cache: CacheFileInfo {
            path: Some(PathBuf::from("/data/backstore/cache/databases_v0.1.0.bin")),
            exists,
            bytes: exists.then_some(1_234_567),
            built_at: exists.then(|| now() - Duration::from_secs(180)),
            source_sha256: exists.then_some(cached),
            format_version: exists.then_some(1),
        },
        other_cache_files: vec![OtherCacheFile {
            path: PathBuf::from("/data/backstore/cache/databases_v0.0.9.bin"),
            bytes: 1_100_000,
            modified: Some(now() - Duration::from_secs(3 * 86_400)),
        }],
    }
}

fn app_with(catalog: Arc<Catalog>, state: CacheState, size: (u16, u16)) -> App {
    let mut app = App::new("embedded".into(), now());
    app.look
        .abbreviations
        .push((PathBuf::from("/data/backstore"), "$DATA".into()));
    app.update(Action::Resize(size.0, size.1));
    let report = report(&catalog, Outcome::Loaded);
    app.done(Done::Loaded {
        kind: Load::Startup,
        result: Ok(Loaded { catalog, report }),
    });
    app.done(Done::Status(Ok(status(state))));
    app
}

fn fixture_app(size: (u16, u16)) -> App {
    app_with(catalog_of(&fixture_archive()), CacheState::Fresh, size)
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        app.update(Action::Input(c));
    }
}

fn draw(app: &App) -> Terminal<TestBackend> {
    let mut terminal =
        Terminal::new(TestBackend::new(app.screen.size.0, app.screen.size.1)).unwrap();
    terminal.draw(|f| f.render_widget(app, f.area())).unwrap();
    terminal
}

fn screen(app: &App) -> String {
    draw(app).backend().to_string()
}

/// The first cell where `word` starts on screen.
fn find(buffer: &Buffer, word: &str) -> Option<(u16, u16)> {
    let area = buffer.area;
    for y in 0..area.height {
        let line: String = (0..area.width)
            .map(|x| buffer[(x, y)].symbol().to_string())
            .collect();
        if let Some(byte) = line.find(word) {
            let x = line[..byte].chars().count() as u16;
            return Some((x, y));
        }
    }
    None
}

#[test]
fn browse_80x24() {
    let app = fixture_app((80, 24));
    insta::assert_snapshot!(screen(&app));
}

#[test]
fn browse_embedded_120x40() {
    let mut app = app_with(
        catalog_of(backstore::embedded::ARCHIVE),
        CacheState::Fresh,
        (120, 40),
    );
    app.update(Action::Down);
    app.update(Action::Focus(Pane::Records));
    for _ in 0..25 {
        app.update(Action::Down);
    }
    insta::assert_snapshot!(screen(&app));
}

#[test]
fn records_wide_table_scrolled_keeps_the_key_column() {
    let mut app = fixture_app((80, 24));
    app.update(Action::Focus(Pane::Databases));
    app.update(Action::Bottom);
    app.update(Action::Focus(Pane::Records));
    for _ in 0..7 {
        app.update(Action::Right);
    }
    app.update(Action::Down);
    let shown = screen(&app);
    assert!(shown.contains("row01"), "key column stays visible");
    assert!(shown.contains("golf"), "scrolled right to later columns");
    assert!(shown.contains("[Row 2/40, Col 8/9]"));
    insta::assert_snapshot!(shown);
}

#[test]
fn help_overlay_80x24_and_120x40() {
    let mut app = fixture_app((80, 24));
    app.update(Action::ToggleHelp);
    insta::assert_snapshot!("help_80x24", screen(&app));
    app.update(Action::Resize(120, 40));
    insta::assert_snapshot!("help_120x40", screen(&app));
}

#[test]
fn record_detail_shows_missing_fields_as_missing() {
    let mut app = fixture_app((80, 24));
    app.update(Action::Focus(Pane::Records));
    // animals rows: cat, dog, 東京タワーの猫, 🦊 fox, café, ghost (ragged)
    for _ in 0..5 {
        app.update(Action::Down);
    }
    app.update(Action::Enter);
    let shown = screen(&app);
    assert!(shown.contains("(missing: this row is shorter than the header)"));
    assert!(shown.contains("backstore get animals ghost"));
    insta::assert_snapshot!(shown);
}

#[test]
fn records_table_aligns_wide_characters_80x24() {
    let mut app = fixture_app((80, 24));
    app.update(Action::Focus(Pane::Records));
    insta::assert_snapshot!(screen(&app));
}

#[test]
fn search_with_highlights_80x24() {
    let mut app = fixture_app((80, 24));
    app.update(Action::Focus(Pane::Records));
    app.update(Action::StartInput);
    type_text(&mut app, "fel");
    settle(&mut app);
    let terminal = draw(&app);
    let shown = terminal.backend().to_string();
    assert!(
        shown.contains("3/7"),
        "counter shows matches/total:\n{shown}"
    );
    // The matched characters are styled apart from the rest of the value.
    let buffer = terminal.backend().buffer();
    let (x, y) = find(buffer, "Felidae").expect("a hit is shown");
    let matched = buffer[(x, y)].style();
    let unmatched = buffer[(x + 4, y)].style();
    assert_ne!(matched, unmatched, "matched characters are highlighted");
    insta::assert_snapshot!(shown);
}

#[test]
fn search_across_all_databases_120x40() {
    let mut app = fixture_app((120, 40));
    app.update(Action::Focus(Pane::Records));
    app.update(Action::StartInput);
    app.update(Action::ToggleScope);
    type_text(&mut app, "o");
    settle(&mut app);
    app.update(Action::AcceptInput);
    insta::assert_snapshot!(screen(&app));
}

#[test]
fn cache_stale_80x24_and_120x40() {
    let stale = CacheState::Stale {
        changed: vec![
            Change {
                database: "animals".into(),
                change: ChangeKind::Modified,
            },
            Change {
                database: "birds".into(),
                change: ChangeKind::Added,
            },
        ],
    };
    let mut app = app_with(catalog_of(&fixture_archive()), stale, (80, 24));
    app.update(Action::Focus(Pane::Cache));
    insta::assert_snapshot!("cache_stale_80x24", screen(&app));
    app.update(Action::Resize(120, 40));
    insta::assert_snapshot!("cache_stale_120x40", screen(&app));
}

#[test]
fn cache_corrupt_80x24() {
    let corrupt = CacheState::Corrupt {
        problem: Corruption::PayloadChecksum {
            expected: 0x1234,
            found: 0xabcd,
        },
    };
    let mut app = app_with(catalog_of(&fixture_archive()), corrupt, (80, 24));
    app.update(Action::Focus(Pane::Cache));
    app.update(Action::ToggleZoom);
    insta::assert_snapshot!(screen(&app));
}

#[test]
fn a_status_that_found_the_body_damaged_reads_corrupt() {
    let mut app = fixture_app((120, 40));
    let corrupt = CacheState::Corrupt {
        problem: Corruption::PayloadChecksum {
            expected: 1,
            found: 2,
        },
    };
    app.done(Done::Status(Ok(status(corrupt))));
    let shown = screen(&app);
    assert!(shown.contains(" CORRUPT "), "{shown}");
    assert!(shown.contains("payload checksum mismatch"));
}

#[test]
fn in_memory_only_says_why() {
    let catalog = catalog_of(&fixture_archive());
    let mut app = App::new("embedded".into(), now());
    app.update(Action::Resize(120, 40));
    let why = Unusable::Unwritable {
        dir: PathBuf::from("/data/backstore/cache"),
        error: std::io::Error::from(std::io::ErrorKind::PermissionDenied).into(),
    };
    let outcome = Outcome::InMemory {
        reason: BuildReason::Cache(CacheState::Missing),
        why: why.clone(),
    };
    let report = report(&catalog, outcome);
    app.done(Done::Loaded {
        kind: Load::Startup,
        result: Ok(Loaded { catalog, report }),
    });
    app.done(Done::Status(Ok(status(CacheState::InMemoryOnly { why }))));
    let shown = screen(&app);
    assert!(shown.contains(" IN MEMORY ONLY "), "{shown}");
    assert!(shown.contains("permission denied"), "{shown}");
}

#[test]
fn unreadable_archive_still_opens() {
    let mut app = App::new("/nowhere/databases.tar.gz".into(), now());
    app.update(Action::Resize(80, 24));
    let error = "archive /nowhere/databases.tar.gz: cannot read the file: No such file or directory (os error 2)";
    app.done(Done::Loaded {
        kind: Load::Startup,
        result: Err(error.into()),
    });
    app.done(Done::Status(Err(error.into())));
    let shown = screen(&app);
    assert!(shown.contains("ERROR"));
    assert!(shown.contains("What to do"));
    assert!(shown.contains("nothing to show"));
    insta::assert_snapshot!(shown);
}

#[test]
fn failed_and_empty_databases_are_listed() {
    let mut app = fixture_app((80, 24));
    // Name order: animals, broken (failed), empty, places, wide.
    app.update(Action::Down);
    let shown = screen(&app);
    assert!(shown.contains("ERR"), "{shown}");
    assert!(shown.contains("could not be loaded"), "{shown}");
    insta::assert_snapshot!("failed_database", shown);
    app.update(Action::Down);
    let shown = screen(&app);
    assert!(shown.contains("no records"), "{shown}");
}

fn sample(kind: LoadKind, ms: u64) -> Sample {
    let phases = match kind {
        LoadKind::Cold => vec![
            (Phase::Hash, 2),
            (Phase::Decompress, 8),
            (Phase::Parse, ms / 2),
            (Phase::Index, ms / 4),
            (Phase::Encode, 6),
            (Phase::Write, 4),
        ],
        LoadKind::Warm => vec![
            (Phase::Hash, 0),
            (Phase::Read, 1),
            (Phase::Verify, 1),
            (Phase::Decode, 2),
        ],
    };
    Sample {
        total: Duration::from_millis(ms),
        phases: PhaseTimings(
            phases
                .into_iter()
                .map(|(p, t)| (p, Duration::from_millis(t)))
                .collect(),
        ),
    }
}

#[test]
fn timing_series_120x40() {
    let mut app = fixture_app((120, 40));
    series_in(&mut app);
    let shown = screen(&app);
    assert!(shown.contains("Time (mean ± σ)"), "{shown}");
    assert!(shown.contains("faster than a cold one"), "{shown}");
    assert!(shown.contains("pays back after"), "{shown}");
    insta::assert_snapshot!(shown);
}

/// An archive on disk: warm runs in this process skip hashing it, and the headline counts the hash a
/// fresh start pays.
#[test]
fn timing_series_of_an_archive_on_disk_counts_its_hash() {
    for size in [(80, 24), (120, 40)] {
        let mut app = fixture_app(size);
        app.data.source = "/data/databases.tar.gz".into();
        app.update(Action::ToggleZoom);
        series_in(&mut app);
        let shown = screen(&app);
        assert!(shown.contains("hashing the archive"), "{shown}");
        assert!(shown.contains("reuse this process"), "{shown}");
        insta::assert_snapshot!(format!("timing_on_disk_{}x{}", size.0, size.1), shown);
        app.update(Action::Export);
        let shown = screen(&app);
        assert!(
            shown.contains("write the series to: backstore-bench-"),
            "{shown}"
        );
        insta::assert_snapshot!(format!("timing_export_{}x{}", size.0, size.1), shown);
    }
}

fn series_in(app: &mut App) {
    app.update(Action::Focus(Pane::Timing));
    let cold = [180, 176, 185, 179, 190];
    let warm = [5, 5, 6, 5, 4];
    let mut series = Series::default();
    for (i, (c, w)) in cold.iter().zip(warm).enumerate() {
        for (kind, ms) in [(LoadKind::Cold, *c), (LoadKind::Warm, w)] {
            let s = sample(kind, ms);
            let progress = Progress {
                warmup: false,
                kind,
                done: 2 * i + 1,
                total: 10,
            };
            app.done(Done::SeriesProgress(progress, s.clone()));
            match kind {
                LoadKind::Cold => series.cold.push(s),
                LoadKind::Warm => series.warm.push(s),
            }
        }
    }
    app.done(Done::SeriesDone {
        result: Ok(series),
        cancelled: false,
    });
}

#[test]
fn timing_last_cold_load_stacked_bar_80x24() {
    let mut app = fixture_app((80, 24));
    app.update(Action::Focus(Pane::Timing));
    app.update(Action::Cold);
    let catalog = app.data.catalog.clone().unwrap();
    let mut report = report(&catalog, Outcome::Built(BuildReason::Forced));
    let s = sample(LoadKind::Cold, 120);
    report.timings = s.phases;
    report.total = s.total;
    app.done(Done::Loaded {
        kind: Load::Cold,
        result: Ok(Loaded { catalog, report }),
    });
    app.update(Action::Tick(now()));
    let shown = screen(&app);
    assert!(
        shown.contains("pppp"),
        "the parse phase has the widest share:\n{shown}"
    );
    insta::assert_snapshot!(shown);
}

#[test]
fn running_series_shows_progress() {
    let mut app = fixture_app((80, 24));
    app.update(Action::Focus(Pane::Timing));
    app.update(Action::Bench);
    let progress = Progress {
        warmup: true,
        kind: LoadKind::Cold,
        done: 3,
        total: 24,
    };
    app.done(Done::SeriesProgress(progress, sample(LoadKind::Cold, 150)));
    let shown = screen(&app);
    assert!(shown.contains("warm-up cold run 3/24"), "{shown}");
    assert!(shown.contains("12%"), "{shown}");
}

#[test]
fn too_small_says_so() {
    let mut app = fixture_app((30, 10));
    insta::assert_snapshot!("too_small", screen(&app));
    // No size, however small, may panic: drawn straight into buffers, zero-sized ones included.
    let render = |app: &App| {
        let area = ratatui::layout::Rect::new(0, 0, app.screen.size.0, app.screen.size.1);
        let mut buffer = Buffer::empty(area);
        ratatui::widgets::Widget::render(app, area, &mut buffer);
    };
    for (w, h) in [
        (0, 0),
        (1, 1),
        (0, 30),
        (39, 15),
        (40, 14),
        (40, 15),
        (79, 23),
        (80, 19),
        (300, 5),
        (5, 300),
    ] {
        app.update(Action::Resize(w, h));
        for pane in Pane::ALL {
            app.update(Action::Focus(pane));
            app.update(Action::ToggleZoom);
            render(&app);
            app.update(Action::ToggleZoom);
            render(&app);
            app.update(Action::PageDown);
        }
        app.update(Action::Focus(Pane::Records));
        app.update(Action::Enter);
        render(&app);
        app.update(Action::Close);
        app.update(Action::ToggleHelp);
        render(&app);
        app.update(Action::ToggleHelp);
    }
}

#[test]
fn narrow_terminal_stacks_panes() {
    let mut app = fixture_app((60, 30));
    app.update(Action::Focus(Pane::Records));
    insta::assert_snapshot!(screen(&app));
}

#[test]
fn confirm_invalidate_asks_first() {
    let mut app = fixture_app((80, 24));
    app.update(Action::Focus(Pane::Timing));
    app.update(Action::Invalidate);
    assert!(
        app.take_effects().is_empty(),
        "nothing is deleted before the answer"
    );
    insta::assert_snapshot!(screen(&app));
}

#[test]
fn stale_verdict_is_styled_apart_from_fresh() {
    let fresh = fixture_app((80, 24));
    let stale = app_with(
        catalog_of(&fixture_archive()),
        CacheState::Stale { changed: vec![] },
        (80, 24),
    );
    let style_of = |app: &App, word: &str| {
        let terminal = draw(app);
        let buffer = terminal.backend().buffer().clone();
        let (x, y) = find(&buffer, word).expect("verdict shown");
        buffer[(x, y)].style()
    };
    let fresh_style = style_of(&fresh, "FRESH");
    let stale_style = style_of(&stale, "STALE");
    assert_ne!(fresh_style.bg, stale_style.bg);
    assert_eq!(fresh_style.bg, Some(Color::Green));
    assert_eq!(stale_style.bg, Some(Color::Yellow));
}

#[test]
fn differing_hash_is_highlighted_from_the_first_difference() {
    let stale = app_with(
        catalog_of(&fixture_archive()),
        CacheState::Stale { changed: vec![] },
        (120, 40),
    );
    let terminal = draw(&stale);
    let buffer = terminal.backend().buffer();
    // Byte 20 differs: hex character 40 onward.
    let (x, y) = find(buffer, "cache    ").expect("cache hash line");
    let hash_x = x + 9;
    assert!(matches!(
        buffer[(hash_x + 39, y)].style().bg,
        None | Some(Color::Reset)
    ));
    assert_eq!(buffer[(hash_x + 40, y)].style().bg, Some(Color::Yellow));
}

#[test]
fn no_color_uses_no_colours() {
    let mut app = app_with(
        catalog_of(&fixture_archive()),
        CacheState::Stale { changed: vec![] },
        (120, 40),
    );
    app.look.no_color = true;
    app.update(Action::Focus(Pane::Records));
    app.update(Action::StartInput);
    type_text(&mut app, "fel");
    settle(&mut app);
    let terminal = draw(&app);
    for cell in terminal.backend().buffer().content() {
        let style = cell.style();
        assert!(
            matches!(style.fg, None | Some(Color::Reset))
                && matches!(style.bg, None | Some(Color::Reset)),
            "a coloured cell under NO_COLOR: {cell:?}"
        );
    }
    assert!(terminal.backend().to_string().contains("STALE"));
}

/// Terminals give each character of `रा` or a flag its own column; a cell holding both would leave the second
/// on screen when the cell is redrawn.
#[test]
fn clusters_of_single_column_characters_take_one_cell_each() {
    let names = "version,key,local\nv0.1.0,agra,आगरा\nv0.1.0,france,🇫🇷\n";
    let catalog = catalog_of(&tar_gz(&[("names.csv", names.as_bytes())]));
    let app = app_with(catalog, CacheState::Fresh, (80, 24));
    let terminal = draw(&app);
    let buffer = terminal.backend().buffer();
    let (x, y) = find(buffer, "आग").expect("the Devanagari name is drawn");
    let cells: Vec<&str> = (x..x + 4).map(|x| buffer[(x, y)].symbol()).collect();
    assert_eq!(cells, ["आ", "ग", "र", "ा"]);
    let (x, y) = find(buffer, "🇫").expect("the flag is drawn");
    assert_eq!(buffer[(x + 1, y)].symbol(), "🇷");
}

/// Long values that differ only near their end, under duplicate keys: the issue's case where every row read
/// `The background should be this c…`.
fn long_text_app(size: (u16, u16)) -> App {
    let mut csv = String::from("version,key,prompt,tone\n");
    for (i, colour) in [
        "teal", "amber", "plum", "slate", "ivory", "coral", "olive", "rust",
    ]
    .iter()
    .enumerate()
    {
        let key = if i < 5 { "background" } else { "backdrop" };
        csv.push_str(&format!(
            "v0.1.0,{key},\"The background should be this colour, soft and even, with a faint grain: {colour}\",calm {i}\n"
        ));
    }
    let catalog = catalog_of(&tar_gz(&[("prompts.csv", csv.as_bytes())]));
    let mut app = app_with(catalog, CacheState::Fresh, size);
    app.update(Action::Focus(Pane::Records));
    app
}

#[test]
fn columns_fit_their_content_and_the_focused_cell_shows_in_full() {
    for size in [(80, 24), (120, 40)] {
        let mut app = long_text_app(size);
        app.update(Action::Right);
        app.update(Action::Down);
        let shown = screen(&app);
        // The focused cell's whole value is on screen, under the table.
        assert!(shown.contains("amber"), "{shown}");
        assert!(shown.contains("prompt: The background"), "{shown}");
        // Row numbers tell the duplicate keys apart.
        assert!(shown.contains("│2 background"), "{shown}");
        insta::assert_snapshot!(format!("fit_columns_{}x{}", size.0, size.1), shown);
    }
}

#[test]
fn wrapped_cells_tell_long_values_apart() {
    for size in [(80, 24), (120, 40)] {
        let mut app = long_text_app(size);
        app.update(Action::ToggleWrap);
        let shown = screen(&app);
        for colour in ["teal", "amber", "plum"] {
            assert!(
                shown.contains(colour),
                "{colour} shown when wrapped:\n{shown}"
            );
        }
        insta::assert_snapshot!(format!("wrapped_{}x{}", size.0, size.1), shown);
        // Down moves a row, and the view scrolls by rows that fit whole.
        for _ in 0..7 {
            app.update(Action::Down);
        }
        assert!(screen(&app).contains("rust"), "the last row shows");
    }
}

#[test]
fn sorted_by_a_column_shows_it_in_the_header() {
    for size in [(80, 24), (120, 40)] {
        let mut app = fixture_app(size);
        app.update(Action::Focus(Pane::Records));
        app.update(Action::Right);
        app.update(Action::Right);
        app.update(Action::SortDescending);
        let waiting = screen(&app);
        assert!(waiting.contains("sorting…"), "{waiting}");
        settle(&mut app);
        let shown = screen(&app);
        assert!(shown.contains("sorted by habitat ↓"), "{shown}");
        assert!(shown.contains("habitat ↓"), "{shown}");
        insta::assert_snapshot!(format!("sorted_{}x{}", size.0, size.1), shown);
        app.update(Action::StartJump);
        app.update(Action::Input('4'));
        let prompt = screen(&app);
        assert!(prompt.contains(":4█"), "{prompt}");
        insta::assert_snapshot!(format!("jump_prompt_{}x{}", size.0, size.1), prompt);
        app.update(Action::AcceptInput);
        assert_eq!(app.records.cursor.pos, 3);
    }
}

#[test]
fn find_scrolls_the_match_into_view_and_filter_keeps_only_hits() {
    for size in [(80, 24), (120, 40)] {
        let mut app = long_text_app(size);
        app.update(Action::StartInput);
        type_text(&mut app, "amber");
        settle(&mut app);
        app.update(Action::AcceptInput);
        let terminal = draw(&app);
        let shown = terminal.backend().to_string();
        // The find jumped to the second row and shows its match, though it is past the column's width.
        assert!(shown.contains("[Row 2/8"), "{shown}");
        let (x, y) = find(terminal.backend().buffer(), "amber").expect("the match is in view");
        let buffer = terminal.backend().buffer();
        assert_ne!(
            buffer[(x, y)].style(),
            buffer[(x - 2, y)].style(),
            "and highlighted"
        );
        insta::assert_snapshot!(format!("find_{}x{}", size.0, size.1), shown);
        app.update(Action::ClearFilter);
        app.update(Action::StartFilter);
        type_text(&mut app, "grain.{2}[ptr]");
        app.update(Action::CycleMode);
        settle(&mut app);
        let shown = screen(&app);
        assert!(shown.contains("regex"), "{shown}");
        assert!(shown.contains("[Row 1/3"), "teal, plum, rust:\n{shown}");
        insta::assert_snapshot!(format!("filter_regex_{}x{}", size.0, size.1), shown);
    }
}

/// An archive with entries that are not databases, and one version on every database.
fn skipped_app(size: (u16, u16)) -> App {
    let mut tar = tar::Builder::new(Vec::new());
    let mut add = |name: &str, bytes: &[u8]| {
        let mut header = tar::Header::new_ustar();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, name, bytes).unwrap();
    };
    add(
        "databases/camera_viewpoints_and_angles.csv",
        b"version,key,v\nv0.3.0,a,1\nv0.3.0,b,2\n",
    );
    add(
        "databases/colours.csv",
        b"version,key,hex\nv0.3.0,red,#f00\n",
    );
    add("databases/README.txt", b"not a database");
    add("databases/.hidden.csv", b"version,key\n");
    add("databases/deep/nested/x.csv", b"version,key\n");
    let mut link = tar::Header::new_ustar();
    link.set_entry_type(tar::EntryType::Symlink);
    link.set_size(0);
    link.set_cksum();
    tar.append_link(&mut link, "databases/passwd.csv", "/etc/passwd")
        .unwrap();
    let raw = tar.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &raw).unwrap();
    let catalog = catalog_of(&gz.finish().unwrap());
    app_with(catalog, CacheState::Fresh, size)
}

#[test]
fn skipped_entries_are_listed_with_their_reasons() {
    for size in [(80, 24), (120, 40)] {
        let mut app = skipped_app(size);
        let shown = screen(&app);
        assert!(
            shown.contains("all v0.3.0"),
            "a uniform version is said once:\n{shown}"
        );
        let header = shown.lines().nth(1).unwrap_or_default();
        assert!(!header.contains("version"), "and has no column:\n{shown}");
        assert!(
            shown.contains("camera_viewpoints_and_angles"),
            "names have the room:\n{shown}"
        );
        assert!(
            shown.contains("README.txt") && shown.contains("SKIP"),
            "{shown}"
        );
        insta::assert_snapshot!(format!("skipped_{}x{}", size.0, size.1), shown);
        // Selected, a skipped entry says why, here and in Records.
        for _ in 0..2 {
            app.update(Action::Down);
        }
        let shown = screen(&app);
        assert!(shown.contains("skipped:"), "{shown}");
        assert!(
            shown.contains("nothing to show: the archive entry"),
            "{shown}"
        );
        insta::assert_snapshot!(format!("skipped_selected_{}x{}", size.0, size.1), shown);
    }
}

#[test]
fn stale_shows_what_changed_and_what_to_do() {
    let before = catalog_of(&fixture_archive());
    let places = "version,key,country\nv0.2.0,paris,France\nv0.2.0,oslo,Norge\nv0.2.0,rome,Italy\n";
    let after = catalog_of(&tar_gz(&[
        ("places.csv", places.as_bytes()),
        ("wide.csv", b"version,key,alpha\nv0.1.0,row00,a\n"),
    ]));
    let diff = backstore::catalog::diff::diff(&before, &after);
    let stale = CacheState::Stale {
        changed: vec![Change {
            database: "places".into(),
            change: ChangeKind::Modified,
        }],
    };
    for size in [(80, 24), (120, 40)] {
        let mut app = app_with(before.clone(), stale.clone(), size);
        app.update(Action::Focus(Pane::Cache));
        assert!(
            matches!(app.take_effects().as_slice(), [Effect::Diff]),
            "a stale status asks for the diff"
        );
        app.done(Done::Diffed(Ok(Box::new(diff.clone()))));
        let shown = screen(&app);
        assert!(shown.contains("r reloads"), "{shown}");
        insta::assert_snapshot!(format!("stale_diff_{}x{}", size.0, size.1), shown);
        app.update(Action::ShowDiff);
        let shown = screen(&app);
        assert!(shown.contains(r#"country: "Norway" → "Norge""#), "{shown}");
        assert!(
            shown.contains("+ rome") && shown.contains("- lima"),
            "{shown}"
        );
        insta::assert_snapshot!(format!("diff_overlay_{}x{}", size.0, size.1), shown);
    }
}

#[test]
fn frequency_and_statistics_overlays() {
    let scores = "version,key,score,tag\nv0.1.0,a,3,x\nv0.1.0,b,10,y\nv0.1.0,c,-2.5,x\nv0.1.0,d,,x\nv0.1.0,e,10\n";
    for size in [(80, 24), (120, 40)] {
        let mut app = fixture_app(size);
        app.update(Action::Focus(Pane::Records));
        app.update(Action::Right);
        app.update(Action::Frequency);
        settle(&mut app);
        let shown = screen(&app);
        assert!(
            shown.contains("Felidae") && shown.contains("42.9%"),
            "{shown}"
        );
        insta::assert_snapshot!(format!("frequency_{}x{}", size.0, size.1), shown);
        app.update(Action::Close);
        let catalog = catalog_of(&tar_gz(&[("scores.csv", scores.as_bytes())]));
        let mut app = app_with(catalog, CacheState::Fresh, size);
        app.update(Action::Focus(Pane::Records));
        app.update(Action::Right);
        app.update(Action::Stats);
        settle(&mut app);
        let shown = screen(&app);
        assert!(
            shown.contains("mean") && shown.contains("5.1250"),
            "{shown}"
        );
        insta::assert_snapshot!(format!("statistics_{}x{}", size.0, size.1), shown);
    }
}

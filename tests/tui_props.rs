//! The inspector driven by random sequences of every action, at random terminal sizes from 10x3 to 250x80,
//! drawn to a test backend after each step: no sequence may panic. Real data (the embedded archive and a
//! small archive with ragged rows, wide characters, an empty and a broken database) and real search jobs.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use backstore::cache::{
    ArchiveSource, CacheManager, CacheStatus, LoadReport, Loaded, ManagerOptions, PhaseTimings,
};
use backstore::catalog::{self, Catalog, Limits};
use backstore::timing::{LoadKind as TimedKind, Progress, Sample, Series};
use backstore::tui::action::{Action, Done, LoadKind};
use backstore::tui::app::{App, Effect, Pane};
use proptest::prelude::*;
#[path = "tui_common/order.rs"]
mod order;
use ratatui::Terminal;
use ratatui::backend::{Backend, TestBackend};

fn tar_gz(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for (name, bytes) in files {
        let mut header = tar::Header::new_ustar();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, format!("databases/{name}"), *bytes)
            .unwrap();
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &tar.into_inner().unwrap()).unwrap();
    gz.finish().unwrap()
}

fn messy_catalog() -> Arc<Catalog> {
    let animals = "version,key,family,habitat\nv0.1.0,cat,Felidae,homes\nv0.1.0,東京タワーの猫,Felidae,東京\n\
        v0.1.0,🦊 fox,Canidae,\"line\nbreak\"\nv0.1.0,ghost\nv0.1.0,cat,Felidae,dup,extra,extra2\n";
    let mut wide = String::from("version,key,a,b,c,d,e,f,g,h,i,j,k\n");
    for i in 0..30 {
        wide.push_str(&format!(
            "v0.2.0,r{i},{},b{i},c,d,e,f,g,h,i,j,k\n",
            "x".repeat(i * 7)
        ));
    }
    let bytes = tar_gz(&[
        ("animals.csv", animals.as_bytes()),
        ("empty.csv", b"version,key\n"),
        ("wide.csv", wide.as_bytes()),
        ("broken.csv", b"version,key,v\nv0.1.0,bad,\xff\n"),
        ("notes.txt", b"not a database"),
        ("deep/er/x.csv", b"version,key\n"),
    ]);
    Arc::new(catalog::build(&bytes, &Limits::default()).unwrap().0)
}

struct Data {
    catalogs: Vec<Arc<Catalog>>,
    diff: backstore::catalog::diff::CatalogDiff,
    report: LoadReport,
    status: CacheStatus,
}

fn data() -> Data {
    let dir = tempfile::tempdir().unwrap();
    let manager = CacheManager::new(ManagerOptions {
        source: ArchiveSource::demo(),
        data_dir: Some(dir.path().to_path_buf()),
        limits: Limits::default(),
    });
    let loaded = manager.load_or_build().unwrap();
    let messy = messy_catalog();
    Data {
        diff: backstore::catalog::diff::diff(&loaded.catalog, &messy),
        catalogs: vec![loaded.catalog, messy],
        report: loaded.report,
        status: manager.status().unwrap(),
    }
}

/// Every variant of [`Action`]; the match below has no catch-all, so a new action must be added here.
fn every_action() -> impl Strategy<Value = Step> {
    use Action as A;
    let plain = prop::sample::select(vec![
        A::Quit,
        A::FocusNext,
        A::FocusPrev,
        A::ToggleHelp,
        A::ToggleZoom,
        A::Close,
        A::Up,
        A::Down,
        A::PageUp,
        A::PageDown,
        A::Top,
        A::Bottom,
        A::Left,
        A::Right,
        A::Enter,
        A::StartInput,
        A::StartFilter,
        A::CycleMode,
        A::Backspace,
        A::ClearInput,
        A::AcceptInput,
        A::CancelInput,
        A::ToggleScope,
        A::NextHit,
        A::PrevHit,
        A::ClearFilter,
        A::Copy,
        A::ToggleWrap,
        A::SortAscending,
        A::SortDescending,
        A::StartJump,
        A::CopyCell,
        A::Frequency,
        A::Stats,
        A::FilterValue,
        A::Verify,
        A::DeleteOther,
        A::RefreshStatus,
        A::Reload,
        A::ShowDiff,
        A::Cold,
        A::Warm,
        A::Invalidate,
        A::Bench,
        A::MoreRuns,
        A::FewerRuns,
        A::Cancel,
        A::Export,
        A::Confirm,
        A::Deny,
    ]);
    let text = prop::sample::select(vec![
        'a', 'e', 'o', 'z', ':', ' ', '東', '🦊', 'K', '\u{301}', '*',
    ]);
    prop_oneof![
        8 => plain.prop_map(|a| Step::Act(Box::new(a))),
        4 => text.prop_map(|c| Step::Act(Box::new(A::Input(c)))),
        2 => prop::sample::select(vec!['0', '1', '2', '3', '4', '7', '9']).prop_map(|c| Step::Act(Box::new(A::Count(c)))),
        1 => (10u16..=250, 3u16..=80).prop_map(|(w, h)| Step::Act(Box::new(A::Resize(w, h)))),
        1 => (0usize..4).prop_map(|p| Step::Act(Box::new(A::Focus(Pane::ALL[p])))),
        1 => (0u16..260, 0u16..90).prop_map(|(x, y)| Step::Act(Box::new(A::Click { x, y }))),
        1 => (0u16..260, 0u16..90, any::<bool>()).prop_map(|(x, y, down)| Step::Act(Box::new(A::Scroll { x, y, down }))),
        1 => Just(Step::Tick),
        2 => Just(Step::RunSearches),
        1 => (0usize..2, 0usize..3).prop_map(|(c, k)| Step::Load(c, k)),
        1 => (0usize..8).prop_map(Step::Result),
    ]
}

#[derive(Debug, Clone)]
enum Step {
    Act(Box<Action>),
    Tick,
    /// The worker finishes the searches asked for so far.
    RunSearches,
    /// A load of one of the catalogs finishes.
    Load(usize, usize),
    /// Another worker result arrives.
    Result(usize),
}

fn result(which: usize, data: &Data) -> Done {
    let sample = Sample {
        total: Duration::from_millis(3),
        phases: PhaseTimings(Vec::new()),
    };
    let progress = Progress {
        warmup: which.is_multiple_of(2),
        kind: TimedKind::Warm,
        done: which,
        total: 4,
    };
    match which {
        0 => Done::Status(Ok(data.status.clone())),
        1 => Done::Status(Err("the cache folder cannot be read".into())),
        2 => Done::Verified(Ok(Some("adjectives/abject differs".into()))),
        3 => Done::SeriesProgress(progress, sample),
        4 => Done::SeriesDone {
            result: Ok(Series::default()),
            cancelled: true,
        },
        5 => Done::Diffed(Ok(Box::new(data.diff.clone()))),
        6 => Done::Diffed(Err("no cache file to compare".into())),
        _ => Done::Invalidated(Err("permission denied".into())),
    }
}

/// The actions a step stands for, checking each variant is one the strategy makes.
fn covered(action: &Action) -> bool {
    match action {
        Action::Quit
        | Action::Tick(_)
        | Action::Resize(..)
        | Action::FocusNext
        | Action::FocusPrev
        | Action::Focus(_)
        | Action::ToggleHelp
        | Action::ToggleZoom
        | Action::Close
        | Action::Up
        | Action::Down
        | Action::PageUp
        | Action::PageDown
        | Action::Top
        | Action::Bottom
        | Action::Left
        | Action::Right
        | Action::Enter
        | Action::Click { .. }
        | Action::Scroll { .. }
        | Action::StartInput
        | Action::StartFilter
        | Action::CycleMode
        | Action::Input(_)
        | Action::Backspace
        | Action::ClearInput
        | Action::AcceptInput
        | Action::CancelInput
        | Action::ToggleScope
        | Action::NextHit
        | Action::PrevHit
        | Action::ClearFilter
        | Action::Copy
        | Action::ToggleWrap
        | Action::SortAscending
        | Action::SortDescending
        | Action::StartJump
        | Action::Count(_)
        | Action::CopyCell
        | Action::Frequency
        | Action::Stats
        | Action::FilterValue
        | Action::Verify
        | Action::DeleteOther
        | Action::RefreshStatus
        | Action::Reload
        | Action::ShowDiff
        | Action::Cold
        | Action::Warm
        | Action::Invalidate
        | Action::Bench
        | Action::MoreRuns
        | Action::FewerRuns
        | Action::Cancel
        | Action::Export
        | Action::Confirm
        | Action::Deny => true,
    }
}

/// The same for every worker result.
fn covered_done(done: &Done) -> bool {
    match done {
        Done::Loaded { .. }
        | Done::Status(_)
        | Done::SearchDone { .. }
        | Done::Arranged { .. }
        | Done::Sorted { .. }
        | Done::InsightDone { .. }
        | Done::Diffed(_)
        | Done::Verified(_)
        | Done::SeriesProgress(..)
        | Done::SeriesDone { .. }
        | Done::Invalidated(_)
        | Done::Removed(_)
        | Done::Exported(_) => true,
    }
}

fn done(app: &mut App, done: Done) {
    assert!(covered_done(&done));
    app.done(done);
}

fn play(steps: &[Step], size: (u16, u16), data: &Data) {
    let mut app = App::new("embedded".into(), UNIX_EPOCH);
    let mut terminal = Terminal::new(TestBackend::new(size.0, size.1)).unwrap();
    app.update(Action::Resize(size.0, size.1));
    let mut searches = Vec::new();
    let mut sorts = Vec::new();
    let mut arranges = Vec::new();
    let mut insights = Vec::new();
    let mut ticks = 0;
    for step in steps {
        let action = match step {
            Step::Act(action) => Some(action.as_ref().clone()),
            Step::Tick => {
                ticks += 1;
                Some(Action::Tick(UNIX_EPOCH + Duration::from_secs(ticks)))
            }
            Step::RunSearches => {
                for job in searches.drain(..) {
                    let job: backstore::tui::state::records::SearchJob = job;
                    if let Some(result) = job.run() {
                        app.done(Done::SearchDone { id: job.id, result });
                    }
                }
                for job in arranges.drain(..) {
                    let job: backstore::tui::state::arrange::ArrangeJob = job;
                    if let Some(found) = job.run() {
                        app.done(Done::Arranged {
                            id: job.id,
                            search: job.search,
                            found,
                        });
                    }
                }
                for job in insights.drain(..) {
                    let job: backstore::tui::state::insight::InsightJob = job;
                    if let Some(result) = job.run() {
                        app.done(Done::InsightDone { id: job.id, result });
                    }
                }
                for job in sorts.drain(..) {
                    let job: backstore::tui::state::sort::SortJob = job;
                    if let Some(result) = job.run() {
                        app.done(Done::Sorted { id: job.id, result });
                    }
                }
                None
            }
            Step::Load(c, k) => {
                done(
                    &mut app,
                    Done::Loaded {
                        kind: [
                            LoadKind::Startup,
                            LoadKind::Cold,
                            LoadKind::Warm,
                            LoadKind::Reload,
                        ][*k],
                        result: Ok(Loaded {
                            catalog: data.catalogs[*c].clone(),
                            report: data.report.clone(),
                        }),
                    },
                );
                None
            }
            Step::Result(which) => {
                done(&mut app, result(*which, data));
                None
            }
        };
        if let Some(action) = action {
            assert!(covered(&action));
            if let Action::Resize(w, h) = action {
                terminal.backend_mut().resize(w, h);
            }
            app.update(action);
        }
        for effect in app.take_effects() {
            match effect {
                Effect::Search(job) => searches.push(job),
                Effect::Sort(job) => sorts.push(job),
                Effect::Arrange(job) => arranges.push(job),
                Effect::Insight(job) => insights.push(job),
                Effect::Job(_) | Effect::Copy(_) | Effect::Diff => {}
            }
        }
        app.quit = false;
        highlights_agree(&app);
        order::hits_follow_the_sort(&app);
        terminal.draw(|f| f.render_widget(&app, f.area())).unwrap();
        assert_eq!(terminal.backend().size().unwrap().width, app.screen.size.0);
    }
}

/// The oracle for the highlight cache: every cell on screen holds the positions the matcher gives for it now.
fn highlights_agree(app: &App) {
    let r = &app.records;
    let (Some(catalog), Some(applied)) = (&app.data.catalog, &r.applied) else {
        return;
    };
    // Too small a screen is not laid out (nor drawn); wrapped cells are drawn without highlights.
    if app.areas().is_none() || (r.wrap && !r.across()) {
        return;
    }
    let end = (r.cursor.offset + r.height).min(r.len(catalog));
    for row in (r.cursor.offset..end).filter_map(|i| r.row(i)) {
        let Some(record) = catalog
            .databases()
            .get(row.db)
            .and_then(|d| d.record(row.record))
        else {
            continue;
        };
        let fields: Vec<usize> = if r.across() {
            vec![0, row.hit.map_or(0, |h| h.field)]
        } else {
            r.layout.shown.iter().map(|&(c, _)| c).collect()
        };
        for field in fields {
            if let Some(value) = record.value(field) {
                let expected = applied.query.positions(value);
                assert_eq!(
                    r.highlights.get((row.db, row.record, field)),
                    Some(expected.as_slice()),
                    "cell {field} of record {} in database {}: {value:?}",
                    row.record,
                    row.db
                );
            }
        }
    }
}

/// Steps per case. An optimised build (`cargo test --release --test tui_props`) runs 250 cases, 100,000
/// steps in all; a debug build draws about ten times slower and runs 10 cases. `PT_CASES` overrides both.
const STEPS: usize = 400;
const CASES: u32 = if cfg!(debug_assertions) { 10 } else { 250 };

fn cases() -> u32 {
    std::env::var("PT_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(CASES)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn no_sequence_of_actions_panics(
        size in (10u16..=250, 3u16..=80),
        start in prop::collection::vec(every_action(), STEPS..=STEPS),
    ) {
        let data = DATA.with(std::clone::Clone::clone);
        let mut steps = vec![Step::Load(0, 0), Step::Result(0)];
        steps.extend(start);
        play(&steps, size, &data);
    }
}

thread_local! {
    static DATA: Arc<Data> = Arc::new(data());
}

//! The order of a search's hits under a sort, driven by actions: the search and sort workers deliver hits
//! already in the order shown, and whatever the sequence of keys, reloads and workers finishing (in any
//! order, stale ones included), the hits follow the sort at every step and end as a fresh search sorted
//! by the library would show them.

#[path = "tui_common/order.rs"]
mod order;
mod tui_common;

use std::sync::Arc;
use std::time::UNIX_EPOCH;

use backstore::cache::{ArchiveSource, CacheManager, LoadReport, Loaded, ManagerOptions};
use backstore::catalog::{self, Catalog, Limits};
use backstore::insight;
use backstore::search::{self, Query, Scope};
use backstore::tui::action::{Action, Done, LoadKind};
use backstore::tui::app::{App, Effect, Pane};
use backstore::tui::state::records::{Intent, SearchScope};
use order::hits_follow_the_sort;
use proptest::prelude::*;
use tui_common::settle;

fn tar_gz(files: &[(String, String)]) -> Vec<u8> {
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

/// Two databases whose names and numbers repeat, so sorts have ties and searches many hits.
fn catalog(rows: &[(u8, u8)], extra: usize) -> Arc<Catalog> {
    const NAMES: [&str; 6] = ["ab", "ba", "abc", "", "Bab", "cab"];
    let mut animals = String::from("version,key,name,n\n");
    for (i, (name, n)) in rows.iter().enumerate() {
        let name = NAMES[usize::from(*name) % NAMES.len()];
        animals.push_str(&format!("v0.1.0,k{i},{name},{n}\n"));
    }
    let mut plants = String::from("version,key,name\n");
    for i in 0..extra {
        plants.push_str(&format!("v0.1.0,p{i},{}\n", NAMES[i % NAMES.len()]));
    }
    let bytes = tar_gz(&[
        ("animals.csv".into(), animals),
        ("plants.csv".into(), plants),
    ]);
    Arc::new(catalog::build(&bytes, &Limits::default()).unwrap().0)
}

/// A load report to hand over with the data; its figures are not looked at.
fn report() -> LoadReport {
    static REPORT: std::sync::OnceLock<LoadReport> = std::sync::OnceLock::new();
    REPORT
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let manager = CacheManager::new(ManagerOptions {
                source: ArchiveSource::demo(),
                data_dir: Some(dir.path().to_path_buf()),
                limits: Limits::default(),
            });
            manager.load_or_build().unwrap().report
        })
        .clone()
}

fn load(app: &mut App, catalog: &Arc<Catalog>, kind: LoadKind) {
    app.done(Done::Loaded {
        kind,
        result: Ok(Loaded {
            catalog: catalog.clone(),
            report: report(),
        }),
    });
}

/// An app showing the first catalog's `animals`, the Records pane focused.
fn app(first: &Arc<Catalog>) -> App {
    let mut app = App::new("test".into(), UNIX_EPOCH);
    app.update(Action::Resize(100, 30));
    load(&mut app, first, LoadKind::Startup);
    app.update(Action::Focus(Pane::Records));
    app
}

/// The work the app asked for, finished by hand: in any order, or never.
#[derive(Default)]
struct Workers {
    effects: Vec<Effect>,
}

impl Workers {
    fn collect(&mut self, app: &mut App) {
        self.effects.extend(app.take_effects());
    }

    /// Finishes the `i`th job waiting (modulo how many there are) and hands its result to the app.
    fn finish(&mut self, app: &mut App, i: usize) {
        if self.effects.is_empty() {
            return;
        }
        let effect = self.effects.remove(i % self.effects.len());
        match effect {
            Effect::Search(job) => {
                if let Some(result) = job.run() {
                    app.done(Done::SearchDone { id: job.id, result });
                }
            }
            Effect::Sort(job) => {
                if let Some(result) = job.run() {
                    app.done(Done::Sorted { id: job.id, result });
                }
            }
            Effect::Arrange(job) => {
                if let Some(found) = job.run() {
                    app.done(Done::Arranged {
                        id: job.id,
                        search: job.search,
                        found,
                    });
                }
            }
            Effect::Insight(_) | Effect::Job(_) | Effect::Diff | Effect::Copy(_) => {}
        }
    }

    /// Finishes everything, the jobs the results ask for included.
    fn settle(&mut self, app: &mut App) {
        while !self.effects.is_empty() {
            self.finish(app, 0);
            self.collect(app);
        }
        settle(app);
    }
}

/// The records a filter of `animals` should show: those a fresh search finds, in the sort's order (the
/// library's, computed again here) or the search's own ranking.
fn expected_rows(app: &App) -> Option<Vec<usize>> {
    let catalog = app.data.catalog.as_ref()?;
    let r = &app.records;
    let a = r
        .applied
        .as_ref()
        .filter(|a| a.scope == SearchScope::Database)?;
    let db = a.db?;
    let query = Query::new(&a.text, r.mode).ok()?;
    let never = std::sync::atomic::AtomicBool::new(false);
    let hits = search::search(catalog, &query, Scope::Database(db), None, &never).ok()?;
    Some(match &r.sort.current {
        Some(s) if s.db == db => {
            let order =
                insight::sort(&catalog.databases()[db], s.column, s.direction, &never).ok()?;
            let found: std::collections::HashSet<usize> = hits.iter().map(|h| h.record).collect();
            order.into_iter().filter(|i| found.contains(i)).collect()
        }
        _ => hits.iter().map(|h| h.record).collect(),
    })
}

/// Where n (or N) should take a find's cursor, by walking the rows holding hits: `None` when it is not a
/// find with hits in one database.
fn next_hit_by_walking(app: &App, forward: bool) -> Option<usize> {
    let r = &app.records;
    let catalog = app.data.catalog.as_ref()?;
    if r.filtered() || r.hit_rows.is_empty() || r.len(catalog) == 0 {
        return None;
    }
    let at = r.cursor.pos;
    let rows = &r.hit_rows;
    let found = if forward {
        rows.iter().find(|row| **row > at).or(rows.first())
    } else {
        rows.iter().rev().find(|row| **row < at).or(rows.last())
    };
    // Rows of hits found in older data never stay: each one is a row of the data shown.
    found.map(|row| {
        assert!(*row < r.len(catalog), "row {row} of {}", r.len(catalog));
        *row
    })
}

fn shown_records(app: &App) -> Vec<usize> {
    let catalog = app.data.catalog.as_ref().unwrap();
    let len = app.records.len(catalog);
    (0..len)
        .map(|i| app.records.row(i).unwrap().record)
        .collect()
}

#[test]
fn a_filter_in_a_sorted_database_comes_back_sorted() {
    let rows: Vec<(u8, u8)> = (0..40).map(|i| (i % 6, 40 - i)).collect();
    let first = catalog(&rows, 3);
    let mut app = app(&first);
    let mut workers = Workers::default();
    // Sorted by name, descending; then a filter for `ab`.
    app.update(Action::Right);
    app.update(Action::Right);
    app.update(Action::SortDescending);
    workers.settle(&mut app);
    app.update(Action::StartFilter);
    app.update(Action::Input('a'));
    app.update(Action::Input('b'));
    workers.collect(&mut app);
    let Some(Effect::Search(job)) = workers.effects.last() else {
        panic!("typing starts a search")
    };
    assert!(
        job.ranks.is_some(),
        "the search is given the sort's ranks to order its hits by"
    );
    workers.settle(&mut app);
    hits_follow_the_sort(&app);
    assert!(app.records.filtered());
    assert_eq!(Some(shown_records(&app)), expected_rows(&app));
    // The same sort again drops it: the hits go back to the search's ranking, with no search run again.
    app.update(Action::SortDescending);
    workers.collect(&mut app);
    assert!(
        workers
            .effects
            .iter()
            .all(|e| matches!(e, Effect::Arrange(_))),
        "the hits are rearranged on a worker, not searched again"
    );
    workers.settle(&mut app);
    hits_follow_the_sort(&app);
    assert!(app.records.sort.current.is_none());
    assert_eq!(Some(shown_records(&app)), expected_rows(&app));
}

#[test]
fn a_sort_arriving_under_a_find_moves_its_rows_and_keeps_the_cursor_on_its_record() {
    let rows: Vec<(u8, u8)> = (0..30).map(|i| ((i * 5) % 6, i)).collect();
    let first = catalog(&rows, 0);
    let mut app = app(&first);
    let mut workers = Workers::default();
    app.update(Action::StartInput);
    app.update(Action::Input('c'));
    app.update(Action::AcceptInput);
    workers.settle(&mut app);
    assert_eq!(app.records.intent, Intent::Find);
    let catalog = app.data.catalog.clone().unwrap();
    let before = app.records.current(&catalog).unwrap().record;
    app.update(Action::Right);
    app.update(Action::Right);
    app.update(Action::SortAscending);
    workers.collect(&mut app);
    // The sort finishes; its hits wait for a worker, and until then the old order shows, hits and rows alike.
    workers.finish(&mut app, 0);
    workers.collect(&mut app);
    assert!(
        app.records.sort.current.is_none(),
        "not shown before its hits"
    );
    assert!(app.records.sort.running());
    hits_follow_the_sort(&app);
    workers.settle(&mut app);
    hits_follow_the_sort(&app);
    assert!(app.records.sort.current.is_some());
    assert_eq!(
        app.records.current(&catalog).unwrap().record,
        before,
        "the cursor stays on its record"
    );
    // n goes to the next row holding a hit, in the sorted rows.
    let rows = app.records.hit_rows.clone();
    let at = app.records.cursor.pos;
    app.update(Action::NextHit);
    let next = rows.iter().find(|r| **r > at).or(rows.first()).copied();
    assert_eq!(Some(app.records.cursor.pos), next);
}

#[test]
fn after_a_reload_whose_search_starts_no_job_the_hits_still_follow_the_sort() {
    let rows: Vec<(u8, u8)> = (0..20).map(|i| (i % 6, i)).collect();
    let first = catalog(&rows, 2);
    let mut app = app(&first);
    let mut workers = Workers::default();
    // A filter on the `n` column, then sorted by it.
    app.update(Action::StartFilter);
    for c in "n:1".chars() {
        app.update(Action::Input(c));
    }
    app.update(Action::AcceptInput);
    workers.settle(&mut app);
    for _ in 0..3 {
        app.update(Action::Right);
    }
    app.update(Action::SortAscending);
    workers.settle(&mut app);
    assert!(app.records.sort.current.is_some());
    hits_follow_the_sort(&app);
    // The new data has no `n` column: the search cannot run again, the sort can.
    let mut other = String::from("version,key,name\n");
    for i in 0..20 {
        other.push_str(&format!("v0.1.0,k{i},x{i}\n"));
    }
    let bytes = tar_gz(&[("animals.csv".into(), other)]);
    let second = Arc::new(catalog::build(&bytes, &Limits::default()).unwrap().0);
    load(&mut app, &second, LoadKind::Reload);
    workers.collect(&mut app);
    assert!(
        !workers
            .effects
            .iter()
            .any(|e| matches!(e, Effect::Search(_))),
        "no search starts"
    );
    hits_follow_the_sort(&app);
    workers.settle(&mut app);
    hits_follow_the_sort(&app);
}

#[derive(Debug, Clone)]
enum Step {
    Act(Action),
    /// One waiting job finishes (which: modulo how many wait).
    Finish(usize),
    /// A reload brings one of the catalogs.
    Reload(usize),
}

fn step() -> impl Strategy<Value = Step> {
    use Action as A;
    let plain = prop::sample::select(vec![
        A::SortAscending,
        A::SortDescending,
        A::Left,
        A::Right,
        A::StartInput,
        A::StartFilter,
        A::Backspace,
        A::AcceptInput,
        A::ClearFilter,
        A::CycleMode,
        A::ToggleScope,
        A::NextHit,
        A::PrevHit,
        A::Down,
        A::Up,
        A::Focus(Pane::Databases),
        A::Focus(Pane::Records),
    ]);
    let text = prop::sample::select(vec!['a', 'b', 'c', 'B', 'k', '1', ':', 'n']);
    prop_oneof![
        6 => plain.prop_map(Step::Act),
        3 => text.prop_map(|c| Step::Act(A::Input(c))),
        6 => any::<usize>().prop_map(Step::Finish),
        1 => (0usize..2).prop_map(Step::Reload),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(debug_assertions) { 48 } else { 256 },
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn hits_always_follow_the_sort(
        first in prop::collection::vec((0u8..6, 0u8..12), 0..40),
        second in prop::collection::vec((0u8..6, 0u8..12), 0..40),
        steps in prop::collection::vec(step(), 1..80),
    ) {
        let catalogs = [catalog(&first, 5), catalog(&second, 0)];
        let mut app = app(&catalogs[0]);
        let mut workers = Workers::default();
        for step in steps {
            match step {
                Step::Act(action @ (Action::NextHit | Action::PrevHit)) => {
                    let forward = matches!(action, Action::NextHit);
                    let expected = next_hit_by_walking(&app, forward);
                    app.update(action);
                    if let Some(expected) = expected {
                        prop_assert_eq!(app.records.cursor.pos, expected, "n/N by bisection");
                    }
                }
                Step::Act(action) => app.update(action),
                Step::Finish(i) => workers.finish(&mut app, i),
                Step::Reload(c) => load(&mut app, &catalogs[c], LoadKind::Reload),
            }
            workers.collect(&mut app);
            hits_follow_the_sort(&app);
        }
        workers.settle(&mut app);
        hits_follow_the_sort(&app);
        // Settled, a filter shows what a fresh search sorted by the library shows.
        // (A query that cannot run leaves the hits of the last one shown, with its error; a query the new
        // data no longer allows shows its error and no hits.)
        if app.records.filtered() && !app.records.across() && app.records.error.is_none() {
            prop_assert_eq!(Some(shown_records(&app)), expected_rows(&app));
        }
    }
}

/// Sorts (or unsorts) and checks the cursor stayed on its record; returns the row it was on.
fn sort_and_follow(app: &mut App, workers: &mut Workers, action: Action) -> usize {
    let record = |app: &App| {
        let catalog = app.data.catalog.as_ref().unwrap();
        app.records.current(catalog).unwrap().record
    };
    let (was, row) = (record(app), app.records.cursor.pos);
    app.update(action);
    workers.settle(app);
    hits_follow_the_sort(app);
    assert_eq!(record(app), was, "the cursor stays on its record");
    row
}

/// Turning a sort on, changing it and turning it off all keep the cursor on the record it was on (the
/// row moves with it), unfiltered and filtered alike.
#[test]
fn the_cursor_follows_its_record_when_the_sort_comes_changes_or_goes() {
    // Every `n` differs and runs against the archive's order; names repeat, so their sort has ties.
    let rows: Vec<(u8, u8)> = (0..30).map(|i| ((i * 5) % 6, 29 - i)).collect();
    let first = catalog(&rows, 0);
    let mut app = app(&first);
    let mut workers = Workers::default();
    for _ in 0..5 {
        app.update(Action::Down);
    }
    for _ in 0..3 {
        app.update(Action::Right);
    }
    // By `n` and off; by `n`, then by name, then off.
    sort_and_follow(&mut app, &mut workers, Action::SortAscending);
    assert_eq!(app.records.cursor.pos, 24, "the row moved with the record");
    sort_and_follow(&mut app, &mut workers, Action::SortAscending);
    assert!(app.records.sort.current.is_none());
    assert_eq!(app.records.cursor.pos, 5, "back on the record's own row");
    sort_and_follow(&mut app, &mut workers, Action::SortAscending);
    app.update(Action::Left);
    sort_and_follow(&mut app, &mut workers, Action::SortDescending);
    sort_and_follow(&mut app, &mut workers, Action::SortDescending);
    assert!(app.records.sort.current.is_none());
    assert_eq!(app.records.cursor.pos, 5, "back on the record's own row");
    // A filter, whose hits are in the search's ranking unsorted: on, changed, off.
    app.update(Action::StartFilter);
    app.update(Action::Input('a'));
    app.update(Action::AcceptInput);
    workers.settle(&mut app);
    assert!(app.records.filtered());
    for _ in 0..7 {
        app.update(Action::Down);
    }
    let unsorted = app.records.cursor.pos;
    app.update(Action::Right);
    sort_and_follow(&mut app, &mut workers, Action::SortAscending);
    let sorted = app.records.cursor.pos;
    app.update(Action::Left);
    sort_and_follow(&mut app, &mut workers, Action::SortAscending);
    sort_and_follow(&mut app, &mut workers, Action::SortAscending);
    assert!(app.records.sort.current.is_none());
    assert_ne!(sorted, unsorted, "the sorted row was another");
    assert_eq!(
        app.records.cursor.pos, unsorted,
        "back on the hit's own row"
    );
}

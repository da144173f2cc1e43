//! The long jobs the frames example times, in the order they run: each one's start (as actions), its
//! set-up outside the App, and the state that says it is over.

use std::time::Instant;

use backstore::testkit::tables;
use backstore::tui::action::Action;
use backstore::tui::app::{App, Pane};
use backstore::tui::state::cache::DiffState;
use backstore::tui::state::databases::Entry;

use crate::{ms, trace};

type Prepare = dyn Fn(&App) -> Result<(), String>;
type Start = dyn Fn(&mut App) -> Result<(), String>;

/// A long job: the actions that start it and the state that says it is over.
pub struct LongJob {
    pub name: &'static str,
    /// Set-up outside the App, not timed (writing an edited archive).
    pub prepare: Box<Prepare>,
    pub start: Box<Start>,
    pub finished: fn(&App) -> bool,
}

fn searched(app: &App) -> bool {
    app.records.pending.is_none() && app.records.applied.is_some()
}

pub fn jobs(archive: &std::path::Path) -> Vec<LongJob> {
    let archive = archive.to_path_buf();
    vec![
        LongJob {
            name: "filter `fensave`, all databases",
            prepare: Box::new(|_| Ok(())),
            start: Box::new(|app| {
                act(app, Action::Focus(Pane::Records));
                act(app, Action::ToggleScope);
                type_search(app, Action::StartFilter, "fensave");
                Ok(())
            }),
            finished: searched,
        },
        LongJob {
            name: "fuzzy filter `fensave`, all",
            prepare: Box::new(|_| Ok(())),
            start: Box::new(|app| {
                // Substring -> regex -> fuzzy: the regex search is cancelled by the fuzzy one.
                act(app, Action::StartFilter);
                act(app, Action::CycleMode);
                act(app, Action::CycleMode);
                act(app, Action::AcceptInput);
                Ok(())
            }),
            finished: searched,
        },
        LongJob {
            name: "find `fensave`, largest database",
            prepare: Box::new(|_| Ok(())),
            start: Box::new(|app| {
                act(app, Action::ClearFilter);
                // Fuzzy -> substring again, then this database only.
                act(app, Action::StartInput);
                act(app, Action::CycleMode);
                act(app, Action::AcceptInput);
                act(app, Action::ToggleScope);
                act(app, Action::ClearFilter);
                select_largest(app)?;
                act(app, Action::Focus(Pane::Records));
                type_search(app, Action::StartInput, "fensave");
                Ok(())
            }),
            finished: searched,
        },
        LongJob {
            name: "sort the largest database by name",
            prepare: Box::new(|_| Ok(())),
            start: Box::new(|app| {
                act(app, Action::ClearFilter);
                let catalog = app.data.catalog.clone().ok_or("no data")?;
                let db = app.records.database(&catalog).ok_or("no database shown")?;
                let name = db.columns().iter().position(|c| c == "name").unwrap_or(1);
                for _ in 0..name {
                    act(app, Action::Right);
                }
                act(app, Action::SortAscending);
                Ok(())
            }),
            finished: |app| !app.records.sort.running() && app.records.sort.current.is_some(),
        },
        LongJob {
            name: "filter `fensave`, sorted database",
            prepare: Box::new(|_| Ok(())),
            start: Box::new(|app| {
                type_search(app, Action::StartFilter, "fensave");
                Ok(())
            }),
            finished: searched,
        },
        LongJob {
            name: "filter `a`, sorted database",
            prepare: Box::new(|_| Ok(())),
            start: Box::new(|app| {
                act(app, Action::ClearFilter);
                type_search(app, Action::StartFilter, "a");
                Ok(())
            }),
            finished: searched,
        },
        LongJob {
            name: "sort the hits of `a` by key",
            prepare: Box::new(|_| Ok(())),
            start: Box::new(|app| {
                for _ in 0..app.records.col {
                    act(app, Action::Left);
                }
                act(app, Action::SortDescending);
                Ok(())
            }),
            finished: |app| !app.records.sort.running() && app.records.sort.current.is_some(),
        },
        LongJob {
            name: "sort off under the hits of `a`",
            prepare: Box::new(|_| Ok(())),
            start: Box::new(|app| {
                act(app, Action::SortDescending);
                Ok(())
            }),
            finished: |app| !app.records.sort.running() && app.records.sort.current.is_none(),
        },
        LongJob {
            name: "frequency of the key column",
            prepare: Box::new(|_| Ok(())),
            start: Box::new(|app| {
                act(app, Action::ClearFilter);
                for _ in 0..app.records.col {
                    act(app, Action::Left);
                }
                act(app, Action::Frequency);
                Ok(())
            }),
            finished: |app| {
                app.insight
                    .shown
                    .as_ref()
                    .is_some_and(|s| s.result.is_some())
            },
        },
        LongJob {
            name: "diff against an edited archive",
            prepare: Box::new(move |app| edit_largest(app, &archive)),
            start: Box::new(|app| {
                act(app, Action::Close);
                act(app, Action::RefreshStatus);
                Ok(())
            }),
            finished: |app| matches!(app.cache.diff, DiffState::Done(_) | DiffState::Failed(_)),
        },
    ]
}

/// One action of a job's start, named on stderr when it alone is slow.
fn act(app: &mut App, action: Action) {
    let start = Instant::now();
    let name = format!("{action:?}");
    app.update(action);
    if start.elapsed() > trace() {
        eprintln!("  action {name}: {}", ms(start.elapsed()));
    }
}

/// Types `text` after the key that opens the search line, one character an action as keys would come.
fn type_search(app: &mut App, open: Action, text: &str) {
    act(app, open);
    for c in text.chars() {
        act(app, Action::Input(c));
    }
    act(app, Action::AcceptInput);
}

/// Moves the Databases cursor to the database with the most records.
fn select_largest(app: &mut App) -> Result<(), String> {
    let catalog = app.data.catalog.clone().ok_or("no data")?;
    let largest = (0..catalog.databases().len())
        .max_by_key(|&i| catalog.databases()[i].len())
        .ok_or("no databases")?;
    let place = app
        .databases
        .entries
        .iter()
        .position(|e| *e == Entry::Loaded(largest))
        .ok_or("the largest database is not listed")?;
    act(app, Action::Focus(Pane::Databases));
    act(app, Action::Top);
    for _ in 0..place {
        act(app, Action::Down);
    }
    Ok(())
}

/// Writes the archive again with every 1000th row of its largest database edited, ten rows dropped and ten
/// added: the cache is then stale and the App asks for a diff.
fn edit_largest(app: &App, archive: &std::path::Path) -> Result<(), String> {
    let catalog = app.data.catalog.clone().ok_or("no data")?;
    let largest = catalog
        .databases()
        .iter()
        .max_by_key(|d| d.len())
        .ok_or("no databases")?
        .name()
        .to_string();
    let bytes = std::fs::read(archive).map_err(|e| format!("{}: {e}", archive.display()))?;
    let edited = tables::edit_database(&bytes, &largest, |rows| {
        for row in rows.iter_mut().step_by(1000) {
            if let Some(field) = row.get_mut(2) {
                field.push('x');
            }
        }
        rows.drain(100..110);
        for i in 0..10 {
            rows.push(vec![
                "v0.1.0".into(),
                format!("added{i}"),
                "a".into(),
                "b".into(),
            ]);
        }
    });
    std::fs::write(archive, edited).map_err(|e| format!("{}: {e}", archive.display()))
}

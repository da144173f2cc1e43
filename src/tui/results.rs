//! How worker results change the App: loads refresh the panes in place, statuses feed the Cache pane,
//! series runs feed the Timing pane.

use super::action::{Done, LoadKind};
use super::app::App;
use super::state::cache::VerifyState;
use super::state::discard::discard;
use super::state::timing::Running;
use crate::cache::Loaded;
use crate::timing;
use crate::tui::text;

impl App {
    pub(super) fn apply_result(&mut self, done: Done) {
        match done {
            Done::Loaded { kind, result } => {
                if kind != LoadKind::Startup {
                    self.finish();
                }
                match result {
                    Ok(loaded) => self.loaded(kind, loaded),
                    Err(e) if kind == LoadKind::Startup => self.data.load_error = Some(e),
                    Err(e) if kind == LoadKind::Reload => {
                        self.notify(format!("reload failed: {e}"));
                    }
                    Err(e) => {
                        self.notify(format!("load failed: {e}"));
                        self.timing.error = Some(e);
                    }
                }
            }
            Done::Status(status) => {
                // An archive that could not be read and now can (fixed on disk): load it, once per recovery.
                let recovered = status.is_ok() && self.cache.error.is_some();
                if self.cache.set_status(status) {
                    self.push(super::app::Effect::Diff);
                }
                if recovered {
                    self.retry_load();
                }
            }
            Done::SearchDone { id, result } => {
                if let Some(catalog) = self.data.catalog.clone()
                    && let Some(job) = self.records.search_done(&catalog, id, result)
                {
                    self.push(super::app::Effect::Search(job));
                }
            }
            Done::Arranged { id, search, found } => {
                if let Some(catalog) = self.data.catalog.clone()
                    && let Some(job) = self.records.arranged(&catalog, id, search, found)
                {
                    self.push(super::app::Effect::Arrange(job));
                }
            }
            Done::Sorted { id, result } => {
                if let Some(catalog) = self.data.catalog.clone()
                    && let Some(job) = self.records.sort_done(&catalog, id, result)
                {
                    self.push(super::app::Effect::Arrange(job));
                }
                if let Some(e) = &self.records.sort.error {
                    let e = e.clone();
                    self.notify(format!("sort failed: {e}"));
                }
            }
            Done::InsightDone { id, result } => self.insight.done(id, result),
            // A diff for an archive that is no longer stale (reloaded meanwhile) is dropped.
            Done::Diffed(result) if self.cache.stale() => {
                let diff = match result {
                    Ok(diff) => super::state::cache::DiffState::Done(std::sync::Arc::new(*diff)),
                    Err(e) => super::state::cache::DiffState::Failed(e),
                };
                discard(std::mem::replace(&mut self.cache.diff, diff));
            }
            Done::Diffed(result) => discard(result),
            Done::Verified(result) => {
                self.finish();
                self.cache.verify = match result {
                    Ok(None) => VerifyState::Same,
                    Ok(Some(difference)) => VerifyState::Differs(difference),
                    Err(e) => VerifyState::Failed(e),
                };
            }
            Done::SeriesProgress(progress, sample) => {
                self.jobs.running = Some(Running::Series(Some(progress)));
                if !progress.warmup {
                    self.timing
                        .history
                        .push((progress.kind, sample.total.as_secs_f64()));
                    let series = self.timing.series.get_or_insert_with(Default::default);
                    match progress.kind {
                        timing::LoadKind::Cold => series.cold.push(sample.clone()),
                        timing::LoadKind::Warm => series.warm.push(sample.clone()),
                    }
                }
                self.timing.set_last(super::state::timing::LastRun {
                    kind: progress.kind,
                    total: sample.total,
                    phases: sample.phases,
                    outcome: if progress.warmup {
                        "warm-up"
                    } else {
                        "series run"
                    }
                    .into(),
                });
            }
            Done::SeriesDone { result, cancelled } => {
                self.finish();
                self.timing.cancelled = cancelled;
                match result {
                    Ok(series) => {
                        self.notify(if cancelled {
                            "series cancelled"
                        } else {
                            "series done"
                        });
                        self.timing.series = Some(series);
                    }
                    Err(e) => {
                        self.notify(format!("series failed: {e}"));
                        self.timing.error = Some(e);
                    }
                }
            }
            Done::Invalidated(result) => {
                self.finish();
                match result {
                    Ok(n) => {
                        self.notify(format!("cache deleted ({n} files); the loaded data stays"));
                    }
                    Err(e) => self.notify(format!("could not delete the cache: {e}")),
                }
            }
            Done::Removed(result) => {
                self.finish();
                match result {
                    Ok(path) => {
                        let shown = self.show_path(&path);
                        self.notify(format!("deleted {shown}"));
                    }
                    Err(e) => self.notify(format!("could not delete: {e}")),
                }
            }
            Done::Exported(result) => match result {
                Ok(path) => {
                    let shown = self.show_path(&path);
                    self.notify(format!("series exported to {shown}"));
                }
                Err(e) => self.notify(format!("export failed: {e}")),
            },
        }
    }

    /// New data: every pane keeps its selection, cursor and filter where they still exist.
    fn loaded(&mut self, kind: LoadKind, loaded: Loaded) {
        let catalog = loaded.catalog;
        let report = loaded.report;
        self.data.load_error = None;
        let height = self.list_height(super::app::Pane::Databases);
        self.databases.refresh(&catalog, height);
        let db = self.databases.selected_database();
        let reopened = self.data.catalog.is_some();
        // The old data may hold a million records: freed off this thread once no job holds it.
        discard(self.data.catalog.replace(catalog.clone()));
        self.records.db = if reopened { db } else { None };
        self.records.select(&catalog, db);
        // What was found in the old data goes before anything reads it; a sort is made again and the
        // search runs again on the new data ("searching" shows meanwhile).
        if let Some(job) = self.records.reloaded(&catalog) {
            self.push(super::app::Effect::Sort(job));
        }
        if !self.records.input.trim().is_empty() {
            self.search(true);
        }
        let timed = match kind {
            LoadKind::Startup => None,
            LoadKind::Reload => {
                self.notify(format!(
                    "reloaded: {} ({} records)",
                    report.outcome.summary(),
                    text::thousands(report.records)
                ));
                None
            }
            LoadKind::Cold => Some(timing::LoadKind::Cold),
            LoadKind::Warm => Some(timing::LoadKind::Warm),
        };
        if let Some(timed) = timed {
            self.timing.error = None;
            self.timing
                .record(timed, report.total, report.timings.clone(), &report.outcome);
            self.notify(format!(
                "{} load: {} ({})",
                super::state::timing::kind_word(timed),
                timing::duration(report.total),
                report.outcome.word()
            ));
        }
        self.data.report = Some(report);
    }

    /// Loads the archive again after a start-up load failed, unless a job is running.
    pub(super) fn retry_load(&mut self) {
        if self.data.catalog.is_some()
            || self.data.load_error.is_none()
            || self.jobs.running.is_some()
        {
            return;
        }
        self.data.load_error = None;
        self.push(super::app::Effect::Job(super::app::Job::Load(
            LoadKind::Startup,
        )));
    }
}

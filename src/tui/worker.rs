//! Background work: manager jobs (loads, series, verify, deletes, export), searches, and the watcher that
//! notices other processes changing the cache. Each sends its result into the one event channel.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::Sender;
use std::time::{Duration, SystemTime};

use tracing::{debug, info, warn};

use super::action::{Done, LoadKind};
use super::app::Job;
use super::state::arrange::ArrangeJob;
use super::state::insight::InsightJob;
use super::state::records::SearchJob;
use super::state::sort::SortJob;
use crate::cache::CacheManager;
use crate::catalog::compare::first_difference;
use crate::timing::run_series;

/// What the loop receives: terminal input or a worker's result.
pub enum Event {
    Input(ratatui::crossterm::event::Event),
    Done(Box<Done>),
}

/// Shared between the job runner and the watcher, so the watcher does not mistake our own writes for
/// another process's.
#[derive(Debug, Default)]
pub struct Activity {
    pub busy: AtomicBool,
    /// Bumped after each job: the cache files on disk now are ours.
    pub epoch: AtomicU64,
}

fn send(tx: &Sender<Event>, done: Done) {
    // The loop has gone when sending fails: nothing is left to tell.
    let _ = tx.send(Event::Done(Box::new(done)));
}

/// Runs one manager job on its own thread, then sends a fresh status.
pub fn spawn_job(job: Job, manager: Arc<CacheManager>, activity: Arc<Activity>, tx: Sender<Event>) {
    activity.busy.store(true, Ordering::SeqCst);
    let spawned = std::thread::Builder::new()
        .name("job".into())
        .spawn(move || {
            debug!(?job, "job started");
            let result = run_job(job, &manager, &tx);
            activity.epoch.fetch_add(1, Ordering::SeqCst);
            activity.busy.store(false, Ordering::SeqCst);
            send(&tx, result);
            send(
                &tx,
                Done::Status(manager.status().map_err(|e| format!("{e:#}"))),
            );
        });
    if let Err(e) = spawned {
        warn!(error = %e, "could not start a worker thread");
    }
}

fn run_job(job: Job, manager: &CacheManager, tx: &Sender<Event>) -> Done {
    let text = |e: crate::Error| e.to_string();
    match job {
        Job::Load(kind) => {
            let result = match kind {
                LoadKind::Startup => manager.load_or_build(),
                LoadKind::Reload => reload(manager),
                LoadKind::Cold => manager.rebuild(),
                LoadKind::Warm => manager.warm_load(),
            };
            if let Ok(loaded) = &result {
                // Databases read from a cache are validated on first use: here, not in a frame.
                let _ = loaded.catalog.databases();
                info!(
                    ?kind,
                    total_us = loaded.report.total.as_micros() as u64,
                    outcome = loaded.report.outcome.word(),
                    "load finished"
                );
            }
            Done::Loaded {
                kind,
                result: result.map_err(text),
            }
        }
        Job::Series(options, cancel) => {
            let result = run_series(manager, options, &cancel, |progress, sample| {
                send(tx, Done::SeriesProgress(progress, sample.clone()));
            });
            let cancelled = cancel.load(Ordering::Relaxed);
            Done::SeriesDone {
                result: result.map_err(text),
                cancelled,
            }
        }
        Job::Invalidate => Done::Invalidated(manager.invalidate().map(|v| v.len()).map_err(text)),
        Job::Remove(path) => Done::Removed(
            manager
                .remove_cache_file(&path)
                .map(|()| path)
                .map_err(text),
        ),
        Job::Verify => Done::Verified(
            manager
                .cache_and_archive()
                .map(|(cached, fresh)| first_difference(&cached, &fresh))
                .map_err(text),
        ),
        Job::Status => Done::Status(manager.status().map_err(text)),
        Job::Export(json, path) => Done::Exported(export(&json, &path)),
    }
}

/// The archive again: rebuilt when the cache is stale, else `load_or_build`. A stale cache is rebuilt
/// outright because `load_or_build` in a process that already loaded the archive returned the data it
/// had read before the archive changed, and wrote it under the old hash.
fn reload(manager: &CacheManager) -> crate::error::Result<crate::cache::Loaded> {
    let stale = manager
        .status()
        .is_ok_and(|s| matches!(s.state, crate::cache::CacheState::Stale { .. }));
    if stale {
        manager.rebuild()
    } else {
        manager.load_or_build()
    }
}

/// Writes the series to `path`, which must not exist yet: an export never replaces a file.
pub fn export(json: &serde_json::Value, path: &std::path::Path) -> Result<PathBuf, String> {
    let text = serde_json::to_string_pretty(json).map_err(|e| e.to_string())?;
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()));
    match written {
        Ok(()) => Ok(std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// Builds a query and runs its search on its own thread; a cancelled one sends nothing, and a result for
/// text no longer typed is dropped by the App.
pub fn spawn_search(job: SearchJob, tx: Sender<Event>) {
    let spawned = std::thread::Builder::new()
        .name("search".into())
        .spawn(move || {
            if let Some(result) = job.run() {
                send(&tx, Done::SearchDone { id: job.id, result });
            }
        });
    if let Err(e) = spawned {
        warn!(error = %e, "could not start a search thread");
    }
}

/// Arranges an applied search's hits to a new order on its own thread; a cancelled job sends nothing.
pub fn spawn_arrange(job: ArrangeJob, tx: Sender<Event>) {
    let spawned = std::thread::Builder::new()
        .name("arrange".into())
        .spawn(move || {
            if let Some(found) = job.run() {
                send(
                    &tx,
                    Done::Arranged {
                        id: job.id,
                        search: job.search,
                        found,
                    },
                );
            }
        });
    if let Err(e) = spawned {
        warn!(error = %e, "could not start an arrange thread");
    }
}

/// Compares the cache file with a fresh parse of the archive on its own thread, record by record: what a
/// stale cache holds that the archive no longer does, and the other way round.
pub fn spawn_diff(manager: Arc<CacheManager>, tx: Sender<Event>) {
    let spawned = std::thread::Builder::new()
        .name("diff".into())
        .spawn(move || {
            let result = match manager.cache_file_and_archive() {
                Ok((_, Some(cached), fresh)) => {
                    Ok(Box::new(crate::catalog::diff::diff(&cached, &fresh)))
                }
                Ok((path, None, _)) => Err(format!("{}: no cache file to compare", path.display())),
                Err(e) => Err(e.to_string()),
            };
            send(&tx, Done::Diffed(result));
        });
    if let Err(e) = spawned {
        warn!(error = %e, "could not start a diff thread");
    }
}

/// Computes a frequency table or statistics on its own thread; a cancelled one sends nothing.
pub fn spawn_insight(job: InsightJob, tx: Sender<Event>) {
    let spawned = std::thread::Builder::new()
        .name("insight".into())
        .spawn(move || {
            if let Some(result) = job.run() {
                send(&tx, Done::InsightDone { id: job.id, result });
            }
        });
    if let Err(e) = spawned {
        warn!(error = %e, "could not start an insight thread");
    }
}

/// Sorts on its own thread; a cancelled sort sends nothing.
pub fn spawn_sort(job: SortJob, tx: Sender<Event>) {
    let spawned = std::thread::Builder::new()
        .name("sort".into())
        .spawn(move || {
            if let Some(result) = job.run() {
                send(&tx, Done::Sorted { id: job.id, result });
            }
        });
    if let Err(e) = spawned {
        warn!(error = %e, "could not start a sort thread");
    }
}

/// Size and modification time of the files that decide the status, to notice changes cheaply: the
/// archive's files first, then the cache folder's.
type Stamps = Vec<(PathBuf, u64, Option<SystemTime>)>;

fn fingerprint(manager: &CacheManager) -> (Stamps, Stamps) {
    let mut source = manager.source_files();
    source.sort();
    let mut files: Vec<PathBuf> = Vec::new();
    if let Some(dir) = manager.cache_dir()
        && let Ok(entries) = std::fs::read_dir(&dir)
    {
        files.extend(
            entries
                .filter_map(std::result::Result::ok)
                .map(|e| e.path()),
        );
    }
    let mut cache: Stamps = files
        .into_iter()
        .map(|p| {
            let meta = std::fs::metadata(&p).ok();
            let len = meta.as_ref().map_or(0, std::fs::Metadata::len);
            (p, len, meta.and_then(|m| m.modified().ok()))
        })
        .collect();
    cache.sort();
    (source, cache)
}

/// Polls about once a second: when the cache folder or archive changed and the change was not ours, reads
/// the status again (off the UI thread, here).
pub fn spawn_watcher(
    manager: Arc<CacheManager>,
    activity: Arc<Activity>,
    tx: Sender<Event>,
    stop: Arc<AtomicBool>,
) {
    let spawned = std::thread::Builder::new()
        .name("watcher".into())
        .spawn(move || {
            let mut last = fingerprint(&manager);
            let mut epoch = activity.epoch.load(Ordering::SeqCst);
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(700));
                if activity.busy.load(Ordering::SeqCst) {
                    continue;
                }
                let now = fingerprint(&manager);
                let ours = activity.epoch.load(Ordering::SeqCst) != epoch;
                epoch = activity.epoch.load(Ordering::SeqCst);
                if now == last {
                    continue;
                }
                // Our jobs write cache files, never the archive: a changed archive is news even when
                // a job of ours ran since the last look.
                let archive_changed = now.0 != last.0;
                last = now;
                if ours && !archive_changed {
                    continue;
                }
                info!("cache files changed on disk");
                // The status checks the file's contents itself, as `backstore status` does.
                let status = manager.status().map_err(|e| format!("{e:#}"));
                if tx
                    .send(Event::Done(Box::new(Done::Status(status))))
                    .is_err()
                {
                    return;
                }
            }
        });
    if let Err(e) = spawned {
        warn!(error = %e, "could not start the watcher thread");
    }
}

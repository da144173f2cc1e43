//! What the inspector's tests share: running the work an `App` asked for, as its worker would.

use backstore::tui::action::Done;
use backstore::tui::app::{App, Effect, Job};

/// Runs the searches, sorts, arrangements and insights the app asked for, in order, until it asks for none; returns the
/// manager jobs it asked for (loads, rebuilds, series), which need a worker and are left to the caller.
pub fn settle(app: &mut App) -> Vec<Job> {
    let mut jobs = Vec::new();
    loop {
        let effects = app.take_effects();
        if effects.is_empty() {
            return jobs;
        }
        for effect in effects {
            match effect {
                Effect::Search(job) => {
                    if let Some(result) = job.run() {
                        app.done(Done::SearchDone { id: job.id, result });
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
                Effect::Sort(job) => {
                    if let Some(result) = job.run() {
                        app.done(Done::Sorted { id: job.id, result });
                    }
                }
                Effect::Insight(job) => {
                    if let Some(result) = job.run() {
                        app.done(Done::InsightDone { id: job.id, result });
                    }
                }
                Effect::Job(job) => jobs.push(job),
                Effect::Copy(_) | Effect::Diff => {}
            }
        }
    }
}

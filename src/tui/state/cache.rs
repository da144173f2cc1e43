//! The Cache pane: the last status read and what verify found. The verdict is the status's own state, so the
//! inspector and `backstore status` always say the same.

use std::sync::Arc;

use crate::cache::report::{BuildReason, Outcome, verdicts};
use crate::cache::{CacheState, CacheStatus};
use crate::catalog::diff::CatalogDiff;

/// The record diff shown while the cache is stale: what changed between the cache file and the archive.
#[derive(Debug, Clone, Default)]
pub enum DiffState {
    #[default]
    NotRun,
    Running,
    Done(Arc<CatalogDiff>),
    Failed(String),
}

/// The verify command's state.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum VerifyState {
    #[default]
    NotRun,
    Running,
    Same,
    Differs(String),
    Failed(String),
}

/// The verdict's word, one per state a reader must tell apart at a glance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Checking,
    Fresh,
    Stale,
    Missing,
    Corrupt,
    FormatChanged,
    InMemoryOnly,
    Error,
}

impl Verdict {
    /// The cache states' words are defined with `CacheState`; only the inspector's own two are here.
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Checking => "CHECKING",
            Verdict::Error => "ERROR",
            Verdict::Fresh => verdicts::FRESH,
            Verdict::Stale => verdicts::STALE,
            Verdict::Missing => verdicts::MISSING,
            Verdict::Corrupt => verdicts::CORRUPT,
            Verdict::FormatChanged => verdicts::FORMAT_CHANGED,
            Verdict::InMemoryOnly => verdicts::IN_MEMORY_ONLY,
        }
    }
}

#[derive(Debug, Default)]
pub struct CachePane {
    pub status: Option<CacheStatus>,
    pub error: Option<String>,
    pub verify: VerifyState,
    /// Selected row among the other-version cache files.
    pub selected: usize,
    pub scroll: u16,
    pub diff: DiffState,
    /// The archive hash the diff was made for: a new one (the archive changed again) asks for another.
    diff_for: Option<[u8; 32]>,
}

impl CachePane {
    /// Takes a new status; true when it is stale for an archive not yet diffed, so a diff should run.
    pub fn set_status(&mut self, status: Result<CacheStatus, String>) -> bool {
        let mut wants_diff = false;
        match status {
            Ok(status) => {
                if matches!(status.state, CacheState::Stale { .. }) {
                    if self.diff_for != Some(status.archive.sha256) {
                        self.diff_for = Some(status.archive.sha256);
                        self.diff = DiffState::Running;
                        wants_diff = true;
                    }
                } else {
                    self.diff_for = None;
                    self.diff = DiffState::NotRun;
                }
                let changed_file = self
                    .status
                    .as_ref()
                    .map(|s| (&s.cache.path, s.cache.built_at))
                    != Some((&status.cache.path, status.cache.built_at));
                if changed_file
                    && matches!(self.verify, VerifyState::Same | VerifyState::Differs(_))
                {
                    self.verify = VerifyState::NotRun;
                }
                self.selected = self
                    .selected
                    .min(status.other_cache_files.len().saturating_sub(1));
                self.status = Some(status);
                self.error = None;
            }
            Err(e) => self.error = Some(e),
        }
        wants_diff
    }

    /// Why `D` has no diff to show (none ran: the cache is not stale), from the status and the last load:
    /// a cache that load built from the archive (a stale one rebuilt at start-up) has nothing to differ in.
    pub fn no_diff(&self, last_load: Option<&Outcome>) -> &'static str {
        let fresh = self
            .status
            .as_ref()
            .is_some_and(|s| s.state == CacheState::Fresh);
        match last_load {
            Some(Outcome::Built(BuildReason::Cache(CacheState::Stale { .. }))) if fresh => {
                "nothing to compare: the stale cache was just rebuilt from the archive"
            }
            Some(Outcome::Built(_)) if fresh => {
                "nothing to compare: the cache was just built from the archive"
            }
            _ => "nothing to compare: the cache is not stale",
        }
    }

    pub fn stale(&self) -> bool {
        self.status
            .as_ref()
            .is_some_and(|s| matches!(s.state, CacheState::Stale { .. }))
    }

    /// The verdict and the reason for it: the status's state, as `backstore status` prints it.
    pub fn verdict(&self) -> (Verdict, String) {
        if let Some(error) = &self.error {
            return (Verdict::Error, error.clone());
        }
        let Some(status) = &self.status else {
            return (Verdict::Checking, "reading the cache status".into());
        };
        let verdict = match status.state {
            CacheState::Fresh => Verdict::Fresh,
            CacheState::Stale { .. } => Verdict::Stale,
            CacheState::Missing => Verdict::Missing,
            CacheState::Corrupt { .. } => Verdict::Corrupt,
            CacheState::FormatChanged { .. } => Verdict::FormatChanged,
            CacheState::InMemoryOnly { .. } => Verdict::InMemoryOnly,
        };
        (verdict, status.reason.clone())
    }

    pub fn others(&self) -> usize {
        self.status
            .as_ref()
            .map_or(0, |s| s.other_cache_files.len())
    }
}

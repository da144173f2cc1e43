//! The Cache pane: the last status read, what a body check and verify found, and the verdict built from them.

use crate::cache::{CacheState, CacheStatus, LoadReport, Outcome};

/// Whether the cache body was found intact after the file changed on disk.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum BodyCheck {
    #[default]
    Unknown,
    Intact,
    Broken(String),
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
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Checking => "CHECKING",
            Verdict::Fresh => "FRESH",
            Verdict::Stale => "STALE",
            Verdict::Missing => "MISSING",
            Verdict::Corrupt => "CORRUPT",
            Verdict::FormatChanged => "FORMAT CHANGED",
            Verdict::InMemoryOnly => "IN MEMORY ONLY",
            Verdict::Error => "ERROR",
        }
    }
}

#[derive(Debug, Default)]
pub struct CachePane {
    pub status: Option<CacheStatus>,
    pub error: Option<String>,
    pub body: BodyCheck,
    pub verify: VerifyState,
    /// Selected row among the other-version cache files.
    pub selected: usize,
    pub scroll: u16,
}

impl CachePane {
    pub fn set_status(&mut self, status: Result<CacheStatus, String>) {
        match status {
            Ok(status) => {
                // A status that is no longer fresh makes an earlier body check meaningless.
                if status.state != CacheState::Fresh {
                    self.body = BodyCheck::Unknown;
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
    }

    /// The verdict and the reason for it, from the status, the body check and the last load.
    pub fn verdict(&self, report: Option<&LoadReport>) -> (Verdict, String) {
        if let Some(error) = &self.error {
            return (Verdict::Error, error.clone());
        }
        let Some(status) = &self.status else {
            return (Verdict::Checking, "reading the cache status".into());
        };
        if let (CacheState::Fresh, BodyCheck::Broken(detail)) = (&status.state, &self.body) {
            return (Verdict::Corrupt, detail.clone());
        }
        if let Some(Outcome::InMemory { why, .. }) = report.map(|r| &r.outcome)
            && status.state != CacheState::Fresh
        {
            return (Verdict::InMemoryOnly, why.clone());
        }
        let verdict = match status.state {
            CacheState::Fresh => Verdict::Fresh,
            CacheState::Stale { .. } => Verdict::Stale,
            CacheState::Missing => Verdict::Missing,
            CacheState::Corrupt { .. } => Verdict::Corrupt,
            CacheState::FormatChanged { .. } => Verdict::FormatChanged,
        };
        (verdict, status.reason.clone())
    }

    pub fn others(&self) -> usize {
        self.status
            .as_ref()
            .map_or(0, |s| s.other_cache_files.len())
    }
}

//! Column insight for the focused column (`VisiData`'s `F` and `I`): a frequency table or statistics,
//! computed by the library on a worker thread, and the frequency table's selected value.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::catalog::Catalog;
use crate::insight::{self, ColumnStats, FrequencyTable, InsightError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsightKind {
    Frequency,
    Stats,
}

/// A finished insight.
#[derive(Debug, Clone)]
pub enum InsightResult {
    Frequency(Arc<FrequencyTable>),
    Stats(ColumnStats),
}

/// What the worker needs.
pub struct InsightJob {
    pub id: u64,
    pub catalog: Arc<Catalog>,
    pub db: usize,
    pub column: usize,
    pub kind: InsightKind,
    pub cancel: Arc<AtomicBool>,
}

impl InsightJob {
    /// Computes here; `None` when cancelled.
    pub fn run(&self) -> Option<Result<InsightResult, String>> {
        let Some(db) = self.catalog.databases().get(self.db) else {
            return Some(Err("the database is gone".into()));
        };
        let result = match self.kind {
            InsightKind::Frequency => insight::frequency(db, self.column, &self.cancel)
                .map(|t| InsightResult::Frequency(Arc::new(t))),
            InsightKind::Stats => {
                insight::stats(db, self.column, &self.cancel).map(InsightResult::Stats)
            }
        };
        match result {
            Ok(r) => Some(Ok(r)),
            Err(InsightError::Cancelled) => None,
            Err(e) => Some(Err(e.to_string())),
        }
    }
}

/// The insight shown in the overlay.
pub struct Shown {
    pub db: usize,
    pub column: usize,
    pub kind: InsightKind,
    pub result: Option<Result<InsightResult, String>>,
    /// The selected row of a frequency table.
    pub selected: usize,
}

#[derive(Default)]
pub struct InsightPane {
    pub shown: Option<Shown>,
    pending: Option<(u64, Arc<AtomicBool>)>,
    next_id: u64,
}

impl InsightPane {
    /// Asks for an insight, cancelling one still running; the overlay shows it as computing meanwhile.
    pub fn request(
        &mut self,
        catalog: &Arc<Catalog>,
        db: usize,
        column: usize,
        kind: InsightKind,
    ) -> InsightJob {
        self.cancel();
        self.next_id += 1;
        let cancel = Arc::new(AtomicBool::new(false));
        self.pending = Some((self.next_id, cancel.clone()));
        // A frequency table of a million values takes milliseconds to free: not on this thread.
        super::discard::discard(self.shown.replace(Shown {
            db,
            column,
            kind,
            result: None,
            selected: 0,
        }));
        InsightJob {
            id: self.next_id,
            catalog: catalog.clone(),
            db,
            column,
            kind,
            cancel,
        }
    }

    pub fn cancel(&mut self) {
        if let Some((_, cancel)) = self.pending.take() {
            cancel.store(true, Ordering::Relaxed);
        }
    }

    /// Takes a finished insight if it is the one wanted.
    pub fn done(&mut self, id: u64, result: Result<InsightResult, String>) {
        if self.pending.as_ref().is_none_or(|(p, _)| *p != id) {
            return;
        }
        self.pending = None;
        match &mut self.shown {
            Some(shown) => super::discard::discard(shown.result.replace(result)),
            None => super::discard::discard(result),
        }
    }

    pub fn close(&mut self) {
        self.cancel();
        super::discard::discard(self.shown.take());
    }

    /// Rows of the frequency table shown (0 otherwise).
    pub fn rows(&self) -> usize {
        match self.shown.as_ref().and_then(|s| s.result.as_ref()) {
            Some(Ok(InsightResult::Frequency(t))) => t.values.len(),
            _ => 0,
        }
    }

    pub fn step(&mut self, delta: isize) {
        let rows = self.rows();
        if let Some(shown) = &mut self.shown {
            shown.selected = shown
                .selected
                .saturating_add_signed(delta)
                .min(rows.saturating_sub(1));
        }
    }

    /// The selected value of the frequency table.
    pub fn selected_value(&self) -> Option<(usize, usize, String)> {
        let shown = self.shown.as_ref()?;
        match shown.result.as_ref()? {
            Ok(InsightResult::Frequency(t)) => t
                .values
                .get(shown.selected)
                .map(|v| (shown.db, shown.column, v.value.clone())),
            _ => None,
        }
    }
}

//! Sorting the Records pane by a column: the request that leaves for a worker thread, the order that comes
//! back, and which record each row then shows. The order itself is the library's (`insight::sort`):
//! numbers as numbers, stable, empty and missing values last.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::catalog::Catalog;
use crate::insight::{self, Direction, InsightError};

/// A finished sort of one database.
#[derive(Debug, Clone)]
pub struct SortOrder {
    /// Which request it answers: a search's hits name the sort they follow by it.
    pub id: u64,
    pub db: usize,
    pub column: usize,
    pub direction: Direction,
    /// Record positions in sorted order.
    pub order: Arc<Vec<usize>>,
    /// Each record's place in `order`.
    pub rank: Arc<Vec<usize>>,
}

/// A sort that is running.
pub struct SortPending {
    pub id: u64,
    pub db: usize,
    pub column: usize,
    pub direction: Direction,
    pub cancel: Arc<AtomicBool>,
}

/// What the worker needs to sort.
pub struct SortJob {
    pub id: u64,
    pub catalog: Arc<Catalog>,
    pub db: usize,
    pub column: usize,
    pub direction: Direction,
    pub cancel: Arc<AtomicBool>,
}

/// A sort's order and each record's place in it, both made on the worker.
#[derive(Debug, Clone)]
pub struct Sorted {
    pub order: Vec<usize>,
    pub rank: Vec<usize>,
}

impl SortJob {
    /// Sorts here; `None` when it was cancelled.
    pub fn run(&self) -> Option<Result<Sorted, String>> {
        let Some(db) = self.catalog.databases().get(self.db) else {
            return Some(Err("the database is gone".into()));
        };
        match insight::sort(db, self.column, self.direction, &self.cancel) {
            Ok(order) => {
                let mut rank = vec![0; order.len()];
                for (place, &record) in order.iter().enumerate() {
                    if let Some(r) = rank.get_mut(record) {
                        *r = place;
                    }
                }
                Some(Ok(Sorted { order, rank }))
            }
            Err(InsightError::Cancelled) => None,
            Err(e) => Some(Err(e.to_string())),
        }
    }
}

/// A change of order waiting for the applied search's hits to be arranged to it: the rows and the hits
/// switch together, so hits always follow the sort shown.
pub struct Switching {
    pub id: u64,
    /// The order to show: a sort, or the archive's.
    pub to: Option<SortOrder>,
    pub cancel: Arc<AtomicBool>,
}

#[derive(Default)]
pub struct Sorting {
    pub current: Option<SortOrder>,
    pub pending: Option<SortPending>,
    pub switching: Option<Switching>,
    /// Why the last sort failed.
    pub error: Option<String>,
    next_id: u64,
}

pub fn arrow(direction: Direction) -> &'static str {
    match direction {
        Direction::Ascending => "↑",
        Direction::Descending => "↓",
    }
}

impl Sorting {
    /// Asks for `db` sorted by `column`, cancelling a sort still running. Asking again for the order
    /// shown (or about to be) returns no job: the caller switches back to the archive's order.
    pub fn request(
        &mut self,
        catalog: &Arc<Catalog>,
        db: usize,
        column: usize,
        direction: Direction,
    ) -> Option<SortJob> {
        self.cancel();
        self.error = None;
        let same = self
            .wanted()
            .is_some_and(|s| (s.db, s.column, s.direction) == (db, column, direction));
        if same {
            return None;
        }
        Some(self.start(catalog, db, column, direction))
    }

    fn start(
        &mut self,
        catalog: &Arc<Catalog>,
        db: usize,
        column: usize,
        direction: Direction,
    ) -> SortJob {
        self.next_id += 1;
        let cancel = Arc::new(AtomicBool::new(false));
        self.pending = Some(SortPending {
            id: self.next_id,
            db,
            column,
            direction,
            cancel: cancel.clone(),
        });
        SortJob {
            id: self.next_id,
            catalog: catalog.clone(),
            db,
            column,
            direction,
            cancel,
        }
    }

    /// The same sort again on new data (after a reload), if one was shown or running. The caller switches
    /// to the archive's order meanwhile: the old order belongs to the old data.
    pub fn again(&mut self, catalog: &Arc<Catalog>) -> Option<SortJob> {
        let (db, column, direction) = match (&self.pending, self.wanted()) {
            (Some(p), _) => (p.db, p.column, p.direction),
            (None, Some(s)) => (s.db, s.column, s.direction),
            (None, None) => return None,
        };
        self.cancel();
        let columns = catalog.databases().get(db)?.columns().len();
        (column < columns).then(|| self.start(catalog, db, column, direction))
    }

    pub fn cancel(&mut self) {
        if let Some(p) = self.pending.take() {
            p.cancel.store(true, Ordering::Relaxed);
        }
    }

    /// Drops the sort, any running one and any switch under way.
    pub fn clear(&mut self) {
        self.cancel();
        self.stop_switching();
        if let Some(old) = self.current.take() {
            super::discard::discard(old);
        }
        self.error = None;
    }

    pub fn stop_switching(&mut self) {
        if let Some(s) = self.switching.take() {
            s.cancel.store(true, Ordering::Relaxed);
        }
    }

    /// Takes a finished sort if it is still the one wanted: the order to switch to.
    pub fn done(&mut self, id: u64, result: Result<Sorted, String>) -> Option<SortOrder> {
        if self.pending.as_ref().is_none_or(|p| p.id != id) {
            return None;
        }
        let p = self.pending.take()?;
        match result {
            Ok(sorted) => Some(SortOrder {
                id: p.id,
                db: p.db,
                column: p.column,
                direction: p.direction,
                order: Arc::new(sorted.order),
                rank: Arc::new(sorted.rank),
            }),
            Err(e) => {
                self.error = Some(e);
                None
            }
        }
    }

    /// The order shown once the switch under way (if any) is over.
    pub fn wanted(&self) -> Option<&SortOrder> {
        match &self.switching {
            Some(s) => s.to.as_ref(),
            None => self.current.as_ref(),
        }
    }

    /// The ranks a search of `db` asked for now should arrange its hits by.
    pub fn ranks_for(&self, db: Option<usize>) -> Option<super::arrange::Ranks> {
        self.wanted()
            .filter(|s| Some(s.db) == db)
            .map(|s| super::arrange::Ranks {
                sort: s.id,
                rank: s.rank.clone(),
            })
    }

    /// Shows `to` now, freeing the order it replaces off this thread.
    pub fn show(&mut self, to: Option<SortOrder>) {
        self.stop_switching();
        if let Some(old) = std::mem::replace(&mut self.current, to) {
            super::discard::discard(old);
        }
    }

    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// The sort shown for `db`, if any.
    pub fn of(&self, db: usize) -> Option<&SortOrder> {
        self.current.as_ref().filter(|s| s.db == db)
    }

    /// The record shown at row `i` of `db` unfiltered.
    pub fn record_at(&self, db: usize, i: usize) -> usize {
        self.of(db)
            .and_then(|s| s.order.get(i).copied())
            .unwrap_or(i)
    }

    /// The row where `record` of `db` shows unfiltered.
    pub fn row_of(&self, db: usize, record: usize) -> usize {
        self.of(db)
            .and_then(|s| s.rank.get(record).copied())
            .unwrap_or(record)
    }

    /// Whether a sort is running or the hits are being put in a new order.
    pub fn running(&self) -> bool {
        self.pending.is_some() || self.switching.is_some()
    }
}

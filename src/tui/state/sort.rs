//! Sorting the Records pane by a column: the request that leaves for a worker thread, the order that comes
//! back, and which record each row then shows. The order itself is the library's (`insight::sort`):
//! numbers as numbers, stable, empty and missing values last.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::catalog::Catalog;
use crate::insight::{self, Direction, InsightError};

/// A finished sort of one database.
pub struct SortOrder {
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

impl SortJob {
    /// Sorts here; `None` when it was cancelled.
    pub fn run(&self) -> Option<Result<Vec<usize>, String>> {
        let Some(db) = self.catalog.databases().get(self.db) else {
            return Some(Err("the database is gone".into()));
        };
        match insight::sort(db, self.column, self.direction, &self.cancel) {
            Ok(order) => Some(Ok(order)),
            Err(InsightError::Cancelled) => None,
            Err(e) => Some(Err(e.to_string())),
        }
    }
}

#[derive(Default)]
pub struct Sorting {
    pub current: Option<SortOrder>,
    pub pending: Option<SortPending>,
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
    /// shown drops it (back to the archive's order) and returns no job.
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
            .current
            .as_ref()
            .is_some_and(|s| (s.db, s.column, s.direction) == (db, column, direction));
        if same {
            self.current = None;
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

    /// The same sort again on new data (after a reload), if one was shown or running.
    pub fn again(&mut self, catalog: &Arc<Catalog>) -> Option<SortJob> {
        let (db, column, direction) = match (&self.pending, &self.current) {
            (Some(p), _) => (p.db, p.column, p.direction),
            (None, Some(s)) => (s.db, s.column, s.direction),
            (None, None) => return None,
        };
        self.cancel();
        self.current = None;
        let columns = catalog.databases().get(db)?.columns().len();
        (column < columns).then(|| self.start(catalog, db, column, direction))
    }

    pub fn cancel(&mut self) {
        if let Some(p) = self.pending.take() {
            p.cancel.store(true, Ordering::Relaxed);
        }
    }

    /// Drops the sort and any running one.
    pub fn clear(&mut self) {
        self.cancel();
        self.current = None;
        self.error = None;
    }

    /// Takes a finished sort if it is still the one wanted; true when it was.
    pub fn done(&mut self, id: u64, result: Result<Vec<usize>, String>) -> bool {
        if self.pending.as_ref().is_none_or(|p| p.id != id) {
            return false;
        }
        let Some(p) = self.pending.take() else {
            return false;
        };
        match result {
            Ok(order) => {
                let mut rank = vec![0; order.len()];
                for (place, &record) in order.iter().enumerate() {
                    if let Some(r) = rank.get_mut(record) {
                        *r = place;
                    }
                }
                self.current = Some(SortOrder {
                    db: p.db,
                    column: p.column,
                    direction: p.direction,
                    order: Arc::new(order),
                    rank: Arc::new(rank),
                });
                true
            }
            Err(e) => {
                self.error = Some(e);
                false
            }
        }
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

    pub fn running(&self) -> bool {
        self.pending.is_some()
    }
}

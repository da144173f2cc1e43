//! A search's hits put in the order the Records pane shows them, on a worker thread: by the sort's ranks
//! when the database is sorted (else the search's own ranking), with the rows of the database view that
//! hold a hit, for a find's n/N. The UI thread only swaps the vectors in.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::search::Hit;

/// A finished sort as hits need it: which sort it is and each record's place in it.
#[derive(Debug, Clone)]
pub struct Ranks {
    pub sort: u64,
    pub rank: Arc<Vec<usize>>,
}

/// Hits ready to show.
#[derive(Debug, Clone, Default)]
pub struct Found {
    /// The search's own order: key hits first, then by score, then in catalog order.
    pub ranked: Arc<Vec<Hit>>,
    /// The order shown: `ranked` itself unsorted, else by each record's rank (one hit per record).
    pub hits: Arc<Vec<Hit>>,
    /// Rows of the database view holding a hit, ascending (empty across all databases).
    pub rows: Vec<usize>,
    /// The field that matched on each of `rows`.
    pub fields: Vec<usize>,
    /// The sort `hits` and `rows` follow; `None` for the archive's order.
    pub sorted_by: Option<u64>,
}

/// Orders `ranked` hits of one database (`db`, or `None` across all) by `ranks`.
pub fn arrange(ranked: Arc<Vec<Hit>>, db: Option<usize>, ranks: Option<&Ranks>) -> Found {
    let ranks = ranks.filter(|_| db.is_some());
    let place = |h: &Hit| match ranks {
        Some(r) => r.rank.get(h.record).copied().unwrap_or(usize::MAX),
        None => h.record,
    };
    let hits = match ranks {
        Some(_) => {
            let mut hits = ranked.as_ref().clone();
            // Stable: records the sort does not know keep the search's order, last.
            hits.sort_by_key(place);
            Arc::new(hits)
        }
        None => ranked.clone(),
    };
    let (rows, fields) = match db {
        Some(_) => {
            let mut rows: Vec<(usize, usize)> = hits.iter().map(|h| (place(h), h.field)).collect();
            rows.sort_unstable();
            rows.dedup_by_key(|r| r.0);
            rows.into_iter().unzip()
        }
        None => (Vec::new(), Vec::new()),
    };
    Found {
        ranked,
        hits,
        rows,
        fields,
        sorted_by: ranks.map(|r| r.sort),
    }
}

/// What the worker needs to put an applied search's hits in a new sort's order (or back in their own).
pub struct ArrangeJob {
    pub id: u64,
    /// The search whose hits these are.
    pub search: u64,
    pub ranked: Arc<Vec<Hit>>,
    pub db: usize,
    pub ranks: Option<Ranks>,
    pub cancel: Arc<AtomicBool>,
}

impl ArrangeJob {
    /// Arranges here; `None` when it was cancelled before it started.
    pub fn run(&self) -> Option<Found> {
        if self.cancel.load(Ordering::Relaxed) {
            return None;
        }
        Some(arrange(
            self.ranked.clone(),
            Some(self.db),
            self.ranks.as_ref(),
        ))
    }
}

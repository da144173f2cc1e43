//! The Records pane changing order: a sort arriving, the sort dropped, the same sort again after a reload.
//! The rows and an applied search's hits switch together, so the hits always follow the sort shown; hits
//! that must move are arranged on a worker first, and the UI thread only swaps them in.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use super::arrange::{ArrangeJob, Found, Ranks};
use super::discard::discard;
use super::find::SearchScope;
use super::records::{RecordsPane, RowRef};
use super::sort::{SortJob, SortOrder, Sorted, Switching};
use crate::catalog::Catalog;
use crate::insight::Direction;

/// What asking for a sort started.
pub enum SortRequest {
    /// A sort is running on this job.
    Sort(SortJob),
    /// The sort is being dropped: at once, or once the hits are back in their own order.
    Off(Option<ArrangeJob>),
    /// Nothing to sort: no database, or hits from several.
    Refused,
}

impl RecordsPane {
    /// Asks for the shown database sorted by the focused column; the same again drops the sort.
    pub fn request_sort(&mut self, catalog: &Arc<Catalog>, direction: Direction) -> SortRequest {
        let Some(db) = self.db.filter(|_| !self.across()) else {
            return SortRequest::Refused;
        };
        match self.sort.request(catalog, db, self.col, direction) {
            Some(job) => SortRequest::Sort(job),
            None => SortRequest::Off(self.switch_to(catalog, None)),
        }
    }

    /// Takes a finished sort: the rows switch to it, keeping the cursor on the record it was on.
    pub fn sort_done(
        &mut self,
        catalog: &Catalog,
        id: u64,
        result: Result<Sorted, String>,
    ) -> Option<ArrangeJob> {
        let to = self.sort.done(id, result)?;
        self.switch_to(catalog, Some(to))
    }

    /// New data (after a reload): the hits and the order found in the old data go at once, as their rows
    /// are not the new data's; the cursor stays on its row within the new rows, and the same sort is made
    /// again (the archive's order shows meanwhile). The caller searches the new data again.
    pub fn reloaded(&mut self, catalog: &Arc<Catalog>) -> Option<SortJob> {
        self.drop_hits();
        let job = self.sort.again(catalog);
        self.sort.show(None);
        let len = self.len(catalog);
        self.cursor.follow(len, self.height);
        job
    }

    /// Whether the applied search's hits follow `to` already, or need no order (across all databases).
    fn hits_follow(&self, to: Option<&SortOrder>) -> bool {
        let Some(a) = &self.applied else { return true };
        let Some(db) = a.db.filter(|_| a.scope == SearchScope::Database) else {
            return true;
        };
        a.sorted_by == to.filter(|s| s.db == db).map(|s| s.id)
    }

    /// Shows `to` (a sort, or the archive's order): at once when the hits follow it already, else once a
    /// worker has arranged them (the job returned).
    pub(super) fn switch_to(
        &mut self,
        catalog: &Catalog,
        to: Option<SortOrder>,
    ) -> Option<ArrangeJob> {
        self.sort.stop_switching();
        let arranging = self
            .applied
            .as_ref()
            .filter(|_| !self.hits_follow(to.as_ref()))
            .and_then(|a| Some((a.id, a.ranked.clone(), a.db?)));
        let Some((search, ranked, db)) = arranging else {
            self.show_order(catalog, to);
            return None;
        };
        let id = self.sort.next_id();
        let cancel = Arc::new(AtomicBool::new(false));
        let ranks = to.as_ref().filter(|s| s.db == db).map(|s| Ranks {
            sort: s.id,
            rank: s.rank.clone(),
        });
        self.sort.switching = Some(Switching {
            id,
            to,
            cancel: cancel.clone(),
        });
        Some(ArrangeJob {
            id,
            search,
            ranked,
            db,
            ranks,
            cancel,
        })
    }

    /// Takes hits a worker arranged, if the switch they were for is still under way: rows and hits change
    /// together. When another search's hits came meanwhile, those are arranged instead (the job returned).
    pub fn arranged(
        &mut self,
        catalog: &Catalog,
        id: u64,
        search: u64,
        found: Found,
    ) -> Option<ArrangeJob> {
        if self.sort.switching.as_ref().is_none_or(|s| s.id != id) {
            discard(found);
            return None;
        }
        let switching = self.sort.switching.take()?;
        if self.applied.as_ref().is_none_or(|a| a.id != search) {
            discard(found);
            return self.switch_to(catalog, switching.to);
        }
        // `was` is read from the old order, so the old hits go only after.
        let was = self.current(catalog);
        let applied = self.applied.as_mut()?;
        let old = std::mem::replace(&mut applied.hits, found.hits);
        applied.sorted_by = found.sorted_by;
        let rows = std::mem::replace(&mut self.hit_rows, found.rows);
        self.hit_fields = found.fields;
        discard((old, rows, found.ranked));
        self.sort.show(switching.to);
        self.keep_on(catalog, was);
        None
    }

    /// Shows `to` now (the hits follow it already), keeping the cursor on its record.
    fn show_order(&mut self, catalog: &Catalog, to: Option<SortOrder>) {
        let was = self.current(catalog);
        self.sort.show(to);
        self.keep_on(catalog, was);
    }

    /// Puts the cursor back on the record it showed before the rows moved (a sort came, changed or went),
    /// when that record is among the rows shown now; else the cursor keeps its row.
    fn keep_on(&mut self, catalog: &Catalog, was: Option<RowRef>) {
        let Some(was) = was else { return };
        let Some(a) = self.shown_hits() else {
            let pos = self.sort.row_of(was.db, was.record);
            return self.set_row(catalog, pos);
        };
        let i = match (a.sorted_by, self.sort.of(was.db)) {
            // Hits follow the sort's ranks: the record's place is found by bisection.
            (Some(id), Some(sort)) if sort.id == id => {
                let place = |record: usize| sort.rank.get(record).copied().unwrap_or(usize::MAX);
                let target = place(was.record);
                a.hits.partition_point(|h| place(h.record) < target)
            }
            // Hits in the search's own order, a total one: the hit is found by bisection in it.
            (None, _) => match was.hit {
                Some(hit) => a.hits.partition_point(|h| h.cmp_rank(&hit).is_lt()),
                None => return,
            },
            (Some(_), _) => return,
        };
        let found = a
            .hits
            .get(i)
            .is_some_and(|h| (h.database, h.record) == (was.db, was.record));
        if found {
            self.set_row(catalog, i);
        }
    }
}

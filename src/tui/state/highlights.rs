//! The matched characters of the cells on screen, for the search applied: the matcher runs once per cell,
//! when its row first shows, and drawing reads the positions from here. A new query or new data drops them.

use std::collections::HashMap;
use std::sync::Arc;

use crate::catalog::Catalog;
use crate::search::Query;

/// Cells kept at most: many screens of a wide table. Past it the positions start again from the screen.
const MOST: usize = 20_000;

/// A cell: database, record and field (0 is the key).
pub type CellRef = (usize, usize, usize);

#[derive(Default)]
pub struct Highlights {
    /// The query the positions are for.
    query: Option<Arc<Query>>,
    /// The catalog they were found in, by address: a reload brings other values under the same indexes.
    catalog: usize,
    cells: HashMap<CellRef, Vec<usize>>,
    /// How many times the matcher ran, so a test can tell it ran once per cell.
    runs: u64,
}

impl Highlights {
    /// Gets ready for `query` over `catalog`: positions found for another query or catalog are dropped.
    pub fn prepare(&mut self, catalog: &Catalog, query: Option<&Arc<Query>>) {
        let address = std::ptr::from_ref(catalog) as usize;
        let same_query = match (&self.query, query) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        if !same_query || self.catalog != address || self.cells.len() > MOST {
            self.cells.clear();
            self.query = query.cloned();
            self.catalog = address;
        }
    }

    /// Finds the matched characters of `value` (the cell `at`) unless they are known already.
    pub fn fill(&mut self, at: CellRef, value: &str) {
        let Some(query) = &self.query else { return };
        if self.cells.contains_key(&at) {
            return;
        }
        self.runs += 1;
        self.cells.insert(at, query.positions(value));
    }

    /// The matched characters of a cell (char indices, sorted): `None` when no search is applied.
    pub fn get(&self, at: CellRef) -> Option<&[usize]> {
        self.query.as_ref()?;
        Some(self.cells.get(&at).map_or(&[][..], Vec::as_slice))
    }

    /// How many times the matcher has run.
    pub fn runs(&self) -> u64 {
        self.runs
    }

    /// Cells whose positions are known.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }
}

//! A search as the worker runs it: the typed text (or a query built already), where it looks, and the
//! hits it comes back with, arranged for the records pane.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::arrange::{Found, Ranks, arrange};
use crate::catalog::Catalog;
use crate::search::{self, Hit, Mode, Query, QueryError, SearchError};

/// The query a search job runs.
pub enum JobQuery {
    /// The text as typed and the mode, built into a query on the worker: building one compiles its
    /// matcher (a regex, a multi-pattern searcher), milliseconds a keystroke cannot spare.
    Typed { text: String, mode: Mode },
    /// A query built already, for the same search again.
    Built(Arc<Query>),
}

/// The hits of the search shown and the query that found them: a new query that narrows that one
/// ([`Query::narrows`]) looks only among them.
pub struct Within {
    pub query: Arc<Query>,
    pub hits: Arc<Vec<Hit>>,
}

/// What the worker needs to run a search.
pub struct SearchJob {
    pub id: u64,
    pub catalog: Arc<Catalog>,
    pub query: JobQuery,
    pub scope: search::Scope,
    /// The one database searched, whose rows the hits are arranged to.
    pub db: Option<usize>,
    pub within: Option<Within>,
    /// The sort shown (or about to be) for `db`: the hits come back in its order.
    pub ranks: Option<Ranks>,
    pub cancel: Arc<AtomicBool>,
}

/// A finished search: the query the worker built and its hits, arranged.
#[derive(Debug, Clone)]
pub struct Searched {
    pub query: Arc<Query>,
    pub found: Found,
}

impl SearchJob {
    /// Builds the query and runs the search here: its hits arranged, or why the text cannot be searched
    /// (an invalid regex); `None` when it was cancelled before it finished.
    pub fn run(&self) -> Option<Result<Searched, QueryError>> {
        if self.cancel.load(Ordering::Relaxed) {
            return None;
        }
        let query = match &self.query {
            JobQuery::Typed { text, mode } => match Query::new(text, *mode) {
                Ok(query) => Arc::new(query),
                Err(e) => return Some(Err(e)),
            },
            JobQuery::Built(query) => query.clone(),
        };
        let within = self
            .within
            .as_ref()
            .filter(|w| query.narrows(&w.query))
            .map(|w| w.hits.as_slice());
        match search::search(&self.catalog, &query, self.scope, within, &self.cancel) {
            Ok(hits) => Some(Ok(Searched {
                query,
                found: arrange(Arc::new(hits), self.db, self.ranks.as_ref()),
            })),
            Err(SearchError::Cancelled) => None,
            Err(SearchError::Query(e)) => Some(Err(e)),
        }
    }
}

//! Every change to the inspector's state, as data: keys, mouse and ticks are an [`Action`], what a worker
//! thread sends back is a [`Done`].

use std::path::PathBuf;
use std::time::SystemTime;

use crate::cache::{CacheStatus, Loaded};
use crate::timing::{Progress, Sample, Series};

use super::app::Pane;

/// Which load a finished load job was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadKind {
    /// The first load at start-up (`load_or_build`).
    Startup,
    /// A forced rebuild from the archive.
    Cold,
    /// `load_or_build` again, asked for by the user (after the archive changed): not timed.
    Reload,
    /// A load from the cache file only.
    Warm,
}

#[derive(Debug, Clone)]
pub enum Action {
    /// Leave the inspector.
    Quit,
    /// Time passes: expire toasts, animate spinners, recompute ages.
    Tick(SystemTime),
    /// The terminal now has this many columns and rows.
    Resize(u16, u16),
    /// Focus the next pane.
    FocusNext,
    /// Focus the previous pane.
    FocusPrev,
    /// Focus one pane.
    Focus(Pane),
    /// Open or close the key help.
    ToggleHelp,
    /// Show the focused pane alone, or all four again.
    ToggleZoom,
    /// Close the open overlay (help, record, question).
    Close,

    /// Move the cursor up one line.
    Up,
    /// Move the cursor down one line.
    Down,
    /// Move up one page.
    PageUp,
    /// Move down one page.
    PageDown,
    /// Go to the first line.
    Top,
    /// Go to the last line.
    Bottom,
    /// Move one column left.
    Left,
    /// Move one column right.
    Right,
    /// Open what the cursor is on.
    Enter,
    /// A mouse click at a cell.
    Click { x: u16, y: u16 },
    /// The mouse wheel turned over a cell.
    Scroll { x: u16, y: u16, down: bool },

    /// Start typing a filter (Databases) or a find (Records) in the focused pane.
    StartInput,
    /// Start typing a search that shows only the matching rows.
    StartFilter,
    /// Switch the search mode: substring, regex, fuzzy.
    CycleMode,
    /// A character typed into the filter or search.
    Input(char),
    /// Delete the character before the text cursor.
    Backspace,
    /// Empty the filter or search text.
    ClearInput,
    /// Stop typing and keep the filter.
    AcceptInput,
    /// Stop typing and drop the filter.
    CancelInput,
    /// Search this database or all databases.
    ToggleScope,
    /// Jump to the next search hit.
    NextHit,
    /// Jump to the previous search hit.
    PrevHit,
    /// Drop the applied filter.
    ClearFilter,
    /// Copy the current record as JSON to the clipboard.
    Copy,
    /// Wrap long cells onto more lines, or cut them to one again.
    ToggleWrap,
    /// Sort by the focused column, ascending (again: the archive's order).
    SortAscending,
    /// Sort by the focused column, descending (again: the archive's order).
    SortDescending,
    /// Start typing a row number to go to.
    StartJump,
    /// A digit of a count before `G` (row number).
    Count(char),
    /// Copy the focused cell's value to the clipboard.
    CopyCell,
    /// The focused column's frequency table (value, count, %, bar).
    Frequency,
    /// The focused column's statistics.
    Stats,
    /// Filter the records to the value selected in the frequency table.
    FilterValue,

    /// Compare the cache file with a fresh parse of the archive.
    Verify,
    /// Delete the selected other-version cache file (asks first).
    DeleteOther,
    /// Read the cache status now instead of at the next poll.
    RefreshStatus,
    /// Load the archive again (`load_or_build`: rebuilds a stale cache); retries a failed load.
    Reload,
    /// Show every change between the cached data and the archive.
    ShowDiff,

    /// Rebuild from the archive and time it.
    Cold,
    /// Load from the cache file and time it.
    Warm,
    /// Delete the cache (asks first).
    Invalidate,
    /// Run a benchmark series of cold and warm loads.
    Bench,
    /// One more run per kind in the next series.
    MoreRuns,
    /// One run fewer per kind in the next series.
    FewerRuns,
    /// Cancel the running series.
    Cancel,
    /// Write the last series as hyperfine-style JSON.
    Export,

    /// Answer yes to the open question.
    Confirm,
    /// Answer no to the open question.
    Deny,
}

/// What a worker thread sends back: a result, never a user's intent, so `App::done` and `App::update`
/// each match their own enum exhaustively.
#[derive(Debug, Clone)]
pub enum Done {
    /// A load finished.
    Loaded {
        kind: LoadKind,
        result: Result<Loaded, String>,
    },
    /// A fresh cache status, or why it could not be read.
    Status(Result<CacheStatus, String>),
    /// A search job finished: the query it built and its hits arranged to the sort it was given, or why
    /// its text cannot be searched.
    SearchDone {
        id: u64,
        result: Result<super::state::find::Searched, crate::search::QueryError>,
    },
    /// An applied search's hits arranged to a new order (job `id`, for search `search`).
    Arranged {
        id: u64,
        search: u64,
        found: super::state::arrange::Found,
    },
    /// A sort finished: the record positions in order and each record's place, or why not.
    Sorted {
        id: u64,
        result: Result<super::state::sort::Sorted, String>,
    },
    /// A frequency table or statistics finished.
    InsightDone {
        id: u64,
        result: Result<super::state::insight::InsightResult, String>,
    },
    /// The record diff between the cache file and the archive, or why it could not be made.
    Diffed(Result<Box<crate::catalog::diff::CatalogDiff>, String>),
    /// Verify finished: `Ok(None)` when cache and archive agree, `Ok(Some(difference))` otherwise.
    Verified(Result<Option<String>, String>),
    /// One run of a series finished.
    SeriesProgress(Progress, Sample),
    /// A series ended, complete or cancelled.
    SeriesDone {
        result: Result<Series, String>,
        cancelled: bool,
    },
    /// The cache was deleted: how many files, or why not.
    Invalidated(Result<usize, String>),
    /// An other-version cache file was deleted.
    Removed(Result<PathBuf, String>),
    /// The series was exported to this file.
    Exported(Result<PathBuf, String>),
}

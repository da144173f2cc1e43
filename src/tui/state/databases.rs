//! The Databases pane: which databases are listed (after the name filter) and which one is selected.

use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;

use super::Cursor;
use crate::catalog::Catalog;

/// A row of the list: a loaded database, one that failed to parse, or an archive entry that was not taken
/// as a database, by position in the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    Loaded(usize),
    Failed(usize),
    Skipped(usize),
}

#[derive(Debug, Default)]
pub struct DatabasesPane {
    pub filter: String,
    pub editing: bool,
    pub entries: Vec<Entry>,
    pub cursor: Cursor,
    /// The version most databases carry; the others are flagged.
    pub common_version: Option<String>,
    /// Whether every versioned database carries that version (it is then said once, in the title).
    pub uniform_version: bool,
}

impl DatabasesPane {
    /// Recomputes the rows after the catalog or the filter changed, keeping the selected name when it is
    /// still listed.
    pub fn refresh(&mut self, catalog: &Catalog, height: usize) {
        let selected = self.selected_name(catalog);
        let matcher = SkimMatcherV2::default().smart_case();
        let keep = |name: &str| {
            self.filter.is_empty() || matcher.fuzzy_match(name, &self.filter).is_some()
        };
        let mut entries: Vec<(&str, Entry)> = catalog
            .databases()
            .iter()
            .enumerate()
            .filter(|(_, d)| keep(d.name()))
            .map(|(i, d)| (d.name(), Entry::Loaded(i)))
            .collect();
        entries.extend(
            catalog
                .failed()
                .iter()
                .enumerate()
                .filter(|(_, f)| keep(&f.name))
                .map(|(i, f)| (f.name.as_str(), Entry::Failed(i))),
        );
        entries.sort_by(|a, b| a.0.cmp(b.0));
        // Skipped entries come after the databases, in archive order: they are what was left out.
        entries.extend(
            catalog
                .skipped()
                .iter()
                .enumerate()
                .filter(|(_, s)| keep(&s.path))
                .map(|(i, s)| (s.path.as_str(), Entry::Skipped(i))),
        );
        let pos = selected
            .and_then(|name| entries.iter().position(|(n, _)| *n == name))
            .unwrap_or(0);
        self.entries = entries.into_iter().map(|(_, e)| e).collect();
        self.cursor.set(pos, self.entries.len(), height);
        self.common_version = common_version(catalog);
        self.uniform_version = catalog
            .databases()
            .iter()
            .filter_map(|d| d.version())
            .all(|v| Some(v) == self.common_version.as_deref());
    }

    pub fn selected(&self) -> Option<Entry> {
        self.entries.get(self.cursor.pos).copied()
    }

    fn selected_name(&self, catalog: &Catalog) -> Option<String> {
        match self.selected()? {
            Entry::Loaded(i) => catalog.databases().get(i).map(|d| d.name().to_string()),
            Entry::Failed(i) => catalog.failed().get(i).map(|f| f.name.clone()),
            Entry::Skipped(i) => catalog.skipped().get(i).map(|s| s.path.clone()),
        }
    }

    /// The selected database's position in the catalog, when it is a loaded one.
    pub fn selected_database(&self) -> Option<usize> {
        match self.selected()? {
            Entry::Loaded(i) => Some(i),
            Entry::Failed(_) | Entry::Skipped(_) => None,
        }
    }
}

/// The most common version among versioned databases (ties: the first in name order).
fn common_version(catalog: &Catalog) -> Option<String> {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for version in catalog.databases().iter().filter_map(|d| d.version()) {
        match counts.iter_mut().find(|(v, _)| *v == version) {
            Some((_, n)) => *n += 1,
            None => counts.push((version, 1)),
        }
    }
    let best = counts.iter().map(|(_, n)| *n).max()?;
    counts
        .into_iter()
        .find(|(_, n)| *n == best)
        .map(|(v, _)| v.to_string())
}

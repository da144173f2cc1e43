//! What the Records pane's own keys do beyond moving: a count before G, sort, column insight, the
//! frequency table's filter, and copying a cell or a record.

use super::app::{App, Effect, Overlay, Pane};
use super::state::ordering::SortRequest;
use crate::record::RecordData;

impl App {
    /// A count that was not for G: a lone 1-4 focuses that pane, as the key does alone.
    pub(super) fn count_as_focus(&mut self, digits: &str) {
        let pane = match digits {
            "1" => Pane::Databases,
            "2" => Pane::Records,
            "3" => Pane::Cache,
            "4" => Pane::Timing,
            _ => return,
        };
        self.screen.focus = pane;
    }

    pub(super) fn sort(&mut self, direction: crate::insight::Direction) {
        let Some(catalog) = self.data.catalog.clone() else {
            return;
        };
        if self.records.across() {
            return self.notify("sorting needs one database: press s to search this database only");
        }
        match self.records.request_sort(&catalog, direction) {
            SortRequest::Sort(job) => self.push(Effect::Sort(job)),
            SortRequest::Off(arrange) => {
                // Back to the archive's order; a search's hits go back to their ranking with the rows.
                if let Some(job) = arrange {
                    self.push(Effect::Arrange(job));
                }
                self.notify("sort off: the archive's order");
            }
            SortRequest::Refused => {}
        }
    }

    /// Opens the focused column's frequency table or statistics, computed on a worker thread.
    pub(super) fn insight(&mut self, kind: super::state::insight::InsightKind) {
        let Some(catalog) = self.data.catalog.clone() else {
            return;
        };
        let Some(db) = self.records.db.filter(|_| !self.records.across()) else {
            return self
                .notify("column insight needs one database: press s to search this database only");
        };
        let job = self.insight.request(&catalog, db, self.records.col, kind);
        self.screen.overlay = Overlay::Insight;
        self.push(Effect::Insight(job));
    }

    /// Filters the records to the selected value of the frequency table: an exact regex on its column.
    pub(super) fn filter_value(&mut self) {
        let Some((db, column, value)) = self.insight.selected_value() else {
            return;
        };
        let Some(catalog) = self.data.catalog.clone() else {
            return;
        };
        let Some(name) = catalog
            .databases()
            .get(db)
            .and_then(|d| d.columns().get(column))
        else {
            return;
        };
        self.insight.close();
        self.screen.overlay = Overlay::None;
        let r = &mut self.records;
        r.mode = crate::search::Mode::Regex;
        r.scope = super::state::records::SearchScope::Database;
        r.input = format!("{name}:(?-i)^{}$", regex::escape(&value));
        r.intent = super::state::records::Intent::Filter;
        r.editing = false;
        r.drop_hits();
        self.search(false);
    }

    /// The focused cell's value onto the clipboard, as it is (no quoting).
    pub(super) fn copy_cell(&mut self) {
        let Some(catalog) = self.data.catalog.clone() else {
            return;
        };
        match self.records.focused_cell(&catalog) {
            Some((name, Some(value))) => {
                self.notify(format!("copied {name} ({} bytes)", value.len()));
                self.push(Effect::Copy(value));
            }
            Some((name, None)) => {
                self.notify(format!("{name} is missing in this row: nothing copied"));
            }
            None => self.notify("no cell to copy"),
        }
    }

    /// The current record as JSON, with the archive's short hash, onto the clipboard.
    pub(super) fn copy(&mut self) {
        let Some(catalog) = self.data.catalog.clone() else {
            return;
        };
        let Some(row) = self.records.current(&catalog) else {
            return self.notify("no record to copy");
        };
        let Some(record) = catalog
            .databases()
            .get(row.db)
            .and_then(|d| d.record(row.record))
        else {
            return;
        };
        let data = RecordData::from(record);
        let mut json = serde_json::to_value(&data).unwrap_or_default();
        if let Some(map) = json.as_object_mut() {
            let hash = self
                .cache
                .status
                .as_ref()
                .map(|s| crate::hex::encode(&s.archive.sha256[..6]));
            map.insert("archive".into(), hash.into());
        }
        let text = serde_json::to_string_pretty(&json).unwrap_or_default();
        self.notify(format!(
            "copied {}/{} as JSON ({} bytes)",
            data.database,
            data.key,
            text.len()
        ));
        self.push(Effect::Copy(text));
    }
}

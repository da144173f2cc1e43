//! Reading a record's fields by column name, as an application does: `teal.get("hex")`.

use super::index::{Database, Record};

impl Database {
    /// The position of a column by its header name (0 is the key column); the first one when a name repeats.
    pub fn column_index(&self, column: &str) -> Option<usize> {
        self.columns().iter().position(|c| c == column)
    }
}

impl<'a> Record<'a> {
    /// The value of a column by its header name; `None` when there is no such column or this (short) row
    /// lacks the field. An empty field is `Some("")`.
    ///
    /// ```
    /// # use backstore::cache::{ArchiveSource, CacheManager, ManagerOptions};
    /// # let manager = CacheManager::new(ManagerOptions { source: ArchiveSource::demo(), data_dir: None, limits: Default::default() });
    /// # let loaded = manager.load_or_build()?;
    /// let colours = loaded.catalog.get("colours").unwrap();
    /// assert_eq!(colours.lookup("Teal").unwrap().get("hex"), Some("#008080"));
    /// assert_eq!(colours.lookup("Teal").unwrap().get("no such column"), None);
    /// # Ok::<(), backstore::Error>(())
    /// ```
    pub fn get(&self, column: &str) -> Option<&'a str> {
        self.value(self.database().column_index(column)?)
    }

    /// Each column this row has a field for, with its value, in header order (key first). Fields a short
    /// row lacks are left out; fields beyond the header are in [`Record::extra`].
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &'a str)> + use<'a> {
        let columns = self.database().columns();
        columns
            .iter()
            .zip(self.values())
            .filter_map(|(column, value)| Some((column.as_str(), value?)))
    }
}

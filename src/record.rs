//! An owned copy of one record, for returning from the manager and printing as JSON.

use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Serialize, Serializer};

use crate::catalog::Record;

/// One record with its database's column names: what `get` prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordData {
    /// The database it belongs to.
    pub database: String,
    /// Its key.
    pub key: String,
    /// Position among the database's records.
    pub index: usize,
    /// Its version, when the database has a version column.
    pub version: Option<String>,
    /// Column name and value; `None` where a short row lacks the field.
    pub values: Vec<(String, Option<String>)>,
    /// Fields beyond the header's columns.
    pub extra: Vec<String>,
}

impl From<Record<'_>> for RecordData {
    fn from(record: Record<'_>) -> Self {
        let db = record.database();
        RecordData {
            database: db.name().to_string(),
            key: record.key().to_string(),
            index: record.index(),
            version: record.version().map(str::to_string),
            values: db
                .columns()
                .iter()
                .zip(record.values())
                .map(|(c, v)| (c.clone(), v.map(str::to_string)))
                .collect(),
            extra: record.extra().map(str::to_string).collect(),
        }
    }
}

impl Serialize for RecordData {
    /// `values` is an object in column order; a missing field is `null`, an empty one `""`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("RecordData", 6)?;
        s.serialize_field("database", &self.database)?;
        s.serialize_field("key", &self.key)?;
        s.serialize_field("index", &self.index)?;
        s.serialize_field("version", &self.version)?;
        s.serialize_field("values", &OrderedValues(&self.values))?;
        s.serialize_field("extra", &self.extra)?;
        s.end()
    }
}

struct OrderedValues<'a>(&'a [(String, Option<String>)]);

impl Serialize for OrderedValues<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (column, value) in self.0 {
            map.serialize_entry(column, value)?;
        }
        map.end()
    }
}

//! Records as an application's own types (serde): columns map to struct fields by header name.
//!
//! The rules follow the `csv` crate's, so they are the ones Rust users already know: a field's text is
//! parsed into the field's type (numbers, `bool`, `char`, unit enum variants by name); an `Option` field is
//! `None` when the row lacks the field (a short row), when the field is empty, or when the header has no
//! such column; any other field of a short row is an error. Versioned databases also offer `version`.
//! Strings can borrow from the database (`&str` fields), as nothing is copied.

use std::fmt;

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::forward_to_deserialize_any;

use super::index::{Database, Record};

/// Why a record could not become the asked-for type; names the database, the record's key and the column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{database} record {key:?}{}: {message}", column_words(.column))]
pub struct DeserializeError {
    /// The database the record belongs to.
    pub database: String,
    /// The record's key.
    pub key: String,
    /// The column whose field failed, when one did.
    pub column: Option<String>,
    /// What serde said.
    pub message: String,
}

fn column_words(column: &Option<String>) -> String {
    column
        .as_ref()
        .map(|c| format!(", column {c:?}"))
        .unwrap_or_default()
}

impl Database {
    /// Every record as a `T`, in record order.
    ///
    /// ```
    /// # use backstore::cache::{ArchiveSource, CacheManager, ManagerOptions};
    /// #[derive(serde::Deserialize)]
    /// struct Colour { colour: String, hex: String, description: Option<String> }
    ///
    /// # let manager = CacheManager::new(ManagerOptions { source: ArchiveSource::demo(), data_dir: None, limits: Default::default() });
    /// # let loaded = manager.load_or_build()?;
    /// let colours = loaded.catalog.get("colours").unwrap();
    /// let all: Vec<Colour> = colours.deserialize::<Colour>().collect::<Result<_, _>>()?;
    /// assert!(all.iter().any(|c| c.colour == "Teal" && c.hex == "#008080"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn deserialize<'a, T: de::Deserialize<'a>>(
        &'a self,
    ) -> impl ExactSizeIterator<Item = Result<T, DeserializeError>> + 'a {
        self.records().map(|record| record.deserialize())
    }
}

impl<'a> Record<'a> {
    /// This record as a `T`: see [`Database::deserialize`].
    pub fn deserialize<T: de::Deserialize<'a>>(&self) -> Result<T, DeserializeError> {
        T::deserialize(RecordDeserializer { record: *self }).map_err(|e| DeserializeError {
            database: self.database().name().to_string(),
            key: self.key().to_string(),
            column: e.column,
            message: e.message,
        })
    }
}

/// serde's error inside one record; the record adds its database and key.
#[derive(Debug)]
struct FieldError {
    column: Option<String>,
    message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FieldError {}

impl de::Error for FieldError {
    fn custom<M: fmt::Display>(message: M) -> Self {
        FieldError {
            column: None,
            message: message.to_string(),
        }
    }
}

/// A whole record: a map of column name to field, or a sequence of its fields.
struct RecordDeserializer<'a> {
    record: Record<'a>,
}

impl<'de> Deserializer<'de> for RecordDeserializer<'de> {
    type Error = FieldError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        visitor.visit_map(Columns::new(self.record))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        visitor.visit_seq(Fields {
            fields: self.record.fields().collect::<Vec<_>>().into_iter(),
        })
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, FieldError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, FieldError> {
        self.deserialize_seq(visitor)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
        unit unit_struct newtype_struct map struct enum identifier ignored_any
    }
}

/// The record's columns as map entries: `version` first for versioned databases, then each column once
/// (the first of repeated header names), with the row's field or its absence.
struct Columns<'a> {
    record: Record<'a>,
    version: Option<&'a str>,
    next: usize,
    current: Option<(&'a str, Option<&'a str>)>,
}

impl<'a> Columns<'a> {
    fn new(record: Record<'a>) -> Self {
        Columns {
            record,
            version: record.version(),
            next: 0,
            current: None,
        }
    }
}

impl<'de> MapAccess<'de> for Columns<'de> {
    type Error = FieldError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, FieldError> {
        let columns = self.record.database().columns();
        let entry = if let Some(version) = self.version.take() {
            Some(("version", Some(version)))
        } else {
            loop {
                let Some(column) = columns.get(self.next) else {
                    break None;
                };
                let at = self.next;
                self.next += 1;
                if columns[..at].contains(column) {
                    continue;
                }
                break Some((column.as_str(), self.record.value(at)));
            }
        };
        let Some((column, value)) = entry else {
            return Ok(None);
        };
        self.current = Some((column, value));
        seed.deserialize(BorrowedStrDeserializer::new(column))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, FieldError> {
        let (column, value) = self
            .current
            .take()
            .ok_or_else(|| de::Error::custom("a value was asked for before its column"))?;
        seed.deserialize(Field { value }).map_err(|mut e| {
            e.column.get_or_insert_with(|| column.to_string());
            e
        })
    }
}

/// Every field of a row in order, for tuples.
struct Fields<'a> {
    fields: std::vec::IntoIter<&'a str>,
}

impl<'de> SeqAccess<'de> for Fields<'de> {
    type Error = FieldError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, FieldError> {
        match self.fields.next() {
            Some(value) => seed.deserialize(Field { value: Some(value) }).map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.fields.len())
    }
}

/// One field's text, or its absence in a short row.
struct Field<'a> {
    value: Option<&'a str>,
}

impl<'a> Field<'a> {
    fn text(&self) -> Result<&'a str, FieldError> {
        self.value
            .ok_or_else(|| de::Error::custom("the row is too short to have this field"))
    }

    fn parse<T: std::str::FromStr>(&self, what: &str) -> Result<T, FieldError>
    where
        T::Err: fmt::Display,
    {
        let text = self.text()?;
        text.parse()
            .map_err(|e| de::Error::custom(format!("cannot read {text:?} as {what}: {e}")))
    }
}

macro_rules! parsed {
    ($($method:ident $visit:ident $ty:ty),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
            visitor.$visit(self.parse::<$ty>(stringify!($ty))?)
        }
    )*};
}

impl<'de> Deserializer<'de> for Field<'de> {
    type Error = FieldError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        visitor.visit_borrowed_str(self.text()?)
    }

    parsed! {
        deserialize_bool visit_bool bool,
        deserialize_i8 visit_i8 i8,
        deserialize_i16 visit_i16 i16,
        deserialize_i32 visit_i32 i32,
        deserialize_i64 visit_i64 i64,
        deserialize_i128 visit_i128 i128,
        deserialize_u8 visit_u8 u8,
        deserialize_u16 visit_u16 u16,
        deserialize_u32 visit_u32 u32,
        deserialize_u64 visit_u64 u64,
        deserialize_u128 visit_u128 u128,
        deserialize_f32 visit_f32 f32,
        deserialize_f64 visit_f64 f64,
        deserialize_char visit_char char,
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        match self.value {
            None | Some("") => visitor.visit_none(),
            Some(_) => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        match self.text()? {
            "" => visitor.visit_unit(),
            text => Err(de::Error::custom(format!(
                "expected an empty field, found {text:?}"
            ))),
        }
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        visitor.visit_borrowed_bytes(self.text()?.as_bytes())
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, FieldError> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, FieldError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, FieldError> {
        BorrowedStrDeserializer::<FieldError>::new(self.text()?)
            .deserialize_enum(name, variants, visitor)
    }

    forward_to_deserialize_any! {
        str string unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

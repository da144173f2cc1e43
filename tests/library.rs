//! The library as an application uses it: fields by column name and records as its own serde types.

mod common;

use common::build_csv;
use serde::Deserialize;

const PRICES: &str = "\
item,price,stock,kind,note
apple,1.25,10,fruit,crisp
pear,0.5,,fruit
kale,2,3,leaf,\"curly, green\"
melon,x,1,fruit,
";

#[test]
fn get_reads_a_field_by_column_name() {
    let catalog = build_csv(&[("prices", PRICES)]);
    let db = catalog.get("prices").unwrap();
    let kale = db.lookup("kale").unwrap();
    assert_eq!(kale.get("item"), Some("kale"));
    assert_eq!(kale.get("note"), Some("curly, green"));
    assert_eq!(kale.get("nope"), None);
    let pear = db.lookup("pear").unwrap();
    assert_eq!(pear.get("stock"), Some(""), "an empty field is empty");
    assert_eq!(pear.get("note"), None, "a short row lacks the field");
    assert_eq!(db.column_index("price"), Some(1));
}

#[test]
fn iter_pairs_columns_with_the_fields_a_row_has() {
    let catalog = build_csv(&[("prices", PRICES)]);
    let pear = catalog.get("prices").unwrap().lookup("pear").unwrap();
    let pairs: Vec<(&str, &str)> = pear.iter().collect();
    assert_eq!(
        pairs,
        [
            ("item", "pear"),
            ("price", "0.5"),
            ("stock", ""),
            ("kind", "fruit")
        ]
    );
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Kind {
    Fruit,
    Leaf,
}

#[derive(Debug, PartialEq, Deserialize)]
#[allow(clippy::struct_field_names)] // the CSV's own column names
struct Price<'a> {
    item: &'a str,
    price: f64,
    stock: Option<u32>,
    kind: Kind,
    note: Option<String>,
    /// Not a column: `None`.
    origin: Option<String>,
}

#[test]
fn deserialize_maps_columns_to_fields_by_name_and_parses_them() {
    let catalog = build_csv(&[("prices", PRICES)]);
    let db = catalog.get("prices").unwrap();
    let rows: Vec<Result<Price, _>> = db.deserialize().collect();
    assert_eq!(rows.len(), 4);
    assert_eq!(
        rows[0].as_ref().unwrap(),
        &Price {
            item: "apple",
            price: 1.25,
            stock: Some(10),
            kind: Kind::Fruit,
            note: Some("crisp".into()),
            origin: None
        }
    );
    let pear = rows[1].as_ref().unwrap();
    assert_eq!(
        (pear.stock, &pear.note),
        (None, &None),
        "empty and missing are None"
    );
    assert_eq!(rows[2].as_ref().unwrap().kind, Kind::Leaf);
    let error = rows[3].as_ref().unwrap_err();
    assert_eq!(error.database, "prices");
    assert_eq!(error.key, "melon");
    assert_eq!(error.column.as_deref(), Some("price"));
    let message = error.to_string();
    assert!(
        message.starts_with("prices record \"melon\", column \"price\": cannot read \"x\" as f64"),
        "{message}"
    );
}

#[test]
fn a_short_row_is_an_error_for_a_field_that_is_not_optional() {
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Strict {
        item: String,
        note: String,
    }
    let catalog = build_csv(&[("prices", PRICES)]);
    let db = catalog.get("prices").unwrap();
    let error = db
        .lookup("pear")
        .unwrap()
        .deserialize::<Strict>()
        .unwrap_err();
    assert_eq!(error.column.as_deref(), Some("note"));
    assert!(error.to_string().contains("too short"), "{error}");
    assert!(db.lookup("kale").unwrap().deserialize::<Strict>().is_ok());
}

#[test]
fn a_column_the_header_lacks_is_an_error_for_a_field_that_is_not_optional() {
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Wrong {
        item: String,
        colour: String,
    }
    let catalog = build_csv(&[("prices", PRICES)]);
    let error = catalog.get("prices").unwrap().lookup("apple").unwrap();
    let error = error.deserialize::<Wrong>().unwrap_err();
    assert_eq!(error.key, "apple");
    assert!(
        error.to_string().contains("missing field `colour`"),
        "{error}"
    );
}

#[test]
fn versioned_databases_offer_their_rows_version() {
    #[derive(Debug, Deserialize, PartialEq)]
    struct Word {
        version: String,
        word: String,
    }
    let catalog = build_csv(&[("words", "version,word\nv2,hello\nv3,bye\n")]);
    let words: Vec<Word> = catalog
        .get("words")
        .unwrap()
        .deserialize()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        words[1],
        Word {
            version: "v3".into(),
            word: "bye".into()
        }
    );
}

#[test]
fn tuples_take_the_fields_in_order_extras_included() {
    let catalog = build_csv(&[("t", "a,b\n1,2,3\n")]);
    let record = catalog.get("t").unwrap().lookup("1").unwrap();
    let fields: (u8, u8, u8) = record.deserialize().unwrap();
    assert_eq!(fields, (1, 2, 3));
}

#[test]
fn repeated_header_names_map_to_their_first_column() {
    #[derive(Debug, Deserialize)]
    struct Twice {
        a: String,
    }
    let catalog = build_csv(&[("t", "k,a,a\nx,first,second\n")]);
    let record = catalog.get("t").unwrap().lookup("x").unwrap();
    assert_eq!(record.get("a"), Some("first"));
    assert_eq!(record.deserialize::<Twice>().unwrap().a, "first");
}

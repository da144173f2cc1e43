//! Small catalogs made from tables in memory, through the real archive reader and CSV parser.

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;

use crate::catalog::{self, Catalog, Limits};

/// One database: its name, its header and its rows (rows may be shorter or longer than the header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// The table as RFC 4180 CSV (the `csv` crate's writer, every field quoted when it needs to be).
    pub fn csv(&self) -> Vec<u8> {
        let mut writer = csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(Vec::new());
        writer
            .write_record(&self.header)
            .expect("writing CSV to memory");
        for row in &self.rows {
            writer.write_record(row).expect("writing CSV to memory");
        }
        writer.into_inner().expect("writing CSV to memory")
    }
}

/// A `.tar.gz` holding each table as `databases/<name>.csv`.
pub fn archive(tables: &[Table]) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for table in tables {
        let csv = table.csv();
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_mode(0o644);
        header.set_size(csv.len() as u64);
        tar.append_data(
            &mut header,
            format!("databases/{}.csv", table.name),
            csv.as_slice(),
        )
        .expect("writing a tar to memory");
    }
    let tar = tar.into_inner().expect("writing a tar to memory");
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    gz.write_all(&tar).expect("gzip to memory");
    gz.finish().expect("gzip to memory")
}

/// The catalog of these tables, built as an archive would be.
pub fn catalog(tables: &[Table]) -> Catalog {
    catalog::build(&archive(tables), &Limits::default())
        .expect("an archive of tables is valid")
        .0
}

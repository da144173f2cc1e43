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

/// A copy of a `.tar.gz` whose `<name>.csv` had its rows (header excluded) edited; other entries are
/// copied as they are.
pub fn edit_database(
    archive: &[u8],
    name: &str,
    edit: impl FnOnce(&mut Vec<Vec<String>>),
) -> Vec<u8> {
    use std::io::Read;
    let mut tar_bytes = Vec::new();
    flate2::read::GzDecoder::new(archive)
        .read_to_end(&mut tar_bytes)
        .expect("a gzip archive");
    let mut reader = tar::Archive::new(tar_bytes.as_slice());
    let mut out = tar::Builder::new(Vec::new());
    let mut edit = Some(edit);
    for entry in reader.entries().expect("a tar archive") {
        let mut entry = entry.expect("a tar entry");
        let path = entry.path().expect("a path").to_string_lossy().into_owned();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).expect("an entry's bytes");
        let mut header = entry.header().clone();
        if path.ends_with(&format!("{name}.csv"))
            && let Some(edit) = edit.take()
        {
            let mut csv = csv::ReaderBuilder::new()
                .flexible(true)
                .has_headers(false)
                .from_reader(data.as_slice());
            let mut rows: Vec<Vec<String>> = csv
                .records()
                .map(|r| r.expect("CSV").iter().map(str::to_string).collect())
                .collect();
            let head = rows.remove(0);
            edit(&mut rows);
            data = Table {
                name: name.to_string(),
                header: head,
                rows,
            }
            .csv();
            header.set_size(data.len() as u64);
            header.set_cksum();
        }
        out.append_data(&mut header, &path, data.as_slice())
            .expect("writing a tar to memory");
    }
    let tar = out.into_inner().expect("writing a tar to memory");
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    gz.write_all(&tar).expect("gzip to memory");
    gz.finish().expect("gzip to memory")
}

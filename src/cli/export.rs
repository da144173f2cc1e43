//! `backstore export`: every record of one database or of all, in record order, as JSON lines (one
//! `get --json` object a line) or as CSV that reads back as the same records.
//!
//! CSV is re-quoted by the `csv` crate's writer. What the store reads back is what it holds: the header
//! (with `version` in front for a versioned database), then each record's version and fields as stored, a
//! short row short and a long one long. Rows without a key are not records and are not written.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::ValueEnum;

use super::commands::known_database;
use super::text;
use crate::cache::CacheManager;
use crate::catalog::{Catalog, Database};
use crate::record::RecordData;
use crate::units::thousands;

/// What `export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One JSON object a line, as `get --json` prints a record (its database included).
    Jsonl,
    /// The database's header and rows, quoted where needed.
    Csv,
}

impl Format {
    fn extension(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
        }
    }
}

/// What `export` was asked.
pub struct ExportArgs<'a> {
    pub database: Option<&'a str>,
    pub format: Format,
    pub out: Option<&'a Path>,
    pub force: bool,
}

/// The byte-order mark a reader strips from the start of a file.
const BOM: &str = "\u{feff}";

pub fn export(manager: &CacheManager, args: &ExportArgs, out: &mut impl Write) -> Result<ExitCode> {
    let catalog = manager.load_or_build()?.catalog;
    let databases: Vec<&Database> = match args.database {
        Some(name) => vec![&catalog.databases()[known_database(&catalog, name)?]],
        None => catalog.databases().iter().collect(),
    };
    match args.out {
        Some(dir) => to_files(&databases, args, dir, out)?,
        None if args.format == Format::Csv && args.database.is_none() => bail!(
            "CSV of every database needs --out DIR (one file per database), or name one database"
        ),
        None => {
            let mut out = BufWriter::with_capacity(1 << 16, out);
            for db in &databases {
                write(db, args.format, &mut out)?;
            }
            out.flush()?;
        }
    }
    if args.database.is_none() {
        not_exported(&catalog)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Exporting everything leaves out the databases that could not be loaded: that is an error, once the
/// others are written.
fn not_exported(catalog: &Catalog) -> Result<()> {
    let failed = catalog.failed();
    if failed.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = failed.iter().map(|f| text::echo(&f.name)).collect();
    bail!(
        "{} database(s) could not be loaded and were not exported: {} (see `backstore list`)",
        failed.len(),
        names.join(", ")
    )
}

/// One `<name>.<format>` file per database in `dir`; none is written if one exists, unless `force`.
fn to_files(
    databases: &[&Database],
    args: &ExportArgs,
    dir: &Path,
    out: &mut impl Write,
) -> Result<()> {
    let mut targets = Vec::with_capacity(databases.len());
    for db in databases {
        let name = db.name();
        if name.is_empty() || name.contains(['/', '\\']) {
            bail!(
                "database {} has no name usable as a file name",
                text::echo(name)
            );
        }
        let path = dir.join(format!("{name}.{}", args.format.extension()));
        if !args.force && path.symlink_metadata().is_ok() {
            bail!(
                "{} already exists (--force overwrites it)",
                text::path(&path)
            );
        }
        targets.push(path);
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", text::path(dir)))?;
    for (db, path) in databases.iter().zip(&targets) {
        write_file(db, args, path).with_context(|| format!("writing {}", text::path(path)))?;
        writeln!(
            out,
            "wrote {} ({} records)",
            text::path(path),
            thousands(db.len())
        )?;
    }
    Ok(())
}

fn write_file(db: &Database, args: &ExportArgs, path: &Path) -> Result<()> {
    let file = if args.force {
        File::create(path)?
    } else {
        // Refuses a file that appeared since the check above.
        File::create_new(path)?
    };
    let mut file = BufWriter::with_capacity(1 << 16, file);
    write(db, args.format, &mut file)?;
    file.into_inner()
        .map_err(io::IntoInnerError::into_error)?
        .sync_all()?;
    Ok(())
}

fn write(db: &Database, format: Format, out: &mut impl Write) -> Result<()> {
    match format {
        Format::Jsonl => jsonl(db, out),
        Format::Csv => csv(db, out),
    }
}

fn jsonl(db: &Database, out: &mut impl Write) -> Result<()> {
    // Each line is made in memory and then written, so a closed pipe surfaces as the io::Error it is.
    let mut line = Vec::new();
    for record in db.records() {
        line.clear();
        serde_json::to_writer(&mut line, &RecordData::from(record))?;
        line.push(b'\n');
        out.write_all(&line)?;
    }
    Ok(())
}

fn csv(db: &Database, out: &mut impl Write) -> Result<()> {
    let versioned = db.meta().versioned;
    let mut header: Vec<&str> = Vec::with_capacity(db.columns().len() + 1);
    if versioned {
        header.push("version");
    }
    header.extend(db.columns().iter().map(String::as_str));
    if header.is_empty() {
        return Ok(());
    }
    // A reader strips one byte-order mark: a header that starts with one keeps it behind another.
    if header[0].starts_with(BOM) {
        out.write_all(BOM.as_bytes())?;
    }
    let mut writer = ::csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(&mut *out);
    writer.write_record(&header).map_err(unwrapped)?;
    let mut first = true;
    let mut row: Vec<&str> = Vec::with_capacity(header.len());
    for record in db.records() {
        row.clear();
        if versioned {
            let version = record.version().unwrap_or("");
            // The database's version is its first row's, and that row may have had no key: a keyless row
            // in front (not a record) carries it.
            if first && db.version().is_some_and(|v| v != version) {
                writer
                    .write_record([db.version().unwrap_or(""), ""])
                    .map_err(unwrapped)?;
            }
            row.push(version);
        }
        first = false;
        row.extend(record.fields());
        writer.write_record(&row).map_err(unwrapped)?;
    }
    if first
        && versioned
        && let Some(version) = db.version()
    {
        // No records at all, but a version from a keyless row.
        writer.write_record([version, ""]).map_err(unwrapped)?;
    }
    writer.flush()?;
    Ok(())
}

/// The `io::Error` inside a CSV writer's error, so that a closed pipe is seen as one (writing never fails
/// otherwise: the records are strings already).
fn unwrapped(error: ::csv::Error) -> anyhow::Error {
    match error.into_kind() {
        ::csv::ErrorKind::Io(error) => error.into(),
        kind => anyhow::anyhow!("writing CSV: {kind:?}"),
    }
}

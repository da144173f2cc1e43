//! Plain-text output of the headless subcommands: aligned, grouped numbers, units chosen for people.

use std::borrow::Cow;
use std::io::{self, Write};
use std::time::SystemTime;

use serde_json::{Value, json};

use crate::cache::report::{age, rfc3339};
use crate::cache::{CacheStatus, Depth, LoadReport};
use crate::catalog::Catalog;
use crate::hex;
use crate::record::RecordData;
use crate::timing;

use super::text::{self, pad_left, pad_right, show};
pub use crate::units::{bytes, thousands as grouped};

pub fn status(status: &CacheStatus, out: &mut impl Write) -> io::Result<()> {
    let now = SystemTime::now();
    writeln!(
        out,
        "cache:    {} ({})",
        status.state.verdict(),
        show(&status.reason)
    )?;
    writeln!(out, "version:  {}", status.version)?;
    match &status.data_dir {
        Some(dir) => writeln!(out, "data dir: {}", text::path(dir))?,
        None => writeln!(out, "data dir: none")?,
    }
    writeln!(
        out,
        "archive:  {} ({}), sha256 {}",
        show(&status.archive.source),
        bytes(status.archive.bytes),
        hex::encode(&status.archive.sha256)
    )?;
    let cache = &status.cache;
    match &cache.path {
        Some(path) => writeln!(out, "file:     {}", text::path(path))?,
        None => writeln!(out, "file:     none")?,
    }
    if let Some(size) = cache.bytes {
        writeln!(out, "size:     {}", bytes(size))?;
    }
    if let Some(built) = cache.built_at {
        writeln!(out, "built:    {} ({})", rfc3339(built), age(built, now))?;
    }
    if let Some(sha) = &cache.source_sha256 {
        writeln!(out, "built from sha256 {}", hex::encode(sha))?;
    }
    if let Some(format) = cache.format_version {
        writeln!(out, "format:   {format}")?;
    }
    for change in &status.changed {
        writeln!(
            out,
            "changed:  {} {}",
            show(&change.database),
            change.change.word()
        )?;
    }
    for other in &status.other_cache_files {
        let when = other.modified.map(|m| age(m, now)).unwrap_or_default();
        writeln!(
            out,
            "other:    {} ({}, {when})",
            text::path(&other.path),
            bytes(other.bytes)
        )?;
    }
    for temp in &status.temp_files {
        let what = if temp.in_use {
            "being written"
        } else {
            "left by a killed writer; the next write removes it"
        };
        writeln!(
            out,
            "temp:     {} ({}, {what})",
            text::path(&temp.path),
            bytes(temp.bytes)
        )?;
    }
    if status.check == Depth::Quick {
        writeln!(out, "check:    header and size only (--quick)")?;
    }
    Ok(())
}

pub fn load_report(report: &LoadReport, out: &mut impl Write) -> io::Result<()> {
    let how = report.outcome.summary();
    writeln!(
        out,
        "{how} in {}: {} databases, {} records",
        timing::duration(report.total),
        report.databases,
        grouped(report.records)
    )?;
    writeln!(out, "why:      {}", show(&report.reason))?;
    let phases: Vec<String> = report
        .timings
        .0
        .iter()
        .map(|(p, t)| format!("{} {}", p.name(), timing::duration(*t)))
        .collect();
    writeln!(out, "phases:   {}", phases.join(" · "))?;
    match &report.data_dir {
        Some(dir) => writeln!(out, "data dir: {}", text::path(dir))?,
        None => writeln!(out, "data dir: none")?,
    }
    if let Some(path) = &report.cache_path {
        writeln!(out, "cache:    {}", text::path(path))?;
    }
    if report.failed_databases > 0 {
        writeln!(
            out,
            "warning:  {} database(s) could not be loaded; see `backstore list`",
            report.failed_databases
        )?;
    }
    Ok(())
}

/// `{"databases": [...], "skipped": [...]}`: every database (loaded or failed, by name), then every archive
/// entry that is not a database, in archive order, with its reason as a stable word and in words.
pub fn list_json(catalog: &Catalog) -> Value {
    let skipped: Vec<Value> = catalog
        .skipped()
        .iter()
        .map(|entry| {
            json!({
                "path": entry.path,
                "reason": entry.reason,
                "description": entry.reason.describe(),
            })
        })
        .collect();
    json!({ "databases": databases_json(catalog), "skipped": skipped })
}

fn databases_json(catalog: &Catalog) -> Value {
    let mut rows: Vec<(String, Value)> = catalog
        .databases()
        .iter()
        .map(|db| {
            let w = db.warnings();
            let value = json!({
                "name": db.name(),
                "version": db.version(),
                "columns": db.columns(),
                "records": db.len(),
                "distinct_keys": db.distinct_keys(),
                "duplicate_keys": w.duplicate_rows,
                "duplicates": w.duplicates,
                "ragged_rows": w.ragged_rows,
                "ragged_lines": w.ragged_lines,
                "empty_key_rows": w.empty_key_rows,
                "empty_key_lines": w.empty_key_lines,
                "error": null,
            });
            (db.name().to_string(), value)
        })
        .collect();
    rows.extend(catalog.failed().iter().map(|f| {
        let value = json!({
            "name": f.name, "version": null, "columns": [], "records": 0, "distinct_keys": 0,
            "duplicate_keys": 0, "duplicates": [], "ragged_rows": 0, "ragged_lines": [],
            "empty_key_rows": 0, "empty_key_lines": [], "error": f.error.to_string(),
        });
        (f.name.clone(), value)
    }));
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    Value::Array(rows.into_iter().map(|(_, v)| v).collect())
}

pub fn list(catalog: &Catalog, out: &mut impl Write) -> io::Result<()> {
    const HEADER: [&str; 8] = [
        "database", "version", "records", "keys", "dup", "ragged", "no key", "columns",
    ];
    let columns = |names: &[String]| {
        let shown: Vec<Cow<str>> = names.iter().map(|c| show(c)).collect();
        shown.join(", ")
    };
    let mut rows: Vec<[String; 8]> = catalog
        .databases()
        .iter()
        .map(|db| {
            let w = db.warnings();
            [
                show(db.name()).into_owned(),
                show(db.version().unwrap_or("-")).into_owned(),
                grouped(db.len()),
                grouped(db.distinct_keys()),
                w.duplicate_rows.to_string(),
                w.ragged_rows.to_string(),
                w.empty_key_rows.to_string(),
                columns(db.columns()),
            ]
        })
        .collect();
    for failed in catalog.failed() {
        let mut row: [String; 8] = Default::default();
        row[0] = show(&failed.name).into_owned();
        row[1] = "ERROR".to_string();
        row[7] = show(&failed.error.to_string()).into_owned();
        rows.push(row);
    }
    rows.sort_by(|a, b| a[0].cmp(&b[0]));
    let widths: Vec<usize> = (0..7)
        .map(|c| text::column_width(rows.iter().map(|r| r[c].as_str()).chain([HEADER[c]])))
        .collect();
    let line = |cells: [&str; 8]| {
        let mut line = String::new();
        for (c, cell) in cells.iter().enumerate() {
            match c {
                7 => line.push_str(cell),
                2..7 => line.push_str(&pad_left(cell, widths[c])),
                _ => line.push_str(&pad_right(cell, widths[c])),
            }
            if c < 7 {
                line.push_str("  ");
            }
        }
        line.trim_end().to_string()
    };
    writeln!(out, "{}", line(HEADER))?;
    for row in &rows {
        writeln!(out, "{}", line(row.each_ref().map(String::as_str)))?;
    }
    writeln!(
        out,
        "\n{} databases, {} records",
        catalog.databases().len(),
        grouped(catalog.records())
    )?;
    skipped(catalog, out)
}

/// Skipped entries listed in text; the rest are counted.
const SKIPPED_SHOWN: usize = 20;

/// The archive entries that are not databases, each with its reason.
fn skipped(catalog: &Catalog, out: &mut impl Write) -> io::Result<()> {
    let skipped = catalog.skipped();
    if skipped.is_empty() {
        return Ok(());
    }
    let s = if skipped.len() == 1 { "y" } else { "ies" };
    writeln!(out, "{} archive entr{s} skipped:", grouped(skipped.len()))?;
    for entry in skipped.iter().take(SKIPPED_SHOWN) {
        writeln!(
            out,
            "  {}  ({})",
            show(&entry.path),
            entry.reason.describe()
        )?;
    }
    if skipped.len() > SKIPPED_SHOWN {
        writeln!(
            out,
            "  … and {} more (--json lists them all)",
            grouped(skipped.len() - SKIPPED_SHOWN)
        )?;
    }
    Ok(())
}

pub fn record(record: &RecordData, out: &mut impl Write) -> io::Result<()> {
    let columns: Vec<Cow<str>> = record.values.iter().map(|(c, _)| show(c)).collect();
    let width = text::column_width(columns.iter().map(std::convert::AsRef::as_ref));
    writeln!(
        out,
        "{} #{} (key {}{})",
        show(&record.database),
        record.index,
        text::quoted(&record.key),
        record
            .version
            .as_deref()
            .map(|v| format!(", version {}", show(v)))
            .unwrap_or_default()
    )?;
    for (column, (_, value)) in columns.iter().zip(&record.values) {
        let shown = value.as_deref().map_or(Cow::Borrowed("(missing)"), show);
        writeln!(out, "  {}  {shown}", pad_right(column, width))?;
    }
    for (i, extra) in record.extra.iter().enumerate() {
        let name = format!("+{}", i + 1);
        writeln!(out, "  {}  {}", pad_right(&name, width), show(extra))?;
    }
    Ok(())
}

//! Plain-text output of the headless subcommands: aligned, grouped numbers, units chosen for people.

use std::io::{self, Write};
use std::time::SystemTime;

use serde_json::{Value, json};

use crate::cache::report::{age, rfc3339};
use crate::cache::{CacheStatus, Depth, LoadReport};
use crate::catalog::Catalog;
use crate::hex;
use crate::record::RecordData;
use crate::timing;
pub use crate::units::{bytes, thousands as grouped};

pub fn status(status: &CacheStatus, out: &mut impl Write) -> io::Result<()> {
    let now = SystemTime::now();
    writeln!(
        out,
        "cache:    {} ({})",
        status.state.verdict(),
        status.reason
    )?;
    writeln!(out, "version:  {}", status.version)?;
    match &status.data_dir {
        Some(dir) => writeln!(out, "data dir: {}", dir.display())?,
        None => writeln!(out, "data dir: none")?,
    }
    writeln!(
        out,
        "archive:  {} ({}), sha256 {}",
        status.archive.source,
        bytes(status.archive.bytes),
        hex::encode(&status.archive.sha256)
    )?;
    let cache = &status.cache;
    match &cache.path {
        Some(path) => writeln!(out, "file:     {}", path.display())?,
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
            change.database,
            change.change.word()
        )?;
    }
    for other in &status.other_cache_files {
        let when = other.modified.map(|m| age(m, now)).unwrap_or_default();
        writeln!(
            out,
            "other:    {} ({}, {when})",
            other.path.display(),
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
            temp.path.display(),
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
    writeln!(out, "why:      {}", report.reason)?;
    let phases: Vec<String> = report
        .timings
        .0
        .iter()
        .map(|(p, t)| format!("{} {}", p.name(), timing::duration(*t)))
        .collect();
    writeln!(out, "phases:   {}", phases.join(" · "))?;
    match &report.data_dir {
        Some(dir) => writeln!(out, "data dir: {}", dir.display())?,
        None => writeln!(out, "data dir: none")?,
    }
    if let Some(path) = &report.cache_path {
        writeln!(out, "cache:    {}", path.display())?;
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

pub fn list_json(catalog: &Catalog) -> Value {
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
    let header = [
        "database", "version", "records", "keys", "dup", "ragged", "no key", "columns",
    ];
    let mut rows: Vec<[String; 8]> = catalog
        .databases()
        .iter()
        .map(|db| {
            let w = db.warnings();
            [
                db.name().to_string(),
                db.version().unwrap_or("-").to_string(),
                grouped(db.len()),
                grouped(db.distinct_keys()),
                w.duplicate_rows.to_string(),
                w.ragged_rows.to_string(),
                w.empty_key_rows.to_string(),
                db.columns().join(", "),
            ]
        })
        .collect();
    for failed in catalog.failed() {
        let mut row: [String; 8] = Default::default();
        row[0] = failed.name.clone();
        row[1] = "ERROR".to_string();
        row[7] = failed.error.to_string();
        rows.push(row);
    }
    rows.sort_by(|a, b| a[0].cmp(&b[0]));
    let widths: Vec<usize> = (0..7)
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain([header[c].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: [&str; 8]| {
        let mut text = String::new();
        for (c, cell) in cells.iter().enumerate() {
            if c == 7 {
                text.push_str(cell);
            } else if (2..7).contains(&c) {
                text.push_str(&format!("{cell:>w$}  ", w = widths[c]));
            } else {
                text.push_str(&format!("{cell:<w$}  ", w = widths[c]));
            }
        }
        text.trim_end().to_string()
    };
    writeln!(out, "{}", line(header))?;
    for row in &rows {
        writeln!(out, "{}", line(row.each_ref().map(String::as_str)))?;
    }
    writeln!(
        out,
        "\n{} databases, {} records",
        catalog.databases().len(),
        grouped(catalog.records())
    )?;
    if !catalog.skipped().is_empty() {
        writeln!(out, "{} archive entries skipped", catalog.skipped().len())?;
    }
    Ok(())
}

pub fn record(record: &RecordData, out: &mut impl Write) -> io::Result<()> {
    let width = record
        .values
        .iter()
        .map(|(c, _)| c.chars().count())
        .max()
        .unwrap_or(0);
    writeln!(
        out,
        "{} #{} (key {:?}{})",
        record.database,
        record.index,
        record.key,
        record
            .version
            .as_deref()
            .map(|v| format!(", version {v}"))
            .unwrap_or_default()
    )?;
    for (column, value) in &record.values {
        let shown = value.as_deref().unwrap_or("(missing)");
        writeln!(out, "  {column:<width$}  {shown}")?;
    }
    for (i, extra) in record.extra.iter().enumerate() {
        writeln!(out, "  {:<width$}  {extra}", format!("+{}", i + 1))?;
    }
    Ok(())
}

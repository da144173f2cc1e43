//! `backstore diff`: what changed between the cache file and the archive, record by record. Exit 0
//! when they hold the same data, 1 when they differ; no cache file to compare is an error (exit 2).

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Result, bail};
use serde_json::json;

use crate::cache::CacheManager;
use crate::catalog::diff::{self, DatabaseDiff, DiffKind};
use crate::units::thousands;

use super::text::{self, show};

/// Records listed per database in text output; the rest are counted.
const SHOWN: usize = 20;

pub fn diff(manager: &CacheManager, as_json: bool, out: &mut impl Write) -> Result<ExitCode> {
    let (path, cached, fresh) = manager.cache_file_and_archive()?;
    let Some(cached) = cached else {
        bail!(
            "no cache file {} to compare with the archive (run `backstore load` to build it)",
            text::path(&path)
        );
    };
    let diff = diff::diff(&cached, &fresh);
    if as_json {
        let value = json!({
            "cache": path,
            "archive": manager.options().source.label(),
            "identical": diff.is_empty(),
            "databases": diff.databases,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
    } else {
        writeln!(
            out,
            "cache {} against archive {}",
            text::path(&path),
            show(&manager.options().source.label())
        )?;
        if diff.is_empty() {
            writeln!(out, "identical: every database holds the same records")?;
        }
        for db in &diff.databases {
            database(db, out)?;
        }
    }
    Ok(if diff.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn records(n: usize) -> String {
    format!("{} record{}", thousands(n), if n == 1 { "" } else { "s" })
}

fn database(db: &DatabaseDiff, out: &mut impl Write) -> Result<()> {
    let name = show(&db.name);
    // The kind's word is the library's, as `--json` and the inspector show it.
    let kind = db.change.word();
    match db.change {
        DiffKind::Added => writeln!(out, "{name}: {kind} ({})", records(db.records.new))?,
        DiffKind::Removed => writeln!(out, "{name}: {kind} ({})", records(db.records.old))?,
        DiffKind::Unreadable => {
            let side = |e: &Option<crate::error::DatabaseError>| {
                e.as_ref()
                    .map_or_else(|| "read".into(), |e| show(&e.to_string()).into_owned())
            };
            let errors = db.errors.as_ref();
            writeln!(
                out,
                "{name}: {kind} (cache: {}; archive: {})",
                errors.map(|e| side(&e.old)).unwrap_or_default(),
                errors.map(|e| side(&e.new)).unwrap_or_default()
            )?;
        }
        DiffKind::Modified => {
            writeln!(
                out,
                "{name}: {kind}, {} changed, {} added, {} removed ({} → {})",
                thousands(db.changed.len()),
                thousands(db.added.len()),
                thousands(db.removed.len()),
                records(db.records.old),
                records(db.records.new)
            )?;
            if let Some(v) = &db.version {
                let word = |v: &Option<String>| {
                    v.as_deref()
                        .map_or_else(|| "none".into(), |v| show(v).into_owned())
                };
                writeln!(out, "  version {} → {}", word(&v.old), word(&v.new))?;
            }
            if let Some(c) = &db.columns {
                let names = |names: &[String]| {
                    let shown: Vec<String> = names.iter().map(|n| show(n).into_owned()).collect();
                    shown.join(", ")
                };
                writeln!(out, "  columns {} → {}", names(&c.old), names(&c.new))?;
            }
            modified(db, out)?;
        }
    }
    Ok(())
}

/// Changed records with their fields, then added and removed ones, at most [`SHOWN`] in all.
fn modified(db: &DatabaseDiff, out: &mut impl Write) -> Result<()> {
    let mut budget = SHOWN;
    for record in db.changed.iter().take(budget) {
        writeln!(
            out,
            "  ~ {} (record {} → {})",
            text::short(&record.key, text::MAX_ECHO),
            record.position.old,
            record.position.new
        )?;
        for field in &record.fields {
            writeln!(
                out,
                "      {}: {} → {}",
                show(&field.column),
                quoted(field.old.as_deref()),
                quoted(field.new.as_deref())
            )?;
        }
    }
    budget = budget.saturating_sub(db.changed.len());
    for (mark, list) in [("+", &db.added), ("-", &db.removed)] {
        for record in list.iter().take(budget) {
            writeln!(
                out,
                "  {mark} {} (record {})",
                text::short(&record.key, text::MAX_ECHO),
                record.position
            )?;
        }
        budget = budget.saturating_sub(list.len());
    }
    let total = db.changed.len() + db.added.len() + db.removed.len();
    if total > SHOWN {
        writeln!(
            out,
            "  … and {} more (--json lists them all)",
            thousands(total - SHOWN)
        )?;
    }
    Ok(())
}

/// A value in quotes with control characters escaped, or `(missing)`.
fn quoted(value: Option<&str>) -> String {
    value.map_or_else(|| "(missing)".to_string(), text::quoted)
}

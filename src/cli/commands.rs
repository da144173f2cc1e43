//! One function per headless subcommand, each writing to `impl Write` and returning the exit code.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::{Context, Result, bail};
use serde_json::json;

use super::Global;
use super::closest;
use super::render::{self, grouped};
use super::text::{self, show};
use crate::cache::{CacheManager, CacheState, Depth, Loaded};
use crate::catalog::Catalog;
use crate::record::RecordData;
use crate::timing::{self, LoadKind, SeriesOptions};

const NOT_FRESH: u8 = 1;

pub fn status(
    manager: &CacheManager,
    quick: bool,
    json: bool,
    out: &mut impl Write,
) -> Result<ExitCode> {
    let depth = if quick { Depth::Quick } else { Depth::Full };
    let status = manager.status_with(depth)?;
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&status)?)?;
    } else {
        render::status(&status, out)?;
    }
    Ok(match status.state {
        CacheState::Fresh => ExitCode::SUCCESS,
        _ => ExitCode::from(NOT_FRESH),
    })
}

pub fn load(manager: &CacheManager, json: bool, out: &mut impl Write) -> Result<ExitCode> {
    report(&manager.load_or_build()?, json, out)
}

pub fn rebuild(manager: &CacheManager, json: bool, out: &mut impl Write) -> Result<ExitCode> {
    report(&manager.rebuild()?, json, out)
}

fn report(loaded: &Loaded, json: bool, out: &mut impl Write) -> Result<ExitCode> {
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&loaded.report)?)?;
    } else {
        render::load_report(&loaded.report, out)?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn invalidate(manager: &CacheManager, json: bool, out: &mut impl Write) -> Result<ExitCode> {
    let removed = manager.invalidate()?;
    if json {
        writeln!(out, "{}", json!({ "removed": removed }))?;
    } else if removed.is_empty() {
        writeln!(out, "nothing to remove: no cache files")?;
    } else {
        for path in &removed {
            writeln!(out, "removed {}", text::path(path))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn list(manager: &CacheManager, json: bool, out: &mut impl Write) -> Result<ExitCode> {
    let catalog = manager.load_or_build()?.catalog;
    if json {
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&render::list_json(&catalog))?
        )?;
    } else {
        render::list(&catalog, out)?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn get(
    manager: &CacheManager,
    database: &str,
    key: &str,
    json: bool,
    out: &mut impl Write,
) -> Result<ExitCode> {
    let catalog = manager.load_or_build()?.catalog;
    let db = known_database(&catalog, database)?;
    let Some(record) = catalog.databases()[db].lookup(key) else {
        let close = closest::keys(&catalog.databases()[db], key, 5);
        let mut message = format!(
            "backstore: no key {} in {}",
            text::echo(key),
            show(database)
        );
        if !close.is_empty() {
            let close: Vec<String> = close.iter().map(|k| text::echo(k)).collect();
            message.push_str(&format!("; closest keys: {}", close.join(", ")));
        }
        eprintln!("{message}");
        return Ok(ExitCode::from(NOT_FRESH));
    };
    let record = RecordData::from(record);
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&record)?)?;
    } else {
        render::record(&record, out)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Checks a benchmark's run count, and makes a temporary data dir unless one was named, so that a benchmark
/// never disturbs a real cache.
pub(super) fn bench_data_dir(global: &Global, runs: usize) -> Result<Option<tempfile::TempDir>> {
    if runs == 0 {
        bail!("--runs must be at least 1");
    }
    match &global.data_dir {
        Some(_) => Ok(None),
        None => Ok(Some(
            tempfile::tempdir().context("creating a temporary data dir")?,
        )),
    }
}

pub fn bench(
    global: &Global,
    runs: usize,
    warmup: usize,
    json: bool,
    out: &mut impl Write,
) -> Result<ExitCode> {
    let temp = bench_data_dir(global, runs)?;
    let manager = Arc::new(global.manager(temp.as_ref().map(|t| t.path().to_path_buf())));
    let first = manager.rebuild()?;
    if !matches!(first.report.outcome, crate::cache::Outcome::Built(_)) {
        bail!("cannot time warm loads: {}", show(&first.report.reason));
    }
    let never = AtomicBool::new(false);
    let options = SeriesOptions { runs, warmup };
    let series = timing::run_series(&manager, options, &never, |_, _| {})?;
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&series.to_json())?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let loaded = manager.loaded().unwrap_or(first);
    writeln!(
        out,
        "archive {}: {} databases, {} records; {} cold and {} warm runs after {} warm-up pairs",
        show(&manager.options().source.label()),
        loaded.report.databases,
        grouped(loaded.report.records),
        runs,
        runs,
        warmup
    )?;
    for kind in [LoadKind::Cold, LoadKind::Warm] {
        let name = match kind {
            LoadKind::Cold => "cold (build from the archive and write the cache)",
            LoadKind::Warm => "warm (load from the cache file)",
        };
        writeln!(out, "\n{name}")?;
        if let Some(summary) = series.summary(kind) {
            for line in summary.lines().into_iter().chain(summary.warning()) {
                writeln!(out, "{line}")?;
            }
        }
        let phases: Vec<String> = series
            .phase_medians(kind)
            .iter()
            .map(|(p, t)| format!("{} {}", p.name(), timing::seconds(*t)))
            .collect();
        writeln!(out, "  Phases (median):     {}", phases.join(" · "))?;
    }
    writeln!(out)?;
    let on_disk = !manager.options().source.is_in_memory();
    if let Some(said) = timing::verdicts::verdicts(&series, on_disk) {
        writeln!(out, "{}", said.headline)?;
        if let Some(note) = &said.hash_note {
            writeln!(out, "{note}")?;
        }
        writeln!(out, "{}", said.break_even)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The position of a database by name, or an error listing the known ones.
pub(super) fn known_database(catalog: &Catalog, name: &str) -> Result<usize> {
    if let Some(i) = catalog.databases().iter().position(|d| d.name() == name) {
        return Ok(i);
    }
    if let Some(failed) = catalog.failed().iter().find(|f| f.name == name) {
        bail!(
            "database {} could not be loaded: {}",
            show(name),
            show(&failed.error.to_string())
        );
    }
    let known: Vec<String> = catalog
        .databases()
        .iter()
        .map(|d| text::echo(d.name()))
        .collect();
    bail!(
        "unknown database {} (known: {})",
        text::echo(name),
        known.join(", ")
    )
}

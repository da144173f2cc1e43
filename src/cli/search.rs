//! `backstore search`: find records by substring (default), regex or fuzzy match; exit 1 when none match.

use std::io::Write;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

use anyhow::Result;
use serde_json::json;

use super::commands::known_database;
use super::text::{self, show};
use crate::cache::CacheManager;
use crate::catalog::{Catalog, Database};
use crate::record::RecordData;
use crate::search::{self, Hit, Mode, Query, Scope, SearchError};
use crate::units::thousands;

/// What `search` was asked.
pub struct SearchArgs<'a> {
    pub text: &'a str,
    pub mode: Mode,
    pub database: Option<&'a str>,
    pub limit: usize,
    pub json: bool,
}

/// Characters of the matched field shown around the match in text output.
const EXCERPT: usize = 60;

pub fn search(manager: &CacheManager, args: &SearchArgs, out: &mut impl Write) -> Result<ExitCode> {
    // An invalid regex is an error before anything is loaded.
    let query = Query::new(args.text, args.mode)?;
    let catalog = manager.load_or_build()?.catalog;
    let scope = match args.database {
        Some(name) => Scope::Database(known_database(&catalog, name)?),
        None => Scope::All,
    };
    let never = AtomicBool::new(false);
    let hits = match search::search(&catalog, &query, scope, None, &never) {
        Ok(hits) => hits,
        Err(SearchError::Query(e)) => return Err(e.into()),
        Err(SearchError::Cancelled) => anyhow::bail!("search cancelled"),
    };
    let shown = &hits[..hits.len().min(args.limit)];
    if args.json {
        let rows: Vec<_> = shown.iter().filter_map(|h| hit_json(&catalog, h)).collect();
        writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
    } else {
        for hit in shown {
            let db = &catalog.databases()[hit.database];
            let Some(record) = db.record(hit.record) else {
                continue;
            };
            let value = record.fields().nth(hit.field).unwrap_or("");
            writeln!(
                out,
                "{}:{}  {}  {}: {}",
                show(db.name()),
                hit.record,
                text::short(record.key(), EXCERPT),
                show(&field_name(db, hit.field)),
                excerpt(value, hit)
            )?;
        }
        writeln!(
            out,
            "{} of {} matches ({})",
            thousands(shown.len()),
            thousands(hits.len()),
            query.mode()
        )?;
    }
    Ok(if hits.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// A hit as `get` prints a record, plus its score, the field that matched and the match's byte range.
fn hit_json(catalog: &Catalog, hit: &Hit) -> Option<serde_json::Value> {
    let db = catalog.databases().get(hit.database)?;
    let mut value = serde_json::to_value(RecordData::from(db.record(hit.record)?)).ok()?;
    value["score"] = json!(hit.score);
    value["field"] = json!(field_name(db, hit.field));
    value["match"] = json!({ "start": hit.span.start, "end": hit.span.end });
    Some(value)
}

/// The column a field number names, or `extra N` for the fields past the header.
pub fn field_name(db: &Database, field: usize) -> String {
    match db.columns().get(field) {
        Some(name) => name.clone(),
        None => format!("extra {}", field + 1 - db.columns().len()),
    }
}

/// The matched part of a field with some context, on one line.
fn excerpt(value: &str, hit: &Hit) -> String {
    let span = hit.span.range();
    let before: Vec<char> = value.get(..span.start).unwrap_or("").chars().collect();
    let start = before.len().saturating_sub(EXCERPT / 4);
    let text: String = value.chars().skip(start).take(EXCERPT).collect();
    let cut_end = value.chars().count() > start + EXCERPT;
    format!(
        "{}{}{}",
        if start > 0 { "…" } else { "" },
        show(&text),
        if cut_end { "…" } else { "" }
    )
}

//! Times one search in process, as an application meets it after a warm start: each run loads the cache
//! through a fresh manager (not timed), then runs the query over every database, which includes the
//! first-use validation of each database the search touches, then runs it once more (validated by then).
//!
//! `search_time ARCHIVE DATA_DIR QUERY [substring|regex|fuzzy] [RUNS]` prints the medians; the cache must
//! already be built (`backstore --archive ARCHIVE --data-dir DATA_DIR load`).

use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use backstore::cache::{ArchiveSource, CacheManager, ManagerOptions, Outcome};
use backstore::search::{self, Mode, Query, Scope};

const USAGE: &str = "usage: search_time ARCHIVE DATA_DIR QUERY [substring|regex|fuzzy] [RUNS]";

fn main() -> ExitCode {
    match run(&std::env::args().skip(1).collect::<Vec<_>>()) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("search_time: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<String, String> {
    let [archive, data_dir, text, rest @ ..] = args else {
        return Err(USAGE.to_string());
    };
    let mode = match rest.first().map(String::as_str) {
        None | Some("substring") => Mode::Substring,
        Some("regex") => Mode::Regex,
        Some("fuzzy") => Mode::Fuzzy,
        Some(other) => return Err(format!("unknown mode {other:?}\n{USAGE}")),
    };
    let runs: usize = match rest.get(1) {
        Some(n) => n.parse().map_err(|_| format!("RUNS: not a number: {n}"))?,
        None => 11,
    };
    let query = Query::new(text, mode).map_err(|e| e.to_string())?;
    let never = AtomicBool::new(false);
    let (mut first, mut again, mut hits) = (Vec::new(), Vec::new(), 0);
    for _ in 0..runs.max(1) {
        let manager = CacheManager::new(
            ManagerOptions::default()
                .source(ArchiveSource::Path(archive.into()))
                .data_dir(data_dir),
        );
        let loaded = manager.warm_load().map_err(|e| format!("{e:#}"))?;
        if !matches!(loaded.report.outcome, Outcome::Loaded) {
            return Err(format!("not a warm load: {}", loaded.report.reason));
        }
        let time = |times: &mut Vec<Duration>| {
            let start = Instant::now();
            let found = search::search(&loaded.catalog, &query, Scope::All, None, &never);
            times.push(start.elapsed());
            found.map(|h| h.len()).map_err(|e| e.to_string())
        };
        hits = time(&mut first)?;
        time(&mut again)?;
    }
    Ok(format!(
        "{hits} hits of {text:?} ({mode:?}), median of {} runs: first search after a warm load \
         (validation included) {:.1?}, the same search again {:.1?}",
        first.len(),
        median(&mut first),
        median(&mut again)
    ))
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort_unstable();
    times[times.len() / 2]
}

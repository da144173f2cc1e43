//! `bench --fresh`: what an application's start really costs. Each run is this binary started again as a
//! child (`rebuild --json` cold, `load --json` warm), timed from spawn to exit, beside the in-process time
//! the child reports for the same run; the difference is starting and ending a process.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use super::Global;
use crate::timing::{self, Summary};

/// One child run: wall time from spawn to exit, the time its report gives, its peak memory.
struct Run {
    process: f64,
    in_process: f64,
    max_rss_kib: Option<u64>,
}

#[derive(Clone, Copy)]
enum Kind {
    Cold,
    Warm,
}

impl Kind {
    fn command(self) -> &'static str {
        match self {
            Kind::Cold => "rebuild",
            Kind::Warm => "load",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Kind::Cold => {
                "cold, whole process (`rebuild`: build from the archive and write the cache)"
            }
            Kind::Warm => "warm, whole process (`load` from the cache file)",
        }
    }
}

pub fn bench(
    global: &Global,
    runs: usize,
    warmup: usize,
    json: bool,
    out: &mut impl Write,
) -> Result<ExitCode> {
    let temp = super::commands::bench_data_dir(global, runs)?;
    let data_dir = match (&temp, &global.data_dir) {
        (Some(t), _) => t.path().to_path_buf(),
        (None, Some(d)) => d.clone(),
        (None, None) => unreachable!("a temporary dir is made when none is named"),
    };
    let exe = std::env::current_exe().context("finding this program to run it again")?;
    let args = child_args(global, &data_dir);
    // The first child writes the cache file the warm runs load.
    run(&exe, &args, Kind::Cold)?;
    let (mut cold, mut warm) = (Vec::new(), Vec::new());
    for i in 0..warmup + runs {
        let pair = (run(&exe, &args, Kind::Cold)?, run(&exe, &args, Kind::Warm)?);
        if i >= warmup {
            cold.push(pair.0);
            warm.push(pair.1);
        }
    }
    if json {
        let value = json!({
            "runs": runs,
            "warmup": warmup,
            "cold": series_json(&cold),
            "warm": series_json(&warm),
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&value)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let label = global
        .archive
        .as_ref()
        .map_or("the embedded demo data".to_string(), |p| {
            p.display().to_string()
        });
    writeln!(
        out,
        "archive {label}: {runs} cold and {runs} warm processes, interleaved, after {warmup} warm-up pairs"
    )?;
    for (kind, series) in [(Kind::Cold, &cold), (Kind::Warm, &warm)] {
        writeln!(out, "\n{}", kind.title())?;
        let process = summary(series, |r| r.process);
        let inside = summary(series, |r| r.in_process);
        for line in process.lines().into_iter().chain(process.warning()) {
            writeln!(out, "{line}")?;
        }
        writeln!(
            out,
            "  In process (median): {}   process start and exit: {}",
            timing::seconds(inside.median),
            timing::seconds(process.median - inside.median)
        )?;
        if let Some(rss) = median_rss(series) {
            writeln!(
                out,
                "  Peak memory (median): {:.1} MB",
                rss as f64 * 1024.0 / 1e6
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The global options a child needs to load the same archive into the same data dir.
fn child_args(global: &Global, data_dir: &Path) -> Vec<std::ffi::OsString> {
    let mut args: Vec<std::ffi::OsString> = Vec::new();
    if let Some(archive) = &global.archive {
        args.push("--archive".into());
        args.push(archive.into());
    }
    args.push("--data-dir".into());
    args.push(data_dir.into());
    for (flag, value) in [
        ("--max-entry-mib", global.max_entry_mib),
        ("--max-total-mib", global.max_total_mib),
        ("--max-ratio", global.max_ratio),
        ("--max-records", global.max_records),
        ("--max-fields", global.max_fields),
    ] {
        args.push(flag.into());
        args.push(value.to_string().into());
    }
    args
}

fn run(exe: &PathBuf, args: &[std::ffi::OsString], kind: Kind) -> Result<Run> {
    let start = Instant::now();
    let mut child = Command::new(exe)
        .args(args)
        .args([kind.command(), "--json"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting a child process")?;
    let (mut stdout, mut stderr) = (String::new(), String::new());
    if let Some(mut pipe) = child.stdout.take() {
        pipe.read_to_string(&mut stdout)
            .context("reading a child's output")?;
    }
    if let Some(mut pipe) = child.stderr.take() {
        pipe.read_to_string(&mut stderr)
            .context("reading a child's errors")?;
    }
    let (success, max_rss_kib) = wait(child)?;
    let process = start.elapsed().as_secs_f64();
    if !success {
        bail!("`backstore {}` failed: {}", kind.command(), stderr.trim());
    }
    let report: Value = serde_json::from_str(&stdout)
        .with_context(|| format!("reading the report of `backstore {}`", kind.command()))?;
    let expected = match kind {
        Kind::Cold => "built",
        Kind::Warm => "loaded",
    };
    if report["outcome"] != expected {
        bail!(
            "`backstore {}` was {} rather than {expected}: {}",
            kind.command(),
            report["outcome"],
            report["reason"]
        );
    }
    let in_process = report["total_us"]
        .as_u64()
        .context("a child's report without total_us")? as f64
        / 1e6;
    Ok(Run {
        process,
        in_process,
        max_rss_kib,
    })
}

/// Waits for a child: whether it succeeded, and its peak resident memory where the system says.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn wait(child: Child) -> Result<(bool, Option<u64>)> {
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: waits for our own child, which `Child` never waits for once it is dropped here.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &raw mut status, 0, &raw mut usage) };
    if waited != pid {
        return Err(std::io::Error::last_os_error()).context("waiting for a child process");
    }
    let success = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    Ok((success, Some(usage.ru_maxrss as u64)))
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn wait(mut child: Child) -> Result<(bool, Option<u64>)> {
    let status = child.wait().context("waiting for a child process")?;
    Ok((status.success(), None))
}

fn summary(series: &[Run], time: impl Fn(&Run) -> f64) -> Summary {
    let times: Vec<f64> = series.iter().map(time).collect();
    Summary::of(&times).expect("at least one run")
}

fn median_rss(series: &[Run]) -> Option<u64> {
    let mut rss: Vec<u64> = series.iter().filter_map(|r| r.max_rss_kib).collect();
    if rss.is_empty() {
        return None;
    }
    rss.sort_unstable();
    Some(rss[rss.len() / 2])
}

fn series_json(series: &[Run]) -> Value {
    json!({
        "process_s": summary(series, |r| r.process),
        "in_process_s": summary(series, |r| r.in_process),
        "max_rss_kib_median": median_rss(series),
    })
}

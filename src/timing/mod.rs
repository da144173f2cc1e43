//! Cold/warm series and their statistics, printed as hyperfine does: shared by `bench` and the Timing pane.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::Serialize;
use serde_json::{Value, json};

pub mod verdicts;

use crate::cache::{CacheManager, LoadReport, Phase, PhaseTimings};
use crate::error::Result;

/// Summary statistics of a set of times, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    /// How many times were summarised.
    pub runs: usize,
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (0 for one run).
    pub stddev: f64,
    /// The middle time.
    pub median: f64,
    /// The fastest time.
    pub min: f64,
    /// The slowest time.
    pub max: f64,
    /// Runs whose modified z-score exceeds hyperfine's threshold.
    pub outliers: usize,
}

impl Summary {
    /// The summary of these times; `None` when there are none.
    pub fn of(times: &[f64]) -> Option<Summary> {
        if times.is_empty() {
            return None;
        }
        let n = times.len() as f64;
        let mean = times.iter().sum::<f64>() / n;
        let variance = if times.len() > 1 {
            times.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / (n - 1.0)
        } else {
            0.0
        };
        let median = median(times);
        let deviations: Vec<f64> = times.iter().map(|t| (t - median).abs()).collect();
        let mad = median_of(deviations);
        // Same rule as hyperfine: modified z-score (0.6745 * deviation / MAD) above 14.
        let outliers = if mad > 0.0 {
            times
                .iter()
                .filter(|t| (0.6745 * (*t - median) / mad).abs() > 14.0)
                .count()
        } else {
            0
        };
        Some(Summary {
            runs: times.len(),
            mean,
            stddev: variance.sqrt(),
            median,
            min: times.iter().copied().fold(f64::INFINITY, f64::min),
            max: times.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            outliers,
        })
    }

    /// The hyperfine-style lines: `Time (mean ± σ)`, median, `Range (min … max)` with the run count.
    pub fn lines(&self) -> Vec<String> {
        vec![
            format!(
                "  Time (mean ± σ):     {} ± {}",
                seconds(self.mean),
                seconds(self.stddev)
            ),
            format!("  Median:              {}", seconds(self.median)),
            format!(
                "  Range (min … max):   {} … {}    {} runs",
                seconds(self.min),
                seconds(self.max),
                self.runs
            ),
        ]
    }

    /// The line that follows [`Summary::lines`] when some runs were outliers.
    pub fn warning(&self) -> Option<String> {
        (self.outliers > 0).then(|| {
            format!(
                "  Warning: {} statistical outlier(s) detected; a quieter machine gives steadier figures.",
                self.outliers
            )
        })
    }
}

/// How many times faster `fast` ran than `slow`, with the propagated standard deviation (as hyperfine).
pub fn speedup(fast: &Summary, slow: &Summary) -> (f64, f64) {
    let ratio = slow.mean / fast.mean;
    let relative = ((slow.stddev / slow.mean).powi(2) + (fast.stddev / fast.mean).powi(2)).sqrt();
    (ratio, ratio * relative)
}

fn median(times: &[f64]) -> f64 {
    median_of(times.to_vec())
}

fn median_of(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.is_empty() {
        0.0
    } else if values.len().is_multiple_of(2) {
        f64::midpoint(values[mid - 1], values[mid])
    } else {
        values[mid]
    }
}

/// A duration in seconds with a unit that fits: `1.234 s`, `12.3 ms`, `456.7 µs`, `89 ns`.
pub fn seconds(secs: f64) -> String {
    let abs = secs.abs();
    if abs >= 1.0 {
        format!("{secs:.3} s")
    } else if abs >= 1e-3 {
        format!("{:.1} ms", secs * 1e3)
    } else if abs >= 1e-6 {
        format!("{:.1} µs", secs * 1e6)
    } else {
        format!("{:.0} ns", secs * 1e9)
    }
}

/// A duration in the unit that suits it (`850.0 µs`, `12.3 ms`, `1.250 s`).
pub fn duration(d: Duration) -> String {
    seconds(d.as_secs_f64())
}

/// One timed load.
#[derive(Debug, Clone)]
pub struct Sample {
    /// Wall time of the whole load.
    pub total: Duration,
    /// Wall time of each phase.
    pub phases: PhaseTimings,
}

impl From<&LoadReport> for Sample {
    fn from(report: &LoadReport) -> Self {
        Sample {
            total: report.total,
            phases: report.timings.clone(),
        }
    }
}

/// Which kind of load a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LoadKind {
    /// Built from the archive, the cache written.
    Cold,
    /// Loaded from a fresh cache file.
    Warm,
}

/// Where a series is, for progress gauges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Whether the run is a warm-up, not counted.
    pub warmup: bool,
    /// Cold or warm.
    pub kind: LoadKind,
    /// Runs done so far (warm-ups count) and the total.
    pub done: usize,
    /// See `done`.
    pub total: usize,
}

/// N cold builds and N warm loads, interleaved, after K warm-up pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeriesOptions {
    /// Timed runs of each kind.
    pub runs: usize,
    /// Untimed cold/warm pairs run first.
    pub warmup: usize,
}

impl Default for SeriesOptions {
    fn default() -> Self {
        SeriesOptions {
            runs: 30,
            warmup: 3,
        }
    }
}

/// The timed runs of a series.
#[derive(Debug, Clone, Default)]
pub struct Series {
    /// The cold builds, in run order.
    pub cold: Vec<Sample>,
    /// The warm loads, in run order.
    pub warm: Vec<Sample>,
}

impl Series {
    /// The summary of one kind's total times.
    pub fn summary(&self, kind: LoadKind) -> Option<Summary> {
        let times: Vec<f64> = self
            .samples(kind)
            .iter()
            .map(|s| s.total.as_secs_f64())
            .collect();
        Summary::of(&times)
    }

    /// One kind's runs, in run order.
    pub fn samples(&self, kind: LoadKind) -> &[Sample] {
        match kind {
            LoadKind::Cold => &self.cold,
            LoadKind::Warm => &self.warm,
        }
    }

    /// Median time of each phase over the runs of one kind, in phase order.
    pub fn phase_medians(&self, kind: LoadKind) -> Vec<(Phase, f64)> {
        let phases: &[Phase] = match kind {
            LoadKind::Cold => &Phase::COLD,
            LoadKind::Warm => &Phase::WARM,
        };
        let samples = self.samples(kind);
        phases
            .iter()
            .filter_map(|&phase| {
                let times: Vec<f64> = samples
                    .iter()
                    .filter_map(|s| s.phases.get(phase))
                    .map(|d| d.as_secs_f64())
                    .collect();
                (!times.is_empty()).then(|| (phase, median(&times)))
            })
            .collect()
    }

    /// hyperfine's export shape, times in seconds, plus the per-phase medians.
    pub fn to_json(&self) -> Value {
        let result = |kind: LoadKind, name: &str| {
            let summary = self.summary(kind);
            let times: Vec<f64> = self
                .samples(kind)
                .iter()
                .map(|s| s.total.as_secs_f64())
                .collect();
            json!({
                "command": name,
                "mean": summary.map(|s| s.mean),
                "stddev": summary.map(|s| s.stddev),
                "median": summary.map(|s| s.median),
                "min": summary.map(|s| s.min),
                "max": summary.map(|s| s.max),
                "times": times,
            })
        };
        let phases = |kind: LoadKind| -> Value {
            self.phase_medians(kind)
                .into_iter()
                .map(|(p, t)| (p.name().to_string(), json!(t)))
                .collect::<serde_json::Map<_, _>>()
                .into()
        };
        json!({
            "results": [result(LoadKind::Cold, "cold"), result(LoadKind::Warm, "warm")],
            "phases": { "cold": phases(LoadKind::Cold), "warm": phases(LoadKind::Warm) },
        })
    }
}

/// Runs a series through the manager; `on_run` sees each run as it finishes. Returns what was measured so
/// far when `cancel` is set.
pub fn run_series(
    manager: &CacheManager,
    options: SeriesOptions,
    cancel: &AtomicBool,
    mut on_run: impl FnMut(Progress, &Sample),
) -> Result<Series> {
    let mut series = Series::default();
    let total = 2 * (options.warmup + options.runs);
    let mut done = 0;
    for round in 0..options.warmup + options.runs {
        let warmup = round < options.warmup;
        for kind in [LoadKind::Cold, LoadKind::Warm] {
            if cancel.load(Ordering::Relaxed) {
                return Ok(series);
            }
            let loaded = match kind {
                LoadKind::Cold => manager.rebuild()?,
                LoadKind::Warm => manager.warm_load()?,
            };
            let sample = Sample::from(&loaded.report);
            done += 1;
            on_run(
                Progress {
                    warmup,
                    kind,
                    done,
                    total,
                },
                &sample,
            );
            if !warmup {
                match kind {
                    LoadKind::Cold => series.cold.push(sample),
                    LoadKind::Warm => series.warm.push(sample),
                }
            }
        }
    }
    Ok(series)
}

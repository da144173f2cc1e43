//! The sentences `bench` and the Timing pane say about a series, made so they do not flatter the cache: a warm load here reuses the archive
//! hash this process already computed (a fresh start pays it again), so for an archive on disk the
//! headline counts the hash a cold run measured; and the break-even says what building the cache costs
//! and after how many warm loads it pays back, in whole loads.

use crate::cache::Phase;
use crate::timing::{LoadKind, Series, seconds};

/// What `bench` and the Timing pane say about a series.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdicts {
    /// How much faster a warm start is than a cold one.
    pub headline: String,
    /// How the headline counted the hash, when it matters.
    pub hash_note: Option<String>,
    /// What building the cache costs, and after how many warm loads it pays back.
    pub break_even: String,
}

fn median(series: &Series, kind: LoadKind, phase: Phase) -> f64 {
    series
        .phase_medians(kind)
        .iter()
        .find(|(p, _)| *p == phase)
        .map_or(0.0, |(_, t)| *t)
}

/// The sentences for `series`; `on_disk` when the archive is a file (its hash is remembered in-process).
pub fn verdicts(series: &Series, on_disk: bool) -> Option<Verdicts> {
    let cold = series.summary(LoadKind::Cold)?.median;
    let warm = series.summary(LoadKind::Warm)?.median;
    // A cold run hashes the archive; a warm run in this process may not have.
    let missing_hash = if on_disk {
        (median(series, LoadKind::Cold, Phase::Hash) - median(series, LoadKind::Warm, Phase::Hash))
            .max(0.0)
    } else {
        0.0
    };
    let fresh_warm = warm + missing_hash;
    let (headline, hash_note) = if missing_hash > 0.0 && fresh_warm > 0.0 {
        (
            format!(
                "a warm start is {:.1}× faster than a cold one (medians, hashing the archive included)",
                cold / fresh_warm
            ),
            Some(format!(
                "warm runs here reuse this process's archive hash ({:.1}× as measured); a new process \
                 hashes it again: +{}",
                cold / warm.max(f64::MIN_POSITIVE),
                seconds(missing_hash)
            )),
        )
    } else if warm > 0.0 {
        (
            format!(
                "a warm start is {:.1}× faster than a cold one (medians)",
                cold / warm
            ),
            None,
        )
    } else {
        return None;
    };
    let writing = median(series, LoadKind::Cold, Phase::Encode)
        + median(series, LoadKind::Cold, Phase::Write);
    let without_cache = cold - writing;
    let saving = without_cache - fresh_warm;
    let break_even = if saving <= 0.0 {
        format!(
            "building the cache costs {} more than a load without it, and a warm load saves nothing here",
            seconds(writing)
        )
    } else {
        let loads = (writing / saving).ceil().max(1.0) as u64;
        let plural = if loads == 1 { "" } else { "s" };
        format!(
            "building the cache costs {} more than a load without it; each warm load saves {}, so it \
             pays back after {loads} warm load{plural}",
            seconds(writing),
            seconds(saving)
        )
    };
    Some(Verdicts {
        headline,
        hash_note,
        break_even,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::PhaseTimings;
    use crate::timing::Sample;
    use std::time::Duration;

    fn sample(phases: &[(Phase, u64)]) -> Sample {
        let phases: Vec<(Phase, Duration)> = phases
            .iter()
            .map(|(p, ms)| (*p, Duration::from_millis(*ms)))
            .collect();
        Sample {
            total: phases.iter().map(|(_, d)| *d).sum(),
            phases: PhaseTimings(phases),
        }
    }

    #[test]
    fn the_hash_a_fresh_start_pays_is_counted_and_break_even_is_in_whole_loads() {
        let cold = sample(&[
            (Phase::Hash, 20),
            (Phase::Parse, 100),
            (Phase::Encode, 10),
            (Phase::Write, 10),
        ]);
        let warm = sample(&[(Phase::Hash, 0), (Phase::Read, 5), (Phase::Decode, 5)]);
        let series = Series {
            cold: vec![cold.clone(), cold],
            warm: vec![warm.clone(), warm],
        };
        let on_disk = verdicts(&series, true).unwrap();
        assert!(on_disk.headline.contains("4.7×"), "{}", on_disk.headline);
        assert!(
            on_disk.hash_note.as_deref().unwrap().contains("14.0×"),
            "{on_disk:?}"
        );
        assert!(
            on_disk.break_even.contains("pays back after 1 warm load"),
            "{on_disk:?}"
        );
        assert!(
            on_disk.break_even.contains("costs 20.0 ms more"),
            "{on_disk:?}"
        );
        let embedded = verdicts(&series, false).unwrap();
        assert!(embedded.headline.contains("14.0×") && embedded.hash_note.is_none());
    }
}

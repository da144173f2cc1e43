//! Replays the committed fuzz seeds (`fuzz/seeds/<target>/`) through the same check functions the fuzz
//! targets call, so every case the fuzzers found stays tested on stable, without nightly.

use std::fs;
use std::path::Path;

/// A check: panics when the input shows a bug.
type Check = fn(&[u8]);

/// The check function of each fuzz target, by target name.
const CHECKS: &[(&str, Check)] = &[
    ("archive", backstore::testkit::archive_check::check),
    ("cache_file", backstore::testkit::cache_check::check),
    ("csv_differential", backstore::testkit::csv_check::check),
    ("search", backstore::testkit::search::check_search_input),
];

fn checker(target: &str) -> Option<Check> {
    CHECKS
        .iter()
        .find(|(name, _)| *name == target)
        .map(|(_, f)| *f)
}

#[test]
fn every_seed_of_every_target_passes_its_check() {
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
    let Ok(targets) = fs::read_dir(&seeds) else {
        return;
    };
    for target in targets {
        let target = target.expect("listing fuzz/seeds").path();
        let name = target.file_name().unwrap().to_string_lossy().into_owned();
        let check = checker(&name)
            .unwrap_or_else(|| panic!("fuzz/seeds/{name} has no check function in this test"));
        for seed in fs::read_dir(&target).expect("listing a seed folder") {
            let path = seed.expect("listing a seed folder").path();
            let bytes = fs::read(&path).expect("reading a seed");
            check(&bytes);
        }
    }
}

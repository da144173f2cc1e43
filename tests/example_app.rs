//! The example application (`examples/app`), built and run as its author would: a crate of its own that
//! depends on the library alone, embeds its own archive hashed at build time, and keeps its own cache.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use backstore::catalog::compare::first_difference;
use backstore::{ArchiveSource, CacheManager, ManagerOptions};

fn app() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/app")
}

/// `cargo run` of the example with a data dir, in a target folder of its own beside ours.
fn run_app(data_dir: &Path) -> String {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/example-app");
    let output = Command::new(cargo)
        .args([
            "run",
            "--quiet",
            "--locked",
            "-p",
            "colour-shop",
            "--manifest-path",
        ])
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"))
        .arg("--")
        .arg(data_dir)
        .env("CARGO_TARGET_DIR", target)
        .stdin(Stdio::null())
        .output()
        .expect("running cargo");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the example app failed:\n{stderr}");
    String::from_utf8(output.stdout).expect("the app prints UTF-8")
}

#[test]
fn the_example_app_builds_its_cache_then_loads_it_and_the_inspector_sees_it_fresh() {
    let sandbox = common::Sandbox::new();
    let data = sandbox.data_dir();

    let first = run_app(&data);
    assert!(first.starts_with("built: no cache file"), "{first}");
    assert!(
        first.contains("#008080 Teal: A blue-green, named after the duck"),
        "{first}"
    );
    assert!(first.contains("#FFFFF0 Ivory: (no description)"), "{first}");
    assert!(
        first.contains("size M: chest 96 cm, waist 80 cm"),
        "{first}"
    );
    assert!(data.join("cache/databases_v1.2.0.bin").is_file());

    let second = run_app(&data);
    assert!(second.starts_with("loaded: cache is fresh"), "{second}");
    assert_eq!(
        first.lines().skip(1).collect::<Vec<_>>(),
        second.lines().skip(1).collect::<Vec<_>>()
    );

    // The inspector pointed at the application's archive and data dir reads the same cache.
    let archive = app().join("data/databases.tar.gz");
    let status = common::run_in(&data, &["--archive", archive.to_str().unwrap(), "status"]);
    assert_eq!(common::code(&status), 0, "{}", common::stdout(&status));
    assert!(common::stdout(&status).starts_with("cache:    FRESH"));
}

#[test]
fn the_example_archive_is_exactly_its_csv_sources() {
    let load = |source| {
        CacheManager::new(
            ManagerOptions::for_app("colour-shop")
                .source(source)
                .in_memory(),
        )
        .load_or_build()
        .expect("the example's data loads")
        .catalog
    };
    let packed = load(ArchiveSource::Path(app().join("data/databases.tar.gz")));
    let sources = load(ArchiveSource::Path(app().join("data/databases")));
    assert_eq!(packed.databases().len(), 2);
    assert_eq!(
        first_difference(&packed, &sources),
        None,
        "run python3 examples/app/data/pack.py after editing its CSV files"
    );
}

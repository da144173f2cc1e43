//! Where the cache lives by default: each archive a data dir of its own, so the embedded data and other
//! archives never rebuild each other's cache; `BACKSTORE_DATA_DIR` and `--data-dir` still choose one.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::Sandbox;

/// Runs the binary with the platform data directory inside `home`, and no data dir named.
fn run(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_backstore"))
        .args(args)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("share"))
        .env_remove("BACKSTORE_DATA_DIR")
        .stdin(Stdio::null())
        .output()
        .expect("run backstore")
}

fn load(home: &Path, archive: Option<&Path>) -> serde_json::Value {
    let mut args: Vec<&str> = Vec::new();
    let archive = archive.map(|a| a.to_str().unwrap().to_string());
    if let Some(a) = &archive {
        args.extend(["--archive", a.as_str()]);
    }
    args.extend(["load", "--json"]);
    let out = run(home, &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn two_archives_of_one_version_and_the_embedded_data_each_keep_their_own_cache() {
    let sandbox = Sandbox::new();
    let home = sandbox.path().join("home");
    let a = sandbox.path().join("a.tar.gz");
    let b = sandbox.path().join("elsewhere/a.tar.gz");
    std::fs::create_dir_all(b.parent().unwrap()).unwrap();
    std::fs::write(&a, common::csv_archive(&[("x", "key\none\n")])).unwrap();
    std::fs::write(&b, common::csv_archive(&[("x", "key\ntwo\n")])).unwrap();

    let first = [
        load(&home, Some(&a)),
        load(&home, Some(&b)),
        load(&home, None),
    ];
    for value in &first {
        assert_eq!(value["outcome"], "built", "{value}");
    }
    // Every start after the first loads its own cache: nobody rebuilt anybody else's.
    for _ in 0..2 {
        for archive in [Some(a.as_path()), Some(b.as_path()), None] {
            let value = load(&home, archive);
            assert_eq!(value["outcome"], "loaded", "{archive:?}: {value}");
        }
    }
    let dirs: Vec<PathBuf> = first
        .iter()
        .map(|v| PathBuf::from(v["data_dir"].as_str().expect("the data dir is reported")))
        .collect();
    let share = home.join("share/backstore");
    assert_eq!(
        dirs[2], share,
        "the embedded data keeps the platform data dir"
    );
    for dir in &dirs[..2] {
        assert_eq!(
            dir.parent(),
            Some(share.join("archives").as_path()),
            "{}",
            dir.display()
        );
        assert!(
            dir.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("a.tar.gz-")
        );
    }
    assert_ne!(
        dirs[0], dirs[1],
        "same name, different files, different data dirs"
    );

    // status says which data dir it judged, in text and JSON.
    let out = run(&home, &["--archive", a.to_str().unwrap(), "status"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("data dir: {}", dirs[0].display())),
        "{text}"
    );
    let out = run(
        &home,
        &["--archive", a.to_str().unwrap(), "status", "--json"],
    );
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value["data_dir"], dirs[0].to_str().unwrap());
    assert_eq!(value["state"], "fresh");
}

#[test]
fn a_named_data_dir_still_overrides_the_default() {
    let sandbox = Sandbox::new();
    let home = sandbox.path().join("home");
    let a = sandbox.path().join("a.tar.gz");
    std::fs::write(&a, common::csv_archive(&[("x", "key\none\n")])).unwrap();
    let named = sandbox.path().join("named");
    let out = Command::new(env!("CARGO_BIN_EXE_backstore"))
        .args(["--archive", a.to_str().unwrap(), "load", "--json"])
        .env("HOME", &home)
        .env("XDG_DATA_HOME", home.join("share"))
        .env("BACKSTORE_DATA_DIR", &named)
        .output()
        .unwrap();
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value["data_dir"], named.to_str().unwrap());
    let flag = sandbox.path().join("flag");
    let out = run(
        &home,
        &[
            "--archive",
            a.to_str().unwrap(),
            "--data-dir",
            flag.to_str().unwrap(),
            "load",
            "--json",
        ],
    );
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(value["data_dir"], flag.to_str().unwrap());
    assert!(
        !home.join("share").exists(),
        "nothing was written in the platform data dir"
    );
}

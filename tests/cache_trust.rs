//! The trust boundary, with real processes and files: a data dir, `cache/` or cache file that another user
//! owns, or that group or others can write, is never read or written; what a local attacker plants there is
//! never returned. Folders are 0700 and files 0600 whatever the umask, the inspector's log included.

mod common;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use backstore::cache::{CacheState, Distrust, Outcome, Unusable};
use backstore::testkit::cache_edit::OwnedBody;
use common::Sandbox;

const REAL: &str = "#008080";
const PLANTED: &str = "#BADBAD";

fn archive() -> Vec<u8> {
    common::csv_archive(&[("colours", "colour,hex\nTeal,#008080\nRed,#FF0000\n")])
}

/// Builds the cache, then replaces it with one whose Teal is PLANTED, both checksums made right: what
/// another user could build from the world-readable archive. Returns the cache file's path.
fn plant(sandbox: &Sandbox) -> PathBuf {
    sandbox.write_archive(&archive());
    let path = sandbox
        .manager()
        .load_or_build()
        .expect("build")
        .report
        .cache_path
        .expect("a cache path");
    let bytes = fs::read(&path).unwrap();
    let mut body = OwnedBody::of_file(&bytes);
    let db = body.database("colours");
    let at = db
        .text
        .windows(7)
        .position(|w| w == REAL.as_bytes())
        .unwrap();
    db.text[at..at + 7].copy_from_slice(PLANTED.as_bytes());
    fs::write(&path, body.into_file(&bytes)).unwrap();
    path
}

fn run(sandbox: &Sandbox, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_backstore"))
        .arg("--archive")
        .arg(sandbox.archive_path())
        .arg("--data-dir")
        .arg(sandbox.data_dir())
        .args(args)
        .env_remove("BACKSTORE_DATA_DIR")
        .stdin(Stdio::null())
        .output()
        .expect("run backstore")
}

fn teal(sandbox: &Sandbox) -> String {
    let out = run(sandbox, &["get", "colours", "Teal", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    value["values"]["hex"].as_str().unwrap().to_string()
}

fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

fn chown(path: &Path, uid: u32) {
    std::os::unix::fs::chown(path, Some(uid), None).expect("chown (the tests run as root)");
}

/// Status and load refuse the cache for `expected` reasons, `get` answers from the archive, and the
/// planted file is left exactly as it was: nothing is written there.
fn assert_not_trusted(sandbox: &Sandbox, planted: &Path, expected: impl Fn(&Distrust) -> bool) {
    let before = fs::read(planted).unwrap();
    let status = sandbox.manager().status().expect("status");
    match &status.state {
        CacheState::InMemoryOnly {
            why: Unusable::Untrusted(distrust),
        } => assert!(expected(distrust), "{distrust:?}"),
        other => panic!("expected not trusted, got {other:?}"),
    }
    assert!(
        status.reason.contains("cannot be trusted"),
        "{}",
        status.reason
    );
    let out = run(sandbox, &["status"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("IN MEMORY ONLY"));

    let loaded = sandbox.manager().load_or_build().expect("load");
    assert!(
        matches!(loaded.report.outcome, Outcome::InMemory { .. }),
        "{:?}",
        loaded.report.outcome
    );
    assert_eq!(teal(sandbox), REAL, "the planted value is never returned");
    assert_eq!(
        fs::read(planted).unwrap(),
        before,
        "nothing is written there"
    );
}

#[test]
fn a_planted_file_in_a_trusted_folder_would_be_used_which_is_what_the_boundary_is_for() {
    // The control case: our own file in our own private folders is trusted, planted value and all.
    let sandbox = Sandbox::new();
    plant(&sandbox);
    assert_eq!(
        sandbox.manager().status().expect("status").state,
        CacheState::Fresh
    );
    assert_eq!(teal(&sandbox), PLANTED);
}

#[test]
fn a_cache_folder_writable_by_everyone_is_not_trusted() {
    let sandbox = Sandbox::new();
    let planted = plant(&sandbox);
    chmod(&sandbox.cache_dir(), 0o777);
    assert_not_trusted(
        &sandbox,
        &planted,
        |d| matches!(d, Distrust::Writable { mode: 0o777, path } if path == &sandbox.cache_dir()),
    );
    let reason = sandbox.manager().status().unwrap().reason;
    assert!(
        reason.contains("chmod go-w"),
        "the reason says how to fix it: {reason}"
    );
}

#[test]
fn a_data_dir_writable_by_its_group_is_not_trusted() {
    let sandbox = Sandbox::new();
    let planted = plant(&sandbox);
    chmod(&sandbox.data_dir(), 0o770);
    assert_not_trusted(
        &sandbox,
        &planted,
        |d| matches!(d, Distrust::Writable { path, .. } if path == &sandbox.data_dir()),
    );
}

#[test]
fn a_cache_file_owned_by_another_user_is_not_trusted() {
    let sandbox = Sandbox::new();
    let planted = plant(&sandbox);
    chown(&planted, 4242);
    assert_not_trusted(
        &sandbox,
        &planted,
        |d| matches!(d, Distrust::Owner { owner: 4242, path, .. } if path == &planted),
    );
    let reason = sandbox.manager().status().unwrap().reason;
    assert!(reason.contains("owned by user 4242"), "{reason}");
}

#[test]
fn a_cache_folder_owned_by_another_user_is_not_trusted() {
    let sandbox = Sandbox::new();
    let planted = plant(&sandbox);
    chown(&sandbox.cache_dir(), 4242);
    assert_not_trusted(&sandbox, &planted, |d| {
        matches!(d, Distrust::Owner { owner: 4242, .. })
    });
    // Nor is anything removed there.
    assert!(sandbox.manager().invalidate().is_err());
    assert!(planted.exists());
}

fn mode(path: &Path) -> u32 {
    fs::symlink_metadata(path).unwrap().mode() & 0o7777
}

#[test]
fn under_umask_000_folders_are_0700_and_files_0600() {
    let sandbox = Sandbox::new();
    sandbox.write_archive(&archive());
    let data = sandbox.path().join("deep/er/data");
    let command = format!(
        "umask 000; exec '{}' --archive '{}' --data-dir '{}' load",
        env!("CARGO_BIN_EXE_backstore"),
        sandbox.archive_path().display(),
        data.display()
    );
    let status = Command::new("sh")
        .args(["-c", &command])
        .env_remove("BACKSTORE_DATA_DIR")
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    for dir in [
        sandbox.path().join("deep"),
        sandbox.path().join("deep/er"),
        data.clone(),
    ] {
        assert_eq!(mode(&dir), 0o700, "{}", dir.display());
    }
    let cache = data.join("cache");
    assert_eq!(mode(&cache), 0o700);
    for name in ["databases_v0.1.0.bin", "checksums.json", ".lock"] {
        assert_eq!(mode(&cache.join(name)), 0o600, "{name}");
    }
}

#[test]
fn the_inspectors_log_is_private_under_umask_000() {
    let tmux_ok = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        tmux_ok,
        "tmux is required: install tmux (apt-get install tmux)"
    );
    let sandbox = Sandbox::new();
    let data = sandbox.path().join("data");
    let socket = format!("backstore-log-{}", std::process::id());
    let command = format!(
        "umask 000; exec '{}' --data-dir '{}'",
        env!("CARGO_BIN_EXE_backstore"),
        data.display()
    );
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .args(["-L", &socket])
            .args(args)
            .env_remove("BACKSTORE_DATA_DIR")
            .output()
            .unwrap()
    };
    let started = tmux(&[
        "new-session",
        "-d",
        "-x",
        "100",
        "-y",
        "30",
        "sh",
        "-c",
        &command,
    ]);
    assert!(
        started.status.success(),
        "{}",
        String::from_utf8_lossy(&started.stderr)
    );
    let log = data.join("backstore.log");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !(log.exists() && fs::metadata(&log).is_ok_and(|m| m.len() > 0)) {
        assert!(Instant::now() < deadline, "the inspector wrote no log");
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = tmux(&["kill-server"]);
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&log), 0o600);
}

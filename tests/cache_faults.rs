//! The cache under faults, with real processes and files: writers killed with SIGKILL at random moments,
//! rebuilds racing `status`, a FIFO, a symlink and a huge sparse file where cache files go, a full disk.

mod common;

use std::fs;
use std::os::unix::fs::{FileTypeExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use backstore::cache::file;
use backstore::cache::header::{HEADER_LEN, Header};
use backstore::cache::{CacheState, Corruption, FileKind, Outcome, Unusable};
use backstore::testkit::corpus::{self, CorpusSpec};
use common::Sandbox;

fn backstore(sandbox: &Sandbox, data: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_backstore"));
    command
        .arg("--archive")
        .arg(sandbox.archive_path())
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("BACKSTORE_DATA_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// Waits for a child, failing (and killing it) if it has not exited within `limit`.
fn wait_within(mut child: Child, limit: Duration, what: &str) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("waiting for a child") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not finish within {limit:?}: it blocked");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn temp_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".tmp"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// A small xorshift: random moments that are the same on every run.
struct Moments(u64);

impl Moments {
    fn next_below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}

#[test]
fn writers_killed_at_random_moments_leave_no_torn_file_and_the_next_writer_sweeps_their_leftovers()
{
    const KILLS: usize = 60;
    let sandbox = Sandbox::new();
    sandbox.write_archive(&corpus::generate(&CorpusSpec::small()));
    let data = sandbox.data_dir();
    let cache = sandbox.cache_dir();
    let path = cache.join("databases_v0.1.0.bin");

    // How long one rebuild takes here: the kills land anywhere in its second half, where it encodes and
    // writes (its temporary file exists only then), and a little after.
    let t = Instant::now();
    assert!(
        backstore(&sandbox, &data, &["rebuild"])
            .status()
            .unwrap()
            .success()
    );
    let took = (t.elapsed().as_micros() as u64).max(1_000);

    let mut moments = Moments(0x9E37_79B9_7F4A_7C15);
    let mut leftovers_seen = 0;
    for kill in 0..KILLS {
        let mut child = backstore(&sandbox, &data, &["rebuild"])
            .spawn()
            .expect("spawn");
        std::thread::sleep(Duration::from_micros(
            took / 2 + moments.next_below(took * 3 / 5),
        ));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();

        // Whatever is at the cache path is a whole file: the old one or the new one, never a torn one.
        match fs::read(&path) {
            Ok(bytes) => {
                if let Err(problem) = file::verify(&bytes) {
                    panic!("kill {kill}: a torn cache file: {problem:?}");
                }
            }
            Err(e) => panic!("kill {kill}: the cache file went missing: {e}"),
        }
        // Leftovers are listed by status as such (no writer holds them any more).
        let left = temp_names(&cache);
        if !left.is_empty() {
            leftovers_seen += 1;
            let status = sandbox.manager().status().expect("status");
            let listed: Vec<String> = status
                .temp_files
                .iter()
                .filter(|t| !t.in_use)
                .map(|t| t.path.file_name().unwrap().to_string_lossy().into_owned())
                .collect();
            assert_eq!(listed, left, "kill {kill}: status lists the leftovers");
        }
        // Every tenth kill, a writer runs to the end: it removes every leftover.
        if kill % 10 == 9 {
            assert!(
                backstore(&sandbox, &data, &["rebuild"])
                    .status()
                    .unwrap()
                    .success()
            );
            assert_eq!(
                temp_names(&cache),
                Vec::<String>::new(),
                "kill {kill}: swept"
            );
        }
    }
    println!("{leftovers_seen} of {KILLS} kills left a temporary file behind");
    assert!(
        backstore(&sandbox, &data, &["load"])
            .status()
            .unwrap()
            .success()
    );
    assert_eq!(temp_names(&cache), Vec::<String>::new());
    assert_eq!(
        sandbox.manager().status().expect("status").state,
        CacheState::Fresh
    );
}

#[test]
fn a_dead_writers_leftover_is_listed_by_status_and_removed_by_the_next_writer() {
    let sandbox = Sandbox::new();
    sandbox.write_archive(&common::csv_archive(&[("a", "key\nx\n")]));
    sandbox.manager().load_or_build().expect("build");
    let cache = sandbox.cache_dir();
    // What a killed writer leaves: a temporary file that no live process holds a lock on.
    let leftover = cache.join(".databases_v0.1.0.bin.Ab12Cd.tmp");
    fs::write(&leftover, vec![0u8; 64 << 10]).unwrap();
    let status = sandbox.manager().status().expect("status");
    assert_eq!(status.temp_files.len(), 1);
    assert_eq!(status.temp_files[0].path, leftover);
    assert_eq!(status.temp_files[0].bytes, 64 << 10);
    assert!(!status.temp_files[0].in_use);
    let out = backstore(&sandbox, &sandbox.data_dir(), &["status"])
        .stdout(Stdio::piped())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("left by a killed writer"), "{text}");
    // `invalidate` is a writer too, and so is `load` when it rebuilds: the next one sweeps.
    assert!(
        backstore(&sandbox, &sandbox.data_dir(), &["rebuild"])
            .status()
            .unwrap()
            .success()
    );
    assert!(!leftover.exists());
    fs::write(&leftover, b"again").unwrap();
    sandbox.manager().invalidate().expect("invalidate");
    assert!(!leftover.exists());
}

#[test]
fn a_live_writers_temporary_file_is_never_swept() {
    let sandbox = Sandbox::new();
    sandbox.write_archive(&common::csv_archive(&[("a", "key\nx\n")]));
    sandbox.manager().load_or_build().expect("build");
    let cache = sandbox.cache_dir();
    // A writer that holds the folder's lock and its own temporary file, as every writer does.
    let (lock, _) = backstore::cache::write::WriteLock::acquire(&cache).expect("lock");
    let temp = backstore::cache::write::temp_file(&cache, ".databases_").expect("temp file");
    let status = sandbox.manager().status().expect("status");
    assert_eq!(status.temp_files.len(), 1);
    assert!(status.temp_files[0].in_use, "{:?}", status.temp_files);
    // Another writer runs meanwhile: the live file stays.
    assert!(
        backstore(&sandbox, &sandbox.data_dir(), &["rebuild"])
            .status()
            .unwrap()
            .success()
    );
    assert!(temp.path().exists(), "a live writer's file was removed");
    drop(lock);
    drop(temp);
}

#[test]
fn status_says_fresh_throughout_concurrent_rebuilds() {
    let sandbox = Sandbox::new();
    sandbox.write_archive(&corpus::generate(&CorpusSpec::small()));
    let data = sandbox.data_dir();
    assert!(
        backstore(&sandbox, &data, &["rebuild"])
            .status()
            .unwrap()
            .success()
    );
    let done = AtomicBool::new(false);
    let verdicts = std::thread::scope(|scope| {
        let writers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    for _ in 0..8 {
                        let status = backstore(&sandbox, &data, &["rebuild"]).status().unwrap();
                        assert!(status.success());
                    }
                })
            })
            .collect();
        let reader = scope.spawn(|| {
            let mut verdicts = Vec::new();
            while !done.load(Ordering::Acquire) {
                // A new manager each time, as a new `backstore status` process would be.
                let status = sandbox.manager().status().expect("status");
                verdicts.push(status.state);
            }
            verdicts
        });
        for writer in writers {
            writer.join().expect("writer");
        }
        done.store(true, Ordering::Release);
        reader.join().expect("reader")
    });
    assert!(!verdicts.is_empty());
    let wrong: Vec<_> = verdicts
        .iter()
        .filter(|s| **s != CacheState::Fresh)
        .collect();
    assert!(
        wrong.is_empty(),
        "{} of {} not fresh: {:?}",
        wrong.len(),
        verdicts.len(),
        wrong.first()
    );
}

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(status.success());
}

#[test]
fn a_fifo_named_like_a_cache_file_never_blocks_status_or_load() {
    let sandbox = Sandbox::new();
    sandbox.write_archive(&common::csv_archive(&[("a", "key,v\nx,1\n")]));
    let data = sandbox.data_dir();
    let cache = sandbox.cache_dir();
    fs::create_dir_all(&cache).unwrap();
    backstore::cache::trust::set_mode(&data, 0o700).unwrap();
    mkfifo(&cache.join("databases_x.bin"));
    mkfifo(&cache.join("databases_v0.1.0.bin"));
    mkfifo(&cache.join("checksums.json"));

    for args in [
        &["status"][..],
        &["status", "--quick"],
        &["load"],
        &["status"],
    ] {
        let child = backstore(&sandbox, &data, args).spawn().expect("spawn");
        wait_within(child, Duration::from_secs(30), &format!("{args:?}"));
    }
    // The load replaced the FIFO at the cache path with a cache file; the other FIFO is left alone.
    assert!(
        fs::symlink_metadata(cache.join("databases_v0.1.0.bin"))
            .unwrap()
            .is_file()
    );
    assert!(
        fs::symlink_metadata(cache.join("databases_x.bin"))
            .unwrap()
            .file_type()
            .is_fifo()
    );
    assert_eq!(
        sandbox.manager().status().expect("status").state,
        CacheState::Fresh
    );
}

#[test]
fn a_fifo_at_the_cache_path_is_reported_and_replaced() {
    let sandbox = Sandbox::new();
    sandbox.write_archive(&common::csv_archive(&[("a", "key,v\nx,1\n")]));
    fs::create_dir_all(sandbox.cache_dir()).unwrap();
    backstore::cache::trust::set_mode(&sandbox.data_dir(), 0o700).unwrap();
    mkfifo(&sandbox.cache_dir().join("databases_v0.1.0.bin"));
    let state = CacheState::Corrupt {
        problem: Corruption::NotRegular(FileKind::Fifo),
    };
    assert_eq!(sandbox.manager().status().expect("status").state, state);
    let loaded = sandbox.manager().load_or_build().expect("load");
    assert_eq!(
        loaded.report.outcome,
        Outcome::Built(backstore::cache::BuildReason::Cache(state))
    );
}

#[test]
fn a_symlink_in_the_cache_folder_is_never_followed() {
    let sandbox = Sandbox::new();
    sandbox.write_archive(&common::csv_archive(&[("a", "key,v\nx,1\n")]));
    let built = sandbox.manager().load_or_build().expect("build");
    let path = built.report.cache_path.expect("path");
    // A valid cache file elsewhere, linked in place of ours.
    let elsewhere = sandbox.path().join("elsewhere.bin");
    fs::rename(&path, &elsewhere).unwrap();
    symlink(&elsewhere, &path).unwrap();
    let before = fs::read(&elsewhere).unwrap();

    let state = CacheState::Corrupt {
        problem: Corruption::NotRegular(FileKind::Symlink),
    };
    assert_eq!(sandbox.manager().status().expect("status").state, state);
    let loaded = sandbox.manager().load_or_build().expect("load");
    assert!(
        matches!(loaded.report.outcome, Outcome::Built(_)),
        "{:?}",
        loaded.report.outcome
    );
    // The link itself was replaced; what it pointed to was neither read as ours nor written.
    assert!(fs::symlink_metadata(&path).unwrap().is_file());
    assert_eq!(fs::read(&elsewhere).unwrap(), before);
}

/// Runs a child to its end and returns its exit status and the highest peak RSS (`VmHWM`, KiB) seen while
/// it ran: the peak only grows, so the last reading is the most it reached by then.
fn run_watching_memory(mut command: Command) -> (std::process::ExitStatus, u64) {
    let mut child = command.spawn().expect("spawn");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(text) = fs::read_to_string(&status_file)
            && let Some(line) = text.lines().find(|l| l.starts_with("VmHWM:"))
        {
            let kib = line.split_whitespace().nth(1).and_then(|n| n.parse().ok());
            peak = peak.max(kib.unwrap_or(0));
        }
        if let Some(status) = child.try_wait().expect("wait") {
            return (status, peak);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn a_huge_sparse_file_with_a_valid_header_is_refused_by_its_size_before_any_payload_is_read() {
    let sandbox = Sandbox::new();
    sandbox.write_archive(&common::csv_archive(&[("a", "key,v\nx,1\n")]));
    let built = sandbox.manager().load_or_build().expect("build");
    let path: PathBuf = built.report.cache_path.expect("path");
    let header = file::read_header(&path).expect("header").0;
    // A 2 GiB file that costs no disk: its header is valid and names this archive.
    let f = fs::OpenOptions::new().write(true).open(&path).unwrap();
    f.set_len(2 << 30).unwrap();
    drop(f);

    let problem = Corruption::Length {
        found: (2 << 30) - HEADER_LEN as u64,
        expected: header.payload_len,
    };
    assert_eq!(
        sandbox.manager().status().expect("status").state,
        CacheState::Corrupt { problem }
    );
    let (status, peak) = run_watching_memory(backstore(&sandbox, &sandbox.data_dir(), &["status"]));
    assert_eq!(status.code(), Some(1));
    assert!(peak < 256 * 1024, "status peaked at {peak} KiB");
    let (status, peak) = run_watching_memory(backstore(&sandbox, &sandbox.data_dir(), &["load"]));
    assert!(status.success());
    assert!(peak < 256 * 1024, "load peaked at {peak} KiB");
    assert_eq!(
        Header::parse(&fs::read(&path).unwrap())
            .unwrap()
            .payload_len,
        header.payload_len
    );
}

/// Mounts a tmpfs of `kib` KiB at `dir`; `None` (and a printed reason) where this machine cannot.
fn small_tmpfs(dir: &Path, kib: u64) -> Option<Unmount> {
    fs::create_dir_all(dir).ok()?;
    let out = Command::new("mount")
        .args([
            "-t",
            "tmpfs",
            "-o",
            &format!("size={kib}k,mode=0700"),
            "tmpfs",
        ])
        .arg(dir)
        .output()
        .ok()?;
    if !out.status.success() {
        println!(
            "skipped: cannot mount a tmpfs here ({})",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        return None;
    }
    Some(Unmount(dir.to_path_buf()))
}

struct Unmount(PathBuf);

impl Drop for Unmount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_keeps_the_data_in_memory_and_says_so_in_words() {
    let sandbox = Sandbox::new();
    sandbox.write_archive(&corpus::generate(&CorpusSpec::small()));
    let data = sandbox.path().join("full");
    let Some(_mounted) = small_tmpfs(&data, 256) else {
        return;
    };
    let manager = common::manager(&sandbox.archive_path(), &data);
    let loaded = manager
        .load_or_build()
        .expect("a full disk never fails a load");
    let Outcome::InMemory { why, .. } = &loaded.report.outcome else {
        panic!("expected in memory, got {:?}", loaded.report.outcome);
    };
    assert!(
        matches!(why, Unusable::Unwritable { error, .. } if error.kind() == std::io::ErrorKind::StorageFull),
        "{why:?}"
    );
    let reason = &loaded.report.reason;
    assert!(reason.contains("the disk is full"), "{reason}");
    assert!(
        !reason.contains("Os {") && !reason.contains("kind:"),
        "not a Debug dump: {reason}"
    );
    assert!(loaded.catalog.records() > 10_000, "the data is all there");
    // The same manager's status, as the inspector shows it, says the same; no temporary file is left.
    let status = manager.status().expect("status");
    assert_eq!(status.state, CacheState::InMemoryOnly { why: why.clone() });
    assert_eq!(temp_names(&data.join("cache")), Vec::<String>::new());

    // The command line says it in the same words.
    let out = backstore(&sandbox, &data, &["load"])
        .stdout(Stdio::piped())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("kept in memory only") && text.contains("the disk is full"),
        "{text}"
    );
}

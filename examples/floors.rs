//! The floors a warm load is measured against, each as a process of its own, and the memory a warm load
//! keeps:
//!
//! - `floors hash ARCHIVE`: SHA-256 of a file, read a piece at a time (what identifying a path archive
//!   costs at least);
//! - `floors verify CACHE_FILE`: read a cache file whole into memory and check its header, length and
//!   payload checksum (what using a cache file costs at least, before decoding);
//! - `floors warm-memory ARCHIVE DATA_DIR`: load through the manager and print the process's private
//!   (anonymous) and file-backed resident memory beside the cache file's size;
//! - `floors warm-bytes ARCHIVE DATA_DIR [SHA256]`: read the archive into memory first, then time a warm
//!   load of it as an application's embedded archive: `ArchiveSource::Bytes` (hashed in the process), or
//!   `ArchiveSource::Prehashed` when its SHA-256 is given as hex (as a build script computes it).

use std::io::Read;
use std::process::ExitCode;
use std::time::Instant;

use backstore::cache::{ArchiveSource, CacheManager, ManagerOptions, Outcome};
use sha2::{Digest, Sha256};

const USAGE: &str = "usage: floors hash ARCHIVE | floors verify CACHE_FILE | \
                     floors warm-memory ARCHIVE DATA_DIR | floors warm-bytes ARCHIVE DATA_DIR [SHA256]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["hash", path] => hash(path),
        ["verify", path] => verify(path),
        ["warm-memory", archive, data_dir] => warm_memory(archive, data_dir),
        ["warm-bytes", archive, data_dir] => warm_bytes(archive, data_dir, None),
        ["warm-bytes", archive, data_dir, sha] => warm_bytes(archive, data_dir, Some(sha)),
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("floors: {message}");
            ExitCode::FAILURE
        }
    }
}

fn hash(path: &str) -> Result<String, String> {
    let start = Instant::now();
    let mut file = std::fs::File::open(path).map_err(|e| format!("{path}: {e}"))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 18];
    let mut len = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(|e| format!("{path}: {e}"))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        len += n as u64;
    }
    let digest = backstore::hex::encode(&hasher.finalize());
    Ok(format!("{digest}  {len} bytes in {:.1?}", start.elapsed()))
}

fn verify(path: &str) -> Result<String, String> {
    let start = Instant::now();
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    backstore::cache::file::verify(&bytes).map_err(|e| format!("{path}: {e:?}"))?;
    Ok(format!(
        "intact: {} bytes in {:.1?}",
        bytes.len(),
        start.elapsed()
    ))
}

fn warm_memory(archive: &str, data_dir: &str) -> Result<String, String> {
    let manager = CacheManager::new(
        ManagerOptions::default()
            .source(ArchiveSource::Path(archive.into()))
            .data_dir(data_dir),
    );
    let loaded = manager.load_or_build().map_err(|e| format!("{e:#}"))?;
    if !matches!(loaded.report.outcome, Outcome::Loaded) {
        return Err(format!("not a warm load: {}", loaded.report.reason));
    }
    let cache = loaded
        .report
        .cache_path
        .as_ref()
        .and_then(|p| std::fs::metadata(p).ok())
        .map_or(0, |m| m.len());
    let status = std::fs::read_to_string("/proc/self/status").map_err(|e| e.to_string())?;
    let kib = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let (anon, file) = (kib("RssAnon:") * 1024, kib("RssFile:") * 1024);
    Ok(format!(
        "{} records; private (anonymous) resident {:.1} MB = {:.3}x the {:.1} MB cache file; file-backed resident {:.1} MB",
        loaded.report.records,
        anon as f64 / 1e6,
        anon as f64 / cache.max(1) as f64,
        cache as f64 / 1e6,
        file as f64 / 1e6
    ))
}

fn warm_bytes(archive: &str, data_dir: &str, sha: Option<&str>) -> Result<String, String> {
    let start = Instant::now();
    // An embedded archive lives as long as the process; so does this one.
    let bytes: &'static [u8] = std::fs::read(archive)
        .map_err(|e| format!("{archive}: {e}"))?
        .leak();
    let read = start.elapsed();
    let source = match sha {
        None => ArchiveSource::Bytes(bytes),
        Some(hex) => ArchiveSource::prehashed(
            bytes,
            backstore::hex::decode32(hex).ok_or("SHA256 must be 64 hex digits")?,
        ),
    };
    let start = Instant::now();
    let manager = CacheManager::new(ManagerOptions::default().source(source).data_dir(data_dir));
    let loaded = manager.load_or_build().map_err(|e| format!("{e:#}"))?;
    let took = start.elapsed();
    if !matches!(loaded.report.outcome, Outcome::Loaded) {
        return Err(format!("not a warm load: {}", loaded.report.reason));
    }
    Ok(format!(
        "{} records: warm load {:.1?} ({}; reading the archive into memory first took {read:.1?})",
        loaded.report.records,
        took,
        if sha.is_some() {
            "prehashed"
        } else {
            "hashed in process"
        },
    ))
}

//! Writing a cache file: to a temporary file in the same folder, renamed into place, under the folder's
//! write lock; and sweeping the temporary files that killed writers left behind.
//!
//! The body is streamed straight into the file (no second copy in memory) while its length and checksum are
//! counted; the header is then written over the placeholder at the start. A reader or a crash never sees a
//! torn file: the rename is atomic, and a file torn by power loss fails its checksum and is rebuilt.
//!
//! Temporary files are named `.databases_*.tmp` and `.checksums_*.tmp`. Every writer holds a shared lock on
//! `cache/.lock` from before it creates its temporary file until it has renamed it; a writer that gets the
//! lock exclusively knows no other writer is alive (the system drops a dead process's locks), so every
//! temporary file then present is a leftover, and it removes them before it goes on. A live writer's file is
//! never removed. Each writer also locks its own temporary file, so `status` can tell leftovers from files
//! being written.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rustix::fs::{FlockOperation, flock};
use tracing::{info, warn};
use xxhash_rust::xxh3::Xxh3;

use super::file;
use super::header::{HEADER_LEN, Header};
use super::judge;
use super::problem::{FileKind, IoFailure, Unusable};
use super::report::{Phase, PhaseTimings};
use super::trust;
use super::wire::{self, Body};
use super::write_stream::Stream;
use crate::catalog::Catalog;

/// The lock file in `cache/`.
pub const LOCK_NAME: &str = ".lock";
/// How long a writer waits for a sweep by another process to finish.
const LOCK_WAIT: Duration = Duration::from_secs(5);

/// Time spent writing a cache file, split into encoding and the file system's share.
#[derive(Debug, Clone, Copy, Default)]
pub struct WriteTimings {
    /// Encoding the catalog into the body.
    pub encode: Duration,
    /// Writing, syncing and renaming the file.
    pub write: Duration,
}

/// Whether a file name is one of our temporary files.
pub fn is_temp_name(name: &str) -> bool {
    (name.starts_with(".databases_") || name.starts_with(".checksums_")) && name.ends_with(".tmp")
}

/// A temporary file in a cache folder, and whether its writer is still alive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TempFile {
    /// Where it is.
    pub path: PathBuf,
    /// Its size.
    pub bytes: u64,
    /// A writer holds its lock: it is being written right now.
    pub in_use: bool,
}

/// The temporary files in a cache folder, without changing anything (what `status` lists).
pub fn temp_files(dir: &Path) -> Vec<TempFile> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<TempFile> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_str().is_some_and(is_temp_name))
        .filter_map(|e| {
            let path = e.path();
            let meta = fs::symlink_metadata(&path).ok()?;
            let in_use = meta.is_file() && locked_by_writer(&path);
            Some(TempFile {
                path,
                bytes: meta.len(),
                in_use,
            })
        })
        .collect();
    found.sort_by(|a, b| a.path.cmp(&b.path));
    found
}

/// Whether a writer holds the lock of this temporary file (a shared lock of ours would then fail).
fn locked_by_writer(path: &Path) -> bool {
    let Ok((file, _)) = trust::open_regular(path) else {
        return false;
    };
    flock(&file, FlockOperation::NonBlockingLockShared).is_err()
}

/// The folder's write lock, held shared while writing.
pub struct WriteLock {
    _file: File,
}

impl WriteLock {
    /// Takes the folder's lock; when no other writer is alive, first removes the leftovers of dead ones.
    /// Returns the lock and what was swept.
    pub fn acquire(dir: &Path) -> io::Result<(WriteLock, Vec<PathBuf>)> {
        let path = dir.join(LOCK_NAME);
        let file = open_lock_file(&path)?;
        let mut swept = Vec::new();
        if flock(&file, FlockOperation::NonBlockingLockExclusive).is_ok() {
            swept = sweep(dir);
            // Converting to shared lets other writers in; a sweep in between finds no file of ours yet.
            flock(&file, FlockOperation::LockShared)?;
        } else {
            let start = Instant::now();
            while let Err(e) = flock(&file, FlockOperation::NonBlockingLockShared) {
                if start.elapsed() > LOCK_WAIT {
                    return Err(io::Error::new(
                        io::ErrorKind::WouldBlock,
                        format!(
                            "{} stayed locked by another process for {} s ({e})",
                            path.display(),
                            LOCK_WAIT.as_secs()
                        ),
                    ));
                }
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        Ok((WriteLock { _file: file }, swept))
    }
}

fn open_lock_file(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600).custom_flags(
            (rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK).bits() as i32,
        );
    }
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::other(format!(
            "{} is {}, not a lock file",
            path.display(),
            FileKind::of(meta.file_type()).words()
        )));
    }
    Ok(file)
}

/// Removes every temporary file in the folder; only called with the folder's lock held exclusively.
fn sweep(dir: &Path) -> Vec<PathBuf> {
    let mut swept = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return swept;
    };
    for entry in entries.filter_map(Result::ok) {
        if !entry.file_name().to_str().is_some_and(is_temp_name) {
            continue;
        }
        let path = entry.path();
        if fs::remove_file(&path).is_ok() {
            info!(path = %path.display(), "removed a temporary file a killed writer left");
            swept.push(path);
        }
    }
    swept
}

/// A temporary file created owner-only and locked by this writer.
pub fn temp_file(dir: &Path, prefix: &str) -> io::Result<tempfile::NamedTempFile> {
    let temp = tempfile::Builder::new()
        .prefix(prefix)
        .suffix(".tmp")
        .tempfile_in(dir)?;
    trust::set_file_mode(temp.as_file(), 0o600)?;
    flock(temp.as_file(), FlockOperation::NonBlockingLockExclusive)?;
    Ok(temp)
}

/// Writes the cache file and `checksums.json` under the folder's write lock, after the trust checks, and
/// removes the other files built from the same archive. Nothing is written where the checks fail; the
/// error says why nothing could be written.
pub(super) fn persist(
    path: &Path,
    archive_sha256: [u8; 32],
    catalog: &Catalog,
    streamed: Option<Stream>,
    timings: &mut PhaseTimings,
) -> Result<(), Unusable> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let unwritable = |error: io::Error| Unusable::Unwritable {
        dir: dir.to_path_buf(),
        error: IoFailure::from(error),
    };
    trust::check_cache_dir(dir).map_err(Unusable::Untrusted)?;
    trust::create_private_dir(dir).map_err(unwritable)?;
    // Checked again once created: another user may have made them first.
    trust::check_cache_dir(dir).map_err(Unusable::Untrusted)?;
    if let Err(trust::OpenProblem::Untrusted(d)) = trust::open_regular(path) {
        return Err(Unusable::Untrusted(d));
    }
    let (_lock, _) = WriteLock::acquire(dir).map_err(unwritable)?;
    let ours = judge::built_from(&file::list_cache_files(dir), &archive_sha256);
    let finished = streamed.map(|stream| stream.finish(path, archive_sha256, catalog));
    let (header, written) = match finished {
        Some(Ok(done)) => done,
        Some(Err(error)) => {
            warn!(%error, "could not finish the streamed cache file; writing it whole");
            write(path, archive_sha256, catalog).map_err(unwritable)?
        }
        None => write(path, archive_sha256, catalog).map_err(unwritable)?,
    };
    timings.add(Phase::Encode, written.encode);
    let t = Instant::now();
    if let Err(e) = super::checksums::write(path, &header, catalog) {
        warn!(error = %e, "could not write checksums.json");
    }
    timings.add(Phase::Write, written.write + t.elapsed());
    // Any other file built from this archive is damaged or redundant now: it must not shadow this one.
    for other in ours.iter().filter(|p| p.as_path() != path) {
        if fs::remove_file(other).is_ok() {
            info!(path = %other.display(), "removed another cache file built from this archive");
        }
    }
    Ok(())
}

/// Writes the catalog's cache file atomically and returns its header. The caller holds the write lock.
pub fn write(
    path: &Path,
    archive_sha256: [u8; 32],
    catalog: &Catalog,
) -> io::Result<(Header, WriteTimings)> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let start = Instant::now();
    let mut temp = temp_file(dir, ".databases_")?;
    let body = Body::of(catalog);
    preallocate(temp.as_file(), HEADER_LEN as u64 + encoded_len(&body)?);
    temp.as_file_mut().write_all(&[0u8; HEADER_LEN])?;
    let mut sink = ChecksumWriter::new(BufWriter::with_capacity(1 << 16, temp.as_file_mut()));
    bincode::serde::encode_into_std_write(&body, &mut sink, wire::config()).map_err(encoding)?;
    let (payload_len, checksum, mut io_time, writer) = sink.finish();
    let t = Instant::now();
    writer
        .into_inner()
        .map_err(std::io::IntoInnerError::into_error)?;
    let header = Header::new(archive_sha256, payload_len, checksum);
    let file = temp.as_file_mut();
    file.seek(SeekFrom::Start(0))?;
    file.write_all(&header.to_bytes())?;
    temp.persist(path).map_err(|e| e.error)?;
    io_time += t.elapsed();
    let total = start.elapsed();
    let timings = WriteTimings {
        encode: total.saturating_sub(io_time),
        write: io_time,
    };
    Ok((header, timings))
}

/// The file system's own error when writing failed (a full disk stays a full disk), else what bincode says.
pub(super) fn encoding(e: bincode::error::EncodeError) -> io::Error {
    match e {
        bincode::error::EncodeError::Io { inner, .. } => inner,
        other => io::Error::other(format!("encoding the cache body: {other}")),
    }
}

/// The body's encoded length, found by encoding it into a counter: the sections are only lengths to it.
fn encoded_len(body: &Body<'_>) -> io::Result<u64> {
    let mut counter = ChecksumWriter::counting(io::sink());
    bincode::serde::encode_into_std_write(body, &mut counter, wire::config()).map_err(encoding)?;
    Ok(counter.len)
}

/// The encoded length and the checksum of a body, found by encoding it into the hasher alone.
pub(super) fn checksum(body: &Body<'_>) -> io::Result<(u64, u64)> {
    let mut hasher = ChecksumWriter::new(io::sink());
    bincode::serde::encode_into_std_write(body, &mut hasher, wire::config()).map_err(encoding)?;
    let (len, checksum, _, _) = hasher.finish();
    Ok((len, checksum))
}

/// Reserves the file's blocks up front: on ext4 that makes writing a new file about three times
/// faster than allocating it page by page.
fn preallocate(file: &File, len: u64) {
    preallocate_range(file, 0, len);
}

/// Reserves `len` bytes of the file's blocks from `offset` on. Only a hint, so a file system without it
/// is fine.
pub(super) fn preallocate_range(file: &File, offset: u64, len: u64) {
    #[cfg(target_os = "linux")]
    {
        let _ = rustix::fs::fallocate(file, rustix::fs::FallocateFlags::empty(), offset, len);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (file, offset, len);
}

/// Counts and checksums what passes through, and how long the underlying writes take.
struct ChecksumWriter<W> {
    inner: W,
    len: u64,
    /// `None` when only counting.
    hasher: Option<Box<Xxh3>>,
    io_time: Duration,
}

impl<W: Write> ChecksumWriter<W> {
    fn new(inner: W) -> Self {
        ChecksumWriter {
            inner,
            len: 0,
            hasher: Some(Box::new(Xxh3::new())),
            io_time: Duration::ZERO,
        }
    }

    fn counting(inner: W) -> Self {
        ChecksumWriter {
            hasher: None,
            ..ChecksumWriter::new(inner)
        }
    }

    fn finish(self) -> (u64, u64, Duration, W) {
        let checksum = self.hasher.map_or(0, |h| h.digest());
        (self.len, checksum, self.io_time, self.inner)
    }
}

impl<W: Write> Write for ChecksumWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let t = Instant::now();
        let n = self.inner.write(buf)?;
        self.io_time += t.elapsed();
        if let Some(hasher) = &mut self.hasher {
            hasher.update(&buf[..n]);
        }
        self.len += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

//! A cache file streamed out while the build runs: each database is written at its place in the body as
//! soon as it is indexed, into an unnamed file in the cache folder (`O_TMPFILE`), so that writing hides
//! behind the decompression instead of following it. Once the build is done, the rest of the body, the
//! database count and the header are written, and the file is given a temporary name and renamed into place
//! under the folder's write lock, as `write` does.
//!
//! The bytes are exactly those `write` gives with the databases in the order they were streamed (the reader
//! sorts them by name). An unnamed file leaves nothing behind when the build fails or the process is killed:
//! no temporary file and no lock, which are only taken once the file is complete.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[cfg(target_os = "linux")]
use rustix::fs::{AtFlags, CWD, Mode, OFlags};
use rustix::fs::{FlockOperation, flock};
use tracing::warn;

use super::header::{HEADER_LEN, Header};
use super::identity::lock;
use super::trust;
use super::wire::{self, Body};
use super::write::{self, WriteTimings};
use crate::catalog::{Catalog, Database, Sink};

/// The database count that opens the body (bincode's fixed-size length of a list).
const COUNT_LEN: u64 = 8;

/// An unnamed cache file being written one database at a time.
pub struct Stream {
    file: File,
    dir: PathBuf,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// The body's next free byte: after the count and the databases placed so far.
    next: u64,
    /// The databases placed, by name, in the order of their places.
    placed: Vec<String>,
    /// The first write that failed: the file is then given up, and written the ordinary way.
    failure: Option<io::Error>,
}

impl Stream {
    /// An unnamed, owner-only file in `dir`, locked by this writer; an error where the file system has no
    /// unnamed files (the ordinary write is then used).
    pub fn new(dir: &Path) -> io::Result<Stream> {
        let file = unnamed_file(dir)?;
        trust::set_file_mode(&file, 0o600)?;
        flock(&file, FlockOperation::NonBlockingLockExclusive)?;
        Ok(Stream {
            file,
            dir: dir.to_path_buf(),
            state: Mutex::new(State {
                next: COUNT_LEN,
                ..State::default()
            }),
        })
    }

    /// Reserves the database's place in the body, then writes it there (other databases may be written
    /// at the same time at their own places).
    fn place(&self, database: &Database) -> io::Result<()> {
        let mut counter = Counter(0);
        wire::encode_database(database, &mut counter).map_err(write::encoding)?;
        let len = counter.0;
        let at = {
            let mut state = lock(&self.state);
            if state.failure.is_some() {
                return Ok(());
            }
            let at = state.next;
            state.next += len;
            state.placed.push(database.name().to_string());
            at
        };
        let offset = HEADER_LEN as u64 + at;
        write::preallocate_range(&self.file, offset, len);
        let mut out = BufWriter::with_capacity(1 << 16, At::new(&self.file, offset));
        wire::encode_database(database, &mut out).map_err(write::encoding)?;
        let out = out
            .into_inner()
            .map_err(std::io::IntoInnerError::into_error)?;
        if out.offset != offset + len {
            return Err(io::Error::other(
                "a database's encoding changed length between two passes",
            ));
        }
        Ok(())
    }

    /// Writes the rest of the file for `catalog` (the build's result, whose databases must be those
    /// placed) and renames it into place as `path`. The caller holds the folder's write lock. Any error
    /// leaves nothing behind; the caller then writes the file the ordinary way.
    pub fn finish(
        self,
        path: &Path,
        archive_sha256: [u8; 32],
        catalog: &Catalog,
    ) -> io::Result<(Header, WriteTimings)> {
        let start = Instant::now();
        let state = std::mem::take(&mut *lock(&self.state));
        if let Some(failure) = state.failure {
            return Err(failure);
        }
        let order = order_of(&state.placed, catalog)?;
        let tail_at = HEADER_LEN as u64 + state.next;
        let mut out = BufWriter::with_capacity(1 << 16, At::new(&self.file, tail_at));
        wire::encode_tail(catalog, &mut out).map_err(write::encoding)?;
        let end = out
            .into_inner()
            .map_err(std::io::IntoInnerError::into_error)?
            .offset;
        self.file
            .write_all_at(&(order.len() as u64).to_le_bytes(), HEADER_LEN as u64)?;
        let t = Instant::now();
        let (payload_len, checksum) = write::checksum(&Body::of_ordered(catalog, &order))?;
        let encode = t.elapsed();
        if HEADER_LEN as u64 + payload_len != end {
            return Err(io::Error::other(
                "the streamed body is not the length of the catalog's",
            ));
        }
        let header = Header::new(archive_sha256, payload_len, checksum);
        self.file.write_all_at(&header.to_bytes(), 0)?;
        self.name_as(path)?;
        let timings = WriteTimings {
            encode,
            write: start.elapsed().saturating_sub(encode),
        };
        Ok((header, timings))
    }

    /// Links the unnamed file under a temporary name (a killed writer's leftover is swept like any other),
    /// then renames it into place.
    fn name_as(&self, path: &Path) -> io::Result<()> {
        let mut attempt = 0u32;
        let temp = loop {
            let temp = self.dir.join(temp_name(attempt));
            match link_unnamed(&self.file, &temp) {
                Ok(()) => break temp,
                Err(rustix::io::Errno::EXIST) if attempt < 16 => attempt += 1,
                Err(e) => return Err(e.into()),
            }
        };
        if let Err(e) = fs::rename(&temp, path) {
            if let Err(left) = fs::remove_file(&temp) {
                warn!(path = %temp.display(), error = %left, "could not remove a temporary file");
            }
            return Err(e);
        }
        Ok(())
    }
}

impl Sink for Stream {
    fn take(&self, database: &Database) {
        if let Err(error) = self.place(database) {
            warn!(%error, "could not stream the cache file; it is written once the build is done");
            lock(&self.state).failure.get_or_insert(error);
        }
    }
}

/// An unnamed file in `dir`, readable and writable by its owner alone.
#[cfg(target_os = "linux")]
fn unnamed_file(dir: &Path) -> io::Result<File> {
    let fd = rustix::fs::open(
        dir,
        OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o600),
    )?;
    Ok(File::from(fd))
}

/// Other systems have no unnamed files: the cache file is then written whole after the build.
#[cfg(not(target_os = "linux"))]
fn unnamed_file(_dir: &Path) -> io::Result<File> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "no unnamed files on this system",
    ))
}

/// Gives the unnamed file `file` the name `temp` (through its `/proc/self/fd` link, as `linkat` needs).
#[cfg(target_os = "linux")]
fn link_unnamed(file: &File, temp: &Path) -> rustix::io::Result<()> {
    let fd = format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(file));
    rustix::fs::linkat(CWD, fd.as_str(), CWD, temp, AtFlags::SYMLINK_FOLLOW)
}

/// Never reached: no unnamed file is made on other systems.
#[cfg(not(target_os = "linux"))]
fn link_unnamed(_file: &File, _temp: &Path) -> rustix::io::Result<()> {
    Err(rustix::io::Errno::NOSYS)
}

/// A temporary name that `write::is_temp_name` knows, unlikely to be taken.
fn temp_name(attempt: u32) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .subsec_nanos();
    format!(".databases_{}_{nanos:09}_{attempt}.tmp", std::process::id())
}

/// The catalog index of each database placed, in the order placed; an error unless every database of the
/// catalog was placed exactly once.
fn order_of(placed: &[String], catalog: &Catalog) -> io::Result<Vec<usize>> {
    let databases = catalog.databases();
    let mut seen = vec![false; databases.len()];
    let mut order = Vec::with_capacity(placed.len());
    for name in placed {
        let found = databases
            .binary_search_by(|d| d.name().cmp(name))
            .ok()
            .filter(|&i| !seen[i]);
        let Some(i) = found else {
            return Err(io::Error::other(format!(
                "database {name} was streamed but is not in the catalog once"
            )));
        };
        seen[i] = true;
        order.push(i);
    }
    if order.len() != databases.len() {
        return Err(io::Error::other("not every database was streamed"));
    }
    Ok(order)
}

/// Counts the bytes written to it.
struct Counter(u64);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Writes to a file from an offset on, without moving a shared cursor.
struct At<'a> {
    file: &'a File,
    offset: u64,
}

impl<'a> At<'a> {
    fn new(file: &'a File, offset: u64) -> Self {
        At { file, offset }
    }
}

impl Write for At<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write_at(buf, self.offset)?;
        self.offset += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::catalog::Limits;
    use crate::testkit::corpus::{self, CorpusSpec};

    fn catalog(seed: u64, databases: usize) -> Catalog {
        let spec = CorpusSpec {
            databases,
            rows: 40 * databases,
            long_field_every: 7,
            varied: true,
            seed,
            ..CorpusSpec::small()
        };
        let (catalog, _) = crate::catalog::build(&corpus::generate(&spec), &Limits::default())
            .expect("a generated corpus builds");
        catalog
    }

    fn payload(path: &Path) -> Vec<u8> {
        fs::read(path).expect("the file was written")[HEADER_LEN..].to_vec()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// Streamed in any order, the file holds the bytes the whole write gives for that order, and reads
        /// back as the catalog built.
        #[test]
        fn a_streamed_file_is_the_whole_write_in_streamed_order(
            seed in any::<u64>(),
            databases in 1usize..6,
            shuffle in any::<u64>(),
        ) {
            let catalog = catalog(seed, databases);
            let mut order: Vec<usize> = (0..catalog.len()).collect();
            // A cheap deterministic shuffle: the order the threads happened to finish in.
            order.sort_by_key(|&i| (i as u64 + 1).wrapping_mul(shuffle | 1).rotate_left(17));
            let dir = tempfile::tempdir().expect("a temporary folder");
            let streamed = dir.path().join("databases_streamed.bin");
            let stream = Stream::new(dir.path()).expect("an unnamed file");
            for &i in &order {
                stream.take(&catalog.databases()[i]);
            }
            let (header, _) = stream.finish(&streamed, [7; 32], &catalog).expect("finished");

            let (len, checksum) = write::checksum(&Body::of_ordered(&catalog, &order)).expect("encodes");
            prop_assert_eq!(header.payload_len, len);
            prop_assert_eq!(header.payload_checksum, checksum);
            let mut whole = Vec::new();
            bincode::serde::encode_into_std_write(
                Body::of_ordered(&catalog, &order),
                &mut whole,
                wire::config(),
            )
            .expect("encodes");
            prop_assert!(payload(&streamed) == whole, "the streamed bytes differ");

            let (read_header, read, _) = super::super::file::read(&streamed).expect("reads back");
            prop_assert_eq!(read_header.archive_sha256, [7; 32]);
            let difference = crate::catalog::compare::first_difference(&catalog, &read);
            prop_assert!(difference.is_none(), "{:?}", difference);
        }
    }

    #[test]
    fn in_catalog_order_the_stream_writes_what_the_whole_write_does() {
        let catalog = catalog(3, 4);
        let dir = tempfile::tempdir().expect("a temporary folder");
        let (streamed, whole) = (dir.path().join("a.bin"), dir.path().join("b.bin"));
        let stream = Stream::new(dir.path()).expect("an unnamed file");
        for database in catalog.databases() {
            stream.take(database);
        }
        let (header, _) = stream
            .finish(&streamed, [1; 32], &catalog)
            .expect("finished");
        let (whole_header, _) = write::write(&whole, [1; 32], &catalog).expect("written");
        assert_eq!(header.payload_checksum, whole_header.payload_checksum);
        assert!(payload(&streamed) == payload(&whole));
    }

    #[test]
    fn a_stream_given_up_leaves_nothing_behind() {
        let catalog = catalog(5, 3);
        let dir = tempfile::tempdir().expect("a temporary folder");
        let stream = Stream::new(dir.path()).expect("an unnamed file");
        stream.take(&catalog.databases()[0]);
        drop(stream);
        let left: Vec<_> = fs::read_dir(dir.path()).expect("listed").collect();
        assert!(left.is_empty(), "{left:?}");
    }

    #[test]
    fn a_database_missing_from_the_stream_is_refused_and_nothing_is_named() {
        let catalog = catalog(9, 3);
        let dir = tempfile::tempdir().expect("a temporary folder");
        let stream = Stream::new(dir.path()).expect("an unnamed file");
        stream.take(&catalog.databases()[0]);
        let path = dir.path().join("databases_x.bin");
        let error = stream
            .finish(&path, [0; 32], &catalog)
            .expect_err("two databases were never streamed");
        assert!(error.to_string().contains("not every database"), "{error}");
        let left: Vec<_> = fs::read_dir(dir.path()).expect("listed").collect();
        assert!(left.is_empty(), "{left:?}");
    }
}

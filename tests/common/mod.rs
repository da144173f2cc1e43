//! Helpers shared by the integration tests: archives built in memory, temporary data dirs, managers,
//! and a runner for the real binary.

#![allow(dead_code)]

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use backstore::cache::{ArchiveSource, CacheManager, ManagerOptions};
use backstore::catalog::{self, Catalog, Limits};
use flate2::Compression;
use flate2::write::GzEncoder;
use tar::{EntryType, Header};

/// One entry of a test archive.
#[derive(Debug, Clone)]
pub enum Entry {
    /// A regular file.
    File(String, Vec<u8>),
    /// A directory entry.
    Dir(String),
    /// A symbolic link to `target`.
    Symlink(String, String),
    /// A hard link to `target`.
    HardLink(String, String),
    /// A regular file whose name bytes are written straight into the header, bypassing the tar crate's
    /// path checks (for `../`, absolute paths, bytes that are not UTF-8).
    RawName(Vec<u8>, Vec<u8>),
    /// A regular file named by a GNU long-name entry in front of its header (any bytes, any length).
    GnuLongName(Vec<u8>, Vec<u8>),
    /// A FIFO.
    Fifo(String),
    /// A PAX local extended header (applies to the next entry).
    PaxLocal(Vec<(String, Vec<u8>)>),
    /// A PAX global extended header.
    PaxGlobal(Vec<(String, Vec<u8>)>),
}

pub fn file(path: &str, bytes: impl AsRef<[u8]>) -> Entry {
    Entry::File(path.to_string(), bytes.as_ref().to_vec())
}

/// The uncompressed tar of these entries, with its end-of-archive marker.
pub fn tar_bytes(entries: &[Entry]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for entry in entries {
        append(&mut builder, entry).expect("writing a tar to memory");
    }
    builder.into_inner().expect("finishing a tar in memory")
}

fn append(builder: &mut tar::Builder<Vec<u8>>, entry: &Entry) -> io::Result<()> {
    match entry {
        Entry::File(path, bytes) => {
            let mut header = regular(bytes.len());
            builder.append_data(&mut header, path, bytes.as_slice())
        }
        Entry::Dir(path) => {
            let mut header = Header::new_gnu();
            header.set_entry_type(EntryType::Directory);
            header.set_mode(0o755);
            header.set_size(0);
            builder.append_data(&mut header, path, io::empty())
        }
        Entry::Symlink(path, target) | Entry::HardLink(path, target) => {
            let mut header = Header::new_gnu();
            let kind = match entry {
                Entry::Symlink(..) => EntryType::Symlink,
                _ => EntryType::Link,
            };
            header.set_entry_type(kind);
            header.set_mode(0o644);
            header.set_size(0);
            header.set_link_name(target)?;
            builder.append_data(&mut header, path, io::empty())
        }
        Entry::RawName(name, bytes) => {
            let mut header = regular(bytes.len());
            assert!(name.len() <= 100, "raw names must fit the old header");
            header.as_old_mut().name[..name.len()].copy_from_slice(name);
            header.set_cksum();
            builder.append(&header, bytes.as_slice())
        }
        Entry::GnuLongName(name, bytes) => {
            append_gnu_long_name(builder, name)?;
            let mut header = regular(bytes.len());
            let shown = &name[..name.len().min(99)];
            header.as_old_mut().name[..shown.len()].copy_from_slice(shown);
            header.set_cksum();
            builder.append(&header, bytes.as_slice())
        }
        Entry::Fifo(path) => {
            let mut header = Header::new_gnu();
            header.set_entry_type(EntryType::Fifo);
            header.set_mode(0o644);
            header.set_size(0);
            builder.append_data(&mut header, path, io::empty())
        }
        Entry::PaxLocal(pairs) => {
            builder.append_pax_extensions(pairs.iter().map(|(k, v)| (k.as_str(), v.as_slice())))
        }
        Entry::PaxGlobal(pairs) => {
            let body = pax_body(pairs);
            let mut header = Header::new_ustar();
            header.set_entry_type(EntryType::XGlobalHeader);
            header.set_mode(0o644);
            header.set_size(body.len() as u64);
            header.set_path("pax_global_header")?;
            header.set_cksum();
            builder.append(&header, body.as_slice())
        }
    }
}

/// The `././@LongLink` entry that names the next one: the name's bytes and a NUL.
pub fn append_gnu_long_name(builder: &mut tar::Builder<Vec<u8>>, name: &[u8]) -> io::Result<()> {
    let mut header = Header::new_gnu();
    header.set_entry_type(EntryType::GNULongName);
    header.set_mode(0o644);
    header.set_size(name.len() as u64 + 1);
    header.as_old_mut().name[..13].copy_from_slice(b"././@LongLink");
    header.set_cksum();
    let mut data = name.to_vec();
    data.push(0);
    builder.append(&header, data.as_slice())
}

fn regular(size: usize) -> Header {
    let mut header = Header::new_gnu();
    header.set_entry_type(EntryType::Regular);
    header.set_mode(0o644);
    header.set_size(size as u64);
    header
}

/// PAX records: `<length> <key>=<value>\n`, where the length counts the whole record.
fn pax_body(pairs: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (key, value) in pairs {
        let rest = key.len() + value.len() + 3; // space, '=', newline
        let mut len = rest + 1;
        while len.to_string().len() + rest != len {
            len = len.to_string().len() + rest;
        }
        out.extend_from_slice(format!("{len} {key}=").as_bytes());
        out.extend_from_slice(value);
        out.push(b'\n');
    }
    out
}

/// Gzips any bytes.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).expect("gzip to memory");
    encoder.finish().expect("gzip to memory")
}

/// Gzips each piece of `bytes` between the cuts as a member of its own, back to back (what
/// `cat a.gz b.gz` makes).
pub fn gzip_members(bytes: &[u8], cuts: &[usize]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut start = 0;
    for &cut in cuts.iter().chain(std::iter::once(&bytes.len())) {
        out.extend_from_slice(&gzip(&bytes[start..cut]));
        start = cut;
    }
    out
}

/// A `.tar.gz` of these entries.
pub fn targz(entries: &[Entry]) -> Vec<u8> {
    gzip(&tar_bytes(entries))
}

/// A `.tar.gz` of regular files.
pub fn archive_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let entries: Vec<Entry> = files.iter().map(|(p, b)| file(p, b)).collect();
    targz(&entries)
}

/// A `.tar.gz` of CSV databases given as `(name, text)`, stored as `databases/<name>.csv`.
pub fn csv_archive(databases: &[(&str, &str)]) -> Vec<u8> {
    let entries: Vec<Entry> = databases
        .iter()
        .map(|(name, text)| file(&format!("databases/{name}.csv"), text))
        .collect();
    targz(&entries)
}

/// Builds a catalog from archive bytes with the default limits.
pub fn build(archive: &[u8]) -> Catalog {
    catalog::build(archive, &Limits::default())
        .expect("the test archive is valid")
        .0
}

/// Builds a catalog from CSV databases given as `(name, text)`.
pub fn build_csv(databases: &[(&str, &str)]) -> Catalog {
    build(&csv_archive(databases))
}

/// A temporary folder holding an archive and a data dir, removed when dropped.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        Sandbox {
            dir: tempfile::tempdir().expect("a temporary folder"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `<tmp>/databases.tar.gz`.
    pub fn archive_path(&self) -> PathBuf {
        self.path().join("databases.tar.gz")
    }

    /// `<tmp>/data` (not created: the manager creates it).
    pub fn data_dir(&self) -> PathBuf {
        self.path().join("data")
    }

    /// `<tmp>/data/cache`.
    pub fn cache_dir(&self) -> PathBuf {
        self.data_dir().join("cache")
    }

    /// Writes the archive file and returns its path.
    pub fn write_archive(&self, bytes: &[u8]) -> PathBuf {
        let path = self.archive_path();
        std::fs::write(&path, bytes).expect("writing the test archive");
        path
    }

    /// A manager over the sandbox's archive file and data dir.
    pub fn manager(&self) -> CacheManager {
        manager(&self.archive_path(), &self.data_dir())
    }

    /// Names of the files in the cache folder, sorted.
    pub fn cache_files(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.cache_dir()) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .filter_map(std::result::Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

/// A manager for an archive file and a data dir, with the default limits.
pub fn manager(archive: &Path, data_dir: &Path) -> CacheManager {
    CacheManager::new(ManagerOptions {
        source: ArchiveSource::Path(archive.to_path_buf()),
        data_dir: Some(data_dir.to_path_buf()),
        limits: Limits::default(),
    })
}

/// Runs the real binary with these arguments, stdin closed and `BACKSTORE_DATA_DIR` unset.
pub fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_backstore"))
        .args(args)
        .env_remove("BACKSTORE_DATA_DIR")
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .expect("running the backstore binary")
}

/// Like [`run`], with `--data-dir <data>` first.
pub fn run_in(data: &Path, args: &[&str]) -> Output {
    let data = data.to_str().expect("a UTF-8 temporary path");
    let mut all = vec!["--data-dir", data];
    all.extend_from_slice(args);
    run(&all)
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

/// The process's exit code (tests never expect a signal).
pub fn code(output: &Output) -> i32 {
    output.status.code().expect("the process exited normally")
}

/// Parses stdout as JSON.
pub fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            stdout(output),
            stderr(output)
        )
    })
}

/// Asserts a failed run printed exactly one clean line on stderr and exited with `expected`.
pub fn assert_one_line_error(output: &Output, expected: i32) -> String {
    let err = stderr(output);
    assert_eq!(
        code(output),
        expected,
        "exit code; stderr: {err}; stdout: {}",
        stdout(output)
    );
    assert_eq!(err.lines().count(), 1, "one line on stderr, got:\n{err}");
    assert!(!err.contains("panicked"), "no panic: {err}");
    assert!(!err.contains("backtrace"), "no backtrace: {err}");
    assert!(err.starts_with("backstore: "), "prefixed: {err}");
    err
}

/// The sorted keys of a JSON object.
pub fn keys(value: &serde_json::Value) -> Vec<String> {
    let mut keys: Vec<String> = value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .cloned()
        .collect();
    keys.sort();
    keys
}

/// Sorted owned strings, for comparing with [`keys`].
pub fn sorted(names: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = names.iter().map(std::string::ToString::to_string).collect();
    v.sort();
    v
}

/// A CSV fixture as written, without its final line break, with CRLF line ends, and both: every fixture
/// must mean the same in each. Line ends inside quoted fields are part of the field and stay as written.
pub fn variants(text: impl AsRef<[u8]>) -> Vec<(&'static str, Vec<u8>)> {
    let text = text.as_ref();
    let crlf = with_crlf(text);
    vec![
        ("as written", text.to_vec()),
        ("without its final newline", without_final_newline(text)),
        ("with CRLF", crlf.clone()),
        (
            "with CRLF, without its final newline",
            without_final_newline(&crlf),
        ),
    ]
}

/// Runs `test` on every variant of a fixture, naming the variant when it fails.
pub fn for_each_variant(text: impl AsRef<[u8]>, mut test: impl FnMut(&[u8])) {
    for (variant, bytes) in variants(text) {
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| test(&bytes)));
        if let Err(panic) = run {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| {
                    panic
                        .downcast_ref::<&str>()
                        .map(std::string::ToString::to_string)
                })
                .unwrap_or_default();
            panic!("fixture {variant}: {message}");
        }
    }
}

/// Whether each byte is inside a quoted field (quotes toggle; a doubled quote toggles twice).
fn quoted(text: &[u8]) -> Vec<bool> {
    let mut inside = false;
    text.iter()
        .map(|&b| {
            if b == b'"' {
                inside = !inside;
            }
            inside
        })
        .collect()
}

/// Every LF that ends a row (outside quotes, not already after a CR) becomes CRLF.
fn with_crlf(text: &[u8]) -> Vec<u8> {
    let inside = quoted(text);
    let mut out = Vec::with_capacity(text.len() + text.len() / 8);
    for (i, &b) in text.iter().enumerate() {
        if b == b'\n' && !inside[i] && (i == 0 || text[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

/// The fixture with the line breaks after its last row removed (unless they are inside a quoted field).
fn without_final_newline(text: &[u8]) -> Vec<u8> {
    let inside = quoted(text);
    let mut end = text.len();
    while end > 0 && matches!(text[end - 1], b'\r' | b'\n') && !inside[end - 1] {
        end -= 1;
    }
    text[..end].to_vec()
}

//! The sources a developer edits, as an archive: a folder of CSV files, or one CSV file, packed in memory
//! into the uncompressed tar the archive reader reads, so the same rules, limits and hashes apply.
//!
//! Packing is deterministic (entries in name order, fixed owners, modes and times), so the same files always
//! give the same bytes and the same SHA-256, wherever they are and whatever their modification times. Only
//! what can be a database is read: a folder and its subfolders, one level down, are walked; links, special
//! files, hidden folders and deeper folders are packed as empty entries of their kind, which the reader then
//! lists as skipped with their reason; other files are packed without their contents.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use tar::{Builder, EntryType, Header};

/// What a path holds, for the manager to read it the right way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// A `.tar.gz` or `.tar` file.
    Archive,
    /// A folder of CSV files (`<name>.csv` and `<folder>/<name>.csv`).
    Folder,
    /// One `.csv` file: an archive of one database.
    Csv,
}

impl SourceKind {
    /// What `path` is; an error for anything but a regular file or a folder (a FIFO would block).
    pub fn of(path: &Path) -> io::Result<SourceKind> {
        let meta = fs::metadata(path)?;
        if meta.is_dir() {
            Ok(SourceKind::Folder)
        } else if !meta.is_file() {
            Err(io::Error::other(
                "not a regular file or a folder (a FIFO, socket or device is never read)",
            ))
        } else if has_csv_extension(path) {
            Ok(SourceKind::Csv)
        } else {
            Ok(SourceKind::Archive)
        }
    }
}

fn has_csv_extension(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
}

/// One file of a source as it was seen: its path, size and modification time.
pub type Seen = (PathBuf, u64, Option<std::time::SystemTime>);

/// The files a source is made of, with their sizes and modification times: what changes when the source
/// is edited, cheaply read. A folder's own entry counts too, since adding or removing a file changes it.
pub fn stamp(path: &Path) -> io::Result<Vec<Seen>> {
    let mut seen = vec![seen(path, &fs::metadata(path)?)];
    if fs::metadata(path)?.is_dir() {
        for entry in walk(path)? {
            if let Some(meta) = &entry.meta {
                seen.push(self::seen(&entry.path, meta));
            }
        }
    }
    Ok(seen)
}

fn seen(path: &Path, meta: &fs::Metadata) -> Seen {
    (path.to_path_buf(), meta.len(), meta.modified().ok())
}

/// Reads a regular file whole, refusing anything else without blocking on it.
pub fn read_regular(path: &Path) -> io::Result<Vec<u8>> {
    let (mut file, len) = open_regular(path)?;
    let mut bytes = Vec::with_capacity(len as usize);
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Opens a regular file for reading, with its size, refusing anything else without blocking on it.
pub fn open_regular(path: &Path) -> io::Result<(File, u64)> {
    let file = open_nonblocking(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::other(
            "not a regular file (a FIFO, socket or device is never read)",
        ));
    }
    Ok((file, meta.len()))
}

/// The SHA-256 and length of a regular file, read a piece at a time (the same refusals as
/// [`read_regular`]).
pub fn hash_regular(path: &Path) -> io::Result<([u8; 32], u64)> {
    use sha2::{Digest, Sha256};
    let (mut file, _) = open_regular(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 18];
    let mut len = 0u64;
    loop {
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                hasher.update(&buf[..n]);
                len += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok((hasher.finalize().into(), len))
}

fn open_nonblocking(path: &Path) -> io::Result<File> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc_nonblock());
    options.open(path)
}

/// `O_NONBLOCK`, so that opening a FIFO returns at once instead of waiting for a writer.
#[cfg(unix)]
fn libc_nonblock() -> i32 {
    rustix::fs::OFlags::NONBLOCK.bits() as i32
}

/// A one-entry tar of a CSV file, named as the file is.
pub fn pack_csv(path: &Path) -> io::Result<Vec<u8>> {
    let bytes = read_regular(path)?;
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::other("names no file"))?;
    let mut tar = Builder::new(Vec::new());
    append(&mut tar, EntryType::Regular, Path::new(name), &bytes)?;
    tar.into_inner()
}

/// A tar of a folder's CSV files and everything else it holds (see the module's docs).
pub fn pack_folder(path: &Path) -> io::Result<Vec<u8>> {
    let mut tar = Builder::new(Vec::new());
    for entry in walk(path)? {
        match entry.kind {
            EntryType::Regular if has_csv_extension(&entry.path) => {
                let bytes = read_regular(&entry.path).map_err(|e| named(&entry.path, e))?;
                append(&mut tar, EntryType::Regular, &entry.name, &bytes)?;
            }
            kind => append(&mut tar, kind, &entry.name, &[])?,
        }
    }
    tar.into_inner()
}

fn named(path: &Path, error: io::Error) -> io::Error {
    io::Error::new(error.kind(), format!("{}: {error}", path.display()))
}

/// One thing found in a folder.
struct Found {
    /// Its path on disk.
    path: PathBuf,
    /// Its name relative to the folder: what the archive entry is called.
    name: PathBuf,
    kind: EntryType,
    /// Its metadata (of the link itself, for a link).
    meta: Option<fs::Metadata>,
}

/// The folder's entries and those of its visible subfolders, in name order.
fn walk(root: &Path) -> io::Result<Vec<Found>> {
    let mut found = Vec::new();
    for (path, name) in sorted_entries(root, Path::new(""))? {
        let meta = fs::symlink_metadata(&path)?;
        let kind = kind_of(&meta);
        let descend = kind == EntryType::Directory && !is_hidden(&name);
        found.push(Found {
            path: path.clone(),
            name: name.clone(),
            kind,
            meta: Some(meta),
        });
        if descend {
            for (path, name) in sorted_entries(&path, &name)? {
                let meta = fs::symlink_metadata(&path)?;
                found.push(Found {
                    kind: kind_of(&meta),
                    path,
                    name,
                    meta: Some(meta),
                });
            }
        }
    }
    Ok(found)
}

fn sorted_entries(dir: &Path, prefix: &Path) -> io::Result<Vec<(PathBuf, PathBuf)>> {
    let mut entries = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| named(dir, e))? {
        let entry = entry?;
        entries.push((entry.path(), prefix.join(entry.file_name())));
    }
    entries.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(entries)
}

fn is_hidden(name: &Path) -> bool {
    name.file_name()
        .is_some_and(|n| n.as_encoded_bytes().starts_with(b"."))
}

fn kind_of(meta: &fs::Metadata) -> EntryType {
    let kind = meta.file_type();
    if kind.is_symlink() {
        EntryType::Symlink
    } else if kind.is_dir() {
        EntryType::Directory
    } else if kind.is_file() {
        EntryType::Regular
    } else {
        EntryType::Fifo
    }
}

fn append(
    tar: &mut Builder<Vec<u8>>,
    kind: EntryType,
    name: &Path,
    bytes: &[u8],
) -> io::Result<()> {
    let mut header = Header::new_gnu();
    header.set_entry_type(kind);
    header.set_size(bytes.len() as u64);
    header.set_mode(if kind == EntryType::Directory {
        0o755
    } else {
        0o644
    });
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(0);
    if kind == EntryType::Symlink {
        // The target is never followed, so it need not be recorded.
        header.set_link_name("link")?;
    }
    tar.append_data(&mut header, name, bytes)
}

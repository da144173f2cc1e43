//! The trust boundary, drawn as ssh and git's safe.directory draw theirs: the data dir, `cache/` and every
//! file read from it must be owned by the current user and not writable by group or others, or nothing there
//! is read or written. Files are opened so that nothing can block or redirect the open (no FIFO, device or
//! symlink), and folders and files are created owner-only whatever the umask.

use std::fs::{self, File, Metadata, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use super::problem::{Distrust, FileKind, IoFailure, Unusable};

/// The effective user id the checks compare owners with.
#[cfg(unix)]
pub fn current_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// Owner and write bits of something at `path` whose metadata is `meta`.
fn check_owner_and_mode(path: &Path, meta: &Metadata) -> Result<(), Distrust> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let you = current_uid();
        if meta.uid() != you {
            return Err(Distrust::Owner {
                path: path.to_path_buf(),
                owner: meta.uid(),
                you,
            });
        }
        let mode = meta.mode() & 0o7777;
        if mode & 0o022 != 0 {
            return Err(Distrust::Writable {
                path: path.to_path_buf(),
                mode,
            });
        }
    }
    Ok(())
}

/// Checks a folder the cache reads from or writes into. A folder that does not exist yet is fine (it will
/// be created owner-only), and so is a path that cannot be a folder at all (nothing can be read from it, and
/// writing there fails with its own error). Symbolic links to the folder are followed, as git does.
pub fn check_dir(path: &Path) -> Result<(), Distrust> {
    match fs::metadata(path) {
        Ok(meta) if meta.is_dir() => check_owner_and_mode(path, &meta),
        _ => Ok(()),
    }
}

/// Checks a `cache/` folder and the data dir it is in.
pub fn check_cache_dir(cache_dir: &Path) -> Result<(), Distrust> {
    check_dir(cache_dir.parent().unwrap_or(cache_dir))?;
    check_dir(cache_dir)
}

/// Why a file could not be opened for reading.
#[derive(Debug)]
pub enum OpenProblem {
    /// Nothing at that path.
    Missing,
    /// Something other than a regular file (a FIFO, a device, a directory, a symlink).
    NotRegular(FileKind),
    /// A regular file that the trust rules refuse (owner or mode).
    Untrusted(Distrust),
    /// The system refused to open or inspect it.
    Io(io::Error),
}

/// Opens a file for reading only if it is a regular file we own and only we can write: never follows a
/// symlink, never blocks (a FIFO is refused, not waited on), and checks the type of what was opened.
pub fn open_regular(path: &Path) -> Result<(File, Metadata), OpenProblem> {
    // Looked at first, so a device is never even opened (opening some has side effects).
    match fs::symlink_metadata(path) {
        Ok(meta) if !meta.is_file() => {
            return Err(OpenProblem::NotRegular(FileKind::of(meta.file_type())));
        }
        Ok(_) => {}
        Err(e) => return Err(missing_or(e)),
    }
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc_flags::NOFOLLOW | libc_flags::NONBLOCK | libc_flags::NOCTTY);
    }
    let file = options.open(path).map_err(|e| {
        if e.raw_os_error() == Some(libc_flags::ELOOP) {
            OpenProblem::NotRegular(FileKind::Symlink)
        } else {
            missing_or(e)
        }
    })?;
    // What was opened is what counts: the path may have changed since it was looked at.
    let meta = file.metadata().map_err(OpenProblem::Io)?;
    if !meta.is_file() {
        return Err(OpenProblem::NotRegular(FileKind::of(meta.file_type())));
    }
    check_owner_and_mode(path, &meta).map_err(OpenProblem::Untrusted)?;
    Ok((file, meta))
}

fn missing_or(e: io::Error) -> OpenProblem {
    match e.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory => OpenProblem::Missing,
        _ => OpenProblem::Io(e),
    }
}

/// The open(2) flags used above, from rustix so that no libc dependency is needed outside glibc.
mod libc_flags {
    pub const NOFOLLOW: i32 = rustix::fs::OFlags::NOFOLLOW.bits() as i32;
    pub const NONBLOCK: i32 = rustix::fs::OFlags::NONBLOCK.bits() as i32;
    pub const NOCTTY: i32 = rustix::fs::OFlags::NOCTTY.bits() as i32;
    pub const ELOOP: i32 = rustix::io::Errno::LOOP.raw_os_error();
}

/// Creates a folder and any missing parents owner-only (0700), whatever the umask; an existing folder is
/// left as it is (the trust checks judge it).
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut missing: Vec<PathBuf> = Vec::new();
    let mut at = Some(dir);
    while let Some(path) = at {
        if path.as_os_str().is_empty() || fs::symlink_metadata(path).is_ok() {
            break;
        }
        missing.push(path.to_path_buf());
        at = path.parent();
    }
    for path in missing.iter().rev() {
        let mut builder = fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        match builder.create(path) {
            Ok(()) => set_mode(path, 0o700)?,
            // Another process created it meanwhile: judged like any existing folder.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    if !fs::metadata(dir)?.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotADirectory,
            format!("{} is not a directory", dir.display()),
        ));
    }
    Ok(())
}

/// Sets the permission bits of a path (the umask does not apply to chmod).
pub fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = (path, mode);
        Ok(())
    }
}

/// Sets the permission bits of an open file.
pub fn set_file_mode(file: &File, mode: u32) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(fs::Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = (file, mode);
        Ok(())
    }
}

/// Whether a data dir could be written: the folder itself, or else its nearest existing parent, is a
/// folder this process may write into. Asks the system (access(2)), writing nothing.
pub fn writable(dir: &Path) -> Result<(), Unusable> {
    let mut at = Some(dir);
    while let Some(path) = at {
        match fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                return rustix::fs::access(
                    path,
                    rustix::fs::Access::WRITE_OK | rustix::fs::Access::EXEC_OK,
                )
                .map_err(|e| Unusable::Unwritable {
                    dir: dir.to_path_buf(),
                    error: IoFailure::from(io::Error::from(e)),
                });
            }
            Ok(_) => {
                return Err(Unusable::Unwritable {
                    dir: dir.to_path_buf(),
                    error: io::Error::from(io::ErrorKind::NotADirectory).into(),
                });
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => at = path.parent(),
            Err(e) => {
                return Err(Unusable::Unwritable {
                    dir: dir.to_path_buf(),
                    error: e.into(),
                });
            }
        }
    }
    Ok(())
}

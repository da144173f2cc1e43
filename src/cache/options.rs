//! Where a manager reads its archive and keeps its cache, and the limits it applies.

use std::path::{Path, PathBuf};

use crate::catalog::Limits;

/// Where the archive comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArchiveSource {
    /// An archive held in memory, usually an application's own `include_bytes!`. Its SHA-256 is computed
    /// once per process.
    Bytes(&'static [u8]),
    /// An archive in memory whose SHA-256 is already known, computed at build time with
    /// [`crate::embed::hash_at_build_time`]: a warm start hashes nothing. A cold build checks the hash
    /// against the bytes and refuses a mismatch.
    Prehashed {
        /// The archive's bytes.
        bytes: &'static [u8],
        /// Their SHA-256, as [`crate::embed::hash_at_build_time`] computed it.
        sha256: [u8; 32],
    },
    /// A file: a `.tar.gz`, a plain `.tar`, or one `.csv` (an archive of one database); or a folder of CSV
    /// files (`<name>.csv`, `<folder>/<name>.csv`), packed in memory in name order under the same rules.
    Path(PathBuf),
}

impl ArchiveSource {
    /// An archive in memory with its build-time SHA-256.
    pub const fn prehashed(bytes: &'static [u8], sha256: [u8; 32]) -> Self {
        ArchiveSource::Prehashed { bytes, sha256 }
    }

    /// backstore's own demo data, compiled into the binary with its hash.
    #[cfg(feature = "demo")]
    pub const fn demo() -> Self {
        ArchiveSource::prehashed(crate::embedded::ARCHIVE, crate::embedded::SHA256)
    }

    /// `embedded` for an archive in memory, else the path given.
    pub fn label(&self) -> String {
        match self {
            ArchiveSource::Bytes(_) | ArchiveSource::Prehashed { .. } => "embedded".to_string(),
            ArchiveSource::Path(p) => p.display().to_string(),
        }
    }

    /// Whether the archive is held in memory rather than read from a path.
    pub fn is_in_memory(&self) -> bool {
        !matches!(self, ArchiveSource::Path(_))
    }
}

/// How to build a manager: `ManagerOptions::for_app("myapp").source(..)`, or the fields set directly.
#[derive(Debug, Clone)]
pub struct ManagerOptions {
    /// Where the archive comes from.
    pub source: ArchiveSource,
    /// The data dir; the cache lives in its `cache/` folder. `None` keeps everything in memory.
    pub data_dir: Option<PathBuf>,
    /// How much an archive may expand to and how much it may index.
    pub limits: Limits,
}

impl ManagerOptions {
    /// An application's options: its platform data dir (e.g. `~/.local/share/<app>` on Linux, from the
    /// `directories` crate) and the default limits. The source starts as backstore's demo data where the
    /// `demo` feature is on and as an empty archive otherwise: set it with [`ManagerOptions::source`].
    pub fn for_app(app: &str) -> Self {
        ManagerOptions {
            source: default_source(),
            data_dir: app_data_dir(app),
            limits: Limits::default(),
        }
    }

    /// Reads this archive.
    pub fn source(mut self, source: ArchiveSource) -> Self {
        self.source = source;
        self
    }

    /// Keeps the cache in this folder's `cache/` instead of the platform data dir.
    pub fn data_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.data_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Keeps everything in memory: no cache is read or written.
    pub fn in_memory(mut self) -> Self {
        self.data_dir = None;
        self
    }

    /// Applies these limits to the archive.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }
}

#[cfg(feature = "demo")]
fn default_source() -> ArchiveSource {
    ArchiveSource::demo()
}

#[cfg(not(feature = "demo"))]
fn default_source() -> ArchiveSource {
    ArchiveSource::Bytes(&[])
}

#[cfg(feature = "demo")]
impl Default for ManagerOptions {
    /// backstore's demo data and backstore's own data dir.
    fn default() -> Self {
        ManagerOptions {
            source: ArchiveSource::demo(),
            data_dir: default_data_dir(),
            limits: Limits::default(),
        }
    }
}

/// The platform data directory of an application (`directories` crate).
pub fn app_data_dir(app: &str) -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", app).map(|d| d.data_dir().to_path_buf())
}

/// `BACKSTORE_DATA_DIR`, else backstore's platform data directory: where the demo data's cache lives.
pub fn default_data_dir() -> Option<PathBuf> {
    default_data_dir_for(&default_source())
}

/// The data dir the `backstore` command gives an archive when none is named: `BACKSTORE_DATA_DIR` when set
/// (for every archive); else backstore's platform data directory for an archive in memory, and for an
/// archive at a path a folder of its own below it, `archives/<name>-<hash of its canonical path>`, so that
/// two archives never rebuild each other's cache.
pub fn default_data_dir_for(source: &ArchiveSource) -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("BACKSTORE_DATA_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    let base = app_data_dir("backstore")?;
    match source {
        ArchiveSource::Bytes(_) | ArchiveSource::Prehashed { .. } => Some(base),
        ArchiveSource::Path(path) => Some(base.join("archives").join(archive_key(path))),
    }
}

/// `<file name, made safe>-<16 hex digits of the SHA-256 of the canonical path>`.
fn archive_key(path: &Path) -> String {
    let canonical = std::fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_path_buf());
    let name: String = canonical
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(40)
        .collect();
    let digest = crate::catalog::archive::sha256(canonical.as_os_str().as_encoded_bytes());
    format!("{name}-{}", &crate::hex::encode(&digest)[..16])
}

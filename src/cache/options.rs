//! Where a manager reads its archive and keeps its cache, and the limits it applies.

use std::path::PathBuf;

use crate::catalog::Limits;

/// Where the archive comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArchiveSource {
    /// The archive compiled into the binary; its hash is computed at compile time.
    Embedded,
    Path(PathBuf),
}

impl ArchiveSource {
    pub fn label(&self) -> String {
        match self {
            ArchiveSource::Embedded => "embedded".to_string(),
            ArchiveSource::Path(p) => p.display().to_string(),
        }
    }
}

/// How to build a manager.
#[derive(Debug, Clone)]
pub struct ManagerOptions {
    pub source: ArchiveSource,
    /// The data dir; the cache lives in its `cache/` folder. `None` keeps everything in memory.
    pub data_dir: Option<PathBuf>,
    pub limits: Limits,
}

impl Default for ManagerOptions {
    /// The embedded archive and the default data dir.
    fn default() -> Self {
        ManagerOptions {
            source: ArchiveSource::Embedded,
            data_dir: default_data_dir(),
            limits: Limits::default(),
        }
    }
}

/// `BACKSTORE_DATA_DIR`, else the platform's data directory for this program.
pub fn default_data_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("BACKSTORE_DATA_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("", "", "backstore").map(|d| d.data_dir().to_path_buf())
}

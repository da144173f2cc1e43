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

/// `BACKSTORE_DATA_DIR`, else the platform's data directory for this program: the embedded archive's.
pub fn default_data_dir() -> Option<PathBuf> {
    default_data_dir_for(&ArchiveSource::Embedded)
}

/// The data dir an archive gets when none is named: `BACKSTORE_DATA_DIR` when set (for every archive);
/// else the platform data directory for the embedded archive, and for an archive file a folder of its own
/// below it, `archives/<name>-<hash of its canonical path>`, so that two archives never rebuild each
/// other's cache.
pub fn default_data_dir_for(source: &ArchiveSource) -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("BACKSTORE_DATA_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    let base = directories::ProjectDirs::from("", "", "backstore")?
        .data_dir()
        .to_path_buf();
    match source {
        ArchiveSource::Embedded => Some(base),
        ArchiveSource::Path(path) => Some(base.join("archives").join(archive_key(path))),
    }
}

/// `<file name, made safe>-<16 hex digits of the SHA-256 of the canonical path>`.
fn archive_key(path: &std::path::Path) -> String {
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

//! The versioned binary backing store: the cache file format and the manager that decides when to use it.

pub(crate) mod checksums;
pub mod file;
pub mod header;
mod identity;
mod judge;
pub mod manager;
pub mod options;
pub mod report;
pub(crate) mod wire;

pub use manager::{CacheManager, Loaded, embedded};
pub use options::{ArchiveSource, ManagerOptions, default_data_dir};
pub use report::{
    ArchiveInfo, BuildReason, CacheFileInfo, CacheState, CacheStatus, Change, ChangeKind,
    LoadReport, OtherCacheFile, Outcome, Phase, PhaseTimings,
};

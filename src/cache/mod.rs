//! The versioned binary backing store: the cache file format and the manager that decides when to use it.

pub(crate) mod checksums;
pub mod file;
pub mod header;
pub mod manager;
pub mod report;
pub(crate) mod wire;

pub use manager::{
    ArchiveSource, CacheManager, Loaded, ManagerOptions, default_data_dir, embedded,
};
pub use report::{
    ArchiveInfo, BuildReason, CacheFileInfo, CacheState, CacheStatus, Change, ChangeKind,
    LoadReport, OtherCacheFile, Outcome, Phase, PhaseTimings,
};

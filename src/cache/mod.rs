//! The versioned binary backing store: the cache file format and the manager that decides when to use it.

pub(crate) mod checksums;
mod clock;
pub mod file;
pub mod header;
mod identity;
mod judge;
pub mod manager;
mod map;
pub mod options;
pub mod problem;
pub mod report;
mod status;
pub mod trust;
pub mod validate;
pub(crate) mod wire;
pub mod write;
mod write_stream;

#[cfg(feature = "demo")]
pub use manager::embedded;
pub use manager::{CacheManager, Loaded};
pub use options::{
    ArchiveSource, ManagerOptions, app_data_dir, default_data_dir, default_data_dir_for,
};
pub use problem::{BodyProblem, Corruption, Distrust, FileKind, IoFailure, Unusable};
pub use report::{
    ArchiveInfo, BuildReason, CacheFileInfo, CacheState, CacheStatus, Change, ChangeKind, Depth,
    LoadReport, OtherCacheFile, Outcome, Phase, PhaseTimings, TempFileInfo,
};

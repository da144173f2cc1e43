//! backstore: a versioned binary backing store for an archive of CSV databases.
//!
//! [`catalog`] turns a `databases.tar.gz` into an index per database (records, key lookup, columns,
//! version); [`cache`] keeps that index in `<data dir>/cache/databases_<version>.bin` and decides, through
//! [`CacheManager`], when the file can be loaded instead of parsing CSV. The library knows nothing of
//! terminals: the command line and the inspector are built on top of it.
//!
//! ```
//! use backstore::cache::{ArchiveSource, CacheManager, ManagerOptions};
//!
//! // The embedded archive, kept in memory only (no data dir): nothing is written.
//! let manager = CacheManager::new(ManagerOptions {
//!     source: ArchiveSource::Embedded,
//!     data_dir: None,
//!     limits: Default::default(),
//! });
//! let loaded = manager.load_or_build()?;
//! let colours = loaded.catalog.get("colours").expect("the embedded data has colours");
//! let teal = colours.lookup("Teal").expect("Teal is a colour");
//! assert_eq!(teal.value(1), Some("#008080"));
//! # Ok::<(), backstore::Error>(())
//! ```

pub mod cache;
pub mod catalog;
#[cfg(feature = "cli")]
pub mod cli;
pub mod embedded;
pub mod error;
pub mod hex;
pub mod insight;
pub mod record;
pub mod search;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod timing;
#[cfg(feature = "inspector")]
pub mod tui;
pub mod units;

pub use cache::{CacheManager, CacheState, CacheStatus, LoadReport, ManagerOptions};
pub use catalog::{Catalog, Database, Limits, Record};
pub use error::{ArchiveError, Error};
pub use record::RecordData;

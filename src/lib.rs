//! backstore: a versioned binary backing store for an archive of CSV databases.
//!
//! [`catalog`] turns a `databases.tar.gz` into an index per database (records, key lookup, columns,
//! version); [`cache`] keeps that index in `<data dir>/cache/databases_<version>.bin` and decides, through
//! [`CacheManager`], when the file can be loaded instead of parsing CSV. The library knows nothing of
//! terminals: the command line and the inspector are built on top of it.
//!
//! An application embeds its own archive and reads it through a [`CacheManager`]:
//!
//! ```
//! use backstore::{ArchiveSource, CacheManager, ManagerOptions};
//!
//! static ARCHIVE: &[u8] = include_bytes!("../assets/databases.tar.gz");
//!
//! #[derive(serde::Deserialize)]
//! struct Colour { colour: String, hex: String, description: Option<String> }
//!
//! let manager = CacheManager::new(
//!     ManagerOptions::for_app("myapp")            // the platform data dir of "myapp"
//!         .source(ArchiveSource::Bytes(ARCHIVE))  // the application's own embedded archive
//! #       .in_memory()
//! );
//! let loaded = manager.load_or_build()?;         // loaded.report says what happened and why
//! let colours = loaded.catalog.get("colours").unwrap();
//! let teal = colours.lookup("Teal").unwrap();
//! assert_eq!(teal.get("hex"), Some("#008080"));  // by column name; `None` for a missing field
//! let all: Vec<Colour> = colours.deserialize::<Colour>().collect::<Result<_, _>>()?;
//! # assert!(all.iter().any(|c| c.hex == "#008080" && c.description.is_some()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`embed::hash_at_build_time`] hashes the archive in a build script, so that a warm start hashes nothing
//! ([`ArchiveSource::prehashed`]); `examples/app` is a whole application doing so. With
//! `default-features = false` the library builds without the command line, the inspector and backstore's
//! demo data.

#![warn(missing_docs)]

pub mod cache;
pub mod catalog;
#[cfg(feature = "cli")]
#[allow(missing_docs)] // the binary's own code, public so that its tests can drive it
pub mod cli;
pub mod embed;
#[cfg(feature = "demo")]
pub mod embedded;
pub mod error;
pub mod hex;
pub mod insight;
pub mod record;
pub mod search;
#[cfg(feature = "testkit")]
#[allow(missing_docs)] // test support, never part of an application's API
pub mod testkit;
pub mod timing;
#[cfg(feature = "inspector")]
#[allow(missing_docs)] // the binary's own code, public so that its tests can drive it
pub mod tui;
pub mod units;

pub use cache::{
    ArchiveSource, CacheManager, CacheState, CacheStatus, LoadReport, Loaded, ManagerOptions,
};
pub use catalog::{Catalog, Database, DeserializeError, Limits, Record};
pub use error::{ArchiveError, Error};
pub use record::RecordData;

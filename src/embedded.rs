//! The default archive compiled into the binary, and its SHA-256 computed at build time.

/// `assets/databases.tar.gz`, as it was when this binary was built.
pub static ARCHIVE: &[u8] = include_bytes!("../assets/databases.tar.gz");

/// SHA-256 of [`ARCHIVE`].
pub const SHA256: [u8; 32] = include!(concat!(env!("OUT_DIR"), "/embedded_sha256.rs"));

//! For an application's build script: hash the archive it embeds at compile time, so that a warm start
//! never spends time hashing it.
//!
//! In `build.rs` (with `backstore` also under `[build-dependencies]`, `default-features = false`):
//!
//! ```no_run
//! // build.rs, in its fn main:
//! backstore::embed::hash_at_build_time("data/databases.tar.gz").expect("hashing the archive");
//! ```
//!
//! and beside the `include_bytes!`:
//!
//! ```text
//! static ARCHIVE: &[u8] = include_bytes!("../data/databases.tar.gz");
//! const ARCHIVE_SHA256: [u8; 32] = include!(concat!(env!("OUT_DIR"), "/databases.tar.gz.sha256"));
//! let source = backstore::ArchiveSource::prehashed(ARCHIVE, ARCHIVE_SHA256);
//! ```

use std::io;
use std::path::{Path, PathBuf};

use crate::catalog::archive::sha256;

/// Hashes the archive at `path` and writes `$OUT_DIR/<file name>.sha256`, an array literal for
/// `include!`; tells cargo to run the build script again when the archive changes. Returns the path
/// written.
pub fn hash_at_build_time(path: impl AsRef<Path>) -> io::Result<PathBuf> {
    let path = path.as_ref();
    let out_dir = std::env::var_os("OUT_DIR")
        .map(PathBuf::from)
        .ok_or_else(|| io::Error::other("OUT_DIR is not set: call this from a build script"))?;
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::other(format!("{} names no file", path.display())))?;
    let bytes = std::fs::read(path)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    let mut out = out_dir.join(name);
    out.as_mut_os_string().push(".sha256");
    std::fs::write(&out, array_literal(&sha256(&bytes)))?;
    println!("cargo:rerun-if-changed={}", path.display());
    Ok(out)
}

/// `[0x12, 0xab, ...]`: what `include!` reads back as a `[u8; 32]`.
fn array_literal(digest: &[u8; 32]) -> String {
    let bytes: Vec<String> = digest.iter().map(|b| format!("{b:#04x}")).collect();
    format!("[{}]", bytes.join(", "))
}

#[cfg(test)]
mod tests {
    use super::array_literal;

    #[test]
    fn the_literal_is_an_array_of_32_bytes() {
        let mut digest = [0u8; 32];
        digest[0] = 0xab;
        digest[31] = 7;
        let text = array_literal(&digest);
        assert!(text.starts_with("[0xab, 0x00,"), "{text}");
        assert!(text.ends_with(", 0x07]"), "{text}");
        assert_eq!(text.matches("0x").count(), 32);
    }
}

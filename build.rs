//! Hashes the embedded archive at compile time, so a warm start never spends time hashing it.

use std::{env, fs, path::Path};

use sha2::{Digest, Sha256};

fn main() {
    let archive = "assets/databases.tar.gz";
    println!("cargo:rerun-if-changed={archive}");
    let bytes = fs::read(archive).expect("assets/databases.tar.gz is part of the source tree");
    let digest: [u8; 32] = Sha256::digest(&bytes).into();
    let out =
        Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("embedded_sha256.rs");
    fs::write(out, format!("{digest:?}")).expect("OUT_DIR is writable");
}

//! Hashes the embedded archive at compile time, so a warm start never hashes it.

fn main() {
    backstore::embed::hash_at_build_time("data/databases.tar.gz").expect("hashing the archive");
}

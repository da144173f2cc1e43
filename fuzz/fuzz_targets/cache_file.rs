//! Mutated cache files, their checksums recomputed by the check so the body decoder and the validation
//! are reached: see `backstore::testkit::cache_check`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    backstore::testkit::cache_check::check(data);
});

//! Search in every mode against its reference, on fuzzed queries and CSV.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    backstore::testkit::search::check_search_input(data);
});

//! Any bytes as one CSV database: our parser and index must agree with the `csv` crate plus the
//! documented rules (see `backstore::testkit::csv_check`).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| backstore::testkit::csv_check::check(data));

//! The archive reader against its reference: any bytes, as a gzip or plain tar or neither.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    backstore::testkit::archive_check::check(data);
});

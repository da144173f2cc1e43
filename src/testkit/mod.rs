//! Shared by tests, benchmarks, examples and fuzz targets, never by the product: deterministic corpora and
//! the check functions that compare our fast paths with independent references. Behind the `testkit`
//! feature, so applications never compile or ship it.

pub mod archive_check;
pub mod cache_check;
pub mod cache_edit;
pub mod corpus;
pub mod csv_check;
pub mod diff;
pub mod faults;
pub mod insight;
pub mod search;
pub mod tables;

/// How many cases a property test runs: `PROPTEST_CASES` when set, else the test's own `default`.
pub fn proptest_cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

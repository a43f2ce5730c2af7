//! The GraphQL document limit checker: any text is measured or refused, never a panic, and in
//! bounded time and memory (libFuzzer's -timeout and -rss_limit_mb catch the rest).
//!
//! Written against `learnergraph::graphql::limits::check_document(query, limits)`, which the
//! lead's branch adds; it compiles once that branch is merged.
#![no_main]

use learnergraph::graphql::limits::{DocumentLimits, check_document};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|query: &str| {
    let limits = DocumentLimits::default();
    let _ = check_document(query, &limits);
});

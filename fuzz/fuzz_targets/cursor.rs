//! Connection cursors: any text decodes to a position or a `BAD_USER_INPUT` error, never a
//! panic; a decoded cursor re-encodes to the same position.
#![no_main]

use learnergraph::graphql::relay::{decode_cursor, encode_cursor};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    match decode_cursor(text, "after") {
        Ok(n) => assert_eq!(decode_cursor(&encode_cursor(n), "after").ok(), Some(n)),
        Err(e) => assert_eq!(e.code(), "BAD_USER_INPUT"),
    }
});

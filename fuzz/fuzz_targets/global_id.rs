//! Global IDs: any text decodes to a `(kind, id)` or a `BAD_USER_INPUT` error, never a panic;
//! what decodes re-encodes to an ID naming the same record.
#![no_main]

use learnergraph::graphql::relay::{decode_id, decode_kind, global_id};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    match decode_id(text, "id") {
        Ok((kind, n)) => {
            assert!(n > 0, "decoded a non-positive id {n} from {text:?}");
            let again = global_id(kind, n);
            assert_eq!(decode_id(&again, "id").ok(), Some((kind, n)));
            assert_eq!(decode_kind(text, kind, "id").ok(), Some(n));
        }
        Err(e) => assert_eq!(e.code(), "BAD_USER_INPUT"),
    }
});

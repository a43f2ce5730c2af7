//! Money: any text parses to an amount within bounds or to nothing, never a panic; a parsed
//! amount prints to text that parses back to it; the GraphQL scalar agrees with `parse`.
#![no_main]

use async_graphql::{ScalarType, Value};
use learnergraph::redesign::money::Money;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let parsed = Money::parse(text);
    if let Some(m) = parsed {
        assert!((0..=100_000_000_000_000).contains(&m.0), "{text:?} parsed to {m:?}");
        assert_eq!(Money::parse(&m.to_string()), Some(m), "{text:?} → {m}");
    }
    let scalar = <Money as ScalarType>::parse(Value::String(text.to_owned())).ok();
    assert_eq!(scalar, parsed);
});

//! CASE 1.0 packages: any text is a package or a `BAD_USER_INPUT` error, never a panic; a
//! package that parses has unique items, every parent before its children, and positions
//! 1..n among each parent's children.
#![no_main]

use std::collections::{HashMap, HashSet};

use learnergraph::competencies::case;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    match case::parse(text) {
        Ok(package) => {
            let mut seen = HashSet::new();
            let mut positions: HashMap<Option<String>, Vec<i32>> = HashMap::new();
            for item in &package.items {
                if let Some(parent) = &item.parent {
                    assert!(seen.contains(parent), "{} comes before its parent {parent}", item.identifier);
                }
                assert!(seen.insert(item.identifier.clone()), "{} twice", item.identifier);
                positions.entry(item.parent.clone()).or_default().push(item.position);
            }
            for (parent, ps) in positions {
                assert_eq!(ps, (1..=ps.len() as i32).collect::<Vec<_>>(), "positions under {parent:?}");
            }
        }
        Err(e) => assert_eq!(e.code(), "BAD_USER_INPUT"),
    }
});

//! The policy parser, on any JSON document, and the layering after it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokentally_policy::{layers, parse};

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let (settings, _problems) = parse(&doc, "fuzz");
    let mut problems = Vec::new();
    layers::combine(
        Some((&settings, "managed")),
        Some((&settings, "employee")),
        &mut problems,
    );
    layers::resolve(&settings);
});

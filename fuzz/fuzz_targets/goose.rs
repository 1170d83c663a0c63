//! Goose's `sessions` rows after a saved state (layout: fuzzing::goose_sessions).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokentally_collect::fuzzing;

fuzz_target!(|data: &[u8]| {
    fuzzing::goose_sessions(data);
});

//! OpenCode's `message` and `part` rows (layout: fuzzing::opencode_rows).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokentally_collect::{collector::OPENCODE, fuzzing};

fuzz_target!(|data: &[u8]| {
    fuzzing::opencode_rows(&OPENCODE, data);
});

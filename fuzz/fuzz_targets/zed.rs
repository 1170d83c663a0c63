//! Zed's `threads` rows, zstd or plain JSON (layout: fuzzing::zed_thread).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokentally_collect::fuzzing;

fuzz_target!(|data: &[u8]| {
    fuzzing::zed_thread(data);
});

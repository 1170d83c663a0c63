//! Cursor's `cursorDiskKV` bubble rows (layout: fuzzing::cursor_rows).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokentally_collect::fuzzing;

fuzz_target!(|data: &[u8]| {
    fuzzing::cursor_rows(data);
});

//! CopilotOtel's log lines (layout: tokentally_collect::fuzzing::parse_lines).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokentally_collect::{collector::CopilotOtel, fuzzing};

fuzz_target!(|data: &[u8]| {
    fuzzing::parse_lines(&CopilotOtel, data);
});

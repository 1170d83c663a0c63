//! OpenCode's legacy message and part files (0 between them).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokentally_collect::fuzzing::{self, Document};

fuzz_target!(|data: &[u8]| {
    fuzzing::parse_document(Document::OpenCodeLegacy, data);
});

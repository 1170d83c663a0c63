//! Amp's thread documents.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokentally_collect::fuzzing::{self, Document};

fuzz_target!(|data: &[u8]| {
    fuzzing::parse_document(Document::Amp, data);
});

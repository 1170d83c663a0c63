//! Copilot Chat sessions: the first byte's low bit picks a JSONL
//! operation log (1) or a JSON document (0).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokentally_collect::fuzzing::{self, Document};

fuzz_target!(|data: &[u8]| {
    let Some((&which, doc)) = data.split_first() else {
        return;
    };
    fuzzing::parse_document(Document::Copilot(which & 1 == 1), doc);
});

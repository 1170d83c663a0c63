//! Cline, Roo Code and Kilo Code task files: the first byte picks the
//! tool, then `ui_messages.json`, 0, `task_metadata.json`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokentally_collect::fuzzing::{self, Document};

fuzz_target!(|data: &[u8]| {
    let Some((&which, doc)) = data.split_first() else {
        return;
    };
    let family = [Document::Cline, Document::RooCode, Document::KiloCode];
    fuzzing::parse_document(family[usize::from(which) % 3], doc);
});

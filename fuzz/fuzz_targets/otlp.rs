//! The OTLP/HTTP metrics decoder and the receiver on what decodes.
//!
//! Layout: a flags byte (bit 0: JSON, else protobuf; bit 1: the body is
//! gzip; bit 2: gzip it here first, to reach the decoder behind), the body.
#![no_main]

use std::io::Write;

use libfuzzer_sys::fuzz_target;
use tokentally_otlp::{Compression, Encoding, Receiver, decode_metrics};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, body)) = data.split_first() else {
        return;
    };
    let encoding = if flags & 1 == 1 {
        Encoding::Json
    } else {
        Encoding::Protobuf
    };
    let (body, compression) = match flags & 6 {
        0 => (body.to_vec(), Compression::None),
        2 => (body.to_vec(), Compression::Gzip),
        _ => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(body).unwrap();
            (e.finish().unwrap(), Compression::Gzip)
        }
    };
    let Ok(request) = decode_metrics(&body, encoding, compression) else {
        return;
    };
    let now_ms = 1_780_000_000_000;
    let mut receiver = Receiver::new();
    let first = receiver.ingest(&request, now_ms);
    tokentally_collect::fuzzing::assert_invariants(&first);
    // A restart from the saved state, then the same export again.
    let state = serde_json::to_vec(&receiver.state()).unwrap();
    let mut again = Receiver::with_state(serde_json::from_slice(&state).unwrap());
    let second = again.ingest(&request, now_ms + 1);
    tokentally_collect::fuzzing::assert_invariants(&second);
});

//! The proxy's tap: a response read on the side, in fuzz-chosen chunks.
//!
//! Layout: 7 header bytes (API, path, content type, content encoding with
//! bit 7 = encode the body here first, status, end and chunking, chunk
//! size), the request body, a 0 byte, the response body.
#![no_main]

use std::io::Write;

use libfuzzer_sys::fuzz_target;
use tokentally_proxy::tap::{Api, End, Exchange, Tap};

const PATHS: &[&str] = &[
    "/v1/chat/completions",
    "/v1/responses",
    "/v1/messages",
    "/v1/embeddings",
    "/v1/completions",
    "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse",
    "/v1beta/models/gemini-2.5-flash:generateContent",
    "/v1internal:streamGenerateContent?alt=sse",
    "/v1/messages/count_tokens",
    "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21",
];
const TYPES: &[Option<&str>] = &[
    Some("text/event-stream"),
    Some("application/json"),
    Some("application/json; charset=utf-8"),
    Some("text/plain"),
    None,
];
const ENCODINGS: &[Option<&str>] = &[
    None,
    Some("identity"),
    Some("gzip"),
    Some("br"),
    Some("zstd"),
    Some("deflate"),
    Some("x-unknown"),
];
const STATUSES: &[u16] = &[200, 200, 201, 204, 299, 400, 500];

fuzz_target!(|data: &[u8]| {
    let Some((head, rest)) = data.split_first_chunk::<7>() else {
        return;
    };
    let (request, response) = match rest.iter().position(|b| *b == 0) {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &[][..]),
    };
    let encoding = ENCODINGS[usize::from(head[3] & 0x7f) % ENCODINGS.len()];
    let body = if head[3] & 0x80 != 0 {
        encode(encoding, response)
    } else {
        response.to_vec()
    };
    let exchange = Exchange {
        api: [Api::OpenAi, Api::Anthropic, Api::Gemini][usize::from(head[0]) % 3],
        method: "POST",
        path: PATHS[usize::from(head[1]) % PATHS.len()],
        request_body: request,
        status: STATUSES[usize::from(head[4]) % STATUSES.len()],
        content_type: TYPES[usize::from(head[2]) % TYPES.len()],
        content_encoding: encoding,
    };
    let Some(mut tap) = Tap::start(&exchange) else {
        return;
    };
    // Chunk sizes from a small generator seeded by the input: 1 byte to 4 KiB.
    let mut seed = u32::from(head[5]) << 8 | u32::from(head[6]) | 1;
    let mut at = 0;
    while at < body.len() {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let size = 1 + (seed as usize % [1, 7, 64, 4096][usize::from(head[6] & 3)]);
        let end = (at + size).min(body.len());
        tap.feed(&body[at..end]);
        at = end;
    }
    let end = if head[5] & 1 == 0 {
        End::Complete
    } else {
        End::CutOff
    };
    if let Some(seen) = tap.finish(end) {
        assert!(
            seen.tokens.reasoning <= seen.tokens.output,
            "reasoning over output: {:?}",
            seen.tokens
        );
    }
});

/// The body as the upstream would have sent it with `encoding`.
fn encode(encoding: Option<&str>, body: &[u8]) -> Vec<u8> {
    match encoding {
        Some("gzip") => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(body).unwrap();
            e.finish().unwrap()
        }
        Some("deflate") => {
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(body).unwrap();
            e.finish().unwrap()
        }
        Some("br") => {
            let mut out = Vec::new();
            let mut e = brotli::CompressorWriter::new(&mut out, 4096, 1, 22);
            e.write_all(body).unwrap();
            drop(e);
            out
        }
        Some("zstd") => {
            ruzstd::encoding::compress_to_vec(body, ruzstd::encoding::CompressionLevel::Fastest)
        }
        _ => body.to_vec(),
    }
}

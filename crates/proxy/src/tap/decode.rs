//! Decoding of compressed bodies on the side. The proxy forwards the
//! compressed bytes unchanged; the tap decodes a copy, chunk by chunk, into
//! the body reader (any `Write`). Every decoder here writes its output in
//! bounded pieces, so a highly compressed body never inflates in memory.
//!
//! Memory per stream: gzip/deflate about 40 KiB; brotli and zstd keep their
//! window (the sender picks it: typically 1-4 MiB; zstd is capped at 8 MiB,
//! as RFC 8878 asks of HTTP senders).

use std::io::Write;

use brotli_decompressor::DecompressorWriter;
use flate2::write::{DeflateDecoder, GzDecoder, ZlibDecoder};
use ruzstd::decoding::FrameDecoder;

/// The zstd window we accept (RFC 8878 §3.1.1.1.2 for HTTP: 8 MB).
const ZSTD_MAX_WINDOW: u64 = 8 * 1024 * 1024;
/// A zstd block is at most 128 KiB; input waits here until one is whole.
const ZSTD_MAX_PENDING: usize = 128 * 1024 + 64;
/// Output buffer of the zstd and brotli decoders.
const OUT_PIECE: usize = 16 * 1024;

#[derive(Debug, thiserror::Error)]
pub(crate) enum DecodeError {
    #[error("content decoding failed: {0}")]
    Stream(#[from] std::io::Error),
    #[error("zstd decoding failed: {0}")]
    Zstd(#[from] ruzstd::decoding::errors::FrameDecoderError),
    #[error("zstd block larger than the format allows")]
    ZstdBlockTooLarge,
}

/// A body decoder feeding `W`.
pub(crate) enum Decoder<W: Write> {
    Identity(W),
    Gzip(GzDecoder<W>),
    /// HTTP's `deflate` is zlib-wrapped, but some servers send raw deflate:
    /// the first two bytes decide.
    DeflateUndecided(W, Vec<u8>),
    Zlib(ZlibDecoder<W>),
    RawDeflate(DeflateDecoder<W>),
    Brotli(Box<DecompressorWriter<W>>),
    Zstd(Box<ZstdDecoder<W>>),
    /// Transition placeholder; never observed outside `feed`.
    Empty,
}

impl<W: Write> Decoder<W> {
    /// None for an encoding we cannot decode (the tap then reads nothing
    /// from the body and estimates).
    pub(crate) fn new(content_encoding: Option<&str>, sink: W) -> Result<Self, W> {
        let encoding = content_encoding.map(str::trim).unwrap_or("");
        // Several codings (`gzip, br`) are applied in order; we decode one.
        if encoding.contains(',') {
            return Err(sink);
        }
        Ok(match encoding.to_ascii_lowercase().as_str() {
            "" | "identity" => Decoder::Identity(sink),
            "gzip" | "x-gzip" => Decoder::Gzip(GzDecoder::new(sink)),
            "deflate" => Decoder::DeflateUndecided(sink, Vec::with_capacity(2)),
            "br" => Decoder::Brotli(Box::new(DecompressorWriter::new(sink, OUT_PIECE))),
            "zstd" => Decoder::Zstd(Box::new(ZstdDecoder::new(sink))),
            _ => return Err(sink),
        })
    }

    pub(crate) fn feed(&mut self, chunk: &[u8]) -> Result<(), DecodeError> {
        match self {
            Decoder::Identity(sink) => sink.write_all(chunk)?,
            Decoder::Gzip(d) => d.write_all(chunk)?,
            Decoder::Zlib(d) => d.write_all(chunk)?,
            Decoder::RawDeflate(d) => d.write_all(chunk)?,
            Decoder::Brotli(d) => d.write_all(chunk)?,
            Decoder::Zstd(d) => d.feed(chunk)?,
            Decoder::DeflateUndecided(_, head) => {
                head.extend_from_slice(chunk);
                if head.len() >= 2 {
                    let Decoder::DeflateUndecided(sink, head) =
                        std::mem::replace(self, Decoder::Empty)
                    else {
                        return Ok(());
                    };
                    // RFC 1950: method 8, and the 16-bit header a multiple of 31.
                    let zlib =
                        head[0] & 0x0f == 8 && u16::from_be_bytes([head[0], head[1]]) % 31 == 0;
                    *self = if zlib {
                        Decoder::Zlib(ZlibDecoder::new(sink))
                    } else {
                        Decoder::RawDeflate(DeflateDecoder::new(sink))
                    };
                    return self.feed(&head);
                }
            }
            Decoder::Empty => {}
        }
        Ok(())
    }

    /// The end of the body: flush what the decoder still holds (errors of a
    /// truncated stream are expected here and ignored: what was decoded
    /// already reached the sink).
    pub(crate) fn flush_end(&mut self) {
        let _ = match self {
            Decoder::Gzip(d) => d.try_finish(),
            Decoder::Zlib(d) => d.try_finish(),
            Decoder::RawDeflate(d) => d.try_finish(),
            Decoder::Brotli(d) => d.close(),
            Decoder::Identity(_)
            | Decoder::DeflateUndecided(..)
            | Decoder::Zstd(_)
            | Decoder::Empty => Ok(()),
        };
    }

    pub(crate) fn sink_mut(&mut self) -> Option<&mut W> {
        match self {
            Decoder::Identity(sink) | Decoder::DeflateUndecided(sink, _) => Some(sink),
            Decoder::Gzip(d) => Some(d.get_mut()),
            Decoder::Zlib(d) => Some(d.get_mut()),
            Decoder::RawDeflate(d) => Some(d.get_mut()),
            Decoder::Brotli(d) => Some(d.get_mut()),
            Decoder::Zstd(d) => Some(&mut d.sink),
            Decoder::Empty => None,
        }
    }
}

/// A push-style zstd decoder over ruzstd's frame decoder: input waits until
/// a whole block is there, output goes to the sink in pieces.
///
/// ruzstd hands out decoded bytes only beyond the window it must retain
/// until the frame ends, so a zstd stream cut off before its end loses up
/// to a window of text here (the estimate then undercounts).
pub(crate) struct ZstdDecoder<W> {
    frame: FrameDecoder,
    started: bool,
    pending: Vec<u8>,
    out: Vec<u8>,
    sink: W,
}

impl<W: Write> ZstdDecoder<W> {
    fn new(sink: W) -> Self {
        let mut frame = FrameDecoder::new();
        frame.set_max_window_size(ZSTD_MAX_WINDOW);
        ZstdDecoder {
            frame,
            started: false,
            pending: Vec::new(),
            out: vec![0; OUT_PIECE],
            sink,
        }
    }

    fn feed(&mut self, chunk: &[u8]) -> Result<(), DecodeError> {
        self.pending.extend_from_slice(chunk);
        if !self.started {
            // A frame header is at most 18 bytes; until then a failure may
            // only mean "not yet".
            let mut source = self.pending.as_slice();
            match self.frame.init(&mut source) {
                Ok(()) => {
                    let used = self.pending.len() - source.len();
                    self.pending.drain(..used);
                    self.started = true;
                }
                Err(_) if self.pending.len() < 18 => return Ok(()),
                Err(e) => return Err(e.into()),
            }
        }
        loop {
            let (read, written) = self.frame.decode_from_to(&self.pending, &mut self.out)?;
            self.sink.write_all(&self.out[..written])?;
            // ruzstd claims the 4 checksum bytes before they are all there.
            if read > self.pending.len() {
                break;
            }
            self.pending.drain(..read);
            if read == 0 && written == 0 {
                break;
            }
        }
        if self.pending.len() > ZSTD_MAX_PENDING {
            return Err(DecodeError::ZstdBlockTooLarge);
        }
        Ok(())
    }
}

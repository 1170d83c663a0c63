//! An OTLP/HTTP export body, as bytes on the wire, to the request it holds.

use std::io::Read;

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use prost::Message;

/// How OTLP/HTTP encodes a body: the two encodings the spec defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// `application/x-protobuf`: the binary protobuf message.
    Protobuf,
    /// `application/json`: the OTLP JSON mapping of the same message.
    Json,
}

impl Encoding {
    /// The encoding named by a `Content-Type` header value, parameters
    /// (`; charset=utf-8`) ignored; `None` for anything OTLP does not define.
    pub fn from_content_type(value: &str) -> Option<Self> {
        let essence = value.split(';').next().unwrap_or_default().trim();
        if essence.eq_ignore_ascii_case("application/x-protobuf") {
            Some(Encoding::Protobuf)
        } else if essence.eq_ignore_ascii_case("application/json") {
            Some(Encoding::Json)
        } else {
            None
        }
    }

    /// The `Content-Type` of a reply in this encoding.
    pub fn content_type(self) -> &'static str {
        match self {
            Encoding::Protobuf => "application/x-protobuf",
            Encoding::Json => "application/json",
        }
    }

    /// An empty `Export*ServiceResponse`, which tells the exporter that
    /// everything was accepted.
    pub fn empty_response(self) -> &'static [u8] {
        match self {
            // Every field of the response is optional: the empty message
            // encodes to no bytes at all.
            Encoding::Protobuf => b"",
            Encoding::Json => b"{}",
        }
    }
}

/// How the body itself is compressed (`Content-Encoding`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// No `Content-Encoding`, or `identity`.
    None,
    /// `gzip`, which the OTLP exporters offer.
    Gzip,
}

impl Compression {
    /// The compression named by a `Content-Encoding` header value.
    pub fn from_content_encoding(value: Option<&str>) -> Result<Self, DecodeError> {
        match value.map(str::trim) {
            None | Some("") => Ok(Compression::None),
            Some(v) if v.eq_ignore_ascii_case("identity") => Ok(Compression::None),
            Some(v) if v.eq_ignore_ascii_case("gzip") => Ok(Compression::Gzip),
            Some(_) => Err(DecodeError::UnsupportedCompression),
        }
    }
}

/// Why a body could not be read. The messages carry no part of the body.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The `Content-Encoding` is neither gzip nor identity.
    #[error("unsupported Content-Encoding (gzip and identity are accepted)")]
    UnsupportedCompression,
    /// The gzip stream is corrupt or truncated.
    #[error("the gzip body is corrupt: {0}")]
    Gzip(std::io::Error),
    /// The body inflates past the limit (a decompression bomb, or an export
    /// far larger than any tool sends).
    #[error("the body inflates past {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// Not a protobuf `ExportMetricsServiceRequest`.
    #[error("not an OTLP protobuf metrics export: {0}")]
    Protobuf(#[from] prost::DecodeError),
    /// Not an OTLP JSON metrics export. Only the place is kept: serde_json's
    /// own message quotes the offending value, which may be any text.
    #[error("not an OTLP JSON metrics export (line {line}, column {column})")]
    Json {
        /// Line of the first error, from 1.
        line: usize,
        /// Column of the first error, from 1.
        column: usize,
    },
}

/// The most a body may inflate to. Claude Code's exports are a few KiB; the
/// limit only stops a gzip bomb.
pub const MAX_INFLATED_BYTES: usize = 64 * 1024 * 1024;

/// Decodes an OTLP/HTTP metrics export body.
pub fn decode_metrics(
    body: &[u8],
    encoding: Encoding,
    compression: Compression,
) -> Result<ExportMetricsServiceRequest, DecodeError> {
    let inflated;
    let plain = match compression {
        Compression::None => body,
        Compression::Gzip => {
            inflated = gunzip(body, MAX_INFLATED_BYTES)?;
            &inflated[..]
        }
    };
    match encoding {
        Encoding::Protobuf => Ok(ExportMetricsServiceRequest::decode(plain)?),
        Encoding::Json => serde_json::from_slice(plain).map_err(|err| DecodeError::Json {
            line: err.line(),
            column: err.column(),
        }),
    }
}

/// Inflates a gzip body, refusing to grow past `limit` bytes.
pub fn gunzip(body: &[u8], limit: usize) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::with_capacity(body.len().saturating_mul(4).min(limit));
    // One byte past the limit tells "exactly at the limit" from "over it".
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    flate2::read::MultiGzDecoder::new(body)
        .take(cap)
        .read_to_end(&mut out)
        .map_err(DecodeError::Gzip)?;
    if out.len() > limit {
        return Err(DecodeError::TooLarge { limit });
    }
    Ok(out)
}

#[cfg(test)]
mod tests;

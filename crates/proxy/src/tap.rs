//! The tap: reads a response on the side, as its chunks pass, and finds the
//! usage the provider reported; estimates when it reported none.
//!
//! INTERFACE (owned by the proxy server; the body is being written):
//!
//! ```ignore
//! pub enum Api { OpenAi, Anthropic, Gemini }
//! pub struct Exchange<'a> {
//!     pub api: Api,
//!     pub path: &'a str,            // upstream path after the route prefix, query included
//!     pub request_body: &'a [u8],   // the whole request body (bounded by the proxy)
//!     pub status: u16,
//!     pub content_type: Option<&'a str>,
//!     pub content_encoding: Option<&'a str>,
//! }
//! impl Tap {
//!     pub fn start(exchange: &Exchange) -> Option<Tap>; // None: not a billable call
//!     pub fn feed(&mut self, chunk: &[u8]);
//!     pub fn finish(self, end: End) -> Option<Observed>;
//! }
//! pub enum End { Complete, CutOff }
//! pub struct Observed { pub model: String, pub tokens: Tokens,
//!     pub provenance: Provenance, pub response_id: Option<String> }
//! ```

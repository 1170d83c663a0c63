//! The loopback API proxy: forwards calls to the providers' APIs byte for
//! byte and counts, on the side, the usage their replies report.
//!
//! Tools point their base URL at `http://127.0.0.1:PORT/<route>` (`openai`,
//! `anthropic`, `gemini`, or an upstream the policy adds). Requests and
//! replies pass unchanged (hop-by-hop headers, the Host, and TokenTally's
//! own attribution header aside); a tap reads a copy of each reply and
//! hands one usage event per billable call to an [`EventSink`]. No body is
//! stored or logged.
//!
//! [`EventSink`]: tokentally_event::EventSink

mod attribute;
mod forward;
mod guard;
mod metered;
mod record;
mod server;
pub mod tap;
mod upstream;

pub use attribute::TOOL_HEADER;
pub use guard::Refusal;
pub use server::{Proxy, ProxyConfig, ProxyError};
pub use tap::Api;
pub use upstream::{Upstream, UpstreamError, built_in};

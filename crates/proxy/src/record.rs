//! Turns what the tap observed into a usage event and hands it on.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Instant,
};

use tokentally_event::{
    EventSink, Key, Lineage, Model, Provenance, Rank, SourceRef, Tool, UsageEvent,
};

use crate::tap::{Api, Observed};

/// What the proxy knows of a call besides the tap's counts.
#[derive(Debug, Clone)]
pub struct CallMeta {
    /// The tool it was attributed to.
    pub tool: Tool,
    /// The API spoken.
    pub api: Api,
    /// The route name, for logs.
    pub route: String,
    /// The request method, for logs.
    pub method: String,
    /// The upstream's status.
    pub status: u16,
    /// Anthropic's `request-id` response header (`req_…`).
    pub request_id: Option<String>,
    /// When the request arrived.
    pub started: Instant,
}

/// Builds events and gives them to the sink.
pub struct Recorder {
    sink: Arc<dyn EventSink>,
    /// Distinguishes calls without a response id within one process.
    sequence: AtomicU64,
    /// Distinguishes them across processes: the start time in
    /// nanoseconds, so a later process's keys sort after an earlier one's.
    boot: u64,
}

impl Recorder {
    /// A recorder writing to `sink`.
    pub fn new(sink: Arc<dyn EventSink>) -> Self {
        let boot = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or_default();
        Recorder {
            sink,
            sequence: AtomicU64::new(0),
            boot,
        }
    }

    /// Records one observed call (and logs its counts, never its text).
    pub fn record(&self, meta: &CallMeta, observed: Option<Observed>) {
        let elapsed_ms = meta.started.elapsed().as_secs_f64() * 1000.0;
        let Some(observed) = observed else {
            tracing::debug!(method = %meta.method, route = %meta.route, status = meta.status,
                ms = elapsed_ms, "Proxied; no usage (not a billable call).");
            return;
        };
        let t = observed.tokens;
        tracing::debug!(method = %meta.method, route = %meta.route, status = meta.status,
            ms = elapsed_ms, tool = %meta.tool, input = t.input, output = t.output,
            cache_read = t.cache_read, cache_write = t.cache_write,
            provenance = observed.provenance.as_str(), "Proxied call counted.");
        self.sink.record(self.event(meta, observed));
    }

    fn event(&self, meta: &CallMeta, observed: Observed) -> UsageEvent {
        let at_ms = now_ms();
        let mut event = UsageEvent {
            at_ms,
            tool: meta.tool,
            session: Key::of(&[b"proxy"]),
            call: self.fresh_key(),
            model: Model::new(&observed.model),
            tokens: observed.tokens,
            provenance: observed.provenance,
            source: SourceRef::PROXY,
            rank: Rank::most_complete(&observed.tokens, at_ms),
            lineage: None,
        };
        // Claude Code logs each call under (message id, request id): the
        // same key here makes a call seen both ways one event. Other calls
        // have no second source to meet, and a gateway that repeats ids
        // must not merge distinct calls: each gets a key of its own.
        if let (Tool::ClaudeCode, Api::Anthropic, Some(id)) =
            (meta.tool, meta.api, observed.response_id.as_deref())
        {
            let group = Key::of(&[id.as_bytes()]);
            event.call = match meta.request_id.as_deref() {
                Some(request) => group.member(&[request.as_bytes()]),
                None => group.member(&[]),
            };
            event.lineage = Some(Lineage {
                group,
                side_copy: false,
            });
        }
        // An estimate never outranks a reported count of the same call.
        if observed.provenance == Provenance::Estimated {
            event.rank = Rank([0; 24]);
        }
        event
    }

    /// A key of its own for a call no other source can see: the process's
    /// start time then a counter, big-endian, so keys rise and the ledger
    /// appends them at the end of its index instead of rewriting pages all
    /// over it (a proxy under load stores thousands a second).
    fn fresh_key(&self) -> Key {
        let n = self.sequence.fetch_add(1, Ordering::Relaxed);
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.boot.to_be_bytes());
        bytes[8..].copy_from_slice(&n.to_be_bytes());
        Key(bytes)
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

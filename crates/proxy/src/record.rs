//! Turns what the tap observed into a usage event and hands it on;
//! estimates are made on a thread of their own.

use std::{
    panic::AssertUnwindSafe,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
        mpsc,
    },
    time::Instant,
};

use tokentally_event::{
    EventSink, Key, Lineage, Model, Provenance, Rank, SourceRef, Tool, UsageEvent,
};

use crate::tap::{Api, Conclusion, Observed};

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
    /// The upstream's status; 0 when the client gave up before it came.
    pub status: u16,
    /// Anthropic's `request-id` response header (`req_…`).
    pub request_id: Option<String>,
    /// When the request arrived.
    pub started: Instant,
}

/// Records calls: reported usage at once, estimates through the estimator
/// thread. Running tiktoken over a long prompt takes milliseconds, which
/// must not stall the connections sharing a runtime worker; and a task
/// left on the runtime's blocking pool is dropped, unrun, when the runtime
/// shuts down. The thread is the Recorder's own: it ends once the Recorder
/// is dropped and every estimate sent has been recorded, and it holds the
/// sink until then, so whoever closes the ledger after dropping the proxy
/// gets them all.
pub struct Recorder {
    events: Arc<Events>,
    estimates: mpsc::Sender<(CallMeta, Conclusion)>,
    /// The estimator thread is gone (it cannot be, short of a bug): said
    /// once, then estimates are made in place.
    estimator_gone: AtomicBool,
}

impl Recorder {
    /// A recorder writing to `sink`, with its estimator thread.
    pub fn new(sink: Arc<dyn EventSink>) -> std::io::Result<Self> {
        let events = Arc::new(Events::new(sink));
        let (estimates, queue) = mpsc::channel();
        let theirs = events.clone();
        std::thread::Builder::new()
            .name("tokentally-proxy-estimator".into())
            .spawn(move || estimate_all(&queue, &theirs))?;
        Ok(Recorder {
            events,
            estimates,
            estimator_gone: AtomicBool::new(false),
        })
    }

    /// Records one call whose usage is known (or that has none).
    pub fn record(&self, meta: &CallMeta, observed: Option<Observed>) {
        self.events.record(meta, observed);
    }

    /// Records what a tap concluded: reported usage now, an estimate on
    /// the estimator thread.
    pub fn conclude(&self, meta: CallMeta, conclusion: Option<Conclusion>) {
        let Some(conclusion) = conclusion else {
            return self.record(&meta, None);
        };
        if conclusion.is_reported() {
            return self.record(&meta, conclusion.observe());
        }
        if let Err(mpsc::SendError((meta, conclusion))) = self.estimates.send((meta, conclusion)) {
            if !self.estimator_gone.swap(true, Ordering::Relaxed) {
                tracing::warn!("The proxy's estimator thread is gone; estimating in place.");
            }
            self.record(&meta, conclusion.observe());
        }
    }
}

/// The estimator thread: records each estimate until every sender is gone
/// and the queue is empty.
fn estimate_all(queue: &mpsc::Receiver<(CallMeta, Conclusion)>, events: &Events) {
    for (meta, conclusion) in queue.iter() {
        // One call that trips the tokenizer must not stop the counting of
        // the others.
        match std::panic::catch_unwind(AssertUnwindSafe(|| conclusion.observe())) {
            Ok(observed) => events.record(&meta, observed),
            Err(_) => tracing::warn!(route = %meta.route, "Estimating a call failed; not counted."),
        }
    }
}

/// Builds events and gives them to the sink.
struct Events {
    sink: Arc<dyn EventSink>,
    /// Distinguishes calls without a response id within one process.
    sequence: AtomicU64,
    /// Distinguishes them across processes: the start time in
    /// nanoseconds, so a later process's keys sort after an earlier one's.
    boot: u64,
}

impl Events {
    fn new(sink: Arc<dyn EventSink>) -> Self {
        let boot = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or_default();
        Events {
            sink,
            sequence: AtomicU64::new(0),
            boot,
        }
    }

    /// Records one observed call (and logs its counts, never its text).
    fn record(&self, meta: &CallMeta, observed: Option<Observed>) {
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

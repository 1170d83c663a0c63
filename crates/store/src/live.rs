//! The writer of live calls: the proxy and the telemetry receiver hand
//! calls to a channel; one thread owns the ledger and commits them in
//! small batches, so no request waits on the disk.

use std::{
    sync::{Arc, mpsc},
    thread::JoinHandle,
    time::Duration,
};

use tokentally_event::{EventSink, UsageEvent};

use crate::{CommitSummary, Store};

/// What the live sources send the writer.
#[derive(Debug)]
pub enum LiveMessage {
    /// A call seen.
    Call(UsageEvent),
    /// A source's calls and its state after them: one message, so they
    /// are always committed in the same transaction (a crash between the
    /// two would make a restart count the calls again).
    Export {
        /// The calls.
        events: Vec<UsageEvent>,
        /// The source's name.
        name: String,
        /// Its serialised state after the calls.
        value: Vec<u8>,
    },
}

/// Which calls are kept (the policy's choice of source per tool).
pub type Accept = Box<dyn Fn(&UsageEvent) -> bool + Send>;
/// Called after each commit, with what it stored.
pub type OnCommit = Box<dyn FnMut(&CommitSummary) + Send>;

/// The sending side, given to the proxy and the receiver.
#[derive(Clone)]
pub struct LiveSink(mpsc::Sender<LiveMessage>);

impl EventSink for LiveSink {
    fn record(&self, event: UsageEvent) {
        // Closed only when the writer has shut down.
        let _ = self.0.send(LiveMessage::Call(event));
    }
}

impl LiveSink {
    /// Sends a source's calls with its state after them, to be committed
    /// together.
    pub fn record_export(&self, events: Vec<UsageEvent>, name: &str, value: Vec<u8>) {
        let _ = self.0.send(LiveMessage::Export {
            events,
            name: name.to_owned(),
            value,
        });
    }
}

/// The thread that owns the ledger while live sources run.
pub struct LiveWriter {
    sender: Option<mpsc::Sender<LiveMessage>>,
    thread: Option<JoinHandle<Store>>,
}

/// Calls gathered into one transaction at most.
const BATCH: usize = 1024;
/// How long a first call waits for company before its commit.
const GATHER: Duration = Duration::from_millis(20);

impl LiveWriter {
    /// Starts the writer on `store`.
    pub fn spawn(store: Store, accept: Accept, on_commit: OnCommit) -> std::io::Result<Self> {
        let (sender, receiver) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("tokentally-live-writer".into())
            .spawn(move || run(store, receiver, accept, on_commit))?;
        Ok(LiveWriter {
            sender: Some(sender),
            thread: Some(thread),
        })
    }

    /// A sink for the live sources.
    pub fn sink(&self) -> LiveSink {
        match &self.sender {
            Some(sender) => LiveSink(sender.clone()),
            // Unreachable while the writer is alive; a closed sink drops.
            None => LiveSink(mpsc::channel().0),
        }
    }

    /// The sink as the proxy takes it.
    pub fn event_sink(&self) -> Arc<dyn EventSink> {
        Arc::new(self.sink())
    }

    /// Stops once every sink is dropped and what they sent is committed;
    /// gives the ledger back.
    pub fn close(mut self) -> Option<Store> {
        self.sender.take();
        self.thread.take().and_then(|t| t.join().ok())
    }
}

fn run(
    mut store: Store,
    receiver: mpsc::Receiver<LiveMessage>,
    accept: Accept,
    mut on_commit: OnCommit,
) -> Store {
    let mut open = true;
    while open {
        let Ok(first) = receiver.recv() else { break };
        // Let a burst gather: one wake-up and one transaction for it, not
        // one per call.
        std::thread::sleep(GATHER);
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match receiver.try_recv() {
                Ok(message) => batch.push(message),
                Err(mpsc::TryRecvError::Empty) => break,
                Err(mpsc::TryRecvError::Disconnected) => {
                    open = false;
                    break;
                }
            }
        }
        commit(&mut store, batch, &accept, &mut on_commit);
    }
    store
}

/// Commits one batch, retrying while the failure can pass (a busy ledger,
/// a full disk): those delay calls, they do not lose them. A ledger that
/// cannot take them at all (damaged, from a newer build) drops the batch
/// with an error in the log rather than hold every later call in memory.
fn commit(store: &mut Store, batch: Vec<LiveMessage>, accept: &Accept, on_commit: &mut OnCommit) {
    let mut events = Vec::new();
    let mut state = None;
    for message in batch {
        match message {
            LiveMessage::Call(event) => events.push(event),
            LiveMessage::Export {
                events: exported,
                name,
                value,
            } => {
                events.extend(exported);
                state = Some((name, value));
            }
        }
    }
    events.retain(|e| accept(e));
    let mut delay = Duration::from_millis(100);
    loop {
        let state_ref = state.as_ref().map(|(n, v)| (n.as_str(), v.as_slice()));
        match store.commit_live(events.clone(), state_ref) {
            Ok(summary) => return on_commit(&summary),
            Err(e) if e.is_transient() => {
                tracing::warn!(error = %e, calls = events.len(), "Cannot store live calls yet; retrying.");
                std::thread::sleep(delay);
                delay = (delay * 2).min(Duration::from_secs(10));
            }
            Err(e) => {
                tracing::error!(error = %e, calls = events.len(), "The ledger cannot take live calls; they are dropped.");
                return;
            }
        }
    }
}

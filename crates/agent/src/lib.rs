//! The agent: one long-running process that runs everything TokenTally
//! does on a laptop, for the tray app and the headless `tokentally agent`.
//!
//! [`Agent::start`] supervises four tasks, each on its own thread: the
//! collectors (watching the sanctioned tools' logs), the live sources (the
//! API proxy and the telemetry receiver), the policy reloader and the
//! watchdog. A task that fails or panics is restarted with a growing wait
//! and its failure shows in the status; the others go on. The
//! [`AgentHandle`] gives the status, a stream of events and today's totals,
//! pauses and resumes counting, and shuts everything down within a
//! deadline, leaving the ledger consistent (every write is a transaction).

mod board;
pub mod choice;
mod handle;
pub mod status;
mod stop;
mod supervise;
mod task_collectors;
mod task_live;
mod task_policy;
mod task_upload;
mod task_watchdog;
mod today;

use std::{
    net::SocketAddr,
    path::PathBuf,
    sync::{Arc, Mutex, PoisonError, RwLock},
};

pub use handle::{AgentHandle, ShutdownReport};
pub use task_live::{RECEIVER_STATE, ReceiverSink, saved_receiver_state, serve_until};
pub use task_watchdog::Budget;
use tokentally_collect::{Env, watch::WatchTiming};
use tokentally_policy::{Effective, Inputs, changes};
use tokentally_proxy::Upstream;

use crate::{board::Board, status::AgentEvent, stop::StopSignal};

/// What the agent runs on.
pub struct AgentConfig {
    /// The ledger (`tokentally.db`); the policy's state files sit beside it.
    pub ledger: PathBuf,
    /// Where the policy is read from.
    pub policy: Inputs,
    /// Where the tools keep their logs (home, overrides).
    pub env: Env,
    /// How quickly the collectors react.
    pub timing: WatchTiming,
    /// Whether to run the proxy and the receiver.
    pub live: bool,
    /// Proxy addresses instead of the policy's port on 127.0.0.1 and ::1.
    pub proxy_listen: Option<Vec<SocketAddr>>,
    /// Receiver address instead of the policy's port on 127.0.0.1.
    pub otlp_listen: Option<SocketAddr>,
    /// Upstreams besides the policy's.
    pub extra_upstreams: Vec<Upstream>,
    /// What the watchdog enforces.
    pub budget: Budget,
    /// Where device tokens are kept (default: the OS keychain).
    pub vault: Option<Arc<dyn tokentally_upload::TokenVault>>,
    /// Time between scheduled uploads instead of the policy's (tests).
    pub upload_interval: Option<std::time::Duration>,
}

impl AgentConfig {
    /// Defaults for a ledger and a policy: real timing, live sources on.
    pub fn new(ledger: PathBuf, policy: Inputs, env: Env) -> Self {
        AgentConfig {
            ledger,
            policy,
            env,
            timing: WatchTiming::default(),
            live: true,
            proxy_listen: None,
            otlp_listen: None,
            extra_upstreams: Vec::new(),
            budget: Budget::default(),
            vault: None,
            upload_interval: None,
        }
    }
}

/// Why the agent cannot start.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The ledger cannot be opened.
    #[error(transparent)]
    Store(#[from] tokentally_store::StoreError),
    /// A thread could not be started.
    #[error("cannot start the agent's {0} task: {1}")]
    Spawn(&'static str, std::io::Error),
}

/// What the tasks share.
pub(crate) struct Shared {
    pub(crate) config: AgentConfig,
    pub(crate) board: Board,
    pub(crate) stop: StopSignal,
    /// The policy in force and its version (bumped on each change).
    policy: RwLock<(u64, Arc<Effective>)>,
    /// Woken on each policy change, for async tasks.
    pub(crate) policy_changed: tokio::sync::Notify,
    /// Where the live sources listen, once bound.
    pub(crate) live_addrs: Mutex<(Vec<SocketAddr>, Option<SocketAddr>)>,
    pub(crate) upload_now: std::sync::atomic::AtomicBool,
}

impl Shared {
    fn new(config: AgentConfig, effective: Effective, board: Board) -> Self {
        Shared {
            config,
            board,
            stop: StopSignal::new(),
            policy: RwLock::new((0, Arc::new(effective))),
            policy_changed: tokio::sync::Notify::new(),
            live_addrs: Mutex::new((Vec::new(), None)),
            upload_now: std::sync::atomic::AtomicBool::new(false),
        }
    }

    pub(crate) fn policy(&self) -> (u64, Arc<Effective>) {
        let guard = self.policy.read().unwrap_or_else(PoisonError::into_inner);
        (guard.0, guard.1.clone())
    }

    /// Loads the policy again; publishes it when it changed.
    pub(crate) fn reload_policy(&self) {
        let effective = load_recorded(&self.config.policy);
        let changed = {
            let mut guard = self.policy.write().unwrap_or_else(PoisonError::into_inner);
            let changed = serde_json::to_value(&guard.1.resolved).ok()
                != serde_json::to_value(&effective.resolved).ok();
            if changed {
                guard.0 += 1;
                guard.1 = Arc::new(effective.clone());
            }
            changed
        };
        if !effective.problems.is_empty() {
            tracing::warn!(problems = effective.problems.len(), fallback = ?effective.fallback, "The policy has problems.");
        }
        if changed {
            self.board.apply_policy(&effective.resolved);
            self.policy_changed.notify_waiters();
            self.board.emit(AgentEvent::PolicyChanged {
                sanctioned: effective
                    .resolved
                    .sanctioned_tools
                    .iter()
                    .map(|t| t.as_str())
                    .collect(),
            });
        }
    }
}

/// Loads the policy and records a change in the local change log.
pub fn load_recorded(inputs: &Inputs) -> Effective {
    let effective = tokentally_policy::load(inputs);
    if let Err(e) = changes::record(&inputs.state_dir, &effective, now_ms()) {
        tracing::warn!(error = %e, "Cannot record the policy change log.");
    }
    effective
}

/// The first moment the policy's retention keeps.
pub(crate) fn retention_cutoff(policy: &tokentally_policy::Resolved) -> i64 {
    now_ms() - i64::from(policy.retention_days) * 86_400_000
}

/// A connection to the ledger that drops calls older than the retention,
/// with a page cache of at most `cache_kib`: each task of a long-running
/// agent writes or reads small amounts, and every connection's cache
/// counts in the agent's memory.
pub(crate) fn open_store(
    shared: &Shared,
    cache_kib: u32,
) -> Result<tokentally_store::Store, String> {
    let mut store =
        tokentally_store::Store::open(&shared.config.ledger).map_err(|e| e.to_string())?;
    store.limit_cache(cache_kib).map_err(|e| e.to_string())?;
    store.keep_from(retention_cutoff(&shared.policy().1.resolved));
    Ok(store)
}

pub(crate) fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// The agent.
pub struct Agent;

impl Agent {
    /// Loads the policy and starts every task.
    pub fn start(config: AgentConfig) -> Result<AgentHandle, AgentError> {
        let store = tokentally_store::Store::open(&config.ledger)?;
        // The handle's queries (today, status) read a day's calls at most.
        store.limit_cache(1024)?;
        let effective = load_recorded(&config.policy);
        let board = Board::default();
        board.apply_policy(&effective.resolved);
        let last: Vec<_> = store
            .calls_by_tool()?
            .into_iter()
            .map(|row| (row.tool, row.last_at_ms))
            .collect();
        board.last_calls(&last);
        let live = config.live;
        let shared = Arc::new(Shared::new(config, effective, board));
        let mut tasks: Vec<(&'static str, supervise::Run)> = vec![
            ("collectors", Box::new(task_collectors::run)),
            ("policy", Box::new(task_policy::run)),
            ("watchdog", Box::new(task_watchdog::run)),
            ("upload", Box::new(task_upload::run)),
        ];
        if live {
            tasks.push(("live", Box::new(task_live::run)));
        }
        let mut threads = Vec::new();
        for (name, run) in tasks {
            let thread = supervise::spawn(name, shared.clone(), run)
                .map_err(|e| AgentError::Spawn(name, e))?;
            threads.push((name, thread));
        }
        Ok(AgentHandle::new(shared, store, threads))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Shared state over a temp ledger, no OS policy sources.
    pub(crate) fn shared() -> (tempfile::TempDir, Arc<Shared>) {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let inputs = Inputs {
            explicit: None,
            managed: Vec::new(),
            employee: data.join("settings.json"),
            state_dir: data.clone(),
        };
        let config = AgentConfig::new(data.join("tokentally.db"), inputs, Env::from_pairs([]));
        let effective = load_recorded(&config.policy);
        (
            dir,
            Arc::new(Shared::new(config, effective, Board::default())),
        )
    }
}

//! What the tray (or `tokentally agent`) holds: status, events, today's
//! totals, pause and resume, shutdown.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex, MutexGuard, PoisonError, mpsc},
    thread::JoinHandle,
    time::{Duration, Instant},
};

use tokentally_store::{Store, StoreError};

use crate::{
    Shared, now_ms,
    status::{AgentEvent, AgentStatus, Today},
    today,
};

/// A running agent.
pub struct AgentHandle {
    shared: Arc<Shared>,
    /// The handle's own connection: today's sums, pauses.
    store: Mutex<Store>,
    threads: Vec<(&'static str, JoinHandle<()>)>,
}

/// How a shutdown went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Tasks that stopped within the deadline.
    pub stopped: Vec<&'static str>,
    /// Tasks still running at the deadline (left to the process's exit;
    /// every write they made or make is a whole transaction).
    pub unfinished: Vec<&'static str>,
}

impl AgentHandle {
    pub(crate) fn new(
        shared: Arc<Shared>,
        store: Store,
        threads: Vec<(&'static str, JoinHandle<()>)>,
    ) -> Self {
        AgentHandle {
            shared,
            store: Mutex::new(store),
            threads,
        }
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every task, every source, today's sums, pause and throttle.
    pub fn status(&self) -> AgentStatus {
        let (cpu_percent, rss_kib) = self.shared.board.own_usage();
        AgentStatus {
            tasks: self.shared.board.tasks(),
            sources: self.shared.board.sources(),
            today: self.today(),
            paused_until_ms: self.paused_until(),
            throttled: self.shared.board.throttled(),
            cpu_percent,
            rss_kib,
            upload: self.shared.board.upload(),
        }
    }

    /// The policy in force.
    pub fn policy(&self) -> std::sync::Arc<tokentally_policy::Effective> {
        self.shared.policy().1
    }

    /// The ledger's path.
    pub fn ledger(&self) -> &std::path::Path {
        &self.shared.config.ledger
    }

    /// Where the employee's settings and the policy state are kept.
    pub fn policy_inputs(&self) -> &tokentally_policy::Inputs {
        &self.shared.config.policy
    }

    /// Loads the policy again now (after the employee changed a setting).
    pub fn reload_policy(&self) {
        self.shared.reload_policy();
    }

    /// Asks the uploader to upload what is pending now (as `upload now`
    /// does), if uploads are on.
    pub fn upload_now(&self) {
        self.shared
            .upload_now
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// Events from now on: calls counted, sources found, failures.
    pub fn subscribe(&self) -> mpsc::Receiver<AgentEvent> {
        self.shared.board.subscribe()
    }

    /// Today's sums: kept by the agent, read from the ledger again only
    /// after calls were counted or the day changed.
    pub fn today(&self) -> Today {
        let (_, policy) = self.shared.policy();
        let zone = policy.resolved.zone();
        let (day, start, end) = today::day_of(jiff::Timestamp::now(), &zone);
        if let Some(fresh) = self.shared.board.today_if_fresh(&day) {
            return fresh;
        }
        match today::sum(&self.store(), day.clone(), start, end) {
            Ok(today) => {
                self.shared.board.set_today(today.clone());
                today
            }
            Err(e) => {
                tracing::warn!(error = %e, "Cannot sum today's calls.");
                Today {
                    day,
                    ..Today::default()
                }
            }
        }
    }

    /// Pauses counting until `until_ms` (or until resumed): calls made in
    /// the window are not counted from any source, even when their log
    /// lines are read later.
    pub fn pause(&self, until_ms: Option<i64>) -> Result<(), StoreError> {
        self.store().pause(now_ms(), until_ms)?;
        self.shared.board.emit(AgentEvent::PauseChanged {
            until_ms: Some(until_ms.unwrap_or(i64::MAX)),
        });
        Ok(())
    }

    /// Counts again from now.
    pub fn resume(&self) -> Result<(), StoreError> {
        self.store().resume(now_ms())?;
        self.shared
            .board
            .emit(AgentEvent::PauseChanged { until_ms: None });
        Ok(())
    }

    /// Until when counting is paused (`i64::MAX`: until resumed).
    pub fn paused_until(&self) -> Option<i64> {
        let now = now_ms();
        let pauses = self.store().pauses().ok()?;
        pauses
            .iter()
            .find(|p| p.covers(now))
            .map(|p| p.end_ms.unwrap_or(i64::MAX))
    }

    /// Where the proxy and the receiver listen, once they do.
    pub fn live_addrs(&self) -> (Vec<SocketAddr>, Option<SocketAddr>) {
        self.shared
            .live_addrs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Stops every task, waiting up to `deadline` for them.
    pub fn shutdown(self, deadline: Duration) -> ShutdownReport {
        self.shared.stop.stop();
        let until = Instant::now() + deadline;
        let mut report = ShutdownReport {
            stopped: Vec::new(),
            unfinished: Vec::new(),
        };
        for (name, thread) in self.threads {
            while !thread.is_finished() && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(10));
            }
            if thread.is_finished() {
                let _ = thread.join();
                report.stopped.push(name);
            } else {
                report.unfinished.push(name);
            }
        }
        report
    }
}

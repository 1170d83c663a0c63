//! The board: what every task reports and the handle reads, and the
//! subscribers that are told of each change as it happens.

use std::{
    collections::BTreeMap,
    sync::{Mutex, MutexGuard, PoisonError, mpsc},
};

use tokentally_collect::ScanSummary;
use tokentally_event::{Tool, UsageEvent};
use tokentally_policy::Resolved;

use crate::{
    choice,
    status::{AgentEvent, SourceStatus, TaskState, TaskStatus, Today, UploadStatus},
};

#[derive(Default)]
struct State {
    tasks: BTreeMap<&'static str, TaskStatus>,
    sources: BTreeMap<Tool, SourceStatus>,
    today: Today,
    /// Calls were counted since `today` was summed.
    today_stale: bool,
    throttled: Option<String>,
    cpu_percent: Option<f64>,
    rss_kib: Option<u64>,
    upload: UploadStatus,
}

/// Shared by the tasks and the handle.
#[derive(Default)]
pub(crate) struct Board {
    state: Mutex<State>,
    subscribers: Mutex<Vec<mpsc::Sender<AgentEvent>>>,
}

/// A lock that survives a task that panicked while holding it: the board
/// only holds plain values, each write leaves it consistent.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Board {
    pub(crate) fn subscribe(&self) -> mpsc::Receiver<AgentEvent> {
        let (tx, rx) = mpsc::channel();
        lock(&self.subscribers).push(tx);
        rx
    }

    pub(crate) fn emit(&self, event: AgentEvent) {
        // A subscriber that went away is dropped.
        lock(&self.subscribers).retain(|s| s.send(event.clone()).is_ok());
    }

    pub(crate) fn task(&self, name: &'static str, state: TaskState) {
        let recovered = {
            let mut s = lock(&self.state);
            let entry = s.tasks.entry(name).or_insert(TaskStatus {
                name,
                state: TaskState::Starting,
                restarts: 0,
            });
            let was_failed = matches!(entry.state, TaskState::Failed { .. });
            if matches!(state, TaskState::Failed { .. }) {
                entry.restarts += 1;
            }
            let recovered = was_failed && state == TaskState::Running;
            // A failed task being tried again is still failed until it runs.
            if !(was_failed && state == TaskState::Starting) {
                entry.state = state.clone();
            }
            recovered
        };
        match state {
            TaskState::Failed { error, .. } => {
                self.emit(AgentEvent::TaskFailed { task: name, error })
            }
            _ if recovered => self.emit(AgentEvent::TaskRecovered { task: name }),
            _ => {}
        }
    }

    pub(crate) fn tasks(&self) -> Vec<TaskStatus> {
        lock(&self.state).tasks.values().cloned().collect()
    }

    /// Every tool, as the policy now has it.
    pub(crate) fn apply_policy(&self, policy: &Resolved) {
        let mut s = lock(&self.state);
        for tool in Tool::ALL {
            let entry = s.sources.entry(*tool).or_insert_with(|| SourceStatus {
                tool: tool.as_str(),
                ..SourceStatus::default()
            });
            entry.sanctioned = policy.sanctions(*tool);
            entry.via = choice::source_name(policy, *tool);
        }
    }

    /// The latest call of each tool, from the ledger at start.
    pub(crate) fn last_calls(&self, last: &[(Tool, i64)]) {
        let mut s = lock(&self.state);
        for (tool, at) in last {
            if let Some(entry) = s.sources.get_mut(tool) {
                entry.last_call_ms = entry.last_call_ms.max(Some(*at));
            }
        }
    }

    /// What a scan found; its calls were handed to `counted` as they
    /// were committed.
    pub(crate) fn scanned(&self, summary: &ScanSummary) {
        let mut appeared = Vec::new();
        {
            let mut s = lock(&self.state);
            for scanned in &summary.tools {
                let Some(entry) = s.sources.get_mut(&scanned.tool) else {
                    continue;
                };
                let found = scanned.roots.iter().any(|r| r.found);
                if found && !entry.found {
                    appeared.push(entry.tool);
                }
                entry.found = found;
                entry.files = scanned.files;
                entry.problems = summary
                    .problems
                    .iter()
                    .filter(|p| scanned.roots.iter().any(|r| p.path.starts_with(&r.path)))
                    .map(|p| format!("{}: {}", p.path.display(), p.message))
                    .collect();
            }
            if summary.calls_new + summary.calls_improved > 0 {
                s.today_stale = true;
            }
        }
        for tool in appeared {
            self.emit(AgentEvent::SourceAppeared { tool });
        }
    }

    /// Calls stored for the first time (by a scan or live).
    pub(crate) fn counted(&self, calls: &[UsageEvent]) {
        if calls.is_empty() {
            return;
        }
        {
            let mut s = lock(&self.state);
            s.today_stale = true;
            for call in calls {
                if let Some(entry) = s.sources.get_mut(&call.tool) {
                    entry.last_call_ms = entry.last_call_ms.max(Some(call.at_ms));
                }
            }
        }
        for call in calls {
            self.emit(AgentEvent::CallCounted {
                tool: call.tool.as_str(),
                model: call.model.as_str().to_owned(),
                total_tokens: call.tokens.total(),
                provenance: call.provenance.as_str(),
                via: call.source.via(),
                at_ms: call.at_ms,
            });
        }
    }

    /// Known calls completed by a later record: today's sums moved.
    pub(crate) fn improved(&self) {
        lock(&self.state).today_stale = true;
    }

    pub(crate) fn sources(&self) -> Vec<SourceStatus> {
        lock(&self.state).sources.values().cloned().collect()
    }

    /// Today's sums, if still current for `day`.
    pub(crate) fn today_if_fresh(&self, day: &str) -> Option<Today> {
        let s = lock(&self.state);
        (!s.today_stale && s.today.day == day).then(|| s.today.clone())
    }

    pub(crate) fn set_today(&self, today: Today) {
        let mut s = lock(&self.state);
        s.today = today;
        s.today_stale = false;
    }

    /// Sets or clears the throttle; true when it changed.
    pub(crate) fn throttle(&self, reason: Option<String>) -> bool {
        let changed = {
            let mut s = lock(&self.state);
            let changed = s.throttled.is_some() != reason.is_some();
            s.throttled = reason.clone();
            changed
        };
        if changed {
            self.emit(AgentEvent::Throttled { reason });
        }
        changed
    }

    pub(crate) fn throttled(&self) -> Option<String> {
        lock(&self.state).throttled.clone()
    }

    pub(crate) fn usage(&self, cpu_percent: Option<f64>, rss_kib: Option<u64>) {
        let mut s = lock(&self.state);
        s.cpu_percent = cpu_percent;
        s.rss_kib = rss_kib;
    }

    pub(crate) fn own_usage(&self) -> (Option<f64>, Option<u64>) {
        let s = lock(&self.state);
        (s.cpu_percent, s.rss_kib)
    }

    pub(crate) fn set_upload(&self, status: UploadStatus) {
        lock(&self.state).upload = status;
    }

    pub(crate) fn upload(&self) -> UploadStatus {
        lock(&self.state).upload.clone()
    }
}

//! What the agent tells the tray: each task's state, each source's, today's
//! totals, a pause and a throttle; and the events it sends as they happen.

use std::collections::BTreeMap;

use serde::Serialize;

/// The state of one supervised task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum TaskState {
    /// Started, not yet known to be working.
    Starting,
    /// Working.
    Running,
    /// Failed; restarted after a wait.
    Failed {
        /// Why, in one line (no text of any call).
        error: String,
        /// When it will be tried again, ms since the epoch.
        retry_at_ms: i64,
    },
    /// Stopped on purpose.
    Stopped,
}

/// One supervised task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskStatus {
    /// `collectors`, `live` (proxy and receiver), `policy`, `watchdog`.
    pub name: &'static str,
    /// Its state.
    #[serde(flatten)]
    pub state: TaskState,
    /// How often it failed and was restarted.
    pub restarts: u32,
}

/// One tool as a source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SourceStatus {
    /// The tool id.
    pub tool: &'static str,
    /// Counted at all.
    pub sanctioned: bool,
    /// The policy's choice: `logs`, `proxy`, `telemetry`.
    pub via: &'static str,
    /// Its logs were found here.
    pub found: bool,
    /// Log files found.
    pub files: usize,
    /// Its latest counted call, ms since the epoch.
    pub last_call_ms: Option<i64>,
    /// Folders or files that could not be read.
    pub problems: Vec<String>,
}

/// Today's sums (the local day).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Today {
    /// The day, `YYYY-MM-DD`, in the time zone of day buckets.
    pub day: String,
    /// Input tokens not served from a cache.
    pub input: u64,
    /// Output tokens, reasoning included.
    pub output: u64,
    /// Cache reads.
    pub cache_read: u64,
    /// Cache writes.
    pub cache_write: u64,
    /// Reasoning (part of output).
    pub reasoning: u64,
    /// input + output + cache read + cache write.
    pub total: u64,
    /// Calls.
    pub calls: u64,
    /// Calls whose counts are estimates.
    pub estimated_calls: u64,
    /// Total tokens per tool.
    pub by_tool: BTreeMap<String, u64>,
}

/// Everything at once.
#[derive(Debug, Clone, Serialize)]
pub struct AgentStatus {
    /// The supervised tasks.
    pub tasks: Vec<TaskStatus>,
    /// Every known tool.
    pub sources: Vec<SourceStatus>,
    /// Today's sums.
    pub today: Today,
    /// Until when counting is paused (ms since the epoch; `i64::MAX` until
    /// resumed), if it is.
    pub paused_until_ms: Option<i64>,
    /// Why the agent slowed its work down, if it did.
    pub throttled: Option<String>,
    /// The agent's own CPU (% of one core, last minute) and memory (RSS, KiB).
    pub cpu_percent: Option<f64>,
    /// Resident memory, KiB.
    pub rss_kib: Option<u64>,
    /// The uploader.
    pub upload: UploadStatus,
}

/// What the uploader is doing.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UploadStatus {
    /// `off` (until the employee opts in), `disabled` (by policy), `on`.
    pub state: &'static str,
    /// When the last attempt ended, ms since the epoch.
    pub last_attempt_ms: Option<i64>,
    /// Buckets the last successful cycle sent.
    pub last_sent_buckets: usize,
    /// When the next attempt is due, ms since the epoch.
    pub next_attempt_ms: Option<i64>,
    /// Why the last attempt failed, if it did.
    pub error: Option<String>,
}

/// What happened, as it happens.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum AgentEvent {
    /// A call was counted for the first time.
    CallCounted {
        /// The tool.
        tool: &'static str,
        /// The model.
        model: String,
        /// Its total tokens.
        total_tokens: u64,
        /// `log`, `reported` or `estimated`.
        provenance: &'static str,
        /// `log`, `proxy` or `telemetry`.
        via: &'static str,
        /// When it was made, ms since the epoch.
        at_ms: i64,
    },
    /// A tool's logs were found for the first time.
    SourceAppeared {
        /// The tool.
        tool: &'static str,
    },
    /// A task failed (it is restarted after a wait).
    TaskFailed {
        /// The task.
        task: &'static str,
        /// Why.
        error: String,
    },
    /// A failed task works again.
    TaskRecovered {
        /// The task.
        task: &'static str,
    },
    /// The effective policy changed.
    PolicyChanged {
        /// The tools now counted.
        sanctioned: Vec<&'static str>,
    },
    /// Counting paused or resumed.
    PauseChanged {
        /// Until when, if paused.
        until_ms: Option<i64>,
    },
    /// The watchdog slowed the agent down, or let it run at full speed again.
    Throttled {
        /// Why, or `None` when back to normal.
        reason: Option<String>,
    },
}

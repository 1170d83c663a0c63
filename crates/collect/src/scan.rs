//! A scan: find every log, read what is new in each, and commit the events
//! with their checkpoints.
//!
//! Worker threads read and parse files (largest first); the calling thread
//! is the only writer and commits whatever the workers have finished, each
//! file's chunks in order. A chunk's events and the checkpoint after them
//! are one transaction, so a scan killed at any moment resumes exactly.

mod job;

use std::{
    collections::HashMap,
    path::PathBuf,
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        mpsc,
    },
};

use tokentally_event::{Tool, UsageEvent};
use tokentally_store::{Checkpoint, FileProgress, Store};

use crate::{
    CollectError, Collector, Env,
    discover::{self, Problem, Root},
};
use job::Job;

/// How to scan.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Worker threads (at least 1).
    pub threads: usize,
    /// Only look for the logs; read nothing.
    pub discover_only: bool,
    /// Folder listings kept between the scans of a long-running process.
    pub listings: Option<std::sync::Arc<discover::Listings>>,
    /// Read only these files, each with the index of its collector, and
    /// look for no others: for a watcher that saw exactly these change.
    /// Their checkpoints are read one by one, not all of them.
    pub only: Option<Vec<(usize, PathBuf)>>,
    /// Keep each tool's list of files in the summary ([`ToolScan::paths`]).
    pub keep_paths: bool,
}

impl Default for ScanOptions {
    fn default() -> Self {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
        ScanOptions {
            threads,
            discover_only: false,
            listings: None,
            only: None,
            keep_paths: false,
        }
    }
}

/// Progress of a running scan, in bytes to read.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScanProgress {
    /// Bytes read so far.
    pub bytes_done: u64,
    /// Bytes the scan expects to read.
    pub bytes_total: u64,
}

/// One commit of a running scan: how far it is, and the calls that commit
/// stored for the first time. Handed out as they are committed rather than
/// gathered in the summary, so a backlog of a million calls is never held
/// in memory at once.
#[derive(Debug, Clone, Copy)]
pub struct ScanStep<'a> {
    /// Bytes read so far, of those expected.
    pub progress: ScanProgress,
    /// Calls seen for the first time, in this commit.
    pub new_calls: &'a [UsageEvent],
}

/// One tool's part of a scan.
#[derive(Debug, Clone)]
pub struct ToolScan {
    /// The tool.
    pub tool: Tool,
    /// Where it was looked for.
    pub roots: Vec<Root>,
    /// Log files found.
    pub files: usize,
    /// Their paths, when asked for ([`ScanOptions::keep_paths`]).
    pub paths: Vec<PathBuf>,
}

/// What a scan did.
#[derive(Debug, Default)]
pub struct ScanSummary {
    /// Per tool: roots and files.
    pub tools: Vec<ToolScan>,
    /// Files that had new bytes and were read.
    pub files_read: usize,
    /// Bytes read.
    pub bytes_read: u64,
    /// Calls seen for the first time.
    pub calls_new: u64,
    /// Known calls completed by a later record.
    pub calls_improved: u64,
    /// Lines skipped (malformed, oversized, incomplete).
    pub lines_skipped: u64,
    /// Files or directories that could not be read.
    pub problems: Vec<Problem>,
}

impl ScanSummary {
    /// Log files found over all tools.
    pub fn files_found(&self) -> usize {
        self.tools.iter().map(|t| t.files).sum()
    }
}

/// What a worker sends the writer.
enum Message {
    /// A chunk of a file: events and the checkpoint after them.
    Chunk { progress: FileProgress, bytes: u64 },
    /// A file that could not be read.
    Problem(Problem),
}

/// Scans every log of `collectors` and commits what is new; `on_step` sees
/// each commit.
pub fn scan(
    store: &mut Store,
    collectors: &[Box<dyn Collector>],
    env: &Env,
    options: &ScanOptions,
    on_step: &mut dyn FnMut(ScanStep<'_>),
) -> Result<ScanSummary, CollectError> {
    let mut summary = ScanSummary::default();
    let mut jobs = Vec::new();
    match &options.only {
        Some(only) => {
            for (index, path) in only {
                let Some(collector) = collectors.get(*index) else {
                    continue;
                };
                let checkpoint = store.checkpoint(path)?;
                plan(
                    collector.as_ref(),
                    path.clone(),
                    checkpoint,
                    &mut jobs,
                    &mut summary,
                );
            }
        }
        None => discover_all(store, collectors, env, options, &mut jobs, &mut summary)?,
    }
    if options.discover_only {
        return Ok(summary);
    }
    // Largest first, so the last file to finish is a small one.
    jobs.sort_by_key(|job| std::cmp::Reverse(job.expected_bytes()));
    let total = jobs.iter().map(Job::expected_bytes).sum();
    run_jobs(store, jobs, total, options, on_step, &mut summary)?;
    Ok(summary)
}

/// Finds every log of `collectors` and plans what to read in each.
fn discover_all<'a>(
    store: &Store,
    collectors: &'a [Box<dyn Collector>],
    env: &Env,
    options: &ScanOptions,
    jobs: &mut Vec<Job<'a>>,
    summary: &mut ScanSummary,
) -> Result<(), CollectError> {
    let checkpoints: HashMap<PathBuf, _> = store
        .checkpoints()?
        .into_iter()
        .map(|c| (c.path.clone(), c))
        .collect();
    for collector in collectors {
        let found = discover::find_with(collector.as_ref(), env, options.listings.as_deref());
        summary.tools.push(ToolScan {
            tool: collector.tool(),
            roots: found.roots,
            files: found.files.len(),
            paths: if options.keep_paths {
                found.files.clone()
            } else {
                Vec::new()
            },
        });
        summary.problems.extend(found.problems);
        for path in found.files {
            let checkpoint = checkpoints.get(&path).cloned();
            plan(collector.as_ref(), path, checkpoint, jobs, summary);
        }
    }
    Ok(())
}

/// Plans the reading of `path` from its checkpoint, if that checkpoint is
/// this collector's tool's; a file that cannot be looked at is a problem.
fn plan<'a>(
    collector: &'a dyn Collector,
    path: PathBuf,
    checkpoint: Option<Checkpoint>,
    jobs: &mut Vec<Job<'a>>,
    summary: &mut ScanSummary,
) {
    let checkpoint = checkpoint.filter(|c| c.tool == collector.tool());
    match Job::plan(collector, path, checkpoint) {
        Ok(Some(job)) => jobs.push(job),
        Ok(None) => {}
        Err(problem) => summary.problems.push(problem),
    }
}

fn run_jobs(
    store: &mut Store,
    jobs: Vec<Job<'_>>,
    bytes_total: u64,
    options: &ScanOptions,
    on_step: &mut dyn FnMut(ScanStep<'_>),
    summary: &mut ScanSummary,
) -> Result<(), CollectError> {
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (tx, rx) = mpsc::sync_channel::<Message>(16);
    std::thread::scope(|scope| {
        let mut workers = Vec::new();
        for _ in 0..options.threads.max(1) {
            let tx = tx.clone();
            let (jobs, next, stop) = (&jobs, &next, &stop);
            workers.push(scope.spawn(move || {
                let mut buf = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let Some(job) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) else {
                        break;
                    };
                    job.run(&mut buf, stop, &tx);
                }
            }));
        }
        drop(tx);
        let written = write_all(store, &rx, bytes_total, on_step, summary);
        if written.is_err() {
            stop.store(true, Ordering::Relaxed);
            // Unblock workers waiting on a full channel.
            while rx.recv().is_ok() {}
        }
        let panicked = workers.into_iter().any(|w| w.join().is_err());
        match (written, panicked) {
            (Err(e), _) => Err(e),
            (Ok(()), true) => Err(CollectError::Worker),
            (Ok(()), false) => Ok(()),
        }
    })
}

/// Most events committed in one transaction: larger batches rewrite fewer
/// index pages (a 1 GB backlog wrote 50 MB at 50,000, 57 MB at 20,000, 88 MB
/// at 10,000) but hold more events in memory (peak RSS 48, 39, 31 MiB).
const MAX_BATCH_EVENTS: usize = 20_000;
/// Longest time read events wait for their commit.
const MAX_BATCH_WAIT: std::time::Duration = std::time::Duration::from_millis(300);

fn write_all(
    store: &mut Store,
    rx: &mpsc::Receiver<Message>,
    bytes_total: u64,
    on_step: &mut dyn FnMut(ScanStep<'_>),
    summary: &mut ScanSummary,
) -> Result<(), CollectError> {
    let mut progress = ScanProgress {
        bytes_done: 0,
        bytes_total,
    };
    let mut files = std::collections::HashSet::new();
    while let Ok(first) = rx.recv() {
        // Gather more for a while, so one transaction covers many files: each
        // commit rewrites the index pages it touched, so few large commits
        // write far less than many small ones.
        let mut batch = Vec::new();
        let mut events = 0;
        let deadline = std::time::Instant::now() + MAX_BATCH_WAIT;
        let mut message = Some(first);
        while let Some(m) = message.take() {
            match m {
                Message::Chunk {
                    progress: chunk,
                    bytes,
                } => {
                    progress.bytes_done += bytes;
                    summary.bytes_read += bytes;
                    summary.lines_skipped += chunk.skipped_lines;
                    files.insert(chunk.checkpoint.path.clone());
                    events += chunk.events.len();
                    batch.push(chunk);
                }
                Message::Problem(problem) => summary.problems.push(problem),
            }
            let wait = deadline.saturating_duration_since(std::time::Instant::now());
            if events < MAX_BATCH_EVENTS && !wait.is_zero() {
                message = rx.recv_timeout(wait).ok();
            }
        }
        if batch.is_empty() {
            continue;
        }
        let committed = store.commit(batch)?;
        summary.calls_new += committed.new_calls.len() as u64;
        summary.calls_improved += committed.improved;
        on_step(ScanStep {
            progress,
            new_calls: &committed.new_calls,
        });
    }
    summary.files_read = files.len();
    Ok(())
}

#[cfg(test)]
mod tests;

//! Watch mode: rescan when a log changes (notify, debounced), and
//! periodically as a safety net for missed or overflowed events. When the
//! only changes were writes to files the last full scan found, only those
//! files are read: a call costs the same with ten log files or ten thousand.

use std::{
    collections::{HashMap, HashSet},
    path::PathBuf,
    sync::{
        atomic::{AtomicBool, Ordering},
        mpsc,
    },
    time::{Duration, Instant},
};

use notify::{RecursiveMode, Watcher};
use tokentally_event::UsageEvent;
use tokentally_store::Store;

use crate::{CollectError, Collector, Env, ScanOptions, ScanSummary, scan};

/// What a watch reports, as it happens.
#[derive(Debug, Clone, Copy)]
pub enum Watched<'a> {
    /// Calls just stored for the first time (a scan commits a backlog in
    /// several steps, each reported at once).
    Counted(&'a [UsageEvent]),
    /// A scan ended: what it found and read.
    Scanned(&'a ScanSummary),
}

/// Timing of the watcher.
#[derive(Debug, Clone, Copy)]
pub struct WatchTiming {
    /// Quiet time after a change before scanning (writes come in bursts).
    pub debounce: Duration,
    /// Longest wait after the first change of a burst.
    pub max_delay: Duration,
    /// Rescan this often even without events.
    pub rescan: Duration,
    /// Rescan this soon after something was created: a file made in a new
    /// folder right after the folder can beat the watch on that folder.
    pub after_create: Duration,
}

impl Default for WatchTiming {
    fn default() -> Self {
        WatchTiming {
            debounce: Duration::from_millis(100),
            max_delay: Duration::from_millis(500),
            rescan: Duration::from_secs(30),
            after_create: Duration::from_secs(1),
        }
    }
}

/// Asked at each wake-up of the watcher (at least once a tick) whether the
/// collectors to run changed, e.g. because the policy did: a new set, or
/// `None` to keep the current one.
pub type Reload<'a> = &'a mut dyn FnMut() -> Option<Vec<Box<dyn Collector>>>;

/// How often the watcher wakes while idle, to check `stop` and `reload`.
const TICK: Duration = Duration::from_millis(200);
/// A scan that read this much was a backlog: the ledger's page cache it
/// filled is freed and given back to the OS after it (the next appended
/// lines need a few pages).
/// Well above what a rescan of appended lines reads, even large ones.
const BACKLOG_BYTES: u64 = 8 << 20;

/// What ended a wait.
enum Wake {
    /// Logs changed (something was created when `true`), or it is time for
    /// a safety rescan, or `stop` was set. `written`: the changes were
    /// only writes to these known files.
    Scan {
        created: bool,
        written: Option<Vec<(usize, PathBuf)>>,
    },
    /// The collectors to run changed.
    Collectors(Vec<Box<dyn Collector>>),
}

/// Scans, then rescans on every change until `stop` is set; `on_watched`
/// sees each commit's new calls and each scan's summary. When `reload`
/// hands over a new set of collectors, they are run from the next scan on,
/// at once: a tool added is read, a tool dropped is no longer read nor
/// watched.
pub fn watch(
    store: &mut Store,
    mut collectors: Vec<Box<dyn Collector>>,
    env: &Env,
    timing: WatchTiming,
    stop: &AtomicBool,
    on_watched: &mut dyn FnMut(Watched<'_>),
    reload: Reload<'_>,
) -> Result<(), CollectError> {
    let options = ScanOptions {
        listings: Some(Default::default()),
        keep_paths: true,
        ..ScanOptions::default()
    };
    let (tx, rx) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(move |event| {
        // The receiver is gone only when watching stopped.
        let _ = tx.send(event);
    })
    .map_err(|source| CollectError::Watch {
        path: PathBuf::new(),
        source,
    })?;
    let mut watched = HashSet::new();
    let mut next_rescan = timing.rescan;
    let mut replaced = false;
    // Each file the last full scan found, with its collector's index.
    let mut known: HashMap<PathBuf, usize> = HashMap::new();
    let mut only = None;
    while !stop.load(Ordering::Relaxed) {
        let targeted = only.is_some();
        let this_scan = ScanOptions {
            only: only.take(),
            ..options.clone()
        };
        let mut on_step = |step: crate::ScanStep<'_>| {
            if !step.new_calls.is_empty() {
                on_watched(Watched::Counted(step.new_calls));
            }
        };
        let summary = scan(store, &collectors, env, &this_scan, &mut on_step)?;
        if summary.bytes_read >= BACKLOG_BYTES
            && let Err(e) = store.release_memory()
        {
            tracing::debug!(error = %e, "Cannot free the ledger's page cache.");
        }
        if !targeted {
            known = summary
                .tools
                .iter()
                .enumerate()
                .flat_map(|(i, t)| t.paths.iter().map(move |p| (p.clone(), i)))
                .collect();
        }
        if replaced {
            replaced = false;
            unwatch_dropped(&mut watcher, &mut watched, &summary);
        }
        // Watch new roots before telling anyone we are watching; what was
        // written between the scan and the watch is caught by a rescan soon.
        let mut new_roots = false;
        for root in found_roots(&summary) {
            if watched.insert(root.clone()) {
                new_roots = true;
                if let Err(e) = watcher.watch(root, RecursiveMode::Recursive) {
                    tracing::warn!(path = %root.display(), error = %e, "Cannot watch; relying on rescans.");
                }
            }
        }
        on_watched(Watched::Scanned(&summary));
        if new_roots {
            next_rescan = timing.after_create;
        }
        next_rescan = match wait_for_change(&rx, timing, next_rescan, stop, reload, &known) {
            Wake::Scan { created: true, .. } => timing.after_create,
            Wake::Scan { written, .. } => {
                only = written;
                timing.rescan
            }
            Wake::Collectors(set) => {
                collectors = set;
                replaced = true;
                timing.rescan
            }
        };
    }
    Ok(())
}

fn found_roots(summary: &ScanSummary) -> impl Iterator<Item = &PathBuf> {
    summary
        .tools
        .iter()
        .flat_map(|t| &t.roots)
        .filter(|r| r.found)
        .map(|r| &r.path)
}

/// Stops watching the roots no collector of the last scan looked at: their
/// tool is no longer read, so their changes need not wake anyone.
fn unwatch_dropped(
    watcher: &mut impl Watcher,
    watched: &mut HashSet<PathBuf>,
    summary: &ScanSummary,
) {
    let kept: HashSet<&PathBuf> = found_roots(summary).collect();
    watched.retain(|root| {
        let keep = kept.contains(root);
        if !keep {
            // A root already gone is no longer watched anyway.
            let _ = watcher.unwatch(root);
        }
        keep
    });
}

/// Waits for a change (or `rescan`, or new collectors), then for a change's
/// burst to end.
fn wait_for_change(
    rx: &mpsc::Receiver<notify::Result<notify::Event>>,
    timing: WatchTiming,
    rescan: Duration,
    stop: &AtomicBool,
    reload: Reload<'_>,
    known: &HashMap<PathBuf, usize>,
) -> Wake {
    let until = Instant::now() + rescan;
    let mut next_reload = Instant::now() + TICK;
    let full = Wake::Scan {
        created: false,
        written: None,
    };
    let mut written = Some(HashSet::new());
    // Wait for the first event, checking `stop` and `reload` every tick.
    let mut created = loop {
        if stop.load(Ordering::Relaxed) || Instant::now() >= until {
            return full;
        }
        if Instant::now() >= next_reload {
            next_reload = Instant::now() + TICK;
            if let Some(set) = reload() {
                return Wake::Collectors(set);
            }
        }
        let left = until
            .min(next_reload)
            .saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(event) if is_change(&event) => {
                note_writes(&mut written, &event, known);
                break is_creation(&event);
            }
            Ok(_) => continue,
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            // No watcher: only ticks are left to wait for.
            Err(mpsc::RecvTimeoutError::Disconnected) => std::thread::sleep(left),
        }
    };
    // Then until the burst is quiet, or it has lasted long enough.
    let deadline = Instant::now() + timing.max_delay;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match rx.recv_timeout(timing.debounce.min(left)) {
            // Any event, a change or not, means the burst is still going.
            Ok(event) => {
                created |= is_creation(&event);
                if is_change(&event) {
                    note_writes(&mut written, &event, known);
                }
            }
            Err(_) => break,
        }
    }
    let written = written.filter(|w| !w.is_empty()).map(|w| {
        w.into_iter()
            .filter_map(|p| known.get(&p).map(|i| (*i, p)))
            .collect()
    });
    Wake::Scan { created, written }
}

/// Keeps the set of written files while every change is a write to a file
/// the last full scan found; anything else (a creation, a removal, a rename,
/// a lost event, a file not known) calls for a full scan (`None`).
fn note_writes(
    written: &mut Option<HashSet<PathBuf>>,
    event: &notify::Result<notify::Event>,
    known: &HashMap<PathBuf, usize>,
) {
    use notify::event::{EventKind, ModifyKind};
    let Some(set) = written else { return };
    match event {
        Ok(e)
            if matches!(
                e.kind,
                EventKind::Modify(ModifyKind::Data(_) | ModifyKind::Any)
            ) && e.paths.iter().all(|p| known.contains_key(p)) =>
        {
            set.extend(e.paths.iter().cloned())
        }
        _ => *written = None,
    }
}

fn is_creation(event: &notify::Result<notify::Event>) -> bool {
    matches!(event, Ok(e) if matches!(e.kind, notify::EventKind::Create(_)))
}

/// Whether an event can mean new data. Reads are not: a scan opens the
/// folders it walks, and reacting to that would rescan forever.
fn is_change(event: &notify::Result<notify::Event>) -> bool {
    match event {
        Ok(e) => !matches!(e.kind, notify::EventKind::Access(_)),
        // The watcher lost track (queue overflow): look again.
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use tokentally_event::Tool;

    use super::*;
    use crate::{
        all_collectors,
        testkit::{Sandbox, fixture},
    };

    #[test]
    fn reads_are_not_changes_but_writes_and_lost_events_are() {
        use notify::{
            Event, EventKind,
            event::{AccessKind, CreateKind, ModifyKind},
        };
        assert!(!is_change(&Ok(Event::new(EventKind::Access(
            AccessKind::Any
        )))));
        assert!(is_change(&Ok(Event::new(EventKind::Modify(
            ModifyKind::Any
        )))));
        assert!(is_change(&Ok(Event::new(EventKind::Create(
            CreateKind::File
        )))));
        assert!(is_change(&Err(notify::Error::generic("queue overflow"))));
    }

    fn only(tool: Tool) -> Vec<Box<dyn Collector>> {
        all_collectors()
            .into_iter()
            .filter(|c| c.tool() == tool)
            .collect()
    }

    fn claude_line(id: &str) -> String {
        format!(
            r#"{{"type":"assistant","sessionId":"w","timestamp":"2026-03-02T12:00:00.000Z","uuid":"{id}","requestId":"r{id}","message":{{"id":"m{id}","model":"claude-sonnet-4-5","role":"assistant","content":[],"usage":{{"input_tokens":3,"output_tokens":4,"cache_read_input_tokens":0,"cache_creation_input_tokens":0}}}}}}"#
        ) + "\n"
    }

    fn append(path: &std::path::Path, text: &str) {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
        f.write_all(text.as_bytes()).unwrap();
    }

    /// A line appended to a file the last full scan found is read by a scan
    /// of that file alone; a new file brings a full scan (which finds it).
    #[test]
    fn writes_to_known_files_are_read_alone_and_a_new_file_scans_everything() {
        let s = Sandbox::new();
        let a = s.place(
            &fixture("claude_code", "streamed.jsonl"),
            ".claude/projects/p/a.jsonl",
        );
        s.place(
            &fixture("claude_code", "resumed.jsonl"),
            ".claude/projects/p/b.jsonl",
        );
        let home = s.home();
        let env = Env::from_pairs([("HOME", home.to_str().unwrap())]);
        let stop = AtomicBool::new(false);
        // Per scan: whether it looked for files (a full scan) and calls new.
        let mut scans: Vec<(bool, u64)> = Vec::new();
        let mut on_watched = |watched: Watched<'_>| {
            let Watched::Scanned(summary) = watched else {
                return;
            };
            scans.push((!summary.tools.is_empty(), summary.calls_new));
            match scans.len() {
                1 => append(&a, &claude_line("x1")),
                2 => std::fs::write(a.with_file_name("c.jsonl"), claude_line("x2")).unwrap(),
                _ => stop.store(true, Ordering::Relaxed),
            }
        };
        let mut store = Store::open(&home.join("ledger.db")).unwrap();
        watch(
            &mut store,
            only(Tool::ClaudeCode),
            &env,
            WatchTiming::default(),
            &stop,
            &mut on_watched,
            &mut || None,
        )
        .unwrap();
        assert!(
            scans[0].0 && scans[0].1 > 0,
            "the first scan is full: {scans:?}"
        );
        assert_eq!(scans[1], (false, 1), "the appended line, read alone");
        assert_eq!(scans[2], (true, 1), "the new file, found by a full scan");
    }

    /// The collectors handed over by `reload` are the ones run from the next
    /// scan on: the tool added is read (its backlog too), the one dropped
    /// is not run at all.
    #[test]
    fn new_collectors_from_reload_replace_the_running_ones_at_once() {
        let mut s = Sandbox::new();
        s.place(
            &fixture("claude_code", "streamed.jsonl"),
            ".claude/projects/p/s.jsonl",
        );
        s.place(
            &fixture("codex", "session.jsonl"),
            ".codex/sessions/2026/04/10/rollout-2026-04-10T08-00-00-0196aaaa-0000-7000-8000-000000000001.jsonl",
        );
        let home = s.home();
        let env = Env::from_pairs([("HOME", home.to_str().unwrap())]);
        let stop = AtomicBool::new(false);
        let mut scans: Vec<(Vec<Tool>, u64)> = Vec::new();
        let mut on_watched = |watched: Watched<'_>| {
            let Watched::Scanned(summary) = watched else {
                return;
            };
            let tools = summary.tools.iter().map(|t| t.tool).collect();
            scans.push((tools, summary.calls_new));
            if scans.len() == 2 {
                stop.store(true, Ordering::Relaxed);
            }
        };
        let mut asked = 0;
        let mut reload = || {
            asked += 1;
            // Nothing new at the first tick, then a new set.
            (asked == 2).then(|| only(Tool::ClaudeCode))
        };
        let started = Instant::now();
        watch(
            &mut s.store,
            only(Tool::Codex),
            &env,
            WatchTiming::default(),
            &stop,
            &mut on_watched,
            &mut reload,
        )
        .unwrap();
        assert_eq!(scans[0].0, vec![Tool::Codex]);
        assert!(scans[0].1 > 0, "codex's calls are read");
        assert_eq!(scans[1].0, vec![Tool::ClaudeCode]);
        assert!(scans[1].1 > 0, "claude-code's backlog is read at once");
        // Two ticks, far sooner than the 30 s safety rescan.
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}

//! Watch mode: rescan when a log changes (notify, debounced), and
//! periodically as a safety net for missed or overflowed events.

use std::{
    collections::HashSet,
    path::PathBuf,
    sync::{
        atomic::{AtomicBool, Ordering},
        mpsc,
    },
    time::{Duration, Instant},
};

use notify::{RecursiveMode, Watcher};
use tokentally_store::Store;

use crate::{CollectError, Collector, Env, ScanOptions, ScanSummary, scan};

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

/// Scans, then rescans on every change until `stop` is set; `on_scan` sees
/// each scan's summary (with its new calls).
pub fn watch(
    store: &mut Store,
    collectors: &[Box<dyn Collector>],
    env: &Env,
    timing: WatchTiming,
    stop: &AtomicBool,
    on_scan: &mut dyn FnMut(&ScanSummary),
) -> Result<(), CollectError> {
    let options = ScanOptions {
        keep_new_calls: true,
        listings: Some(Default::default()),
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
    while !stop.load(Ordering::Relaxed) {
        let summary = scan(store, collectors, env, &options, &|_| {})?;
        // Watch new roots before telling anyone we are watching; what was
        // written between the scan and the watch is caught by a rescan soon.
        let mut new_roots = false;
        for tool in &summary.tools {
            for root in tool.roots.iter().filter(|r| r.found) {
                if watched.insert(root.path.clone()) {
                    new_roots = true;
                    if let Err(e) = watcher.watch(&root.path, RecursiveMode::Recursive) {
                        tracing::warn!(path = %root.path.display(), error = %e, "Cannot watch; relying on rescans.");
                    }
                }
            }
        }
        on_scan(&summary);
        if new_roots {
            next_rescan = timing.after_create;
        }
        let created = wait_for_change(&rx, timing, next_rescan, stop);
        next_rescan = if created {
            timing.after_create
        } else {
            timing.rescan
        };
    }
    Ok(())
}

/// Waits for a change (or `rescan`), then for its burst to end; true when
/// something was created in it.
fn wait_for_change(
    rx: &mpsc::Receiver<notify::Result<notify::Event>>,
    timing: WatchTiming,
    rescan: Duration,
    stop: &AtomicBool,
) -> bool {
    let tick = Duration::from_millis(200);
    let until = Instant::now() + rescan;
    // Wait for the first event, checking `stop` every tick.
    let mut created = loop {
        if stop.load(Ordering::Relaxed) || Instant::now() >= until {
            return false;
        }
        match rx.recv_timeout(tick.min(until.saturating_duration_since(Instant::now()))) {
            Ok(event) if is_change(&event) => break is_creation(&event),
            Ok(_) => continue,
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            Err(mpsc::RecvTimeoutError::Disconnected) => return false,
        }
    };
    // Then until the burst is quiet, or it has lasted long enough.
    let deadline = Instant::now() + timing.max_delay;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match rx.recv_timeout(timing.debounce.min(left)) {
            // Any event, a change or not, means the burst is still going.
            Ok(event) => created |= is_creation(&event),
            Err(_) => break,
        }
    }
    created
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
    use super::*;

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
}

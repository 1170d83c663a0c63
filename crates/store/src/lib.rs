//! The usage ledger: one SQLite file (WAL) holding usage events and the
//! per-file checkpoints of the collectors.
//!
//! Invariants:
//! - every call is kept under its call key forever; a later read of the same
//!   call replaces it only with a more complete record (its rank);
//! - a checkpoint advances only in the transaction that stores the events
//!   read up to it, so a crash at any point loses nothing and counts nothing
//!   twice;
//! - no column can hold prompt or response text (see `tokentally-event`).

mod c_heap;
mod error;
pub mod live;
mod migrate;
mod table;
mod upload;

pub use error::StoreError;
pub use table::checkpoints::Checkpoint;
pub use table::consent::ConsentChange;
pub use table::enrollment::Enrollment;
pub use table::events::{CountedCall, RecentCall};
pub use table::events::{Outcome, ToolCalls};
pub use table::outbox::OutboxRow;
pub use table::pauses::Pause;
pub use table::receipts::{Receipt, ReceiptEnd};
pub use table::slots::{SLOT_MS, SlotQuery, SlotRow};
pub use upload::Deleted;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use std::collections::HashSet;

use tokentally_event::{Key, Tool, UsageEvent};

/// What one file contributed since its last checkpoint.
#[derive(Debug, Clone)]
pub struct FileProgress {
    /// The checkpoint after the events below.
    pub checkpoint: Checkpoint,
    /// Events read up to the checkpoint's offset.
    pub events: Vec<UsageEvent>,
    /// Lines skipped (malformed, oversized) since the last checkpoint.
    pub skipped_lines: u64,
}

/// What a commit did, for summaries and live views.
#[derive(Debug, Default, Clone)]
pub struct CommitSummary {
    /// Calls seen for the first time, with the file id filled in.
    pub new_calls: Vec<UsageEvent>,
    /// Known calls replaced by a more complete record.
    pub improved: u64,
    /// Records that were already known (copies, re-reads).
    pub unchanged: u64,
}

/// An open ledger.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// Groups that hold a side copy: only their records need their replay
    /// status recomputed after a write (loaded on first commit).
    side_groups: Option<HashSet<(Tool, Key)>>,
    /// Calls before this moment are not kept (the retention policy).
    kept_from_ms: Option<i64>,
}

impl Store {
    /// Opens (creating if needed) the ledger at `path` and migrates it.
    ///
    /// Refuses a file that is not a SQLite database or that a newer build
    /// wrote; such a file is left untouched.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
                path: dir.to_owned(),
                source,
            })?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn =
            Connection::open_with_flags(path, flags).map_err(|e| StoreError::classify(path, e))?;
        let mut store = Store {
            conn,
            path: path.to_owned(),
            side_groups: None,
            kept_from_ms: None,
        };
        store
            .configure()
            .map_err(|e| StoreError::classify(path, e))?;
        migrate::run(&mut store.conn, path)?;
        Ok(store)
    }

    fn configure(&self) -> rusqlite::Result<()> {
        // The schema check first: it is what fails on a file that is not a
        // database, before any pragma could write to it.
        self.conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))?;
        self.conn.busy_timeout(std::time::Duration::from_secs(10))?;
        self.conn.pragma_update(None, "journal_mode", "wal")?;
        // NORMAL in WAL mode: a committed transaction survives a process
        // crash; a power cut may lose the last ones, never corrupt the file.
        self.conn.pragma_update(None, "synchronous", "normal")?;
        self.conn.pragma_update(None, "foreign_keys", "on")?;
        // 16 MiB of page cache: a first scan inserts into random places of
        // the key index.
        self.conn.pragma_update(None, "cache_size", -16_384)?;
        Ok(())
    }

    /// Caps SQLite's page cache: a long-running writer of small batches
    /// needs little of it, and it counts in the process's memory.
    pub fn limit_cache(&self, kib: u32) -> Result<(), StoreError> {
        self.conn
            .pragma_update(None, "cache_size", -i64::from(kib))
            .map_err(|e| self.err(e))
    }

    /// Frees the page cache's unused pages and gives them back to the OS:
    /// after a burst (a backlog read), so the cache it filled does not stay
    /// in a long-running process.
    pub fn release_memory(&self) -> Result<(), StoreError> {
        self.conn.release_memory().map_err(|e| self.err(e))?;
        if c_heap::trim() {
            tracing::debug!("Gave the C heap's free pages back.");
        }
        Ok(())
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every checkpoint, for a scan to compare against the files it finds.
    pub fn checkpoints(&self) -> Result<Vec<Checkpoint>, StoreError> {
        table::checkpoints::all(&self.conn).map_err(|e| self.err(e))
    }

    /// The checkpoint of one file, for a scan of only the files a watcher
    /// saw change.
    pub fn checkpoint(&self, path: &Path) -> Result<Option<Checkpoint>, StoreError> {
        table::checkpoints::by_path(&self.conn, path).map_err(|e| self.err(e))
    }

    /// Stores the events of several files and advances their checkpoints,
    /// all in one transaction.
    pub fn commit(&mut self, batch: Vec<FileProgress>) -> Result<CommitSummary, StoreError> {
        self.write(batch, Vec::new(), None)
    }

    /// Stores calls seen live (by the proxy or the telemetry receiver,
    /// which have no file checkpoint), with the source's state if it keeps
    /// one, in one transaction.
    pub fn commit_live(
        &mut self,
        events: Vec<UsageEvent>,
        state: Option<(&str, &[u8])>,
    ) -> Result<CommitSummary, StoreError> {
        self.write(Vec::new(), events, state)
    }

    /// Pauses counting from `start_ms` until `end_ms` (or until resumed):
    /// calls in that window are not counted, from any source.
    pub fn pause(&mut self, start_ms: i64, end_ms: Option<i64>) -> Result<(), StoreError> {
        table::pauses::begin(&self.conn, start_ms, end_ms).map_err(|e| self.err(e))
    }

    /// Ends a running pause at `at_ms`.
    pub fn resume(&mut self, at_ms: i64) -> Result<(), StoreError> {
        table::pauses::end(&self.conn, at_ms).map_err(|e| self.err(e))
    }

    /// Every pause, oldest first.
    pub fn pauses(&self) -> Result<Vec<Pause>, StoreError> {
        table::pauses::all(&self.conn).map_err(|e| self.err(e))
    }

    /// Drops, in later commits, calls before `cutoff_ms` (an old log read
    /// again does not bring back what retention removed).
    pub fn keep_from(&mut self, cutoff_ms: i64) {
        self.kept_from_ms = Some(table::retention::kept_from(cutoff_ms));
    }

    /// Keeps calls from `cutoff_ms` on: older ones are removed now with
    /// their sums, and later commits drop them. Returns the calls removed.
    pub fn retain_from(&mut self, cutoff_ms: i64) -> Result<u64, StoreError> {
        self.keep_from(cutoff_ms);
        let kept_from = table::retention::kept_from(cutoff_ms);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| StoreError::classify(&self.path, e))?;
        let removed = table::retention::prune(&tx, kept_from)
            .and_then(|n| tx.commit().map(|()| n))
            .map_err(|e| StoreError::classify(&self.path, e))?;
        Ok(removed)
    }

    /// A live source's state as last committed.
    pub fn live_state(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        table::live_state::load(&self.conn, name).map_err(|e| self.err(e))
    }

    fn write(
        &mut self,
        batch: Vec<FileProgress>,
        live: Vec<UsageEvent>,
        state: Option<(&str, &[u8])>,
    ) -> Result<CommitSummary, StoreError> {
        let path = self.path.clone();
        let err = |e| StoreError::classify(&path, e);
        let mut side_groups = match self.side_groups.take() {
            Some(groups) => groups,
            None => self.load_side_groups()?,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        let mut summary = CommitSummary::default();
        let mut touched = Vec::new();
        let mut deltas = table::slots::SlotDeltas::default();
        let mut events = live;
        // Read in the transaction: another process may have paused since.
        let pauses = table::pauses::all(&tx).map_err(err)?;
        if let Some((name, value)) = state {
            table::live_state::save(&tx, name, value).map_err(err)?;
        }
        for progress in batch {
            let file_id = table::checkpoints::save(&tx, &progress.checkpoint).map_err(err)?;
            events.extend(progress.events.into_iter().map(|mut event| {
                event.source.file_id = file_id;
                event
            }));
        }
        if !pauses.is_empty() {
            events.retain(|e| !pauses.iter().any(|p| p.covers(e.at_ms)));
        }
        if let Some(kept_from) = self.kept_from_ms {
            events.retain(|e| e.at_ms >= kept_from);
        }
        // In key order, inserts walk the key index from one end to the
        // other instead of jumping around it; the result does not depend on
        // the order (ranks decide).
        events.sort_unstable_by_key(|e| (e.tool, e.call));
        for event in events {
            if let Some(lineage) = event.lineage {
                if lineage.side_copy {
                    side_groups.insert((event.tool, lineage.group));
                }
                touched.push((event.tool, lineage.group));
            }
            match table::events::upsert(&tx, &event, &mut deltas).map_err(err)? {
                Outcome::Inserted => summary.new_calls.push(event),
                Outcome::Improved => summary.improved += 1,
                Outcome::Unchanged => summary.unchanged += 1,
            }
        }
        touched.retain(|group| side_groups.contains(group));
        touched.sort_unstable();
        touched.dedup();
        let mut replays = Vec::new();
        for (tool, group) in touched {
            table::events::resolve_replays(&tx, tool, &group, &mut deltas, &mut replays)
                .map_err(err)?;
        }
        // A replay read before its call is not a new call.
        summary.new_calls.retain(|e| !replays.contains(&e.call));
        deltas.apply(&tx).map_err(err)?;
        tx.commit().map_err(err)?;
        // Kept only after the commit: a failed transaction reloads it.
        self.side_groups = Some(side_groups);
        Ok(summary)
    }

    fn load_side_groups(&self) -> Result<HashSet<(Tool, Key)>, StoreError> {
        let rows = table::events::side_copy_groups(&self.conn).map_err(|e| self.err(e))?;
        Ok(rows
            .into_iter()
            .filter_map(|(tool, group)| Some((tool.parse().ok()?, Key::from_slice(&group)?)))
            .collect())
    }

    /// Sums of counted events per tool, model and 15-minute slot.
    pub fn slots(&self, query: &SlotQuery) -> Result<Vec<SlotRow>, StoreError> {
        table::slots::query(&self.conn, query).map_err(|e| self.err(e))
    }

    /// Counted calls per tool and provenance, with the latest call's time.
    pub fn calls_by_tool(&self) -> Result<Vec<ToolCalls>, StoreError> {
        table::events::calls_by_tool(&self.conn).map_err(|e| self.err(e))
    }

    /// Number of counted calls in the ledger.
    pub fn counted_calls(&self) -> Result<u64, StoreError> {
        table::events::counted_calls(&self.conn).map_err(|e| self.err(e))
    }

    fn err(&self, e: rusqlite::Error) -> StoreError {
        StoreError::classify(&self.path, e)
    }
}

#[cfg(test)]
mod tests;

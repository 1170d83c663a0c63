//! One file's part of a scan: decide where to start, then read and parse.

use std::{
    fs::File,
    path::PathBuf,
    sync::{atomic::AtomicBool, atomic::Ordering, mpsc::SyncSender},
};

use tokentally_store::{Checkpoint, FileProgress};

use super::Message;
use crate::collector::{Format, LineFormat, Stamp, WholeFormat};
use crate::{
    Collector,
    collector::Skip,
    discover::Problem,
    fingerprint::{self, Identity, TAIL_LEN},
    tail::{self, Line},
};

/// A file with new bytes, or that must be checked for them.
pub(super) struct Job<'a> {
    collector: &'a dyn Collector,
    path: PathBuf,
    checkpoint: Option<Checkpoint>,
    stamp: Stamp,
}

/// Where reading starts, after checking the file is the one checkpointed.
struct Start {
    offset: u64,
    state: Vec<u8>,
    skipped_lines: u64,
    tail: Vec<u8>,
}

impl<'a> Job<'a> {
    /// A job for `path`, or none when its stamp (size, time, identity) says
    /// nothing changed since the checkpoint.
    pub(super) fn plan(
        collector: &'a dyn Collector,
        path: PathBuf,
        checkpoint: Option<Checkpoint>,
    ) -> Result<Option<Self>, Problem> {
        let stamp = match collector.format() {
            Format::Lines(_) => Stamp::of_file(&path),
            Format::Whole(whole) => whole.stamp(&path),
        }
        .map_err(|e| problem(&path, &e))?;
        if let Some(c) = &checkpoint {
            let unchanged = c.size == stamp.size
                && c.mtime_ns == stamp.mtime_ns
                && (c.dev, c.ino) == (stamp.dev, stamp.ino);
            if unchanged {
                return Ok(None);
            }
        }
        Ok(Some(Job {
            collector,
            path,
            checkpoint,
            stamp,
        }))
    }

    /// Bytes this job expects to read.
    pub(super) fn expected_bytes(&self) -> u64 {
        match (&self.checkpoint, self.collector.format()) {
            (Some(c), Format::Lines(_)) if c.offset <= self.stamp.size => {
                self.stamp.size - c.offset
            }
            _ => self.stamp.size,
        }
    }

    /// Reads what is new and sends it, chunk by chunk.
    pub(super) fn run(&self, buf: &mut Vec<u8>, stop: &AtomicBool, tx: &SyncSender<Message>) {
        let result = match self.collector.format() {
            Format::Lines(lines) => self.read(lines, buf, stop, tx).map_err(|e| e.to_string()),
            Format::Whole(whole) => self.read_whole(whole, tx),
        };
        if let Err(message) = result {
            // The channel is closed only when the writer stopped: nothing to tell.
            let _ = tx.send(Message::Problem(Problem {
                path: self.path.clone(),
                message,
            }));
        }
    }

    /// Reads a whole source; its checkpoint records only its stamp and state.
    fn read_whole(&self, whole: &dyn WholeFormat, tx: &SyncSender<Message>) -> Result<(), String> {
        let state = self
            .checkpoint
            .as_ref()
            .map_or(&[][..], |c| c.state.as_slice());
        let mut events = Vec::new();
        let state = whole
            .read(&self.path, state, &mut events)
            .map_err(|e| e.to_string())?;
        let checkpoint = Checkpoint {
            file_id: self.checkpoint.as_ref().map_or(0, |c| c.file_id),
            tool: self.collector.tool(),
            path: self.path.clone(),
            dev: self.stamp.dev,
            ino: self.stamp.ino,
            head_len: 0,
            head_hash: 0,
            tail_hash: 0,
            offset: self.stamp.size,
            size: self.stamp.size,
            mtime_ns: self.stamp.mtime_ns,
            skipped_lines: 0,
            state,
        };
        let events = tokentally_event::merge_same_calls(events);
        send(tx, &checkpoint, events, 0, self.stamp.size);
        Ok(())
    }

    fn read(
        &self,
        lines: &dyn LineFormat,
        buf: &mut Vec<u8>,
        stop: &AtomicBool,
        tx: &SyncSender<Message>,
    ) -> std::io::Result<()> {
        let mut file = File::open(&self.path)?;
        let meta = file.metadata()?;
        let identity = Identity::of(&meta);
        let start = self.start(&mut file, identity, meta.len())?;
        let (head_len, head_hash) = fingerprint::head(&mut file, meta.len())?;
        let mut checkpoint = Checkpoint {
            file_id: self.checkpoint.as_ref().map_or(0, |c| c.file_id),
            tool: self.collector.tool(),
            path: self.path.clone(),
            dev: identity.dev,
            ino: identity.ino,
            head_len,
            head_hash,
            tail_hash: fingerprint::hash(&start.tail),
            offset: start.offset,
            // The size is recorded only once the whole file is read (below):
            // a checkpoint saved mid-file must not let the next scan think
            // the file was finished.
            size: start.offset,
            mtime_ns: fingerprint::mtime_ns(&meta),
            skipped_lines: start.skipped_lines,
            state: start.state.clone(),
        };
        let mut reader = Reader {
            path: &self.path,
            parser: lines.parser(&self.path, &start.state),
            tail: start.tail,
            events: Vec::new(),
            skipped: 0,
            last_offset: start.offset,
            checkpoint: &mut checkpoint,
            tx,
            stop,
        };
        tail::read_lines(&mut file, start.offset, buf, &mut reader)?;
        if !stop.load(Ordering::Relaxed) {
            // Read to the end: record the size and time seen at the start, so
            // the next scan skips the file until it changes.
            checkpoint.size = meta.len();
            send(tx, &checkpoint, Vec::new(), 0, 0);
        }
        Ok(())
    }

    /// Continues after the checkpoint when the file is still the same file
    /// with the same bytes before it; otherwise starts over from byte 0
    /// (replaced, truncated or rewritten: the call keys absorb the re-read).
    fn start(&self, file: &mut File, id: Identity, size: u64) -> std::io::Result<Start> {
        let fresh = Start {
            offset: 0,
            state: Vec::new(),
            skipped_lines: 0,
            tail: Vec::new(),
        };
        let Some(c) = &self.checkpoint else {
            return Ok(fresh);
        };
        if (c.dev, c.ino) != (id.dev, id.ino) || size < c.offset {
            tracing::info!(path = %self.path.display(), "File replaced or truncated; reading it again.");
            return Ok(fresh);
        }
        let head = fingerprint::read_window(file, 0, c.head_len)?;
        let tail_start = c.offset.saturating_sub(TAIL_LEN);
        let tail = fingerprint::read_window(file, tail_start, c.offset - tail_start)?;
        if fingerprint::hash(&head) != c.head_hash || fingerprint::hash(&tail) != c.tail_hash {
            tracing::info!(path = %self.path.display(), "File rewritten; reading it again.");
            return Ok(fresh);
        }
        Ok(Start {
            offset: c.offset,
            state: c.state.clone(),
            skipped_lines: c.skipped_lines,
            tail,
        })
    }
}

/// Parses lines into events and sends them with a checkpoint after each read.
struct Reader<'a> {
    path: &'a std::path::Path,
    parser: Box<dyn crate::LineParser>,
    /// The last bytes consumed, for the checkpoint's tail hash.
    tail: Vec<u8>,
    events: Vec<tokentally_event::UsageEvent>,
    /// Lines skipped since the last chunk.
    skipped: u64,
    last_offset: u64,
    checkpoint: &'a mut Checkpoint,
    tx: &'a SyncSender<Message>,
    stop: &'a AtomicBool,
}

impl tail::LineSink for Reader<'_> {
    fn line(&mut self, line: Line<'_>, offset: u64) {
        let result = match line {
            Line::Complete(bytes) => self.parser.parse_line(bytes, offset, &mut self.events),
            Line::Oversized => Err(Skip::Oversized),
        };
        if let Err(skip) = result {
            tracing::debug!(path = %self.path.display(), offset, ?skip, "Skipped a line.");
            self.skipped += 1;
        }
    }

    fn chunk(&mut self, end: u64, consumed: &[u8]) -> bool {
        keep_tail(&mut self.tail, consumed);
        let c = &mut *self.checkpoint;
        c.offset = end;
        c.size = end;
        c.tail_hash = fingerprint::hash(&self.tail);
        c.skipped_lines += self.skipped;
        c.state = self.parser.state();
        let bytes = end - self.last_offset;
        self.last_offset = end;
        // Lines of one call often share a chunk: fold them before the store.
        let events = tokentally_event::merge_same_calls(std::mem::take(&mut self.events));
        let sent = send(self.tx, c, events, self.skipped, bytes);
        self.skipped = 0;
        sent && !self.stop.load(Ordering::Relaxed)
    }
}

/// Keeps the last [`TAIL_LEN`] bytes read.
fn keep_tail(tail: &mut Vec<u8>, consumed: &[u8]) {
    let keep = TAIL_LEN as usize;
    if consumed.len() >= keep {
        tail.clear();
        tail.extend_from_slice(&consumed[consumed.len() - keep..]);
    } else {
        tail.extend_from_slice(consumed);
        let excess = tail.len().saturating_sub(keep);
        tail.drain(..excess);
    }
}

fn send(
    tx: &SyncSender<Message>,
    checkpoint: &Checkpoint,
    events: Vec<tokentally_event::UsageEvent>,
    skipped_lines: u64,
    bytes: u64,
) -> bool {
    let progress = FileProgress {
        checkpoint: checkpoint.clone(),
        events,
        skipped_lines,
    };
    tx.send(Message::Chunk { progress, bytes }).is_ok()
}

fn problem(path: &std::path::Path, e: &std::io::Error) -> Problem {
    Problem {
        path: path.to_owned(),
        message: e.to_string(),
    }
}

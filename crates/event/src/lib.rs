//! The usage event: one row per billed model call.
//!
//! Every type here holds counts, identifiers reduced to hashes, or names
//! checked against a narrow alphabet. None of them can carry prompt or
//! response text: a collector that wanted to store text would find no field
//! to put it in.

mod key;
mod model;
mod tool;

pub use key::Key;
pub use model::{MAX_MODEL_LEN, Model};
pub use tool::{Tool, UnknownTool};

use serde::{Deserialize, Serialize};

/// Token counts of one call, normalised to one convention.
///
/// `input` excludes cached input; `output` includes reasoning; `reasoning`
/// is an informational subset of `output`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tokens {
    /// Input tokens that were not served from a cache.
    pub input: u64,
    /// Input tokens read from the provider's prompt cache.
    pub cache_read: u64,
    /// Input tokens written to the provider's prompt cache.
    pub cache_write: u64,
    /// Output tokens, reasoning included.
    pub output: u64,
    /// Reasoning tokens: a subset of `output`, never added to totals.
    pub reasoning: u64,
}

impl Tokens {
    /// input + output + cache_read + cache_write: what was billed, once.
    pub fn total(&self) -> u64 {
        self.input
            .saturating_add(self.output)
            .saturating_add(self.cache_read)
            .saturating_add(self.cache_write)
    }

    /// True when the call billed nothing at all.
    pub fn is_zero(&self) -> bool {
        self.total() == 0
    }
}

/// Where a count came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provenance {
    /// Read from the tool's own log: the provider's counts, exact.
    Log,
    /// Reported by a provider API seen through the proxy or telemetry.
    Reported,
    /// Counted locally from text with a tokenizer: an estimate.
    Estimated,
}

impl Provenance {
    /// Stable small integer used in the store.
    pub fn code(self) -> i64 {
        match self {
            Provenance::Log => 0,
            Provenance::Reported => 1,
            Provenance::Estimated => 2,
        }
    }

    /// Inverse of [`Provenance::code`].
    pub fn from_code(code: i64) -> Option<Self> {
        match code {
            0 => Some(Provenance::Log),
            1 => Some(Provenance::Reported),
            2 => Some(Provenance::Estimated),
            _ => None,
        }
    }

    /// The name used in JSON and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Provenance::Log => "log",
            Provenance::Reported => "reported",
            Provenance::Estimated => "estimated",
        }
    }
}

/// Which of two records of the same call wins: the higher rank.
///
/// Ranks compare as bytes, so a collector can encode any ordering of a
/// tuple of numbers (big-endian) and the store needs no tool-specific code.
/// The ordering must not depend on the order lines are read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rank(pub [u8; 24]);

impl Rank {
    /// The record with the most output wins, then the larger total, then the
    /// later line: a streamed call's last line carries its billed output.
    pub fn most_complete(tokens: &Tokens, at_ms: i64) -> Self {
        let mut bytes = [0u8; 24];
        bytes[..8].copy_from_slice(&tokens.output.to_be_bytes());
        bytes[8..16].copy_from_slice(&tokens.total().to_be_bytes());
        // Flip the sign bit so negative times still sort below positive ones.
        bytes[16..].copy_from_slice(&((at_ms as u64) ^ (1 << 63)).to_be_bytes());
        Rank(bytes)
    }

    /// The record with the smallest total wins: a copy of a counter step
    /// read without its history overstates it, never understates it.
    pub fn smallest(tokens: &Tokens) -> Self {
        let mut bytes = [0u8; 24];
        bytes[..8].copy_from_slice(&(u64::MAX - tokens.total()).to_be_bytes());
        bytes[8..16].copy_from_slice(&(u64::MAX - tokens.output).to_be_bytes());
        Rank(bytes)
    }
}

/// Replay detection: a copy of a call written by a side conversation.
///
/// Claude Code's side questions replay the parent's message under a new
/// request id. Such a record is counted only while no primary record of the
/// same group (message id) exists under another call key. An event with a
/// lineage must have a call key made by [`Key::member`] of its group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Lineage {
    /// Records of one group describe the same model response.
    pub group: Key,
    /// True for a record written by a side conversation (a sidechain).
    pub side_copy: bool,
}

/// Where an event was read: a file known to the store and a byte offset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SourceRef {
    /// The store's id of the source file (0 until the store assigns one).
    pub file_id: i64,
    /// Byte offset of the line the event was read from.
    pub offset: u64,
}

impl SourceRef {
    /// Seen by the embedded API proxy (no file: the store keeps no
    /// checkpoint for it).
    pub const PROXY: SourceRef = SourceRef {
        file_id: -1,
        offset: 0,
    };
    /// Exported by the tool to the loopback telemetry receiver.
    pub const TELEMETRY: SourceRef = SourceRef {
        file_id: -2,
        offset: 0,
    };

    /// What saw the call: `log`, `proxy` or `telemetry`.
    pub fn via(&self) -> &'static str {
        match self.file_id {
            -1 => "proxy",
            -2 => "telemetry",
            _ => "log",
        }
    }
}

/// Where the live sources (the proxy, the telemetry receiver) hand the
/// calls they see; the owner of the ledger stores them.
pub trait EventSink: Send + Sync {
    /// Takes one observed call. Must not block for long: it runs on the
    /// proxy's request path.
    fn record(&self, event: UsageEvent);
}

impl EventSink for std::sync::mpsc::Sender<UsageEvent> {
    fn record(&self, event: UsageEvent) {
        // A closed receiver means the ledger is shutting down; the call is
        // lost with it, as any call made after shutdown would be.
        let _ = self.send(event);
    }
}

/// One billed model call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageEvent {
    /// UTC time of the call, milliseconds since the Unix epoch.
    pub at_ms: i64,
    /// The tool that made the call.
    pub tool: Tool,
    /// Hash of the tool's session id.
    pub session: Key,
    /// Hash of the call's identity: the dedupe key.
    pub call: Key,
    /// The model as the tool wrote it.
    pub model: Model,
    /// Normalised token counts.
    pub tokens: Tokens,
    /// Where the counts came from.
    pub provenance: Provenance,
    /// Where the record was read.
    pub source: SourceRef,
    /// Which record of the same call wins.
    pub rank: Rank,
    /// Replay detection, for tools that replay calls in side conversations.
    pub lineage: Option<Lineage>,
}

impl UsageEvent {
    /// A call read from a tool's own log: exact counts (`Provenance::Log`),
    /// the most complete record winning, no replay lineage, no source yet.
    pub fn logged(
        tool: Tool,
        at_ms: i64,
        session: Key,
        call: Key,
        model: Model,
        tokens: Tokens,
    ) -> Self {
        UsageEvent {
            at_ms,
            tool,
            session,
            call,
            model,
            tokens,
            provenance: Provenance::Log,
            source: SourceRef::default(),
            rank: Rank::most_complete(&tokens, at_ms),
            lineage: None,
        }
    }

    /// With another provenance.
    pub fn with_provenance(mut self, provenance: Provenance) -> Self {
        self.provenance = provenance;
        self
    }

    /// Read at `offset` of its file.
    pub fn at_offset(mut self, offset: u64) -> Self {
        self.source.offset = offset;
        self
    }

    /// With another ranking of its records.
    pub fn ranked(mut self, rank: Rank) -> Self {
        self.rank = rank;
        self
    }

    /// With replay lineage.
    pub fn with_lineage(mut self, lineage: Lineage) -> Self {
        self.lineage = Some(lineage);
        self
    }

    /// Folds another record of the same call into this one, as the store
    /// does: the higher rank wins whole, and a call seen as a primary
    /// anywhere is a primary.
    pub fn absorb(&mut self, other: UsageEvent) {
        let side_copy = match (self.lineage, other.lineage) {
            (Some(a), Some(b)) => Some(a.side_copy && b.side_copy),
            _ => None,
        };
        if other.rank > self.rank {
            *self = other;
        }
        if let (Some(lineage), Some(side_copy)) = (self.lineage.as_mut(), side_copy) {
            lineage.side_copy = side_copy;
        }
    }
}

/// Merges the records of the same call within a batch, keeping the order of
/// first appearance; the store would reach the same result, with more writes.
pub fn merge_same_calls(events: Vec<UsageEvent>) -> Vec<UsageEvent> {
    let mut index: std::collections::HashMap<(Tool, Key), usize> =
        std::collections::HashMap::with_capacity(events.len());
    let mut out: Vec<UsageEvent> = Vec::with_capacity(events.len());
    for event in events {
        match index.entry((event.tool, event.call)) {
            std::collections::hash_map::Entry::Occupied(at) => out[*at.get()].absorb(event),
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(out.len());
                out.push(event);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn total_adds_the_four_billed_kinds_but_not_reasoning() {
        let t = Tokens {
            input: 1,
            cache_read: 10,
            cache_write: 100,
            output: 1000,
            reasoning: 500,
        };
        assert_eq!(t.total(), 1111);
    }

    #[test]
    fn most_complete_rank_prefers_output_then_total_then_time() {
        let small = Tokens {
            output: 2,
            input: 9,
            ..Tokens::default()
        };
        let big = Tokens {
            output: 517,
            ..Tokens::default()
        };
        assert!(Rank::most_complete(&big, 0) > Rank::most_complete(&small, 10));
        let a = Tokens {
            output: 5,
            input: 1,
            ..Tokens::default()
        };
        let b = Tokens {
            output: 5,
            input: 2,
            ..Tokens::default()
        };
        assert!(Rank::most_complete(&b, 0) > Rank::most_complete(&a, 99));
        assert!(Rank::most_complete(&a, 2) > Rank::most_complete(&a, 1));
        assert!(Rank::most_complete(&a, 1) > Rank::most_complete(&a, -1));
    }

    #[test]
    fn smallest_rank_prefers_the_smaller_total() {
        let small = Tokens {
            input: 10,
            ..Tokens::default()
        };
        let big = Tokens {
            input: 20,
            ..Tokens::default()
        };
        assert!(Rank::smallest(&small) > Rank::smallest(&big));
    }

    fn event(call: &str, output: u64, side_copy: bool) -> UsageEvent {
        let tokens = Tokens {
            output,
            ..Tokens::default()
        };
        UsageEvent {
            at_ms: 0,
            tool: Tool::ClaudeCode,
            session: Key::of(&[b"s"]),
            call: Key::of(&[call.as_bytes()]),
            model: Model::new("m"),
            tokens,
            provenance: Provenance::Log,
            source: SourceRef::default(),
            rank: Rank::most_complete(&tokens, 0),
            lineage: Some(Lineage {
                group: Key::of(&[b"g"]),
                side_copy,
            }),
        }
    }

    #[test]
    fn merging_keeps_the_best_record_of_each_call_in_first_seen_order() {
        let merged = merge_same_calls(vec![
            event("a", 2, true),
            event("b", 7, false),
            event("a", 517, true),
            event("a", 3, false),
        ]);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].tokens.output, 517);
        assert_eq!(merged[0].lineage.map(|l| l.side_copy), Some(false));
        assert_eq!(merged[1].tokens.output, 7);
    }

    #[test]
    fn provenance_codes_round_trip() {
        for p in [Provenance::Log, Provenance::Reported, Provenance::Estimated] {
            assert_eq!(Provenance::from_code(p.code()), Some(p));
        }
        assert_eq!(Provenance::from_code(9), None);
    }
}

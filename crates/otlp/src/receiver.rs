//! The receiver as a pure state machine: exports in, usage events out, and
//! the running totals of cumulative series kept between exports.

use std::collections::BTreeMap;

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use serde::{Deserialize, Serialize};
use tokentally_event::{Key, Provenance, Rank, SourceRef, Tokens, UsageEvent};

use crate::points::{Temporality, TokenKind, TokenPoint, token_points};

/// A running total not seen for this long is forgotten: a tool that
/// comes back after a week starts a new running total anyway.
pub const SERIES_IDLE_MS: i64 = 7 * 24 * 60 * 60 * 1000;
/// The most series kept; past it the longest idle are forgotten first, so
/// a flood of made-up series cannot grow the saved state without bound.
pub const MAX_SERIES: usize = 20_000;

/// The last point seen of one cumulative running total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesMark {
    /// Start of the running total.
    pub start_ns: u64,
    /// Time of the last point counted.
    pub time_ns: u64,
    /// The running total at that point.
    pub value: u64,
    /// When the receiver last saw the series (its clock, not the tool's).
    pub seen_ms: i64,
}

/// What the receiver must remember across a restart to count cumulative
/// series without counting any interval twice. Small: one mark per series.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiverState {
    /// Running total (hex of the hash of its series and start) → its last
    /// mark.
    pub series: BTreeMap<String, SeriesMark>,
}

/// Turns OTLP metric exports into usage events.
#[derive(Debug, Default)]
pub struct Receiver {
    state: ReceiverState,
}

impl Receiver {
    /// A receiver with no history: the first point of each cumulative series
    /// counts whole.
    pub fn new() -> Self {
        Self::default()
    }

    /// A receiver that continues from a saved state.
    pub fn with_state(state: ReceiverState) -> Self {
        Receiver { state }
    }

    /// The state to save, with the events of the same exports, in one
    /// transaction.
    pub fn state(&self) -> ReceiverState {
        self.state.clone()
    }

    /// The state, borrowed: what [`crate::ExportSink`] is handed.
    pub fn state_ref(&self) -> &ReceiverState {
        &self.state
    }

    /// The usage in one export: one event per token point that added
    /// tokens. `received_at_ms` is the receiver's clock, used to forget idle
    /// series and to date points that carry no time.
    pub fn ingest(
        &mut self,
        request: &ExportMetricsServiceRequest,
        received_at_ms: i64,
    ) -> Vec<UsageEvent> {
        self.forget_idle(received_at_ms);
        let events = token_points(request)
            .into_iter()
            .filter_map(|point| {
                let tokens_added = match point.temporality {
                    Temporality::Delta => point.value,
                    Temporality::Cumulative => self.advance(&point, received_at_ms)?,
                };
                (tokens_added > 0).then(|| event_of(&point, tokens_added, received_at_ms))
            })
            .collect();
        self.bound_size();
        events
    }

    /// Moves a cumulative running total to `point`; the tokens added since
    /// its last point, or `None` when the point adds nothing (a repeat, a
    /// late point from before the last one).
    ///
    /// A running total is a series and a start time: a tool that restarts
    /// begins a new one, and two processes that export the same series at
    /// once (no `session.id` to tell them apart) keep one each instead of
    /// reading each other's totals as resets.
    fn advance(&mut self, point: &TokenPoint, now_ms: i64) -> Option<u64> {
        let key = hex(&Key::of(&[
            point.series.as_bytes(),
            &point.start_ns.to_be_bytes(),
        ]));
        let mark = SeriesMark {
            start_ns: point.start_ns,
            time_ns: point.time_ns,
            value: point.value,
            seen_ms: now_ms,
        };
        let Some(last) = self.state.series.get_mut(&key) else {
            // A total never seen (a new start is a reset): all of it is new.
            self.state.series.insert(key, mark);
            return Some(point.value);
        };
        last.seen_ms = now_ms;
        if point.time_ns <= last.time_ns {
            // A late or repeated export of what was already counted.
            return None;
        }
        let added = if point.value < last.value {
            // The counter went down without a new start: the tool reset it
            // without saying, and all of the new value is new usage.
            point.value
        } else {
            point.value - last.value
        };
        *last = mark;
        Some(added)
    }

    fn forget_idle(&mut self, now_ms: i64) {
        self.state
            .series
            .retain(|_, mark| now_ms.saturating_sub(mark.seen_ms) <= SERIES_IDLE_MS);
    }

    fn bound_size(&mut self) {
        let excess = self.state.series.len().saturating_sub(MAX_SERIES);
        if excess == 0 {
            return;
        }
        let mut by_age: Vec<(i64, String)> = self
            .state
            .series
            .iter()
            .map(|(key, mark)| (mark.seen_ms, key.clone()))
            .collect();
        by_age.sort_unstable();
        for (_, key) in by_age.into_iter().take(excess) {
            self.state.series.remove(&key);
        }
    }
}

/// The event for the tokens a point added.
fn event_of(point: &TokenPoint, added: u64, received_at_ms: i64) -> UsageEvent {
    let mut tokens = Tokens::default();
    match point.kind {
        TokenKind::Input => tokens.input = added,
        TokenKind::Output => tokens.output = added,
        TokenKind::CacheRead => tokens.cache_read = added,
        TokenKind::CacheWrite => tokens.cache_write = added,
    }
    let at_ms = match point.time_ns {
        0 => received_at_ms,
        ns => i64::try_from(ns / 1_000_000).unwrap_or(i64::MAX),
    };
    // The same point sent again (an exporter's retry) has the same key, so
    // the store keeps one; of two records of one key the smaller wins, since
    // a step read without its history overstates it.
    let call = Key::of(&[
        point.series.as_bytes(),
        &point.start_ns.to_be_bytes(),
        &point.time_ns.to_be_bytes(),
    ]);
    UsageEvent {
        at_ms,
        tool: point.tool,
        session: point.session.unwrap_or_else(|| Key::of(&[])),
        call,
        model: point.model.clone(),
        tokens,
        provenance: Provenance::Reported,
        source: SourceRef::TELEMETRY,
        rank: Rank::smallest(&tokens),
        lineage: None,
    }
}

fn hex(key: &Key) -> String {
    key.as_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests;

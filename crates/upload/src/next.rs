//! The next upload: the buckets whose totals differ from what the receiver
//! acknowledged, with their revisions, as the exact bytes to send. The
//! preview and the uploader both call [`next_upload`]; the uploader sends
//! what it returns and nothing else.

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256};
use tokentally_store::{OutboxRow, Store};
use tokentally_wire::{Bucket, MAX_BUCKETS, ModelLabel, Period, ToolLabel, UsageBatch};

use crate::{
    Consent, Plan, UploadError,
    buckets::{self, BucketId, Numbers},
    otlp_json,
};

/// Where uploads go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sink {
    /// The company's TokenTally server.
    Server,
    /// The company's OpenTelemetry collector (OTLP/HTTP JSON).
    Otlp,
}

impl Sink {
    /// The name kept in the outbox and receipts.
    pub fn as_str(self) -> &'static str {
        match self {
            Sink::Server => "server",
            Sink::Otlp => "otlp",
        }
    }

    /// Buckets per payload: a server batch at most [`MAX_BUCKETS`]; an
    /// OTLP payload carries five points per bucket.
    fn chunk(self) -> usize {
        match self {
            Sink::Server => MAX_BUCKETS,
            Sink::Otlp => 400,
        }
    }
}

/// One payload ready to send.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Its sink.
    pub sink: Sink,
    /// The buckets in it, with the revisions sent.
    pub rows: Vec<OutboxRow>,
    /// The exact bytes.
    pub bytes: Vec<u8>,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
}

/// The payloads of the next upload to `sink`, oldest buckets first; empty
/// when the receiver already holds everything. Buckets starting before
/// `from_ms` are left as they are (older calls may have been pruned).
/// A bucket whose totals changed gets the next revision. Nothing here
/// depends on the clock, so the preview and the upload are the same bytes.
pub fn next_upload(
    store: &Store,
    plan: &Plan,
    consent: &Consent,
    sink: Sink,
    from_ms: i64,
) -> Result<Vec<Prepared>, UploadError> {
    let now = buckets::current(store, plan, consent, from_ms)?;
    let from_start = from_ms.div_euclid(1000) + i64::from(from_ms.rem_euclid(1000) != 0);
    let kept: BTreeMap<BucketId, OutboxRow> = store
        .outbox(sink.as_str(), from_start)?
        .into_iter()
        .map(|row| (id_of(&row), row))
        .collect();
    let ids: BTreeSet<&BucketId> = now.keys().chain(kept.keys()).collect();
    let mut due = Vec::new();
    for id in ids {
        // A bucket no longer held (a period now cut differently, a pause
        // applied later) is sent as zeros so the receiver's totals follow.
        let numbers = now.get(id).copied().unwrap_or_default();
        let revision = match kept.get(id) {
            None if numbers == Numbers::default() => continue,
            None => 1,
            Some(row) if row.numbers != numbers => row.revision + 1,
            Some(row) if row.revision > row.acked => row.revision,
            Some(_) => continue,
        };
        due.push(OutboxRow {
            start: id.0,
            period: id.1.clone(),
            tool: id.2.clone(),
            model: id.3.clone(),
            numbers,
            revision,
            acked: kept.get(id).map_or(0, |row| row.acked),
        });
    }
    due.chunks(sink.chunk())
        .map(|rows| prepare(sink, plan, rows.to_vec()))
        .collect()
}

fn id_of(row: &OutboxRow) -> BucketId {
    (
        row.start,
        row.period.clone(),
        row.tool.clone(),
        row.model.clone(),
    )
}

fn prepare(sink: Sink, plan: &Plan, rows: Vec<OutboxRow>) -> Result<Prepared, UploadError> {
    let buckets: Vec<Bucket> = rows.iter().filter_map(bucket_of).collect();
    let bytes = match sink {
        Sink::Server => UsageBatch::new(buckets).to_bytes(),
        Sink::Otlp => otlp_json::export(plan, &buckets),
    };
    let sha256 = hex(&Sha256::digest(&bytes));
    Ok(Prepared {
        sink,
        rows,
        bytes,
        sha256,
    })
}

/// The wire form of an outbox row; rows the wire cannot name are skipped
/// (the ledger only holds known tools and checked model names).
fn bucket_of(row: &OutboxRow) -> Option<Bucket> {
    let n = row.numbers;
    Some(Bucket {
        start: row.start,
        period: Period::parse(&row.period)?,
        tool: ToolLabel(row.tool.parse().ok()?),
        model: ModelLabel::new(&row.model)?,
        revision: row.revision,
        input: n[0],
        cache_read: n[1],
        cache_write: n[2],
        output: n[3],
        reasoning: n[4],
        calls_exact: n[5],
        calls_reported: n[6],
        calls_estimated: n[7],
    })
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

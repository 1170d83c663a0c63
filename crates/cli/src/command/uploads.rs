//! `tokentally uploads [show ID]`: the receipt of every upload attempt.

use std::io::Write;

use anyhow::Context;
use jiff::Timestamp;
use tokentally_store::Store;

use crate::{args::UploadsCommand, output};

pub fn run(store: &Store, command: Option<UploadsCommand>, json: bool) -> anyhow::Result<()> {
    if let Some(UploadsCommand::Show { id }) = command {
        let receipt = store
            .receipt(id)?
            .with_context(|| format!("no upload #{id} (see `tokentally uploads`)"))?;
        // The bytes as sent, nothing added.
        let mut out = std::io::stdout().lock();
        out.write_all(&receipt.payload)?;
        out.write_all(b"\n")?;
        return Ok(out.flush()?);
    }
    let receipts = store.receipts()?;
    if json {
        return Ok(output::line(&serde_json::to_string_pretty(&receipts)?)?);
    }
    if receipts.is_empty() {
        return Ok(output::line("No uploads yet.")?);
    }
    let mut text = format!(
        "{:>5}  {:<20} {:<6} {:>7} {:>8}  {:<16} {:<13} {:>4}  {}\n",
        "id", "time (UTC)", "sink", "buckets", "bytes", "sha256", "outcome", "http", "ack / detail"
    );
    for r in receipts {
        let time = Timestamp::from_millisecond(r.at_ms)?.strftime("%Y-%m-%d %H:%M:%S");
        text += &format!(
            "{:>5}  {:<20} {:<6} {:>7} {:>8}  {:<16} {:<13} {:>4}  {}\n",
            r.id,
            time.to_string(),
            r.sink,
            r.buckets,
            r.payload.len(),
            &r.sha256[..16.min(r.sha256.len())],
            r.outcome,
            r.http_status.map(|s| s.to_string()).unwrap_or_default(),
            r.ack.or(r.detail).unwrap_or_default()
        );
    }
    Ok(output::line(&text)?)
}

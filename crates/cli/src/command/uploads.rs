//! `tokentally uploads [show ID | readers]`: the receipt of every upload
//! attempt, and who at the company read what they carried.

use std::io::Write;

use anyhow::Context;
use jiff::Timestamp;
use tokentally_store::Store;

use crate::{args::UploadsCommand, output};

/// The server's access log of this device.
pub fn readers(
    store: &Store,
    policy: &tokentally_policy::Effective,
    json: bool,
) -> anyhow::Result<()> {
    let keychain = super::enroll::keychain().ok();
    let vault = keychain
        .as_ref()
        .map(|k| k as &dyn tokentally_upload::TokenVault);
    let http = tokentally_upload::Http::new()?;
    let view = tokentally_desk::access_log(store, &policy.resolved, vault, &http)?;
    if json {
        return Ok(output::line(&serde_json::to_string_pretty(&view)?)?);
    }
    let server = view.server.as_deref().unwrap_or_default();
    let text = match view.state {
        "no_server" => "No company server is set: nobody there can read this device's data.".into(),
        "not_enrolled" => format!("Not enrolled at {server} yet: it holds nothing of this device."),
        _ if view.entries.is_empty() => format!("Nobody at {server} has read this device's data."),
        _ => {
            let mut text = format!("Reads of this device's data at {server}, newest first:\n");
            for e in &view.entries {
                let time = Timestamp::from_millisecond(e.at_ms)?.strftime("%Y-%m-%d %H:%M:%S");
                text += &format!("  {time} UTC  {}  {}\n", e.who, e.what);
            }
            text
        }
    };
    Ok(output::line(&text)?)
}

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

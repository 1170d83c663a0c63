//! `tokentally export` and `tokentally data delete`: the employee's data
//! is theirs to take and to erase.

use std::io::{BufRead, Write};

use anyhow::Context;
use jiff::Timestamp;
use serde_json::json;
use tokentally_policy::Effective;
use tokentally_store::Store;
use tokentally_upload::{Http, delete_remote};

use super::enroll::keychain;
use crate::{args::ExportFormat, output};

pub fn export(store: &Store, format: ExportFormat) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match format {
        ExportFormat::Csv => {
            writeln!(
                out,
                "time_utc,tool,model,input,cache_read,cache_write,output,reasoning,provenance"
            )?;
            let mut failed = None;
            store.each_counted(i64::MIN, &mut |c| {
                let time = Timestamp::from_millisecond(c.at_ms).unwrap_or_default();
                let t = c.tokens;
                // Tool ids and model names hold no commas or quotes.
                if let Err(e) = writeln!(
                    out,
                    "{time},{},{},{},{},{},{},{},{}",
                    c.tool,
                    c.model,
                    t.input,
                    t.cache_read,
                    t.cache_write,
                    t.output,
                    t.reasoning,
                    c.provenance.as_str()
                ) {
                    failed.get_or_insert(e);
                }
            })?;
            if let Some(e) = failed {
                return Err(e.into());
            }
        }
        ExportFormat::Json => {
            let mut calls = Vec::new();
            store.each_counted(i64::MIN, &mut |c| {
                calls.push(json!({
                    "at_ms": c.at_ms, "tool": c.tool, "model": c.model,
                    "input": c.tokens.input, "cache_read": c.tokens.cache_read,
                    "cache_write": c.tokens.cache_write, "output": c.tokens.output,
                    "reasoning": c.tokens.reasoning, "provenance": c.provenance.as_str(),
                }));
            })?;
            let uploads: Vec<_> = store
                .receipts()?
                .into_iter()
                .map(|r| {
                    let payload = String::from_utf8_lossy(&r.payload).into_owned();
                    json!({ "receipt": r, "payload": payload })
                })
                .collect();
            let doc = json!({
                "exported_at_ms": Timestamp::now().as_millisecond(),
                "calls": calls,
                "pauses": store.pauses()?,
                "consent": store.consent()?,
                "uploads": uploads,
            });
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
    }
    Ok(out.flush()?)
}

pub fn delete(
    store: &mut Store,
    yes: bool,
    local_only: bool,
    policy: &Effective,
) -> anyhow::Result<()> {
    if !yes && !confirm()? {
        return Ok(output::line("Nothing deleted.")?);
    }
    let server = policy
        .resolved
        .server_url
        .as_deref()
        .map(|s| s.trim_end_matches('/').to_owned());
    if let Some(server) = server.filter(|_| !local_only)
        && store.enrollment(&server)?.is_some()
    {
        let deleted = delete_remote(store, &keychain()?, &Http::new()?, &server).with_context(|| {
            format!("the server {server} did not delete this device's data; nothing was deleted here either (retry, or use --local-only)")
        })?;
        output::line(&format!(
            "The server deleted {deleted} bucket(s) of this device."
        ))?;
    }
    let gone = store.delete_usage_data(Timestamp::now().as_millisecond())?;
    output::line(&format!(
        "Deleted here: {} call(s), {} upload receipt(s); uploads are off. \
         Logs already read are not counted again.",
        gone.calls, gone.receipts
    ))?;
    Ok(())
}

fn confirm() -> anyhow::Result<bool> {
    eprint!("Delete all your usage data here and on the server? Type `delete` to confirm: ");
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(answer.trim() == "delete")
}

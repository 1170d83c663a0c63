//! `tokentally export` and `tokentally data delete`: the employee's data
//! is theirs to take and to erase.

use std::io::{BufRead, Write};

use anyhow::Context;
use jiff::Timestamp;
use tokentally_policy::Effective;
use tokentally_store::Store;
use tokentally_upload::{Http, delete_remote};

use super::enroll::keychain;
use crate::{args::ExportFormat, output};

pub fn export(store: &Store, format: ExportFormat) -> anyhow::Result<()> {
    let text = match format {
        ExportFormat::Json => tokentally_desk::export_json(store)?,
        ExportFormat::Csv => tokentally_desk::export_csv(store)?,
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
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

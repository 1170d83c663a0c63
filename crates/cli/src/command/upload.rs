//! `tokentally upload enable|disable|now|status` and `tokentally preview`.

use std::time::Duration;

use anyhow::Context;
use jiff::{Timestamp, tz::TimeZone};
use tokentally_policy::{Effective, UploadMode};
use tokentally_store::{ConsentChange, Store};
use tokentally_upload::{Backoff, Consent, Http, UploadConfig, UploadError, pending, upload_cycle};
use tokentally_wire::UsageBatch;

use super::enroll::keychain;
use crate::{args::UploadCommand, output};

/// Tries of `upload now` before leaving the rest queued.
const NOW_ATTEMPTS: u32 = 5;

pub fn run(store: &mut Store, command: UploadCommand, policy: &Effective) -> anyhow::Result<()> {
    match command {
        UploadCommand::Enable {
            include_past,
            since,
        } => enable(store, include_past, since, policy),
        UploadCommand::Disable => disable(store),
        UploadCommand::Now => now(store, policy),
        UploadCommand::Status { json } => status(store, json, policy),
    }
}

fn enable(
    store: &mut Store,
    include_past: bool,
    since: Option<jiff::civil::Date>,
    policy: &Effective,
) -> anyhow::Result<()> {
    if policy.resolved.upload == UploadMode::Disabled {
        anyhow::bail!("your organisation's policy disables uploads: nothing can be turned on");
    }
    let now = Timestamp::now().as_millisecond();
    let from_ms = if include_past {
        None
    } else if let Some(day) = since {
        Some(
            day.to_zoned(policy.resolved.zone())?
                .timestamp()
                .as_millisecond(),
        )
    } else {
        Some(now)
    };
    store.record_consent(&ConsentChange {
        at_ms: now,
        enabled: true,
        from_ms,
    })?;
    let what = match (include_past, since) {
        (true, _) => "everything counted so far and from now on".to_owned(),
        (_, Some(day)) => format!("calls from {day} on"),
        _ => "calls from now on".to_owned(),
    };
    output::line(&format!(
        "Uploads on: {what}, as buckets of counts (no text). `tokentally preview` shows the \
         next upload byte for byte; `tokentally upload disable` turns them off."
    ))?;
    Ok(())
}

fn disable(store: &mut Store) -> anyhow::Result<()> {
    store.record_consent(&ConsentChange {
        at_ms: Timestamp::now().as_millisecond(),
        enabled: false,
        from_ms: None,
    })?;
    output::line("Uploads off: nothing more leaves this machine.")?;
    Ok(())
}

fn now(store: &mut Store, policy: &Effective) -> anyhow::Result<()> {
    let config = UploadConfig::from_policy(&policy.resolved)?;
    let vault = keychain()?;
    let http = Http::new()?;
    let mut backoff = Backoff::new(Duration::from_secs(2), Duration::from_secs(30));
    let (mut sent, mut buckets) = (0, 0);
    for attempt in 1..=NOW_ATTEMPTS {
        let now = Timestamp::now().as_millisecond();
        let report = upload_cycle(store, &config, &vault, &http, now).context("upload failed")?;
        sent += report.sent;
        buckets += report.buckets;
        let Some((after, detail)) = report.retry else {
            output::line(&format!(
                "Uploaded {buckets} bucket(s) in {sent} payload(s)."
            ))?;
            return Ok(());
        };
        if attempt == NOW_ATTEMPTS {
            anyhow::bail!(
                "{detail}; {buckets} bucket(s) sent, the rest stays queued and the agent \
                 retries it"
            );
        }
        let wait = backoff.fail(after).min(Duration::from_secs(120));
        eprintln!("{detail}; trying again in {} s", wait.as_secs());
        std::thread::sleep(wait);
    }
    Ok(())
}

fn status(store: &Store, json: bool, policy: &Effective) -> anyhow::Result<()> {
    let r = &policy.resolved;
    let changes = store.consent()?;
    let consent = Consent::new(&changes);
    let pending_buckets = UploadConfig::from_policy(r)
        .ok()
        .and_then(|c| pending(store, &c, Timestamp::now().as_millisecond()).ok())
        .map(|p| p.iter().map(|(_, p)| p.rows.len()).sum::<usize>());
    let last = store.receipts()?.pop();
    let enrollment = match &r.server_url {
        Some(url) => store.enrollment(url.trim_end_matches('/'))?,
        None => None,
    };
    if json {
        let value = serde_json::json!({
            "policy": r.upload,
            "on": consent.is_on(),
            "server_url": r.server_url,
            "otlp_url": r.otlp_url,
            "enrolled": enrollment,
            "pending_buckets": pending_buckets,
            "consent": changes,
            "last_upload": last,
        });
        output::line(&serde_json::to_string_pretty(&value)?)?;
        return Ok(());
    }
    let state = match (r.upload, consent.is_on()) {
        (UploadMode::Disabled, _) => "off (the policy disables uploads)",
        (_, true) => "on",
        (_, false) => "off until you run `tokentally upload enable`",
    };
    let mut text = format!("Uploads: {state}\n");
    for (name, url) in [("Server", &r.server_url), ("OTLP collector", &r.otlp_url)] {
        if let Some(url) = url {
            text += &format!("{name}: {url}\n");
        }
    }
    text += &match &enrollment {
        Some(e) => format!("Enrolled as device {}\n", e.device_id),
        None => "Not enrolled (`tokentally enroll`)\n".to_owned(),
    };
    if let Some(n) = pending_buckets {
        text += &format!("Pending: {n} bucket(s)\n");
    }
    if let Some(last) = last {
        text += &format!(
            "Last upload: #{} {} to {}: {}{}\n",
            last.id,
            Timestamp::from_millisecond(last.at_ms)?,
            last.server,
            last.outcome,
            last.detail.map(|d| format!(" ({d})")).unwrap_or_default()
        );
    }
    output::line(&text)?;
    Ok(())
}

pub fn preview(store: &Store, json: bool, policy: &Effective) -> anyhow::Result<()> {
    let config = UploadConfig::from_policy(&policy.resolved)?;
    let payloads = match pending(store, &config, Timestamp::now().as_millisecond()) {
        Ok(p) => p,
        Err(UploadError::Off(why)) if !json => {
            output::line(&format!("Nothing will be sent: uploads are off ({why})."))?;
            return Ok(());
        }
        Err(UploadError::Off(_)) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    if json {
        for (_, p) in &payloads {
            output::line(&String::from_utf8_lossy(&p.bytes))?;
        }
        return Ok(());
    }
    if payloads.is_empty() {
        output::line("Nothing to send: the server holds everything counted.")?;
    }
    for (n, (url, p)) in payloads.iter().enumerate() {
        output::line(&format!(
            "Upload {} of {} to {url}: {} bucket(s), {} bytes, SHA-256 {}",
            n + 1,
            payloads.len(),
            p.rows.len(),
            p.bytes.len(),
            p.sha256
        ))?;
        if let Ok(batch) = serde_json::from_slice::<UsageBatch>(&p.bytes) {
            output::line(&table(&batch))?;
        }
    }
    if !payloads.is_empty() {
        output::line(
            "`tokentally preview --json` prints these bytes exactly as they will be sent.",
        )?;
    }
    Ok(())
}

fn table(batch: &UsageBatch) -> String {
    let mut out = format!(
        "  {:<17} {:<5} {:<12} {:<24} {:>12} {:>12} {:>7} {:>4}\n",
        "period start", "len", "tool", "model", "input+cache", "output", "calls", "rev"
    );
    for b in &batch.buckets {
        let start = Timestamp::from_second(b.start)
            .map(|t| {
                t.to_zoned(TimeZone::system())
                    .strftime("%Y-%m-%d %H:%M")
                    .to_string()
            })
            .unwrap_or_default();
        out += &format!(
            "  {:<17} {:<5} {:<12} {:<24} {:>12} {:>12} {:>7} {:>4}\n",
            start,
            b.period.as_str(),
            b.tool.0.as_str(),
            b.model.as_str(),
            b.input + b.cache_read + b.cache_write,
            b.output,
            b.calls(),
            b.revision
        );
    }
    out
}

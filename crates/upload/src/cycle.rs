//! One upload cycle: compute what the receivers lack, send it, keep a
//! receipt of every attempt. Nothing is sent without consent; the bytes
//! sent are those [`pending`] returns, which the preview prints.

use std::time::Duration;

use tokentally_policy::UploadMode;
use tokentally_store::{ReceiptEnd, Store};
use tokentally_wire::UsageAck;

use crate::{
    Consent, Http, Prepared, Reply, Sink, TokenVault, UploadConfig, UploadError, account, join,
    next_upload,
};

/// The payloads the next upload would send, per target URL: what
/// `tokentally preview` prints. Errors when uploads are off.
pub fn pending(
    store: &Store,
    config: &UploadConfig,
    now_ms: i64,
) -> Result<Vec<(String, Prepared)>, UploadError> {
    if config.mode == UploadMode::Disabled {
        return Err(UploadError::Off("the policy disables uploads"));
    }
    let consent = Consent::new(&store.consent()?);
    if !consent.is_on() {
        return Err(UploadError::Off("the employee has not turned uploads on"));
    }
    let from_ms = config.recompute_from_ms(now_ms);
    let mut out = Vec::new();
    for (sink, url) in config.targets()? {
        for prepared in next_upload(store, &config.plan, &consent, sink, from_ms)? {
            out.push((url.clone(), prepared));
        }
    }
    Ok(out)
}

/// What a cycle did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CycleReport {
    /// Payloads acknowledged.
    pub sent: usize,
    /// Buckets in them.
    pub buckets: usize,
    /// Stopped by a failure worth retrying: the server's `Retry-After`, if
    /// any, and what happened. The rest stays queued.
    pub retry: Option<(Option<Duration>, String)>,
}

/// Sends everything pending, payload by payload, stopping at the first
/// failure. A refusal is an error; a failure worth retrying is reported in
/// [`CycleReport::retry`].
pub fn upload_cycle(
    store: &mut Store,
    config: &UploadConfig,
    vault: &dyn TokenVault,
    http: &Http,
    now_ms: i64,
) -> Result<CycleReport, UploadError> {
    let mut report = CycleReport::default();
    // Another process (`upload now` beside the agent) may prepare the same
    // buckets at the same moment: then compute again from what it saved.
    for _ in 0..3 {
        if !send_pending(store, config, vault, http, now_ms, &mut report)? {
            break;
        }
    }
    Ok(report)
}

/// True when it must compute again (a concurrent upload prepared first).
fn send_pending(
    store: &mut Store,
    config: &UploadConfig,
    vault: &dyn TokenVault,
    http: &Http,
    now_ms: i64,
    report: &mut CycleReport,
) -> Result<bool, UploadError> {
    // One keychain read per cycle, not one per payload.
    let mut server_token: Option<String> = None;
    for (base, prepared) in pending(store, config, now_ms)? {
        let (url, token) = match prepared.sink {
            Sink::Server => {
                if server_token.is_none() {
                    server_token = Some(credentials_or_enroll(store, config, vault, http, &base)?);
                }
                (join(&base, "/v1/usage"), server_token.clone())
            }
            Sink::Otlp => (base.clone(), None),
        };
        let sink = prepared.sink.as_str();
        let Some(receipt) = store.begin_upload(
            &prepared.rows,
            sink,
            &url,
            &prepared.bytes,
            &prepared.sha256,
            now(),
        )?
        else {
            return Ok(true);
        };
        let reply = http.post_json(&url, token.as_deref(), prepared.bytes.clone());
        match reply {
            Reply::Ok { status, body } => {
                let ack = serde_json::from_slice::<UsageAck>(&body)
                    .ok()
                    .map(|a| a.ack);
                let end = ended("acknowledged", Some(status), ack, None);
                store.end_upload(receipt, &end, Some((sink, &prepared.rows)))?;
                report.sent += 1;
                report.buckets += prepared.rows.len();
            }
            Reply::Retry {
                status,
                after,
                detail,
            } => {
                let end = ended("failed", status, None, Some(detail.clone()));
                store.end_upload(receipt, &end, None)?;
                report.retry = Some((after, detail));
                return Ok(false);
            }
            Reply::Refused { status, detail } => {
                let end = ended("refused", Some(status), None, Some(detail.clone()));
                store.end_upload(receipt, &end, None)?;
                return Err(UploadError::Refused { status, detail });
            }
        }
    }
    Ok(false)
}

/// The device token for `server`; a device MDM deployed with the policy's
/// enrollment code enrolls here, at its first upload: never before the
/// employee's consent, and the code is never needed again.
fn credentials_or_enroll(
    store: &mut Store,
    config: &UploadConfig,
    vault: &dyn TokenVault,
    http: &Http,
    server: &str,
) -> Result<String, UploadError> {
    match (credentials(store, vault, server), &config.enrollment_code) {
        (Err(UploadError::NotEnrolled(_)), Some(code)) => {
            crate::enroll(store, vault, http, server, code, now())?;
            tracing::info!("Enrolled with the policy's enrollment code.");
            Ok(credentials(store, vault, server)?.1)
        }
        (found, _) => Ok(found?.1),
    }
}

/// This device's id at `server` and its token, from the keychain.
pub(crate) fn credentials(
    store: &Store,
    vault: &dyn TokenVault,
    server: &str,
) -> Result<(String, String), UploadError> {
    let not_enrolled = || UploadError::NotEnrolled(server.to_owned());
    let device = store
        .enrollment(server)?
        .ok_or_else(not_enrolled)?
        .device_id;
    let token = vault
        .get(&account(&device, server))?
        .ok_or_else(not_enrolled)?;
    Ok((device, token))
}

fn ended(
    outcome: &'static str,
    http_status: Option<u16>,
    ack: Option<String>,
    detail: Option<String>,
) -> ReceiptEnd {
    ReceiptEnd {
        outcome,
        http_status,
        ack,
        detail,
        done_ms: now(),
    }
}

fn now() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

//! The upload task: on the policy's schedule (hourly by default), when the
//! employee turns uploads on, or when asked (`upload_now`), it sends what
//! the receivers lack; after a failure it waits with backoff, never less
//! than the server's `Retry-After`. The ledger is the queue, so nothing is
//! lost across restarts.

use std::{
    sync::{Arc, atomic::Ordering},
    time::{Duration, Instant},
};

use tokentally_policy::UploadMode;
use tokentally_store::Store;
use tokentally_upload::{
    Backoff, Consent, Http, Keychain, TokenVault, UploadConfig, UploadError, upload_cycle,
};

use crate::{Shared, now_ms, status::TaskState, status::UploadStatus, supervise::Exit};

/// How often the task looks at the ledger's consent and the trigger.
const LOOK_EVERY: Duration = Duration::from_secs(1);
/// Consent is read from the ledger this often (another process may change it).
const CONSENT_EVERY: u32 = 10;

pub(crate) fn run(shared: &Arc<Shared>) -> Result<Exit, String> {
    shared.board.task("upload", TaskState::Running);
    let mut store = crate::open_store(shared, 1024)?;
    // Made at the first upload: an HTTP client has its own thread and the
    // OS's TLS roots, which an agent whose uploads are off never needs.
    let mut http: Option<Http> = None;
    let mut vault: Option<Arc<dyn TokenVault>> = shared.config.vault.clone();
    let mut backoff = Backoff::new(Duration::from_secs(30), Duration::from_secs(3600));
    let mut status = UploadStatus::default();
    let mut due = Instant::now();
    let mut was_on = false;
    let mut ticks = 0u32;
    loop {
        if ticks.is_multiple_of(CONSENT_EVERY) {
            let (_, policy) = shared.policy();
            let on = consent_on(&store)?;
            // Turned on just now: upload at once rather than at the next hour.
            if on && !was_on {
                due = Instant::now();
            }
            was_on = on;
            status.state = match (policy.resolved.upload, on) {
                (UploadMode::Disabled, _) => "disabled",
                (_, true) => "on",
                _ => "off",
            };
            shared.board.set_upload(status.clone());
        }
        ticks = ticks.wrapping_add(1);
        if shared.upload_now.swap(false, Ordering::SeqCst) {
            due = Instant::now();
        }
        if Instant::now() >= due && status.state == "on" {
            // Decided when due, not each tick: it reads the time zone database.
            let config = UploadConfig::from_policy(&shared.policy().1.resolved);
            let wait = match (&config, vault_of(&mut vault), http_of(&mut http)) {
                (Ok(config), Ok(vault), Ok(http)) => {
                    attempt(&mut store, config, &*vault, http, &mut backoff, &mut status)
                }
                (Err(e), _, _) => {
                    status.error = Some(e.to_string());
                    None
                }
                (_, Err(e), _) | (_, _, Err(e)) => {
                    status.error = Some(e.to_string());
                    None
                }
            };
            let interval = interval(shared, config.as_ref().ok());
            let wait = wait.unwrap_or(interval);
            due = Instant::now() + wait;
            status.next_attempt_ms = Some(now_ms() + wait.as_millis() as i64);
            shared.board.set_upload(status.clone());
        }
        if shared.stop.sleep(LOOK_EVERY) {
            return Ok(Exit::Stopped);
        }
    }
}

fn consent_on(store: &Store) -> Result<bool, String> {
    let changes = store.consent().map_err(|e| e.to_string())?;
    Ok(Consent::new(&changes).is_on())
}

fn vault_of(vault: &mut Option<Arc<dyn TokenVault>>) -> Result<Arc<dyn TokenVault>, UploadError> {
    if let Some(v) = vault {
        return Ok(v.clone());
    }
    let keychain: Arc<dyn TokenVault> = Arc::new(Keychain::platform()?);
    *vault = Some(keychain.clone());
    Ok(keychain)
}

fn http_of(http: &mut Option<Http>) -> Result<&Http, UploadError> {
    let client = match http.take() {
        Some(client) => client,
        None => Http::new()?,
    };
    Ok(http.insert(client))
}

/// One cycle; how long to wait before the next one when it failed in a
/// way worth retrying soon (`None`: the regular schedule).
fn attempt(
    store: &mut Store,
    config: &UploadConfig,
    vault: &dyn TokenVault,
    http: &Http,
    backoff: &mut Backoff,
    status: &mut UploadStatus,
) -> Option<Duration> {
    let result = upload_cycle(store, config, vault, http, now_ms());
    status.last_attempt_ms = Some(now_ms());
    match result {
        Ok(report) => match report.retry {
            None => {
                backoff.reset();
                status.error = None;
                status.last_sent_buckets = report.buckets;
                if report.buckets > 0 {
                    tracing::info!(buckets = report.buckets, "Uploaded.");
                }
                None
            }
            Some((after, detail)) => {
                let wait = backoff.fail(after);
                tracing::warn!(
                    wait_s = wait.as_secs(),
                    "Upload failed, will retry: {detail}"
                );
                status.error = Some(detail);
                Some(wait)
            }
        },
        Err(UploadError::Off(_)) => None,
        Err(e) => {
            // Refused, not enrolled, the keychain or the ledger failing:
            // trying sooner would not help; the status says why.
            tracing::warn!("Upload not possible: {e}");
            status.error = Some(e.to_string());
            None
        }
    }
}

fn interval(shared: &Shared, config: Option<&UploadConfig>) -> Duration {
    shared
        .config
        .upload_interval
        .or(config.map(|c| c.interval))
        .unwrap_or(Duration::from_secs(3600))
}

//! What the employee decides from the app or the CLI: consent, the bucket
//! size, deleting their data.

use std::path::Path;

use serde::Serialize;
use serde_json::{Map, Value};
use tokentally_policy::Resolved;
use tokentally_store::{ConsentChange, Store};
use tokentally_upload::{Http, TokenVault, delete_remote};

use crate::DeskError;

/// Turns uploads on (from now on, or including what was counted before
/// `from_ms`) or off; recorded with its time.
pub fn set_consent(
    store: &mut Store,
    enabled: bool,
    from_ms: Option<i64>,
    now_ms: i64,
) -> Result<(), DeskError> {
    store.record_consent(&ConsentChange {
        at_ms: now_ms,
        enabled,
        from_ms: if enabled { from_ms } else { None },
    })?;
    Ok(())
}

/// Sets one key of the employee's settings file (`settings.json` beside the
/// ledger), checked like any policy document, written whole then renamed.
pub fn set_employee_key(settings: &Path, key: &str, value: Value) -> Result<(), DeskError> {
    let mut doc: Map<String, Value> = match std::fs::read(settings) {
        Ok(bytes) => serde_json::from_slice(&bytes)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Map::new(),
        Err(e) => return Err(e.into()),
    };
    doc.insert(key.to_owned(), value);
    let doc = Value::Object(doc);
    let (_, problems) = tokentally_policy::parse(&doc, "settings.json");
    if let Some(p) = problems.first() {
        return Err(DeskError::Invalid(format!("{}: {}", p.key, p.message)));
    }
    let tmp = settings.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(&doc)?)?;
    std::fs::rename(&tmp, settings)?;
    Ok(())
}

/// What deleting removed.
#[derive(Debug, Clone, Serialize)]
pub struct DeletedView {
    /// Calls deleted here.
    pub calls: u64,
    /// Receipts deleted here.
    pub receipts: u64,
    /// Buckets the server deleted (`None`: not enrolled, nothing asked).
    pub server_deleted: Option<u64>,
}

/// Asks the server (when enrolled) to delete this device's buckets, then
/// deletes the usage data here and turns uploads off. If the server cannot
/// be reached, nothing is deleted here either, so the employee can retry.
pub fn delete_data(
    store: &mut Store,
    policy: &Resolved,
    vault: Option<&dyn TokenVault>,
    http: &Http,
    now_ms: i64,
) -> Result<DeletedView, DeskError> {
    let server = policy
        .server_url
        .as_deref()
        .map(|s| s.trim_end_matches('/'));
    let mut server_deleted = None;
    if let Some(server) = server
        && store.enrollment(server)?.is_some()
    {
        let vault = vault.ok_or(DeskError::Invalid("the OS keychain is unavailable".into()))?;
        server_deleted = Some(delete_remote(store, vault, http, server)?);
    }
    let gone = store.delete_usage_data(now_ms)?;
    Ok(DeletedView {
        calls: gone.calls,
        receipts: gone.receipts,
        server_deleted,
    })
}

/// When a pause asked for now ends: after `minutes`, at the next local
/// midnight in `tz`, or never (`None`: until resumed).
pub fn pause_end(
    now: jiff::Timestamp,
    minutes: Option<u32>,
    until_tomorrow: bool,
    tz: &jiff::tz::TimeZone,
) -> Result<Option<i64>, DeskError> {
    if until_tomorrow {
        let tomorrow = now.to_zoned(tz.clone()).date().tomorrow()?;
        return Ok(Some(
            tomorrow.to_zoned(tz.clone())?.timestamp().as_millisecond(),
        ));
    }
    Ok(minutes.map(|m| now.as_millisecond() + i64::from(m) * 60_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_end_after_minutes_at_midnight_or_never() {
        let now: jiff::Timestamp = "2026-03-10T20:30:00Z".parse().expect("time");
        let paris = jiff::tz::TimeZone::get("Europe/Paris").expect("zone");
        let ms = |s: &str| s.parse::<jiff::Timestamp>().expect("time").as_millisecond();
        assert_eq!(
            pause_end(now, Some(60), false, &paris).expect("end"),
            Some(ms("2026-03-10T21:30:00Z"))
        );
        assert_eq!(
            pause_end(now, None, true, &paris).expect("end"),
            Some(ms("2026-03-10T23:00:00Z"))
        );
        assert_eq!(pause_end(now, None, false, &paris).expect("end"), None);
    }

    #[test]
    fn an_employee_setting_is_checked_and_written_whole() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("settings.json");
        set_employee_key(&path, "granularity", Value::String("week".into())).expect("set");
        set_employee_key(&path, "retention_days", Value::from(30)).expect("set");
        let doc: Value =
            serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
        assert_eq!(
            doc,
            serde_json::json!({"granularity": "week", "retention_days": 30})
        );
        let bad = set_employee_key(&path, "granularity", Value::String("minute".into()));
        assert!(matches!(bad, Err(DeskError::Invalid(_))), "{bad:?}");
        let kept: Value =
            serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
        assert_eq!(
            kept["granularity"], "week",
            "a refused value is not written"
        );
    }
}

//! This device's own dealings with the server: enrollment (a code for a
//! device token, kept in the keychain), asking it to delete what it holds
//! for this device, and reading who at the company read this device's data.

use tokentally_store::{Enrollment, Store};
use tokentally_wire::{AccessLog, DeleteReply, EnrollReply, EnrollRequest};

use crate::{Http, TokenVault, UploadError, account, check_url, cycle::credentials, join};

/// Exchanges `code` for a device token at `server`; the token goes to the
/// vault, the device id to the ledger.
pub fn enroll(
    store: &mut Store,
    vault: &dyn TokenVault,
    http: &Http,
    server: &str,
    code: &str,
    now_ms: i64,
) -> Result<Enrollment, UploadError> {
    check_url(server)?;
    let server = server.trim_end_matches('/');
    let body = serde_json::to_vec(&EnrollRequest {
        code: code.trim().to_owned(),
    })
    .unwrap_or_default();
    let reply: EnrollReply = http
        .post_json(&join(server, "/v1/enroll"), None, body)
        .json("enrollment reply")?;
    // The id goes into URLs: only a plain token of letters, digits, - and _.
    let id_ok = (1..=64).contains(&reply.device_id.len())
        && reply
            .device_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !id_ok {
        return Err(UploadError::Transport(
            "the server sent an unusable device id".into(),
        ));
    }
    let previous = store.enrollment(server)?;
    vault.set(&account(&reply.device_id, server), &reply.token)?;
    let enrollment = Enrollment {
        server: server.to_owned(),
        device_id: reply.device_id,
        enrolled_ms: now_ms,
    };
    store.save_enrollment(&enrollment)?;
    if let Some(old) = previous.filter(|old| old.device_id != enrollment.device_id) {
        vault.delete(&account(&old.device_id, server))?;
    }
    Ok(enrollment)
}

/// Asks `server` to delete every bucket it holds for this device; the
/// number deleted.
pub fn delete_remote(
    store: &Store,
    vault: &dyn TokenVault,
    http: &Http,
    server: &str,
) -> Result<u64, UploadError> {
    let server = server.trim_end_matches('/');
    let (device, token) = credentials(store, vault, server)?;
    let url = join(server, &format!("/v1/devices/{device}/usage"));
    let reply: DeleteReply = http.delete(&url, &token).json("reply")?;
    Ok(reply.deleted)
}

/// Every read of this device's data by a company admin, as `server`'s
/// access log records them, newest first.
pub fn access_log(
    store: &Store,
    vault: &dyn TokenVault,
    http: &Http,
    server: &str,
) -> Result<AccessLog, UploadError> {
    let server = server.trim_end_matches('/');
    let (device, token) = credentials(store, vault, server)?;
    let url = join(server, &format!("/v1/devices/{device}/access-log"));
    http.get(&url, &token).json("reply")
}

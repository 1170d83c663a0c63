//! Who at the company read this device's data: the server's access log,
//! asked for only when this device is enrolled there.

use serde::Serialize;
use tokentally_policy::Resolved;
use tokentally_store::Store;
use tokentally_upload::{Http, TokenVault};
use tokentally_wire::AccessEntry;

use crate::DeskError;

/// The access log as the window shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessView {
    /// `no_server` (the policy names none), `not_enrolled` (nothing was
    /// asked of the server) or `ok`.
    pub state: &'static str,
    /// The server's base URL.
    pub server: Option<String>,
    /// Every admin read of this device's data, newest first.
    pub entries: Vec<AccessEntry>,
}

/// Asks the policy's server who read this device's data.
pub fn access_log(
    store: &Store,
    policy: &Resolved,
    vault: Option<&dyn TokenVault>,
    http: &Http,
) -> Result<AccessView, DeskError> {
    let Some(server) = policy
        .server_url
        .as_deref()
        .map(|s| s.trim_end_matches('/'))
    else {
        return Ok(AccessView {
            state: "no_server",
            server: None,
            entries: Vec::new(),
        });
    };
    let view = |state, entries| AccessView {
        state,
        server: Some(server.to_owned()),
        entries,
    };
    if store.enrollment(server)?.is_none() {
        return Ok(view("not_enrolled", Vec::new()));
    }
    let vault = vault.ok_or(DeskError::Invalid("the OS keychain is unavailable".into()))?;
    let log = tokentally_upload::access_log(store, vault, http, server)?;
    Ok(view("ok", log.entries))
}

//! `tokentally enroll`: a one-time code for this device's token, which goes
//! to the OS keychain and nowhere else.

use anyhow::Context;
use jiff::Timestamp;
use tokentally_policy::Effective;
use tokentally_store::Store;
use tokentally_upload::{Http, Keychain, enroll};

use crate::output;

pub fn run(store: &mut Store, code: Option<String>, policy: &Effective) -> anyhow::Result<()> {
    let server = policy
        .resolved
        .server_url
        .clone()
        .context("no server_url in the policy: ask IT which server to enroll at")?;
    let code = code
        .or_else(|| policy.resolved.enrollment_code.clone())
        .context("no enrollment code: pass --code, as IT gave it to you")?;
    let vault = keychain()?;
    let enrolled = enroll(
        store,
        &vault,
        &Http::new()?,
        &server,
        &code,
        Timestamp::now().as_millisecond(),
    )
    .context("enrollment failed")?;
    output::line(&format!(
        "Enrolled at {} as device {}; the token is in the OS keychain. \
         Nothing is uploaded until you run `tokentally upload enable`.",
        enrolled.server, enrolled.device_id
    ))?;
    Ok(())
}

/// The OS keychain, or why it cannot be used.
pub fn keychain() -> anyhow::Result<Keychain> {
    Keychain::platform().context(
        "the OS keychain is unavailable (on Linux a Secret Service, such as \
         gnome-keyring, must run in your session)",
    )
}

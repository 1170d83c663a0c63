//! What a tray click does. The shell asks [`tray_action`] what a menu id
//! means and carries out only what is its own (open the window, quit);
//! [`apply_tray_action`] does the rest on the agent and the ledger.

use jiff::{Timestamp, tz::TimeZone};
use tokentally_agent::AgentHandle;
use tokentally_store::Store;

use crate::{DeskError, pause_end, set_consent};

/// A tray menu item's meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrayAction {
    /// Show the window (also for turning uploads on, which needs its
    /// explanation and the choice of what to include).
    OpenWindow,
    /// Pause counting until then (`None`: until resumed).
    Pause { until_ms: Option<i64> },
    /// Count again.
    Resume,
    /// Stop uploads.
    UploadOff,
    /// End the app.
    Quit,
}

/// The action of the menu item `id` (from [`crate::tray_model`]), clicked at
/// `now`; `None` for an id the menu never offers.
pub fn tray_action(
    id: &str,
    now: Timestamp,
    zone: &TimeZone,
) -> Result<Option<TrayAction>, DeskError> {
    Ok(Some(match id {
        "open" | "upload_on" => TrayAction::OpenWindow,
        "pause_hour" => TrayAction::Pause {
            until_ms: pause_end(now, Some(60), false, zone)?,
        },
        "pause_tomorrow" => TrayAction::Pause {
            until_ms: pause_end(now, None, true, zone)?,
        },
        "resume" => TrayAction::Resume,
        "upload_off" => TrayAction::UploadOff,
        "quit" => TrayAction::Quit,
        _ => return Ok(None),
    }))
}

/// Carries out an action of the core; false for the shell's own.
pub fn apply_tray_action(
    action: TrayAction,
    agent: &AgentHandle,
    store: &mut Store,
    now_ms: i64,
) -> Result<bool, DeskError> {
    match action {
        TrayAction::Pause { until_ms } => agent.pause(until_ms)?,
        TrayAction::Resume => agent.resume()?,
        TrayAction::UploadOff => set_consent(store, false, None, now_ms)?,
        TrayAction::OpenWindow | TrayAction::Quit => return Ok(false),
    }
    Ok(true)
}

#[cfg(test)]
mod tests;

//! What the app holds: the running agent, a ledger connection for the
//! views, the keychain and an HTTP client for uploads and deletion.

use std::{
    path::PathBuf,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::Duration,
};

use anyhow::Context;
use tokentally_agent::{Agent, AgentConfig, AgentHandle};
use tokentally_collect::Env;
use tokentally_policy::Inputs;
use tokentally_store::Store;
use tokentally_upload::{Http, Keychain, TokenVault};

use crate::commands::UiError;

pub struct AppState {
    agent: Mutex<Option<AgentHandle>>,
    store: Mutex<Store>,
    pub vault: Option<Arc<dyn TokenVault>>,
    pub http: Http,
}

/// `TOKENTALLY_DATA_DIR`, or the platform's data dir, as the CLI uses.
fn ledger_path() -> anyhow::Result<PathBuf> {
    let dir = match std::env::var_os("TOKENTALLY_DATA_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => dirs::data_dir()
            .context("no data directory on this platform")?
            .join("tokentally"),
    };
    Ok(dir.join("tokentally.db"))
}

fn policy_inputs(ledger: &std::path::Path) -> Inputs {
    let explicit = std::env::var_os("TOKENTALLY_POLICY").map(PathBuf::from);
    Inputs::beside(ledger, explicit)
}

/// Whether the policy wants TokenTally started at login, read without
/// starting anything (a login start the policy refuses ends here).
pub fn starts_at_login() -> anyhow::Result<bool> {
    let ledger = ledger_path()?;
    Ok(tokentally_policy::load(&policy_inputs(&ledger))
        .resolved
        .autostart)
}

impl AppState {
    pub fn start() -> anyhow::Result<AppState> {
        let ledger = ledger_path()?;
        let mut config =
            AgentConfig::new(ledger.clone(), policy_inputs(&ledger), Env::from_process());
        // Without a keychain the app still counts; uploads say why they cannot run.
        let vault: Option<Arc<dyn TokenVault>> = match Keychain::platform() {
            Ok(k) => Some(Arc::new(k)),
            Err(e) => {
                tracing::warn!("No OS keychain: {e}");
                None
            }
        };
        config.vault = vault.clone();
        let agent = Agent::start(config)?;
        Ok(AppState {
            agent: Mutex::new(Some(agent)),
            store: Mutex::new(Store::open(&ledger)?),
            vault,
            http: Http::new()?,
        })
    }

    pub fn agent(&self) -> Result<MutexGuard<'_, Option<AgentHandle>>, UiError> {
        let guard = self.agent.lock().unwrap_or_else(PoisonError::into_inner);
        if guard.is_none() {
            return Err(UiError::new("stopped", "the agent has stopped"));
        }
        Ok(guard)
    }

    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn autostart(&self) -> bool {
        self.with_agent(|a| a.policy().resolved.autostart)
            .unwrap_or(false)
    }

    pub fn with_agent<T>(&self, f: impl FnOnce(&AgentHandle) -> T) -> Result<T, UiError> {
        let guard = self.agent()?;
        guard
            .as_ref()
            .map(f)
            .ok_or_else(|| UiError::new("stopped", "the agent has stopped"))
    }

    pub fn shutdown(&self) {
        let taken = self
            .agent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(agent) = taken {
            agent.shutdown(Duration::from_secs(10));
        }
    }
}

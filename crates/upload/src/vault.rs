//! Where the device token lives: the OS keychain (Keychain on macOS,
//! Credential Manager on Windows, the Secret Service on Linux), never a
//! file, a log or the policy.

use std::{collections::HashMap, sync::Mutex};

use crate::UploadError;

/// The keychain's service name for TokenTally's entries.
pub const SERVICE: &str = "TokenTally";

/// Stores device tokens by account (`device@server`).
pub trait TokenVault: Send + Sync {
    /// The token, if one is stored.
    fn get(&self, account: &str) -> Result<Option<String>, UploadError>;
    /// Stores or replaces the token.
    fn set(&self, account: &str, token: &str) -> Result<(), UploadError>;
    /// Forgets the token (no error if there was none).
    fn delete(&self, account: &str) -> Result<(), UploadError>;
}

/// The account name of a device's token at a server.
pub fn account(device_id: &str, server: &str) -> String {
    format!("{device_id}@{}", server.trim_end_matches('/'))
}

/// The OS keychain, through `keyring`.
#[derive(Debug)]
pub struct Keychain(());

impl Keychain {
    /// The platform's store; an error says why it is unavailable (on Linux,
    /// no Secret Service on the session bus).
    pub fn platform() -> Result<Self, UploadError> {
        keyring::Entry::store_status()
            .as_ref()
            .map_err(|e| UploadError::Keychain(e.to_string()))?;
        Ok(Keychain(()))
    }

    /// keyring's in-memory mock store, for tests (process-wide).
    pub fn mock() -> Result<Self, UploadError> {
        let store = keyring_core::mock::Store::new().map_err(keychain)?;
        keyring_core::set_default_store(store);
        Ok(Keychain(()))
    }

    fn entry(account: &str) -> Result<keyring_core::Entry, UploadError> {
        keyring_core::Entry::new(SERVICE, account).map_err(keychain)
    }
}

fn keychain(e: keyring_core::Error) -> UploadError {
    UploadError::Keychain(e.to_string())
}

impl TokenVault for Keychain {
    fn get(&self, account: &str) -> Result<Option<String>, UploadError> {
        match Self::entry(account)?.get_password() {
            Ok(token) => Ok(Some(token)),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => Err(keychain(e)),
        }
    }

    fn set(&self, account: &str, token: &str) -> Result<(), UploadError> {
        Self::entry(account)?.set_password(token).map_err(keychain)
    }

    fn delete(&self, account: &str) -> Result<(), UploadError> {
        match Self::entry(account)?.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(e) => Err(keychain(e)),
        }
    }
}

/// Tokens in memory, for tests that run many vaults side by side.
#[derive(Debug, Default)]
pub struct MemoryVault(Mutex<HashMap<String, String>>);

impl TokenVault for MemoryVault {
    fn get(&self, account: &str) -> Result<Option<String>, UploadError> {
        Ok(self.0.lock().map_err(poisoned)?.get(account).cloned())
    }

    fn set(&self, account: &str, token: &str) -> Result<(), UploadError> {
        self.0
            .lock()
            .map_err(poisoned)?
            .insert(account.to_owned(), token.to_owned());
        Ok(())
    }

    fn delete(&self, account: &str) -> Result<(), UploadError> {
        self.0.lock().map_err(poisoned)?.remove(account);
        Ok(())
    }
}

fn poisoned<T>(_: T) -> UploadError {
    UploadError::Keychain("vault lock poisoned".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keychain_on_keyrings_mock_store_keeps_replaces_and_forgets() {
        let vault = Keychain::mock().expect("mock store");
        let account = account("dev-1", "https://tokentally.example.com/");
        assert_eq!(account, "dev-1@https://tokentally.example.com");
        assert_eq!(vault.get(&account).expect("get"), None);
        vault.set(&account, "tok-1").expect("set");
        vault.set(&account, "tok-2").expect("replace");
        assert_eq!(vault.get(&account).expect("get").as_deref(), Some("tok-2"));
        assert_eq!(vault.get("other@x").expect("get"), None);
        vault.delete(&account).expect("delete");
        assert_eq!(vault.get(&account).expect("get"), None);
        vault.delete(&account).expect("delete twice");
    }

    #[test]
    fn the_memory_vault_keeps_replaces_and_forgets() {
        let vault = MemoryVault::default();
        vault.set("a", "1").expect("set");
        vault.set("a", "2").expect("set");
        assert_eq!(vault.get("a").expect("get").as_deref(), Some("2"));
        vault.delete("a").expect("delete");
        assert_eq!(vault.get("a").expect("get"), None);
    }
}

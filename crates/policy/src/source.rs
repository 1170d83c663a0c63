//! Where managed policy comes from. Each OS's source is a small module
//! behind one trait, so tests can feed any of them from memory or from files
//! under a temporary root. The first source that holds a policy wins.

use std::path::PathBuf;

use serde_json::Value;

mod etc;
mod file;
mod plist;
mod registry;

pub use etc::EtcDir;
pub use file::PolicyFile;
pub use plist::{ManagedPreferences, plist_to_json};
pub use registry::{RegData, registry_to_json};

/// The macOS bundle id, also the managed preferences domain.
pub const BUNDLE_ID: &str = "com.tokentally.agent";

/// A place managed policy may be delivered to.
pub trait ManagedSource: Send + Sync {
    /// How the employee and the admin are told where it came from.
    fn name(&self) -> String;
    /// The document, `None` when this source holds no policy, or why it
    /// could not be read.
    fn read(&self) -> Result<Option<Value>, String>;
    /// Files whose change means the policy may have changed.
    fn watched(&self) -> Vec<PathBuf>;
}

/// The managed sources of this OS, in order of precedence.
pub fn os_sources() -> Vec<Box<dyn ManagedSource>> {
    #[cfg(target_os = "macos")]
    {
        let user = std::env::var("USER").unwrap_or_default();
        vec![Box::new(ManagedPreferences::for_mac(&user))]
    }
    #[cfg(windows)]
    {
        registry::windows_sources()
    }
    #[cfg(not(any(target_os = "macos", windows)))]
    {
        vec![Box::new(EtcDir::new("/etc/tokentally"))]
    }
}

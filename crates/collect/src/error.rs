use std::path::PathBuf;

use tokentally_store::StoreError;

/// Errors that stop a scan or a watch. Problems with single files or
/// directories do not: they are reported in the scan summary.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    /// The ledger failed; what was committed before stays.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The file watcher could not be started.
    #[error("cannot watch {path}: {source}")]
    Watch {
        /// The directory.
        path: PathBuf,
        /// What the OS said.
        source: notify::Error,
    },
    /// A worker thread panicked; its file's progress up to the last commit stays.
    #[error("a scan worker stopped unexpectedly")]
    Worker,
}

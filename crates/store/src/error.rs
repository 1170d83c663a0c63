use std::path::PathBuf;

/// Errors of the ledger. Each names the database file.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file exists but is not a SQLite database, or is damaged.
    #[error(
        "the database at {path} is damaged or is not a TokenTally database; it was left untouched \
         (move it aside to start a new ledger): {detail}"
    )]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        detail: String,
    },
    /// The file was written by a newer TokenTally.
    #[error(
        "the database at {path} has schema version {found}, newer than this build understands \
         ({supported}); upgrade TokenTally (the file was left untouched)"
    )]
    NewerSchema {
        /// The database file.
        path: PathBuf,
        /// The version in the file.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// Another process held the database locked for too long.
    #[error("the database at {path} is busy (another TokenTally process is writing): {detail}")]
    Busy {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        detail: String,
    },
    /// The data directory could not be created or read.
    #[error("cannot use {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Any other SQLite failure.
    #[error("database error at {path}: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// The SQLite error.
        source: rusqlite::Error,
    },
}

impl StoreError {
    /// Whether trying again later can succeed: another writer holding the
    /// lock, a full disk, an I/O hiccup; not a damaged or newer ledger.
    pub fn is_transient(&self) -> bool {
        use rusqlite::ErrorCode;
        match self {
            StoreError::Busy { .. } | StoreError::Io { .. } => true,
            StoreError::Sqlite { source, .. } => matches!(
                source.sqlite_error_code(),
                Some(ErrorCode::DiskFull | ErrorCode::SystemIoFailure | ErrorCode::CannotOpen)
            ),
            StoreError::Corrupt { .. } | StoreError::NewerSchema { .. } => false,
        }
    }

    /// Sorts a SQLite error into the variants above.
    pub(crate) fn classify(path: &std::path::Path, e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        let path = path.to_owned();
        match e.sqlite_error_code() {
            Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => StoreError::Corrupt {
                path,
                detail: e.to_string(),
            },
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Busy {
                path,
                detail: e.to_string(),
            },
            _ => StoreError::Sqlite { path, source: e },
        }
    }

    /// True when retrying later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Busy { .. })
    }
}

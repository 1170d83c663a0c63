//! Where the ledger lives.

use std::path::{Path, PathBuf};

use anyhow::Context;

/// The ledger file: `DIR/tokentally.db`, where DIR is `--data-dir`,
/// `TOKENTALLY_DATA_DIR`, or the platform data dir (`~/.local/share/tokentally`,
/// `~/Library/Application Support/tokentally`, `%APPDATA%\tokentally`).
pub fn ledger_path(data_dir: Option<&Path>) -> anyhow::Result<PathBuf> {
    let dir = match data_dir {
        Some(dir) => dir.to_owned(),
        None => dirs::data_dir()
            .context("no data directory on this platform: pass --data-dir")?
            .join("tokentally"),
    };
    Ok(dir.join("tokentally.db"))
}

//! OpenCode and Kilo CLI before their database: one JSON file per message,
//! `storage/message/<session>/<message>.json`, and one per part of it,
//! `storage/part/<message>/<part>.json`, both rewritten in place.
//!
//! A message's usage is the sum of its `step-finish` parts, as in the
//! database. A machine that migrated keeps both: the legacy message and its
//! database row share the call key, so they count once, the more complete
//! record winning.

use std::path::{Path, PathBuf};

use tokentally_event::{Key, Model, Tokens, Tool, UsageEvent};

use super::{
    Collector, Format, Stamp, WholeError, WholeFormat,
    opencode::{KILO_CLI, MessageData, OPENCODE, OpenCodeFamily, PartData, add_step},
};
use crate::{Env, platform::xdg_data_home};

/// The legacy storage of one of OpenCode's family.
pub struct OpenCodeLegacy {
    family: &'static OpenCodeFamily,
}

/// OpenCode's legacy storage.
pub const OPENCODE_LEGACY: OpenCodeLegacy = OpenCodeLegacy { family: &OPENCODE };
/// Kilo CLI's legacy storage.
pub const KILO_CLI_LEGACY: OpenCodeLegacy = OpenCodeLegacy { family: &KILO_CLI };

impl Collector for OpenCodeLegacy {
    fn tool(&self) -> Tool {
        self.family.tool
    }

    fn roots(&self, env: &Env) -> Vec<PathBuf> {
        xdg_data_home(env)
            .map(|d| vec![d.join(self.family.name).join("storage").join("message")])
            .unwrap_or_default()
    }

    fn is_log(&self, path: &Path) -> bool {
        let grandparent = path.parent().and_then(Path::parent);
        path.extension().is_some_and(|e| e == "json")
            && grandparent
                .and_then(|g| g.file_name())
                .is_some_and(|n| n == "message")
    }

    fn format(&self) -> Format<'_> {
        Format::Whole(self)
    }
}

/// `storage/part/<message>/`, beside `storage/message/<session>/<message>.json`.
fn parts_dir(message_file: &Path) -> Option<PathBuf> {
    let storage = message_file.parent()?.parent()?.parent()?;
    Some(storage.join("part").join(message_file.file_stem()?))
}

fn part_files(message_file: &Path) -> Vec<PathBuf> {
    let Some(dir) = parts_dir(message_file) else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

impl WholeFormat for OpenCodeLegacy {
    /// A new or rewritten part changes the message as much as the message
    /// file itself does.
    fn stamp(&self, path: &Path) -> std::io::Result<Stamp> {
        let mut stamp = Stamp::of_file(path)?;
        for part in part_files(path) {
            if let Ok(p) = Stamp::of_file(&part) {
                stamp.size = stamp.size.wrapping_add(p.size).wrapping_add(1);
                stamp.mtime_ns = stamp.mtime_ns.max(p.mtime_ns);
            }
        }
        Ok(stamp)
    }

    fn read(
        &self,
        path: &Path,
        _state: &[u8],
        out: &mut Vec<UsageEvent>,
    ) -> Result<Vec<u8>, WholeError> {
        self.read_bytes(path, &std::fs::read(path)?, || steps(path), out)
    }
}

impl OpenCodeLegacy {
    /// Reads a message file's bytes; `steps` sums its parts, asked only for
    /// an assistant message; `path` names a message without ids.
    pub(crate) fn read_bytes(
        &self,
        path: &Path,
        bytes: &[u8],
        steps: impl FnOnce() -> Option<Tokens>,
        out: &mut Vec<UsageEvent>,
    ) -> Result<Vec<u8>, WholeError> {
        let message: MessageData =
            serde_json::from_slice(bytes).map_err(|e| WholeError::Malformed {
                what: "OpenCode message",
                detail: e.to_string(),
            })?;
        if message.role.as_deref() != Some("assistant") {
            return Ok(Vec::new());
        }
        let stem = |p: Option<&Path>| {
            p.and_then(Path::file_stem)
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        let id = message.id.clone().unwrap_or_else(|| stem(Some(path)));
        let session = message
            .session_id
            .clone()
            .unwrap_or_else(|| stem(path.parent()));
        let tokens = steps().unwrap_or_else(|| {
            message
                .tokens
                .as_ref()
                .map(|t| t.tokens())
                .unwrap_or_default()
        });
        let Some(at_ms) = message.time.and_then(|t| t.created) else {
            return Ok(Vec::new());
        };
        if !tokens.is_zero() {
            out.push(UsageEvent::logged(
                self.family.tool,
                at_ms,
                Key::of(&[session.as_bytes()]),
                Key::of(&[id.as_bytes()]),
                message
                    .model_id
                    .as_deref()
                    .map_or_else(Model::unknown, Model::new),
                tokens,
            ));
        }
        Ok(Vec::new())
    }
}

/// The summed `step-finish` parts of a message; `None` when it has none.
fn steps(message_file: &Path) -> Option<Tokens> {
    // A part half-written by the tool is read again on its next change.
    let parts = part_files(message_file).into_iter();
    sum_steps(parts.filter_map(|file| std::fs::read(file).ok()))
}

/// The sum of the `step-finish` parts among `parts`; `None` when none is.
pub(crate) fn sum_steps(parts: impl Iterator<Item = impl AsRef<[u8]>>) -> Option<Tokens> {
    let mut sum: Option<Tokens> = None;
    for bytes in parts {
        let Ok(part) = serde_json::from_slice::<PartData>(bytes.as_ref()) else {
            continue;
        };
        if part.kind.as_deref() != Some("step-finish") {
            continue;
        }
        if let Some(step) = part.tokens.as_ref().map(|t| t.tokens()) {
            add_step(sum.get_or_insert_default(), &step);
        }
    }
    sum
}

#[cfg(test)]
#[path = "opencode_legacy/tests.rs"]
mod tests;

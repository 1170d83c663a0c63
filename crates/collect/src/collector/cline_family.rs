//! Cline and its forks, Roo Code and Kilo Code: VS Code extensions that keep
//! each task in `<editor>/User/globalStorage/<extension>/tasks/<task>/`.
//!
//! `ui_messages.json` is rewritten whole; usage is in the `api_req_started`
//! messages, whose `text` is a JSON string. A message is first written
//! without counts and completed later: records without counts are skipped
//! and the call (task, ts) is counted once at its fullest. What `tokensIn`
//! means differs: Cline's is uncached; current Roo's is the total input
//! (cache reads and writes included); older Roo builds, recognisable by a
//! `request` field, and Kilo Code follow `apiProtocol` (`openai` includes
//! cache reads, `anthropic` does not). The model is in the record in newer
//! builds, else in `task_metadata.json`.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use tokentally_event::{Key, Model, Provenance, Tokens, Tool, UsageEvent};

use super::{Collector, Format, WholeError, WholeFormat};
use crate::{
    Env,
    platform::{Os, vscode_user_data_dirs},
};

/// What `tokensIn` holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InputMeaning {
    /// Uncached input (Cline).
    Uncached,
    /// Total input unless the record says otherwise (Roo Code).
    RooTotal,
    /// Decided by `apiProtocol` (Kilo Code).
    ByProtocol,
}

/// One extension of the family.
pub struct ClineFamily {
    tool: Tool,
    extension: &'static str,
    meaning: InputMeaning,
}

/// Cline (`saoudrizwan.claude-dev`).
pub const CLINE: ClineFamily = ClineFamily {
    tool: Tool::Cline,
    extension: "saoudrizwan.claude-dev",
    meaning: InputMeaning::Uncached,
};
/// Roo Code (`rooveterinaryinc.roo-cline`).
pub const ROO_CODE: ClineFamily = ClineFamily {
    tool: Tool::RooCode,
    extension: "rooveterinaryinc.roo-cline",
    meaning: InputMeaning::RooTotal,
};
/// Kilo Code (`kilocode.kilo-code`).
pub const KILO_CODE: ClineFamily = ClineFamily {
    tool: Tool::KiloCode,
    extension: "kilocode.kilo-code",
    meaning: InputMeaning::ByProtocol,
};

impl ClineFamily {
    /// The task folders' parents for one OS.
    pub fn roots_for(&self, env: &Env, os: Os) -> Vec<PathBuf> {
        vscode_user_data_dirs(env, os)
            .into_iter()
            .map(|d| {
                d.join("User")
                    .join("globalStorage")
                    .join(self.extension)
                    .join("tasks")
            })
            .collect()
    }
}

impl Collector for ClineFamily {
    fn tool(&self) -> Tool {
        self.tool
    }

    fn roots(&self, env: &Env) -> Vec<PathBuf> {
        self.roots_for(env, Os::current())
    }

    fn is_log(&self, path: &Path) -> bool {
        path.file_name().is_some_and(|n| n == "ui_messages.json")
    }

    fn format(&self) -> Format<'_> {
        Format::Whole(self)
    }
}

#[derive(Deserialize)]
struct UiMessage {
    ts: Option<i64>,
    #[serde(rename = "type")]
    kind: Option<String>,
    say: Option<String>,
    text: Option<String>,
}

/// The request info inside `text`. The request preview is not read.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApiRequest {
    tokens_in: Option<u64>,
    tokens_out: Option<u64>,
    cache_writes: Option<u64>,
    cache_reads: Option<u64>,
    reasoning_tokens: Option<u64>,
    api_protocol: Option<String>,
    model_id: Option<String>,
    usage_missing: Option<bool>,
    /// Present (as text, never kept) in Roo builds before October 2025.
    #[serde(default, deserialize_with = "present")]
    request: bool,
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    serde::de::IgnoredAny::deserialize(d).map(|_| true)
}

#[derive(Deserialize)]
struct TaskMetadata {
    #[serde(default)]
    model_usage: Vec<ModelUsage>,
}

#[derive(Deserialize)]
struct ModelUsage {
    ts: i64,
    model_id: Option<String>,
}

impl ApiRequest {
    fn tokens(&self, meaning: InputMeaning) -> Tokens {
        let tokens_in = self.tokens_in.unwrap_or(0);
        let reads = self.cache_reads.unwrap_or(0);
        let writes = self.cache_writes.unwrap_or(0);
        let openai = self.api_protocol.as_deref() == Some("openai");
        let input = match meaning {
            InputMeaning::Uncached => tokens_in,
            InputMeaning::RooTotal if !self.request => {
                tokens_in.saturating_sub(reads.saturating_add(writes))
            }
            InputMeaning::RooTotal | InputMeaning::ByProtocol if openai => {
                tokens_in.saturating_sub(reads)
            }
            InputMeaning::RooTotal | InputMeaning::ByProtocol => tokens_in,
        };
        let output = self.tokens_out.unwrap_or(0);
        Tokens {
            input,
            cache_read: reads,
            cache_write: writes,
            output,
            reasoning: self.reasoning_tokens.unwrap_or(0).min(output),
        }
    }
}

impl WholeFormat for ClineFamily {
    fn read(
        &self,
        path: &Path,
        _state: &[u8],
        out: &mut Vec<UsageEvent>,
    ) -> Result<Vec<u8>, WholeError> {
        let task_dir = path.parent().unwrap_or(Path::new(""));
        let task = task_dir.file_name().unwrap_or_default().to_string_lossy();
        let metadata = || std::fs::read(task_dir.join("task_metadata.json")).ok();
        self.read_bytes(&task, &std::fs::read(path)?, metadata, out)
    }
}

impl ClineFamily {
    /// Reads a task's `ui_messages.json` bytes; `metadata` gives its
    /// `task_metadata.json`, read only when the messages parse.
    pub(crate) fn read_bytes(
        &self,
        task: &str,
        bytes: &[u8],
        metadata: impl FnOnce() -> Option<Vec<u8>>,
        out: &mut Vec<UsageEvent>,
    ) -> Result<Vec<u8>, WholeError> {
        let malformed = |e: serde_json::Error| WholeError::Malformed {
            what: "ui_messages.json",
            detail: e.to_string(),
        };
        let messages: Vec<UiMessage> = serde_json::from_slice(bytes).map_err(malformed)?;
        let models = metadata().map(|b| models_of(&b)).unwrap_or_default();
        for m in messages {
            let (Some(ts), Some("say"), Some("api_req_started"), Some(text)) =
                (m.ts, m.kind.as_deref(), m.say.as_deref(), m.text.as_deref())
            else {
                continue;
            };
            let Ok(request) = serde_json::from_str::<ApiRequest>(text) else {
                continue;
            };
            let tokens = request.tokens(self.meaning);
            if tokens.is_zero() {
                continue;
            }
            let model = request.model_id.clone().or_else(|| model_at(&models, ts));
            out.push(
                UsageEvent::logged(
                    self.tool,
                    ts,
                    Key::of(&[task.as_bytes()]),
                    Key::of(&[task.as_bytes(), &ts.to_be_bytes()]),
                    model.as_deref().map_or_else(Model::unknown, Model::new),
                    tokens,
                )
                .with_provenance(if request.usage_missing == Some(true) {
                    Provenance::Estimated
                } else {
                    Provenance::Log
                })
                .at_offset(0),
            );
        }
        Ok(Vec::new())
    }
}

fn models_of(metadata: &[u8]) -> Vec<ModelUsage> {
    serde_json::from_slice::<TaskMetadata>(metadata)
        .map(|m| m.model_usage)
        .unwrap_or_default()
}

/// The model of the last switch at or before `ts`.
fn model_at(models: &[ModelUsage], ts: i64) -> Option<String> {
    models
        .iter()
        .filter(|m| m.ts <= ts)
        .max_by_key(|m| m.ts)
        .and_then(|m| m.model_id.clone())
}

#[cfg(test)]
#[path = "cline_family/tests.rs"]
mod tests;

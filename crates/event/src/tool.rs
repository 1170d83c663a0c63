//! Tool ids: the closed list of tools TokenTally counts.

use std::{fmt, str::FromStr};

/// A tool TokenTally knows how to count. The id (`as_str`) is used
/// everywhere: the CLI, the store, the UI, the upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tool {
    /// Anthropic's Claude Code CLI.
    ClaudeCode,
    /// OpenAI's Codex CLI (and the IDE and desktop apps sharing its files).
    Codex,
    /// Google's Gemini CLI.
    GeminiCli,
    /// Qwen Code.
    QwenCode,
    /// OpenCode.
    OpenCode,
    /// Kilo CLI (OpenCode's format).
    KiloCli,
    /// Cline (VS Code extension).
    Cline,
    /// Roo Code (VS Code extension, a Cline fork).
    RooCode,
    /// Kilo Code (VS Code extension, a Roo fork).
    KiloCode,
    /// Amp (ampcode).
    Amp,
    /// Continue (continuedev).
    Continue,
    /// Goose (block/goose).
    Goose,
    /// GitHub Copilot (VS Code chat, Copilot CLI).
    Copilot,
    /// Aider.
    Aider,
    /// Cursor (the editor's own agent and chat).
    Cursor,
    /// Zed's built-in agent.
    Zed,
    /// Calls through the proxy that no known tool made (scripts, SDKs).
    ApiOther,
}

impl Tool {
    /// Every tool, in display order.
    pub const ALL: &'static [Tool] = &[
        Tool::ClaudeCode,
        Tool::Codex,
        Tool::GeminiCli,
        Tool::QwenCode,
        Tool::OpenCode,
        Tool::KiloCli,
        Tool::Cline,
        Tool::RooCode,
        Tool::KiloCode,
        Tool::Amp,
        Tool::Continue,
        Tool::Goose,
        Tool::Copilot,
        Tool::Aider,
        Tool::Cursor,
        Tool::Zed,
        Tool::ApiOther,
    ];

    /// The stable id.
    pub fn as_str(self) -> &'static str {
        match self {
            Tool::ClaudeCode => "claude-code",
            Tool::Codex => "codex",
            Tool::GeminiCli => "gemini-cli",
            Tool::QwenCode => "qwen-code",
            Tool::OpenCode => "opencode",
            Tool::KiloCli => "kilo-cli",
            Tool::Cline => "cline",
            Tool::RooCode => "roo-code",
            Tool::KiloCode => "kilo-code",
            Tool::Amp => "amp",
            Tool::Continue => "continue",
            Tool::Goose => "goose",
            Tool::Copilot => "copilot",
            Tool::Aider => "aider",
            Tool::Cursor => "cursor",
            Tool::Zed => "zed",
            Tool::ApiOther => "api-other",
        }
    }
}

impl fmt::Display for Tool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A tool id that is not on the list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown tool id `{0}` (known: {known})", known = Tool::ALL.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", "))]
pub struct UnknownTool(pub String);

impl FromStr for Tool {
    type Err = UnknownTool;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Tool::ALL
            .iter()
            .copied()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| UnknownTool(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        for tool in Tool::ALL {
            assert_eq!(tool.as_str().parse::<Tool>(), Ok(*tool));
        }
    }

    #[test]
    fn unknown_id_lists_the_known_ones() {
        let err = "cursorx".parse::<Tool>().unwrap_err().to_string();
        assert!(
            err.contains("claude-code") && err.contains("codex"),
            "{err}"
        );
    }
}

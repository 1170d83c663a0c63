//! Model names, checked so that they cannot smuggle text.

use std::fmt;

/// The longest model name kept; longer names become [`Model::UNKNOWN`].
pub const MAX_MODEL_LEN: usize = 96;

/// A model name as the tool wrote it, limited to the characters model
/// identifiers use (`claude-sonnet-4-5-20250929`, `gpt-5.2-codex`,
/// `models/gemini-2.5-pro`, `anthropic/claude-3.5-sonnet:beta`).
///
/// Anything else (spaces, quotes, newlines, over-long values) is replaced by
/// `unknown`, so a malformed log cannot place text in the ledger.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Model(String);

impl Model {
    /// The name used when a tool did not say or said something unusable.
    pub const UNKNOWN: &'static str = "unknown";

    /// Checks a raw name; falls back to `unknown`.
    pub fn new(raw: &str) -> Self {
        if Self::is_valid(raw) {
            Model(raw.to_owned())
        } else {
            Self::unknown()
        }
    }

    /// The `unknown` model.
    pub fn unknown() -> Self {
        Model(Self::UNKNOWN.to_owned())
    }

    /// True when `raw` would be kept as it is.
    pub fn is_valid(raw: &str) -> bool {
        !raw.is_empty()
            && raw.len() <= MAX_MODEL_LEN
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._:/@+[]".contains(&b))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_model_names_are_kept() {
        for name in [
            "claude-sonnet-4-5-20250929",
            "gpt-5.2-codex",
            "models/gemini-2.5-pro",
            "anthropic/claude-3.5-sonnet:beta",
            "claude-opus-4-1[1m]",
        ] {
            assert_eq!(Model::new(name).as_str(), name);
        }
    }

    #[test]
    fn text_is_refused() {
        for raw in [
            "",
            "two words",
            "say \"hi\"",
            "line\nbreak",
            &"x".repeat(97),
            "模型",
        ] {
            assert_eq!(Model::new(raw).as_str(), Model::UNKNOWN, "{raw:?}");
        }
    }
}

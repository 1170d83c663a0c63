//! Token estimates for tools that keep no counts (Copilot often, Cursor,
//! Aider sometimes).
//!
//! Text is counted in memory with tiktoken-rs and dropped by the caller as
//! soon as it is counted; nothing here stores or returns it. Which encoding:
//! - OpenAI's current models (gpt-4o, gpt-4.1, gpt-5, o-series, codex):
//!   `o200k_base`, their own tokenizer;
//! - older OpenAI models (gpt-4, gpt-3.5): `cl100k_base`, theirs;
//! - every other model (Claude, Gemini, open models): `o200k_base` as a
//!   stand-in. Anthropic and Google do not publish their tokenizers, so
//!   these counts are approximations: on English prose and code they are
//!   within about 10-20 % of the providers' own counts (Claude's tokenizer
//!   tends to produce more tokens, Gemini's fewer). Every event counted here
//!   is labelled `estimated`.

use tiktoken_rs::{CoreBPE, cl100k_base_singleton, o200k_base_singleton};

/// The encoding used for a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// OpenAI's `o200k_base`.
    O200kBase,
    /// OpenAI's `cl100k_base`.
    Cl100kBase,
}

impl Encoding {
    /// The encoding for a model name as a tool wrote it (`copilot/gpt-4o`,
    /// `claude-sonnet-4-5`, `gpt-3.5-turbo`).
    pub fn for_model(model: &str) -> Encoding {
        let name = model
            .rsplit('/')
            .next()
            .unwrap_or(model)
            .to_ascii_lowercase();
        let older_openai = (name.starts_with("gpt-4")
            && !name.starts_with("gpt-4o")
            && !name.starts_with("gpt-4.1"))
            || name.starts_with("gpt-3.5")
            || name.starts_with("text-embedding-ada");
        if older_openai {
            Encoding::Cl100kBase
        } else {
            Encoding::O200kBase
        }
    }

    fn bpe(self) -> &'static CoreBPE {
        match self {
            Encoding::O200kBase => o200k_base_singleton(),
            Encoding::Cl100kBase => cl100k_base_singleton(),
        }
    }
}

/// The number of tokens `text` encodes to for `model`.
pub fn count(model: &str, text: &str) -> u64 {
    if text.is_empty() {
        return 0;
    }
    Encoding::for_model(model).bpe().encode_ordinary(text).len() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_text_counts_to_its_tiktoken_count() {
        // "hello world" is two tokens in both encodings (OpenAI's published
        // examples); the pangram is ten in each (tiktoken-rs's embedded
        // tables, the same BPE files as OpenAI's tiktoken).
        assert_eq!(count("gpt-4o", "hello world"), 2);
        assert_eq!(count("gpt-3.5-turbo", "hello world"), 2);
        let sentence = "The quick brown fox jumps over the lazy dog.";
        assert_eq!(count("gpt-5", sentence), 10);
        assert_eq!(count("gpt-4", sentence), 10);
        assert_eq!(count("gpt-4o", ""), 0);
    }

    #[test]
    fn the_encoding_follows_the_model() {
        assert_eq!(Encoding::for_model("copilot/gpt-4o"), Encoding::O200kBase);
        assert_eq!(Encoding::for_model("gpt-4-turbo"), Encoding::Cl100kBase);
        assert_eq!(Encoding::for_model("gpt-4.1-mini"), Encoding::O200kBase);
        assert_eq!(
            Encoding::for_model("claude-sonnet-4.5"),
            Encoding::O200kBase
        );
        assert_eq!(Encoding::for_model("o3-mini"), Encoding::O200kBase);
    }

    #[test]
    fn encodings_differ_where_they_should() {
        // Non-English text splits differently: the two encodings disagree.
        let text = "统计每一次模型调用的令牌数量";
        assert_ne!(count("gpt-4o", text), count("gpt-4", text));
    }
}

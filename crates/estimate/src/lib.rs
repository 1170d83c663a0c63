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

use std::{
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use tiktoken_rs::CoreBPE;

/// The encodings loaded, each with when it was last used. A long-running
/// agent drops them when idle ([`release_idle`]): o200k_base alone holds
/// about 25 MB, and a backfill of Copilot or Cursor logs would otherwise
/// keep it for the life of the process.
static LOADED: Mutex<[Slot; 2]> = Mutex::new([None, None]);

/// An encoder and when it was last used.
type Slot = Option<(Arc<CoreBPE>, Instant)>;

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

    /// The loaded encoder (loading takes about 0.1 s), `None` if the
    /// embedded tables cannot be read, which tiktoken-rs's own tests rule out.
    fn bpe(self) -> Option<Arc<CoreBPE>> {
        let mut loaded = LOADED.lock().unwrap_or_else(PoisonError::into_inner);
        let slot = &mut loaded[self as usize];
        if slot.is_none() {
            let bpe = match self {
                Encoding::O200kBase => tiktoken_rs::o200k_base(),
                Encoding::Cl100kBase => tiktoken_rs::cl100k_base(),
            };
            *slot = Some((Arc::new(bpe.ok()?), Instant::now()));
        }
        let (bpe, used) = slot.as_mut()?;
        *used = Instant::now();
        Some(bpe.clone())
    }
}

/// Drops the encoders unused for `idle`; true when one was dropped.
pub fn release_idle(idle: Duration) -> bool {
    let mut loaded = LOADED.lock().unwrap_or_else(PoisonError::into_inner);
    let mut released = false;
    for slot in loaded.iter_mut() {
        if slot
            .as_ref()
            .is_some_and(|(_, used)| used.elapsed() >= idle)
        {
            *slot = None;
            released = true;
        }
    }
    released
}

/// The number of tokens `text` encodes to for `model`.
pub fn count(model: &str, text: &str) -> u64 {
    if text.is_empty() {
        return 0;
    }
    Encoding::for_model(model)
        .bpe()
        .map_or(0, |bpe| bpe.encode_ordinary(text).len() as u64)
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
    fn idle_encoders_are_released_and_loaded_again_when_needed() {
        assert_eq!(count("gpt-4o", "hello world"), 2);
        assert!(!release_idle(Duration::from_secs(3600)), "just used");
        assert!(release_idle(Duration::ZERO));
        assert_eq!(count("gpt-4o", "hello world"), 2, "loaded again");
    }

    #[test]
    fn encodings_differ_where_they_should() {
        // Non-English text splits differently: the two encodings disagree.
        let text = "统计每一次模型调用的令牌数量";
        assert_ne!(count("gpt-4o", text), count("gpt-4", text));
    }
}

//! Prompt and response text: filler with a unique canary in every piece, so
//! a test can prove no text ever reaches the ledger or any output.

use crate::prng::Prng;

const WORDS: &[&str] = &[
    "refactor", "the", "parser", "so", "that", "usage", "lines", "are", "read", "once", "fn",
    "main", "let", "value", "error", "handle", "test", "with", "input", "output", "cache", "model",
    "token", "file", "path", "struct", "impl", "return", "match", "some", "none",
];

/// Filler text; every piece carries `TTCANARY-<hex>`.
pub struct Text {
    rng: Prng,
    pool: String,
    canaries: u64,
}

impl Text {
    pub fn new(seed: u64) -> Self {
        let mut rng = Prng::new(seed ^ 0xC0FFEE);
        let mut pool = String::with_capacity(1 << 17);
        while pool.len() < (1 << 17) {
            let word: &&str = rng.pick(WORDS);
            pool.push_str(word);
            pool.push(' ');
        }
        Text {
            rng,
            pool,
            canaries: 0,
        }
    }

    /// About `len` bytes of text, JSON-safe (no quotes or backslashes),
    /// starting with a fresh canary.
    pub fn piece(&mut self, len: usize) -> String {
        self.canaries += 1;
        let len = len.min(self.pool.len() - 1);
        let start = self.rng.range(0, (self.pool.len() - len) as u64) as usize;
        let mut out = format!(
            "TTCANARY-{:x}-{:x} ",
            self.canaries,
            self.rng.next_u64() & 0xFFFF
        );
        out.push_str(&self.pool[start..start + len]);
        out
    }
}

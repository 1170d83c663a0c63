//! List prices per million tokens, for the self-view's cost estimate. A
//! rough guide, dated: companies pay what their contracts say.

/// When these prices were taken from the providers' public price pages.
pub const PRICES_AS_OF: &str = "2026-11-01";

/// USD per million tokens: input, output, cache read, cache write.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    /// Input not from a cache.
    pub input: f64,
    /// Output (reasoning included).
    pub output: f64,
    /// Input read from the prompt cache.
    pub cache_read: f64,
    /// Input written to the prompt cache.
    pub cache_write: f64,
}

const fn p(input: f64, output: f64, cache_read: f64, cache_write: f64) -> Price {
    Price {
        input,
        output,
        cache_read,
        cache_write,
    }
}

/// Model name prefixes (after any `provider/` part, lower case), most
/// specific first.
const TABLE: &[(&str, Price)] = &[
    ("claude-opus", p(15.0, 75.0, 1.5, 18.75)),
    ("claude-3-opus", p(15.0, 75.0, 1.5, 18.75)),
    ("claude-sonnet", p(3.0, 15.0, 0.3, 3.75)),
    ("claude-3-5-sonnet", p(3.0, 15.0, 0.3, 3.75)),
    ("claude-3-7-sonnet", p(3.0, 15.0, 0.3, 3.75)),
    ("claude-4.5-sonnet", p(3.0, 15.0, 0.3, 3.75)),
    ("claude-haiku", p(1.0, 5.0, 0.1, 1.25)),
    ("claude-3-5-haiku", p(0.8, 4.0, 0.08, 1.0)),
    ("gpt-5-mini", p(0.25, 2.0, 0.025, 0.0)),
    ("gpt-5-nano", p(0.05, 0.4, 0.005, 0.0)),
    ("gpt-5", p(1.25, 10.0, 0.125, 0.0)),
    ("gpt-4.1-mini", p(0.4, 1.6, 0.1, 0.0)),
    ("gpt-4.1", p(2.0, 8.0, 0.5, 0.0)),
    ("gpt-4o-mini", p(0.15, 0.6, 0.075, 0.0)),
    ("gpt-4o", p(2.5, 10.0, 1.25, 0.0)),
    ("o4-mini", p(1.1, 4.4, 0.275, 0.0)),
    ("o3", p(2.0, 8.0, 0.5, 0.0)),
    ("gemini-2.5-pro", p(1.25, 10.0, 0.31, 0.0)),
    ("gemini-2.5-flash-lite", p(0.1, 0.4, 0.025, 0.0)),
    ("gemini-2.5-flash", p(0.3, 2.5, 0.075, 0.0)),
    ("qwen3-coder-plus", p(1.0, 5.0, 0.1, 0.0)),
];

/// The price of a model, if the table knows it.
pub fn price_of(model: &str) -> Option<Price> {
    let lower = model.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    TABLE
        .iter()
        .find(|(prefix, _)| name.starts_with(prefix))
        .map(|(_, price)| *price)
}

/// The cost in USD of these tokens at `price`.
pub fn cost(price: Price, input: u64, output: u64, cache_read: u64, cache_write: u64) -> f64 {
    let m = |n: u64, per_m: f64| n as f64 * per_m / 1e6;
    m(input, price.input)
        + m(output, price.output)
        + m(cache_read, price.cache_read)
        + m(cache_write, price.cache_write)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_models_are_priced_and_unknown_ones_are_not() {
        let sonnet = price_of("claude-sonnet-4-5-20250929").expect("sonnet");
        assert_eq!(sonnet.output, 15.0);
        assert_eq!(
            price_of("anthropic/claude-opus-4-1").map(|p| p.input),
            Some(15.0)
        );
        assert_eq!(price_of("gpt-5-mini").map(|p| p.input), Some(0.25));
        assert_eq!(price_of("gpt-5.2-codex").map(|p| p.input), Some(1.25));
        assert_eq!(
            price_of("models/gemini-2.5-flash-lite").map(|p| p.output),
            Some(0.4)
        );
        assert_eq!(price_of("some-local-model"), None);
        let c = cost(sonnet, 1_000_000, 1_000_000, 1_000_000, 1_000_000);
        assert!((c - (3.0 + 15.0 + 0.3 + 3.75)).abs() < 1e-9);
    }
}

//! Model families: what uploads name when the policy says `family`, so the
//! company sees `claude-sonnet` rather than a dated snapshot id.

/// The family of a model name: the provider prefix (`anthropic/`,
/// `models/`), variant suffixes (`:beta`, `[1m]`) and version or date parts
/// dropped, the words kept in order: `claude-sonnet-4-5-20250929` and
/// `claude-3-5-sonnet-20241022` are both `claude-sonnet`, `gpt-5.2-codex`
/// is `gpt-codex`, `gemini-2.5-flash-lite` is `gemini-flash-lite`.
pub fn model_family(model: &str) -> String {
    let lower = model.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    let name = name.split([':', '[', '@']).next().unwrap_or(name);
    let words: Vec<&str> = name
        .split(['-', '_'])
        .filter(|part| !part.is_empty() && !is_version(part))
        .collect();
    if words.is_empty() {
        // A name made only of numbers keeps its first part.
        let first = name.split('-').next().unwrap_or_default();
        return if first.is_empty() { "unknown" } else { first }.to_owned();
    }
    words.join("-")
}

/// `4`, `5.2`, `20250929`, `2024-08-06` parts, `v2`: numbers with dots, or
/// `v` then numbers. `4o`, `o3`, `qwen3` are names, not versions.
fn is_version(part: &str) -> bool {
    let digits = part.strip_prefix('v').unwrap_or(part);
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && digits.bytes().any(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::model_family;

    #[test]
    fn families_of_real_names() {
        for (name, family) in [
            ("claude-sonnet-4-5-20250929", "claude-sonnet"),
            ("claude-3-5-sonnet-20241022", "claude-sonnet"),
            ("claude-opus-4-1[1m]", "claude-opus"),
            ("anthropic/claude-3.5-sonnet:beta", "claude-sonnet"),
            ("claude-haiku-4-5", "claude-haiku"),
            ("gpt-5.2-codex", "gpt-codex"),
            ("gpt-5", "gpt"),
            ("gpt-4o-2024-08-06", "gpt-4o"),
            ("o3-mini", "o3-mini"),
            ("models/gemini-2.5-pro", "gemini-pro"),
            ("gemini-2.5-flash-lite", "gemini-flash-lite"),
            ("qwen3-coder-plus", "qwen3-coder-plus"),
            ("GPT-4.1", "gpt"),
            ("unknown", "unknown"),
        ] {
            assert_eq!(model_family(name), family, "{name}");
        }
    }

    #[test]
    fn a_family_is_always_a_valid_model_name() {
        for name in ["claude-sonnet-4-5", "x", "4", "a/b:c", "--", "v1"] {
            let family = model_family(name);
            assert!(
                tokentally_event::Model::is_valid(&family),
                "{name} -> {family}"
            );
        }
    }
}

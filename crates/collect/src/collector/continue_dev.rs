//! Continue: `~/.continue/dev_data/<schema>/tokensGenerated.jsonl` (and the
//! older `dev_data/tokens_generated.jsonl`); `CONTINUE_GLOBAL_DIR` replaces
//! `~/.continue`.
//!
//! Continue counts tokens itself with a local tokenizer over the prompt and
//! the completion, so every call is `estimated`. The same events are also in
//! its SQLite file; only the JSONL is read. A line carries no id: the line's
//! own bytes (counts, model, time; no text) are its key.

use std::{
    borrow::Cow,
    path::{Path, PathBuf},
};

use serde::Deserialize;
use tokentally_event::{Key, Model, Provenance, Tokens, Tool, UsageEvent};

use super::{Collector, Format, LineFormat, LineParser, Skip};
use crate::{Env, timestamp};

/// The Continue collector.
pub struct Continue;

impl Collector for Continue {
    fn tool(&self) -> Tool {
        Tool::Continue
    }

    fn roots(&self, env: &Env) -> Vec<PathBuf> {
        let root = env
            .var("CONTINUE_GLOBAL_DIR")
            .or_else(|| env.home().map(|h| h.join(".continue")));
        root.map(|r| vec![r.join("dev_data")]).unwrap_or_default()
    }

    fn is_log(&self, path: &Path) -> bool {
        path.file_name()
            .is_some_and(|n| n == "tokensGenerated.jsonl" || n == "tokens_generated.jsonl")
    }

    fn format(&self) -> Format<'_> {
        Format::Lines(self)
    }
}

impl LineFormat for Continue {
    fn parser(&self, _path: &Path, _state: &[u8]) -> Box<dyn LineParser> {
        Box::new(Parser)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record<'a> {
    #[serde(borrow)]
    created_at: Option<Cow<'a, str>>,
    #[serde(borrow)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(borrow)]
    model: Option<Cow<'a, str>>,
    prompt_tokens: Option<u64>,
    generated_tokens: Option<u64>,
}

struct Parser;

impl LineParser for Parser {
    fn parse_line(
        &mut self,
        line: &[u8],
        offset: u64,
        out: &mut Vec<UsageEvent>,
    ) -> Result<(), Skip> {
        let record: Record<'_> = serde_json::from_slice(line).map_err(|_| Skip::Malformed)?;
        let (Some(input), Some(output)) = (record.prompt_tokens, record.generated_tokens) else {
            return Ok(());
        };
        // Schema 0.1.0 lines carry no time: they cannot be placed in a day.
        let at_ms = record
            .created_at
            .as_deref()
            .or(record.timestamp.as_deref())
            .and_then(timestamp::parse_ms)
            .ok_or(Skip::Incomplete)?;
        let tokens = Tokens {
            input,
            output,
            ..Tokens::default()
        };
        out.push(
            UsageEvent::logged(
                Tool::Continue,
                at_ms,
                Key::of(&[b"continue"]),
                Key::of(&[line]),
                record
                    .model
                    .as_deref()
                    .map_or_else(Model::unknown, Model::new),
                tokens,
            )
            .with_provenance(Provenance::Estimated)
            .at_offset(offset),
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use tokentally_event::Tool::Continue;

    use crate::testkit::{Sandbox, Sums, fixture};

    #[test]
    fn continue_counts_are_estimates_and_each_line_counts_once() {
        let mut s = Sandbox::new();
        s.place(
            &fixture("continue_dev", "tokensGenerated.jsonl"),
            ".continue/dev_data/0.2.0/tokensGenerated.jsonl",
        );
        let summary = s.scan();
        // The 0.1.0 line has no time: skipped and counted.
        assert_eq!(summary.lines_skipped, 1);
        let got = s.get("2026-01-20", Continue, "claude-sonnet-4-5");
        assert_eq!(
            got,
            Sums {
                input: 5330,
                cache_read: 0,
                cache_write: 0,
                output: 450,
                reasoning: 0,
                calls: 2
            }
        );
        assert_eq!(s.estimated_calls(Continue), 2);
    }

    #[test]
    fn continue_global_dir_replaces_the_default() {
        use crate::{Collector, Env};
        let roots = super::Continue.roots(&Env::from_pairs([
            ("HOME", "/h"),
            ("CONTINUE_GLOBAL_DIR", "/c"),
        ]));
        assert_eq!(roots, vec![std::path::PathBuf::from("/c/dev_data")]);
    }
}

//! Aider: its analytics log, JSONL with exact integer counts, written when
//! aider runs with `--analytics-log FILE` (or `analytics-log:` in
//! `~/.aider.conf.yml`, or `AIDER_ANALYTICS_LOG`), whatever its telemetry
//! setting. The per-repository chat history markdown is not read: its
//! counts are rounded (`4.2k`) and it lives in every repository.
//!
//! A `message_send` event is one call. Aider's `prompt_tokens` follows the
//! provider: it includes cache writes for Anthropic-style providers and
//! cache reads for the others, and no breakdown is logged, so it is kept as
//! input. A line has no id; its bytes (counts, models, time; no text) are
//! its key.

use std::{
    borrow::Cow,
    path::{Path, PathBuf},
};

use serde::Deserialize;
use tokentally_event::{Key, Model, Tokens, Tool, UsageEvent};

use super::{Collector, Format, LineFormat, LineParser, Skip};
use crate::Env;

/// The Aider collector.
pub struct Aider;

impl Aider {
    /// The configured analytics log, if any.
    pub fn analytics_log(env: &Env) -> Option<PathBuf> {
        if let Some(path) = env.var("AIDER_ANALYTICS_LOG") {
            return Some(path);
        }
        let home = env.home()?;
        let config = std::fs::read_to_string(home.join(".aider.conf.yml")).ok()?;
        let value = config
            .lines()
            .find_map(|l| l.trim().strip_prefix("analytics-log:"))?;
        let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
        let path = match value.strip_prefix("~/") {
            Some(rest) => home.join(rest),
            None => PathBuf::from(value),
        };
        (!value.is_empty()).then_some(path)
    }
}

impl Collector for Aider {
    fn tool(&self) -> Tool {
        Tool::Aider
    }

    /// The root is the configured log file itself: nothing is walked.
    fn roots(&self, env: &Env) -> Vec<PathBuf> {
        Aider::analytics_log(env).into_iter().collect()
    }

    fn is_log(&self, _path: &Path) -> bool {
        true
    }

    fn format(&self) -> Format<'_> {
        Format::Lines(self)
    }
}

impl LineFormat for Aider {
    fn parser(&self, _path: &Path, _state: &[u8]) -> Box<dyn LineParser> {
        Box::new(Parser)
    }
}

#[derive(Deserialize)]
struct Event<'a> {
    #[serde(borrow)]
    event: Option<Cow<'a, str>>,
    properties: Option<Properties<'a>>,
    time: Option<f64>,
}

#[derive(Deserialize)]
struct Properties<'a> {
    #[serde(borrow)]
    main_model: Option<Cow<'a, str>>,
    prompt_tokens: Option<u64>,
    completion_tokens: Option<u64>,
}

struct Parser;

impl LineParser for Parser {
    fn parse_line(
        &mut self,
        line: &[u8],
        offset: u64,
        out: &mut Vec<UsageEvent>,
    ) -> Result<(), Skip> {
        let event: Event<'_> = serde_json::from_slice(line).map_err(|_| Skip::Malformed)?;
        if event.event.as_deref() != Some("message_send") {
            return Ok(());
        }
        let Some(p) = event.properties else {
            return Ok(());
        };
        let at_ms = event
            .time
            .map(|t| (t * 1000.0) as i64)
            .ok_or(Skip::Incomplete)?;
        let tokens = Tokens {
            input: p.prompt_tokens.unwrap_or(0),
            output: p.completion_tokens.unwrap_or(0),
            ..Tokens::default()
        };
        if tokens.is_zero() {
            return Ok(());
        }
        // `anthropic/claude-sonnet-4-5` → the model after the provider.
        let model = p
            .main_model
            .as_deref()
            .map(|m| m.rsplit('/').next().unwrap_or(m));
        out.push(
            UsageEvent::logged(
                Tool::Aider,
                at_ms,
                Key::of(&[b"aider"]),
                Key::of(&[line]),
                model.map_or_else(Model::unknown, Model::new),
                tokens,
            )
            .at_offset(offset),
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use tokentally_event::Tool::Aider;

    use crate::{
        Env,
        testkit::{Sandbox, Sums, fixture},
    };

    #[test]
    fn message_send_events_of_the_configured_analytics_log_are_counted() {
        let mut s = Sandbox::new();
        std::fs::create_dir_all(s.home()).unwrap();
        std::fs::write(
            s.home().join(".aider.conf.yml"),
            "model: sonnet\nanalytics-log: ~/aider/analytics.jsonl\n",
        )
        .unwrap();
        s.place(
            &fixture("aider", "analytics.jsonl"),
            "aider/analytics.jsonl",
        );
        s.scan();
        let got = s.get("2025-12-31", Aider, "claude-sonnet-4-5");
        assert_eq!(
            got,
            Sums {
                input: 9100 + 300,
                output: 620 + 20,
                calls: 2,
                ..Sums::default()
            }
        );
    }

    #[test]
    fn the_log_is_found_from_the_environment_or_the_config() {
        let env = Env::from_pairs([
            ("HOME", "/nonexistent-home"),
            ("AIDER_ANALYTICS_LOG", "/logs/a.jsonl"),
        ]);
        assert_eq!(
            super::Aider::analytics_log(&env),
            Some("/logs/a.jsonl".into())
        );
        let none = Env::from_pairs([("HOME", "/nonexistent-home")]);
        assert_eq!(super::Aider::analytics_log(&none), None);
    }
}

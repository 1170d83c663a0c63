//! Codex CLI rollouts: running totals with re-emits, `info: null`, model
//! switches and resets; archived copies; forks that copy their parent's
//! history verbatim before going on.

use std::{io, path::PathBuf};

use jiff::civil::Date;

use super::{Call, Sink, Truth, at, iso, text::Text};
use crate::prng::Prng;

const TOOL: &str = "codex";
const MODELS: &[&str] = &["gpt-5.2-codex", "gpt-5-codex", "gpt-5.1-codex-mini"];

/// Codex's TokenUsage: input includes cached, output includes reasoning.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Usage {
    input: u64,
    cached: u64,
    output: u64,
    reasoning: u64,
}

impl Usage {
    fn add(&mut self, u: Usage) {
        self.input += u.input;
        self.cached += u.cached;
        self.output += u.output;
        self.reasoning += u.reasoning;
    }

    fn json(&self) -> String {
        format!(
            "{{\"input_tokens\":{},\"cached_input_tokens\":{},\"output_tokens\":{},\"reasoning_output_tokens\":{},\"total_tokens\":{}}}",
            self.input,
            self.cached,
            self.output,
            self.reasoning,
            self.input + self.output
        )
    }
}

/// A finished session, kept for a fork.
struct Parent {
    lines: Vec<String>,
    /// The running total and model after each line.
    state_after: Vec<(Usage, &'static str)>,
    clock: i64,
}

/// Remembers the last session, for forks.
#[derive(Default)]
pub struct Generator {
    last: Option<Parent>,
}

struct Rollout<'a> {
    rng: &'a mut Prng,
    text: &'a mut Text,
    clock: i64,
    total: Usage,
    model: &'static str,
    lines: Vec<String>,
    state_after: Vec<(Usage, &'static str)>,
    /// Millisecond steps, to put counters right before and after midnight.
    fast: bool,
}

impl Generator {
    /// Writes one rollout (and maybe an archived copy); returns the bytes written.
    pub fn session(
        &mut self,
        n: u64,
        day: Date,
        rng: &mut Prng,
        text: &mut Text,
        truth: &mut Truth,
        sink: &mut dyn Sink,
    ) -> io::Result<u64> {
        // One rollout in ten runs across midnight: a counter at
        // 23:59:59.9xx, the next at 00:00:00.0xx.
        let midnight = rng.chance(10);
        let start = at(
            day,
            if midnight {
                86_399_905 + rng.range(0, 50)
            } else {
                rng.range(0, 80_000_000)
            },
        );
        let uuid = format!(
            "0196{:04x}-{:04x}-7000-8000-{:012x}",
            n & 0xFFFF,
            rng.range(0, 0xFFFF),
            rng.next_u64() & 0xFFFF_FFFF_FFFF
        );
        let mut r = Rollout {
            rng,
            text,
            clock: start,
            total: Usage::default(),
            model: MODELS[0],
            lines: Vec::new(),
            state_after: Vec::new(),
            fast: midnight,
        };
        let meta = format!(
            "{{\"timestamp\":\"{}\",\"type\":\"session_meta\",\"payload\":{{\"id\":\"{uuid}\",\"timestamp\":\"{}\",\"cwd\":\"/home/dev/app\",\"originator\":\"codex_cli_rs\",\"cli_version\":\"0.50.0\",\"source\":\"cli\",\"model_provider\":\"openai\",\"instructions\":\"{}\"}}}}",
            iso(start),
            iso(start),
            r.text.piece(2000)
        );
        r.push(meta);
        // A fork copies its parent's history verbatim, from the start.
        if let Some(parent) = self.last.take().filter(|_| r.rng.chance(10)) {
            let keep = r.rng.range(1, parent.lines.len() as u64) as usize;
            for (line, state) in parent
                .lines
                .iter()
                .zip(&parent.state_after)
                .skip(1)
                .take(keep)
            {
                r.lines.push(line.clone());
                r.state_after.push(*state);
                (r.total, r.model) = *state;
            }
            r.clock = r.clock.max(parent.clock) + 1000;
        }
        let model = MODELS[r.rng.range(0, 3) as usize];
        r.turn_context(model);
        for i in 0..r.rng.range(3, 40) {
            if midnight && i == 1 {
                let next = (start.div_euclid(86_400_000) + 1) * 86_400_000;
                r.clock = r.clock.max(next + r.rng.range(0, 40) as i64);
            }
            r.fast = midnight && i < 2;
            r.turn(truth);
        }
        let name = format!(
            "rollout-{}-{uuid}.jsonl",
            jiff::Timestamp::from_millisecond(start)
                .map(|t| t.strftime("%Y-%m-%dT%H-%M-%S").to_string())
                .unwrap_or_default()
        );
        let dir = jiff::Timestamp::from_millisecond(start)
            .map(|t| t.strftime("%Y/%m/%d").to_string())
            .unwrap_or_default();
        let mut bytes = String::new();
        for line in &r.lines {
            bytes.push_str(line);
            bytes.push('\n');
        }
        sink.file(
            &PathBuf::from(".codex/sessions").join(dir).join(&name),
            bytes.as_bytes(),
        )?;
        let mut total = bytes.len() as u64;
        if r.rng.chance(15) {
            sink.file(
                &PathBuf::from(".codex/archived_sessions").join(&name),
                bytes.as_bytes(),
            )?;
            total += bytes.len() as u64;
        }
        self.last = Some(Parent {
            lines: r.lines,
            state_after: r.state_after,
            clock: r.clock,
        });
        Ok(total)
    }
}

impl Rollout<'_> {
    fn push(&mut self, line: String) {
        self.lines.push(line);
        self.state_after.push((self.total, self.model));
    }

    fn tick(&mut self, low: u64, high: u64) -> i64 {
        self.clock += if self.fast {
            self.rng.range(1, 8)
        } else {
            self.rng.range(low, high)
        } as i64;
        self.clock
    }

    fn turn_context(&mut self, model: &'static str) {
        self.model = model;
        let at = self.tick(10, 500);
        self.push(format!(
            "{{\"timestamp\":\"{}\",\"type\":\"turn_context\",\"payload\":{{\"cwd\":\"/home/dev/app\",\"approval_policy\":\"on-request\",\"model\":\"{model}\",\"effort\":\"medium\"}}}}",
            iso(at)
        ));
    }

    fn item(&mut self, role: &str, size: u64) {
        let at = self.tick(100, 20_000);
        let text = self.text.piece(self.rng.range(size / 4, size) as usize);
        self.push(format!(
            "{{\"timestamp\":\"{}\",\"type\":\"response_item\",\"payload\":{{\"type\":\"message\",\"role\":\"{role}\",\"content\":[{{\"type\":\"output_text\",\"text\":\"{text}\"}}]}}}}",
            iso(at)
        ));
    }

    fn token_count(&mut self, last: Usage, rate_limits: bool) -> i64 {
        let at = self.tick(5, 3000);
        let limits = if rate_limits {
            "{\"primary\":{\"used_percent\":12.0,\"window_minutes\":300,\"resets_at\":1775815200}}"
        } else {
            "null"
        };
        self.push(format!(
            "{{\"timestamp\":\"{}\",\"type\":\"event_msg\",\"payload\":{{\"type\":\"token_count\",\"info\":{{\"total_token_usage\":{},\"last_token_usage\":{},\"model_context_window\":272000}},\"rate_limits\":{limits}}}}}",
            iso(at), self.total.json(), last.json()
        ));
        at
    }

    /// A user message, the model's answer and its counters, with the traps.
    fn turn(&mut self, truth: &mut Truth) {
        if self.rng.chance(10) {
            let model = MODELS[self.rng.range(0, 3) as usize];
            self.turn_context(model);
        }
        self.item("user", 12_000);
        self.item("assistant", 8_000);
        let input = self.rng.range(2_000, 60_000);
        let cached = self.rng.range(0, input);
        let output = self.rng.range(10, 3_000);
        let last = Usage {
            input,
            cached,
            output,
            reasoning: self.rng.range(0, output),
        };
        // A reset: the session's counter starts again from this call.
        let reset = self.rng.chance(3) && self.total.input > last.input;
        if reset {
            self.total = last;
        } else {
            self.total.add(last);
        }
        let at = self.token_count(last, false);
        truth.count(
            TOOL,
            self.model,
            Call {
                at_ms: at,
                input: input - cached,
                cache_read: cached,
                cache_write: 0,
                output,
                reasoning: last.reasoning,
            },
        );
        if self.rng.chance(10) {
            self.token_count(last, true);
        }
        if self.rng.chance(5) {
            let at = self.tick(5, 100);
            self.push(format!(
                "{{\"timestamp\":\"{}\",\"type\":\"event_msg\",\"payload\":{{\"type\":\"token_count\",\"info\":null,\"rate_limits\":null}}}}",
                iso(at)
            ));
        }
    }
}

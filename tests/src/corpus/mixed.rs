//! A machine with every tool at once: a few sessions of each tool that keeps
//! logs, each with its own traps, written where that tool writes them, and
//! the truth per day, tool and model. Written independently of the engine.

use std::{io, path::Path};

use jiff::civil::Date;
use serde_json::json;

use super::{Call, Truth, at, iso, text::Text};

mod databases;
use crate::prng::Prng;

/// Writes every tool's data under `home` and returns the truth.
pub fn generate_mixed(seed: u64, home: &Path) -> io::Result<Truth> {
    generate_mixed_scaled(seed, home, 1)
}

/// The same machine with `scale` times as many sessions of every tool, for
/// the benchmark.
pub fn generate_mixed_scaled(seed: u64, home: &Path, scale: u64) -> io::Result<Truth> {
    let mut g = Mixed {
        rng: Prng::new(seed),
        text: Text::new(seed),
        truth: Truth::default(),
        home,
        day: jiff::civil::date(2026, 7, 1),
    };
    for n in 0..4 * scale {
        g.gemini(n)?;
        g.qwen(n)?;
        g.cline_family(n, "cline", "saoudrizwan.claude-dev")?;
        g.cline_family(n, "roo-code", "rooveterinaryinc.roo-cline")?;
        g.cline_family(n, "kilo-code", "kilocode.kilo-code")?;
        g.amp(n)?;
        g.copilot(n)?;
        g.continue_dev(n)?;
    }
    g.aider()?;
    g.copilot_cli(scale)?;
    let databases = |g: &mut Mixed<'_>| -> rusqlite::Result<()> {
        g.opencode("opencode", "opencode", scale)?;
        g.opencode("kilo", "kilo-cli", scale)?;
        g.goose(scale)?;
        g.cursor(scale)?;
        g.zed(scale)
    };
    databases(&mut g).map_err(io::Error::other)?;
    Ok(g.truth)
}

struct Mixed<'a> {
    rng: Prng,
    text: Text,
    truth: Truth,
    home: &'a Path,
    day: Date,
}

impl Mixed<'_> {
    fn write(&self, relative: &str, bytes: &[u8]) -> io::Result<()> {
        let path = self.home.join(relative);
        std::fs::create_dir_all(path.parent().unwrap_or(self.home))?;
        std::fs::write(path, bytes)
    }

    fn time(&mut self) -> i64 {
        let day = self
            .day
            .checked_add(jiff::Span::new().days(self.rng.range(0, 20) as i64))
            .unwrap_or(self.day);
        at(day, self.rng.range(0, 86_000_000))
    }

    fn n(&mut self, low: u64, high: u64) -> u64 {
        self.rng.range(low, high)
    }

    /// Gemini CLI: a message re-appended with tokens after a first record
    /// without them.
    fn gemini(&mut self, n: u64) -> io::Result<()> {
        let session = format!("gem-{n}");
        let mut lines =
            vec![json!({"sessionId": session, "projectHash": "p", "kind": "main"}).to_string()];
        for i in 0..self.n(2, 6) {
            let at_ms = self.time();
            let (input, cached, output, thoughts) = (
                self.n(1000, 9000),
                self.n(0, 900),
                self.n(10, 500),
                self.n(0, 300),
            );
            let id = format!("m{i}");
            let text = self.text.piece(300);
            lines.push(json!({"id": id, "timestamp": iso(at_ms), "type": "gemini", "content": [{"text": text}], "model": "gemini-2.5-pro", "tokens": null}).to_string());
            lines.push(json!({"id": id, "timestamp": iso(at_ms), "type": "gemini", "content": [{"text": text}], "model": "gemini-2.5-pro", "tokens": {"input": input, "output": output, "cached": cached, "thoughts": thoughts, "tool": 0, "total": input + output + thoughts}}).to_string());
            self.truth.count(
                "gemini-cli",
                "gemini-2.5-pro",
                Call {
                    at_ms,
                    input: input - cached,
                    cache_read: cached,
                    cache_write: 0,
                    output: output + thoughts,
                    reasoning: thoughts,
                },
            );
        }
        self.write(
            &format!(".gemini/tmp/p/chats/session-{n}.jsonl"),
            (lines.join("\n") + "\n").as_bytes(),
        )
    }

    /// Qwen Code: telemetry repeating the usage, thoughts inside candidates.
    fn qwen(&mut self, n: u64) -> io::Result<()> {
        let mut lines = Vec::new();
        for i in 0..self.n(2, 6) {
            let at_ms = self.time();
            let (prompt, cached, candidates, thoughts) = (
                self.n(2000, 9000),
                self.n(0, 1500),
                self.n(10, 400),
                self.n(0, 10),
            );
            let uuid = format!("q{n}-{i}");
            lines.push(json!({"uuid": uuid, "sessionId": format!("qs{n}"), "timestamp": iso(at_ms), "type": "assistant", "model": "qwen3-coder-plus", "message": {"parts": [{"text": self.text.piece(200)}]}, "usageMetadata": {"promptTokenCount": prompt, "candidatesTokenCount": candidates, "thoughtsTokenCount": thoughts, "cachedContentTokenCount": cached, "totalTokenCount": prompt + candidates}}).to_string());
            lines.push(json!({"uuid": format!("{uuid}-t"), "timestamp": iso(at_ms), "type": "system", "subtype": "ui_telemetry", "systemPayload": {"uiEvent": {"input_token_count": prompt, "output_token_count": candidates}}}).to_string());
            self.truth.count(
                "qwen-code",
                "qwen3-coder-plus",
                Call {
                    at_ms,
                    input: prompt - cached,
                    cache_read: cached,
                    cache_write: 0,
                    output: candidates,
                    reasoning: thoughts,
                },
            );
        }
        self.write(
            &format!(".qwen/projects/p/chats/qs{n}.jsonl"),
            (lines.join("\n") + "\n").as_bytes(),
        )
    }

    /// Cline or Roo: a first-phase record without counts, then the counted one.
    fn cline_family(&mut self, n: u64, tool: &str, extension: &str) -> io::Result<()> {
        let mut messages = Vec::new();
        let mut ts = self.time();
        for _ in 0..self.n(1, 5) {
            ts += self.n(1000, 60_000) as i64;
            let (uncached, reads, writes, out) = (
                self.n(1, 500),
                self.n(0, 30_000),
                self.n(0, 3000),
                self.n(10, 900),
            );
            // Roo writes the total input; Kilo Code does for OpenAI-style
            // APIs, which write no cache.
            let protocol = if tool == "kilo-code" {
                "openai"
            } else {
                "anthropic"
            };
            let writes = if tool == "kilo-code" { 0 } else { writes };
            let tokens_in = if tool == "cline" {
                uncached
            } else {
                uncached + reads + writes
            };
            messages.push(
                json!({"ts": ts, "type": "say", "say": "text", "text": self.text.piece(100)}),
            );
            let text = json!({"apiProtocol": protocol, "tokensIn": tokens_in, "tokensOut": out, "cacheWrites": writes, "cacheReads": reads, "modelId": "claude-sonnet-4-5"}).to_string();
            messages.push(json!({"ts": ts, "type": "say", "say": "api_req_started", "text": text}));
            self.truth.count(
                tool,
                "claude-sonnet-4-5",
                Call {
                    at_ms: ts,
                    input: uncached,
                    cache_read: reads,
                    cache_write: writes,
                    output: out,
                    reasoning: 0,
                },
            );
        }
        let first_phase = json!({"request": self.text.piece(50)}).to_string();
        messages.push(
            json!({"ts": ts + 1, "type": "say", "say": "api_req_started", "text": first_phase}),
        );
        let body = serde_json::to_vec(&messages).map_err(io::Error::other)?;
        self.write(
            &format!(".config/Code/User/globalStorage/{extension}/tasks/{n}/ui_messages.json"),
            &body,
        )
    }

    fn amp(&mut self, n: u64) -> io::Result<()> {
        let mut messages =
            vec![json!({"role": "user", "messageId": 0, "content": self.text.piece(100)})];
        for i in 1..self.n(2, 5) {
            let at_ms = self.time();
            let (input, out, cw, cr) = (
                self.n(1, 100),
                self.n(10, 900),
                self.n(0, 2000),
                self.n(0, 20_000),
            );
            messages.push(json!({"role": "assistant", "messageId": i, "content": self.text.piece(100), "usage": {"model": "claude-sonnet-4-5", "timestamp": iso(at_ms), "inputTokens": input, "outputTokens": out, "cacheCreationInputTokens": cw, "cacheReadInputTokens": cr}}));
            self.truth.count(
                "amp",
                "claude-sonnet-4-5",
                Call {
                    at_ms,
                    input,
                    cache_read: cr,
                    cache_write: cw,
                    output: out,
                    reasoning: 0,
                },
            );
        }
        let body = serde_json::to_vec(&json!({"id": format!("T-{n}"), "messages": messages}))
            .map_err(io::Error::other)?;
        self.write(&format!(".local/share/amp/threads/T-{n}.json"), &body)
    }

    /// Copilot Chat, as an operation log whose counts arrive in a later set.
    fn copilot(&mut self, n: u64) -> io::Result<()> {
        let mut ops =
            vec![json!({"kind": 0, "v": {"sessionId": format!("cp{n}"), "requests": []}})];
        for i in 0..self.n(1, 4) {
            let at_ms = self.time();
            let (input, out) = (self.n(1000, 20_000), self.n(10, 800));
            ops.push(json!({"kind": 2, "k": ["requests"], "v": [{"requestId": format!("r{i}"), "timestamp": at_ms, "modelId": "copilot/gpt-5", "message": {"text": self.text.piece(200)}}]}));
            ops.push(json!({"kind": 1, "k": ["requests", i, "result"], "v": {"metadata": {"promptTokens": input, "outputTokens": out}}}));
            self.truth.count(
                "copilot",
                "gpt-5",
                Call {
                    at_ms,
                    input,
                    cache_read: 0,
                    cache_write: 0,
                    output: out,
                    reasoning: 0,
                },
            );
        }
        let body: String = ops.iter().map(|o| o.to_string() + "\n").collect();
        self.write(
            &format!(".config/Code/User/workspaceStorage/w{n}/chatSessions/cp{n}.jsonl"),
            body.as_bytes(),
        )
    }

    fn continue_dev(&mut self, n: u64) -> io::Result<()> {
        let mut lines = String::new();
        for _ in 0..self.n(1, 4) {
            let at_ms = self.time();
            let (input, out) = (self.n(100, 9000), self.n(10, 600));
            lines.push_str(&json!({"eventName": "tokensGenerated", "schema": "0.2.0", "createdAt": iso(at_ms), "model": "gpt-4o", "provider": "openai", "promptTokens": input, "generatedTokens": out, "userId": format!("u{n}")}).to_string());
            lines.push('\n');
            self.truth.count_estimated(
                "continue",
                "gpt-4o",
                Call {
                    at_ms,
                    input,
                    cache_read: 0,
                    cache_write: 0,
                    output: out,
                    reasoning: 0,
                },
            );
        }
        self.write(
            &format!(".continue/dev_data/0.2.0/part{n}/tokensGenerated.jsonl"),
            lines.as_bytes(),
        )
    }

    fn aider(&mut self) -> io::Result<()> {
        self.write(
            ".aider.conf.yml",
            b"analytics-log: ~/.aider/analytics.jsonl\n",
        )?;
        let mut lines = String::new();
        for _ in 0..5 {
            let at_ms = self.time() / 1000 * 1000;
            let (input, out) = (self.n(100, 9000), self.n(10, 600));
            lines.push_str(&json!({"event": "message_send", "properties": {"main_model": "anthropic/claude-sonnet-4-5", "prompt_tokens": input, "completion_tokens": out}, "time": at_ms / 1000}).to_string());
            lines.push('\n');
            self.truth.count(
                "aider",
                "claude-sonnet-4-5",
                Call {
                    at_ms,
                    input,
                    cache_read: 0,
                    cache_write: 0,
                    output: out,
                    reasoning: 0,
                },
            );
        }
        self.write(".aider/analytics.jsonl", lines.as_bytes())
    }

    /// Copilot CLI: per-model session totals in the shutdown record, input
    /// with the cache inside it.
    fn copilot_cli(&mut self, scale: u64) -> io::Result<()> {
        for n in 0..3 * scale {
            let at_ms = self.time();
            let mut metrics = serde_json::Map::new();
            for model in ["claude-sonnet-4.5", "gpt-5-mini"] {
                let (input, out, cr, cw) = (
                    self.n(1, 9000),
                    self.n(10, 900),
                    self.n(0, 40_000),
                    self.n(0, 4000),
                );
                metrics.insert(model.into(), json!({"usage": {"inputTokens": input + cr + cw, "outputTokens": out, "cacheReadTokens": cr, "cacheWriteTokens": cw}}));
                self.truth.count(
                    "copilot",
                    model,
                    Call {
                        at_ms,
                        input,
                        cache_read: cr,
                        cache_write: cw,
                        output: out,
                        reasoning: 0,
                    },
                );
            }
            let lines = [
                json!({"type": "user.message", "data": {"content": self.text.piece(100)}, "timestamp": iso(at_ms - 60_000)}),
                json!({"type": "session.shutdown", "data": {"modelMetrics": metrics}, "timestamp": iso(at_ms)}),
            ];
            let body: String = lines.iter().map(|l| l.to_string() + "\n").collect();
            self.write(
                &format!(".copilot/session-state/cli{n}/events.jsonl"),
                body.as_bytes(),
            )?;
        }
        Ok(())
    }
}

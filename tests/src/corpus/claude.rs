//! Claude Code sessions: streamed calls written as several lines, resumed
//! copies, sidechain replays, synthetic and malformed lines.

use std::{io, path::PathBuf};

use jiff::civil::Date;

use super::{Call, Sink, Truth, at, iso, text::Text};
use crate::prng::Prng;

const TOOL: &str = "claude-code";
const MODELS: &[&str] = &[
    "claude-sonnet-4-5-20250929",
    "claude-opus-4-1-20250805",
    "claude-haiku-4-5-20251001",
];

/// Remembers the last session, for resumed copies.
#[derive(Default)]
pub struct Generator {
    last: Option<Vec<String>>,
}

/// One call's identity and counts.
struct Written {
    message_id: String,
    lines: Vec<String>,
}

struct Session<'a> {
    rng: &'a mut Prng,
    text: &'a mut Text,
    id: String,
    model: &'static str,
    clock: i64,
    calls: u64,
    tag: u64,
}

impl Generator {
    /// Writes one session (and maybe its sub-agent file); returns the bytes written.
    pub fn session(
        &mut self,
        n: u64,
        day: Date,
        rng: &mut Prng,
        text: &mut Text,
        truth: &mut Truth,
        sink: &mut dyn Sink,
    ) -> io::Result<u64> {
        let root = if rng.chance(85) {
            ".claude/projects"
        } else {
            ".config/claude/projects"
        };
        let project = format!("-home-dev-proj{}", rng.range(0, 12));
        let id = format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            rng.next_u64() as u32,
            n & 0xFFFF,
            rng.range(0, 4096),
            rng.range(0, 4096),
            rng.next_u64() & 0xFFFF_FFFF_FFFF
        );
        // One session in ten runs across midnight.
        let start = if rng.chance(10) {
            86_399_000 + rng.range(0, 990)
        } else {
            rng.range(0, 80_000_000)
        };
        let model = *rng.pick(MODELS);
        let mut s = Session {
            rng,
            text,
            id,
            model,
            clock: at(day, start),
            calls: 0,
            tag: n,
        };
        let mut lines = Vec::new();
        if s.rng.chance(30) {
            lines.push(format!(
                "{{\"type\":\"summary\",\"summary\":\"{}\",\"leafUuid\":\"x\"}}",
                s.text.piece(60)
            ));
        }
        // A resumed session starts with a verbatim copy of an earlier one.
        if let Some(previous) = self.last.take().filter(|_| s.rng.chance(15)) {
            let keep = s.rng.range(1, previous.len() as u64 + 1) as usize;
            lines.extend(previous.into_iter().take(keep));
        }
        let mut written = Vec::new();
        for _ in 0..s.rng.range(5, 60) {
            s.user_line(&mut lines);
            s.noise(&mut lines);
            written.push(s.call(&mut lines, false, truth));
        }
        let mut bytes = join(&lines);
        let path = PathBuf::from(root)
            .join(&project)
            .join(format!("{}.jsonl", s.id));
        sink.file(&path, bytes.as_bytes())?;
        let mut total = bytes.len() as u64;
        if s.rng.chance(20) {
            bytes = join(&s.sidechain(&written, truth));
            let side = PathBuf::from(root)
                .join(&project)
                .join(&s.id)
                .join("subagents")
                .join(format!("agent-{:x}.jsonl", s.rng.next_u64() & 0xFFFF_FFFF));
            sink.file(&side, bytes.as_bytes())?;
            total += bytes.len() as u64;
        }
        self.last = Some(lines);
        Ok(total)
    }
}

impl Session<'_> {
    fn tick(&mut self, low: u64, high: u64) -> i64 {
        self.clock += self.rng.range(low, high) as i64;
        self.clock
    }

    fn user_line(&mut self, lines: &mut Vec<String>) {
        let at = self.tick(500, 40_000);
        let size = self.rng.range(200, 24_000) as usize;
        lines.push(format!(
            "{{\"parentUuid\":null,\"isSidechain\":false,\"userType\":\"external\",\"cwd\":\"/home/dev/app\",\"sessionId\":\"{}\",\"version\":\"2.1.40\",\"type\":\"user\",\"message\":{{\"role\":\"user\",\"content\":[{{\"tool_use_id\":\"toolu_{:x}\",\"type\":\"tool_result\",\"content\":\"{}\"}}]}},\"uuid\":\"u{:x}\",\"timestamp\":\"{}\"}}",
            self.id, self.rng.next_u64(), self.text.piece(size), self.rng.next_u64(), iso(at)
        ));
    }

    /// Lines no call is read from: synthetic notices, garbage, cut-off lines.
    fn noise(&mut self, lines: &mut Vec<String>) {
        if self.rng.chance(2) {
            let at = self.tick(1, 50);
            lines.push(format!(
                "{{\"type\":\"assistant\",\"sessionId\":\"{}\",\"isSidechain\":false,\"timestamp\":\"{}\",\"requestId\":\"req_syn{:x}\",\"message\":{{\"id\":\"msg_syn{:x}\",\"model\":\"<synthetic>\",\"role\":\"assistant\",\"content\":[{{\"type\":\"text\",\"text\":\"Claude AI usage limit reached|1775815200 {}\"}}],\"usage\":{{\"input_tokens\":0,\"output_tokens\":0,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0}}}}}}",
                self.id, iso(at), self.rng.next_u64(), self.rng.next_u64(), self.text.piece(20)
            ));
        }
        if self.rng.chance(2) {
            lines.push(format!("not json at all {}", self.text.piece(40)));
        }
        if self.rng.chance(2) {
            lines.push(format!(
                "{{\"type\":\"user\",\"message\":{{\"content\":\"{}",
                self.text.piece(80)
            ));
        }
    }

    /// One call: one to three lines, the last with the billed output.
    fn call(&mut self, lines: &mut Vec<String>, sidechain: bool, truth: &mut Truth) -> Written {
        self.calls += 1;
        let message_id = format!("msg_{:x}_{}_{}", self.rng.next_u64(), self.tag, self.calls);
        let request_id = (!self.rng.chance(3)).then(|| format!("req_{:x}", self.rng.next_u64()));
        let input = self.rng.range(1, 600);
        let cache_write = if self.rng.chance(40) {
            self.rng.range(0, 30_000)
        } else {
            0
        };
        let cache_read = self.rng.range(0, 160_000);
        let output = self.rng.range(1, 4_000);
        let nulls = self.rng.chance(2);
        let blocks = self.rng.range(1, 4);
        let mut own = Vec::new();
        let mut final_at = 0;
        for block in 1..=blocks {
            final_at = self.tick(0, 3);
            let partial = output * block / blocks;
            let usage = if nulls {
                format!(
                    "{{\"input_tokens\":{input},\"cache_creation_input_tokens\":null,\"cache_read_input_tokens\":null,\"output_tokens\":{partial}}}"
                )
            } else {
                format!(
                    "{{\"input_tokens\":{input},\"cache_creation_input_tokens\":{cache_write},\"cache_read_input_tokens\":{cache_read},\"cache_creation\":{{\"ephemeral_5m_input_tokens\":{cache_write},\"ephemeral_1h_input_tokens\":0}},\"output_tokens\":{partial},\"service_tier\":\"standard\"}}"
                )
            };
            let content = match block % 3 {
                1 => format!(
                    "{{\"type\":\"thinking\",\"thinking\":\"{}\",\"signature\":\"sig\"}}",
                    self.text.piece(self.rng.range(50, 3000) as usize)
                ),
                2 => format!(
                    "{{\"type\":\"text\",\"text\":\"{}\"}}",
                    self.text.piece(self.rng.range(50, 4000) as usize)
                ),
                _ => format!(
                    "{{\"type\":\"tool_use\",\"id\":\"toolu_{:x}\",\"name\":\"Edit\",\"input\":{{\"file_path\":\"/home/dev/app/src/lib.rs\",\"new_string\":\"{}\"}}}}",
                    self.rng.next_u64(),
                    self.text.piece(self.rng.range(50, 6000) as usize)
                ),
            };
            let request = request_id
                .as_ref()
                .map(|r| format!("\"requestId\":\"{r}\","))
                .unwrap_or_default();
            own.push(format!(
                "{{\"parentUuid\":\"p\",\"isSidechain\":{sidechain},\"userType\":\"external\",\"cwd\":\"/home/dev/app\",\"sessionId\":\"{}\",\"version\":\"2.1.40\",\"message\":{{\"id\":\"{message_id}\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"{}\",\"content\":[{content}],\"stop_reason\":null,\"usage\":{usage}}},{request}\"type\":\"assistant\",\"uuid\":\"a{:x}\",\"timestamp\":\"{}\"}}",
                self.id, self.model, self.rng.next_u64(), iso(final_at)
            ));
        }
        let (cache_write, cache_read) = if nulls {
            (0, 0)
        } else {
            (cache_write, cache_read)
        };
        truth.count(
            TOOL,
            self.model,
            Call {
                at_ms: final_at,
                input,
                cache_read,
                cache_write,
                output,
                reasoning: 0,
            },
        );
        lines.extend(own.iter().cloned());
        Written {
            message_id,
            lines: own,
        }
    }

    /// A side conversation: replays of the parent's calls under new request
    /// ids (not counted), and calls of its own (counted).
    fn sidechain(&mut self, parent: &[Written], truth: &mut Truth) -> Vec<String> {
        let mut lines = Vec::new();
        for _ in 0..self.rng.range(1, 6) {
            if self.rng.chance(50) {
                let replayed = &parent[self.rng.range(0, parent.len() as u64) as usize];
                let at = self.tick(10, 2000);
                lines.push(format!(
                    "{{\"parentUuid\":null,\"isSidechain\":true,\"sessionId\":\"{}\",\"message\":{{\"id\":\"{}\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"{}\",\"content\":[{{\"type\":\"text\",\"text\":\"{}\"}}],\"usage\":{{\"input_tokens\":3,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":{},\"output_tokens\":{}}}}},\"requestId\":\"req_replay{:x}\",\"type\":\"assistant\",\"uuid\":\"r{:x}\",\"timestamp\":\"{}\"}}",
                    self.id, replayed.message_id, self.model, self.text.piece(200), self.rng.range(100_000, 400_000), self.rng.range(1, 500), self.rng.next_u64(), self.rng.next_u64(), iso(at)
                ));
                debug_assert!(!replayed.lines.is_empty());
            } else {
                self.call(&mut lines, true, truth);
            }
        }
        lines
    }
}

fn join(lines: &[String]) -> String {
    let mut out = String::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
    for line in lines {
        out.push_str(line);
        out.push('\n');
    }
    out
}

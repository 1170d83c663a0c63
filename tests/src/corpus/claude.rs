//! Claude Code sessions: streamed calls written as several lines, resumed
//! copies, sidechain replays (some in files read before their session's),
//! synthetic and malformed lines, big tool results, calls either side of
//! midnight.

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
    /// Millisecond steps, to put calls right before and after midnight.
    fast: bool,
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
        // One session in ten runs across midnight: a call at 23:59:59.9xx,
        // the next at 00:00:00.0xx.
        let midnight = rng.chance(10);
        let start = if midnight {
            86_399_910 + rng.range(0, 45)
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
            fast: midnight,
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
        // Some sub-agent files are bigger than their session, so a reader
        // going by size meets the replays before the calls they replay.
        let side = s.rng.chance(25);
        let big_side = side && s.rng.chance(50);
        let calls = if big_side {
            s.rng.range(3, 9)
        } else {
            s.rng.range(5, 60)
        };
        let mut written = Vec::new();
        for i in 0..calls {
            if midnight && i == 1 {
                let next = next_midnight(at(day, start)) + s.rng.range(0, 40) as i64;
                s.clock = s.clock.max(next);
            }
            if i == 2 {
                s.fast = false;
            }
            s.user_line(&mut lines, false);
            s.noise(&mut lines);
            written.push(s.call(&mut lines, false, truth));
        }
        let bytes = join(&lines);
        let dir = PathBuf::from(root).join(&project);
        let mut total = bytes.len() as u64;
        if side {
            let mut side_lines = s.sidechain(&written, truth);
            while big_side && side_lines.iter().map(|l| l.len() + 1).sum::<usize>() <= bytes.len() {
                s.user_line(&mut side_lines, true);
            }
            let side_bytes = join(&side_lines);
            let path = dir
                .join(&s.id)
                .join("subagents")
                .join(format!("agent-{:x}.jsonl", s.rng.next_u64() & 0xFFFF_FFFF));
            // Written first, too: older, and first in a piecewise write.
            sink.file(&path, side_bytes.as_bytes())?;
            total += side_bytes.len() as u64;
        }
        sink.file(&dir.join(format!("{}.jsonl", s.id)), bytes.as_bytes())?;
        self.last = Some(lines);
        Ok(total)
    }
}

impl Session<'_> {
    fn tick(&mut self, low: u64, high: u64) -> i64 {
        self.clock += if self.fast {
            self.rng.range(1, 8)
        } else {
            self.rng.range(low, high)
        } as i64;
        self.clock
    }

    /// A prompt, or (mostly) a tool result: the bulk of the bytes.
    fn user_line(&mut self, lines: &mut Vec<String>, sidechain: bool) {
        let at = self.tick(500, 40_000);
        let content = if self.rng.chance(25) {
            format!(
                "\"{}\"",
                self.text.piece(self.rng.range(100, 3_000) as usize)
            )
        } else {
            let size = self.rng.range(200, 26_000) as usize;
            format!(
                "[{{\"tool_use_id\":\"toolu_{:x}\",\"type\":\"tool_result\",\"content\":\"{}\"}}]",
                self.rng.next_u64(),
                self.text.piece(size)
            )
        };
        lines.push(format!(
            "{{\"parentUuid\":null,\"isSidechain\":{sidechain},\"userType\":\"external\",\"cwd\":\"/home/dev/app\",\"sessionId\":\"{}\",\"version\":\"2.1.40\",\"type\":\"user\",\"message\":{{\"role\":\"user\",\"content\":{content}}},\"uuid\":\"u{:x}\",\"timestamp\":\"{}\"}}",
            self.id, self.rng.next_u64(), iso(at)
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
        if self.rng.chance(3) {
            let at = self.tick(1, 50);
            lines.push(format!(
                "{{\"parentUuid\":null,\"isSidechain\":false,\"type\":\"system\",\"subtype\":\"compact_boundary\",\"content\":\"Conversation compacted {}\",\"level\":\"info\",\"sessionId\":\"{}\",\"uuid\":\"s{:x}\",\"timestamp\":\"{}\"}}",
                self.text.piece(30), self.id, self.rng.next_u64(), iso(at)
            ));
        }
        if self.rng.chance(4) {
            let when = iso(self.clock);
            lines.push(format!(
                "{{\"type\":\"file-history-snapshot\",\"messageId\":\"m{:x}\",\"snapshot\":{{\"messageId\":\"m0\",\"trackedFileBackups\":{{\"/home/dev/app/src/lib.rs\":{{\"backupFileName\":\"b{:x}@v2\",\"version\":2,\"backupTime\":\"{when}\"}}}},\"timestamp\":\"{when}\"}},\"isSnapshotUpdate\":false}}",
                self.rng.next_u64(), self.rng.next_u64()
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
        // The lines' times; a call never straddles midnight (UTC), so its
        // day does not depend on which of its lines is kept.
        let mut times: Vec<i64> = (0..blocks).map(|_| self.tick(0, 3)).collect();
        let (first, last) = (times[0], self.clock);
        if next_midnight(first) <= last {
            let shift = next_midnight(first) + self.rng.range(0, 40) as i64 - first;
            times.iter_mut().for_each(|t| *t += shift);
            self.clock += shift;
        }
        let final_at = self.clock;
        let mut own = Vec::new();
        for (block, at) in (1..=blocks).zip(times) {
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
                self.id, self.model, self.rng.next_u64(), iso(at)
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
        for i in 0..self.rng.range(1, 6) {
            if i == 0 || self.rng.chance(50) {
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

/// The first midnight (UTC) after `ms`.
fn next_midnight(ms: i64) -> i64 {
    (ms.div_euclid(86_400_000) + 1) * 86_400_000
}

fn join(lines: &[String]) -> String {
    let mut out = String::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
    for line in lines {
        out.push_str(line);
        out.push('\n');
    }
    out
}

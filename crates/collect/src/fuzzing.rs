//! Entry points for the fuzz targets in `fuzz/` (cargo fuzz): arbitrary
//! bytes through the same parsing code the scanner runs, in memory. Not an
//! API: hidden from the docs, changed whenever the fuzz targets need it.
//!
//! Each entry point asserts the invariants every event must keep (see
//! [`assert_invariants`]), so a violation is a crash the fuzzer reports.
//! Where one input has several parts, they are separated by a 0 byte (never
//! inside JSON text) and a field inside a record by a 1 byte.

use std::path::Path;

use tokentally_event::{Model, UsageEvent, merge_same_calls};

use crate::{
    Collector, Format,
    collector::{
        self, ClineFamily, Copilot, GeminiCliLegacy, OpenCodeFamily, OpenCodeLegacy, goose_rows,
    },
};

/// What every event of every parser keeps: a model name that passes
/// [`Model::is_valid`], reasoning within output.
pub fn assert_invariants(events: &[UsageEvent]) {
    for e in events {
        assert!(Model::is_valid(e.model.as_str()), "model {:?}", e.model);
        assert!(
            e.tokens.reasoning <= e.tokens.output,
            "reasoning over output: {:?}",
            e.tokens
        );
    }
}

/// Feeds the lines of `input` to a line collector's parser, as the tailer
/// does: complete lines only, at their offsets. The first byte is flags:
/// bit 0 restarts the parser from its saved state halfway (a restart), bit 1
/// makes the first line the saved state the parser starts from (a corrupt
/// checkpoint).
pub fn parse_lines(collector: &dyn Collector, input: &[u8]) -> Vec<UsageEvent> {
    let Format::Lines(format) = collector.format() else {
        return Vec::new();
    };
    let Some((&flags, body)) = input.split_first() else {
        return Vec::new();
    };
    let path = Path::new("/fuzz/chats/session-1/rollout-fuzz.jsonl");
    let mut lines: Vec<(&[u8], u64)> = Vec::new();
    let mut offset = 0u64;
    // The piece after the last newline is a half-written line: not read.
    let mut rest = body;
    while let Some(nl) = memchr::memchr(b'\n', rest) {
        lines.push((&rest[..nl], offset));
        offset += nl as u64 + 1;
        rest = &rest[nl + 1..];
    }
    let mut lines = lines.into_iter();
    let state = match flags & 2 {
        0 => &[][..],
        _ => lines.next().map_or(&[][..], |(l, _)| l),
    };
    let mut parser = format.parser(path, state);
    let half = lines.len() / 2;
    let mut events = Vec::new();
    for (i, (line, at)) in lines.enumerate() {
        if flags & 1 == 1 && i == half {
            parser = format.parser(path, &parser.state());
        }
        // Skipped lines are counted by the scanner, nothing more.
        let _ = parser.parse_line(line, at, &mut events);
    }
    let _ = parser.state();
    assert_invariants(&events);
    merge_same_calls(events)
}

/// A tool whose files are whole documents.
#[derive(Debug, Clone, Copy)]
pub enum Document {
    Amp,
    Cline,
    RooCode,
    KiloCode,
    /// A JSON session (`false`) or a JSONL operation log (`true`).
    Copilot(bool),
    GeminiCliLegacy,
    OpenCodeLegacy,
}

/// Reads one document. Cline's family: the messages, then 0, then the task
/// metadata. OpenCode legacy: the message, then its parts, 0 between each.
pub fn parse_document(document: Document, input: &[u8]) -> Vec<UsageEvent> {
    let mut out = Vec::new();
    let mut parts = input.split(|b| *b == 0);
    let first = parts.next().unwrap_or_default();
    let cline = |family: &ClineFamily, out: &mut Vec<UsageEvent>| {
        let metadata = parts.clone().next().map(<[u8]>::to_vec);
        family.read_bytes("task-1", first, || metadata, out)
    };
    // A malformed document is an error the scanner reports, not a crash.
    let _ = match document {
        Document::Amp => collector::Amp.read_bytes(Path::new("T-fuzz.json"), input, &mut out),
        Document::Cline => cline(&collector::CLINE, &mut out),
        Document::RooCode => cline(&collector::ROO_CODE, &mut out),
        Document::KiloCode => cline(&collector::KILO_CODE, &mut out),
        Document::Copilot(jsonl) => {
            let name = if jsonl { "s.jsonl" } else { "s.json" };
            Copilot.read_bytes(Path::new(name), input, &mut out)
        }
        Document::GeminiCliLegacy => GeminiCliLegacy.read_bytes(input, &mut out),
        Document::OpenCodeLegacy => {
            let legacy: &OpenCodeLegacy = &collector::OPENCODE_LEGACY;
            let path = Path::new("storage/message/ses_1/msg_1.json");
            legacy.read_bytes(path, first, || collector::sum_steps(parts), &mut out)
        }
    };
    assert_invariants(&out);
    merge_same_calls(out)
}

/// Records of `input` split at 0 bytes, fields of a record at 1 bytes;
/// text fields must be UTF-8, as SQLite's TEXT columns give them.
fn records(input: &[u8]) -> impl Iterator<Item = Vec<&str>> {
    input
        .split(|b| *b == 0)
        .filter_map(|r| std::str::from_utf8(r).ok())
        .map(|r| r.split('\u{1}').collect())
}

/// OpenCode's (or Kilo CLI's) `message` and `part` rows: each record is a
/// byte, then the row's JSON. The byte's low bit makes the record a part
/// (else a message), the next two bits pick one of four message ids.
pub fn opencode_rows(family: &OpenCodeFamily, input: &[u8]) -> Vec<UsageEvent> {
    let mut totals = std::collections::HashMap::new();
    let mut messages = Vec::new();
    for record in input.split(|b| *b == 0) {
        let Some((&kind, data)) = record.split_first() else {
            continue;
        };
        let Ok(data) = std::str::from_utf8(data) else {
            continue;
        };
        let id = format!("msg_{}", (kind >> 1) & 3);
        match kind & 1 {
            1 => collector::add_part(&mut totals, id, data),
            _ => messages.push((id, i64::from(kind), data)),
        }
    }
    let out: Vec<UsageEvent> = messages
        .into_iter()
        .filter_map(|(id, created, data)| {
            family.message_event(&id, "ses_1", Some(created), data, &totals)
        })
        .collect();
    assert_invariants(&out);
    merge_same_calls(out)
}

/// Cursor's `cursorDiskKV` rows: each record is `key`, 1, `value`.
pub fn cursor_rows(input: &[u8]) -> Vec<UsageEvent> {
    let rows: Vec<(String, String)> = records(input)
        .filter_map(|f| Some((f.first()?.to_string(), f.get(1)?.to_string())))
        .collect();
    let mut out = Vec::new();
    collector::bubble_events(&rows, &mut out);
    assert_invariants(&out);
    merge_same_calls(out)
}

/// Goose's `sessions` rows after a saved state: the first record is the
/// state; each other is `id`, `updated_at` (an integer when it reads as
/// one), input, output, `model_config_json`, separated by 1 bytes.
pub fn goose_sessions(input: &[u8]) -> Vec<UsageEvent> {
    use rusqlite::types::Value;
    let mut records = input.split(|b| *b == 0);
    let state = records.next().unwrap_or_default();
    let rows = records
        .filter_map(|r| std::str::from_utf8(r).ok())
        .filter_map(|r| {
            let f: Vec<&str> = r.split('\u{1}').collect();
            let updated = f.get(1)?;
            let updated = updated
                .parse::<i64>()
                .map_or_else(|_| Value::Text(updated.to_string()), Value::Integer);
            let count = |i: usize| f.get(i).and_then(|n| n.parse::<i64>().ok()).unwrap_or(0);
            let model = f.get(4).map(|m| m.to_string());
            Some((f.first()?.to_string(), updated, count(2), count(3), model))
        })
        .collect();
    let mut out = Vec::new();
    let state = goose_rows(state, rows, &mut out);
    // The state saved must be one the next read can start from.
    goose_rows(&state, Vec::new(), &mut out);
    assert_invariants(&out);
    merge_same_calls(out)
}

/// One Zed `threads` row: `updated_at`, 1, `data_type`, 1, `data`. A
/// `data_type` of `zstd!` compresses `data` first, so the fuzzer reaches the
/// JSON behind the decoder too.
pub fn zed_thread(input: &[u8]) -> Vec<UsageEvent> {
    let mut fields = input.splitn(3, |b| *b == 1);
    let updated = String::from_utf8_lossy(fields.next().unwrap_or_default());
    let data_type = String::from_utf8_lossy(fields.next().unwrap_or_default());
    let data = fields.next().unwrap_or_default();
    let (data_type, data) = match data_type.as_ref() {
        "zstd!" => (
            "zstd",
            ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest),
        ),
        other => (other, data.to_vec()),
    };
    let mut out = Vec::new();
    collector::thread_events("thread-1", &updated, data_type, data, &mut out);
    assert_invariants(&out);
    merge_same_calls(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collector::{ClaudeCode, Codex};

    #[test]
    fn fuzzing_lines_reach_the_parser_and_skip_a_half_written_line() {
        let log = include_bytes!("collector/claude_code/fixtures/streamed.jsonl");
        let mut input = vec![1u8];
        input.extend_from_slice(log);
        let whole = parse_lines(&ClaudeCode, &input);
        assert!(!whole.is_empty());
        // Without its newline, the last line waits: one call fewer.
        input.pop();
        assert!(parse_lines(&ClaudeCode, &input).len() < whole.len());
        // A garbage saved state is a fresh start, not a crash.
        assert!(parse_lines(&Codex, &[2, b'x', b'\n', b'{', b'\n']).is_empty());
    }

    #[test]
    fn fuzzing_documents_and_rows_reach_their_readers() {
        let amp = include_bytes!("collector/amp/fixtures/T-current.json");
        assert!(!parse_document(Document::Amp, amp).is_empty());
        let zed = b"2026-03-05T10:00:00Z\x01zstd!\x01{\"model\":{\"provider\":\"anthropic\",\"model\":\"m\"},\"request_token_usage\":{\"r\":{\"input_tokens\":3}}}";
        assert_eq!(zed_thread(zed).len(), 1);
        let goose = b"\x00s1\x012026-03-05 10:00:00\x0110\x0120\x01{\"model_name\":\"m\"}";
        assert_eq!(goose_sessions(goose).len(), 1);
    }
}

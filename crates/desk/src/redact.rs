//! The redaction preview's record: a log line as the tool wrote it, with
//! every text value replaced by a marker and its length. It is made when
//! the employee asks, from the line read at that moment, shown, and
//! dropped: never stored, never sent.

use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use serde_json::Value;

/// Keys whose string values are names, not text: kept as they are.
const KEPT: &[&str] = &[
    "type",
    "role",
    "model",
    "stop_reason",
    "timestamp",
    "provider",
];

/// The longest line read for a preview.
const MAX_LINE: u64 = 4 * 1024 * 1024;

/// The JSON line at `offset` of `path`, redacted; `None` when the file is
/// gone, changed, or not JSON lines (a database).
pub fn redacted_line(path: &Path, offset: u64) -> Option<String> {
    let mut file = std::fs::File::open(path).ok()?;
    file.seek(SeekFrom::Start(offset)).ok()?;
    let mut line = Vec::new();
    BufReader::new(file)
        .take(MAX_LINE)
        .read_until(b'\n', &mut line)
        .ok()?;
    let value: Value = serde_json::from_slice(&line).ok()?;
    Some(redact(value).to_string())
}

/// Replaces every string but the names in [`KEPT`] with `«text, N
/// characters»`; numbers, booleans, nulls and the structure stay.
pub fn redact(value: Value) -> Value {
    redact_under(value, None)
}

fn redact_under(value: Value, key: Option<&str>) -> Value {
    match value {
        Value::String(s) if key.is_some_and(|k| KEPT.contains(&k)) && s.len() <= 96 => {
            Value::String(s)
        }
        Value::String(s) => Value::String(format!("«text, {} characters»", s.chars().count())),
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|v| redact_under(v, key)).collect())
        }
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = redact_under(v, Some(&k));
                    (k, v)
                })
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_replaced_by_its_length_and_names_are_kept() {
        let line = r#"{"type":"assistant","sessionId":"s-1","cwd":"/home/ann/secret-project","message":{"model":"claude-sonnet-4-5","role":"assistant","content":[{"type":"text","text":"CANARY héllo"}],"usage":{"input_tokens":7,"output_tokens":42}}}"#;
        let out = redact(serde_json::from_str(line).expect("json")).to_string();
        assert!(!out.contains("CANARY") && !out.contains("secret-project") && !out.contains("s-1"));
        assert!(out.contains("«text, 12 characters»"), "{out}");
        assert!(out.contains(r#""model":"claude-sonnet-4-5""#));
        assert!(out.contains(r#""output_tokens":42"#));
        assert!(out.contains(r#""type":"text""#));
    }

    #[test]
    fn a_long_value_under_a_kept_key_is_still_text() {
        let long = "x".repeat(200);
        let out = redact(serde_json::json!({ "type": long })).to_string();
        assert!(out.contains("«text, 200 characters»"));
    }

    #[test]
    fn the_line_at_an_offset_is_read_and_redacted() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("s.jsonl");
        std::fs::write(
            &path,
            "{\"text\":\"first\"}\n{\"text\":\"CANARY\",\"n\":1}\n",
        )
        .expect("write");
        let out = redacted_line(&path, 17).expect("line");
        assert_eq!(out, r#"{"n":1,"text":"«text, 6 characters»"}"#);
        assert_eq!(redacted_line(&dir.path().join("gone"), 0), None);
    }
}

use tokentally_event::Tool;

use super::*;

fn bucket(start: i64, model: &str) -> Bucket {
    Bucket {
        start,
        period: Period::Day,
        tool: ToolLabel(Tool::ClaudeCode),
        model: ModelLabel::new(model).expect("valid model"),
        revision: 1,
        input: 10,
        cache_read: 20,
        cache_write: 3,
        output: 40,
        reasoning: 5,
        calls_exact: 2,
        calls_reported: 0,
        calls_estimated: 1,
    }
}

#[test]
fn a_batch_round_trips_through_its_bytes() {
    let batch = UsageBatch::new(vec![bucket(1_764_547_200, "claude-sonnet")]);
    let bytes = batch.to_bytes();
    assert!(!bytes.contains(&b'\n'));
    let back: UsageBatch = serde_json::from_slice(&bytes).expect("parses");
    assert_eq!(back, batch);
    assert!(back.problems().is_empty());
    assert!(String::from_utf8_lossy(&bytes).starts_with(r#"{"schema":"tokentally.usage/1","#));
}

#[test]
fn unknown_fields_are_refused_at_every_level() {
    let good = String::from_utf8(UsageBatch::new(vec![bucket(0, "m")]).to_bytes()).expect("utf8");
    let extra_top = good.replacen('{', r#"{"note":"CANARY-top","#, 1);
    let extra_bucket = good.replacen(r#""start""#, r#""prompt":"CANARY-b","start""#, 1);
    for text in [extra_top, extra_bucket] {
        let err = serde_json::from_str::<UsageBatch>(&text).expect_err("refused");
        assert!(err.to_string().contains("unknown field"), "{err}");
    }
}

#[test]
fn names_that_could_carry_text_are_refused() {
    let good = String::from_utf8(UsageBatch::new(vec![bucket(0, "m")]).to_bytes()).expect("utf8");
    let text_model = good.replace(r#""model":"m""#, r#""model":"fix the login bug""#);
    let odd_tool = good.replace(r#""tool":"claude-code""#, r#""tool":"my secret project""#);
    let schema = good.replace("tokentally.usage/1", "tokentally.usage/9");
    for text in [text_model, odd_tool, schema] {
        assert!(serde_json::from_str::<UsageBatch>(&text).is_err(), "{text}");
    }
}

#[test]
fn rules_beyond_the_types_are_all_reported() {
    let mut a = bucket(1_000, "m");
    a.revision = 0;
    a.input = 1 << 60;
    let b = bucket(900, "m");
    let batch = UsageBatch::new(vec![a, b.clone(), b]);
    let problems = batch.problems();
    for expected in [
        "buckets[0].start is not a whole quarter hour",
        "buckets[0].revision must be at least 1",
        "buckets[0].input is over 2^53 - 1",
        "buckets[2] repeats an earlier bucket",
    ] {
        assert!(
            problems.iter().any(|p| p == expected),
            "{expected}: {problems:?}"
        );
    }
    assert_eq!(UsageBatch::new(vec![]).problems(), ["buckets is empty"]);
}

#[test]
fn the_kept_schema_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("usage.schema.json");
    let current = usage_schema();
    if std::env::var_os("TOKENTALLY_BLESS").is_some() {
        std::fs::write(&path, &current).expect("write schema");
    }
    let kept = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        kept, current,
        "usage.schema.json is stale: run with TOKENTALLY_BLESS=1"
    );
}

#[test]
fn the_schema_has_no_free_text_field() {
    let schema: serde_json::Value = serde_json::from_str(&usage_schema()).expect("json");
    let mut strings = Vec::new();
    collect_strings(&schema, "", &mut strings);
    // Every string in the schema is either an enum or the model pattern.
    for (path, node) in strings {
        let closed = node.get("enum").is_some() || node.get("const").is_some();
        let patterned = node.get("pattern").is_some() && node.get("maxLength").is_some();
        assert!(closed || patterned, "free text at {path}: {node}");
    }
}

fn collect_strings<'a>(
    node: &'a serde_json::Value,
    path: &str,
    out: &mut Vec<(String, &'a serde_json::Value)>,
) {
    match node {
        serde_json::Value::Object(map) => {
            if map.get("type").and_then(|t| t.as_str()) == Some("string") {
                out.push((path.to_owned(), node));
            }
            for (k, v) in map {
                collect_strings(v, &format!("{path}/{k}"), out);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                collect_strings(v, &format!("{path}/{i}"), out);
            }
        }
        _ => {}
    }
}

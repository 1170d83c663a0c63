//! A second, naive reading of generated files by the counting rules, to
//! check the truth the generator builds as it writes (test only). Slow and
//! simple on purpose: whole files, `serde_json::Value`, no state kept
//! between calls.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    path::PathBuf,
};

use serde_json::Value;

use super::{Call, Truth};

/// The truth of `files` (paths relative to the home, whole contents).
pub fn recount(files: &[(PathBuf, Vec<u8>)]) -> Truth {
    let mut truth = Truth::default();
    claude(files, &mut truth);
    codex(files, &mut truth);
    truth
}

fn lines(bytes: &[u8]) -> impl Iterator<Item = Value> + '_ {
    bytes
        .split(|b| *b == b'\n')
        .filter_map(|line| serde_json::from_slice::<Value>(line).ok())
}

fn ms(v: &Value) -> i64 {
    v.as_str()
        .and_then(|s| s.parse::<jiff::Timestamp>().ok())
        .map_or(i64::MIN, |t| t.as_millisecond())
}

fn n(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

struct ClaudeCall {
    model: String,
    sidechain: bool,
    call: Call,
}

/// One call per (message.id, requestId), the line with the most output
/// (then the largest total); sidechain replays of another call's
/// message.id under a new requestId dropped; `<synthetic>` skipped.
fn claude(files: &[(PathBuf, Vec<u8>)], truth: &mut Truth) {
    let mut calls: BTreeMap<(String, String), ClaudeCall> = BTreeMap::new();
    for (path, bytes) in files {
        if !path.to_string_lossy().contains("claude/projects") {
            continue;
        }
        for line in lines(bytes) {
            let m = &line["message"];
            if line["type"] != "assistant" || !m["usage"].is_object() {
                continue;
            }
            let model = m["model"].as_str().unwrap_or_default().to_owned();
            if model == "<synthetic>" {
                continue;
            }
            let u = &m["usage"];
            let call = Call {
                at_ms: ms(&line["timestamp"]),
                input: n(&u["input_tokens"]),
                cache_read: n(&u["cache_read_input_tokens"]),
                cache_write: n(&u["cache_creation_input_tokens"]),
                output: n(&u["output_tokens"]),
                reasoning: 0,
            };
            let key = (
                m["id"].as_str().unwrap_or_default().to_owned(),
                line["requestId"].as_str().unwrap_or_default().to_owned(),
            );
            let rank = |c: &Call| (c.output, c.input + c.cache_read + c.cache_write + c.output);
            let better = calls
                .get(&key)
                .is_none_or(|old| rank(&call) > rank(&old.call));
            if better {
                let sidechain = line["isSidechain"] == true;
                calls.insert(
                    key,
                    ClaudeCall {
                        model,
                        sidechain,
                        call,
                    },
                );
            }
        }
    }
    let main_ids: HashSet<&str> = calls
        .iter()
        .filter(|(_, c)| !c.sidechain)
        .map(|((id, _), _)| id.as_str())
        .collect();
    for ((id, _), c) in &calls {
        if !(c.sidechain && main_ids.contains(id.as_str())) {
            truth.count("claude-code", &c.model, c.call);
        }
    }
}

/// Per rollout (archived copies are the same rollout): each token_count's
/// usage is its total minus the previous total, or its last usage when a
/// total field went down; events copied into forks count once.
fn codex(files: &[(PathBuf, Vec<u8>)], truth: &mut Truth) {
    let mut rollouts: HashMap<String, &[u8]> = HashMap::new();
    for (path, bytes) in files {
        if path.to_string_lossy().contains(".codex/")
            && let Some(name) = path.file_name()
        {
            rollouts.insert(name.to_string_lossy().into_owned(), bytes);
        }
    }
    const FIELDS: [&str; 4] = [
        "input_tokens",
        "cached_input_tokens",
        "output_tokens",
        "reasoning_output_tokens",
    ];
    let mut seen = HashSet::new();
    let mut names: Vec<_> = rollouts.keys().cloned().collect();
    names.sort();
    for name in names {
        let (mut model, mut previous) = (String::new(), [0u64; 4]);
        for line in lines(rollouts[&name]) {
            let p = &line["payload"];
            if line["type"] == "turn_context" {
                model = p["model"].as_str().unwrap_or_default().to_owned();
            }
            let info = &p["info"];
            if p["type"] != "token_count" || !info.is_object() {
                continue;
            }
            let total = FIELDS.map(|f| n(&info["total_token_usage"][f]));
            let last = FIELDS.map(|f| n(&info["last_token_usage"][f]));
            let usage = if total.iter().zip(&previous).any(|(t, p)| t < p) {
                last
            } else {
                [0, 1, 2, 3].map(|i| total[i] - previous[i])
            };
            previous = total;
            let at_ms = ms(&line["timestamp"]);
            if usage == [0; 4] || !seen.insert((at_ms, model.clone(), total, last)) {
                continue;
            }
            let call = Call {
                at_ms,
                input: usage[0] - usage[1],
                cache_read: usage[1],
                cache_write: 0,
                output: usage[2],
                reasoning: usage[3],
            };
            truth.count("codex", &model, call);
        }
    }
}

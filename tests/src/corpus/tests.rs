use super::*;

#[test]
fn a_seed_gives_the_same_corpus_and_truth() {
    let spec = CorpusSpec::of_mb(7, 1);
    let (mut a, mut b) = (MemSink::default(), MemSink::default());
    let ta = generate(&spec, &mut a).unwrap();
    let tb = generate(&spec, &mut b).unwrap();
    assert_eq!(ta, tb);
    assert_eq!(a.0, b.0);
    let other = generate(&CorpusSpec::of_mb(8, 1), &mut MemSink::default()).unwrap();
    assert_ne!(ta, other);
}

#[test]
fn every_file_carries_canaries_and_the_truth_covers_both_tools() {
    let mut sink = MemSink::default();
    let truth = generate(&CorpusSpec::of_mb(3, 2), &mut sink).unwrap();
    let bytes: usize = sink.0.iter().map(|(_, b)| b.len()).sum();
    assert!(bytes >= 2 << 20);
    for (path, file) in &sink.0 {
        let text = String::from_utf8_lossy(file);
        assert!(text.contains("TTCANARY"), "{}", path.display());
    }
    let tools: std::collections::BTreeSet<_> = truth.0.keys().map(|(_, t, _)| t.clone()).collect();
    assert_eq!(
        tools.into_iter().collect::<Vec<_>>(),
        ["claude-code", "codex"]
    );
    let t = truth.totals();
    assert_eq!(
        t.total_tokens,
        t.input_tokens + t.output_tokens + t.cache_read_tokens + t.cache_write_tokens
    );
}

#[test]
fn iso_times_have_milliseconds_and_z() {
    assert_eq!(iso(1_500), "1970-01-01T00:00:01.500Z");
    assert_eq!(at(jiff::civil::date(1970, 1, 2), 5), 86_400_005);
}

#[test]
fn a_naive_recount_of_the_written_files_agrees_with_the_truth() {
    for seed in 0..12 {
        let mut sink = MemSink::default();
        let truth = generate(&CorpusSpec::of_mb(seed, 3), &mut sink).unwrap();
        let recounted = super::recount::recount(&sink.0);
        assert_eq!(recounted.rows(), truth.rows(), "seed {seed}");
    }
}

/// Seed 16, two sessions, checked by hand (print them with
/// `cargo test -p tokentally-tests --lib -- --ignored --nocapture show`):
/// - Claude (opus): six calls, one without requestId, three streamed over
///   two or three lines whose last line has the billed output (306, 1730,
///   7); a `system` line between. Input 101+320+111+453+4+520, output
///   1659+1577+306+1730+3796+7, cache reads 98809+117345+151918+74290+
///   43661+105338, cache writes 15905+19914.
/// - Codex (mini): seven token_count events, one rate-limit re-emit and one
///   `info: null` between them, no reset, and a byte-identical archived
///   copy: the final total [214154 in, 105724 cached, 12649 out, 3068
///   reasoning] is the sum.
#[test]
fn a_tiny_corpus_checked_by_hand() {
    let spec = CorpusSpec {
        target_bytes: 102_807,
        ..tiny(16)
    };
    let mut sink = MemSink::default();
    let truth = generate(&spec, &mut sink).unwrap();
    let paths: Vec<String> = sink
        .0
        .iter()
        .map(|(p, _)| p.display().to_string())
        .collect();
    assert_eq!(paths.len(), 3, "{paths:?}");
    assert!(paths[1].starts_with(".codex/sessions/2026/08/01/rollout-2026-08-01T01-03-40-"));
    assert!(paths[2].starts_with(".codex/archived_sessions/rollout-2026-08-01T01-03-40-"));
    let rows: Vec<_> = truth.0.iter().collect();
    let c = |i, o, r, w, reasoning, calls| Counts {
        input_tokens: i,
        output_tokens: o,
        cache_read_tokens: r,
        cache_write_tokens: w,
        reasoning_tokens: reasoning,
        total_tokens: i + o + r + w,
        calls,
        estimated_calls: 0,
    };
    let key =
        |tool: &str, model: &str| ("2026-08-01".to_owned(), tool.to_owned(), model.to_owned());
    assert_eq!(
        rows,
        [
            (
                &key("claude-code", "claude-opus-4-1-20250805"),
                &c(1509, 9075, 591_361, 35_819, 0, 6)
            ),
            (
                &key("codex", "gpt-5.1-codex-mini"),
                &c(108_430, 12_649, 105_724, 0, 3068, 7)
            ),
        ]
    );
    assert_eq!(super::recount::recount(&sink.0), truth);
}

/// Midnight (UTC) is crossed by sessions, never by one call's lines: some
/// calls land at 23:59:59.9xx and 00:00:00.0xx.
#[test]
fn calls_fall_either_side_of_midnight_and_never_straddle_it() {
    let mut sink = MemSink::default();
    generate(&CorpusSpec::of_mb(5, 30), &mut sink).unwrap();
    let (mut before, mut after) = (0, 0);
    let mut days_of_call: std::collections::HashMap<String, std::collections::BTreeSet<String>> =
        Default::default();
    for (_, bytes) in &sink.0 {
        for line in bytes.split(|b| *b == b'\n') {
            let Ok(v) = serde_json::from_slice::<serde_json::Value>(line) else {
                continue;
            };
            let at = v["timestamp"].as_str().unwrap_or_default();
            let is_call = v["message"]["usage"].is_object() || v["payload"]["info"].is_object();
            if !is_call {
                continue;
            }
            before += usize::from(at.contains("T23:59:59.9"));
            after += usize::from(at.contains("T00:00:00.0"));
            if let Some(id) = v["message"]["id"].as_str() {
                let key = format!("{id} {}", v["requestId"]);
                days_of_call
                    .entry(key)
                    .or_default()
                    .insert(at[..10].to_owned());
            }
        }
    }
    assert!(before >= 5 && after >= 5, "{before} before, {after} after");
    for (call, days) in days_of_call {
        assert_eq!(days.len(), 1, "{call}: {days:?}");
    }
}

/// Some sub-agent files (with replays) are bigger than their session's
/// file, and every one is written before it.
#[test]
fn some_replays_come_first_by_size_and_all_by_write_order() {
    let mut sink = MemSink::default();
    generate(&CorpusSpec::of_mb(6, 30), &mut sink).unwrap();
    let index = |p: &std::path::Path| sink.0.iter().position(|(q, _)| q == p);
    let mut bigger = 0;
    for (i, (path, bytes)) in sink.0.iter().enumerate() {
        let Some(session_dir) = path.parent().and_then(|p| p.parent()) else {
            continue;
        };
        if !path.to_string_lossy().contains("/subagents/") {
            continue;
        }
        let parent = session_dir.with_extension("jsonl");
        let j = index(&parent).unwrap();
        assert!(i < j, "{}", path.display());
        bigger += usize::from(bytes.len() > sink.0[j].1.len());
    }
    assert!(bigger >= 3, "{bigger}");
}

/// Prints a tiny corpus, to check by hand:
/// `cargo test -p tokentally-tests --lib -- --ignored --nocapture show`.
#[test]
#[ignore]
fn show_a_tiny_corpus() {
    for seed in [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] {
        let mut sink = MemSink::default();
        let truth = generate(&tiny(seed), &mut sink).unwrap();
        println!("== seed {seed}: {:?}", truth.totals());
        for (path, bytes) in &sink.0 {
            println!("-- {} ({} bytes)", path.display(), bytes.len());
        }
    }
}

fn tiny(seed: u64) -> CorpusSpec {
    CorpusSpec {
        seed,
        target_bytes: 1,
        start_day: jiff::civil::date(2026, 8, 1),
        days: 1,
    }
}

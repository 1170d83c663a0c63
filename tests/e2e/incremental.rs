use std::{io::Write, path::Path};

use tokentally_tests::{
    corpus::{Call, CorpusSpec, MemSink, Truth, generate},
    prng::Prng,
};

use crate::support::{Fixture, assert_report_is, files_under, write_some};

/// Writes a corpus in random pieces (cutting lines in half), scanning after
/// each round; then deletes, compacts and replaces files. The totals equal
/// the truth at the end of the writes and never change after.
#[test]
fn growing_truncated_replaced_and_deleted_files_are_counted_exactly() {
    let f = Fixture::empty();
    let mut sink = MemSink::default();
    let truth = generate(&CorpusSpec::of_mb(51, 2), &mut sink).unwrap();
    let mut rng = Prng::new(5);
    let mut written = vec![0usize; sink.0.len()];
    let mut rounds = 0;
    while write_some(&f.home(), &sink.0, &mut written, &mut rng, 60_000, 40) {
        f.run(&["scan"]);
        rounds += 1;
    }
    f.run(&["scan"]);
    assert!(rounds > 3);
    assert_report_is(&f.report(false), &truth);

    // The tools delete old logs: nothing counted is lost.
    for (path, _) in sink.0.iter().step_by(3) {
        std::fs::remove_file(f.home().join(path)).unwrap();
    }
    assert_report_is(&f.report(true), &truth);
    // Compaction rewrites a file shorter; a rewrite replaces it (new inode).
    for (path, bytes) in sink.0.iter().skip(1).step_by(3) {
        std::fs::write(f.home().join(path), &bytes[..bytes.len() / 2]).unwrap();
    }
    for (path, bytes) in sink.0.iter().skip(2).step_by(3) {
        let full = f.home().join(path);
        let tmp = full.with_extension("tmp");
        std::fs::write(&tmp, bytes).unwrap();
        std::fs::rename(&tmp, &full).unwrap();
    }
    assert_report_is(&f.report(true), &truth);
}

const SONNET: &str = "claude-sonnet-4-5-20250929";
const MINI: &str = "gpt-5.1-codex-mini";

/// A Claude Code line of call `msg` (input 11, cache write 222, cache read
/// 3333) with `output` so far.
fn claude_line(msg: &str, at: &str, output: u64) -> String {
    format!(
        "{{\"parentUuid\":\"p\",\"isSidechain\":false,\"sessionId\":\"s\",\"version\":\"2.1.40\",\"type\":\"assistant\",\"timestamp\":\"{at}\",\"requestId\":\"req_{msg}\",\"message\":{{\"id\":\"{msg}\",\"role\":\"assistant\",\"model\":\"{SONNET}\",\"content\":[{{\"type\":\"text\",\"text\":\"TTCANARY-inc-{msg}\"}}],\"usage\":{{\"input_tokens\":11,\"cache_creation_input_tokens\":222,\"cache_read_input_tokens\":3333,\"output_tokens\":{output}}}}}}}\n"
    )
}

fn claude_call(at: &str, output: u64) -> Call {
    Call {
        at_ms: at.parse::<jiff::Timestamp>().unwrap().as_millisecond(),
        input: 11,
        cache_read: 3333,
        cache_write: 222,
        output,
        reasoning: 0,
    }
}

/// Codex token usage: [input (with cached), cached, output, reasoning].
type Usage = [u64; 4];

fn usage_json(u: Usage) -> String {
    format!(
        "{{\"input_tokens\":{},\"cached_input_tokens\":{},\"output_tokens\":{},\"reasoning_output_tokens\":{},\"total_tokens\":{}}}",
        u[0],
        u[1],
        u[2],
        u[3],
        u[0] + u[2]
    )
}

fn token_count(at: &str, total: Usage, last: Usage, rate_limits: bool) -> String {
    let limits = if rate_limits {
        "{\"primary\":{\"used_percent\":40.0,\"window_minutes\":300}}"
    } else {
        "null"
    };
    format!(
        "{{\"timestamp\":\"{at}\",\"type\":\"event_msg\",\"payload\":{{\"type\":\"token_count\",\"info\":{{\"total_token_usage\":{},\"last_token_usage\":{},\"model_context_window\":272000}},\"rate_limits\":{limits}}}}}\n",
        usage_json(total),
        usage_json(last)
    )
}

fn codex_call(at: &str, u: Usage) -> Call {
    Call {
        at_ms: at.parse::<jiff::Timestamp>().unwrap().as_millisecond(),
        input: u[0] - u[1],
        cache_read: u[1],
        cache_write: 0,
        output: u[2],
        reasoning: u[3],
    }
}

/// The running total of the last token_count in a rollout.
fn last_total(rollout: &[u8]) -> Usage {
    let fields = [
        "input_tokens",
        "cached_input_tokens",
        "output_tokens",
        "reasoning_output_tokens",
    ];
    rollout
        .split(|b| *b == b'\n')
        .filter_map(|l| serde_json::from_slice::<serde_json::Value>(l).ok())
        .filter_map(|v| {
            let total = &v["payload"]["info"]["total_token_usage"];
            total
                .is_object()
                .then(|| fields.map(|f| total[f].as_u64().unwrap()))
        })
        .next_back()
        .unwrap()
}

fn add(a: Usage, b: Usage) -> Usage {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]]
}

fn append(path: &Path, bytes: &[u8]) {
    let mut file = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    file.write_all(bytes).unwrap();
}

/// Scans and reports; the totals must equal `truth` after `step`.
fn check(f: &Fixture, truth: &Truth, step: &str) {
    eprintln!("step: {step}");
    assert_report_is(&f.report(true), truth);
}

/// A log's life one step at a time, exact after each: lines appended (the
/// last one half-written, which must wait for its end), a streamed call
/// completed, a Codex model switch and re-emit, a file compacted shorter
/// then rewritten longer, truncated to nothing and rewritten, replaced by a
/// copy (a new inode), moved to the archive and deleted. A call once
/// counted is never lost and never counted twice.
#[test]
fn each_step_of_a_logs_life_is_counted_exactly() {
    let f = Fixture::generated(52, 2);
    let mut truth = f.truth.clone();
    let home = f.home();
    let files = files_under(&home);
    let claude = files
        .iter()
        .map(|(p, _)| p.clone())
        .find(|p| {
            let s = p.to_string_lossy();
            s.contains("/.claude/projects/") && !s.contains("/subagents/")
        })
        .unwrap();
    let codex = files
        .iter()
        .map(|(p, _)| p.clone())
        .find(|p| {
            p.to_string_lossy().contains("/.codex/sessions/")
                && !home
                    .join(".codex/archived_sessions")
                    .join(p.file_name().unwrap())
                    .exists()
        })
        .unwrap();
    check(&f, &truth, "generated corpus");

    // A streamed call (two lines), then half of the next call's line.
    let (a1, a2, b) = (
        "2026-10-20T08:00:01.000Z",
        "2026-10-20T08:00:02.500Z",
        "2026-10-20T08:00:09.000Z",
    );
    let b_line = claude_line("msg_inc_b", b, 700);
    let (b_head, b_tail) = b_line.split_at(b_line.len() / 2);
    append(
        &claude,
        format!(
            "{}{}{b_head}",
            claude_line("msg_inc_a", a1, 10),
            claude_line("msg_inc_a", a2, 500)
        )
        .as_bytes(),
    );
    truth.count("claude-code", SONNET, claude_call(a2, 500));
    check(&f, &truth, "claude: a call appended, the next half-written");
    append(&claude, b_tail.as_bytes());
    truth.count("claude-code", SONNET, claude_call(b, 700));
    check(&f, &truth, "claude: the half-written line completed");

    // Codex: a model switch, a counted step, a re-emit, half a step.
    let total = last_total(&std::fs::read(&codex).unwrap());
    let (u, v) = ([5000, 1200, 300, 100], [7000, 6000, 900, 0]);
    let (tu, tv) = (add(total, u), add(add(total, u), v));
    let (at_u, at_re, at_v) = (
        "2026-10-21T09:00:00.000Z",
        "2026-10-21T09:00:01.000Z",
        "2026-10-21T23:59:59.990Z",
    );
    let v_line = token_count(at_v, tv, v, false);
    let (v_head, v_tail) = v_line.split_at(v_line.len() - 20);
    append(
        &codex,
        format!(
            "{{\"timestamp\":\"2026-10-21T08:59:00.000Z\",\"type\":\"turn_context\",\"payload\":{{\"model\":\"{MINI}\",\"cwd\":\"/w\"}}}}\n{}{}{v_head}",
            token_count(at_u, tu, u, false),
            token_count(at_re, tu, u, true)
        )
        .as_bytes(),
    );
    truth.count("codex", MINI, codex_call(at_u, u));
    check(&f, &truth, "codex: a step appended, the next half-written");
    append(&codex, v_tail.as_bytes());
    truth.count("codex", MINI, codex_call(at_v, v));
    check(&f, &truth, "codex: the half-written line completed");

    // Compaction: the file rewritten in place, shorter; then longer, with
    // everything it had plus a new call.
    let whole = std::fs::read(&claude).unwrap();
    let cut = whole[..whole.len() / 2]
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    std::fs::write(&claude, &whole[..cut]).unwrap();
    check(&f, &truth, "claude: rewritten shorter");
    let c = "2026-10-22T00:00:00.010Z";
    let mut longer = whole.clone();
    longer.extend_from_slice(claude_line("msg_inc_c", c, 42).as_bytes());
    std::fs::write(&claude, &longer).unwrap();
    truth.count("claude-code", SONNET, claude_call(c, 42));
    check(&f, &truth, "claude: rewritten longer");

    // Truncated to nothing, then written again as it was.
    let rollout = std::fs::read(&codex).unwrap();
    std::fs::write(&codex, b"").unwrap();
    check(&f, &truth, "codex: truncated to nothing");
    std::fs::write(&codex, &rollout).unwrap();
    check(&f, &truth, "codex: written again");

    // Replaced by a copy (a new inode): the same, then with one more call.
    let replace = |bytes: &[u8]| {
        let tmp = claude.with_extension("tmp");
        std::fs::write(&tmp, bytes).unwrap();
        std::fs::rename(&tmp, &claude).unwrap();
    };
    replace(&longer);
    check(&f, &truth, "claude: replaced by an identical copy");
    let d = "2026-10-22T10:00:00.000Z";
    longer.extend_from_slice(claude_line("msg_inc_d", d, 77).as_bytes());
    replace(&longer);
    truth.count("claude-code", SONNET, claude_call(d, 77));
    check(&f, &truth, "claude: replaced by a longer copy");

    // Codex archives the rollout; then both files are deleted.
    let archived = home
        .join(".codex/archived_sessions")
        .join(codex.file_name().unwrap());
    std::fs::create_dir_all(archived.parent().unwrap()).unwrap();
    std::fs::rename(&codex, &archived).unwrap();
    check(&f, &truth, "codex: moved to archived_sessions");
    std::fs::remove_file(&archived).unwrap();
    std::fs::remove_file(&claude).unwrap();
    check(&f, &truth, "both deleted");
}

use std::path::PathBuf;

use tokentally_event::{
    Key, Lineage, Model, Provenance, Rank, SourceRef, Tokens, Tool, UsageEvent,
};

use super::*;

fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("ledger.db")).unwrap();
    (dir, store)
}

fn checkpoint(path: &str, offset: u64) -> Checkpoint {
    Checkpoint {
        file_id: 0,
        tool: Tool::ClaudeCode,
        path: PathBuf::from(path),
        dev: 1,
        ino: 2,
        head_len: 10,
        head_hash: 3,
        tail_hash: 4,
        offset,
        size: offset,
        mtime_ns: 5,
        skipped_lines: 0,
        state: b"{}".to_vec(),
    }
}

fn call(id: &str, output: u64, at_ms: i64) -> UsageEvent {
    let tokens = Tokens {
        input: 4,
        cache_read: 100,
        cache_write: 10,
        output,
        reasoning: 0,
    };
    UsageEvent {
        at_ms,
        tool: Tool::ClaudeCode,
        session: Key::of(&[b"s"]),
        call: Key::of(&[id.as_bytes()]),
        model: Model::new("claude-sonnet-4-5"),
        tokens,
        provenance: Provenance::Log,
        source: SourceRef::default(),
        rank: Rank::most_complete(&tokens, at_ms),
        lineage: None,
    }
}

fn commit(store: &mut Store, path: &str, offset: u64, events: Vec<UsageEvent>) -> CommitSummary {
    let progress = FileProgress {
        checkpoint: checkpoint(path, offset),
        events,
        skipped_lines: 0,
    };
    store.commit(vec![progress]).unwrap()
}

fn total_output(store: &Store) -> u64 {
    store
        .slots(&SlotQuery::default())
        .unwrap()
        .iter()
        .map(|r| r.tokens.output)
        .sum()
}

#[test]
fn a_call_read_twice_is_stored_once_with_its_most_complete_record() {
    let (_dir, mut store) = temp_store();
    let first = commit(&mut store, "/a", 10, vec![call("m1", 2, 1_000)]);
    assert_eq!(first.new_calls.len(), 1);
    let second = commit(
        &mut store,
        "/a",
        20,
        vec![call("m1", 517, 2_000), call("m1", 3, 3_000)],
    );
    assert_eq!(
        (second.new_calls.len(), second.improved, second.unchanged),
        (0, 1, 1)
    );
    assert_eq!(store.counted_calls().unwrap(), 1);
    assert_eq!(total_output(&store), 517);
}

#[test]
fn checkpoint_and_file_id_are_saved_with_the_events() {
    let (_dir, mut store) = temp_store();
    let summary = commit(&mut store, "/logs/a.jsonl", 42, vec![call("m1", 1, 0)]);
    let saved = store.checkpoints().unwrap();
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0].offset, 42);
    assert_eq!(summary.new_calls[0].source.file_id, saved[0].file_id);
    commit(&mut store, "/logs/a.jsonl", 50, vec![]);
    let again = table::checkpoints::by_path(&store.conn, std::path::Path::new("/logs/a.jsonl"))
        .unwrap()
        .unwrap();
    assert_eq!((again.file_id, again.offset), (saved[0].file_id, 50));
}

fn with_lineage(mut e: UsageEvent, group: &str, side_copy: bool) -> UsageEvent {
    let group = Key::of(&[group.as_bytes()]);
    e.call = group.member(&[e.call.as_bytes()]);
    e.lineage = Some(Lineage { group, side_copy });
    e
}

#[test]
fn a_side_copy_stops_counting_once_its_primary_is_known_whatever_the_order() {
    for replay_first in [true, false] {
        let (_dir, mut store) = temp_store();
        let primary = with_lineage(call("msg1/req1", 50, 0), "msg1", false);
        let replay = with_lineage(call("msg1/req9", 70, 0), "msg1", true);
        let own_side_call = with_lineage(call("msg2/req2", 5, 0), "msg2", true);
        let order = if replay_first {
            vec![replay.clone(), own_side_call.clone(), primary.clone()]
        } else {
            vec![primary.clone(), own_side_call.clone(), replay.clone()]
        };
        for (i, event) in order.into_iter().enumerate() {
            commit(&mut store, &format!("/f{i}"), 1, vec![event]);
        }
        assert_eq!(
            store.counted_calls().unwrap(),
            2,
            "replay_first={replay_first}"
        );
        assert_eq!(total_output(&store), 55, "replay_first={replay_first}");
    }
}

#[test]
fn slots_sum_by_tool_model_and_quarter_hour() {
    let (_dir, mut store) = temp_store();
    let mut estimated = call("e", 1, SLOT_MS + 5);
    estimated.provenance = Provenance::Estimated;
    commit(
        &mut store,
        "/a",
        1,
        vec![call("a", 1, 0), call("b", 2, SLOT_MS - 1), estimated],
    );
    let mut rows = store.slots(&SlotQuery::default()).unwrap();
    rows.sort_by_key(|r| r.slot_start_ms);
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (rows[0].slot_start_ms, rows[0].calls, rows[0].tokens.output),
        (0, 2, 3)
    );
    assert_eq!(
        (rows[1].slot_start_ms, rows[1].estimated_calls),
        (SLOT_MS, 1)
    );
    let only_late = SlotQuery {
        from_ms: Some(SLOT_MS),
        ..SlotQuery::default()
    };
    assert_eq!(store.slots(&only_late).unwrap().len(), 1);
    let other_tool = SlotQuery {
        tool: Some(Tool::Codex),
        ..SlotQuery::default()
    };
    assert!(store.slots(&other_tool).unwrap().is_empty());
}

#[test]
fn negative_times_fall_in_the_slot_that_contains_them() {
    let (_dir, mut store) = temp_store();
    commit(&mut store, "/a", 1, vec![call("a", 1, -1)]);
    let rows = store.slots(&SlotQuery::default()).unwrap();
    assert_eq!(rows[0].slot_start_ms, -SLOT_MS);
}

#[test]
fn reopening_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    {
        let mut store = Store::open(&path).unwrap();
        commit(&mut store, "/a", 9, vec![call("a", 7, 0)]);
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(total_output(&store), 7);
    assert_eq!(store.checkpoints().unwrap()[0].offset, 9);
}

#[test]
fn a_database_from_a_newer_build_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    drop(Store::open(&path).unwrap());
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
    }
    let err = Store::open(&path).err().unwrap();
    assert!(
        matches!(err, StoreError::NewerSchema { found: 99, .. }),
        "{err}"
    );
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 99);
}

#[test]
fn a_file_that_is_not_a_database_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    let garbage: Vec<u8> = (0..8192u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&path, &garbage).unwrap();
    let err = Store::open(&path).err().unwrap();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("damaged"));
    assert_eq!(std::fs::read(&path).unwrap(), garbage);
}

#[test]
fn model_names_longer_than_the_limit_cannot_be_stored() {
    let (_dir, store) = temp_store();
    let long = "m".repeat(200);
    let result = store.conn.execute(
        "INSERT INTO events (tool, call_key, session_key, at_ms, model, input, cache_read,
             cache_write, output, reasoning, provenance, file_id, offset, rank, grp, side_copy,
             counted)
         VALUES ('codex', zeroblob(16), zeroblob(16), 0, ?1, 0, 0, 0, 0, 0, 0, 0, 0, x'00', NULL,
                 0, 1)",
        [long],
    );
    assert!(result.is_err());
}

#[test]
fn slot_sums_always_equal_the_sums_of_the_counted_events() {
    let (_dir, mut store) = temp_store();
    // A fixed pseudo-random mix of new calls, better and worse copies, side
    // copies and their primaries, across slots and models.
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    for round in 0..40 {
        let mut events = Vec::new();
        for _ in 0..50 {
            let id = next(60);
            let mut e = call(
                &format!("c{id}"),
                next(1000),
                (next(8) as i64) * SLOT_MS / 3,
            );
            e.model = Model::new(["a", "b"][next(2) as usize]);
            e.provenance = [Provenance::Log, Provenance::Estimated][next(2) as usize];
            if next(3) == 0 {
                e = with_lineage(e, &format!("g{}", id % 7), next(2) == 0);
            }
            events.push(e);
        }
        commit(&mut store, &format!("/f{round}"), 1, events);
        assert_eq!(
            table::slots::stored(&store.conn).unwrap(),
            table::slots::recomputed(&store.conn).unwrap(),
            "round {round}"
        );
    }
    assert!(store.counted_calls().unwrap() > 20);
}

#[test]
fn replay_resolution_searches_the_side_copy_index_not_the_whole_tool() {
    // Regression: without the index hint the planner scanned every event of
    // the tool once per group, making a first scan quadratic.
    let (_dir, store) = temp_store();
    let plan: Vec<String> = store
        .conn
        .prepare(&format!(
            "EXPLAIN QUERY PLAN {}",
            table::events::RESOLVE_REPLAYS
        ))
        .unwrap()
        .query_map(
            rusqlite::params!["claude-code", [0u8; 16], [0u8; 16], [255u8; 16]],
            |r| r.get::<_, String>(3),
        )
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        plan.iter()
            .any(|p| p.contains("USING INDEX events_side_copies")),
        "{plan:?}"
    );
    assert!(
        plan.iter()
            .any(|p| p.contains("USING PRIMARY KEY (tool=? AND call_key>? AND call_key<?)")),
        "{plan:?}"
    );
}

#[test]
fn live_calls_join_logged_ones_and_keep_their_source_state() {
    let (_dir, mut store) = temp_store();
    // The proxy sees a call first, then the log collector reads the same
    // call: one event, and the proxy's source is what counted it.
    let mut live = call("msg_live", 40, 1_000);
    live.provenance = Provenance::Reported;
    live.source = SourceRef::PROXY;
    let mut only_live = call("msg_only_proxy", 7, 2_000);
    only_live.provenance = Provenance::Reported;
    only_live.source = SourceRef::PROXY;
    let summary = store
        .commit_live(vec![live, only_live], Some(("receiver", b"{\"n\":1}")))
        .unwrap();
    assert_eq!(summary.new_calls.len(), 2);
    let again = commit(&mut store, "/a.jsonl", 10, vec![call("msg_live", 40, 900)]);
    assert!(again.new_calls.is_empty());
    assert_eq!(store.counted_calls().unwrap(), 2);
    let by_via: Vec<_> = store
        .calls_by_tool()
        .unwrap()
        .into_iter()
        .map(|r| (r.via, r.provenance, r.calls))
        .collect();
    assert_eq!(by_via, vec![("proxy", Provenance::Reported, 2)]);
    assert_eq!(
        store.live_state("receiver").unwrap().as_deref(),
        Some(&b"{\"n\":1}"[..])
    );
    store
        .commit_live(Vec::new(), Some(("receiver", b"2")))
        .unwrap();
    assert_eq!(
        store.live_state("receiver").unwrap().as_deref(),
        Some(&b"2"[..])
    );
    assert_eq!(store.live_state("nobody").unwrap(), None);
}

#[test]
fn the_live_writer_keeps_accepted_calls_and_the_last_state() {
    let (dir, store) = temp_store();
    let committed = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let seen = committed.clone();
    let writer = live::LiveWriter::spawn(
        store,
        Box::new(|e: &UsageEvent| e.tool != Tool::Codex),
        Box::new(move |s: &CommitSummary| {
            seen.fetch_add(
                s.new_calls.len() as u64,
                std::sync::atomic::Ordering::Relaxed,
            );
        }),
    )
    .unwrap();
    let sink = writer.sink();
    use tokentally_event::EventSink;
    for i in 0..50 {
        sink.record(call(&format!("c{i}"), 1, i));
    }
    let mut dropped = call("codex-call", 1, 0);
    dropped.tool = Tool::Codex;
    sink.record(dropped);
    sink.record_export(vec![call("exported", 1, 60)], "receiver", b"last".to_vec());
    drop(sink);
    let store = writer.close().unwrap();
    assert_eq!(store.counted_calls().unwrap(), 51);
    assert_eq!(committed.load(std::sync::atomic::Ordering::Relaxed), 51);
    assert_eq!(
        store.live_state("receiver").unwrap().as_deref(),
        Some(&b"last"[..])
    );
    drop(store);
    let reopened = Store::open(&dir.path().join("ledger.db")).unwrap();
    assert_eq!(reopened.counted_calls().unwrap(), 51);
}

#[test]
fn calls_inside_a_pause_are_not_counted_from_any_source_however_late_they_are_read() {
    let (dir, mut store) = temp_store();
    store.pause(1_000, Some(2_000)).unwrap();
    let mut live = call("live-in-pause", 5, 1_500);
    live.source = SourceRef::PROXY;
    store
        .commit_live(vec![live, call("live-after", 5, 2_000)], None)
        .unwrap();
    commit(
        &mut store,
        "/a.jsonl",
        10,
        vec![call("log-before", 5, 999), call("log-in-pause", 5, 1_000)],
    );
    assert_eq!(store.counted_calls().unwrap(), 2);
    // An open pause, seen by another connection (another process).
    store.pause(5_000, None).unwrap();
    let mut other = Store::open(&dir.path().join("ledger.db")).unwrap();
    commit(&mut other, "/b.jsonl", 10, vec![call("late", 5, 9_999_999)]);
    assert_eq!(other.counted_calls().unwrap(), 2);
    other.resume(6_000).unwrap();
    commit(
        &mut other,
        "/b.jsonl",
        20,
        vec![call("after-resume", 5, 6_000)],
    );
    assert_eq!(other.counted_calls().unwrap(), 3);
    assert_eq!(
        other.pauses().unwrap(),
        vec![
            Pause {
                start_ms: 1_000,
                end_ms: Some(2_000)
            },
            Pause {
                start_ms: 5_000,
                end_ms: Some(6_000)
            }
        ]
    );
    // A new pause closes one still open.
    other.pause(7_000, None).unwrap();
    other.pause(8_000, Some(9_000)).unwrap();
    let open: Vec<_> = other
        .pauses()
        .unwrap()
        .into_iter()
        .filter(|p| p.end_ms.is_none())
        .collect();
    assert!(open.is_empty(), "{open:?}");
}

#[test]
fn retention_removes_old_calls_with_their_sums_and_keeps_them_out() {
    let (_dir, mut store) = temp_store();
    let day = 86_400_000;
    commit(
        &mut store,
        "/a.jsonl",
        10,
        vec![call("old", 5, 10 * day), call("new", 7, 40 * day)],
    );
    let removed = store.retain_from(30 * day).unwrap();
    assert_eq!(removed, 1);
    assert_eq!(store.counted_calls().unwrap(), 1);
    let sums: u64 = store
        .slots(&SlotQuery::default())
        .unwrap()
        .iter()
        .map(|r| r.tokens.output)
        .sum();
    assert_eq!(sums, 7, "the old call's slot went with it");
    // An old log read again does not bring it back.
    commit(&mut store, "/b.jsonl", 10, vec![call("old", 5, 10 * day)]);
    assert_eq!(store.counted_calls().unwrap(), 1);
}

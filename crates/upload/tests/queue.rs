//! The upload queue against a real ledger file: what is pending, with
//! which revisions, as consent, acknowledgements and late calls change.

use std::time::Duration;

use jiff::tz::TimeZone;
use tokentally_event::{Key, Model, Provenance, Tokens, Tool, UsageEvent};
use tokentally_policy::{Granularity, ModelNames, UploadMode};
use tokentally_store::{ConsentChange, ReceiptEnd, Store};
use tokentally_upload::{Plan, Sink, UploadConfig, UploadError, pending};
use tokentally_wire::UsageBatch;

const DAY: i64 = 86_400_000;
/// 2025-11-30T00:00:00Z, a Sunday.
const T0: i64 = 1_764_460_800_000;

fn call(id: &str, at_ms: i64, output: u64, provenance: Provenance) -> UsageEvent {
    let tokens = Tokens {
        input: 10,
        cache_read: 100,
        cache_write: 5,
        output,
        reasoning: 1,
    };
    UsageEvent::logged(
        Tool::ClaudeCode,
        at_ms,
        Key::of(&[b"session"]),
        Key::of(&[id.as_bytes()]),
        Model::new("claude-sonnet-4-5-20250929"),
        tokens,
    )
    .with_provenance(provenance)
}

fn config(granularity: Granularity) -> UploadConfig {
    UploadConfig {
        mode: UploadMode::OptIn,
        server_url: Some("http://127.0.0.1:9".into()),
        otlp_url: None,
        plan: Plan::new(
            Granularity::Day,
            granularity,
            TimeZone::UTC,
            ModelNames::Family,
        )
        .expect("plan"),
        retention_days: 400,
        interval: Duration::from_secs(3600),
        enrollment_code: None,
    }
}

fn consent(store: &mut Store, at_ms: i64, enabled: bool, from_ms: Option<i64>) {
    store
        .record_consent(&ConsentChange {
            at_ms,
            enabled,
            from_ms,
        })
        .expect("consent");
}

fn batches(store: &Store, config: &UploadConfig, now: i64) -> Vec<UsageBatch> {
    pending(store, config, now)
        .expect("pending")
        .into_iter()
        .map(|(_, p)| serde_json::from_slice(&p.bytes).expect("batch"))
        .collect()
}

/// Marks everything pending as acknowledged, as a receiver would.
fn acknowledge_all(store: &mut Store, config: &UploadConfig, now: i64) {
    for (url, p) in pending(store, config, now).expect("pending") {
        let id = store
            .begin_upload(&p.rows, "server", &url, &p.bytes, &p.sha256, now)
            .expect("begin")
            .expect("no concurrent upload");
        let end = ReceiptEnd {
            outcome: "acknowledged",
            http_status: Some(200),
            ack: Some("a".into()),
            detail: None,
            done_ms: now,
        };
        store
            .end_upload(id, &end, Some(("server", &p.rows)))
            .expect("end");
    }
}

fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("dir");
    let store = Store::open(&dir.path().join("ledger.sqlite")).expect("store");
    (dir, store)
}

#[test]
fn nothing_is_pending_before_consent_or_after_it_is_withdrawn() {
    let (_dir, mut store) = open();
    store
        .commit_live(vec![call("a", T0 + 1000, 50, Provenance::Log)], None)
        .expect("commit");
    let c = config(Granularity::Day);
    assert!(matches!(
        pending(&store, &c, T0 + DAY),
        Err(UploadError::Off(_))
    ));
    consent(&mut store, T0 + 2000, true, None);
    assert_eq!(batches(&store, &c, T0 + DAY).len(), 1);
    consent(&mut store, T0 + 3000, false, None);
    assert!(matches!(
        pending(&store, &c, T0 + DAY),
        Err(UploadError::Off(_))
    ));
    let mut disabled = config(Granularity::Day);
    disabled.mode = UploadMode::Disabled;
    consent(&mut store, T0 + 4000, true, None);
    assert!(matches!(
        pending(&store, &disabled, T0 + DAY),
        Err(UploadError::Off(_))
    ));
}

#[test]
fn by_default_only_calls_from_the_moment_of_consent_are_uploaded() {
    let (_dir, mut store) = open();
    let before = call("before", T0 + 1000, 7, Provenance::Log);
    let after = call("after", T0 + 5000, 50, Provenance::Reported);
    store
        .commit_live(vec![before, after], None)
        .expect("commit");
    consent(&mut store, T0 + 3000, true, Some(T0 + 3000));
    let sent = batches(&store, &config(Granularity::Day), T0 + DAY);
    let b = &sent[0].buckets;
    assert_eq!(b.len(), 1);
    assert_eq!(
        (b[0].output, b[0].calls_reported, b[0].calls_exact),
        (50, 1, 0)
    );
    assert_eq!(b[0].model.as_str(), "claude-sonnet");
    assert_eq!(b[0].start * 1000, T0);
}

#[test]
fn a_late_call_resends_its_bucket_with_the_next_revision_and_new_totals() {
    let (_dir, mut store) = open();
    consent(&mut store, T0, true, None);
    let c = config(Granularity::Day);
    store
        .commit_live(vec![call("a", T0 + 1000, 50, Provenance::Log)], None)
        .expect("commit");
    let first = batches(&store, &c, T0 + DAY);
    assert_eq!(first[0].buckets[0].revision, 1);
    // Preview and send agree: the same bytes twice.
    let again = pending(&store, &c, T0 + DAY).expect("pending");
    assert_eq!(
        serde_json::to_vec(&first[0]).expect("json"),
        again[0].1.bytes
    );
    acknowledge_all(&mut store, &c, T0 + DAY);
    assert!(batches(&store, &c, T0 + DAY).is_empty(), "nothing left");
    // A log read a day late: the same bucket, a higher revision, absolute totals.
    let late = call("late", T0 + 2000, 30, Provenance::Estimated);
    store.commit_live(vec![late], None).expect("commit");
    let second = batches(&store, &c, T0 + 2 * DAY);
    let b = &second[0].buckets[0];
    assert_eq!(
        (b.revision, b.output, b.calls_exact, b.calls_estimated),
        (2, 80, 1, 1)
    );
    // Not acknowledged (the send failed): the same revision goes again.
    let third = batches(&store, &c, T0 + 2 * DAY);
    assert_eq!(third, second);
}

#[test]
fn a_coarser_granularity_zeroes_the_finer_buckets_it_replaces() {
    let (_dir, mut store) = open();
    consent(&mut store, T0, true, None);
    store
        .commit_live(
            vec![
                // Monday and Tuesday of one week.
                call("a", T0 + DAY + 1000, 50, Provenance::Log),
                call("b", T0 + 2 * DAY + 1000, 20, Provenance::Log),
            ],
            None,
        )
        .expect("commit");
    acknowledge_all(&mut store, &config(Granularity::Day), T0 + 3 * DAY);
    let week = batches(&store, &config(Granularity::Week), T0 + 3 * DAY);
    let buckets = &week[0].buckets;
    let days: Vec<_> = buckets
        .iter()
        .filter(|b| b.period.as_str() == "day")
        .collect();
    let weeks: Vec<_> = buckets
        .iter()
        .filter(|b| b.period.as_str() == "week")
        .collect();
    assert_eq!(days.len(), 2);
    assert!(
        days.iter()
            .all(|b| b.revision == 2 && b.output == 0 && b.calls() == 0)
    );
    assert_eq!(weeks.len(), 1);
    assert_eq!((weeks[0].output, weeks[0].calls()), (70, 2));
}

#[test]
fn payloads_are_split_and_every_bucket_is_in_exactly_one() {
    let (_dir, mut store) = open();
    consent(&mut store, 0, true, None);
    let mut calls = Vec::new();
    for day in 0..300 {
        for model in 0..9 {
            let mut e = call(
                &format!("{day}-{model}"),
                T0 - day * DAY,
                10,
                Provenance::Log,
            );
            e.model = Model::new(&format!("model-{model}x"));
            calls.push(e);
        }
    }
    store.commit_live(calls, None).expect("commit");
    let mut c = config(Granularity::Day);
    c.plan = Plan::new(
        Granularity::Day,
        Granularity::Day,
        TimeZone::UTC,
        ModelNames::Full,
    )
    .expect("plan");
    let sent = batches(&store, &c, T0 + DAY);
    assert_eq!(sent.len(), 2, "2,700 buckets in payloads of at most 2,000");
    let total: usize = sent.iter().map(|b| b.buckets.len()).sum();
    assert_eq!(total, 2700);
    assert!(sent.iter().all(|b| b.problems().is_empty()));
    let _ = Sink::Server;
}

#[test]
fn a_revision_prepared_concurrently_with_other_numbers_is_computed_again() {
    let (dir, mut store) = open();
    consent(&mut store, T0, true, None);
    let c = config(Granularity::Day);
    store
        .commit_live(vec![call("a", T0 + 1000, 50, Provenance::Log)], None)
        .expect("commit");
    // Another process prepares revision 1 from the same ledger...
    let mut other = Store::open(&dir.path().join("ledger.sqlite")).expect("store");
    let theirs = pending(&other, &c, T0 + DAY).expect("pending");
    // ...while a new call lands, and this process prepares revision 1 too.
    store
        .commit_live(vec![call("b", T0 + 2000, 5, Provenance::Log)], None)
        .expect("commit");
    let ours = pending(&store, &c, T0 + DAY).expect("pending");
    let (u, p) = &theirs[0];
    assert!(
        other
            .begin_upload(&p.rows, "server", u, &p.bytes, &p.sha256, T0)
            .expect("begin")
            .is_some()
    );
    let (u, p) = &ours[0];
    let raced = store
        .begin_upload(&p.rows, "server", u, &p.bytes, &p.sha256, T0)
        .expect("begin");
    assert_eq!(raced, None, "revision 1 already stands for other numbers");
    let again = batches(&store, &c, T0 + DAY);
    let b = &again[0].buckets[0];
    assert_eq!((b.revision, b.output), (2, 55));
}

//! `POST /v1/usage`: storing, idempotence, and every refusal storing nothing.

use tokentally_event::Tool;
use tokentally_wire::{UsageAck, UsageBatch};

use crate::both;
use crate::support::{Backend, DAY, Env, batch, bucket};

fn a_batch_is_stored_as_sent(backend: Backend) {
    let env = Env::new(backend);
    let dev = env.enroll();
    let sent = batch(vec![
        bucket(DAY, Tool::ClaudeCode, "claude-sonnet-4-5", 1, 1000),
        bucket(DAY, Tool::Codex, "gpt-5-codex", 3, 200),
        bucket(DAY + 86_400, Tool::Codex, "gpt-5-codex", 1, 7),
    ]);
    let r = env.http.upload(&dev.token, &sent);
    assert_eq!(r.status, 200, "{}", r.body);
    let ack: UsageAck = r.json();
    assert_eq!((ack.stored, ack.unchanged), (3, 0));
    assert!(ack.ack.starts_with("ack_"), "{}", ack.ack);

    let stored = env.admin.buckets().expect("buckets");
    assert_eq!(stored.len(), 3);
    let mut expected = sent.buckets.clone();
    expected.sort_by_key(|b| b.key());
    for (s, b) in stored.iter().zip(&expected) {
        assert_eq!(s.device_id, dev.device_id);
        assert_eq!(&s.bucket, b);
    }
}
both!(a_batch_is_stored_as_sent);

fn replays_and_lower_revisions_change_nothing(backend: Backend) {
    let env = Env::new(backend);
    let dev = env.enroll();
    let other = env.enroll();
    let v2 = batch(vec![
        bucket(DAY, Tool::ClaudeCode, "claude-opus-4-1", 2, 500),
        bucket(DAY, Tool::Codex, "gpt-5", 2, 50),
    ]);
    let first: UsageAck = env.http.upload(&dev.token, &v2).json();
    assert_eq!((first.stored, first.unchanged), (2, 0));

    // The very same request again: acknowledged, nothing changes.
    let replay = env.http.upload(&dev.token, &v2);
    assert_eq!(replay.status, 200, "{}", replay.body);
    let replay: UsageAck = replay.json();
    assert_eq!((replay.stored, replay.unchanged), (0, 2));
    assert_ne!(replay.ack, first.ack, "every receipt has its own id");

    // An older revision with other numbers: unchanged, the stored one stays.
    let v1 = batch(vec![bucket(
        DAY,
        Tool::ClaudeCode,
        "claude-opus-4-1",
        1,
        9999,
    )]);
    let r: UsageAck = env.http.upload(&dev.token, &v1).json();
    assert_eq!((r.stored, r.unchanged), (0, 1));
    // Equal revision, different numbers: unchanged too.
    let same_rev = batch(vec![bucket(DAY, Tool::ClaudeCode, "claude-opus-4-1", 2, 1)]);
    let r: UsageAck = env.http.upload(&dev.token, &same_rev).json();
    assert_eq!((r.stored, r.unchanged), (0, 1));
    let stored = env.admin.buckets().expect("buckets");
    assert_eq!(stored.len(), 2);
    let held = stored
        .iter()
        .find(|s| s.bucket.tool.0 == Tool::ClaudeCode)
        .expect("kept");
    assert_eq!((held.bucket.revision, held.bucket.input), (2, 500));

    // A higher revision replaces it; a new key in the same batch is stored.
    let v3 = batch(vec![
        bucket(DAY, Tool::ClaudeCode, "claude-opus-4-1", 3, 800),
        bucket(DAY, Tool::Codex, "gpt-5", 2, 50),
        bucket(DAY + 86_400, Tool::Codex, "gpt-5", 1, 1),
    ]);
    let r: UsageAck = env.http.upload(&dev.token, &v3).json();
    assert_eq!((r.stored, r.unchanged), (2, 1));
    let stored = env.admin.buckets().expect("buckets");
    let held = stored
        .iter()
        .find(|s| s.bucket.tool.0 == Tool::ClaudeCode)
        .expect("kept");
    assert_eq!(held.bucket, v3.buckets[0]);
    assert_eq!(stored.len(), 3);

    // The same key from another device is another bucket.
    let r: UsageAck = env.http.upload(&other.token, &v1).json();
    assert_eq!((r.stored, r.unchanged), (1, 0));
    assert_eq!(env.stored_count(), 4);
}
both!(replays_and_lower_revisions_change_nothing);

fn malformed_uploads_are_400_and_store_nothing(backend: Backend) {
    let env = Env::new(backend);
    let dev = env.enroll();
    let good = String::from_utf8(batch(vec![bucket(DAY, Tool::Codex, "gpt-5", 1, 10)]).to_bytes())
        .expect("utf8");
    let cases: Vec<(String, &str)> = vec![
        ("not json".into(), "expected"),
        ("".into(), "EOF"),
        (
            good.replacen('{', r#"{"note":"x","#, 1),
            "unknown field `note`",
        ),
        (
            good.replacen(r#""start""#, r#""prompt":"x","start""#, 1),
            "buckets[0].prompt: unknown field `prompt`",
        ),
        (
            good.replace(r#""model":"gpt-5""#, r#""model":"fix the bug""#),
            "buckets[0].model",
        ),
        (
            good.replace(r#""tool":"codex""#, r#""tool":"notepad""#),
            "buckets[0].tool",
        ),
        (
            good.replace("tokentally.usage/1", "tokentally.usage/2"),
            "schema",
        ),
        (
            good.replace(r#""input":10"#, r#""input":-10"#),
            "buckets[0].input",
        ),
        (
            good.replace(r#""input":10"#, r#""input":"10""#),
            "buckets[0].input",
        ),
        (good.replace(r#""input":10,"#, ""), "missing field `input`"),
        (
            good.replace(r#""period":"day""#, r#""period":"month""#),
            "buckets[0].period",
        ),
        (format!("{good}{good}"), "trailing"),
        (
            r#"{"schema":"tokentally.usage/1","buckets":{}}"#.into(),
            "buckets",
        ),
    ];
    for (body, names) in cases {
        let r = env
            .http
            .post("/v1/usage", Some(&dev.token), body.as_bytes());
        assert_eq!(r.status, 400, "{body}: {}", r.body);
        let error = r.error();
        assert!(
            error.contains(names),
            "{body}: {error:?} should mention {names:?}"
        );
    }
    assert_eq!(env.stored_count(), 0);
}
both!(malformed_uploads_are_400_and_store_nothing);

fn rule_breaking_batches_are_422_with_every_problem(backend: Backend) {
    let env = Env::new(backend);
    let dev = env.enroll();
    let fine = bucket(DAY, Tool::Codex, "gpt-5", 1, 10);
    let mut misaligned = bucket(DAY + 1, Tool::Codex, "gpt-5", 1, 10);
    misaligned.revision = 0;
    let mut huge = bucket(DAY, Tool::Aider, "gpt-5", 1, 10);
    huge.input = 1 << 60;
    let r = env.http.upload(
        &dev.token,
        &batch(vec![fine.clone(), misaligned, huge, fine]),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    let error = r.error();
    for p in [
        "buckets[1].start is not a whole quarter hour",
        "buckets[1].revision must be at least 1",
        "buckets[2].input is over 2^53 - 1",
        "buckets[3] repeats an earlier bucket",
    ] {
        assert!(error.contains(p), "{error}");
    }
    let r = env.http.upload(&dev.token, &UsageBatch::new(vec![]));
    assert_eq!(r.status, 422);
    assert_eq!(r.error(), "buckets is empty");
    // The good bucket of the refused batch was not stored either.
    assert_eq!(env.stored_count(), 0);
}
both!(rule_breaking_batches_are_422_with_every_problem);

fn oversized_bodies_are_413(backend: Backend) {
    let env = Env::new(backend);
    let dev = env.enroll();
    // Valid JSON padded with whitespace past 1 MiB.
    let mut body = batch(vec![bucket(DAY, Tool::Codex, "gpt-5", 1, 10)]).to_bytes();
    body.extend(std::iter::repeat_n(b' ', 1024 * 1024));
    let r = env.http.post("/v1/usage", Some(&dev.token), &body);
    assert_eq!(r.status, 413, "{}", r.body);
    assert!(r.error().contains("larger than 1048576 bytes"));
    // Just under the limit is read (and stored).
    body.truncate(1024 * 1024);
    let r = env.http.post("/v1/usage", Some(&dev.token), &body);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(env.stored_count(), 1);

    let small = Env::with(backend, |c| c.max_body_bytes = 300);
    let dev = small.enroll();
    let many: Vec<_> = (0..10)
        .map(|i| bucket(DAY + i * 900, Tool::Codex, "gpt-5", 1, 1))
        .collect();
    let r = small.http.upload(&dev.token, &batch(many));
    assert_eq!(r.status, 413, "{}", r.body);
    assert_eq!(small.stored_count(), 0);
}
both!(oversized_bodies_are_413);

fn unauthenticated_uploads_are_401(backend: Backend) {
    let env = Env::new(backend);
    let dev = env.enroll();
    let admin_token = env.admin.issue_admin_token("ana").expect("admin");
    let body = batch(vec![bucket(DAY, Tool::Codex, "gpt-5", 1, 10)]).to_bytes();
    let r = env.http.post("/v1/usage", None, &body);
    assert_eq!(r.status, 401);
    assert_eq!(r.error(), "missing bearer token");
    for token in [
        "ttd_forged",
        &dev.token[..dev.token.len() - 1],
        &admin_token,
        &dev.device_id,
    ] {
        let r = env.http.post("/v1/usage", Some(token), &body);
        assert_eq!(r.status, 401, "{token}");
        assert_eq!(r.error(), "unknown or revoked device token");
    }
    assert_eq!(env.stored_count(), 0);
}
both!(unauthenticated_uploads_are_401);

fn revoked_devices_are_401(backend: Backend) {
    let env = Env::new(backend);
    let dev = env.enroll();
    let keep = env.enroll();
    let b = batch(vec![bucket(DAY, Tool::Codex, "gpt-5", 1, 10)]);
    assert_eq!(env.http.upload(&dev.token, &b).status, 200);
    env.admin.revoke(&dev.device_id).expect("revoke");
    assert!(env.admin.revoke("dev_nope").is_err());

    let b2 = batch(vec![bucket(DAY, Tool::Codex, "gpt-5", 2, 99)]);
    let r = env.http.upload(&dev.token, &b2);
    assert_eq!(r.status, 401);
    let r = env.http.delete(
        &format!("/v1/devices/{}/usage", dev.device_id),
        Some(&dev.token),
    );
    assert_eq!(r.status, 401);
    let stored = env.admin.buckets().expect("buckets");
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0].bucket.revision, 1,
        "the revoked upload changed nothing"
    );
    assert!(
        env.admin
            .devices()
            .expect("devices")
            .iter()
            .any(|d| d.id == dev.device_id && d.revoked_ms.is_some())
    );
    // Other devices are untouched.
    assert_eq!(env.http.upload(&keep.token, &b2).status, 200);
}
both!(revoked_devices_are_401);

fn the_rate_limit_is_429_with_retry_after(backend: Backend) {
    let env = Env::with(backend, |c| c.device_requests_per_minute = 3);
    let dev = env.enroll();
    let other = env.enroll();
    for i in 0..3 {
        let r = env.http.upload(
            &dev.token,
            &batch(vec![bucket(DAY + i * 900, Tool::Codex, "m", 1, 1)]),
        );
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let r = env.http.upload(
        &dev.token,
        &batch(vec![bucket(DAY + 9000, Tool::Codex, "m", 1, 1)]),
    );
    assert_eq!(r.status, 429);
    let wait: u64 = r
        .retry_after
        .as_deref()
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&wait), "{wait}");
    assert!(r.error().contains("rate limit"));
    assert_eq!(env.stored_count(), 3, "the refused upload stored nothing");
    // Per device: another device is not held back.
    let r = env.http.upload(
        &other.token,
        &batch(vec![bucket(DAY, Tool::Codex, "m", 1, 1)]),
    );
    assert_eq!(r.status, 200);
}
both!(the_rate_limit_is_429_with_retry_after);

//! `POST /v1/enroll` and `GET /v1/health`.

use std::time::Duration;

use tokentally_wire::EnrollReply;

use crate::both;
use crate::support::{Backend, Env, enroll_body};

fn health_is_ok(backend: Backend) {
    let env = Env::new(backend);
    let r = env.http.get("/v1/health", None);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json::<serde_json::Value>(),
        serde_json::json!({"status": "ok"})
    );
    let r = env.http.get("/v1/nothing-here", None);
    assert_eq!(r.status, 404);
    assert_eq!(r.error(), "no such endpoint");
}
both!(health_is_ok);

/// A server and a single-use code valid for ten minutes.
fn env_with_code(backend: Backend) -> (Env, String) {
    let env = Env::new(backend);
    let code = env
        .admin
        .issue_code(Duration::from_secs(600))
        .expect("code");
    (env, code)
}

fn a_code_enrolls_exactly_once(backend: Backend) {
    let (env, code) = env_with_code(backend);
    let first = env.http.post("/v1/enroll", None, &enroll_body(&code));
    assert_eq!(first.status, 200, "{}", first.body);
    let reply: EnrollReply = first.json();
    assert!(reply.device_id.starts_with("dev_"));
    // 256 random bits, base64url, after the prefix.
    assert_eq!(reply.token.len(), 4 + 43, "{}", reply.token);

    let again = env.http.post("/v1/enroll", None, &enroll_body(&code));
    assert_eq!(again.status, 403);
    assert!(again.error().contains("already used"), "{}", again.body);
    let devices = env.admin.devices().expect("devices");
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0].id, reply.device_id);

    // The token works.
    let r = env.http.get(
        &format!("/v1/devices/{}/access-log", reply.device_id),
        Some(&reply.token),
    );
    assert_eq!(r.status, 200, "{}", r.body);
}
both!(a_code_enrolls_exactly_once);

fn bad_codes_and_bodies_enroll_nothing(backend: Backend) {
    let env = Env::new(backend);
    let expired = env
        .admin
        .issue_code(Duration::from_millis(1))
        .expect("code");
    std::thread::sleep(Duration::from_millis(20));
    let live = env
        .admin
        .issue_code(Duration::from_secs(600))
        .expect("code");
    for (body, status) in [
        (enroll_body(&expired), 403),
        (enroll_body("ttc_not-a-code"), 403),
        (enroll_body(""), 403),
        (b"not json".to_vec(), 400),
        (br#"{"code":"x","device":"mine"}"#.to_vec(), 400),
        (br#"{}"#.to_vec(), 400),
        (format!(r#"{{"code":"{live}"}} trailing"#).into_bytes(), 400),
        (
            format!(r#"{{"code":"{}"}}"#, "x".repeat(5000)).into_bytes(),
            413,
        ),
    ] {
        let r = env.http.post("/v1/enroll", None, &body);
        assert_eq!(
            r.status,
            status,
            "{}",
            String::from_utf8_lossy(&body[..body.len().min(80)])
        );
        assert!(!r.error().is_empty());
    }
    let r = env
        .http
        .post("/v1/enroll", None, br#"{"code":"x","device":"mine"}"#);
    assert!(r.error().contains("unknown field `device`"), "{}", r.body);
    assert!(env.admin.devices().expect("devices").is_empty());
    // The live code was not consumed by the malformed request that carried it.
    let r = env.http.post("/v1/enroll", None, &enroll_body(&live));
    assert_eq!(r.status, 200, "{}", r.body);
}
both!(bad_codes_and_bodies_enroll_nothing);

/// `n` enrollments with one code at once: each reply's status and body.
fn race(env: &Env, code: &str, n: usize) -> Vec<(u16, String)> {
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|_| {
                s.spawn(|| {
                    let r = env.http.post("/v1/enroll", None, &enroll_body(code));
                    (r.status, r.body)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    })
}

fn racing_enrollments_share_one_code(backend: Backend) {
    let (env, code) = env_with_code(backend);
    let statuses: Vec<u16> = race(&env, &code, 8).iter().map(|r| r.0).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 403).count(),
        7,
        "{statuses:?}"
    );
    assert_eq!(env.admin.devices().expect("devices").len(), 1);
}
both!(racing_enrollments_share_one_code);

fn a_fleet_code_enrolls_as_many_devices_as_it_was_issued_for(backend: Backend) {
    let env = Env::new(backend);
    let code = env
        .admin
        .issue_fleet_code(5, Duration::from_secs(600))
        .expect("code");
    let replies = race(&env, &code, 8);
    let statuses: Vec<u16> = replies.iter().map(|r| r.0).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 403).count(),
        3,
        "{statuses:?}"
    );
    // Five devices, each with its own id and token.
    let mut ids: Vec<String> = replies
        .iter()
        .filter(|r| r.0 == 200)
        .map(|r| {
            serde_json::from_str::<EnrollReply>(&r.1)
                .expect("reply")
                .device_id
        })
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 5);
    assert_eq!(env.admin.devices().expect("devices").len(), 5);
}
both!(a_fleet_code_enrolls_as_many_devices_as_it_was_issued_for);

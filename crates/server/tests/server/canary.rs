//! Text never reaches the database: payloads carrying a canary in any place
//! text could hide are refused, and the canary is then searched for in every
//! byte SQLite wrote and every row PostgreSQL holds.

use std::time::Duration;

use tokentally_event::Tool;

use crate::both;
use crate::support::{Backend, DAY, Env, batch, bucket, enroll_body};

const CANARY: &str = "CANARY-7f3a9c do not store this prompt";
/// The part searched for: unique, and without the spaces that make the
/// full canary an invalid model name (a test of the scan, below, stores it).
const NEEDLE: &str = "CANARY-7f3a9c";

fn no_canary_is_ever_stored(backend: Backend) {
    let env = Env::new(backend);
    let dev = env.enroll();
    let good = String::from_utf8(batch(vec![bucket(DAY, Tool::Codex, "gpt-5", 1, 10)]).to_bytes())
        .expect("utf8");
    let quoted = serde_json::to_string(CANARY).expect("json");
    let bodies = [
        good.replacen('{', &format!(r#"{{"note":{quoted},"#), 1),
        good.replacen(r#""start""#, &format!(r#""prompt":{quoted},"start""#), 1),
        good.replacen(
            r#""start""#,
            &format!(r#""meta":{{"text":{quoted}}},"start""#),
            1,
        ),
        good.replacen(r#""start""#, &format!(r#""session":[{quoted}],"start""#), 1),
        good.replace(r#""model":"gpt-5""#, &format!(r#""model":{quoted}"#)),
        good.replace(
            r#""model":"gpt-5""#,
            &format!(r#""model":"gpt-5","model":{quoted}"#),
        ),
        good.replace(
            r#""model":"gpt-5""#,
            &format!(r#""model":"{}""#, "x".repeat(97) + NEEDLE),
        ),
        good.replace(r#""tool":"codex""#, &format!(r#""tool":{quoted}"#)),
        good.replace(r#""tool":"codex""#, &format!(r#""tool":"{NEEDLE}""#)),
        good.replace("tokentally.usage/1", CANARY),
        good.replace(r#""input":10"#, &format!(r#""input":{quoted}"#)),
        format!(r#"{{"schema":"tokentally.usage/1","buckets":[],"x":{quoted}}}"#),
    ];
    for body in &bodies {
        let r = env
            .http
            .post("/v1/usage", Some(&dev.token), body.as_bytes());
        assert!(
            (400..500).contains(&r.status),
            "{body}: {} {}",
            r.status,
            r.body
        );
    }
    // Everywhere else a request can carry text: codes, tokens, URLs.
    let r = env.http.post("/v1/enroll", None, &enroll_body(CANARY));
    assert_eq!(r.status, 403);
    let r = env.http.post("/v1/usage", Some(NEEDLE), good.as_bytes());
    assert_eq!(r.status, 401);
    let r = env
        .http
        .delete(&format!("/v1/devices/{NEEDLE}/usage"), Some(&dev.token));
    assert_eq!(r.status, 403);
    let admin = env.admin.issue_admin_token("ana").expect("admin");
    let r = env.http.get(
        &format!("/v1/reports?by=team&from=0&to=1&{NEEDLE}=1"),
        Some(&admin),
    );
    assert_eq!(r.status, 400);
    assert!(env.admin.assign(&dev.device_id, CANARY, "t").is_err());
    assert!(env.admin.issue_admin_token(CANARY).is_err());
    // A valid upload and a code so the tables are not empty.
    assert_eq!(
        env.http
            .post("/v1/usage", Some(&dev.token), good.as_bytes())
            .status,
        200
    );
    env.admin.issue_code(Duration::from_secs(60)).expect("code");

    let stored = env.db.everything_stored();
    assert!(
        !contains(&stored, NEEDLE.as_bytes()),
        "the canary reached the {backend:?} database"
    );
    assert!(!contains(&stored, NEEDLE.to_lowercase().as_bytes()));
    // The scan sees what is stored: a model label is stored, and found.
    assert!(contains(&stored, b"gpt-5"), "the scan missed stored data");
    let marker = "canary-probe-model";
    let probe = batch(vec![bucket(DAY, Tool::Codex, marker, 1, 1)]);
    assert_eq!(env.http.upload(&dev.token, &probe).status, 200);
    assert!(contains(&env.db.everything_stored(), marker.as_bytes()));
}
both!(no_canary_is_ever_stored);

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

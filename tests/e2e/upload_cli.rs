//! The upload as an employee runs it: `tokentally enroll`, `upload enable`,
//! `preview --json`, `upload now`, `uploads`, `export`, `data delete`, and
//! the agent uploading on its own, against the reference server, with the
//! device token in a real Secret Service (gnome-keyring on a private
//! D-Bus session: `.ci/run` starts one). Prompts in the logs carry canary
//! strings, found in no payload, receipt, export or server database.

use std::{
    process::{Child, Stdio},
    time::{Duration, Instant},
};

use tokentally_server::{BlockingAdmin, RunningServer, ServerConfig};
use tokentally_store::Store;
use tokentally_upload::{Keychain, TokenVault, account};

use crate::{
    fault_relay::Relay,
    support::{Fixture, contains, files_under},
};

const CANARY: &[u8] = b"TTCANARY";

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn ledger_totals(f: &Fixture) -> (u64, u64) {
    let store = Store::open(&f.data().join("tokentally.db")).unwrap();
    let mut sums = (0, 0);
    store
        .each_counted(i64::MIN, &mut |c| {
            sums.0 += c.tokens.total();
            sums.1 += 1;
        })
        .unwrap();
    sums
}

fn server_totals(admin: &BlockingAdmin) -> (u64, u64) {
    admin.buckets().unwrap().iter().fold((0, 0), |acc, s| {
        let b = &s.bucket;
        (
            acc.0 + b.input + b.cache_read + b.cache_write + b.output,
            acc.1 + b.calls(),
        )
    })
}

#[test]
#[ignore = "needs a Secret Service on the session bus: .ci/run runs it inside dbus-run-session"]
fn an_employee_enrolls_previews_uploads_exports_and_deletes() {
    let f = Fixture::generated(31, 2);
    assert!(
        files_under(&f.home())
            .iter()
            .any(|(_, b)| contains(b, CANARY))
    );
    let db = f.dir.path().join("server.sqlite");
    let server = RunningServer::start(ServerConfig::loopback(db.display().to_string())).unwrap();
    let relay = Relay::start(server.addr());
    let admin = BlockingAdmin::open(&db.display().to_string()).unwrap();
    let code = admin.issue_code(Duration::from_secs(600)).unwrap();
    let policy = f.dir.path().join("policy.json");
    std::fs::write(
        &policy,
        serde_json::json!({
            "upload": "opt-in", "server_url": relay.url(), "enrollment_code": code,
            "timezone": "UTC", "model_names": "full",
        })
        .to_string(),
    )
    .unwrap();
    let run = |args: &[&str]| {
        let out = f
            .command(args)
            .env("TOKENTALLY_POLICY", &policy)
            .output()
            .unwrap();
        (out.status.success(), out.stdout, out.stderr)
    };
    let outputs = std::cell::RefCell::new(Vec::new());
    let ok = |args: &[&str]| {
        let (success, stdout, stderr) = run(args);
        assert!(success, "{args:?}: {}", String::from_utf8_lossy(&stderr));
        outputs.borrow_mut().push(stderr);
        outputs.borrow_mut().push(stdout.clone());
        stdout
    };

    ok(&["scan"]);
    let before = String::from_utf8(ok(&["preview"])).unwrap();
    assert!(before.contains("uploads are off"), "{before}");
    assert_eq!(relay.connections(), 0);
    ok(&["enroll"]);
    assert_eq!(relay.connections(), 1, "enrollment only");
    let (success, _, stderr) = run(&["upload", "now"]);
    assert!(!success && String::from_utf8_lossy(&stderr).contains("uploads are off"));
    assert_eq!(relay.connections(), 1, "nothing sent before consent");

    ok(&["upload", "enable", "--include-past"]);
    let preview = ok(&["preview", "--json"]);
    ok(&["upload", "now"]);
    let sent: Vec<u8> = relay
        .bodies()
        .into_iter()
        .filter(|(line, _)| line.starts_with("POST /v1/usage"))
        .flat_map(|(_, mut body)| {
            body.push(b'\n');
            body
        })
        .collect();
    assert_eq!(sent, preview, "the upload is the preview, byte for byte");
    assert_eq!(
        server_totals(&admin),
        ledger_totals(&f),
        "server totals = ledger"
    );

    let receipts: serde_json::Value = serde_json::from_slice(&ok(&["uploads", "--json"])).unwrap();
    let first = &receipts[0];
    assert_eq!(first["outcome"], "acknowledged");
    let shown = ok(&["uploads", "show", &first["id"].to_string()]);
    assert!(
        preview.starts_with(&shown),
        "uploads show prints the bytes sent"
    );
    // Who at the company read this device's data: nobody, then an export.
    let readers = ["uploads", "readers", "--json"];
    let log: serde_json::Value = serde_json::from_slice(&ok(&readers)).unwrap();
    assert_eq!(log["entries"], serde_json::json!([]));
    admin.export("people-analytics").unwrap();
    let log: serde_json::Value = serde_json::from_slice(&ok(&readers)).unwrap();
    assert_eq!(log["state"], "ok");
    assert_eq!(log["entries"][0]["who"], "people-analytics");
    let export_json = ok(&["export", "--format", "json"]);
    let export: serde_json::Value = serde_json::from_slice(&export_json).unwrap();
    assert_eq!(
        export["calls"].as_array().unwrap().len() as u64,
        ledger_totals(&f).1
    );
    let csv = String::from_utf8(ok(&["export", "--format", "csv"])).unwrap();
    assert!(csv.starts_with("time_utc,tool,model,input,"));
    assert_eq!(csv.lines().count() as u64, ledger_totals(&f).1 + 1);

    // The agent uploads a new call by itself.
    let calls_before = ledger_totals(&f).1;
    let log = f.home().join(".claude/projects/upload/s.jsonl");
    std::fs::create_dir_all(log.parent().unwrap()).unwrap();
    let agent = Killed(
        f.command(&["agent", "--no-live", "--upload-every", "1"])
            .env("TOKENTALLY_POLICY", &policy)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let line = crate::watch::call_line("msg_upload_agent", "TTCANARY-agent-text");
    std::fs::write(&log, line).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let uploaded = loop {
        let (ledger, server) = (ledger_totals(&f), server_totals(&admin));
        if ledger == server && ledger.1 > calls_before {
            break true;
        }
        if Instant::now() > deadline {
            break false;
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    drop(agent);
    assert!(
        uploaded,
        "the agent uploaded the new call: {:?} vs {:?}",
        ledger_totals(&f),
        server_totals(&admin)
    );

    // The token: in the keychain, in no file under the data dir, in no output.
    let device = admin.devices().unwrap()[0].id.clone();
    let token = Keychain::platform()
        .unwrap()
        .get(&account(&device, &relay.url()))
        .unwrap()
        .expect("the token is in the Secret Service");
    for (path, bytes) in files_under(&f.data()) {
        assert!(!contains(&bytes, token.as_bytes()), "token in {path:?}");
        assert!(!contains(&bytes, CANARY), "canary in {path:?}");
    }
    for out in outputs.borrow().iter() {
        assert!(!contains(out, token.as_bytes()), "token in an output");
        assert!(!contains(out, CANARY), "canary in an output");
    }
    for (_, body) in relay.bodies() {
        assert!(!contains(&body, CANARY), "canary sent");
    }
    for path in [db.clone(), db.with_extension("sqlite-wal")] {
        if let Ok(bytes) = std::fs::read(&path) {
            assert!(!contains(&bytes, CANARY), "canary in the server's {path:?}");
        }
    }

    // Delete: the server forgets this device's buckets, the ledger its calls.
    ok(&["data", "delete", "--yes"]);
    assert_eq!(server_totals(&admin), (0, 0));
    assert_eq!(ledger_totals(&f), (0, 0));
    let status: serde_json::Value =
        serde_json::from_slice(&ok(&["upload", "status", "--json"])).unwrap();
    assert_eq!(status["on"], false);
}

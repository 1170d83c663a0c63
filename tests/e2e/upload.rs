//! Uploads against the reference server on loopback, through a relay that
//! injects faults: after each fault the server's totals equal the ledger's.

use std::{collections::BTreeMap, path::PathBuf, time::Duration};

use jiff::{Timestamp, tz::TimeZone};
use tokentally_event::{Key, Model, Provenance, Tokens, Tool, UsageEvent};
use tokentally_policy::{Granularity, ModelNames, UploadMode};
use tokentally_server::{BlockingAdmin, RunningServer, ServerConfig};
use tokentally_store::{ConsentChange, Store};
use tokentally_upload::{
    BucketId, Consent, CycleReport, Http, MemoryVault, Plan, UploadConfig, UploadError, current,
    delete_remote, enroll, pending, upload_cycle,
};

use crate::fault_relay::{Fault, Relay};

const DAY: i64 = 86_400_000;

struct World {
    dir: tempfile::TempDir,
    relay: Relay,
    admin: BlockingAdmin,
    store: Store,
    vault: MemoryVault,
    http: Http,
    config: UploadConfig,
    calls: u64,
    _server: RunningServer,
}

fn now() -> i64 {
    Timestamp::now().as_millisecond()
}

/// One call counted now from a tool's log, keyed by `id`.
fn logged_now(tool: Tool, id: &str, model: &str, tokens: Tokens) -> UsageEvent {
    UsageEvent::logged(
        tool,
        now(),
        Key::of(&[b"s"]),
        Key::of(&[id.as_bytes()]),
        Model::new(model),
        tokens,
    )
    .with_provenance(Provenance::Log)
}

impl World {
    fn new(consent: bool) -> World {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("server.sqlite").display().to_string();
        let server = RunningServer::start(ServerConfig::loopback(db.clone())).unwrap();
        let relay = Relay::start(server.addr());
        let admin = BlockingAdmin::open(&db).unwrap();
        let mut store = Store::open(&dir.path().join("ledger.sqlite")).unwrap();
        let config = UploadConfig {
            mode: UploadMode::OptIn,
            server_url: Some(relay.url()),
            otlp_url: None,
            plan: Plan::new(
                Granularity::Day,
                Granularity::Day,
                TimeZone::UTC,
                ModelNames::Full,
            )
            .unwrap(),
            retention_days: 400,
            interval: Duration::from_secs(3600),
            enrollment_code: None,
        };
        let vault = MemoryVault::default();
        let http = Http::new().unwrap();
        let code = admin.issue_code(Duration::from_secs(3600)).unwrap();
        enroll(&mut store, &vault, &http, &relay.url(), &code, now()).unwrap();
        let mut w = World {
            dir,
            relay,
            admin,
            store,
            vault,
            http,
            config,
            calls: 0,
            _server: server,
        };
        if consent {
            w.consent(true, None);
        }
        w
    }

    fn consent(&mut self, enabled: bool, from_ms: Option<i64>) {
        let change = ConsentChange {
            at_ms: now(),
            enabled,
            from_ms,
        };
        self.store.record_consent(&change).unwrap();
    }

    /// `n` calls spread over the last `days` days, several tools and models.
    fn add_calls(&mut self, n: u64, days: i64) {
        let tools = [
            Tool::ClaudeCode,
            Tool::Codex,
            Tool::GeminiCli,
            Tool::ApiOther,
        ];
        let models = ["claude-sonnet-4-5", "gpt-5.2-codex", "gemini-2.5-pro"];
        let mut events = Vec::new();
        for i in 0..n {
            self.calls += 1;
            let id = self.calls;
            let at = now() - (id as i64 * 7_919_000) % (days * DAY) - 1000;
            let tokens = Tokens {
                input: 100 + id,
                cache_read: 1000 + 3 * id,
                cache_write: 10 + id % 7,
                output: 50 + 2 * id,
                reasoning: id % 5,
            };
            let provenance =
                [Provenance::Log, Provenance::Reported, Provenance::Estimated][(i % 3) as usize];
            events.push(
                UsageEvent::logged(
                    tools[(id % 4) as usize],
                    at,
                    Key::of(&[b"s"]),
                    Key::of(&[format!("call-{id}").as_bytes()]),
                    Model::new(models[(id % 3) as usize]),
                    tokens,
                )
                .with_provenance(provenance),
            );
        }
        self.store.commit_live(events, None).unwrap();
    }

    fn cycle(&mut self) -> Result<CycleReport, UploadError> {
        upload_cycle(
            &mut self.store,
            &self.config,
            &self.vault,
            &self.http,
            now(),
        )
    }

    fn upload_until_done(&mut self) {
        for _ in 0..10 {
            if self.cycle().unwrap().retry.is_none() {
                return;
            }
        }
        panic!("still failing after 10 cycles");
    }

    /// Every bucket the server holds: its numbers and revision, by id.
    fn server_rows(&self) -> BTreeMap<BucketId, ([u64; 8], u64)> {
        self.admin
            .buckets()
            .unwrap()
            .into_iter()
            .map(|s| {
                let b = s.bucket;
                let key = (
                    b.start,
                    b.period.as_str().to_owned(),
                    b.tool.0.as_str().to_owned(),
                    b.model.as_str().to_owned(),
                );
                let n = [
                    b.input,
                    b.cache_read,
                    b.cache_write,
                    b.output,
                    b.reasoning,
                    b.calls_exact,
                    b.calls_reported,
                    b.calls_estimated,
                ];
                (key, (n, b.revision))
            })
            .collect()
    }

    fn server_revisions(&self) -> BTreeMap<BucketId, u64> {
        self.server_rows()
            .into_iter()
            .map(|(k, (_, r))| (k, r))
            .collect()
    }

    fn server_buckets(&self) -> BTreeMap<BucketId, [u64; 8]> {
        self.server_rows()
            .into_iter()
            .map(|(k, (n, _))| (k, n))
            .collect()
    }

    /// The server holds exactly the ledger's buckets, and their sum is
    /// every counted call's tokens.
    fn assert_exact(&self, when: &str) {
        let consent = Consent::new(&self.store.consent().unwrap());
        let from = self.config.recompute_from_ms(now());
        let local = current(&self.store, &self.config.plan, &consent, from).unwrap();
        let server: BTreeMap<_, _> = self
            .server_buckets()
            .into_iter()
            .filter(|(_, n)| n.iter().any(|v| *v > 0))
            .collect();
        assert_eq!(server, local, "{when}: buckets differ");
        let mut ledger = [0u64; 2];
        self.store
            .each_counted(i64::MIN, &mut |c| {
                ledger[0] += c.tokens.total();
                ledger[1] += 1;
            })
            .unwrap();
        let on_server = server.values().fold([0u64; 2], |acc, n| {
            [
                acc[0] + n[0] + n[1] + n[2] + n[3],
                acc[1] + n[5] + n[6] + n[7],
            ]
        });
        assert_eq!(on_server, ledger, "{when}: tokens and calls");
    }

    fn ledger_path(&self) -> PathBuf {
        self.dir.path().join("ledger.sqlite")
    }
}

#[test]
fn totals_stay_exact_through_every_fault() {
    let mut w = World::new(true);
    w.add_calls(40, 10);
    w.upload_until_done();
    w.assert_exact("first upload");

    let faults: [(&str, Fault); 5] = [
        ("server down", Fault::Down),
        ("500", Fault::Status(500, None)),
        ("429 with Retry-After", Fault::Status(429, Some(7))),
        ("connection cut mid-body", Fault::CutRequest),
        ("reply lost after the server committed", Fault::LoseReply),
    ];
    for (name, fault) in faults {
        w.add_calls(25, 10);
        w.relay.push(&[fault]);
        let report = w.cycle().unwrap();
        let (after, detail) = report
            .retry
            .unwrap_or_else(|| panic!("{name}: not retried"));
        if name.starts_with("429") {
            assert_eq!(after, Some(Duration::from_secs(7)), "{name}: Retry-After");
        }
        assert!(!detail.is_empty());
        w.upload_until_done();
        w.assert_exact(name);
    }

    // Killed between send and receipt: the bytes went, the ledger never
    // heard back. The next run sends the same revisions again.
    w.add_calls(25, 10);
    let sent = pending(&w.store, &w.config, now()).unwrap();
    let (url, p) = &sent[0];
    let id = w
        .store
        .begin_upload(&p.rows, "server", url, &p.bytes, &p.sha256, now())
        .unwrap()
        .unwrap();
    let token = w
        .vault_token()
        .expect("enrolled device has a token in the vault");
    let reply = w
        .http
        .post_json(&format!("{url}/v1/usage"), Some(&token), p.bytes.clone());
    assert!(matches!(reply, tokentally_upload::Reply::Ok { .. }));
    let reopened = Store::open(&w.ledger_path()).unwrap();
    drop(std::mem::replace(&mut w.store, reopened));
    assert_eq!(w.store.receipt(id).unwrap().unwrap().outcome, "sending");
    w.upload_until_done();
    w.assert_exact("killed between send and receipt");

    // A call read late, into a bucket the server already holds.
    let before = w.server_buckets();
    let revisions_before = w.server_revisions();
    w.add_calls(1, 3);
    w.upload_until_done();
    w.assert_exact("late call");
    let after = w.server_buckets();
    let changed: Vec<_> = after
        .iter()
        .filter(|(k, n)| before.get(*k) != Some(n))
        .map(|(k, _)| k.clone())
        .collect();
    assert_eq!(changed.len(), 1, "one bucket changed");
    let (was, now) = (
        revisions_before.get(&changed[0]),
        w.server_revisions()[&changed[0]],
    );
    assert!(
        was.is_some_and(|was| now > *was),
        "a later revision of a known bucket"
    );

    // Every attempt has a receipt holding the bytes it sent.
    let receipts = w.store.receipts().unwrap();
    assert!(receipts.len() >= 13, "{}", receipts.len());
    for r in &receipts {
        assert_eq!(tokentally_upload::hex(&sha(&r.payload)), r.sha256);
    }
    let outcomes: Vec<&str> = receipts.iter().map(|r| r.outcome.as_str()).collect();
    assert_eq!(
        outcomes.iter().filter(|o| **o == "failed").count(),
        5,
        "{outcomes:?}"
    );
    assert!(
        receipts
            .iter()
            .filter(|r| r.outcome == "acknowledged")
            .all(|r| r.ack.is_some())
    );
}

fn sha(bytes: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).to_vec()
}

impl World {
    fn vault_token(&self) -> Option<String> {
        use tokentally_upload::TokenVault;
        let server = self.relay.url();
        let device = self.store.enrollment(&server).unwrap()?.device_id;
        self.vault
            .get(&tokentally_upload::account(&device, &server))
            .unwrap()
    }
}

#[test]
fn nothing_leaves_before_consent_or_after_it_is_withdrawn() {
    let mut w = World::new(false);
    let after_enrollment = w.relay.connections();
    w.add_calls(10, 5);
    assert!(matches!(w.cycle(), Err(UploadError::Off(_))));
    assert_eq!(
        w.relay.connections(),
        after_enrollment,
        "no connection before consent"
    );
    assert!(w.server_buckets().is_empty());

    // Default consent: from now on. The earlier calls stay here.
    w.consent(true, Some(now()));
    assert_eq!(
        w.cycle().unwrap(),
        CycleReport::default(),
        "nothing to send yet"
    );
    assert!(w.server_buckets().is_empty());
    std::thread::sleep(Duration::from_millis(5));
    let e = logged_now(
        Tool::ClaudeCode,
        "after-consent",
        "claude-opus-4-1",
        Tokens {
            input: 1,
            cache_read: 2,
            cache_write: 3,
            output: 4,
            reasoning: 0,
        },
    );
    w.store.commit_live(vec![e], None).unwrap();
    w.upload_until_done();
    let server = w.server_buckets();
    assert_eq!(server.len(), 1);
    assert_eq!(server.values().next().unwrap(), &[1, 2, 3, 4, 0, 1, 0, 0]);

    w.consent(false, None);
    let connections = w.relay.connections();
    w.add_calls(10, 1);
    assert!(matches!(w.cycle(), Err(UploadError::Off(_))));
    assert_eq!(
        w.relay.connections(),
        connections,
        "no connection after withdrawal"
    );
}

#[test]
fn the_server_receives_the_previewed_bytes_and_can_be_asked_to_delete_them() {
    let mut w = World::new(true);
    w.add_calls(30, 20);
    let preview: Vec<Vec<u8>> = pending(&w.store, &w.config, now())
        .unwrap()
        .into_iter()
        .map(|(_, p)| p.bytes)
        .collect();
    w.upload_until_done();
    let received: Vec<Vec<u8>> = w
        .relay
        .bodies()
        .into_iter()
        .filter(|(line, _)| line.starts_with("POST /v1/usage"))
        .map(|(_, body)| body)
        .collect();
    assert_eq!(
        received, preview,
        "the server got the preview, byte for byte"
    );
    let receipts = w.store.receipts().unwrap();
    assert_eq!(receipts.last().unwrap().payload, preview[0]);

    let server = w.relay.url();
    let deleted = delete_remote(&w.store, &w.vault, &w.http, &server).unwrap();
    assert!(deleted > 0);
    assert!(w.server_buckets().is_empty());
    let gone = w.store.delete_usage_data(now()).unwrap();
    assert_eq!(gone.calls, 30);
    assert!(
        matches!(w.cycle(), Err(UploadError::Off(_))),
        "deleting turns uploads off"
    );
}

/// The OTLP sink: the same buckets as cumulative histogram points. A
/// collector that keeps the newest point of each series run holds exactly
/// the ledger's totals, a late call included.
#[test]
fn the_otlp_export_carries_the_same_totals_as_cumulative_runs() {
    let mut w = World::new(true);
    let collector = Relay::start("127.0.0.1:9".parse().unwrap());
    collector.push(&[Fault::Status(200, None); 10]);
    w.config.server_url = None;
    w.config.otlp_url = Some(format!("{}/v1/metrics", collector.url()));
    w.add_calls(20, 5);
    w.upload_until_done();
    w.add_calls(1, 2);
    w.upload_until_done();
    // Newest value per series run (attributes + start time).
    let mut runs: BTreeMap<String, (String, u64)> = BTreeMap::new();
    for (line, body) in collector.bodies() {
        assert!(line.starts_with("POST /v1/metrics"), "{line}");
        let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let metric = &doc["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0];
        assert_eq!(metric["name"], "gen_ai.client.token.usage");
        assert_eq!(metric["histogram"]["aggregationTemporality"], 2);
        for p in metric["histogram"]["dataPoints"].as_array().unwrap() {
            let attrs = p["attributes"].to_string();
            let key = format!("{attrs}@{}", p["startTimeUnixNano"]);
            let kind = p["attributes"][0]["value"]["stringValue"]
                .as_str()
                .unwrap()
                .to_owned();
            runs.insert(key, (kind, p["sum"].as_u64().unwrap()));
        }
    }
    let mut by_kind: BTreeMap<String, u64> = BTreeMap::new();
    for (kind, sum) in runs.values() {
        *by_kind.entry(kind.clone()).or_default() += sum;
    }
    let mut ledger: BTreeMap<String, u64> = BTreeMap::new();
    w.store
        .each_counted(i64::MIN, &mut |c| {
            for (k, v) in [
                ("input", c.tokens.input),
                ("output", c.tokens.output),
                ("cache_read", c.tokens.cache_read),
                ("cache_write", c.tokens.cache_write),
                ("reasoning", c.tokens.reasoning),
            ] {
                *ledger.entry(k.to_owned()).or_default() += v;
            }
        })
        .unwrap();
    assert_eq!(by_kind, ledger);
    assert!(
        collector.bodies().len() >= 2,
        "the late call was sent again"
    );
}

#[test]
fn a_laptop_deployed_with_the_policys_code_enrolls_at_its_first_upload_after_consent() {
    let w = World::new(false);
    // Another laptop: its own ledger and keychain, and the policy's code.
    let laptop = |name: &str| {
        let store = Store::open(&w.dir.path().join(name)).unwrap();
        (store, MemoryVault::default())
    };
    let mut config = w.config.clone();
    config.enrollment_code = Some(w.admin.issue_code(Duration::from_secs(3600)).unwrap());
    let (mut store, vault) = laptop("second.sqlite");
    let call = logged_now(
        Tool::Codex,
        "deployed",
        "gpt-5.2-codex",
        Tokens {
            input: 5,
            cache_read: 0,
            cache_write: 0,
            output: 6,
            reasoning: 0,
        },
    );
    store.commit_live(vec![call], None).unwrap();

    let before = w.relay.connections();
    let cycle = |store: &mut Store, vault: &MemoryVault| {
        upload_cycle(store, &config, vault, &w.http, now())
    };
    assert!(matches!(
        cycle(&mut store, &vault),
        Err(UploadError::Off(_))
    ));
    assert_eq!(
        w.relay.connections(),
        before,
        "no enrollment before consent"
    );
    assert!(store.enrollment(&w.relay.url()).unwrap().is_none());

    let consent = ConsentChange {
        at_ms: now(),
        enabled: true,
        from_ms: None,
    };
    store.record_consent(&consent).unwrap();
    let report = cycle(&mut store, &vault).unwrap();
    assert_eq!(
        (report.sent, report.buckets),
        (1, 1),
        "enrolled, then uploaded"
    );
    let device = store.enrollment(&w.relay.url()).unwrap().unwrap().device_id;
    let token = {
        use tokentally_upload::TokenVault;
        vault.get(&tokentally_upload::account(&device, &w.relay.url()))
    };
    assert!(token.unwrap().is_some(), "the token is in the keychain");
    assert_eq!(cycle(&mut store, &vault).unwrap().sent, 0, "enrolled once");

    // The code is spent: a third laptop with it is refused, and says so.
    let (mut third, third_vault) = laptop("third.sqlite");
    third.record_consent(&consent).unwrap();
    let late = logged_now(Tool::Codex, "third", "gpt-5.2-codex", Tokens::default());
    third.commit_live(vec![late], None).unwrap();
    assert!(matches!(
        cycle(&mut third, &third_vault),
        Err(UploadError::Refused { .. })
    ));
}

#[test]
fn the_employee_sees_who_at_the_company_read_this_devices_data() {
    let mut w = World::new(true);
    let dir = w.dir.path().join("policy");
    let policy = |server: Option<String>| {
        let inputs = tokentally_policy::Inputs {
            explicit: None,
            managed: Vec::new(),
            employee: dir.join("settings.json"),
            state_dir: dir.clone(),
        };
        let mut p = tokentally_policy::load(&inputs).resolved;
        p.server_url = server;
        p
    };
    let with_server = policy(Some(w.relay.url()));
    let log = |w: &World, p: &tokentally_policy::Resolved| {
        tokentally_desk::access_log(&w.store, p, Some(&w.vault), &w.http).unwrap()
    };
    assert_eq!(log(&w, &policy(None)).state, "no_server");
    let view = log(&w, &with_server);
    assert_eq!(
        (view.state, view.entries.len()),
        ("ok", 0),
        "nobody read anything yet"
    );

    w.add_calls(5, 2);
    w.upload_until_done();
    // Two reads by people at the company: a report over HTTP, an export.
    let token = w.admin.issue_admin_token("people-analytics").unwrap();
    let to = now() / 1000 + 86_400;
    let url = tokentally_upload::join(
        &w.relay.url(),
        &format!("/v1/reports?by=tool&from=0&to={to}"),
    );
    assert!(matches!(
        w.http.get(&url, &token),
        tokentally_upload::Reply::Ok { .. }
    ));
    std::thread::sleep(Duration::from_millis(5));
    w.admin.export("finance-export").unwrap();

    let view = log(&w, &with_server);
    assert_eq!(view.state, "ok");
    let who: Vec<&str> = view.entries.iter().map(|e| e.who.as_str()).collect();
    assert_eq!(who, ["finance-export", "people-analytics"], "newest first");
    assert!(
        view.entries[1].what.contains("tool"),
        "{:?}",
        view.entries[1]
    );

    // A laptop not enrolled asks nothing of the server.
    let fresh = Store::open(&w.dir.path().join("fresh.sqlite")).unwrap();
    let before = w.relay.connections();
    let view = tokentally_desk::access_log(&fresh, &with_server, None, &w.http).unwrap();
    assert_eq!(view.state, "not_enrolled");
    assert_eq!(w.relay.connections(), before);
}

//! The binary's admin commands and serve guards, TLS, and restarts.

use std::process::Command;
use std::sync::Arc;

use tokentally_event::Tool;
use tokentally_server::{RunningServer, ServerConfig, TlsFiles};
use tokentally_wire::EnrollReply;

use crate::support::{Backend, DAY, Db, Env, Http, batch, bucket, enroll_body};

fn server_bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tokentally-server"))
}

fn admin(db: &str, args: &[&str]) -> String {
    let out = server_bin()
        .args(["admin", "--db", db])
        .args(args)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf8")
}

fn admin_commands_work_end_to_end(backend: Backend) {
    let env = Env::new(backend);
    let url = env.db.url.clone();
    let codes = admin(&url, &["issue-code", "--ttl", "2h", "--count", "2"]);
    let codes: Vec<&str> = codes.lines().collect();
    assert_eq!(codes.len(), 2);
    let r = env.http.post("/v1/enroll", None, &enroll_body(codes[1]));
    assert_eq!(r.status, 200, "{}", r.body);
    let dev: EnrollReply = r.json();
    assert_eq!(
        env.http
            .upload(&dev.token, &batch(vec![bucket(DAY, Tool::Zed, "m", 1, 42)]))
            .status,
        200
    );

    admin(
        &url,
        &["assign", &dev.device_id, "--person", "ana", "--team", "web"],
    );
    let listed = admin(&url, &["devices", "--json"]);
    let listed: serde_json::Value = serde_json::from_str(&listed).expect("json");
    assert_eq!(listed[0]["person"], "ana");
    assert_eq!(listed[0]["buckets"], 1);

    let csv = admin(&url, &["export", "--format", "csv", "--who", "hr-audit"]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "person,team,start,period,tool,model,devices,input,cache_read,cache_write,output,reasoning,calls"
    );
    assert_eq!(
        lines[1],
        format!("ana,web,{DAY},day,zed,m,1,42,84,3,21,10,3")
    );
    let log = env.admin.access_log(&dev.device_id).expect("log");
    assert_eq!(
        (log.len(), log[0].who.as_str(), log[0].what.as_str()),
        (1, "hr-audit", "export all")
    );

    let token = admin(&url, &["add-admin", "ops"]);
    assert!(token.trim().starts_with("tta_"));
    admin(&url, &["revoke", &dev.device_id]);
    let r = env
        .http
        .upload(&dev.token, &batch(vec![bucket(DAY, Tool::Zed, "m", 2, 1)]));
    assert_eq!(r.status, 401);

    let out = server_bin()
        .args(["admin", "--db", &url, "revoke", "dev_nope"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no device"));
}
crate::both!(admin_commands_work_end_to_end);

#[test]
fn serve_refuses_plain_http_off_loopback() {
    let db = Db::new(Backend::Sqlite);
    let out = server_bin()
        .args(["serve", "--db", &db.url, "--listen", "0.0.0.0:0"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refusing plain HTTP") && err.contains("--behind-proxy"),
        "{err}"
    );

    let mut config = ServerConfig::loopback(db.url.clone());
    config.listen = "0.0.0.0:0".parse().expect("addr");
    assert!(RunningServer::start(config.clone()).is_err());
    config.behind_proxy = true;
    let server = RunningServer::start(config).expect("allowed behind a proxy");
    let http = Http::new(format!("http://127.0.0.1:{}", server.addr().port()));
    assert_eq!(http.get("/v1/health", None).status, 200);
    server.stop().expect("stops");
}

#[test]
fn data_and_schema_survive_a_restart() {
    let db = Db::new(Backend::Sqlite);
    let first = RunningServer::start(ServerConfig::loopback(db.url.clone())).expect("start");
    let admin = tokentally_server::BlockingAdmin::open(&db.url).expect("admin");
    let code = admin
        .issue_code(std::time::Duration::from_secs(60))
        .expect("code");
    let dev: EnrollReply = Http::new(first.url())
        .post("/v1/enroll", None, &enroll_body(&code))
        .json();
    first.stop().expect("stop");
    let second = RunningServer::start(ServerConfig::loopback(db.url.clone())).expect("restart");
    let r =
        Http::new(second.url()).upload(&dev.token, &batch(vec![bucket(DAY, Tool::Amp, "m", 1, 1)]));
    assert_eq!(r.status, 200, "the token outlived the restart");
    let conn = rusqlite::Connection::open(db.sqlite_path()).expect("open");
    let versions: i64 = conn
        .query_row("SELECT COUNT(*) FROM schema_migrations", [], |r| r.get(0))
        .expect("ledger");
    assert_eq!(versions, 2, "each of the two migrations ran once");
    let hashes: Vec<String> = conn
        .prepare("SELECT token_hash FROM devices")
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(hashes.len(), 1);
    assert_eq!(
        hashes[0].len(),
        64,
        "only the SHA-256 of the token is stored"
    );
    assert!(!hashes[0].contains(&dev.token));
}

#[test]
fn tls_serves_with_the_configured_certificate() {
    let dir = tempfile::tempdir().expect("dir");
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("cert");
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    std::fs::write(&cert_path, cert.cert.pem()).expect("write");
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).expect("write");

    let db = Db::new(Backend::Sqlite);
    let mut config = ServerConfig::loopback(db.url.clone());
    config.tls = Some(TlsFiles {
        cert: cert_path,
        key: key_path.clone(),
    });
    let server = RunningServer::start(config.clone()).expect("tls server");
    assert!(server.url().starts_with("https://"));

    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.cert.der().clone()).expect("root");
    let client = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    let reply = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt")
        .block_on(async {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let tcp = tokio::net::TcpStream::connect(server.addr())
                .await
                .expect("connect");
            let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
            let mut tls = tokio_rustls::TlsConnector::from(Arc::new(client))
                .connect(name, tcp)
                .await
                .expect("handshake");
            tls.write_all(
                b"GET /v1/health HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n",
            )
            .await
            .expect("write");
            let mut out = String::new();
            tls.read_to_string(&mut out).await.ok();
            out
        });
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(reply.ends_with(r#"{"status":"ok"}"#), "{reply}");
    server.stop().expect("stop");

    // A key that does not parse stops the start with the file named.
    std::fs::write(&key_path, "not a key").expect("write");
    let err = RunningServer::start(config)
        .err()
        .expect("refused")
        .to_string();
    assert!(err.contains("key.pem"), "{err}");
}

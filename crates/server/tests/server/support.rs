//! What every test needs: a server on either store, an admin handle, an HTTP
//! client that returns 4xx replies instead of failing, and buckets to send.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokentally_event::Tool;
use tokentally_server::{BlockingAdmin, RunningServer, ServerConfig};
use tokentally_wire::{Bucket, EnrollReply, ModelLabel, Period, ToolLabel, UsageBatch};

pub const PG_ENV: &str = "TOKENTALLY_TEST_POSTGRES";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs a test body once per store: `both!(name);` gives `name::sqlite` and
/// `name::postgres`.
#[macro_export]
macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[test]
            fn sqlite() {
                super::$name($crate::support::Backend::Sqlite)
            }
            #[test]
            #[ignore = "needs PostgreSQL: tests/run-all.sh starts one (crates/server/ci-postgres.sh)"]
            fn postgres() {
                super::$name($crate::support::Backend::Postgres)
            }
        }
    };
}

/// A fresh database: a temp file, or a schema of its own in the test
/// PostgreSQL database (dropped afterwards).
pub struct Db {
    pub url: String,
    pub dir: tempfile::TempDir,
    schema: Option<(String, String)>,
}

static NEXT: AtomicU64 = AtomicU64::new(0);

impl Db {
    pub fn new(backend: Backend) -> Db {
        let dir = tempfile::tempdir().expect("temp dir");
        match backend {
            Backend::Sqlite => {
                let path = dir.path().join("server.db");
                Db {
                    url: format!("sqlite://{}", path.display()),
                    dir,
                    schema: None,
                }
            }
            Backend::Postgres => {
                let base = std::env::var(PG_ENV).unwrap_or_else(|_| {
                    panic!(
                        "{PG_ENV} is not set: the PostgreSQL variants of these tests need a \
                         database. Run `eval \"$(crates/server/ci-postgres.sh)\"` (starts one on \
                         127.0.0.1) or set {PG_ENV}=postgres://user:pass@host/db"
                    )
                });
                let schema = format!(
                    "tt_{}_{}_{}",
                    std::process::id(),
                    NEXT.fetch_add(1, Ordering::Relaxed),
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .expect("clock")
                        .subsec_nanos()
                );
                pg_exec(&base, &format!("CREATE SCHEMA {schema}"));
                let sep = if base.contains('?') { '&' } else { '?' };
                let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
                Db {
                    url,
                    dir,
                    schema: Some((base, schema)),
                }
            }
        }
    }

    pub fn sqlite_path(&self) -> PathBuf {
        self.dir.path().join("server.db")
    }

    /// Every table's rows as text (PostgreSQL) or every byte of the database
    /// files (SQLite, WAL included): what a canary must never be found in.
    pub fn everything_stored(&self) -> Vec<u8> {
        match &self.schema {
            None => {
                let mut all = Vec::new();
                for entry in std::fs::read_dir(self.dir.path()).expect("dir") {
                    let path = entry.expect("entry").path();
                    all.extend(std::fs::read(&path).expect("read db file"));
                }
                assert!(!all.is_empty(), "no database files found");
                all
            }
            Some((base, schema)) => pg_dump_text(base, schema).into_bytes(),
        }
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Some((base, schema)) = &self.schema {
            pg_exec(base, &format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
}

fn pg_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

async fn pg_connect(url: &str) -> tokio_postgres::Client {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("connecting to {PG_ENV}: {e}"));
    tokio::spawn(conn);
    client
}

pub fn pg_exec(url: &str, sql: &str) {
    pg_runtime().block_on(async {
        pg_connect(url).await.batch_execute(sql).await.expect(sql);
    });
}

fn pg_dump_text(url: &str, schema: &str) -> String {
    pg_runtime().block_on(async {
        let client = pg_connect(url).await;
        let tables = client
            .query(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1",
                &[&schema],
            )
            .await
            .expect("tables");
        assert!(
            tables.len() >= 6,
            "expected the server's tables in {schema}"
        );
        let mut out = String::new();
        for t in tables {
            let name: String = t.get(0);
            let rows = client
                .query(
                    &format!("SELECT CAST(t AS TEXT) FROM {schema}.{name} t"),
                    &[],
                )
                .await
                .expect("rows");
            for r in rows {
                out.push_str(&r.get::<_, String>(0));
                out.push('\n');
            }
        }
        out
    })
}

/// A server and an admin handle on one fresh database.
pub struct Env {
    /// Held so the server lives as long as the test.
    #[allow(dead_code)]
    pub server: RunningServer,
    pub admin: BlockingAdmin,
    pub db: Db,
    pub http: Http,
}

impl Env {
    pub fn new(backend: Backend) -> Env {
        Env::with(backend, |_| {})
    }

    pub fn with(backend: Backend, tweak: impl FnOnce(&mut ServerConfig)) -> Env {
        let db = Db::new(backend);
        let mut config = ServerConfig::loopback(db.url.clone());
        config.postgres_pool_size = 4;
        tweak(&mut config);
        let server = RunningServer::start(config).expect("server starts");
        let admin = BlockingAdmin::open(&db.url).expect("admin opens");
        let http = Http::new(server.url());
        Env {
            server,
            admin,
            db,
            http,
        }
    }

    /// Enrolls a new device through the API.
    pub fn enroll(&self) -> EnrollReply {
        let code = self
            .admin
            .issue_code(Duration::from_secs(3600))
            .expect("code");
        let r = self.http.post("/v1/enroll", None, &enroll_body(&code));
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()
    }

    pub fn stored_count(&self) -> usize {
        self.admin.buckets().expect("buckets").len()
    }
}

pub fn enroll_body(code: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ "code": code })).expect("json")
}

pub struct Reply {
    pub status: u16,
    pub body: String,
    pub retry_after: Option<String>,
}

impl Reply {
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> T {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// The `error` of an ErrorReply, checking that the body is one.
    pub fn error(&self) -> String {
        let reply: tokentally_wire::ErrorReply = self.json();
        reply.error
    }
}

pub struct Http {
    pub base: String,
    agent: ureq::Agent,
}

impl Http {
    pub fn new(base: String) -> Http {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        Http { base, agent }
    }

    fn finish(result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Reply {
        let mut response = result.expect("request completes");
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().expect("ascii").to_owned());
        let body = response.body_mut().read_to_string().expect("body");
        Reply {
            status,
            body,
            retry_after,
        }
    }

    pub fn get(&self, path: &str, token: Option<&str>) -> Reply {
        let mut req = self.agent.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        Self::finish(req.call())
    }

    pub fn delete(&self, path: &str, token: Option<&str>) -> Reply {
        let mut req = self.agent.delete(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        Self::finish(req.call())
    }

    pub fn post(&self, path: &str, token: Option<&str>, body: &[u8]) -> Reply {
        let mut req = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json");
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        Self::finish(req.send(body))
    }

    pub fn upload(&self, token: &str, batch: &UsageBatch) -> Reply {
        self.post("/v1/usage", Some(token), &batch.to_bytes())
    }
}

/// 2026-12-01T00:00:00Z.
pub const DAY: i64 = 1_796_083_200;

pub fn bucket(start: i64, tool: Tool, model: &str, revision: u64, input: u64) -> Bucket {
    Bucket {
        start,
        period: Period::Day,
        tool: ToolLabel(tool),
        model: ModelLabel::new(model).expect("model"),
        revision,
        input,
        cache_read: 2 * input,
        cache_write: 3,
        output: input / 2,
        reasoning: input / 4,
        calls_exact: 2,
        calls_reported: 1,
        calls_estimated: 0,
    }
}

pub fn batch(buckets: Vec<Bucket>) -> UsageBatch {
    UsageBatch::new(buckets)
}

//! The database behind the server: SQLite in one file by default,
//! PostgreSQL when the URL says so. Both run the same migrations and offer
//! the same calls; the routes never see which one is in use.

mod migrations;
mod postgres;
mod sqlite;

use std::path::PathBuf;

use tokentally_wire::{AccessEntry, Bucket, Period};

use crate::ServerError;
use crate::reports::GroupBy;
pub(crate) use postgres::PgStore;
pub(crate) use sqlite::SqliteStore;

/// Where the data lives, parsed from a database URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DbUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DbUrl {
    pub(crate) fn parse(url: &str) -> Result<Self, ServerError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DbUrl::Postgres(url.to_owned()));
        }
        if let Some(path) = url.strip_prefix("sqlite://") {
            // sqlite:///abs/path keeps its leading slash; sqlite://rel/path is relative.
            if path.is_empty() {
                return Err(ServerError::DatabaseUrl(url.to_owned()));
            }
            return Ok(DbUrl::Sqlite(PathBuf::from(path)));
        }
        if url.is_empty() || url.contains("://") {
            return Err(ServerError::DatabaseUrl(url.to_owned()));
        }
        Ok(DbUrl::Sqlite(PathBuf::from(url)))
    }
}

/// A bucket as the server holds it, with the device that sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBucket {
    /// The device's id.
    pub device_id: String,
    /// The bucket at its stored revision.
    pub bucket: Bucket,
}

/// An enrolled device, as `admin devices` lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeviceInfo {
    /// Its id.
    pub id: String,
    /// When it enrolled, ms since the epoch.
    pub enrolled_ms: i64,
    /// When it was revoked, if it was.
    pub revoked_ms: Option<i64>,
    /// The person it belongs to, once assigned.
    pub person: Option<String>,
    /// The person's team, once assigned.
    pub team: Option<String>,
    /// Buckets stored for it.
    pub buckets: u64,
}

/// What one upload did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Upserted {
    pub stored: u64,
    pub unchanged: u64,
}

/// Sums over some buckets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Totals {
    /// Input tokens (cache not included).
    pub input: u64,
    /// Cache reads.
    pub cache_read: u64,
    /// Cache writes.
    pub cache_write: u64,
    /// Output tokens.
    pub output: u64,
    /// Reasoning tokens (part of output).
    pub reasoning: u64,
    /// Calls of every provenance.
    pub calls: u64,
}

impl Totals {
    pub(crate) fn add(&mut self, o: &Totals) {
        self.input += o.input;
        self.cache_read += o.cache_read;
        self.cache_write += o.cache_write;
        self.output += o.output;
        self.reasoning += o.reasoning;
        self.calls += o.calls;
    }

    /// Input, output and both cache kinds.
    pub fn total_tokens(&self) -> u64 {
        self.input + self.cache_read + self.cache_write + self.output
    }
}

/// One report query: which grouping, period length and range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RowQuery {
    pub by: GroupBy,
    pub period: Period,
    pub from: i64,
    pub to: i64,
}

/// Sums of one device within one group (tool or period start when grouped
/// by those); the report adds devices up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReportRow {
    pub device_id: String,
    pub person: Option<String>,
    pub team: Option<String>,
    /// The tool when grouped by tool, else empty.
    pub tool: String,
    /// The period start when grouped by period, else 0.
    pub start: i64,
    pub totals: Totals,
}

/// Who the admin read is recorded as, and what it read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reader {
    pub who: String,
    pub what: String,
    pub at_ms: i64,
}

/// Either backend; each call is the same on both.
pub(crate) enum Store {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

macro_rules! dispatch {
    ($self:ident . $method:ident ( $($arg:expr),* )) => {
        match $self {
            Store::Sqlite(s) => s.$method($($arg),*).await,
            Store::Postgres(s) => s.$method($($arg),*).await,
        }
    };
}

impl Store {
    /// Opens the database and brings its schema up to date.
    pub(crate) async fn open(url: &str, pool_size: usize) -> Result<Store, ServerError> {
        let store = match DbUrl::parse(url)? {
            DbUrl::Sqlite(path) => Store::Sqlite(SqliteStore::open(path).await?),
            DbUrl::Postgres(url) => Store::Postgres(PgStore::open(&url, pool_size).await?),
        };
        Ok(store)
    }

    pub(crate) async fn insert_codes(
        &self,
        hashes: Vec<String>,
        issued_ms: i64,
        expires_ms: i64,
        uses: i64,
    ) -> Result<(), ServerError> {
        dispatch!(self.insert_codes(hashes, issued_ms, expires_ms, uses))
    }

    /// Takes one use of a code and enrolls the device in one transaction;
    /// false when the code is unknown, used up or expired.
    pub(crate) async fn enroll(
        &self,
        code_hash: String,
        now_ms: i64,
        device_id: String,
        token_hash: String,
    ) -> Result<bool, ServerError> {
        dispatch!(self.enroll(code_hash, now_ms, device_id, token_hash))
    }

    /// The device a token belongs to, unless it is unknown or revoked.
    pub(crate) async fn device_for_token(
        &self,
        token_hash: String,
    ) -> Result<Option<String>, ServerError> {
        dispatch!(self.device_for_token(token_hash))
    }

    /// The admin name a token belongs to.
    pub(crate) async fn admin_for_token(
        &self,
        token_hash: String,
    ) -> Result<Option<String>, ServerError> {
        dispatch!(self.admin_for_token(token_hash))
    }

    /// Upserts a batch in one transaction, keeping the higher revision, and
    /// records the receipt.
    pub(crate) async fn upsert(
        &self,
        device_id: String,
        buckets: Vec<Bucket>,
        ack: String,
        now_ms: i64,
    ) -> Result<Upserted, ServerError> {
        dispatch!(self.upsert(device_id, buckets, ack, now_ms))
    }

    pub(crate) async fn delete_usage(&self, device_id: String) -> Result<u64, ServerError> {
        dispatch!(self.delete_usage(device_id))
    }

    /// Newest first.
    pub(crate) async fn access_log(
        &self,
        device_id: String,
    ) -> Result<Vec<AccessEntry>, ServerError> {
        dispatch!(self.access_log(device_id))
    }

    /// False when the name is taken.
    pub(crate) async fn add_admin(
        &self,
        name: String,
        token_hash: String,
        now_ms: i64,
    ) -> Result<bool, ServerError> {
        dispatch!(self.add_admin(name, token_hash, now_ms))
    }

    /// False when no such device.
    pub(crate) async fn revoke(&self, device_id: String, now_ms: i64) -> Result<bool, ServerError> {
        dispatch!(self.revoke(device_id, now_ms))
    }

    /// False when no such device.
    pub(crate) async fn assign(
        &self,
        device_id: String,
        person: String,
        team: String,
    ) -> Result<bool, ServerError> {
        dispatch!(self.assign(device_id, person, team))
    }

    pub(crate) async fn devices(&self) -> Result<Vec<DeviceInfo>, ServerError> {
        dispatch!(self.devices())
    }

    /// Every stored bucket, sorted by device and key (tests, no access log).
    pub(crate) async fn buckets(&self) -> Result<Vec<StoredBucket>, ServerError> {
        let mut all = dispatch!(self.buckets())?;
        // Sorted here, not in SQL: PostgreSQL's text order follows the
        // database's collation, SQLite's is bytewise.
        all.sort_by(|a, b| (&a.device_id, a.bucket.key()).cmp(&(&b.device_id, b.bucket.key())));
        Ok(all)
    }

    /// Per-device sums for a report; logs the read for every device touched,
    /// in the same transaction.
    pub(crate) async fn report_rows(
        &self,
        query: RowQuery,
        reader: Reader,
    ) -> Result<Vec<ReportRow>, ServerError> {
        dispatch!(self.report_rows(query, reader))
    }

    /// Every bucket with its device's person and team, for export; logs the
    /// read for every device touched.
    pub(crate) async fn export_rows(
        &self,
        reader: Reader,
    ) -> Result<Vec<(DeviceInfo, Bucket)>, ServerError> {
        dispatch!(self.export_rows(reader))
    }
}

/// The SELECT behind a report: one row per device and group, sums cast back
/// to BIGINT (PostgreSQL sums BIGINT as NUMERIC). `p` writes placeholder n.
pub(crate) fn report_sql(by: GroupBy, p: fn(usize) -> String) -> String {
    let (tool, start, extra) = match by {
        GroupBy::Tool => ("b.tool", "CAST(0 AS BIGINT)", ", b.tool"),
        GroupBy::Period => ("''", "b.start", ", b.start"),
        GroupBy::Person | GroupBy::Team => ("''", "CAST(0 AS BIGINT)", ""),
    };
    format!(
        "SELECT d.id, d.person, d.team, {tool}, {start}, \
         CAST(SUM(b.input) AS BIGINT), CAST(SUM(b.cache_read) AS BIGINT), \
         CAST(SUM(b.cache_write) AS BIGINT), CAST(SUM(b.output) AS BIGINT), \
         CAST(SUM(b.reasoning) AS BIGINT), \
         CAST(SUM(b.calls_exact + b.calls_reported + b.calls_estimated) AS BIGINT) \
         FROM buckets b JOIN devices d ON d.id = b.device_id \
         WHERE b.period = {} AND b.start >= {} AND b.start < {} \
         GROUP BY d.id, d.person, d.team{extra}",
        p(1),
        p(2),
        p(3)
    )
}

/// Reads a stored count back; they were written from u64 under 2^53.
pub(crate) fn count(raw: i64) -> Result<u64, ServerError> {
    u64::try_from(raw).map_err(|_| ServerError::Corrupt(format!("negative count {raw}")))
}

/// Rebuilds a bucket from its stored columns.
#[allow(clippy::too_many_arguments)]
pub(crate) fn bucket_from_columns(
    start: i64,
    period: &str,
    tool: &str,
    model: &str,
    numbers: [i64; 9],
) -> Result<Bucket, ServerError> {
    let period =
        Period::parse(period).ok_or_else(|| ServerError::Corrupt(format!("period {period:?}")))?;
    let tool = tool
        .parse()
        .map(tokentally_wire::ToolLabel)
        .map_err(|_| ServerError::Corrupt(format!("tool {tool:?}")))?;
    let model = tokentally_wire::ModelLabel::new(model)
        .ok_or_else(|| ServerError::Corrupt(format!("model {model:?}")))?;
    let [
        revision,
        input,
        cache_read,
        cache_write,
        output,
        reasoning,
        ce,
        cr,
        cest,
    ] = numbers;
    Ok(Bucket {
        start,
        period,
        tool,
        model,
        revision: count(revision)?,
        input: count(input)?,
        cache_read: count(cache_read)?,
        cache_write: count(cache_write)?,
        output: count(output)?,
        reasoning: count(reasoning)?,
        calls_exact: count(ce)?,
        calls_reported: count(cr)?,
        calls_estimated: count(cest)?,
    })
}

/// The nine numbers of a bucket as stored (all under 2^53, checked by
/// `problems()` before any write).
pub(crate) fn bucket_numbers(b: &Bucket) -> [i64; 9] {
    [
        b.revision,
        b.input,
        b.cache_read,
        b.cache_write,
        b.output,
        b.reasoning,
        b.calls_exact,
        b.calls_reported,
        b.calls_estimated,
    ]
    .map(|n| i64::try_from(n).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls() {
        assert_eq!(
            DbUrl::parse("sqlite:///var/lib/tt.db").expect("ok"),
            DbUrl::Sqlite("/var/lib/tt.db".into())
        );
        assert_eq!(
            DbUrl::parse("data/tt.db").expect("ok"),
            DbUrl::Sqlite("data/tt.db".into())
        );
        assert!(matches!(
            DbUrl::parse("postgres://u:p@127.0.0.1/db").expect("ok"),
            DbUrl::Postgres(_)
        ));
        for bad in ["", "mysql://x/y", "sqlite://"] {
            assert!(DbUrl::parse(bad).is_err(), "{bad}");
        }
    }
}

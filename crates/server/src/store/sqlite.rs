//! SQLite: one file, WAL, a writer connection and a reader connection, each
//! used on tokio's blocking pool.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use tokentally_wire::{AccessEntry, Bucket};

use super::migrations::{CREATE_LEDGER, MIGRATIONS};
use super::{
    DeviceInfo, Reader, ReportRow, RowQuery, StoredBucket, Totals, Upserted, bucket_from_columns,
    bucket_numbers, count, report_sql,
};
use crate::ServerError;
use crate::secret::now_ms;

pub(crate) struct SqliteStore {
    /// All writes; SQLite has one writer at a time anyway.
    writer: Arc<Mutex<Connection>>,
    /// Token look-ups and plain reads, which WAL lets run beside a write.
    reader: Arc<Mutex<Connection>>,
}

fn connect(path: &PathBuf) -> Result<Connection, ServerError> {
    let conn = Connection::open(path)?;
    // NORMAL in WAL mode loses at most the last commits on power loss, never
    // integrity; a lost upload is re-sent by the agent at the same revision.
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> Result<(), ServerError> {
    // IMMEDIATE: a second process migrating at once waits instead of racing.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(CREATE_LEDGER)?;
    for (version, sql) in MIGRATIONS {
        let done: Option<i64> = tx
            .query_row(
                "SELECT version FROM schema_migrations WHERE version = ?1",
                [version],
                |r| r.get(0),
            )
            .optional()?;
        if done.is_none() {
            tx.execute_batch(sql)?;
            tx.execute(
                "INSERT INTO schema_migrations (version, applied_ms) VALUES (?1, ?2)",
                params![version, now_ms()],
            )?;
        }
    }
    tx.commit()?;
    Ok(())
}

fn log_reads(
    tx: &rusqlite::Transaction<'_>,
    reader: &Reader,
    devices: impl IntoIterator<Item = String>,
) -> Result<(), ServerError> {
    let mut insert = tx.prepare_cached(
        "INSERT INTO access_log (at_ms, who, what, device_id) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for device in devices {
        insert.execute(params![reader.at_ms, reader.who, reader.what, device])?;
    }
    Ok(())
}

const BUCKET_COLUMNS: &str = "b.start, b.period, b.tool, b.model, b.revision, b.input, \
     b.cache_read, b.cache_write, b.output, b.reasoning, b.calls_exact, b.calls_reported, \
     b.calls_estimated";

/// Reads BUCKET_COLUMNS starting at column `at`.
fn bucket_at(row: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Result<Bucket, ServerError>> {
    let mut numbers = [0i64; 9];
    for (i, n) in numbers.iter_mut().enumerate() {
        *n = row.get(at + 4 + i)?;
    }
    let period: String = row.get(at + 1)?;
    let tool: String = row.get(at + 2)?;
    let model: String = row.get(at + 3)?;
    Ok(bucket_from_columns(
        row.get(at)?,
        &period,
        &tool,
        &model,
        numbers,
    ))
}

/// Reads a device's `id, enrolled_ms, revoked_ms, person, team` (columns 0 to 4).
fn device_at(r: &rusqlite::Row<'_>) -> rusqlite::Result<DeviceInfo> {
    Ok(DeviceInfo {
        id: r.get(0)?,
        enrolled_ms: r.get(1)?,
        revoked_ms: r.get(2)?,
        person: r.get(3)?,
        team: r.get(4)?,
        buckets: 0,
    })
}

impl SqliteStore {
    pub(crate) async fn open(path: PathBuf) -> Result<Self, ServerError> {
        tokio::task::spawn_blocking(move || {
            let mut writer = connect(&path)?;
            migrate(&mut writer)?;
            let reader = connect(&path)?;
            Ok(SqliteStore {
                writer: Arc::new(Mutex::new(writer)),
                reader: Arc::new(Mutex::new(reader)),
            })
        })
        .await?
    }

    async fn with<T: Send + 'static>(
        conn: &Arc<Mutex<Connection>>,
        f: impl FnOnce(&mut Connection) -> Result<T, ServerError> + Send + 'static,
    ) -> Result<T, ServerError> {
        let conn = Arc::clone(conn);
        tokio::task::spawn_blocking(move || {
            // A panic mid-call leaves no open transaction (it rolled back on
            // unwind), so a poisoned connection is still usable.
            let mut guard = conn.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut guard)
        })
        .await?
    }

    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, ServerError> + Send + 'static,
    ) -> Result<T, ServerError> {
        Self::with(&self.writer, f).await
    }

    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, ServerError> + Send + 'static,
    ) -> Result<T, ServerError> {
        Self::with(&self.reader, f).await
    }

    pub(crate) async fn insert_codes(
        &self,
        hashes: Vec<String>,
        issued_ms: i64,
        expires_ms: i64,
        uses: i64,
    ) -> Result<(), ServerError> {
        self.write(move |c| {
            let tx = c.transaction()?;
            {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO enrollment_codes (code_hash, issued_ms, expires_ms, uses_left) \
                     VALUES (?1, ?2, ?3, ?4)",
                )?;
                for h in &hashes {
                    insert.execute(params![h, issued_ms, expires_ms, uses])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    pub(crate) async fn enroll(
        &self,
        code_hash: String,
        now_ms: i64,
        device_id: String,
        token_hash: String,
    ) -> Result<bool, ServerError> {
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let used = tx.execute(
                "UPDATE enrollment_codes SET uses_left = uses_left - 1, used_ms = ?1, device_id = ?2 \
                 WHERE code_hash = ?3 AND uses_left > 0 AND expires_ms > ?1",
                params![now_ms, device_id, code_hash],
            )?;
            if used != 1 {
                return Ok(false);
            }
            tx.execute(
                "INSERT INTO devices (id, token_hash, enrolled_ms) VALUES (?1, ?2, ?3)",
                params![device_id, token_hash, now_ms],
            )?;
            tx.commit()?;
            Ok(true)
        })
        .await
    }

    pub(crate) async fn device_for_token(
        &self,
        token_hash: String,
    ) -> Result<Option<String>, ServerError> {
        self.read(move |c| {
            Ok(c.prepare_cached(
                "SELECT id FROM devices WHERE token_hash = ?1 AND revoked_ms IS NULL",
            )?
            .query_row([token_hash], |r| r.get(0))
            .optional()?)
        })
        .await
    }

    pub(crate) async fn admin_for_token(
        &self,
        token_hash: String,
    ) -> Result<Option<String>, ServerError> {
        self.read(move |c| {
            Ok(
                c.prepare_cached("SELECT name FROM admins WHERE token_hash = ?1")?
                    .query_row([token_hash], |r| r.get(0))
                    .optional()?,
            )
        })
        .await
    }

    pub(crate) async fn upsert(
        &self,
        device_id: String,
        buckets: Vec<Bucket>,
        ack: String,
        now_ms: i64,
    ) -> Result<Upserted, ServerError> {
        self.write(move |c| {
            let tx = c.transaction()?;
            let mut stored = 0u64;
            {
                let mut upsert = tx.prepare_cached(
                    "INSERT INTO buckets (device_id, start, period, tool, model, revision, input, \
                     cache_read, cache_write, output, reasoning, calls_exact, calls_reported, \
                     calls_estimated, received_ms) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) \
                     ON CONFLICT (device_id, start, period, tool, model) DO UPDATE SET \
                     revision = excluded.revision, input = excluded.input, \
                     cache_read = excluded.cache_read, cache_write = excluded.cache_write, \
                     output = excluded.output, reasoning = excluded.reasoning, \
                     calls_exact = excluded.calls_exact, calls_reported = excluded.calls_reported, \
                     calls_estimated = excluded.calls_estimated, received_ms = excluded.received_ms \
                     WHERE excluded.revision > buckets.revision",
                )?;
                for b in &buckets {
                    let n = bucket_numbers(b);
                    // 1 when inserted or raised, 0 when the WHERE kept the old row.
                    stored += upsert.execute(params![
                        device_id,
                        b.start,
                        b.period.as_str(),
                        b.tool.0.as_str(),
                        b.model.as_str(),
                        n[0],
                        n[1],
                        n[2],
                        n[3],
                        n[4],
                        n[5],
                        n[6],
                        n[7],
                        n[8],
                        now_ms
                    ])? as u64;
                }
            }
            let unchanged = buckets.len() as u64 - stored;
            tx.execute(
                "INSERT INTO receipts (ack, device_id, received_ms, stored, unchanged) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![ack, device_id, now_ms, stored as i64, unchanged as i64],
            )?;
            tx.commit()?;
            Ok(Upserted { stored, unchanged })
        })
        .await
    }

    pub(crate) async fn delete_usage(&self, device_id: String) -> Result<u64, ServerError> {
        self.write(move |c| {
            let tx = c.transaction()?;
            let deleted = tx.execute("DELETE FROM buckets WHERE device_id = ?1", [&device_id])?;
            tx.execute("DELETE FROM receipts WHERE device_id = ?1", [&device_id])?;
            tx.commit()?;
            Ok(deleted as u64)
        })
        .await
    }

    pub(crate) async fn access_log(
        &self,
        device_id: String,
    ) -> Result<Vec<AccessEntry>, ServerError> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT at_ms, who, what FROM access_log WHERE device_id = ?1 \
                 ORDER BY at_ms DESC, who, what",
            )?;
            let rows = stmt.query_map([device_id], |r| {
                Ok(AccessEntry {
                    at_ms: r.get(0)?,
                    who: r.get(1)?,
                    what: r.get(2)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .await
    }

    pub(crate) async fn add_admin(
        &self,
        name: String,
        token_hash: String,
        now_ms: i64,
    ) -> Result<bool, ServerError> {
        self.write(move |c| {
            let n = c.execute(
                "INSERT INTO admins (name, token_hash, created_ms) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (name) DO NOTHING",
                params![name, token_hash, now_ms],
            )?;
            Ok(n == 1)
        })
        .await
    }

    pub(crate) async fn revoke(&self, device_id: String, now_ms: i64) -> Result<bool, ServerError> {
        self.write(move |c| {
            let n = c.execute(
                "UPDATE devices SET revoked_ms = COALESCE(revoked_ms, ?1) WHERE id = ?2",
                params![now_ms, device_id],
            )?;
            Ok(n == 1)
        })
        .await
    }

    pub(crate) async fn assign(
        &self,
        device_id: String,
        person: String,
        team: String,
    ) -> Result<bool, ServerError> {
        self.write(move |c| {
            let n = c.execute(
                "UPDATE devices SET person = ?1, team = ?2 WHERE id = ?3",
                params![person, team, device_id],
            )?;
            Ok(n == 1)
        })
        .await
    }

    pub(crate) async fn devices(&self) -> Result<Vec<DeviceInfo>, ServerError> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT d.id, d.enrolled_ms, d.revoked_ms, d.person, d.team, \
                 (SELECT COUNT(*) FROM buckets b WHERE b.device_id = d.id) \
                 FROM devices d ORDER BY d.id",
            )?;
            let rows = stmt.query_map([], |r| Ok((device_at(r)?, r.get::<_, i64>(5)?)))?;
            rows.map(|row| {
                let (mut d, n) = row?;
                d.buckets = count(n)?;
                Ok(d)
            })
            .collect()
        })
        .await
    }

    pub(crate) async fn buckets(&self) -> Result<Vec<StoredBucket>, ServerError> {
        self.read(|c| {
            let mut stmt = c.prepare(&format!(
                "SELECT b.device_id, {BUCKET_COLUMNS} FROM buckets b \
                 ORDER BY b.device_id, b.start, b.period, b.tool, b.model"
            ))?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, bucket_at(r, 1)?)))?;
            rows.map(|row| {
                let (device_id, bucket) = row?;
                Ok(StoredBucket {
                    device_id,
                    bucket: bucket?,
                })
            })
            .collect()
        })
        .await
    }

    pub(crate) async fn report_rows(
        &self,
        query: RowQuery,
        reader: Reader,
    ) -> Result<Vec<ReportRow>, ServerError> {
        // On the writer: the rows read and the access log written are one
        // transaction, so no read goes unlogged.
        self.write(move |c| {
            let tx = c.transaction()?;
            let rows = {
                let mut stmt = tx.prepare_cached(&report_sql(query.by, |n| format!("?{n}")))?;
                let rows =
                    stmt.query_map(params![query.period.as_str(), query.from, query.to], |r| {
                        let mut sums = [0i64; 6];
                        for (i, s) in sums.iter_mut().enumerate() {
                            *s = r.get(5 + i)?;
                        }
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, Option<String>>(1)?,
                            r.get::<_, Option<String>>(2)?,
                            r.get::<_, String>(3)?,
                            r.get::<_, i64>(4)?,
                            sums,
                        ))
                    })?;
                rows.map(|row| {
                    let (device_id, person, team, tool, start, s) = row?;
                    Ok(ReportRow {
                        device_id,
                        person,
                        team,
                        tool,
                        start,
                        totals: Totals {
                            input: count(s[0])?,
                            cache_read: count(s[1])?,
                            cache_write: count(s[2])?,
                            output: count(s[3])?,
                            reasoning: count(s[4])?,
                            calls: count(s[5])?,
                        },
                    })
                })
                .collect::<Result<Vec<_>, ServerError>>()?
            };
            let mut devices: Vec<String> = rows.iter().map(|r| r.device_id.clone()).collect();
            devices.sort();
            devices.dedup();
            log_reads(&tx, &reader, devices)?;
            tx.commit()?;
            Ok(rows)
        })
        .await
    }

    pub(crate) async fn export_rows(
        &self,
        reader: Reader,
    ) -> Result<Vec<(DeviceInfo, Bucket)>, ServerError> {
        self.write(move |c| {
            let tx = c.transaction()?;
            let rows = {
                let mut stmt = tx.prepare(&format!(
                    "SELECT d.id, d.enrolled_ms, d.revoked_ms, d.person, d.team, {BUCKET_COLUMNS} \
                     FROM buckets b JOIN devices d ON d.id = b.device_id \
                     ORDER BY d.id, b.start, b.period, b.tool, b.model"
                ))?;
                let rows = stmt.query_map([], |r| Ok((device_at(r)?, bucket_at(r, 5)?)))?;
                rows.map(|row| {
                    let (d, b) = row?;
                    Ok((d, b?))
                })
                .collect::<Result<Vec<_>, ServerError>>()?
            };
            let mut devices: Vec<String> = rows.iter().map(|(d, _)| d.id.clone()).collect();
            devices.dedup();
            log_reads(&tx, &reader, devices)?;
            tx.commit()?;
            Ok(rows)
        })
        .await
    }
}

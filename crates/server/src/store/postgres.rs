//! PostgreSQL: a pool of connections; a batch is one multi-row statement
//! (arrays unnested server-side) so an upload costs a few round trips, not
//! one per bucket.

use std::str::FromStr;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use tokentally_wire::{AccessEntry, Bucket};
use tokio_postgres::NoTls;

use super::migrations::{CREATE_LEDGER, MIGRATIONS};
use super::{
    DeviceInfo, Reader, ReportRow, RowQuery, StoredBucket, Totals, Upserted, bucket_from_columns,
    bucket_numbers, count, report_sql,
};
use crate::ServerError;
use crate::secret::now_ms;

pub(crate) struct PgStore {
    pool: Pool,
}

/// Any constant; it only has to be the same for every migrating process.
const MIGRATION_LOCK: i64 = 0x7474_6d69_6772;

const BUCKET_COLUMNS: &str = "b.start, b.period, b.tool, b.model, b.revision, b.input, \
     b.cache_read, b.cache_write, b.output, b.reasoning, b.calls_exact, b.calls_reported, \
     b.calls_estimated";

/// Reads BUCKET_COLUMNS starting at column `at`.
fn bucket_at(row: &tokio_postgres::Row, at: usize) -> Result<Bucket, ServerError> {
    let mut numbers = [0i64; 9];
    for (i, n) in numbers.iter_mut().enumerate() {
        *n = row.try_get(at + 4 + i)?;
    }
    let period: &str = row.try_get(at + 1)?;
    let tool: &str = row.try_get(at + 2)?;
    let model: &str = row.try_get(at + 3)?;
    bucket_from_columns(row.try_get(at)?, period, tool, model, numbers)
}

fn device_at(row: &tokio_postgres::Row) -> Result<DeviceInfo, ServerError> {
    Ok(DeviceInfo {
        id: row.try_get(0)?,
        enrolled_ms: row.try_get(1)?,
        revoked_ms: row.try_get(2)?,
        person: row.try_get(3)?,
        team: row.try_get(4)?,
        buckets: 0,
    })
}

async fn log_reads(
    tx: &deadpool_postgres::Transaction<'_>,
    reader: &Reader,
    devices: Vec<String>,
) -> Result<(), ServerError> {
    tx.execute(
        "INSERT INTO access_log (at_ms, who, what, device_id) \
         SELECT $1::bigint, $2::text, $3::text, d FROM UNNEST($4::text[]) AS t(d)",
        &[&reader.at_ms, &reader.who, &reader.what, &devices],
    )
    .await?;
    Ok(())
}

impl PgStore {
    pub(crate) async fn open(url: &str, pool_size: usize) -> Result<Self, ServerError> {
        let config = tokio_postgres::Config::from_str(url)?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(pool_size.max(1))
            .build()
            .map_err(|e| ServerError::Pool(e.to_string()))?;
        let store = PgStore { pool };
        store.migrate().await?;
        Ok(store)
    }

    async fn client(&self) -> Result<Object, ServerError> {
        Ok(self.pool.get().await?)
    }

    async fn migrate(&self) -> Result<(), ServerError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        // Two servers starting at once: the second waits, then finds the
        // steps recorded.
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await?;
        tx.batch_execute(CREATE_LEDGER).await?;
        for (version, sql) in MIGRATIONS {
            let done = tx
                .query_opt(
                    "SELECT version FROM schema_migrations WHERE version = $1",
                    &[version],
                )
                .await?;
            if done.is_none() {
                tx.batch_execute(sql).await?;
                tx.execute(
                    "INSERT INTO schema_migrations (version, applied_ms) VALUES ($1, $2)",
                    &[version, &now_ms()],
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn insert_codes(
        &self,
        hashes: Vec<String>,
        issued_ms: i64,
        expires_ms: i64,
        uses: i64,
    ) -> Result<(), ServerError> {
        self.client()
            .await?
            .execute(
                "INSERT INTO enrollment_codes (code_hash, issued_ms, expires_ms, uses_left) \
                 SELECT h, $2::bigint, $3::bigint, $4::bigint FROM UNNEST($1::text[]) AS t(h)",
                &[&hashes, &issued_ms, &expires_ms, &uses],
            )
            .await?;
        Ok(())
    }

    pub(crate) async fn enroll(
        &self,
        code_hash: String,
        now_ms: i64,
        device_id: String,
        token_hash: String,
    ) -> Result<bool, ServerError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        // The row lock the UPDATE takes serialises concurrent uses of one
        // code; each rechecks uses_left on the row the previous one left.
        let used = tx
            .execute(
                "UPDATE enrollment_codes SET uses_left = uses_left - 1, used_ms = $1, device_id = $2 \
                 WHERE code_hash = $3 AND uses_left > 0 AND expires_ms > $1",
                &[&now_ms, &device_id, &code_hash],
            )
            .await?;
        if used != 1 {
            return Ok(false);
        }
        tx.execute(
            "INSERT INTO devices (id, token_hash, enrolled_ms) VALUES ($1, $2, $3)",
            &[&device_id, &token_hash, &now_ms],
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub(crate) async fn device_for_token(
        &self,
        token_hash: String,
    ) -> Result<Option<String>, ServerError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached("SELECT id FROM devices WHERE token_hash = $1 AND revoked_ms IS NULL")
            .await?;
        let row = client.query_opt(&stmt, &[&token_hash]).await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    pub(crate) async fn admin_for_token(
        &self,
        token_hash: String,
    ) -> Result<Option<String>, ServerError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT name FROM admins WHERE token_hash = $1",
                &[&token_hash],
            )
            .await?;
        Ok(row.map(|r| r.try_get(0)).transpose()?)
    }

    pub(crate) async fn upsert(
        &self,
        device_id: String,
        buckets: Vec<Bucket>,
        ack: String,
        now_ms: i64,
    ) -> Result<Upserted, ServerError> {
        let mut starts = Vec::with_capacity(buckets.len());
        let mut periods = Vec::with_capacity(buckets.len());
        let mut tools = Vec::with_capacity(buckets.len());
        let mut models = Vec::with_capacity(buckets.len());
        let mut numbers: [Vec<i64>; 9] = Default::default();
        for b in &buckets {
            starts.push(b.start);
            periods.push(b.period.as_str());
            tools.push(b.tool.0.as_str());
            models.push(b.model.as_str());
            for (column, n) in numbers.iter_mut().zip(bucket_numbers(b)) {
                column.push(n);
            }
        }
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let stmt = tx
            .prepare_cached(
                "INSERT INTO buckets (device_id, start, period, tool, model, revision, input, \
                 cache_read, cache_write, output, reasoning, calls_exact, calls_reported, \
                 calls_estimated, received_ms) \
                 SELECT $1::text, t.*, $15::bigint FROM UNNEST($2::bigint[], $3::text[], $4::text[], \
                 $5::text[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[], \
                 $10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[], $14::bigint[]) AS t \
                 ON CONFLICT (device_id, start, period, tool, model) DO UPDATE SET \
                 revision = excluded.revision, input = excluded.input, \
                 cache_read = excluded.cache_read, cache_write = excluded.cache_write, \
                 output = excluded.output, reasoning = excluded.reasoning, \
                 calls_exact = excluded.calls_exact, calls_reported = excluded.calls_reported, \
                 calls_estimated = excluded.calls_estimated, received_ms = excluded.received_ms \
                 WHERE excluded.revision > buckets.revision",
            )
            .await?;
        let [n0, n1, n2, n3, n4, n5, n6, n7, n8] = &numbers;
        // Rows affected: inserted plus raised; the WHERE skips the rest.
        let stored = tx
            .execute(
                &stmt,
                &[
                    &device_id, &starts, &periods, &tools, &models, n0, n1, n2, n3, n4, n5, n6, n7,
                    n8, &now_ms,
                ],
            )
            .await?;
        let unchanged = buckets.len() as u64 - stored;
        tx.execute(
            "INSERT INTO receipts (ack, device_id, received_ms, stored, unchanged) \
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &ack,
                &device_id,
                &now_ms,
                &(stored as i64),
                &(unchanged as i64),
            ],
        )
        .await?;
        tx.commit().await?;
        Ok(Upserted { stored, unchanged })
    }

    pub(crate) async fn delete_usage(&self, device_id: String) -> Result<u64, ServerError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let deleted = tx
            .execute("DELETE FROM buckets WHERE device_id = $1", &[&device_id])
            .await?;
        tx.execute("DELETE FROM receipts WHERE device_id = $1", &[&device_id])
            .await?;
        tx.commit().await?;
        Ok(deleted)
    }

    pub(crate) async fn access_log(
        &self,
        device_id: String,
    ) -> Result<Vec<AccessEntry>, ServerError> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT at_ms, who, what FROM access_log WHERE device_id = $1 \
                 ORDER BY at_ms DESC, who, what",
                &[&device_id],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(AccessEntry {
                    at_ms: r.try_get(0)?,
                    who: r.try_get(1)?,
                    what: r.try_get(2)?,
                })
            })
            .collect()
    }

    pub(crate) async fn add_admin(
        &self,
        name: String,
        token_hash: String,
        now_ms: i64,
    ) -> Result<bool, ServerError> {
        let n = self
            .client()
            .await?
            .execute(
                "INSERT INTO admins (name, token_hash, created_ms) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO NOTHING",
                &[&name, &token_hash, &now_ms],
            )
            .await?;
        Ok(n == 1)
    }

    pub(crate) async fn revoke(&self, device_id: String, now_ms: i64) -> Result<bool, ServerError> {
        let n = self
            .client()
            .await?
            .execute(
                "UPDATE devices SET revoked_ms = COALESCE(revoked_ms, $1) WHERE id = $2",
                &[&now_ms, &device_id],
            )
            .await?;
        Ok(n == 1)
    }

    pub(crate) async fn assign(
        &self,
        device_id: String,
        person: String,
        team: String,
    ) -> Result<bool, ServerError> {
        let n = self
            .client()
            .await?
            .execute(
                "UPDATE devices SET person = $1, team = $2 WHERE id = $3",
                &[&person, &team, &device_id],
            )
            .await?;
        Ok(n == 1)
    }

    pub(crate) async fn devices(&self) -> Result<Vec<DeviceInfo>, ServerError> {
        let rows = self
            .client()
            .await?
            .query(
                "SELECT d.id, d.enrolled_ms, d.revoked_ms, d.person, d.team, \
                 (SELECT COUNT(*) FROM buckets b WHERE b.device_id = d.id) \
                 FROM devices d ORDER BY d.id",
                &[],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let mut d = device_at(r)?;
                d.buckets = count(r.try_get(5)?)?;
                Ok(d)
            })
            .collect()
    }

    pub(crate) async fn buckets(&self) -> Result<Vec<StoredBucket>, ServerError> {
        let rows = self
            .client()
            .await?
            .query(
                &format!(
                    "SELECT b.device_id, {BUCKET_COLUMNS} FROM buckets b \
                     ORDER BY b.device_id, b.start, b.period, b.tool, b.model"
                ),
                &[],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(StoredBucket {
                    device_id: r.try_get(0)?,
                    bucket: bucket_at(r, 1)?,
                })
            })
            .collect()
    }

    pub(crate) async fn report_rows(
        &self,
        query: RowQuery,
        reader: Reader,
    ) -> Result<Vec<ReportRow>, ServerError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let sql = report_sql(query.by, |n| format!("${n}"));
        let raw = tx
            .query(&sql, &[&query.period.as_str(), &query.from, &query.to])
            .await?;
        let mut rows = Vec::with_capacity(raw.len());
        for r in &raw {
            let sum = |i: usize| -> Result<u64, ServerError> { count(r.try_get(5 + i)?) };
            rows.push(ReportRow {
                device_id: r.try_get(0)?,
                person: r.try_get(1)?,
                team: r.try_get(2)?,
                tool: r.try_get(3)?,
                start: r.try_get(4)?,
                totals: Totals {
                    input: sum(0)?,
                    cache_read: sum(1)?,
                    cache_write: sum(2)?,
                    output: sum(3)?,
                    reasoning: sum(4)?,
                    calls: sum(5)?,
                },
            });
        }
        let mut devices: Vec<String> = rows.iter().map(|r| r.device_id.clone()).collect();
        devices.sort();
        devices.dedup();
        log_reads(&tx, &reader, devices).await?;
        tx.commit().await?;
        Ok(rows)
    }

    pub(crate) async fn export_rows(
        &self,
        reader: Reader,
    ) -> Result<Vec<(DeviceInfo, Bucket)>, ServerError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let raw = tx
            .query(
                &format!(
                    "SELECT d.id, d.enrolled_ms, d.revoked_ms, d.person, d.team, {BUCKET_COLUMNS} \
                     FROM buckets b JOIN devices d ON d.id = b.device_id \
                     ORDER BY d.id, b.start, b.period, b.tool, b.model"
                ),
                &[],
            )
            .await?;
        let rows = raw
            .iter()
            .map(|r| Ok((device_at(r)?, bucket_at(r, 5)?)))
            .collect::<Result<Vec<_>, ServerError>>()?;
        let mut devices: Vec<String> = rows.iter().map(|(d, _)| d.id.clone()).collect();
        devices.dedup();
        log_reads(&tx, &reader, devices).await?;
        tx.commit().await?;
        Ok(rows)
    }
}

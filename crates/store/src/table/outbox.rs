//! `outbox`: per sink, each bucket's totals as last prepared for sending,
//! the revision they were given, and the highest revision the receiver
//! acknowledged. A bucket whose revision is above its acknowledged one is
//! still to send: this table is the upload queue, and it survives restarts.

use rusqlite::{Connection, params};

pub(crate) const V4: &str = "
CREATE TABLE outbox (
    sink            TEXT    NOT NULL,
    start           INTEGER NOT NULL,
    period          TEXT    NOT NULL,
    tool            TEXT    NOT NULL,
    model           TEXT    NOT NULL CHECK (length(model) <= 96),
    input           INTEGER NOT NULL,
    cache_read      INTEGER NOT NULL,
    cache_write     INTEGER NOT NULL,
    output          INTEGER NOT NULL,
    reasoning       INTEGER NOT NULL,
    calls_exact     INTEGER NOT NULL,
    calls_reported  INTEGER NOT NULL,
    calls_estimated INTEGER NOT NULL,
    revision        INTEGER NOT NULL,
    acked           INTEGER NOT NULL,
    PRIMARY KEY (sink, start, period, tool, model)
) STRICT, WITHOUT ROWID;
";

/// One bucket of the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    /// Period start, seconds since the epoch.
    pub start: i64,
    /// `hour`, `day` or `week`.
    pub period: String,
    /// Tool id.
    pub tool: String,
    /// Model or family.
    pub model: String,
    /// input, cache_read, cache_write, output, reasoning, calls_exact,
    /// calls_reported, calls_estimated.
    pub numbers: [u64; 8],
    /// Revision of these numbers.
    pub revision: u64,
    /// Highest revision the receiver acknowledged (0: none).
    pub acked: u64,
}

pub(crate) fn load(
    conn: &Connection,
    sink: &str,
    from_start: i64,
) -> rusqlite::Result<Vec<OutboxRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT start, period, tool, model, input, cache_read, cache_write, output, reasoning,
                calls_exact, calls_reported, calls_estimated, revision, acked
         FROM outbox WHERE sink = ?1 AND start >= ?2",
    )?;
    let rows = stmt.query_map(params![sink, from_start], |r| {
        let mut numbers = [0u64; 8];
        for (i, n) in numbers.iter_mut().enumerate() {
            *n = r.get::<_, i64>(4 + i)? as u64;
        }
        Ok(OutboxRow {
            start: r.get(0)?,
            period: r.get(1)?,
            tool: r.get(2)?,
            model: r.get(3)?,
            numbers,
            revision: r.get::<_, i64>(12)? as u64,
            acked: r.get::<_, i64>(13)? as u64,
        })
    })?;
    rows.collect()
}

/// Saves the numbers and revision of rows about to be sent, keeping what
/// was acknowledged. False when another process prepared one of these
/// revisions with other numbers meanwhile: the caller rolls back and
/// computes again, so one revision never carries two sets of numbers.
pub(crate) fn prepare(conn: &Connection, sink: &str, rows: &[OutboxRow]) -> rusqlite::Result<bool> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO outbox VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, 0)
         ON CONFLICT (sink, start, period, tool, model) DO UPDATE SET
            input = excluded.input, cache_read = excluded.cache_read,
            cache_write = excluded.cache_write, output = excluded.output,
            reasoning = excluded.reasoning, calls_exact = excluded.calls_exact,
            calls_reported = excluded.calls_reported, calls_estimated = excluded.calls_estimated,
            revision = excluded.revision
         WHERE excluded.revision > outbox.revision
            OR (excluded.revision = outbox.revision
                AND (input, cache_read, cache_write, output, reasoning, calls_exact,
                     calls_reported, calls_estimated)
                  = (excluded.input, excluded.cache_read, excluded.cache_write,
                     excluded.output, excluded.reasoning, excluded.calls_exact,
                     excluded.calls_reported, excluded.calls_estimated))",
    )?;
    for row in rows {
        let n = row.numbers.map(|v| v as i64);
        let changed = stmt.execute(params![
            sink,
            row.start,
            row.period,
            row.tool,
            row.model,
            n[0],
            n[1],
            n[2],
            n[3],
            n[4],
            n[5],
            n[6],
            n[7],
            row.revision as i64
        ])?;
        if changed == 0 {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Records that the receiver holds these rows at the revisions sent.
pub(crate) fn acknowledge(
    conn: &Connection,
    sink: &str,
    rows: &[OutboxRow],
) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached(
        "UPDATE outbox SET acked = max(acked, ?6)
         WHERE sink = ?1 AND start = ?2 AND period = ?3 AND tool = ?4 AND model = ?5",
    )?;
    for row in rows {
        stmt.execute(params![
            sink,
            row.start,
            row.period,
            row.tool,
            row.model,
            row.revision as i64
        ])?;
    }
    Ok(())
}

pub(crate) fn clear(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM outbox", []).map(|_| ())
}

//! `receipts`: every upload attempt, with the exact bytes sent, their
//! SHA-256, and what the receiver answered.

use rusqlite::{Connection, OptionalExtension, params};

pub(crate) const V4: &str = "
CREATE TABLE receipts (
    id          INTEGER PRIMARY KEY,
    at_ms       INTEGER NOT NULL,
    sink        TEXT    NOT NULL,
    server      TEXT    NOT NULL,
    payload     BLOB    NOT NULL,
    sha256      TEXT    NOT NULL,
    buckets     INTEGER NOT NULL,
    outcome     TEXT    NOT NULL,
    http_status INTEGER,
    ack         TEXT,
    detail      TEXT,
    done_ms     INTEGER
) STRICT;
";

/// One upload attempt.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Receipt {
    /// Local id.
    pub id: i64,
    /// When the attempt began, ms since the epoch.
    pub at_ms: i64,
    /// `server` or `otlp`.
    pub sink: String,
    /// The URL it was sent to.
    pub server: String,
    /// The bytes sent.
    #[serde(skip)]
    pub payload: Vec<u8>,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
    /// Buckets in it.
    pub buckets: u64,
    /// `sending`, `acknowledged`, `refused` or `failed`.
    pub outcome: String,
    /// The HTTP status, if one came back.
    pub http_status: Option<u16>,
    /// The receiver's acknowledgement id.
    pub ack: Option<String>,
    /// The receiver's reason or the transport error, shortened.
    pub detail: Option<String>,
    /// When the attempt ended.
    pub done_ms: Option<i64>,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptEnd {
    /// `acknowledged`, `refused` or `failed`.
    pub outcome: &'static str,
    /// HTTP status.
    pub http_status: Option<u16>,
    /// Acknowledgement id.
    pub ack: Option<String>,
    /// Reason, at most 500 characters kept.
    pub detail: Option<String>,
    /// When.
    pub done_ms: i64,
}

pub(crate) fn begin(
    conn: &Connection,
    at_ms: i64,
    sink: &str,
    server: &str,
    payload: &[u8],
    sha256: &str,
    buckets: u64,
) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO receipts (at_ms, sink, server, payload, sha256, buckets, outcome)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'sending')",
        params![at_ms, sink, server, payload, sha256, buckets as i64],
    )?;
    Ok(conn.last_insert_rowid())
}

pub(crate) fn end(conn: &Connection, id: i64, end: &ReceiptEnd) -> rusqlite::Result<()> {
    let detail = end
        .detail
        .as_ref()
        .map(|d| d.chars().take(500).collect::<String>());
    conn.execute(
        "UPDATE receipts SET outcome = ?2, http_status = ?3, ack = ?4, detail = ?5, done_ms = ?6
         WHERE id = ?1",
        params![
            id,
            end.outcome,
            end.http_status,
            end.ack,
            detail,
            end.done_ms
        ],
    )?;
    Ok(())
}

const COLUMNS: &str =
    "id, at_ms, sink, server, payload, sha256, buckets, outcome, http_status, ack, detail, done_ms";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Receipt> {
    Ok(Receipt {
        id: r.get(0)?,
        at_ms: r.get(1)?,
        sink: r.get(2)?,
        server: r.get(3)?,
        payload: r.get(4)?,
        sha256: r.get(5)?,
        buckets: r.get::<_, i64>(6)? as u64,
        outcome: r.get(7)?,
        http_status: r.get(8)?,
        ack: r.get(9)?,
        detail: r.get(10)?,
        done_ms: r.get(11)?,
    })
}

pub(crate) fn all(conn: &Connection) -> rusqlite::Result<Vec<Receipt>> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {COLUMNS} FROM receipts ORDER BY id"))?;
    let rows = stmt.query_map([], from_row)?;
    rows.collect()
}

pub(crate) fn one(conn: &Connection, id: i64) -> rusqlite::Result<Option<Receipt>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM receipts WHERE id = ?1"),
        params![id],
        from_row,
    )
    .optional()
}

pub(crate) fn clear(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM receipts", []).map(|_| ())
}

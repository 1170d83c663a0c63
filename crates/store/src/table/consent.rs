//! `consent`: every time the employee turned uploads on or off, with what
//! an enabling said about calls counted before it.

use rusqlite::{Connection, params};

pub(crate) const V4: &str = "
CREATE TABLE consent (
    at_ms   INTEGER NOT NULL PRIMARY KEY,
    enabled INTEGER NOT NULL,
    from_ms INTEGER
) STRICT;
";

/// One change of consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ConsentChange {
    /// When, ms since the epoch.
    pub at_ms: i64,
    /// On or off.
    pub enabled: bool,
    /// When turned on: the earliest call time that may be uploaded (`None`:
    /// everything counted before, as the employee chose).
    pub from_ms: Option<i64>,
}

pub(crate) fn record(conn: &Connection, change: &ConsentChange) -> rusqlite::Result<()> {
    // Two changes in the same millisecond: the later one wins.
    conn.execute(
        "INSERT OR REPLACE INTO consent VALUES (?1, ?2, ?3)",
        params![change.at_ms, change.enabled, change.from_ms],
    )?;
    Ok(())
}

pub(crate) fn all(conn: &Connection) -> rusqlite::Result<Vec<ConsentChange>> {
    let mut stmt =
        conn.prepare_cached("SELECT at_ms, enabled, from_ms FROM consent ORDER BY at_ms")?;
    let rows = stmt.query_map([], |r| {
        Ok(ConsentChange {
            at_ms: r.get(0)?,
            enabled: r.get(1)?,
            from_ms: r.get(2)?,
        })
    })?;
    rows.collect()
}

//! `pauses`: the windows in which the employee paused counting. A call
//! whose time falls in one is not counted, whichever source reads it and
//! whenever: a log line written while paused and read later is dropped too.

use rusqlite::{Connection, params};

pub(crate) const V3: &str = "
CREATE TABLE pauses (
    start_ms INTEGER NOT NULL PRIMARY KEY,
    end_ms   INTEGER
) STRICT;
";

/// One pause: from `start_ms` to `end_ms` (exclusive), or open-ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Pause {
    /// When it began, ms since the epoch.
    pub start_ms: i64,
    /// When it ends or ended; `None` until resumed.
    pub end_ms: Option<i64>,
}

impl Pause {
    /// Whether a call at `at_ms` falls in it.
    pub fn covers(&self, at_ms: i64) -> bool {
        at_ms >= self.start_ms && self.end_ms.is_none_or(|end| at_ms < end)
    }
}

pub(crate) fn all(conn: &Connection) -> rusqlite::Result<Vec<Pause>> {
    let mut stmt = conn.prepare_cached("SELECT start_ms, end_ms FROM pauses ORDER BY start_ms")?;
    let rows = stmt.query_map([], |r| {
        Ok(Pause {
            start_ms: r.get(0)?,
            end_ms: r.get(1)?,
        })
    })?;
    rows.collect()
}

/// Starts a pause at `start_ms`, ending at `end_ms` if given; an open pause
/// is closed first, so at most one is open.
pub(crate) fn begin(conn: &Connection, start_ms: i64, end_ms: Option<i64>) -> rusqlite::Result<()> {
    end(conn, start_ms)?;
    conn.prepare_cached(
        "INSERT INTO pauses (start_ms, end_ms) VALUES (?1, ?2)
         ON CONFLICT (start_ms) DO UPDATE SET end_ms = excluded.end_ms",
    )?
    .execute(params![start_ms, end_ms])?;
    Ok(())
}

/// Ends every pause still running at `at_ms` there.
pub(crate) fn end(conn: &Connection, at_ms: i64) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE pauses SET end_ms = ?1
         WHERE start_ms <= ?1 AND (end_ms IS NULL OR end_ms > ?1)",
    )?
    .execute([at_ms])?;
    Ok(())
}

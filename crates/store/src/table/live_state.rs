//! `live_state`: the small state of the live sources (the telemetry
//! receiver's last value per counter series), saved in the transaction that
//! stores the events it produced, so a restart neither loses nor repeats.

use rusqlite::{Connection, OptionalExtension, params};

pub(crate) const V2: &str = "
CREATE TABLE live_state (
    name  TEXT NOT NULL PRIMARY KEY,
    value BLOB NOT NULL
) STRICT;
";

pub(crate) fn save(conn: &Connection, name: &str, value: &[u8]) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO live_state (name, value) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![name, value])?;
    Ok(())
}

pub(crate) fn load(conn: &Connection, name: &str) -> rusqlite::Result<Option<Vec<u8>>> {
    conn.prepare_cached("SELECT value FROM live_state WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
        .optional()
}

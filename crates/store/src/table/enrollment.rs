//! `enrollment`: which server this device is enrolled at and its device id.
//! The device token is never here: it lives in the OS keychain.

use rusqlite::{Connection, OptionalExtension, params};

pub(crate) const V4: &str = "
CREATE TABLE enrollment (
    server      TEXT    NOT NULL PRIMARY KEY,
    device_id   TEXT    NOT NULL,
    enrolled_ms INTEGER NOT NULL
) STRICT;
";

/// This device's enrollment at one server.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Enrollment {
    /// The server's base URL.
    pub server: String,
    /// The id the server gave this device.
    pub device_id: String,
    /// When, ms since the epoch.
    pub enrolled_ms: i64,
}

pub(crate) fn save(conn: &Connection, e: &Enrollment) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO enrollment VALUES (?1, ?2, ?3)",
        params![e.server, e.device_id, e.enrolled_ms],
    )?;
    Ok(())
}

pub(crate) fn find(conn: &Connection, server: &str) -> rusqlite::Result<Option<Enrollment>> {
    conn.query_row(
        "SELECT server, device_id, enrolled_ms FROM enrollment WHERE server = ?1",
        params![server],
        |r| {
            Ok(Enrollment {
                server: r.get(0)?,
                device_id: r.get(1)?,
                enrolled_ms: r.get(2)?,
            })
        },
    )
    .optional()
}

pub(crate) fn remove(conn: &Connection, server: &str) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM enrollment WHERE server = ?1", params![server])
        .map(|_| ())
}

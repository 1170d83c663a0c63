//! Retention: calls older than the policy's `retention_days` are removed
//! with their slot sums, and not stored again if an old log is read later.

use rusqlite::{Connection, params};

use super::slots::SLOT_MS;

/// The first kept moment for a cutoff: the start of its slot, so that a
/// slot is kept or removed whole with its calls.
pub(crate) fn kept_from(cutoff_ms: i64) -> i64 {
    cutoff_ms.div_euclid(SLOT_MS) * SLOT_MS
}

/// Removes the calls and slot sums before `kept_from`; the calls removed.
pub(crate) fn prune(conn: &Connection, kept_from: i64) -> rusqlite::Result<u64> {
    let removed = conn.execute("DELETE FROM events WHERE at_ms < ?1", params![kept_from])?;
    conn.execute("DELETE FROM slots WHERE slot < ?1", params![kept_from])?;
    Ok(removed as u64)
}

//! Reading a tool's SQLite database beside the tool, which keeps writing it.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::Stamp;

/// A database's stamp: its own file and its write-ahead log, where the
/// writer's recent commits are until a checkpoint.
pub(crate) fn sqlite_stamp(path: &Path) -> std::io::Result<Stamp> {
    let mut stamp = Stamp::of_file(path)?;
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    if let Ok(w) = Stamp::of_file(Path::new(&wal)) {
        stamp.size += w.size;
        stamp.mtime_ns = stamp.mtime_ns.max(w.mtime_ns);
    }
    Ok(stamp)
}

/// Opens a tool's database without writing to it or waiting long on it.
pub(crate) fn open_read_only(path: &Path) -> Result<Connection, rusqlite::Error> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(2))?;
    Ok(conn)
}

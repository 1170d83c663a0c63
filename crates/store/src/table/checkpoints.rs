//! `checkpoints`: how far each source file has been read, and the parser
//! state at that point.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, Row, params};
use tokentally_event::Tool;

pub(crate) const V1: &str = "
CREATE TABLE checkpoints (
    file_id       INTEGER PRIMARY KEY,
    tool          TEXT    NOT NULL,
    path          BLOB    NOT NULL UNIQUE,
    dev           INTEGER NOT NULL,
    ino           INTEGER NOT NULL,
    head_len      INTEGER NOT NULL,
    head_hash     INTEGER NOT NULL,
    tail_hash     INTEGER NOT NULL,
    offset        INTEGER NOT NULL,
    size          INTEGER NOT NULL,
    mtime_ns      INTEGER NOT NULL,
    skipped_lines INTEGER NOT NULL,
    state         BLOB    NOT NULL
) STRICT;
";

/// How far one file has been read.
///
/// A file is the same file as long as its device and inode match and its
/// first `head_len` bytes still hash to `head_hash`; the bytes just before
/// `offset` hashing to `tail_hash` shows nothing before the offset was
/// rewritten. Anything else means the file was replaced or rewritten and is
/// read again from the start (the call keys make that harmless).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The store's id for this file (0 before the first save).
    pub file_id: i64,
    /// The tool whose log this is.
    pub tool: Tool,
    /// Where the file was found.
    pub path: PathBuf,
    /// Device number (0 where the platform gives none).
    pub dev: u64,
    /// Inode or file index (0 where the platform gives none).
    pub ino: u64,
    /// How many leading bytes `head_hash` covers.
    pub head_len: u64,
    /// Hash of the first `head_len` bytes.
    pub head_hash: u64,
    /// Hash of the bytes just before `offset` (up to a fixed window).
    pub tail_hash: u64,
    /// Bytes consumed: the end of the last complete line read.
    pub offset: u64,
    /// File size when read.
    pub size: u64,
    /// Modification time when read, nanoseconds since the epoch.
    pub mtime_ns: i64,
    /// Lines skipped in this file so far (malformed, oversized).
    pub skipped_lines: u64,
    /// The collector's parser state at `offset`, opaque to the store.
    pub state: Vec<u8>,
}

pub(crate) fn all(conn: &Connection) -> rusqlite::Result<Vec<Checkpoint>> {
    let mut stmt = conn.prepare_cached(
        "SELECT file_id, tool, path, dev, ino, head_len, head_hash, tail_hash, offset, size,
                mtime_ns, skipped_lines, state
         FROM checkpoints",
    )?;
    let rows = stmt.query_map([], from_row)?;
    let mut out = Vec::new();
    for row in rows {
        // A tool this build no longer knows keeps its row; it is not ours to read.
        if let Some(checkpoint) = row? {
            out.push(checkpoint);
        }
    }
    Ok(out)
}

fn from_row(row: &Row<'_>) -> rusqlite::Result<Option<Checkpoint>> {
    let tool: String = row.get(1)?;
    let Ok(tool) = tool.parse::<Tool>() else {
        return Ok(None);
    };
    let path: Vec<u8> = row.get(2)?;
    Ok(Some(Checkpoint {
        file_id: row.get(0)?,
        tool,
        path: path_from_bytes(path),
        dev: row.get::<_, i64>(3)? as u64,
        ino: row.get::<_, i64>(4)? as u64,
        head_len: row.get::<_, i64>(5)? as u64,
        head_hash: row.get::<_, i64>(6)? as u64,
        tail_hash: row.get::<_, i64>(7)? as u64,
        offset: row.get::<_, i64>(8)? as u64,
        size: row.get::<_, i64>(9)? as u64,
        mtime_ns: row.get(10)?,
        skipped_lines: row.get::<_, i64>(11)? as u64,
        state: row.get(12)?,
    }))
}

/// Inserts or updates the checkpoint of `checkpoint.path`; returns its file id.
pub(crate) fn save(conn: &Connection, c: &Checkpoint) -> rusqlite::Result<i64> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO checkpoints (tool, path, dev, ino, head_len, head_hash, tail_hash, offset,
                                  size, mtime_ns, skipped_lines, state)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT (path) DO UPDATE SET
            tool = excluded.tool, dev = excluded.dev, ino = excluded.ino,
            head_len = excluded.head_len, head_hash = excluded.head_hash,
            tail_hash = excluded.tail_hash, offset = excluded.offset, size = excluded.size,
            mtime_ns = excluded.mtime_ns, skipped_lines = excluded.skipped_lines,
            state = excluded.state
         RETURNING file_id",
    )?;
    stmt.query_row(
        params![
            c.tool.as_str(),
            path_to_bytes(&c.path),
            c.dev as i64,
            c.ino as i64,
            c.head_len as i64,
            c.head_hash as i64,
            c.tail_hash as i64,
            c.offset as i64,
            c.size as i64,
            c.mtime_ns,
            c.skipped_lines as i64,
            c.state,
        ],
        |r| r.get(0),
    )
}

/// The checkpoint of one path, if any.
pub(crate) fn by_path(conn: &Connection, path: &Path) -> rusqlite::Result<Option<Checkpoint>> {
    let mut stmt = conn.prepare_cached(
        "SELECT file_id, tool, path, dev, ino, head_len, head_hash, tail_hash, offset, size,
                mtime_ns, skipped_lines, state
         FROM checkpoints WHERE path = ?1",
    )?;
    use rusqlite::OptionalExtension;
    Ok(stmt
        .query_row([path_to_bytes(path)], from_row)
        .optional()?
        .flatten())
}

// Paths are stored as their OS bytes so that a path that is not UTF-8 still
// finds its own checkpoint again.
#[cfg(unix)]
fn path_to_bytes(path: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    path.as_os_str().as_bytes().to_vec()
}

#[cfg(unix)]
pub(crate) fn path_from_bytes(bytes: Vec<u8>) -> PathBuf {
    use std::os::unix::ffi::OsStringExt;
    PathBuf::from(std::ffi::OsString::from_vec(bytes))
}

#[cfg(not(unix))]
fn path_to_bytes(path: &Path) -> Vec<u8> {
    path.to_string_lossy().into_owned().into_bytes()
}

#[cfg(not(unix))]
pub(crate) fn path_from_bytes(bytes: Vec<u8>) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(&bytes).into_owned())
}

//! `events`: one row per billed call, keyed by (tool, call key), kept forever.

use super::slots::{Counted, SlotDeltas};
use rusqlite::{Connection, OptionalExtension, params};
use tokentally_event::{Key, Tool, UsageEvent};

pub(crate) const V1: &str = "
CREATE TABLE events (
    tool        TEXT    NOT NULL,
    call_key    BLOB    NOT NULL CHECK (length(call_key) = 16),
    session_key BLOB    NOT NULL CHECK (length(session_key) = 16),
    at_ms       INTEGER NOT NULL,
    model       TEXT    NOT NULL CHECK (length(model) <= 96),
    input       INTEGER NOT NULL,
    cache_read  INTEGER NOT NULL,
    cache_write INTEGER NOT NULL,
    output      INTEGER NOT NULL,
    reasoning   INTEGER NOT NULL,
    provenance  INTEGER NOT NULL,
    file_id     INTEGER NOT NULL,
    offset      INTEGER NOT NULL,
    rank        BLOB    NOT NULL,
    grp         BLOB,
    side_copy   INTEGER NOT NULL,
    counted     INTEGER NOT NULL,
    PRIMARY KEY (tool, call_key)
) STRICT, WITHOUT ROWID;
CREATE INDEX events_side_copies ON events (tool, grp) WHERE side_copy = 1;
";

/// The parameters ?1 to ?16 of an event row, in column order.
macro_rules! row_params {
    ($e:expr, $side_copy:expr) => {
        params![
            $e.tool.as_str(),
            $e.call.as_bytes(),
            $e.session.as_bytes(),
            $e.at_ms,
            $e.model.as_str(),
            $e.tokens.input as i64,
            $e.tokens.cache_read as i64,
            $e.tokens.cache_write as i64,
            $e.tokens.output as i64,
            $e.tokens.reasoning as i64,
            $e.provenance.code(),
            $e.source.file_id,
            $e.source.offset as i64,
            $e.rank.0.as_slice(),
            $e.lineage.map(|l| l.group.0),
            $side_copy,
        ]
    };
}

/// What an upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A call not seen before.
    Inserted,
    /// A known call, replaced by a more complete record.
    Improved,
    /// A known call; the stored record stays.
    Unchanged,
}

pub(crate) fn upsert(
    conn: &Connection,
    e: &UsageEvent,
    deltas: &mut SlotDeltas,
) -> rusqlite::Result<Outcome> {
    let side_copy = e.lineage.is_some_and(|l| l.side_copy);
    // Most records are new: try the insert first and look closer only on a conflict.
    if insert(conn, e, side_copy)? {
        deltas.add(e.tool, &counted_of(e), 1);
        return Ok(Outcome::Inserted);
    }
    let worse: Option<(bool, Counted)> = conn
        .prepare_cached(
            "SELECT counted, at_ms, model, input, cache_read, cache_write, output, reasoning,
                    provenance
             FROM events WHERE tool = ?1 AND call_key = ?2 AND rank < ?3",
        )?
        .query_row(
            params![e.tool.as_str(), e.call.as_bytes(), e.rank.0.as_slice()],
            |r| Ok((r.get(0)?, Counted::from_row(r, 1)?)),
        )
        .optional()?;
    if let Some((counted, old)) = worse {
        // A call seen both as a primary and as a side copy is a primary:
        // the flag only ever goes from 1 to 0.
        conn.prepare_cached(
            "UPDATE events SET session_key = ?3, at_ms = ?4, model = ?5, input = ?6,
                    cache_read = ?7, cache_write = ?8, output = ?9, reasoning = ?10,
                    provenance = ?11, file_id = ?12, offset = ?13, rank = ?14, grp = ?15,
                    side_copy = side_copy AND ?16
             WHERE tool = ?1 AND call_key = ?2",
        )?
        .execute(row_params!(e, side_copy))?;
        if counted {
            deltas.add(e.tool, &old, -1);
            deltas.add(e.tool, &counted_of(e), 1);
        }
        return Ok(Outcome::Improved);
    }
    let unflagged = match side_copy {
        true => 0,
        false => conn
            .prepare_cached(
                "UPDATE events SET side_copy = 0 WHERE tool = ?1 AND call_key = ?2 AND side_copy = 1",
            )?
            .execute(params![e.tool.as_str(), e.call.as_bytes()])?,
    };
    Ok(if unflagged > 0 {
        Outcome::Improved
    } else {
        Outcome::Unchanged
    })
}

fn counted_of(e: &UsageEvent) -> Counted {
    Counted {
        at_ms: e.at_ms,
        model: e.model.as_str().to_owned(),
        tokens: e.tokens,
        estimated: e.provenance == tokentally_event::Provenance::Estimated,
    }
}

/// Inserts a call not seen before; false when the call key is known.
fn insert(conn: &Connection, e: &UsageEvent, side_copy: bool) -> rusqlite::Result<bool> {
    let inserted = conn
        .prepare_cached(
            "INSERT INTO events (tool, call_key, session_key, at_ms, model, input, cache_read,
                                 cache_write, output, reasoning, provenance, file_id, offset,
                                 rank, grp, side_copy, counted)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, 1)
             ON CONFLICT (tool, call_key) DO NOTHING",
        )?
        .execute(row_params!(e, side_copy))?;
    Ok(inserted > 0)
}

/// Recomputes which records of one group count: a side copy does not while
/// a primary record of the same group exists under another call key. Run
/// after every write to the group, so the answer does not depend on which
/// was read first.
pub(crate) fn side_copy_groups(conn: &Connection) -> rusqlite::Result<Vec<(String, Vec<u8>)>> {
    let mut stmt =
        conn.prepare_cached("SELECT DISTINCT tool, grp FROM events WHERE side_copy = 1")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

/// Flips `counted` for the side copies of group ?2 whose status is wrong: a
/// side copy counts only while no primary of its group exists under another
/// call key. The index hint matters: left to itself the planner scans every
/// event of the tool for each group.
pub(crate) const RESOLVE_REPLAYS: &str =
    "UPDATE events INDEXED BY events_side_copies SET counted = 1 - counted
     WHERE tool = ?1 AND grp = ?2 AND side_copy = 1
       AND counted = EXISTS (
         SELECT 1 FROM events p
         WHERE p.tool = ?1 AND p.call_key BETWEEN ?3 AND ?4 AND p.grp = ?2
           AND p.side_copy = 0 AND p.call_key <> events.call_key)
     RETURNING counted, at_ms, model, input, cache_read, cache_write, output, reasoning,
               provenance, call_key";

pub(crate) fn resolve_replays(
    conn: &Connection,
    tool: Tool,
    group: &Key,
    deltas: &mut SlotDeltas,
    uncounted: &mut Vec<Key>,
) -> rusqlite::Result<()> {
    // The primaries of a group are found by the range of its members' keys.
    let (low, high) = group.member_range();
    let mut stmt = conn.prepare_cached(RESOLVE_REPLAYS)?;
    let mut rows = stmt.query(params![
        tool.as_str(),
        group.as_bytes(),
        low.as_bytes(),
        high.as_bytes()
    ])?;
    while let Some(row) = rows.next()? {
        let now_counted: bool = row.get(0)?;
        if !now_counted && let Some(key) = Key::from_slice(&row.get::<_, Vec<u8>>(9)?) {
            uncounted.push(key);
        }
        deltas.add(
            tool,
            &Counted::from_row(row, 1)?,
            if now_counted { 1 } else { -1 },
        );
    }
    Ok(())
}

pub(crate) fn counted_calls(conn: &Connection) -> rusqlite::Result<u64> {
    conn.query_row("SELECT count(*) FROM events WHERE counted = 1", [], |r| {
        r.get::<_, i64>(0)
    })
    .map(|n| n as u64)
}

/// Counted calls of one tool with one provenance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCalls {
    /// The tool.
    pub tool: Tool,
    /// Where the counts came from.
    pub provenance: tokentally_event::Provenance,
    /// What saw them: `log`, `proxy` or `telemetry`.
    pub via: &'static str,
    /// Counted calls.
    pub calls: u64,
    /// The latest call, ms since the epoch.
    pub last_at_ms: i64,
}

pub(crate) fn calls_by_tool(conn: &Connection) -> rusqlite::Result<Vec<ToolCalls>> {
    let mut stmt = conn.prepare_cached(
        "SELECT tool, provenance, min(file_id, 0), count(*), max(at_ms) FROM events
         WHERE counted = 1 GROUP BY tool, provenance, min(file_id, 0)
         ORDER BY tool, provenance, min(file_id, 0) DESC",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, i64>(4)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (tool, provenance, file_id, calls, last_at_ms) = row?;
        if let (Ok(tool), Some(provenance)) = (
            tool.parse(),
            tokentally_event::Provenance::from_code(provenance),
        ) {
            out.push(ToolCalls {
                tool,
                provenance,
                via: tokentally_event::SourceRef { file_id, offset: 0 }.via(),
                calls: calls as u64,
                last_at_ms,
            });
        }
    }
    Ok(out)
}

/// One counted call as uploads see it: no key, no session, no source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountedCall {
    /// When, ms since the epoch.
    pub at_ms: i64,
    /// Tool id.
    pub tool: String,
    /// Model as the tool wrote it.
    pub model: String,
    /// Its tokens.
    pub tokens: tokentally_event::Tokens,
    /// Where the counts came from.
    pub provenance: tokentally_event::Provenance,
}

impl CountedCall {
    /// Reads the columns `at_ms, tool, model, input, cache_read,
    /// cache_write, output, reasoning, provenance` (the first nine).
    fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        let number = |i: usize| r.get::<_, i64>(i).map(|n| n as u64);
        Ok(CountedCall {
            at_ms: r.get(0)?,
            tool: r.get(1)?,
            model: r.get(2)?,
            tokens: tokentally_event::Tokens {
                input: number(3)?,
                cache_read: number(4)?,
                cache_write: number(5)?,
                output: number(6)?,
                reasoning: number(7)?,
            },
            provenance: tokentally_event::Provenance::from_code(r.get(8)?)
                .unwrap_or(tokentally_event::Provenance::Estimated),
        })
    }
}

/// Visits every counted call at or after `from_ms`.
pub(crate) fn each_counted(
    conn: &Connection,
    from_ms: i64,
    visit: &mut dyn FnMut(CountedCall),
) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached(
        "SELECT at_ms, tool, model, input, cache_read, cache_write, output, reasoning, provenance
         FROM events WHERE counted = 1 AND at_ms >= ?1",
    )?;
    let mut rows = stmt.query(params![from_ms])?;
    while let Some(r) = rows.next()? {
        visit(CountedCall::from_row(r)?);
    }
    Ok(())
}

/// One of the latest counted calls, with where it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecentCall {
    /// The call.
    pub call: CountedCall,
    /// `log`, `proxy` or `telemetry`.
    pub via: &'static str,
    /// The log file it was read from, and the offset of its line.
    pub source: Option<(std::path::PathBuf, u64)>,
}

/// The `limit` latest counted calls, newest first.
pub(crate) fn recent(conn: &Connection, limit: usize) -> rusqlite::Result<Vec<RecentCall>> {
    let mut stmt = conn.prepare_cached(
        "SELECT e.at_ms, e.tool, e.model, e.input, e.cache_read, e.cache_write, e.output,
                e.reasoning, e.provenance, e.file_id, e.offset, c.path
         FROM events e LEFT JOIN checkpoints c ON c.file_id = e.file_id
         WHERE e.counted = 1 ORDER BY e.at_ms DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map(params![limit as i64], |r| {
        let path: Option<Vec<u8>> = r.get(11)?;
        let source = tokentally_event::SourceRef {
            file_id: r.get(9)?,
            offset: r.get::<_, i64>(10)? as u64,
        };
        Ok(RecentCall {
            call: CountedCall::from_row(r)?,
            via: source.via(),
            source: path.map(|p| (super::checkpoints::path_from_bytes(p), source.offset)),
        })
    })?;
    rows.collect()
}

//! `slots`: the counted events summed per tool, model and 15-minute slot,
//! kept exact by triggers on `events`, so a report reads a few thousand
//! sums instead of every call.

use std::collections::HashMap;

use rusqlite::{Connection, params};
use tokentally_event::{Tokens, Tool};

/// Length of a slot: 15 minutes, the finest step of any time zone's UTC
/// offset, so every local day, week or month is a whole number of slots.
pub const SLOT_MS: i64 = 15 * 60 * 1000;

// Kept by the writing transaction: each commit folds the changes it made to
// counted events into per-slot deltas and applies them before it commits,
// so the sums can never disagree with the events they sum (a test checks it
// against a GROUP BY over the events after random writes).
pub(crate) const V1: &str = "
CREATE TABLE slots (
    tool            TEXT    NOT NULL,
    model           TEXT    NOT NULL,
    slot            INTEGER NOT NULL,
    input           INTEGER NOT NULL,
    cache_read      INTEGER NOT NULL,
    cache_write     INTEGER NOT NULL,
    output          INTEGER NOT NULL,
    reasoning       INTEGER NOT NULL,
    calls           INTEGER NOT NULL,
    estimated_calls INTEGER NOT NULL,
    PRIMARY KEY (tool, model, slot)
) STRICT, WITHOUT ROWID;
";

/// The numbers of one event as the slots see them.
#[derive(Debug, Clone)]
pub(crate) struct Counted {
    pub at_ms: i64,
    pub model: String,
    pub tokens: Tokens,
    pub estimated: bool,
}

impl Counted {
    /// Reads the columns `at_ms, model, input, cache_read, cache_write,
    /// output, reasoning, provenance` starting at `first`.
    pub(crate) fn from_row(r: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<Self> {
        let number = |i: usize| r.get::<_, i64>(first + i).map(|n| n as u64);
        Ok(Counted {
            at_ms: r.get(first)?,
            model: r.get(first + 1)?,
            tokens: Tokens {
                input: number(2)?,
                cache_read: number(3)?,
                cache_write: number(4)?,
                output: number(5)?,
                reasoning: number(6)?,
            },
            estimated: r.get::<_, i64>(first + 7)? == 2,
        })
    }
}

/// Changes to the slot sums made by one transaction, applied at its end.
#[derive(Debug, Default)]
pub(crate) struct SlotDeltas(HashMap<(Tool, String, i64), [i64; 7]>);

impl SlotDeltas {
    /// Adds (`sign` 1) or removes (`sign` -1) one counted event.
    pub(crate) fn add(&mut self, tool: Tool, e: &Counted, sign: i64) {
        let slot = e.at_ms - e.at_ms.rem_euclid(SLOT_MS);
        let d = self.0.entry((tool, e.model.clone(), slot)).or_default();
        let t = &e.tokens;
        for (acc, v) in d.iter_mut().zip([
            t.input,
            t.cache_read,
            t.cache_write,
            t.output,
            t.reasoning,
            1,
            u64::from(e.estimated),
        ]) {
            *acc += sign * v as i64;
        }
    }

    /// Writes the deltas into `slots`.
    pub(crate) fn apply(self, conn: &Connection) -> rusqlite::Result<()> {
        let mut stmt = conn.prepare_cached(
            "INSERT INTO slots VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT (tool, model, slot) DO UPDATE SET
                input = input + excluded.input, cache_read = cache_read + excluded.cache_read,
                cache_write = cache_write + excluded.cache_write, output = output + excluded.output,
                reasoning = reasoning + excluded.reasoning, calls = calls + excluded.calls,
                estimated_calls = estimated_calls + excluded.estimated_calls",
        )?;
        for ((tool, model, slot), d) in self.0 {
            if d.iter().all(|v| *v == 0) {
                continue;
            }
            stmt.execute(params![
                tool.as_str(),
                model,
                slot,
                d[0],
                d[1],
                d[2],
                d[3],
                d[4],
                d[5],
                d[6]
            ])?;
        }
        Ok(())
    }
}

/// Which counted events to sum.
#[derive(Debug, Clone, Default)]
pub struct SlotQuery {
    /// Inclusive lower bound, ms since the epoch (slot-aligned for exact results).
    pub from_ms: Option<i64>,
    /// Exclusive upper bound, ms since the epoch (slot-aligned for exact results).
    pub to_ms: Option<i64>,
    /// Only this tool.
    pub tool: Option<Tool>,
}

/// Sums of the counted events of one tool and model in one 15-minute slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotRow {
    /// The tool.
    pub tool: Tool,
    /// The model as the tool wrote it.
    pub model: String,
    /// Start of the slot, ms since the epoch (a multiple of [`SLOT_MS`]).
    pub slot_start_ms: i64,
    /// Summed tokens.
    pub tokens: Tokens,
    /// Number of calls.
    pub calls: u64,
    /// Calls whose counts are estimates.
    pub estimated_calls: u64,
}

pub(crate) fn query(conn: &Connection, q: &SlotQuery) -> rusqlite::Result<Vec<SlotRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT tool, model, slot, input, cache_read, cache_write, output, reasoning, calls,
                estimated_calls
         FROM slots
         WHERE calls > 0 AND slot >= ?1 AND slot < ?2 AND (?3 IS NULL OR tool = ?3)",
    )?;
    let rows = stmt.query_map(
        params![
            q.from_ms.unwrap_or(i64::MIN),
            q.to_ms.unwrap_or(i64::MAX),
            q.tool.map(Tool::as_str)
        ],
        |r| {
            let tool: String = r.get(0)?;
            let number = |i: usize| r.get::<_, i64>(i).map(|n| n as u64);
            let row = SlotRow {
                tool: Tool::ClaudeCode,
                model: r.get(1)?,
                slot_start_ms: r.get(2)?,
                tokens: Tokens {
                    input: number(3)?,
                    cache_read: number(4)?,
                    cache_write: number(5)?,
                    output: number(6)?,
                    reasoning: number(7)?,
                },
                calls: number(8)?,
                estimated_calls: number(9)?,
            };
            Ok((tool, row))
        },
    )?;
    let mut out = Vec::new();
    for row in rows {
        let (tool, mut slot) = row?;
        // Rows of a tool this build does not know are not reported.
        if let Ok(tool) = tool.parse() {
            slot.tool = tool;
            out.push(slot);
        }
    }
    Ok(out)
}

/// (tool, model, slot, [input, cache read, cache write, output, reasoning,
/// calls, estimated calls]), for comparing the two ways of summing.
#[cfg(test)]
pub(crate) type SumRow = (String, String, i64, [i64; 7]);

/// The same sums computed from the events themselves: what the stored sums
/// must always agree with.
#[cfg(test)]
pub(crate) fn recomputed(conn: &Connection) -> rusqlite::Result<Vec<SumRow>> {
    sum_rows(
        conn,
        "SELECT tool, model, at_ms - ((at_ms % 900000) + 900000) % 900000 AS slot,
                sum(input), sum(cache_read), sum(cache_write), sum(output), sum(reasoning),
                count(*), sum(provenance = 2)
         FROM events WHERE counted = 1 GROUP BY tool, model, slot ORDER BY tool, model, slot",
    )
}

/// The stored sums, in the order of [`recomputed`].
#[cfg(test)]
pub(crate) fn stored(conn: &Connection) -> rusqlite::Result<Vec<SumRow>> {
    sum_rows(
        conn,
        "SELECT tool, model, slot, input, cache_read, cache_write, output, reasoning, calls,
                estimated_calls
         FROM slots WHERE calls > 0 ORDER BY tool, model, slot",
    )
}

#[cfg(test)]
fn sum_rows(conn: &Connection, sql: &str) -> rusqlite::Result<Vec<SumRow>> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([], |r| {
        let mut sums = [0i64; 7];
        for (i, sum) in sums.iter_mut().enumerate() {
            *sum = r.get(3 + i)?;
        }
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, sums))
    })?;
    rows.collect()
}

//! Schema migrations: run in order, in one transaction, recorded in
//! `PRAGMA user_version`. A database from a newer build is refused rather
//! than guessed at.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use crate::{StoreError, table};

/// The migrations, oldest first: each is the statements of one schema
/// version, taken from the table modules. Never edit a released entry:
/// append a new one.
const MIGRATIONS: &[&[&str]] = &[
    &[table::checkpoints::V1, table::events::V1, table::slots::V1],
    &[table::live_state::V2],
    &[table::pauses::V3],
    &[
        table::consent::V4,
        table::outbox::V4,
        table::receipts::V4,
        table::enrollment::V4,
    ],
];

/// The newest schema version this build knows.
pub fn latest() -> i64 {
    MIGRATIONS.len() as i64
}

pub(crate) fn run(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let err = |e| StoreError::classify(path, e);
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(err)?;
    let found: i64 = tx
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(err)?;
    if found > latest() {
        return Err(StoreError::NewerSchema {
            path: path.to_owned(),
            found,
            supported: latest(),
        });
    }
    for (index, statements) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        for sql in *statements {
            tx.execute_batch(sql).map_err(err)?;
        }
        tx.pragma_update(None, "user_version", index as i64 + 1)
            .map_err(err)?;
    }
    tx.commit().map_err(err)
}

//! The ledger's side of uploads: consent, the outbox, receipts and the
//! enrollment, each change in one transaction.

use rusqlite::TransactionBehavior;

use crate::table::{
    self,
    consent::ConsentChange,
    enrollment::Enrollment,
    events::{CountedCall, RecentCall},
    outbox::OutboxRow,
    receipts::{Receipt, ReceiptEnd},
};
use crate::{Store, StoreError};

/// What `delete_usage_data` removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Deleted {
    /// Calls.
    pub calls: u64,
    /// Upload receipts.
    pub receipts: u64,
}

impl Store {
    /// Records a change of upload consent.
    pub fn record_consent(&mut self, change: &ConsentChange) -> Result<(), StoreError> {
        table::consent::record(&self.conn, change).map_err(|e| self.err(e))
    }

    /// Every change of upload consent, oldest first.
    pub fn consent(&self) -> Result<Vec<ConsentChange>, StoreError> {
        table::consent::all(&self.conn).map_err(|e| self.err(e))
    }

    /// Visits every counted call at or after `from_ms`.
    pub fn each_counted(
        &self,
        from_ms: i64,
        visit: &mut dyn FnMut(CountedCall),
    ) -> Result<(), StoreError> {
        table::events::each_counted(&self.conn, from_ms, visit).map_err(|e| self.err(e))
    }

    /// The `limit` latest counted calls, newest first, with where each was read.
    pub fn recent_calls(&self, limit: usize) -> Result<Vec<RecentCall>, StoreError> {
        table::events::recent(&self.conn, limit).map_err(|e| self.err(e))
    }

    /// The outbox of `sink` from period start `from_start` (seconds) on.
    pub fn outbox(&self, sink: &str, from_start: i64) -> Result<Vec<OutboxRow>, StoreError> {
        table::outbox::load(&self.conn, sink, from_start).map_err(|e| self.err(e))
    }

    /// Before sending: saves the buckets' numbers and revisions and opens a
    /// receipt holding the exact bytes, in one transaction, so a crash after
    /// the send re-sends the same revisions. Returns the receipt id, or
    /// `None` (nothing written) when another process prepared one of these
    /// revisions with other numbers meanwhile: compute again.
    pub fn begin_upload(
        &mut self,
        rows: &[OutboxRow],
        sink: &str,
        server: &str,
        payload: &[u8],
        sha256: &str,
        at_ms: i64,
    ) -> Result<Option<i64>, StoreError> {
        let path = self.path.clone();
        let err = |e| StoreError::classify(&path, e);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        if !table::outbox::prepare(&tx, sink, rows).map_err(err)? {
            return Ok(None); // dropping the transaction rolls it back
        }
        let id =
            table::receipts::begin(&tx, at_ms, sink, server, payload, sha256, rows.len() as u64)
                .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(Some(id))
    }

    /// After sending: closes the receipt and, when the receiver
    /// acknowledged, marks the rows sent as held there.
    pub fn end_upload(
        &mut self,
        receipt: i64,
        end: &ReceiptEnd,
        acknowledged: Option<(&str, &[OutboxRow])>,
    ) -> Result<(), StoreError> {
        let path = self.path.clone();
        let err = |e| StoreError::classify(&path, e);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        table::receipts::end(&tx, receipt, end).map_err(err)?;
        if let Some((sink, rows)) = acknowledged {
            table::outbox::acknowledge(&tx, sink, rows).map_err(err)?;
        }
        tx.commit().map_err(err)
    }

    /// Every upload attempt, oldest first.
    pub fn receipts(&self) -> Result<Vec<Receipt>, StoreError> {
        table::receipts::all(&self.conn).map_err(|e| self.err(e))
    }

    /// One upload attempt.
    pub fn receipt(&self, id: i64) -> Result<Option<Receipt>, StoreError> {
        table::receipts::one(&self.conn, id).map_err(|e| self.err(e))
    }

    /// Saves this device's enrollment at a server.
    pub fn save_enrollment(&mut self, enrollment: &Enrollment) -> Result<(), StoreError> {
        table::enrollment::save(&self.conn, enrollment).map_err(|e| self.err(e))
    }

    /// This device's enrollment at `server`, if any.
    pub fn enrollment(&self, server: &str) -> Result<Option<Enrollment>, StoreError> {
        table::enrollment::find(&self.conn, server).map_err(|e| self.err(e))
    }

    /// Forgets the enrollment at `server`.
    pub fn remove_enrollment(&mut self, server: &str) -> Result<(), StoreError> {
        table::enrollment::remove(&self.conn, server).map_err(|e| self.err(e))
    }

    /// Deletes the employee's usage data: every call and its sums, the
    /// outbox, the receipts and the pauses, and turns uploads off (recorded
    /// at `now_ms`). Kept: the read positions in the tools' logs and the
    /// telemetry series' last values, so nothing already read is counted
    /// again, and the consent history, which says when this happened.
    pub fn delete_usage_data(&mut self, now_ms: i64) -> Result<Deleted, StoreError> {
        let path = self.path.clone();
        let err = |e| StoreError::classify(&path, e);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        let count = |sql: &str| {
            tx.query_row(sql, [], |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
        };
        let deleted = Deleted {
            calls: count("SELECT count(*) FROM events").map_err(err)?,
            receipts: count("SELECT count(*) FROM receipts").map_err(err)?,
        };
        tx.execute_batch("DELETE FROM events; DELETE FROM slots; DELETE FROM pauses;")
            .map_err(err)?;
        table::outbox::clear(&tx).map_err(err)?;
        table::receipts::clear(&tx).map_err(err)?;
        let off = ConsentChange {
            at_ms: now_ms,
            enabled: false,
            from_ms: None,
        };
        table::consent::record(&tx, &off).map_err(err)?;
        tx.commit().map_err(err)?;
        self.side_groups = None;
        Ok(deleted)
    }
}

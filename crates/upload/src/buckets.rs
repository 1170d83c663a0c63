//! The buckets as the ledger holds them now: every counted call the
//! employee consented to upload, summed by period, tool and model.

use std::collections::BTreeMap;

use tokentally_event::{Provenance, Tool};
use tokentally_store::Store;

use crate::{Consent, Plan, UploadError, plan::Starts};

/// A bucket's identity in the outbox: period start (seconds), period,
/// tool id, model label.
pub type BucketId = (i64, String, String, String);

/// input, cache_read, cache_write, output, reasoning, calls_exact,
/// calls_reported, calls_estimated.
pub type Numbers = [u64; 8];

/// The totals of every bucket that starts at or after `from_ms` and holds
/// at least one consented call.
pub fn current(
    store: &Store,
    plan: &Plan,
    consent: &Consent,
    from_ms: i64,
) -> Result<BTreeMap<BucketId, Numbers>, UploadError> {
    let mut sums: BTreeMap<BucketId, Numbers> = BTreeMap::new();
    let mut starts = Starts::default();
    let mut labels: BTreeMap<String, String> = BTreeMap::new();
    let from = from_ms.max(consent.earliest().unwrap_or(i64::MAX));
    let period = plan.period().as_str().to_owned();
    store.each_counted(from, &mut |call| {
        if !consent.covers(call.at_ms) || call.tool.parse::<Tool>().is_err() {
            return;
        }
        let start = starts.of(plan, call.at_ms);
        if start.saturating_mul(1000) < from_ms {
            return; // a period partly before the window kept: never recomputed
        }
        let label = labels
            .entry(call.model.clone())
            .or_insert_with(|| plan.label(&call.model).as_str().to_owned())
            .clone();
        let n = sums
            .entry((start, period.clone(), call.tool, label))
            .or_default();
        let t = call.tokens;
        let kind = match call.provenance {
            Provenance::Log => 5,
            Provenance::Reported => 6,
            Provenance::Estimated => 7,
        };
        for (slot, add) in [
            (0, t.input),
            (1, t.cache_read),
            (2, t.cache_write),
            (3, t.output),
            (4, t.reasoning),
            (kind, 1),
        ] {
            n[slot] = n[slot].saturating_add(add);
        }
    })?;
    Ok(sums)
}

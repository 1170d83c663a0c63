//! Today's sums, from the ledger's 15-minute slots of the local day.

use jiff::{Timestamp, Zoned, tz::TimeZone};
use tokentally_store::{SlotQuery, Store, StoreError};

use crate::status::Today;

/// The local day containing `now`: its name and its bounds in ms.
pub(crate) fn day_of(now: Timestamp, zone: &TimeZone) -> (String, i64, i64) {
    let here = Zoned::new(now, zone.clone());
    let date = here.date();
    let start = date
        .to_zoned(zone.clone())
        .map(|z| z.timestamp().as_millisecond())
        .unwrap_or_else(|_| now.as_millisecond());
    let end = date
        .tomorrow()
        .ok()
        .and_then(|d| d.to_zoned(zone.clone()).ok())
        .map(|z| z.timestamp().as_millisecond())
        .unwrap_or(start + 86_400_000);
    (date.to_string(), start, end)
}

/// Sums the counted calls of the day `[start, end)`.
pub(crate) fn sum(store: &Store, day: String, start: i64, end: i64) -> Result<Today, StoreError> {
    let rows = store.slots(&SlotQuery {
        from_ms: Some(start),
        to_ms: Some(end),
        tool: None,
    })?;
    let mut today = Today {
        day,
        ..Today::default()
    };
    for row in rows {
        let t = row.tokens;
        today.input += t.input;
        today.output += t.output;
        today.cache_read += t.cache_read;
        today.cache_write += t.cache_write;
        today.reasoning += t.reasoning;
        today.total += t.total();
        today.calls += row.calls;
        today.estimated_calls += row.estimated_calls;
        *today
            .by_tool
            .entry(row.tool.as_str().to_owned())
            .or_default() += t.total();
    }
    Ok(today)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_local_day_has_its_own_bounds_also_across_a_dst_change() {
        let paris = TimeZone::get("Europe/Paris").unwrap();
        let now: Timestamp = "2026-10-25T12:00:00Z".parse().unwrap();
        let (day, start, end) = day_of(now, &paris);
        assert_eq!(day, "2026-10-25");
        // The day clocks go back lasts 25 hours.
        assert_eq!(end - start, 25 * 3_600_000);
        let utc = TimeZone::UTC;
        let (_, start, end) = day_of(now, &utc);
        assert_eq!(
            start,
            "2026-10-25T00:00:00Z"
                .parse::<Timestamp>()
                .unwrap()
                .as_millisecond()
        );
        assert_eq!(end - start, 86_400_000);
    }
}

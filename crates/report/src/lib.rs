//! Usage reports: the ledger's 15-minute sums regrouped by local day, week
//! or month, tool and model.

mod period;
mod table;

pub use period::{Period, PeriodError};
pub use table::{group, render_table};

use std::collections::BTreeMap;

use jiff::{Timestamp, civil::Date, tz::TimeZone};
use serde::Serialize;
use tokentally_event::{Tokens, Tool};
use tokentally_store::{SlotQuery, SlotRow};

/// What to report.
#[derive(Debug, Clone)]
pub struct ReportSpec {
    /// Period length.
    pub by: Period,
    /// The zone whose calendar defines days, weeks and months.
    pub tz: TimeZone,
    /// The zone's name as shown.
    pub tz_name: String,
    /// First local date included.
    pub since: Option<Date>,
    /// Last local date included.
    pub until: Option<Date>,
    /// Only this tool.
    pub tool: Option<Tool>,
}

impl ReportSpec {
    /// The store query for this report: the dates as UTC bounds.
    pub fn query(&self) -> Result<SlotQuery, PeriodError> {
        let start_of = |date: Date| -> Result<i64, PeriodError> {
            let zoned = date
                .to_zoned(self.tz.clone())
                .map_err(PeriodError::OutOfRange)?;
            Ok(zoned.timestamp().as_millisecond())
        };
        let to_ms = match self.until {
            Some(d) => Some(start_of(d.tomorrow().map_err(PeriodError::OutOfRange)?)?),
            None => None,
        };
        Ok(SlotQuery {
            from_ms: self.since.map(start_of).transpose()?,
            to_ms,
            tool: self.tool,
        })
    }
}

/// Token sums and call counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Sums {
    /// Input tokens not served from a cache.
    pub input_tokens: u64,
    /// Output tokens, reasoning included.
    pub output_tokens: u64,
    /// Input tokens read from a cache.
    pub cache_read_tokens: u64,
    /// Input tokens written to a cache.
    pub cache_write_tokens: u64,
    /// Reasoning tokens (part of output).
    pub reasoning_tokens: u64,
    /// input + output + cache read + cache write.
    pub total_tokens: u64,
    /// Calls.
    pub calls: u64,
    /// Calls whose counts are estimates.
    pub estimated_calls: u64,
}

impl Sums {
    fn add(&mut self, tokens: &Tokens, calls: u64, estimated_calls: u64) {
        self.input_tokens += tokens.input;
        self.output_tokens += tokens.output;
        self.cache_read_tokens += tokens.cache_read;
        self.cache_write_tokens += tokens.cache_write;
        self.reasoning_tokens += tokens.reasoning;
        self.total_tokens += tokens.total();
        self.calls += calls;
        self.estimated_calls += estimated_calls;
    }
}

/// One period, tool and model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    /// `2026-10-01` (day, or the Monday of a week) or `2026-10` (month).
    pub period: String,
    /// Tool id.
    pub tool: &'static str,
    /// Model as the tool wrote it.
    pub model: String,
    /// The sums.
    #[serde(flatten)]
    pub sums: Sums,
}

/// A report, in the shape `report --json` prints.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Time zone name.
    pub timezone: String,
    /// `day`, `week` or `month`.
    pub by: &'static str,
    /// Rows sorted by period, tool, model.
    pub rows: Vec<Row>,
    /// Sums of all rows.
    pub totals: Sums,
}

/// Groups the ledger's slots into the report's periods.
pub fn build(spec: &ReportSpec, slots: &[SlotRow]) -> Report {
    let mut grouped: BTreeMap<(String, &'static str, &str), Sums> = BTreeMap::new();
    let mut totals = Sums::default();
    for slot in slots {
        let local = Timestamp::from_millisecond(slot.slot_start_ms)
            .unwrap_or(Timestamp::UNIX_EPOCH)
            .to_zoned(spec.tz.clone())
            .date();
        let key = (
            spec.by.label(local),
            slot.tool.as_str(),
            slot.model.as_str(),
        );
        grouped
            .entry(key)
            .or_default()
            .add(&slot.tokens, slot.calls, slot.estimated_calls);
        totals.add(&slot.tokens, slot.calls, slot.estimated_calls);
    }
    let rows = grouped
        .into_iter()
        .map(|((period, tool, model), sums)| Row {
            period,
            tool,
            model: model.to_owned(),
            sums,
        })
        .collect();
    Report {
        timezone: spec.tz_name.clone(),
        by: spec.by.as_str(),
        rows,
        totals,
    }
}

#[cfg(test)]
mod tests;

//! "My usage": the last days' sums by tool, by model and per day, with a
//! cost estimate, read from the ledger's 15-minute sums.

use std::collections::BTreeMap;

use jiff::{Timestamp, ToSpan, tz::TimeZone};
use serde::Serialize;
use tokentally_store::{SlotQuery, SlotRow, Store};

use crate::{
    DeskError,
    prices::{PRICES_AS_OF, cost, price_of},
};

/// Sums of some calls.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Totals {
    /// Input tokens not from a cache.
    pub input: u64,
    /// Output tokens.
    pub output: u64,
    /// Cache reads.
    pub cache_read: u64,
    /// Cache writes.
    pub cache_write: u64,
    /// Reasoning (part of output).
    pub reasoning: u64,
    /// input + output + cache reads + cache writes.
    pub total: u64,
    /// Calls.
    pub calls: u64,
    /// Calls whose counts are estimates.
    pub estimated_calls: u64,
    /// Estimated list-price cost of the calls whose model is priced.
    pub cost_usd: Option<f64>,
}

impl Totals {
    fn add(&mut self, row: &SlotRow) {
        let t = &row.tokens;
        self.input += t.input;
        self.output += t.output;
        self.cache_read += t.cache_read;
        self.cache_write += t.cache_write;
        self.reasoning += t.reasoning;
        self.total += t.total();
        self.calls += row.calls;
        self.estimated_calls += row.estimated_calls;
        if let Some(price) = price_of(&row.model) {
            let c = cost(price, t.input, t.output, t.cache_read, t.cache_write);
            self.cost_usd = Some(self.cost_usd.unwrap_or(0.0) + c);
        }
    }
}

/// A tool's sums.
#[derive(Debug, Clone, Serialize)]
pub struct ToolTotals {
    /// Tool id.
    pub tool: String,
    /// Its sums.
    #[serde(flatten)]
    pub totals: Totals,
}

/// A model's sums.
#[derive(Debug, Clone, Serialize)]
pub struct ModelTotals {
    /// Model as the tools wrote it.
    pub model: String,
    /// Its sums.
    #[serde(flatten)]
    pub totals: Totals,
}

/// One local day's tokens per tool.
#[derive(Debug, Clone, Serialize)]
pub struct DayTotals {
    /// `YYYY-MM-DD`.
    pub day: String,
    /// Total tokens per tool id.
    pub by_tool: BTreeMap<String, u64>,
}

/// The last `days` days, today included.
#[derive(Debug, Clone, Serialize)]
pub struct UsageView {
    /// How many days.
    pub days: u32,
    /// First day.
    pub from_day: String,
    /// Last day (today).
    pub to_day: String,
    /// Time zone of the days.
    pub zone: String,
    /// All calls.
    pub totals: Totals,
    /// Per tool, by name.
    pub by_tool: Vec<ToolTotals>,
    /// Per model, by name.
    pub by_model: Vec<ModelTotals>,
    /// Every day of the range, oldest first (days without calls included).
    pub per_day: Vec<DayTotals>,
    /// Date of the price table.
    pub prices_as_of: &'static str,
}

/// Sums of the last `days` local days (1 = today) in `tz`.
pub fn usage(
    store: &Store,
    days: u32,
    tz: &TimeZone,
    now: Timestamp,
) -> Result<UsageView, DeskError> {
    let days = days.clamp(1, 366);
    let today = now.to_zoned(tz.clone()).date();
    let first = today.checked_sub((i64::from(days) - 1).days())?;
    let from_ms = first.to_zoned(tz.clone())?.timestamp().as_millisecond();
    let rows = store.slots(&SlotQuery {
        from_ms: Some(from_ms),
        to_ms: None,
        tool: None,
    })?;
    let mut totals = Totals::default();
    let mut tools: BTreeMap<String, Totals> = BTreeMap::new();
    let mut models: BTreeMap<String, Totals> = BTreeMap::new();
    let mut per_day: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    let mut day = first;
    while day <= today {
        per_day.insert(day.to_string(), BTreeMap::new());
        day = day.tomorrow()?;
    }
    for row in &rows {
        let tool = row.tool.as_str().to_owned();
        totals.add(row);
        tools.entry(tool.clone()).or_default().add(row);
        models.entry(row.model.clone()).or_default().add(row);
        let local = Timestamp::from_millisecond(row.slot_start_ms)?
            .to_zoned(tz.clone())
            .date();
        if let Some(d) = per_day.get_mut(&local.to_string()) {
            *d.entry(tool).or_default() += row.tokens.total();
        }
    }
    Ok(UsageView {
        days,
        from_day: first.to_string(),
        to_day: today.to_string(),
        zone: tz.iana_name().unwrap_or("local").to_owned(),
        totals,
        by_tool: tools
            .into_iter()
            .map(|(tool, totals)| ToolTotals { tool, totals })
            .collect(),
        by_model: models
            .into_iter()
            .map(|(model, totals)| ModelTotals { model, totals })
            .collect(),
        per_day: per_day
            .into_iter()
            .map(|(day, by_tool)| DayTotals { day, by_tool })
            .collect(),
        prices_as_of: PRICES_AS_OF,
    })
}

//! Report periods and their labels.

use std::str::FromStr;

use jiff::civil::{Date, Weekday};

/// The length of a report period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// A local calendar day.
    Day,
    /// An ISO week, Monday to Sunday, labelled by its Monday.
    Week,
    /// A calendar month.
    Month,
}

/// A bad period name or date range.
#[derive(Debug, thiserror::Error)]
pub enum PeriodError {
    /// Not day, week or month.
    #[error("unknown period `{0}`: use day, week or month")]
    Unknown(String),
    /// A date that has no instant in the zone.
    #[error("date out of range: {0}")]
    OutOfRange(jiff::Error),
}

impl Period {
    /// The name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
        }
    }

    /// The label of the period containing `date`.
    pub fn label(self, date: Date) -> String {
        match self {
            Period::Day => date.to_string(),
            Period::Week => {
                let back = i64::from(date.weekday().to_monday_zero_offset());
                let monday = date
                    .checked_sub(jiff::Span::new().days(back))
                    .unwrap_or(date);
                debug_assert_eq!(monday.weekday(), Weekday::Monday);
                monday.to_string()
            }
            Period::Month => format!("{:04}-{:02}", date.year(), date.month()),
        }
    }
}

impl FromStr for Period {
    type Err = PeriodError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "day" => Ok(Period::Day),
            "week" => Ok(Period::Week),
            "month" => Ok(Period::Month),
            other => Err(PeriodError::Unknown(other.to_owned())),
        }
    }
}

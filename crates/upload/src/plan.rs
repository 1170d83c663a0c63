//! The shape of the buckets: period, time zone, model naming. A plan finer
//! than the policy's floor cannot be made, so no payload can be either.

use std::collections::HashMap;

use jiff::{Timestamp, ToSpan, tz::TimeZone};
use tokentally_policy::{Granularity, ModelNames, Resolved};
use tokentally_wire::{ModelLabel, Period};

use crate::{UploadError, family::model_family};

/// How buckets are cut. Only [`Plan::new`] makes one, and it refuses a
/// granularity finer than the floor.
#[derive(Debug, Clone)]
pub struct Plan {
    period: Period,
    tz: TimeZone,
    names: ModelNames,
}

fn name(g: Granularity) -> &'static str {
    match g {
        Granularity::Hour => "hour",
        Granularity::Day => "day",
        Granularity::Week => "week",
    }
}

impl Plan {
    /// A plan of `chosen` periods, if not finer than `floor`.
    pub fn new(
        floor: Granularity,
        chosen: Granularity,
        tz: TimeZone,
        names: ModelNames,
    ) -> Result<Plan, UploadError> {
        if chosen < floor {
            return Err(UploadError::FinerThanFloor {
                chosen: name(chosen),
                floor: name(floor),
            });
        }
        let period = match chosen {
            Granularity::Hour => Period::Hour,
            Granularity::Day => Period::Day,
            Granularity::Week => Period::Week,
        };
        Ok(Plan { period, tz, names })
    }

    /// The plan the policy in force says.
    pub fn from_policy(policy: &Resolved) -> Result<Plan, UploadError> {
        let tz = match &policy.timezone {
            Some(zone) => TimeZone::get(zone).map_err(|_| UploadError::TimeZone(zone.clone()))?,
            None => TimeZone::system(),
        };
        Plan::new(
            policy.granularity_floor,
            policy.granularity,
            tz,
            policy.model_names,
        )
    }

    /// The period length.
    pub fn period(&self) -> Period {
        self.period
    }

    /// The name a model gets in uploads.
    pub fn label(&self, model: &str) -> ModelLabel {
        let name = match self.names {
            ModelNames::Full => model.to_owned(),
            ModelNames::Family => model_family(model),
        };
        ModelLabel::new(&name).unwrap_or_else(ModelLabel::unknown)
    }

    /// Start of the period holding `at_ms`, seconds since the epoch.
    pub fn period_start(&self, at_ms: i64) -> i64 {
        let Ok(ts) = Timestamp::from_millisecond(at_ms) else {
            return at_ms.div_euclid(1000);
        };
        let zoned = ts.to_zoned(self.tz.clone());
        let start = match self.period {
            Period::Hour => zoned
                .with()
                .minute(0)
                .second(0)
                .subsec_nanosecond(0)
                .build(),
            Period::Day => zoned.start_of_day(),
            Period::Week => {
                let back = i64::from(zoned.weekday().to_monday_zero_offset());
                zoned
                    .start_of_day()
                    .and_then(|day| day.checked_sub(back.days()))
                    .and_then(|monday| monday.start_of_day())
            }
        };
        start
            .map(|z| z.timestamp().as_second())
            .unwrap_or(at_ms.div_euclid(1000))
    }

    /// Start of the period after the one starting at `start` (seconds).
    pub fn period_end(&self, start: i64) -> i64 {
        // An hour, a day or a week later, then back to the period's start:
        // right across daylight-saving changes.
        let step = match self.period {
            Period::Hour => 3_600 + 1_800,
            Period::Day => 86_400 + 7_200,
            Period::Week => 7 * 86_400 + 7_200,
        };
        self.period_start((start + step) * 1000)
    }
}

/// Period starts of 15-minute slots, remembered: every zone's periods are
/// made of whole slots, and a year of calls touches few of them.
#[derive(Debug, Default)]
pub(crate) struct Starts(HashMap<i64, i64>);

impl Starts {
    pub(crate) fn of(&mut self, plan: &Plan, at_ms: i64) -> i64 {
        let slot = at_ms.div_euclid(900_000);
        *self
            .0
            .entry(slot)
            .or_insert_with(|| plan.period_start(slot * 900_000))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(g: Granularity, zone: &str) -> Plan {
        let tz = TimeZone::get(zone).expect("zone");
        Plan::new(Granularity::Hour, g, tz, ModelNames::Full).expect("plan")
    }

    fn ms(text: &str) -> i64 {
        text.parse::<Timestamp>().expect("time").as_millisecond()
    }

    #[test]
    fn a_plan_finer_than_the_floor_cannot_be_made() {
        for chosen in [Granularity::Hour, Granularity::Day] {
            let made = Plan::new(Granularity::Week, chosen, TimeZone::UTC, ModelNames::Full);
            assert!(matches!(made, Err(UploadError::FinerThanFloor { .. })));
        }
        assert!(
            Plan::new(
                Granularity::Day,
                Granularity::Week,
                TimeZone::UTC,
                ModelNames::Full
            )
            .is_ok()
        );
    }

    #[test]
    fn periods_follow_the_time_zone() {
        let day = plan(Granularity::Day, "Asia/Kolkata");
        // 20:00 UTC is 01:30 the next day in India (UTC+5:30).
        assert_eq!(
            day.period_start(ms("2026-03-10T20:00:00Z")),
            ms("2026-03-10T18:30:00Z") / 1000
        );
        let hour = plan(Granularity::Hour, "Asia/Kolkata");
        assert_eq!(
            hour.period_start(ms("2026-03-10T20:10:00Z")),
            ms("2026-03-10T19:30:00Z") / 1000
        );
        let week = plan(Granularity::Week, "Europe/Paris");
        // Sunday 2026-03-15 noon in Paris: the week began Monday 9th, 00:00 (UTC+1).
        assert_eq!(
            week.period_start(ms("2026-03-15T11:00:00Z")),
            ms("2026-03-08T23:00:00Z") / 1000
        );
    }

    #[test]
    fn a_daylight_saving_day_is_one_period() {
        let day = plan(Granularity::Day, "Europe/Paris");
        // 29 March 2026: clocks go forward, the day has 23 hours.
        let start = day.period_start(ms("2026-03-29T12:00:00Z"));
        assert_eq!(start, ms("2026-03-28T23:00:00Z") / 1000);
        assert_eq!(day.period_end(start), ms("2026-03-29T22:00:00Z") / 1000);
        assert_eq!(day.period_start(ms("2026-03-29T21:59:59Z")), start);
    }
}

//! The admin read API's reports: totals and a size band per group, groups
//! sorted by name only (never by amount), and team groups of fewer than k
//! people left out.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use tokentally_wire::Period;

use crate::store::{ReportRow, Totals};

/// What a report groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// One group per person (devices not yet assigned: `(unassigned)`).
    Person,
    /// One group per team, shown only with at least k people.
    Team,
    /// One group per tool id.
    Tool,
    /// One group per period start (RFC 3339, UTC).
    Period,
}

impl GroupBy {
    /// The name used in queries.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Person => "person",
            GroupBy::Team => "team",
            GroupBy::Tool => "tool",
            GroupBy::Period => "period",
        }
    }
}

/// The query string of `GET /v1/reports`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportParams {
    /// The grouping.
    pub by: GroupBy,
    /// First period start included, seconds since the epoch.
    pub from: i64,
    /// First period start no longer included.
    pub to: i64,
    /// Which period length to add up (buckets of each length cover the same
    /// calls, so only one is summed); `day` when absent.
    pub period: Option<Period>,
}

/// The group name of devices not yet mapped to a person or team; the
/// parentheses keep it apart from any name an admin can assign.
pub const UNASSIGNED: &str = "(unassigned)";

/// One group's numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportGroup {
    /// The person, team, tool id or period start.
    pub group: String,
    /// Distinct people whose devices contributed.
    pub people: u64,
    /// Devices that contributed.
    pub devices: u64,
    /// The sums.
    #[serde(flatten)]
    pub totals: Totals,
    /// Input, output and both cache kinds.
    pub total_tokens: u64,
    /// A coarse size label of `total_tokens`, e.g. `1M-10M`.
    pub band: String,
}

/// The reply of `GET /v1/reports`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// The grouping.
    pub by: GroupBy,
    /// The period length summed.
    pub period: Period,
    /// Range start, seconds.
    pub from: i64,
    /// Range end (excluded), seconds.
    pub to: i64,
    /// The smallest team shown, in people.
    pub k: usize,
    /// The groups, sorted by name.
    pub groups: Vec<ReportGroup>,
    /// Teams left out for having fewer than k people.
    pub suppressed: u64,
}

/// Size bands of total tokens: enough to compare orders of magnitude,
/// coarse enough that a band says little about one person.
pub fn band(total_tokens: u64) -> &'static str {
    const M: u64 = 1_000_000;
    match total_tokens {
        t if t < M => "0-1M",
        t if t < 10 * M => "1M-10M",
        t if t < 100 * M => "10M-100M",
        t if t < 1000 * M => "100M-1B",
        _ => "1B+",
    }
}

#[derive(Default)]
struct Acc {
    people: HashSet<String>,
    devices: HashSet<String>,
    totals: Totals,
}

/// Adds devices' rows up into groups; drops teams under k people.
pub(crate) fn build(by: GroupBy, rows: Vec<ReportRow>, k: usize) -> (Vec<ReportGroup>, u64) {
    let mut groups: BTreeMap<String, Acc> = BTreeMap::new();
    for row in rows {
        let name = match by {
            GroupBy::Person => row.person.clone(),
            GroupBy::Team => row.team.clone(),
            GroupBy::Tool => Some(row.tool.clone()),
            GroupBy::Period => Some(period_label(row.start)),
        }
        .unwrap_or_else(|| UNASSIGNED.to_owned());
        let acc = groups.entry(name).or_default();
        // A device without a person counts as a person of its own, so an
        // unassigned laptop cannot make a small team look large.
        let person = row
            .person
            .clone()
            .unwrap_or_else(|| format!("device:{}", row.device_id));
        acc.people.insert(person);
        acc.devices.insert(row.device_id);
        acc.totals.add(&row.totals);
    }
    let mut suppressed = 0;
    let mut out = Vec::with_capacity(groups.len());
    for (group, acc) in groups {
        if by == GroupBy::Team && acc.people.len() < k {
            suppressed += 1;
            continue;
        }
        let total_tokens = acc.totals.total_tokens();
        out.push(ReportGroup {
            group,
            people: acc.people.len() as u64,
            devices: acc.devices.len() as u64,
            totals: acc.totals,
            total_tokens,
            band: band(total_tokens).to_owned(),
        });
    }
    (out, suppressed)
}

fn period_label(start: i64) -> String {
    jiff::Timestamp::from_second(start)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| start.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(device: &str, person: Option<&str>, team: Option<&str>, input: u64) -> ReportRow {
        ReportRow {
            device_id: device.to_owned(),
            person: person.map(str::to_owned),
            team: team.map(str::to_owned),
            tool: "codex".to_owned(),
            start: 1_764_547_200,
            totals: Totals {
                input,
                calls: 1,
                ..Totals::default()
            },
        }
    }

    #[test]
    fn small_teams_are_suppressed_and_groups_sorted_by_name() {
        let mut rows = Vec::new();
        for i in 0..5 {
            rows.push(row(
                &format!("d{i}"),
                Some(&format!("p{i}")),
                Some("zeta"),
                10,
            ));
        }
        // Two devices of one person: still one person.
        rows.push(row("a1", Some("solo"), Some("alpha"), 5));
        rows.push(row("a2", Some("solo"), Some("alpha"), 5));
        let (groups, suppressed) = build(GroupBy::Team, rows.clone(), 5);
        assert_eq!(suppressed, 1);
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].group, "zeta");
        assert_eq!(groups[0].people, 5);
        assert_eq!(groups[0].totals.input, 50);
        assert_eq!(groups[0].band, "0-1M");

        let (people, suppressed) = build(GroupBy::Person, rows, 5);
        assert_eq!(suppressed, 0, "k applies to teams only");
        let names: Vec<&str> = people.iter().map(|g| g.group.as_str()).collect();
        assert_eq!(names, ["p0", "p1", "p2", "p3", "p4", "solo"]);
        assert_eq!(people[5].devices, 2);
        assert_eq!(people[5].totals.input, 10);
    }

    #[test]
    fn unassigned_devices_count_as_separate_people() {
        let rows = (0..4)
            .map(|i| row(&format!("d{i}"), None, None, 1))
            .collect();
        let (groups, suppressed) = build(GroupBy::Team, rows, 3);
        assert_eq!(suppressed, 0);
        assert_eq!(groups[0].group, UNASSIGNED);
        assert_eq!(groups[0].people, 4);
    }

    #[test]
    fn bands_and_period_labels() {
        assert_eq!(band(0), "0-1M");
        assert_eq!(band(999_999), "0-1M");
        assert_eq!(band(1_000_000), "1M-10M");
        assert_eq!(band(50_000_000), "10M-100M");
        assert_eq!(band(999_999_999), "100M-1B");
        assert_eq!(band(u64::MAX), "1B+");
        assert_eq!(period_label(1_764_547_200), "2025-12-01T00:00:00Z");
    }
}

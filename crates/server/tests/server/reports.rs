//! `GET /v1/reports` and the access log it writes.

use tokentally_event::Tool;
use tokentally_server::{GroupBy, Report};
use tokentally_wire::{AccessLog, EnrollReply, Period};

use crate::both;
use crate::support::{Backend, DAY, Env, batch, bucket};

/// Seven devices: five people in `platform` (one with two laptops), one
/// person in `solo`, one device unassigned; each uploads one day bucket.
fn fleet(env: &Env) -> Vec<EnrollReply> {
    let devices: Vec<EnrollReply> = (0..8).map(|_| env.enroll()).collect();
    let people = ["ana", "ben", "cleo", "dev", "eve", "eve", "sol"];
    for (d, person) in devices.iter().zip(people) {
        let team = if person == "sol" { "solo" } else { "platform" };
        env.admin
            .assign(&d.device_id, person, team)
            .expect("assign");
    }
    for (i, d) in devices.iter().enumerate() {
        let tool = if i % 2 == 0 {
            Tool::ClaudeCode
        } else {
            Tool::Codex
        };
        let b = batch(vec![
            bucket(DAY, tool, "m1", 1, 1000 * (i as u64 + 1)),
            // An hour bucket of the same calls: not added to day reports.
            tokentally_wire::Bucket {
                period: Period::Hour,
                ..bucket(DAY, tool, "m1", 1, 1000 * (i as u64 + 1))
            },
        ]);
        assert_eq!(env.http.upload(&d.token, &b).status, 200);
    }
    devices
}

fn reports_give_totals_and_bands_and_hide_small_teams(backend: Backend) {
    let env = Env::new(backend);
    let devices = fleet(&env);
    let token = env.admin.issue_admin_token("auditor.jo").expect("admin");
    let q = |by: &str| format!("/v1/reports?by={by}&from={DAY}&to={}", DAY + 86_400);

    let r = env.http.get(&q("team"), Some(&token));
    assert_eq!(r.status, 200, "{}", r.body);
    let team: Report = r.json();
    assert_eq!(
        (team.by, team.period, team.k),
        (GroupBy::Team, Period::Day, 5)
    );
    // platform: 5 people; solo (1) and the unassigned device (1) hidden.
    assert_eq!(team.suppressed, 2);
    assert_eq!(team.groups.len(), 1);
    let platform = &team.groups[0];
    assert_eq!(
        (platform.group.as_str(), platform.people, platform.devices),
        ("platform", 5, 6)
    );
    let input: u64 = (1..=6).map(|i| 1000 * i).sum();
    assert_eq!(platform.totals.input, input);
    assert_eq!(platform.totals.calls, 6 * 3);
    assert_eq!(
        platform.total_tokens,
        input + 2 * input + 6 * 3 + (1..=6).map(|i| 500 * i).sum::<u64>()
    );
    assert_eq!(platform.band, "0-1M");
    // Totals and bands, never an order: no rank field anywhere.
    assert!(
        !r.body.contains("rank") && !r.body.contains("position"),
        "{}",
        r.body
    );

    let person: Report = env.http.get(&q("person"), Some(&token)).json();
    let names: Vec<&str> = person.groups.iter().map(|g| g.group.as_str()).collect();
    assert_eq!(
        names,
        ["(unassigned)", "ana", "ben", "cleo", "dev", "eve", "sol"],
        "sorted by name only"
    );
    let eve = &person.groups[5];
    assert_eq!((eve.devices, eve.totals.input), (2, 5000 + 6000));

    let tool: Report = env.http.get(&q("tool"), Some(&token)).json();
    let tools: Vec<(&str, u64)> = tool
        .groups
        .iter()
        .map(|g| (g.group.as_str(), g.totals.input))
        .collect();
    assert_eq!(
        tools,
        [
            ("claude-code", 1000 + 3000 + 5000 + 7000),
            ("codex", 2000 + 4000 + 6000 + 8000)
        ]
    );

    let hours: Report = env
        .http
        .get(
            &format!(
                "/v1/reports?by=period&period=hour&from={DAY}&to={}",
                DAY + 3600
            ),
            Some(&token),
        )
        .json();
    assert_eq!(hours.groups.len(), 1);
    assert_eq!(hours.groups[0].group, "2026-12-01T00:00:00Z");
    assert_eq!(
        hours.groups[0].totals.input,
        (1..=8).map(|i| 1000 * i).sum::<u64>()
    );

    // Outside the range: nothing.
    let none: Report = env
        .http
        .get(
            &format!(
                "/v1/reports?by=tool&from={}&to={}",
                DAY + 86_400,
                DAY + 2 * 86_400
            ),
            Some(&token),
        )
        .json();
    assert!(none.groups.is_empty());

    // Every device read got an entry per report that touched it, newest first.
    let log: AccessLog = env
        .http
        .get(
            &format!("/v1/devices/{}/access-log", devices[0].device_id),
            Some(&devices[0].token),
        )
        .json();
    let whats: Vec<&str> = log.entries.iter().map(|e| e.what.as_str()).collect();
    assert_eq!(whats.len(), 4, "{whats:?}");
    assert!(log.entries.iter().all(|e| e.who == "auditor.jo"));
    assert!(log.entries.windows(2).all(|w| w[0].at_ms >= w[1].at_ms));
    assert!(
        whats.contains(
            &format!("report by=team period=day from={DAY} to={}", DAY + 86_400).as_str()
        ),
        "{whats:?}"
    );
    assert!(
        whats
            .iter()
            .any(|w| w.starts_with("report by=period period=hour")),
        "{whats:?}"
    );
}
both!(reports_give_totals_and_bands_and_hide_small_teams);

fn report_requests_need_an_admin_and_valid_parameters(backend: Backend) {
    let env = Env::with(backend, |c| c.k_anonymity = 1);
    let dev = env.enroll();
    assert_eq!(
        env.http
            .upload(
                &dev.token,
                &batch(vec![bucket(DAY, Tool::Codex, "m", 1, 1)])
            )
            .status,
        200
    );
    let ok = format!("/v1/reports?by=team&from={DAY}&to={}", DAY + 86_400);
    for token in [None, Some(dev.token.as_str()), Some("tta_forged")] {
        let r = env.http.get(&ok, token);
        assert_eq!(r.status, 401, "{token:?}");
    }
    let token = env.admin.issue_admin_token("ana").expect("admin");
    assert!(
        env.admin.issue_admin_token("ana").is_err(),
        "names are unique"
    );
    assert!(env.admin.issue_admin_token("two words").is_err());
    for bad in [
        format!("/v1/reports?by=rank&from={DAY}&to={}", DAY + 1),
        format!("/v1/reports?by=team&from={DAY}&to={DAY}"),
        format!("/v1/reports?by=team&from={DAY}"),
        format!("/v1/reports?by=team&from={DAY}&to={}&order=desc", DAY + 1),
        format!("/v1/reports?by=team&from={DAY}&to={}&period=month", DAY + 1),
        format!("/v1/reports?by=team&from=yesterday&to={}", DAY + 1),
    ] {
        let r = env.http.get(&bad, Some(&token));
        assert_eq!(r.status, 400, "{bad}: {}", r.body);
        assert!(!r.error().is_empty());
    }
    // Refused reads are not logged; the accepted one is, with k = 1 showing
    // a team of one.
    let log = |env: &Env| env.admin.access_log(&dev.device_id).expect("log").len();
    assert_eq!(log(&env), 0);
    let r: Report = env.http.get(&ok, Some(&token)).json();
    assert_eq!((r.groups.len(), r.suppressed, r.k), (1, 0, 1));
    assert_eq!(log(&env), 1);
}
both!(report_requests_need_an_admin_and_valid_parameters);

use std::time::Duration;

use tokentally_agent::{Agent, AgentConfig, status::AgentStatus};
use tokentally_collect::Env;
use tokentally_policy::Inputs;
use tokentally_upload::Consent;

use super::*;
use crate::{TrayItem, tray_model};

fn now() -> Timestamp {
    Timestamp::from_second(1_780_000_000).unwrap()
}

fn action(id: &str) -> Option<TrayAction> {
    tray_action(id, now(), &TimeZone::UTC).unwrap()
}

/// Every item any menu offers does something; nothing else does.
#[test]
fn every_menu_item_has_an_action() {
    let mut status = AgentStatus {
        tasks: Vec::new(),
        sources: Vec::new(),
        today: Default::default(),
        paused_until_ms: None,
        throttled: None,
        cpu_percent: None,
        rss_kib: None,
        upload: Default::default(),
    };
    let mut ids = Vec::new();
    for (paused, upload) in [(false, "off"), (true, "on")] {
        status.paused_until_ms = paused.then_some(i64::MAX);
        status.upload.state = upload;
        for item in tray_model(&status, true).items {
            if let TrayItem::Action { id, .. } = item {
                ids.push(id);
            }
        }
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 7, "{ids:?}");
    for id in ids {
        assert!(action(id).is_some(), "{id} does nothing");
    }
    assert_eq!(action("delete_everything"), None);
}

#[test]
fn pauses_end_after_an_hour_or_at_the_next_midnight() {
    let hour = now().as_millisecond() + 3_600_000;
    assert_eq!(
        action("pause_hour"),
        Some(TrayAction::Pause {
            until_ms: Some(hour)
        })
    );
    let midnight = now()
        .to_zoned(TimeZone::UTC)
        .date()
        .tomorrow()
        .unwrap()
        .to_zoned(TimeZone::UTC)
        .unwrap()
        .timestamp()
        .as_millisecond();
    assert_eq!(
        action("pause_tomorrow"),
        Some(TrayAction::Pause {
            until_ms: Some(midnight)
        })
    );
    assert_eq!(action("upload_on"), Some(TrayAction::OpenWindow));
}

/// The clicks reach a real agent and its ledger.
#[test]
fn actions_pause_resume_and_stop_uploads_on_the_running_agent() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let ledger = data.join("tokentally.db");
    let inputs = Inputs {
        explicit: None,
        managed: Vec::new(),
        employee: data.join("settings.json"),
        state_dir: data.clone(),
    };
    let home = dir.path().join("home");
    let env = Env::from_pairs([("HOME", home.to_str().unwrap())]);
    let mut config = AgentConfig::new(ledger.clone(), inputs, env);
    config.proxy_listen = Some(vec!["127.0.0.1:0".parse().unwrap()]);
    config.otlp_listen = Some("127.0.0.1:0".parse().unwrap());
    let agent = Agent::start(config).unwrap();
    let mut store = Store::open(&ledger).unwrap();
    let now_ms = Timestamp::now().as_millisecond();
    set_consent(&mut store, true, None, now_ms).unwrap();

    let click = |id: &str, store: &mut Store| {
        let action = tray_action(id, Timestamp::now(), &TimeZone::UTC)
            .unwrap()
            .unwrap();
        apply_tray_action(action, &agent, store, Timestamp::now().as_millisecond()).unwrap()
    };
    assert!(click("pause_hour", &mut store));
    let until = agent.status().paused_until_ms.expect("paused");
    assert!((until - now_ms - 3_600_000).abs() < 60_000, "about an hour");
    assert!(click("resume", &mut store));
    assert_eq!(agent.status().paused_until_ms, None);
    assert!(click("upload_off", &mut store));
    assert!(!Consent::new(&store.consent().unwrap()).is_on());
    // The window and quitting are the shell's.
    assert!(!click("open", &mut store));
    assert!(!click("quit", &mut store));
    agent.shutdown(Duration::from_secs(5));
}

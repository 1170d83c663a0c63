use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use tokentally_event::Tool;

use crate::{
    Fallback, Inputs, Origin, load, parse,
    settings::{Granularity, UploadMode},
    source::{EtcDir, ManagedPreferences, ManagedSource, RegData, registry_to_json},
};

/// A managed source fed from memory.
struct Memory(Option<Value>);

impl ManagedSource for Memory {
    fn name(&self) -> String {
        "memory".into()
    }
    fn read(&self) -> Result<Option<Value>, String> {
        Ok(self.0.clone())
    }
    fn watched(&self) -> Vec<PathBuf> {
        Vec::new()
    }
}

fn inputs(dir: &Path, managed: Vec<Box<dyn ManagedSource>>) -> Inputs {
    Inputs {
        explicit: None,
        managed,
        employee: dir.join("settings.json"),
        state_dir: dir.join("state"),
    }
}

fn key<'a>(e: &'a crate::Effective, name: &str) -> &'a crate::layers::KeyState {
    e.keys.iter().find(|k| k.key == name).unwrap()
}

#[test]
fn defaults_apply_when_nothing_is_set() {
    let dir = tempfile::tempdir().unwrap();
    let e = load(&inputs(dir.path(), vec![Box::new(Memory(None))]));
    assert!(e.problems.is_empty());
    assert_eq!(e.managed_source, None);
    assert_eq!(e.resolved.upload, UploadMode::Disabled);
    assert_eq!(e.resolved.sanctioned_tools.len(), Tool::ALL.len());
    assert_eq!(e.resolved.granularity, Granularity::Day);
    assert_eq!(key(&e, "upload").origin, Origin::Default);
    assert!(!key(&e, "upload").locked);
}

#[test]
fn managed_keys_are_locked_and_the_employee_sets_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("settings.json"),
        r#"{"upload":"disabled","autostart":false,"granularity":"week","proxy_port":50000}"#,
    )
    .unwrap();
    let managed = json!({"upload": "opt-in", "proxy_port": 47999, "granularity_floor": "hour"});
    let e = load(&inputs(dir.path(), vec![Box::new(Memory(Some(managed)))]));
    assert!(e.problems.is_empty(), "{:?}", e.problems);
    // Managed wins and is locked; the employee's value for it is ignored.
    assert_eq!(e.resolved.upload, UploadMode::OptIn);
    assert_eq!(e.resolved.proxy_port, 47999);
    assert!(key(&e, "proxy_port").locked);
    assert_eq!(
        key(&e, "proxy_port").origin,
        Origin::Managed("memory".into())
    );
    // What managed policy leaves alone is the employee's.
    assert!(!e.resolved.autostart);
    assert_eq!(e.resolved.granularity, Granularity::Week);
    assert!(!key(&e, "autostart").locked);
}

#[test]
fn the_employee_cannot_go_finer_than_the_floor() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("settings.json"),
        r#"{"granularity":"hour","granularity_floor":"hour"}"#,
    )
    .unwrap();
    let managed = json!({"granularity_floor": "day"});
    let e = load(&inputs(dir.path(), vec![Box::new(Memory(Some(managed)))]));
    assert_eq!(e.resolved.granularity_floor, Granularity::Day);
    assert_eq!(e.resolved.granularity, Granularity::Day);
    assert!(e.problems.iter().any(|p| p.key == "granularity"));
}

#[test]
fn every_problem_is_reported_with_its_source_and_key() {
    let doc = json!({
        "sanctioned_tools": ["claude-code", "chatgpt-desktop"],
        "upload": "always",
        "server_url": "http://tokentally.example.com",
        "help_url": "not a url",
        "granularity_floor": "week",
        "granularity": "day",
        "retention_days": 0,
        "timezone": "Mars/Olympus",
        "proxy_port": 70000,
        "receiver_port": 0,
        "upstreams": [{"name": "openai", "url": "https://x", "api": "openai"}, {"name": "Bad Name", "url": "ftp://x", "api": "openai"}],
        "sources": {"nope": "logs"},
        "contact": "",
        "send_prompts": true,
    });
    let (settings, problems) = parse(&doc, "test.json");
    let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
    for expected in [
        "sanctioned_tools",
        "upload",
        "server_url",
        "help_url",
        "granularity",
        "retention_days",
        "timezone",
        "proxy_port",
        "receiver_port",
        "upstreams",
        "sources",
        "contact",
        "send_prompts",
    ] {
        assert!(
            keys.contains(&expected),
            "no problem for {expected}: {problems:#?}"
        );
    }
    assert!(problems.iter().all(|p| p.source == "test.json"));
    // Bad keys are dropped; the good one stays.
    assert_eq!(settings.granularity_floor, Some(Granularity::Week));
    assert_eq!(settings.upload, None);
    assert!(parse(&json!([1]), "x").1[0].message.contains("JSON object"));
}

#[test]
fn a_broken_managed_policy_keeps_the_last_good_one() {
    let dir = tempfile::tempdir().unwrap();
    let etc = dir.path().join("etc");
    std::fs::create_dir_all(&etc).unwrap();
    std::fs::write(etc.join("policy.json"), r#"{"sanctioned_tools":["codex"]}"#).unwrap();
    let e = load(&inputs(dir.path(), vec![Box::new(EtcDir::new(&etc))]));
    assert_eq!(e.resolved.sanctioned_tools, vec![Tool::Codex]);
    assert_eq!(e.fallback, None);
    // Reloaded after a change: a typo must not widen collection.
    std::fs::write(etc.join("policy.json"), r#"{"sanctioned_tool":["codex"]}"#).unwrap();
    let e = load(&inputs(dir.path(), vec![Box::new(EtcDir::new(&etc))]));
    assert_eq!(e.fallback, Some(Fallback::LastGood));
    assert_eq!(e.resolved.sanctioned_tools, vec![Tool::Codex]);
    assert!(e.problems.iter().any(|p| p.key == "sanctioned_tool"));
    // Fixed: the new policy applies.
    std::fs::write(
        etc.join("policy.json"),
        r#"{"sanctioned_tools":["codex","zed"]}"#,
    )
    .unwrap();
    let e = load(&inputs(dir.path(), vec![Box::new(EtcDir::new(&etc))]));
    assert_eq!(e.resolved.sanctioned_tools, vec![Tool::Codex, Tool::Zed]);
}

#[test]
fn a_broken_policy_with_no_good_one_collects_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let e = load(&inputs(
        dir.path(),
        vec![Box::new(Memory(Some(json!({"upload": 3}))))],
    ));
    assert_eq!(e.fallback, Some(Fallback::LockedDown));
    assert!(e.resolved.sanctioned_tools.is_empty());
    assert_eq!(e.resolved.upload, UploadMode::Disabled);
}

#[test]
fn the_first_source_holding_a_policy_wins_and_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let e = load(&inputs(
        dir.path(),
        vec![
            Box::new(Memory(None)),
            Box::new(EtcDir::new(dir.path().join("missing"))),
            Box::new(Memory(Some(json!({"autostart": false})))),
            Box::new(Memory(Some(json!({"autostart": true})))),
        ],
    ));
    assert!(!e.resolved.autostart);
    assert_eq!(e.managed_source.as_deref(), Some("memory"));
    // An explicit file comes before every OS source.
    let file = dir.path().join("p.json");
    std::fs::write(&file, r#"{"retention_days": 30}"#).unwrap();
    let mut i = inputs(
        dir.path(),
        vec![Box::new(Memory(Some(json!({"retention_days": 90}))))],
    );
    i.explicit = Some(file.clone());
    let e = load(&i);
    assert_eq!(e.resolved.retention_days, 30);
    assert_eq!(e.managed_source, Some(file.display().to_string()));
}

#[test]
fn etc_policy_d_files_merge_in_name_order() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("policy.d")).unwrap();
    std::fs::write(
        dir.path().join("policy.json"),
        r#"{"retention_days":10,"autostart":false}"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("policy.d/20-b.json"),
        r#"{"retention_days":30}"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("policy.d/10-a.json"),
        r#"{"retention_days":20,"contact":"a"}"#,
    )
    .unwrap();
    std::fs::write(dir.path().join("policy.d/notes.txt"), "ignored").unwrap();
    let doc = EtcDir::new(dir.path()).read().unwrap().unwrap();
    assert_eq!(
        doc,
        json!({"retention_days": 30, "autostart": false, "contact": "a"})
    );
    std::fs::write(dir.path().join("policy.d/30-c.json"), "{").unwrap();
    assert!(
        EtcDir::new(dir.path())
            .read()
            .unwrap_err()
            .contains("30-c.json")
    );
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../installers/policy")
}

/// The string values of a `.reg` export, unescaped, and its dwords.
fn reg_values(text: &str) -> Vec<(String, RegData)> {
    text.lines()
        .filter_map(|l| l.strip_prefix('"'))
        .filter_map(|l| l.split_once("\"="))
        .map(|(name, value)| {
            let data = match value.strip_prefix("dword:") {
                Some(hex) => RegData::Dword(u32::from_str_radix(hex, 16).unwrap()),
                None => RegData::Sz(
                    value
                        .trim_matches('"')
                        .replace("\\\"", "\"")
                        .replace("\\\\", "\\"),
                ),
            };
            (name.to_owned(), data)
        })
        .collect()
}

#[test]
fn every_example_policy_is_valid_and_complete() {
    let json: Value =
        serde_json::from_slice(&std::fs::read(examples().join("policy.json")).unwrap()).unwrap();
    let plist = ManagedPreferences::new(vec![examples().join("com.tokentally.agent.plist")])
        .read()
        .unwrap()
        .unwrap();
    let reg = registry_to_json(&reg_values(
        &std::fs::read_to_string(examples().join("policy.reg")).unwrap(),
    ))
    .unwrap();
    for (name, doc) in [("json", &json), ("plist", &plist), ("reg", &reg)] {
        let (settings, problems) = parse(doc, name);
        assert!(problems.is_empty(), "{name}: {problems:#?}");
        assert_eq!(settings.upload, Some(UploadMode::OptIn), "{name}");
        assert_eq!(settings.proxy_port, Some(47310), "{name}");
        assert_eq!(settings.autostart, Some(true), "{name}");
        assert!(
            settings.sanctioned_tools.is_some() && settings.help_url.is_some(),
            "{name}"
        );
    }
    // The JSON example sets every key there is.
    let known = crate::parse::known_keys();
    let missing: Vec<&String> = known
        .iter()
        .filter(|k| json.get(k.as_str()).is_none())
        .collect();
    assert!(missing.is_empty(), "{missing:?}");
}

#[test]
fn the_schema_in_the_repository_is_the_generated_one() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("policy.schema.json");
    let kept = std::fs::read_to_string(&path).unwrap_or_default();
    if std::env::var_os("TOKENTALLY_BLESS").is_some() {
        std::fs::write(&path, crate::schema()).unwrap();
        return;
    }
    assert_eq!(
        kept,
        crate::schema(),
        "the schema drifted: run TOKENTALLY_BLESS=1 cargo test -p tokentally-policy"
    );
}

#[test]
fn changes_are_logged_once_each_with_who_set_them() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let e = load(&inputs(
        dir.path(),
        vec![Box::new(Memory(Some(json!({"upload": "opt-in"}))))],
    ));
    let first = crate::changes::record(&state, &e, 1).unwrap().unwrap();
    assert_eq!(first.changes.len(), crate::parse::known_keys().len());
    assert!(crate::changes::record(&state, &e, 2).unwrap().is_none());
    let e = load(&inputs(
        dir.path(),
        vec![Box::new(Memory(Some(json!({"upload": "disabled"}))))],
    ));
    let second = crate::changes::record(&state, &e, 3).unwrap().unwrap();
    assert_eq!(second.changes.len(), 1);
    assert_eq!(second.changes[0].key, "upload");
    assert_eq!(second.changes[0].from, json!("opt-in"));
    assert!(second.changes[0].set_by.starts_with("your organisation"));
    assert_eq!(crate::changes::history(&state).len(), 2);
}

#[test]
fn the_watched_files_are_the_explicit_file_the_managed_sources_and_the_settings() {
    let dir = tempfile::tempdir().unwrap();
    let mut i = inputs(
        dir.path(),
        vec![Box::new(EtcDir::new(dir.path().join("etc")))],
    );
    i.explicit = Some(dir.path().join("p.json"));
    assert_eq!(
        i.watched(),
        vec![
            dir.path().join("p.json"),
            dir.path().join("etc/policy.json"),
            dir.path().join("etc/policy.d"),
            dir.path().join("settings.json"),
        ]
    );
}

/// What a running process does on a change: load again from the same
/// inputs; a newly sanctioned tool appears, a broken file keeps it.
#[test]
fn reloading_after_a_change_widens_and_a_broken_file_keeps_the_last_good() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.json");
    let mut i = inputs(dir.path(), Vec::new());
    i.explicit = Some(file.clone());
    std::fs::write(&file, r#"{"sanctioned_tools": ["codex"]}"#).unwrap();
    let mut files = crate::PolicyFiles::new(i.watched());
    let first = load(&i);
    assert_eq!(first.resolved.sanctioned_tools, vec![Tool::Codex]);
    assert_eq!(first.explicit, Some(file.clone()));
    std::fs::write(&file, r#"{"sanctioned_tools": ["codex", "claude-code"]}"#).unwrap();
    assert!(files.settled_change() || files.settled_change());
    let widened = load(&i);
    assert!(widened.resolved.sanctions(Tool::ClaudeCode));
    std::fs::write(&file, r#"{"sanctioned_tools": ["codex"], "upload": 1}"#).unwrap();
    assert!(files.settled_change() || files.settled_change());
    let broken = load(&i);
    assert_eq!(broken.fallback, Some(Fallback::LastGood));
    assert_eq!(broken.resolved, widened.resolved);
}

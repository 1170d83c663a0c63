//! The Linux example policy, the admin guide, and the Tauri bundler
//! overlays of each OS.

use serde_json::Value;

use crate::schema::{self, fits};

#[test]
fn the_linux_example_sets_every_key_validly() {
    let text = schema::read("installers/policy/policy.json");
    let doc: Value = serde_json::from_str(&text).expect("JSON");
    for (key, kind) in schema::keys() {
        assert!(
            fits(&kind, &doc[&key]),
            "{key}: {} is not a {kind:?}",
            doc[&key]
        );
    }
    let (_, problems) = tokentally_policy::parse(&doc, "policy.json.example");
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn the_admin_guide_has_a_row_for_every_key() {
    let guide = schema::read("installers/README.md");
    let missing: Vec<String> = schema::keys()
        .into_keys()
        .filter(|key| {
            !guide
                .lines()
                .any(|l| l.starts_with(&format!("| `{key}` |")))
        })
        .collect();
    assert!(missing.is_empty(), "the admin guide lacks {missing:?}");
}

/// Paths in a Tauri config are relative to src-tauri/.
fn exists_from_src_tauri(path: &str) -> bool {
    schema::repo_file("src-tauri").join(path).exists()
}

fn overlay(os: &str) -> Value {
    let text = schema::read(&format!("installers/{os}/tauri.{os}.json"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{os}: {e}"))
}

#[test]
fn every_file_an_overlay_names_is_in_the_repository() {
    let linux = overlay("linux");
    for package in ["deb", "rpm"] {
        let config = &linux["bundle"]["linux"][package];
        let files = config["files"].as_object().expect("files");
        assert!(files.contains_key("/usr/lib/systemd/user/tokentally-agent.service"));
        assert!(files.contains_key("/etc/xdg/autostart/tokentally.desktop"));
        let sources = files.values().chain(
            [
                "desktopTemplate",
                "postInstallScript",
                "preRemoveScript",
                "postRemoveScript",
            ]
            .iter()
            .map(|k| &config[*k]),
        );
        for source in sources {
            let path = source.as_str().expect("a path");
            assert!(exists_from_src_tauri(path), "{package}: {path}");
        }
    }
    let windows = overlay("windows");
    for fragment in windows["bundle"]["windows"]["wix"]["fragmentPaths"]
        .as_array()
        .expect("fragments")
    {
        let path = fragment.as_str().expect("a path");
        assert!(exists_from_src_tauri(path), "windows: {path}");
    }
    let macos = overlay("macos");
    if let Some(path) = macos["bundle"]["macOS"]["infoPlist"].as_str() {
        assert!(exists_from_src_tauri(path), "macos: {path}");
    }
    for os in [&linux, &windows, &macos] {
        assert_eq!(
            os["bundle"]["externalBin"][0], "binaries/tokentally",
            "the CLI ships too"
        );
    }
}

#[test]
fn the_login_entries_start_the_app_as_a_login_start() {
    let desktop = schema::read("installers/linux/tokentally-autostart.desktop");
    assert!(
        desktop
            .lines()
            .any(|l| l == "Exec=tokentally-app --autostart")
    );
    let agent = plist::Value::from_file(schema::repo_file(
        "installers/macos/com.tokentally.agent.launcher.plist",
    ))
    .expect("plist");
    let args = agent.as_dictionary().expect("dict")["ProgramArguments"]
        .as_array()
        .expect("arguments")
        .iter()
        .filter_map(|a| a.as_string())
        .collect::<Vec<_>>();
    assert_eq!(args.last(), Some(&"--autostart"));
    let wix = schema::read("installers/windows/policy-registry.wxs");
    let wix = roxmltree::Document::parse(&wix).expect("XML");
    assert!(
        wix.descendants()
            .filter_map(|n| n.attribute("Value"))
            .any(|v| v.ends_with(r#"tokentally-app.exe" --autostart"#)),
        "the Run entry is a login start"
    );
}

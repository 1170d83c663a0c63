//! macOS: the configuration profile template's preferences payload.

use tokentally_policy::source::plist_to_json;

use crate::schema::{self, fits};

const PROFILE: &str = "installers/macos/com.tokentally.agent.mobileconfig";

fn profile() -> plist::Dictionary {
    plist::Value::from_file(schema::repo_file(PROFILE))
        .expect("the profile is a property list")
        .into_dictionary()
        .expect("a dictionary")
}

fn payload(profile: &plist::Dictionary, kind: &str) -> plist::Value {
    let content = profile["PayloadContent"]
        .as_array()
        .expect("PayloadContent");
    let found: Vec<&plist::Value> = content
        .iter()
        .filter(|p| {
            p.as_dictionary()
                .and_then(|d| d.get("PayloadType"))
                .and_then(|t| t.as_string())
                == Some(kind)
        })
        .collect();
    assert_eq!(found.len(), 1, "one {kind} payload");
    found[0].clone()
}

#[test]
fn the_preferences_payload_sets_every_key_with_its_type() {
    let profile = profile();
    assert_eq!(
        profile["PayloadType"].as_string(),
        Some("Configuration"),
        "a configuration profile"
    );
    let doc = plist_to_json(&payload(&profile, "com.tokentally.agent")).expect("converts");
    let keys = schema::keys();
    let set: Vec<&String> = doc.as_object().expect("object").keys().collect();
    assert_eq!(
        set,
        keys.keys().collect::<Vec<_>>(),
        "exactly the schema's keys"
    );
    for (key, kind) in &keys {
        assert!(
            fits(kind, &doc[key]),
            "{key}: {} is not a {kind:?}",
            doc[key]
        );
    }
    // What the agent reads from it is a valid policy.
    let (_, problems) = tokentally_policy::parse(&doc, PROFILE);
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn the_profile_carries_the_privacy_note_in_english_and_chinese() {
    let profile = profile();
    let consent = profile["ConsentText"].as_dictionary().expect("ConsentText");
    for lang in ["default", "zh-Hans"] {
        let text = consent
            .get(lang)
            .and_then(|t| t.as_string())
            .unwrap_or_default();
        assert!(text.len() > 200, "{lang}: a real note, not a placeholder");
    }
    let english = consent["default"].as_string().unwrap_or_default();
    assert!(
        english.contains("never") && english.contains("uploads on"),
        "{english}"
    );
    // Every payload has its own identifier, as MDM servers require.
    let uuid = |d: &plist::Dictionary| {
        d.get("PayloadUUID")
            .and_then(|u| u.as_string())
            .map(str::to_owned)
    };
    let mut uuids: Vec<Option<String>> = profile["PayloadContent"]
        .as_array()
        .expect("payloads")
        .iter()
        .map(|p| p.as_dictionary().and_then(uuid))
        .collect();
    uuids.push(uuid(&profile));
    assert!(
        uuids.iter().all(Option::is_some),
        "every payload has a UUID"
    );
    let count = uuids.len();
    uuids.sort();
    uuids.dedup();
    assert_eq!(uuids.len(), count, "the UUIDs differ");
}

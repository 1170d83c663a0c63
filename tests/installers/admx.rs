//! Windows: the ADMX template and its English and Chinese ADML files.

use std::collections::BTreeSet;

use roxmltree::{Document, Node};

use crate::schema::{self, Kind};

const REGISTRY_KEY: &str = r"Software\Policies\TokenTally";
const LANGUAGES: [&str; 2] = ["en-US", "zh-CN"];

fn children<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Vec<Node<'a, 'i>> {
    node.descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == name)
        .collect()
}

fn only<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Node<'a, 'i> {
    let found = children(node, name);
    assert_eq!(
        found.len(),
        1,
        "one <{name}> in {:?}",
        node.attribute("name")
    );
    found[0]
}

fn attr<'a>(node: Node<'a, '_>, name: &str) -> &'a str {
    node.attribute(name)
        .unwrap_or_else(|| panic!("<{}> lacks {name}", node.tag_name().name()))
}

/// The policy's one element (none for a yes/no policy).
fn element<'a, 'i>(policy: Node<'a, 'i>) -> Option<Node<'a, 'i>> {
    let elements = children(policy, "elements");
    let items: Vec<Node> = elements
        .first()
        .map(|e| e.children().filter(Node::is_element).collect())
        .unwrap_or_default();
    assert!(items.len() <= 1, "one element per policy");
    items.first().copied()
}

fn check_policy(key: &str, kind: &Kind, policy: Node) {
    assert_eq!(attr(policy, "key"), REGISTRY_KEY, "{key}");
    let decimal = |n: Node, which: &str| -> String {
        attr(only(only(n, which), "decimal"), "value").to_owned()
    };
    match (kind, element(policy)) {
        (Kind::Bool, None) => {
            assert_eq!(attr(policy, "valueName"), key);
            assert_eq!(decimal(policy, "enabledValue"), "1", "{key}");
            assert_eq!(decimal(policy, "disabledValue"), "0", "{key}");
        }
        (kind, Some(el)) => {
            assert_eq!(
                attr(el, "valueName"),
                key,
                "the registry value is named by the key"
            );
            assert_eq!(attr(el, "id"), key);
            check_element(key, kind, el);
        }
        (kind, None) => panic!("{key}: a {kind:?} needs an element"),
    }
}

fn check_element(key: &str, kind: &Kind, el: Node) {
    let tag = el.tag_name().name();
    match kind {
        Kind::Int { min, max } => {
            assert_eq!(tag, "decimal", "{key}");
            assert_eq!(
                attr(el, "minValue").parse::<i64>().ok(),
                Some(*min),
                "{key} min"
            );
            assert_eq!(
                attr(el, "maxValue").parse::<i64>().ok(),
                Some(*max),
                "{key} max"
            );
        }
        Kind::Enum(values) => {
            assert_eq!(tag, "enum", "{key}");
            let offered: BTreeSet<&str> = children(el, "string")
                .iter()
                .filter_map(|s| s.text())
                .collect();
            let wanted: BTreeSet<&str> = values.iter().map(String::as_str).collect();
            assert_eq!(offered, wanted, "{key}: the schema's values");
        }
        Kind::Tools(_) => assert_eq!(tag, "multiText", "{key}: REG_MULTI_SZ"),
        Kind::Text | Kind::Structured => assert_eq!(tag, "text", "{key}"),
        Kind::Bool => panic!("{key}: a yes/no policy has no element"),
    }
}

#[test]
fn the_admx_has_one_policy_per_key_with_the_schema_types() {
    let text = schema::read("installers/windows/TokenTally.admx");
    let admx = Document::parse(&text).expect("the ADMX is well-formed XML");
    let policies = children(admx.root(), "policy");
    let keys = schema::keys();
    let names: Vec<&str> = policies.iter().map(|p| attr(*p, "name")).collect();
    assert_eq!(
        names.iter().copied().collect::<BTreeSet<_>>(),
        keys.keys().map(String::as_str).collect(),
        "one policy per schema key"
    );
    assert_eq!(names.len(), keys.len(), "no key twice");
    for policy in &policies {
        let key = attr(*policy, "name");
        check_policy(key, &keys[key], *policy);
    }
}

/// `$(string.X)` and `$(presentation.X)` references of a document.
fn references(text: &str, table: &str) -> BTreeSet<String> {
    let marker = format!("$({table}.");
    text.split(&marker)
        .skip(1)
        .filter_map(|rest| rest.split_once(')').map(|(id, _)| id.to_owned()))
        .collect()
}

fn ids(doc: &Document, table: &str, item: &str) -> BTreeSet<String> {
    children(only(doc.root(), table), item)
        .iter()
        .map(|n| attr(*n, "id").to_owned())
        .collect()
}

#[test]
fn both_adml_files_define_every_string_and_presentation_the_admx_uses() {
    let admx_text = schema::read("installers/windows/TokenTally.admx");
    let admx = Document::parse(&admx_text).expect("ADMX");
    let mut tables = Vec::new();
    for lang in LANGUAGES {
        let text = schema::read(&format!("installers/windows/{lang}/TokenTally.adml"));
        let adml = Document::parse(&text).unwrap_or_else(|e| panic!("{lang}: {e}"));
        let strings = ids(&adml, "stringTable", "string");
        let presentations = ids(&adml, "presentationTable", "presentation");
        let used = references(&admx_text, "string");
        assert!(
            used.is_subset(&strings),
            "{lang} lacks {:?}",
            used.difference(&strings)
        );
        let shown = references(&admx_text, "presentation");
        assert!(
            shown.is_subset(&presentations),
            "{lang} lacks {:?}",
            shown.difference(&presentations)
        );
        // Each presentation shows each element of its policy, by id.
        for policy in children(admx.root(), "policy") {
            let Some(el) = element(policy) else { continue };
            let id = attr(policy, "name");
            let presentation = children(adml.root(), "presentation")
                .into_iter()
                .find(|p| p.attribute("id") == Some(id))
                .unwrap_or_else(|| panic!("{lang}: no presentation {id}"));
            let refs: Vec<&str> = presentation
                .descendants()
                .filter_map(|n| n.attribute("refId"))
                .collect();
            assert_eq!(refs, vec![attr(el, "id")], "{lang}: {id}");
        }
        tables.push((strings, presentations));
    }
    assert_eq!(tables[0], tables[1], "en-US and zh-CN define the same ids");
}

#[test]
fn the_chinese_adml_is_translated_and_names_every_tool() {
    let english = schema::read("installers/windows/en-US/TokenTally.adml");
    let chinese = schema::read("installers/windows/zh-CN/TokenTally.adml");
    let han = chinese
        .chars()
        .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
        .count();
    assert!(han > 500, "only {han} Chinese characters");
    let Kind::Tools(ids) = &schema::keys()["sanctioned_tools"] else {
        panic!("sanctioned_tools is a list of tools")
    };
    for id in ids {
        assert!(
            english.contains(id.as_str()) && chinese.contains(id.as_str()),
            "{id}"
        );
    }
}

#[test]
fn the_msi_properties_write_policy_keys() {
    let text = schema::read("installers/windows/policy-registry.wxs");
    let wix = Document::parse(&text).expect("the WiX fragment is well-formed XML");
    let keys = schema::keys();
    let values = children(wix.root(), "RegistryValue");
    let policy_values: Vec<Node> = values
        .into_iter()
        .filter(|v| attr(*v, "Key").eq_ignore_ascii_case(REGISTRY_KEY))
        .collect();
    assert!(
        policy_values.len() >= 2,
        "SERVER_URL and ENROLLMENT_CODE at least"
    );
    for value in policy_values {
        let name = attr(value, "Name");
        assert!(keys.contains_key(name), "{name} is not a policy key");
        assert_eq!(attr(value, "Root"), "HKLM", "{name}: per machine");
        assert_eq!(attr(value, "Type"), "string", "{name}");
        // Written from the property of the same name in capitals.
        assert_eq!(attr(value, "Value"), format!("[{}]", name.to_uppercase()));
    }
}

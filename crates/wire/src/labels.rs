//! The two names a bucket carries: a tool id from a closed list, and a model
//! name limited to the characters model identifiers use.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use tokentally_event::{MAX_MODEL_LEN, Model, Tool};

/// A tool, written as its id (`claude-code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ToolLabel(pub Tool);

impl Serialize for ToolLabel {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.as_str())
    }
}

impl<'de> Deserialize<'de> for ToolLabel {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Cow::<str>::deserialize(d)?;
        raw.parse()
            .map(ToolLabel)
            .map_err(|_| serde::de::Error::custom(format!("unknown tool id {raw:?}")))
    }
}

impl JsonSchema for ToolLabel {
    fn schema_name() -> Cow<'static, str> {
        "Tool".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let ids: Vec<&str> = Tool::ALL.iter().map(|t| t.as_str()).collect();
        json_schema!({ "type": "string", "enum": ids })
    }
}

/// A model or model family name: 1 to 96 characters among letters, digits
/// and `-._:/@+[]`, so no sentence, path with spaces or quote fits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModelLabel(String);

impl ModelLabel {
    /// Checks a name.
    pub fn new(raw: &str) -> Option<Self> {
        Model::is_valid(raw).then(|| ModelLabel(raw.to_owned()))
    }

    /// `unknown`, for names that cannot be kept.
    pub fn unknown() -> Self {
        ModelLabel(Model::UNKNOWN.to_owned())
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Serialize for ModelLabel {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ModelLabel {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Cow::<str>::deserialize(d)?;
        ModelLabel::new(&raw).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "model name must be 1 to {MAX_MODEL_LEN} characters among letters, digits and -._:/@+[]"
            ))
        })
    }
}

impl JsonSchema for ModelLabel {
    fn schema_name() -> Cow<'static, str> {
        "Model".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_MODEL_LEN,
            "pattern": "^[A-Za-z0-9._:/@+\\[\\]-]+$"
        })
    }
}

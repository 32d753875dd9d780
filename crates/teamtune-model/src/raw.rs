//! The YAML shapes as written, before validation. Every field is optional and unknown keys
//! are ignored, so a Victor user's file deserializes unchanged; `load` turns these into the
//! typed workflow and reports what is missing or wrong.

use indexmap::IndexMap;
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use crate::sim::SimOverrides;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawWorkflow {
    pub description: Option<String>,
    pub name: Option<String>,
    #[serde(default)]
    pub nodes: Vec<RawNode>,
    pub start_node: Option<String>,
    pub max_iterations: Option<u32>,
    #[serde(default)]
    pub providers: IndexMap<String, RawProvider>,
    #[serde(default)]
    pub tools: IndexMap<String, crate::workflow::ToolDef>,
    pub default_provider: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct RawProvider {
    pub kind: String,
    pub base_url: Option<String>,
    pub model: Option<String>,
    pub api_key_env: Option<String>,
    pub temperature: Option<f64>,
    pub max_tokens: Option<u32>,
    pub connect_timeout_s: Option<f64>,
    pub request_timeout_s: Option<f64>,
    pub max_retries: Option<u32>,
}

/// A string or a list of strings (`next: a` and `next: [a]`).
#[derive(Debug, Clone)]
pub(crate) struct OneOrMany(pub Vec<String>);

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a node id or a list of node ids")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<OneOrMany, E> {
                Ok(OneOrMany(vec![v.to_string()]))
            }
            fn visit_unit<E: de::Error>(self) -> Result<OneOrMany, E> {
                Ok(OneOrMany(Vec::new()))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<OneOrMany, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    out.push(s);
                }
                Ok(OneOrMany(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// A scalar read as text: condition branch keys may be quoted strings, YAML booleans or
/// numbers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ScalarKey(pub String);

impl<'de> Deserialize<'de> for ScalarKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ScalarKey;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string, boolean or number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ScalarKey, E> {
                Ok(ScalarKey(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<ScalarKey, E> {
                Ok(ScalarKey(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ScalarKey, E> {
                Ok(ScalarKey(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ScalarKey, E> {
                Ok(ScalarKey(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ScalarKey, E> {
                Ok(ScalarKey(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<ScalarKey, E> {
                Ok(ScalarKey("null".to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// A scalar or structured value rendered as a template string.
#[derive(Debug, Clone)]
pub(crate) struct TextValue(pub String);

impl<'de> Deserialize<'de> for TextValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        Ok(TextValue(match v {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        }))
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawNode {
    pub id: Option<String>,
    #[serde(rename = "type")]
    pub node_type: Option<String>,
    pub name: Option<String>,
    pub next: Option<OneOrMany>,

    // agent / member-like
    pub role: Option<String>,
    pub goal: Option<String>,
    pub prompt: Option<String>,
    pub tools: Option<Vec<String>>,
    pub allowed_tools: Option<Vec<String>>,
    pub tool_budget: Option<u32>,
    pub output: Option<String>,
    pub output_key: Option<String>,
    pub provider: Option<String>,
    pub command: Option<Vec<String>>,
    pub sim: Option<SimOverrides>,
    pub tuning: Option<crate::tuning::TuningBlock>,
    pub timeout_seconds: Option<f64>,
    pub timeout: Option<f64>,
    pub backstory: Option<String>,

    // compute
    pub handler: Option<String>,
    pub inputs: Option<IndexMap<String, TextValue>>,

    // condition
    pub condition: Option<TextValue>,
    pub branches: Option<IndexMap<ScalarKey, String>>,
    pub default: Option<String>,

    // parallel
    pub parallel_nodes: Option<Vec<String>>,
    pub join_strategy: Option<String>,

    // transform
    pub transform: Option<TransformSpec>,
    pub transforms: Option<TransformSpec>,

    // hitl
    pub hitl_type: Option<String>,
    pub message: Option<String>,
    pub choices: Option<Vec<TextValue>>,
    pub default_value: Option<TextValue>,
    pub fallback: Option<String>,
    pub context_keys: Option<Vec<String>>,

    // team
    pub team_formation: Option<String>,
    pub formation: Option<String>,
    pub members: Option<Vec<RawMember>>,
    pub max_iterations: Option<u32>,
    pub total_tool_budget: Option<u32>,
    pub continue_on_error: Option<bool>,
    pub merge_strategy: Option<String>,
    pub merge_mode: Option<String>,
}

/// A transform: a map of `key: template`, or one `key = template` string (or a list of them).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum TransformSpec {
    Map(IndexMap<String, serde_json::Value>),
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawMember {
    pub id: Option<String>,
    pub name: Option<String>,
    pub role: Option<String>,
    pub goal: Option<String>,
    pub tool_budget: Option<u32>,
    pub timeout_seconds: Option<f64>,
    pub tools: Option<Vec<String>>,
    pub allowed_tools: Option<Vec<String>>,
    pub backstory: Option<String>,
    pub expertise: Option<Vec<String>>,
    pub is_manager: Option<bool>,
    pub provider: Option<String>,
    pub command: Option<Vec<String>>,
    pub sim: Option<SimOverrides>,
}

//! The YAML shapes as written, before validation. Every field is optional; a key no shape
//! knows is an error (serde's `deny_unknown_fields`, reworded in `load::keys`). Keys Victor's
//! format defines but teamtune does not use are read as [`VictorOnly`] and reported as
//! warnings, so a Victor user's file still loads. `load` turns these into the typed workflow
//! and reports what is missing or wrong.

use indexmap::IndexMap;
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, Visitor};

use crate::sim::SimOverrides;

/// The value of a key Victor's format defines and teamtune does not use: read, never used,
/// and named in a warning.
pub(crate) type VictorOnly = Option<IgnoredAny>;

/// The names of the [`VictorOnly`] fields of `$raw` that the file gave.
macro_rules! given {
    ($raw:expr, $($field:ident => $key:literal),+ $(,)?) => {{
        let mut keys: Vec<&'static str> = Vec::new();
        $( if $raw.$field.is_some() { keys.push($key); } )+
        keys
    }};
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
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
    pub tools: IndexMap<String, RawTool>,
    pub default_provider: Option<String>,

    // Informational in Victor's format too: accepted without a warning.
    #[serde(rename = "metadata")]
    pub _metadata: Option<IgnoredAny>,
    #[serde(rename = "version")]
    pub _version: Option<IgnoredAny>,

    // Victor-only.
    pub batch_config: VictorOnly,
    pub temporal_context: VictorOnly,
    pub services: VictorOnly,
    pub execution: VictorOnly,
    pub timeout: VictorOnly,
    pub max_execution_timeout_seconds: VictorOnly,
    pub default_node_timeout: VictorOnly,
    pub default_node_timeout_seconds: VictorOnly,
    pub max_retries: VictorOnly,
    pub max_recursion_depth: VictorOnly,
    pub schedule: VictorOnly,
    pub arguments: VictorOnly,
}

impl RawWorkflow {
    /// The Victor-only keys this workflow gives.
    pub fn victor_keys(&self) -> Vec<&'static str> {
        given!(self,
            batch_config => "batch_config",
            temporal_context => "temporal_context",
            services => "services",
            execution => "execution",
            timeout => "timeout",
            max_execution_timeout_seconds => "max_execution_timeout_seconds",
            default_node_timeout => "default_node_timeout",
            default_node_timeout_seconds => "default_node_timeout_seconds",
            max_retries => "max_retries",
            max_recursion_depth => "max_recursion_depth",
            schedule => "schedule",
            arguments => "arguments",
        )
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
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

/// A `tools:` entry as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTool {
    pub command: Vec<String>,
    pub description: Option<String>,
    pub parameters: Option<serde_json::Value>,
    pub timeout_seconds: Option<f64>,
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
#[serde(deny_unknown_fields)]
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

    // Victor-only.
    pub llm_config: VictorOnly,
    pub input_mapping: VictorOnly,
    pub profile: VictorOnly,
    pub retry_policy: VictorOnly,
    pub circuit_breaker_enabled: VictorOnly,
    pub constraints: VictorOnly,
    pub execution_target: VictorOnly,
    pub fail_fast: VictorOnly,
    pub parallel: VictorOnly,
    #[serde(rename = "$ref")]
    pub reference: VictorOnly,
}

impl RawNode {
    /// The Victor-only keys this node gives.
    pub fn victor_keys(&self) -> Vec<&'static str> {
        given!(self,
            llm_config => "llm_config",
            input_mapping => "input_mapping",
            profile => "profile",
            retry_policy => "retry_policy",
            circuit_breaker_enabled => "circuit_breaker_enabled",
            constraints => "constraints",
            execution_target => "execution_target",
            fail_fast => "fail_fast",
            parallel => "parallel",
            reference => "$ref",
        )
    }
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
#[serde(deny_unknown_fields)]
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

    // Victor-only.
    pub personality: VictorOnly,
    pub can_delegate: VictorOnly,
    pub delegation_targets: VictorOnly,
    pub reports_to: VictorOnly,
    pub max_delegation_depth: VictorOnly,
    pub memory: VictorOnly,
    pub memory_config: VictorOnly,
    pub cache: VictorOnly,
    pub verbose: VictorOnly,
    pub llm_config: VictorOnly,
}

impl RawMember {
    /// The Victor-only keys this member gives.
    pub fn victor_keys(&self) -> Vec<&'static str> {
        given!(self,
            personality => "personality",
            can_delegate => "can_delegate",
            delegation_targets => "delegation_targets",
            reports_to => "reports_to",
            max_delegation_depth => "max_delegation_depth",
            memory => "memory",
            memory_config => "memory_config",
            cache => "cache",
            verbose => "verbose",
            llm_config => "llm_config",
        )
    }
}

/// Every Victor-only key at any level, for the "did you mean" hints (a typo of one of them
/// is not suggested as a fix) and the docs.
pub(crate) const VICTOR_ONLY_KEYS: [&str; 31] = [
    "batch_config",
    "temporal_context",
    "services",
    "execution",
    "timeout",
    "max_execution_timeout_seconds",
    "default_node_timeout",
    "default_node_timeout_seconds",
    "max_retries",
    "max_recursion_depth",
    "schedule",
    "arguments",
    "llm_config",
    "input_mapping",
    "profile",
    "retry_policy",
    "circuit_breaker_enabled",
    "constraints",
    "execution_target",
    "fail_fast",
    "parallel",
    "$ref",
    "personality",
    "can_delegate",
    "delegation_targets",
    "reports_to",
    "max_delegation_depth",
    "memory",
    "memory_config",
    "cache",
    "verbose",
];

//! The file root: `workflows: {name: def}` or the map of workflows itself, with the shared
//! `providers`, `tools` and `default_provider`. Any other root key is an error, except
//! Victor's informational ones (`version`, `metadata`, `description`, `name`) and `services`
//! (Victor-only: a warning).

use indexmap::IndexMap;
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::raw::{RawProvider, RawTool, RawWorkflow};

/// Root keys teamtune reads.
pub(super) const ROOT_KEYS: [&str; 4] = ["workflows", "providers", "tools", "default_provider"];

/// The file root: either `workflows: {name: def}` or the map of workflows itself. Shared
/// `providers`, `tools` and `default_provider` may sit at the root in both forms.
#[derive(Default)]
pub(super) struct RawRoot {
    pub(super) workflows: IndexMap<String, RawWorkflow>,
    pub(super) providers: IndexMap<String, RawProvider>,
    pub(super) tools: IndexMap<String, RawTool>,
    pub(super) default_provider: Option<String>,
    /// Victor-only root keys the file gives.
    pub(super) victor_keys: Vec<&'static str>,
    /// Root keys that are neither ours nor Victor's: workflows only if the file has no
    /// `workflows:` map and their value is a map (else an error, reported by the loader).
    pub(super) other: Vec<(String, RootEntry)>,
    pub(super) has_workflows_key: bool,
}

/// The value of a root key that is not one of [`ROOT_KEYS`].
pub(super) enum RootEntry {
    /// A map that starts with a workflow key: a workflow definition when the root is the map
    /// of workflows.
    Workflow(Box<RawWorkflow>),
    /// A map whose first key is no workflow key (a typo of a root key such as
    /// `provders: {...}`, or a workflow with a typo in its first key).
    Map { first_key: String },
    /// Anything else: never a workflow.
    Scalar,
}

/// Keys a workflow definition may start with (its fields, Victor's included).
const WORKFLOW_KEYS: [&str; 23] = [
    "description",
    "name",
    "nodes",
    "start_node",
    "max_iterations",
    "providers",
    "tools",
    "default_provider",
    "metadata",
    "version",
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
    "workflows",
];

/// A map whose first key was already read: yields it again, then the rest.
struct Refed<A> {
    first: Option<String>,
    rest: A,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Refed<A> {
    type Error = A::Error;
    fn next_key_seed<K: de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        match self.first.take() {
            Some(k) => seed
                .deserialize(de::value::StringDeserializer::<A::Error>::new(k))
                .map(Some),
            None => self.rest.next_key_seed(seed),
        }
    }
    fn next_value_seed<T: de::DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<T::Value, A::Error> {
        self.rest.next_value_seed(seed)
    }
}

impl<'de> Deserialize<'de> for RootEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RootEntry;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a workflow definition")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RootEntry, A::Error> {
                let first = map.next_key::<String>()?;
                match first {
                    Some(k) if !WORKFLOW_KEYS.contains(&k.as_str()) => {
                        map.next_value::<IgnoredAny>()?;
                        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                        Ok(RootEntry::Map { first_key: k })
                    }
                    first => {
                        let refed = Refed { first, rest: map };
                        RawWorkflow::deserialize(de::value::MapAccessDeserializer::new(refed))
                            .map(|w| RootEntry::Workflow(Box::new(w)))
                    }
                }
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<RootEntry, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(RootEntry::Scalar)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<RootEntry, E> {
                Ok(RootEntry::Scalar)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<RootEntry, E> {
                Ok(RootEntry::Scalar)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<RootEntry, E> {
                Ok(RootEntry::Scalar)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<RootEntry, E> {
                Ok(RootEntry::Scalar)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<RootEntry, E> {
                Ok(RootEntry::Scalar)
            }
            fn visit_unit<E: de::Error>(self) -> Result<RootEntry, E> {
                Ok(RootEntry::Scalar)
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for RawRoot {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawRoot;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map with `workflows:` or a map of workflow name -> definition")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawRoot, A::Error> {
                let mut root = RawRoot::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "workflows" => {
                            let w: IndexMap<String, RawWorkflow> = map.next_value()?;
                            root.workflows.extend(w);
                            root.has_workflows_key = true;
                        }
                        "providers" => root.providers = map.next_value()?,
                        "tools" => root.tools = map.next_value()?,
                        "default_provider" => root.default_provider = map.next_value()?,
                        "version" | "metadata" | "description" | "name" => {
                            map.next_value::<IgnoredAny>()?;
                        }
                        "services" => {
                            map.next_value::<IgnoredAny>()?;
                            root.victor_keys.push("services");
                        }
                        _ => {
                            let entry: RootEntry = map.next_value()?;
                            root.other.push((key, entry));
                        }
                    }
                }
                Ok(root)
            }
            fn visit_unit<E: de::Error>(self) -> Result<RawRoot, E> {
                Ok(RawRoot::default())
            }
        }
        d.deserialize_any(V)
    }
}

//! The file root: `workflows: {name: def}` or the map of workflows itself, with the shared
//! `providers`, `tools` and `default_provider`.

use indexmap::IndexMap;
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::raw::{RawProvider, RawWorkflow};
use crate::workflow::ToolDef;

/// The file root: either `workflows: {name: def}` or the map of workflows itself. Shared
/// `providers`, `tools` and `default_provider` may sit at the root in both forms.
#[derive(Default)]
pub(super) struct RawRoot {
    pub(super) workflows: IndexMap<String, RawWorkflow>,
    pub(super) providers: IndexMap<String, RawProvider>,
    pub(super) tools: IndexMap<String, ToolDef>,
    pub(super) default_provider: Option<String>,
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
                        }
                        "providers" => root.providers = map.next_value()?,
                        "tools" => root.tools = map.next_value()?,
                        "default_provider" => root.default_provider = map.next_value()?,
                        "version" | "metadata" | "description" | "name" | "services" => {
                            map.next_value::<IgnoredAny>()?;
                        }
                        _ => {
                            let w: RawWorkflow = map.next_value()?;
                            root.workflows.insert(key, w);
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

//! The run state: a map of keys to JSON values that node results land in. Templates and
//! expressions see it through a minijinja object that converts only the values they touch,
//! so evaluating against a large state costs what the expression reads, not the state size.

use std::sync::Arc;

use indexmap::IndexMap;
use minijinja::value::{Enumerator, Object, ObjectExt, Value};
use serde_json::Value as Json;

#[derive(Debug, Clone, Default)]
pub struct State {
    map: Arc<StateMap>,
}

#[derive(Debug, Clone, Default)]
struct StateMap(IndexMap<String, Json>);

impl State {
    pub fn new(values: IndexMap<String, Json>) -> Self {
        State {
            map: Arc::new(StateMap(values)),
        }
    }

    pub fn get(&self, key: &str) -> Option<&Json> {
        self.map.0.get(key)
    }

    /// Looks up a dotted path (`a.b.c`) through nested objects.
    pub fn get_path(&self, path: &str) -> Option<&Json> {
        let mut parts = path.split('.');
        let mut cur = self.map.0.get(parts.next()?)?;
        for p in parts {
            cur = match cur {
                Json::Object(o) => o.get(p)?,
                Json::Array(a) => a.get(p.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(cur)
    }

    pub fn set(&mut self, key: impl Into<String>, value: Json) {
        Arc::make_mut(&mut self.map).0.insert(key.into(), value);
    }

    pub fn len(&self) -> usize {
        self.map.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Json)> {
        self.map.0.iter()
    }

    pub fn to_json(&self) -> Json {
        Json::Object(
            self.map
                .0
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        )
    }

    /// The state as a template context. `ctx` refers to the state itself (Victor's
    /// `ctx.key`).
    pub(crate) fn as_value(&self) -> Value {
        Value::from_dyn_object(self.map.clone())
    }
}

impl Object for StateMap {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let k = key.as_str()?;
        match self.0.get(k) {
            Some(v) => Some(Value::from(minijinja::value::Serde(v))),
            None if k == "ctx" => Some(Value::from_dyn_object(self.clone())),
            None => None,
        }
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        self.mapped_enumerator(|this| Box::new(this.0.keys().map(|k| Value::from(k.as_str()))))
    }
}

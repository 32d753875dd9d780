//! The check after every edit: the edited text must load, the team must read exactly as
//! asked, and the raw YAML trees before and after must be equal once the values the edit may
//! change are masked: the team's tunable keys, and per member the tunable keys (plus `id`,
//! `name` and `role` of clones, compared with the member they were cloned from).

use std::path::Path;

use yaml_serde::Value;

use super::{EditError, Slot};
use crate::load::load_str;
use crate::team_config::TeamConfig;

const TEAM_KEYS: &[&str] = &[
    "team_formation",
    "formation",
    "timeout_seconds",
    "total_tool_budget",
    "max_iterations",
    "members",
];
const MEMBER_KEYS: &[&str] = &["tool_budget", "timeout_seconds", "is_manager"];
const CLONE_KEYS: &[&str] = &["id", "name", "role"];

#[allow(clippy::too_many_arguments)]
pub(super) fn check(
    before: &str,
    after: &str,
    path: &Path,
    team: &str,
    wf_key: &str,
    node_pos: usize,
    slots: &[Slot],
    new: &TeamConfig,
) -> Result<(), EditError> {
    let file = load_str(path, after).map_err(|source| EditError::Reparse {
        team: team.to_string(),
        source,
    })?;
    let mismatch = |field: String, expected: String, found: String| EditError::Mismatch {
        team: team.to_string(),
        field,
        expected,
        found,
    };
    let Some(node) = file.workflows.get(wf_key).and_then(|w| w.team(team)) else {
        return Err(mismatch(
            format!("workflows.{wf_key}.{team}"),
            "a team node".into(),
            "nothing".into(),
        ));
    };
    let got = TeamConfig::of(node);
    if got != *new {
        let a = serde_json::to_value(new).unwrap_or_default();
        let b = serde_json::to_value(&got).unwrap_or_default();
        let field = json_diff(&a, &b, "").unwrap_or_default();
        let at = |v: &serde_json::Value| {
            pick(v, &field).map_or("nothing".to_string(), |v| v.to_string())
        };
        return Err(mismatch(field.clone(), at(&a), at(&b)));
    }

    let changed = |path: String| EditError::UnintendedChange {
        team: team.to_string(),
        path,
    };
    let parse =
        |s: &str| yaml_serde::from_str::<Value>(s).map_err(|_| changed("<document>".into()));
    let (mut a, mut b) = (parse(before)?, parse(after)?);
    let (prefix, a_node) =
        take_node(&mut a, wf_key, node_pos).ok_or_else(|| changed("<team node>".into()))?;
    let (_, b_node) =
        take_node(&mut b, wf_key, node_pos).ok_or_else(|| changed(format!("{prefix}.nodes")))?;
    if let Some(p) = diff(&a, &b, "") {
        return Err(changed(p));
    }
    let node_path = format!("{prefix}.nodes[{node_pos}]");
    let (mut a_node, mut b_node) = (a_node, b_node);
    let a_members = mask(&mut a_node, TEAM_KEYS).remove(5);
    let b_members = mask(&mut b_node, TEAM_KEYS).remove(5);
    if let Some(p) = diff(&a_node, &b_node, &node_path) {
        return Err(changed(p));
    }
    let (Some(Value::Sequence(a_members)), Some(Value::Sequence(b_members))) =
        (a_members, b_members)
    else {
        return Err(changed(format!("{node_path}.members")));
    };
    if b_members.len() != slots.len() {
        return Err(changed(format!("{node_path}.members")));
    }
    for (k, (slot, b_m)) in slots.iter().zip(b_members).enumerate() {
        let (src, keys): (usize, &[&str]) = match *slot {
            Slot::Keep(i) => (i, MEMBER_KEYS),
            Slot::Clone(source) => (source, &[MEMBER_KEYS, CLONE_KEYS].concat()),
        };
        let Some(a_m) = a_members.get(src) else {
            return Err(changed(format!("{node_path}.members")));
        };
        let (mut a_m, mut b_m) = (a_m.clone(), b_m);
        mask(&mut a_m, keys);
        mask(&mut b_m, keys);
        if let Some(p) = diff(&a_m, &b_m, &format!("{node_path}.members[{k}]")) {
            return Err(changed(p));
        }
    }
    Ok(())
}

/// Removes the team node from the tree (leaving null), with the workflow's path.
fn take_node(root: &mut Value, wf_key: &str, node_pos: usize) -> Option<(String, Value)> {
    let under_workflows = root.get("workflows").and_then(|w| w.get(wf_key)).is_some();
    let (prefix, wf) = if under_workflows {
        (
            format!("workflows.{wf_key}"),
            root.get_mut("workflows")?.get_mut(wf_key)?,
        )
    } else {
        (wf_key.to_string(), root.get_mut(wf_key)?)
    };
    let node = wf.get_mut("nodes")?.get_mut(node_pos)?;
    Some((prefix, std::mem::replace(node, Value::Null)))
}

/// Removes `keys` from a mapping, returning their values in order.
fn mask(v: &mut Value, keys: &[&str]) -> Vec<Option<Value>> {
    match v {
        Value::Mapping(m) => keys.iter().map(|k| m.shift_remove(*k)).collect(),
        _ => keys.iter().map(|_| None).collect(),
    }
}

fn key_text(k: &Value) -> String {
    match k {
        Value::String(s) => s.clone(),
        other => yaml_serde::to_string(other)
            .map(|s| s.trim().to_string())
            .unwrap_or_default(),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// The path of the first difference between two YAML trees.
fn diff(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Mapping(x), Value::Mapping(y)) => {
            for (k, va) in x {
                let p = join(path, &key_text(k));
                match y.get(k) {
                    Some(vb) => {
                        if let Some(d) = diff(va, vb, &p) {
                            return Some(d);
                        }
                    }
                    None => return Some(p),
                }
            }
            y.iter()
                .find(|(k, _)| !x.contains_key(*k))
                .map(|(k, _)| join(path, &key_text(k)))
        }
        (Value::Sequence(x), Value::Sequence(y)) => {
            for i in 0..x.len().max(y.len()) {
                match (x.get(i), y.get(i)) {
                    (Some(va), Some(vb)) => {
                        if let Some(d) = diff(va, vb, &format!("{path}[{i}]")) {
                            return Some(d);
                        }
                    }
                    _ => return Some(format!("{path}[{i}]")),
                }
            }
            None
        }
        _ => (a != b).then(|| {
            if path.is_empty() {
                "<document>".to_string()
            } else {
                path.to_string()
            }
        }),
    }
}

/// The path of the first difference between two JSON trees (for naming a config field).
fn json_diff(a: &serde_json::Value, b: &serde_json::Value, path: &str) -> Option<String> {
    use serde_json::Value as J;
    match (a, b) {
        (J::Object(x), J::Object(y)) => x
            .keys()
            .chain(y.keys().filter(|k| !x.contains_key(*k)))
            .find_map(|k| match (x.get(k), y.get(k)) {
                (Some(va), Some(vb)) => json_diff(va, vb, &join(path, k)),
                _ => Some(join(path, k)),
            }),
        (J::Array(x), J::Array(y)) => {
            (0..x.len().max(y.len())).find_map(|i| match (x.get(i), y.get(i)) {
                (Some(va), Some(vb)) => json_diff(va, vb, &format!("{path}[{i}]")),
                _ => Some(format!("{path}[{i}]")),
            })
        }
        _ => (a != b).then(|| path.to_string()),
    }
}

/// The value at a path written by `json_diff`.
fn pick<'v>(v: &'v serde_json::Value, path: &str) -> Option<&'v serde_json::Value> {
    let mut cur = v;
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (name, index) = match part.split_once('[') {
            Some((n, i)) => (n, i.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        if !name.is_empty() {
            cur = cur.get(name)?;
        }
        if let Some(i) = index {
            cur = cur.get(i)?;
        }
    }
    Some(cur)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_names_the_first_changed_path() {
        let a: Value = yaml_serde::from_str("a: {b: [1, 2], c: x}").unwrap();
        let b: Value = yaml_serde::from_str("a: {b: [1, 3], c: x}").unwrap();
        assert_eq!(diff(&a, &b, "").as_deref(), Some("a.b[1]"));
        assert_eq!(diff(&a, &a, ""), None);
    }

    #[test]
    fn json_diff_and_pick() {
        let a = serde_json::json!({"members": [{"id": "a", "tool_budget": 1}]});
        let b = serde_json::json!({"members": [{"id": "a", "tool_budget": 2}]});
        let p = json_diff(&a, &b, "").unwrap();
        assert_eq!(p, "members[0].tool_budget");
        assert_eq!(pick(&a, &p), Some(&serde_json::json!(1)));
    }
}

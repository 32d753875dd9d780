//! Whether a suggestion still fits the team as it is. A suggestion records, in its
//! `current_config`, the values of the keys it changes as they were when it was made; it
//! applies cleanly only while the team still has exactly those values. A suggestion made
//! before another change was kept (say, a budget cut naming four members after two were
//! dropped) would otherwise bring back what that change removed.

use std::fmt;

use serde_json::{Map, Value};
use teamtune_analysis::Suggestion;
use teamtune_model::TeamConfig;

/// The first key whose value differs from what the suggestion was made for.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Misfit {
    pub key: String,
    pub expected: Value,
    pub found: Value,
}

impl fmt::Display for Misfit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "it was made for `{}` = {} and the team has {}",
            self.key,
            short(&self.expected),
            short(&self.found)
        )
    }
}

/// JSON text of at most 200 characters, for messages.
fn short(v: &Value) -> String {
    let text = v.to_string();
    match text.char_indices().nth(200) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text,
    }
}

/// `None` when every key the suggestion names in `current_config` has that value in
/// `config`, else the first that does not.
pub(crate) fn misfit(config: &TeamConfig, s: &Suggestion) -> Option<Misfit> {
    let now = match serde_json::to_value(config) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    s.current_config.iter().find_map(|(key, expected)| {
        let found = value_of(config, &now, key);
        (!same(expected, &found)).then(|| Misfit {
            key: key.clone(),
            expected: expected.clone(),
            found,
        })
    })
}

/// The team's value for a key as suggestions name it (Victor's `formation` and
/// `member_count` included); null for a key the team does not have.
fn value_of(config: &TeamConfig, now: &Map<String, Value>, key: &str) -> Value {
    match key {
        "formation" => now.get("team_formation").cloned().unwrap_or(Value::Null),
        "member_count" => Value::from(config.members.len()),
        // A team-wide budget: the members' common one, if they share one.
        "tool_budget" => {
            let mut budgets = config.members.iter().map(|m| m.tool_budget);
            match budgets.next() {
                Some(first) if budgets.all(|b| b == first) => {
                    first.map_or(Value::Null, Value::from)
                }
                _ => Value::Null,
            }
        }
        _ => now.get(key).cloned().unwrap_or(Value::Null),
    }
}

/// JSON equality where 600 and 600.0 are the same number, and inside objects a key that is
/// missing, null or false is the same (the team's members leave unset keys out).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.keys()
                .chain(y.keys())
                .all(|k| match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) => same(p, q) || (unset(p) && unset(q)),
                    (Some(v), None) | (None, Some(v)) => unset(v),
                    (None, None) => true,
                })
        }
        _ => a == b,
    }
}

fn unset(v: &Value) -> bool {
    matches!(v, Value::Null | Value::Bool(false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use teamtune_analysis::SuggestionType;

    fn config() -> TeamConfig {
        serde_json::from_value(json!({
            "team_formation": "sequential", "timeout_seconds": 600.0, "max_iterations": 3,
            "members": [{"id": "a", "role": "r", "tool_budget": 20}, {"id": "b", "role": "r", "tool_budget": 20}]
        }))
        .unwrap()
    }

    fn suggestion(current: Value) -> Suggestion {
        Suggestion::new(
            SuggestionType::ToolBudget,
            "test".into(),
            current.as_object().unwrap().clone(),
            Map::new(),
            10.0,
            0.5,
            0.2,
            Map::new(),
        )
    }

    #[test]
    fn fits_when_the_named_values_are_the_teams() {
        for current in [
            json!({"team_formation": "sequential"}),
            json!({"formation": "sequential", "timeout_seconds": 600}),
            json!({"member_count": 2, "tool_budget": 20}),
            json!({"members": [{"id": "a", "role": "r", "tool_budget": 20, "is_manager": false},
                               {"id": "b", "role": "r", "tool_budget": 20, "timeout_seconds": null}]}),
        ] {
            assert_eq!(
                misfit(&config(), &suggestion(current.clone())),
                None,
                "{current}"
            );
        }
    }

    #[test]
    fn names_the_first_key_that_changed() {
        let m = misfit(
            &config(),
            &suggestion(json!({"members": [{"id": "a", "role": "r", "tool_budget": 20}]})),
        )
        .unwrap();
        assert_eq!(m.key, "members");
        assert!(m.to_string().contains("`members`"), "{m}");
        let m = misfit(&config(), &suggestion(json!({"no_such_key": 1}))).unwrap();
        assert_eq!(m.found, Value::Null);
        assert!(misfit(&config(), &suggestion(json!({"timeout_seconds": 300}))).is_some());
    }
}

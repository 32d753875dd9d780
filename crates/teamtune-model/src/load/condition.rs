//! Victor's condition parser: a condition node's text as a truthy key, a comparison, an
//! `in [...]` list, or else a minijinja expression.

use crate::template::normalize_template;
use crate::workflow::{CmpOp, Condition};

/// Victor's simple condition forms, or a minijinja expression.
pub(crate) fn parse_condition(text: &str) -> Condition {
    let t = text.trim();
    if let Some(inner) = t.strip_prefix("{{").and_then(|s| s.strip_suffix("}}")) {
        return Condition::Expr(inner.trim().to_string());
    }
    let t = normalize_template(t);
    let t = t.trim();
    if is_key(t) {
        return Condition::Truthy(t.to_string());
    }
    for (sym, op) in [
        ("==", CmpOp::Eq),
        ("!=", CmpOp::Ne),
        (">=", CmpOp::Ge),
        ("<=", CmpOp::Le),
        (">", CmpOp::Gt),
        ("<", CmpOp::Lt),
    ] {
        if let Some(i) = t.find(sym) {
            let key = t[..i].trim();
            let value = t[i + sym.len()..].trim();
            if is_key(key)
                && let Some(v) = literal(value)
            {
                return Condition::Compare {
                    key: key.to_string(),
                    op,
                    value: v,
                };
            }
            break;
        }
    }
    if let Some((key, rest)) = t.split_once(" in ") {
        let key = key.trim();
        let rest = rest.trim();
        if is_key(key)
            && let Some(items) = rest.strip_prefix('[').and_then(|r| r.strip_suffix(']'))
        {
            let values: Option<Vec<_>> = items
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(literal)
                .collect();
            if let Some(values) = values {
                return Condition::In {
                    key: key.to_string(),
                    values,
                };
            }
        }
    }
    Condition::Expr(t.to_string())
}

fn is_key(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        && !matches!(
            s,
            "true" | "false" | "True" | "False" | "none" | "None" | "null"
        )
}

/// A literal on the right of a simple condition: quoted string, number, boolean, null, or a
/// bare word (Victor's `status == approved`).
fn literal(s: &str) -> Option<serde_json::Value> {
    use serde_json::Value;
    let s = s.trim();
    if s.len() >= 2
        && ((s.starts_with('"') && s.ends_with('"')) || (s.starts_with('\'') && s.ends_with('\'')))
    {
        return Some(Value::String(s[1..s.len() - 1].to_string()));
    }
    match s {
        "true" | "True" => return Some(Value::Bool(true)),
        "false" | "False" => return Some(Value::Bool(false)),
        "null" | "None" | "none" => return Some(Value::Null),
        _ => {}
    }
    if let Ok(i) = s.parse::<i64>() {
        return Some(Value::from(i));
    }
    if let Ok(f) = s.parse::<f64>()
        && f.is_finite()
    {
        return Some(Value::from(f));
    }
    let bare = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
    bare.then(|| Value::String(s.to_string()))
}

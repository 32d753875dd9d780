//! Node field text as templates and expressions: compute `inputs` (Victor's `$ctx.key`
//! references), and transform specs as `key = expression` assignments.

use crate::raw::TransformSpec;
use crate::template::normalize_template;

/// A compute `inputs` value: `$ctx.key` is a reference (Victor), other text a template.
pub(super) fn input_template(v: &str) -> String {
    let t = v.trim();
    if let Some(key) = t.strip_prefix("$ctx.")
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    {
        return format!("{{{{ {key} }}}}");
    }
    normalize_template(v)
}

pub(super) fn transform_assignments(spec: TransformSpec) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let lines: Vec<String> = match spec {
        TransformSpec::Map(map) => {
            for (k, v) in map {
                let expr = match &v {
                    serde_json::Value::String(s) => template_as_expression(s),
                    other => json_literal(other),
                };
                out.push((k, expr));
            }
            return Ok(out);
        }
        TransformSpec::One(s) => s.lines().map(str::to_string).collect(),
        TransformSpec::Many(v) => v,
    };
    for l in lines {
        let l = l.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let Some((k, v)) = split_assignment(l) else {
            return Err(format!(
                "transform line `{l}` is not `key = expression` (named transforms from Victor's Python registry cannot run here)"
            ));
        };
        out.push((
            k.to_string(),
            v.trim().trim_start_matches("ctx.").to_string(),
        ));
    }
    if out.is_empty() {
        return Err("transform has no `key = expression` lines".to_string());
    }
    Ok(out)
}

fn split_assignment(l: &str) -> Option<(&str, &str)> {
    let i = l.find('=')?;
    if l[i + 1..].starts_with('=') {
        return None;
    }
    let key = l[..i].trim();
    let ok = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    ok.then_some((key, &l[i + 1..]))
}

/// Map-form transform values are templates: `"{{ expr }}"` alone is the typed value of
/// `expr`; other text renders to a string.
fn template_as_expression(v: &str) -> String {
    let t = normalize_template(v);
    let trimmed = t.trim();
    if let Some(inner) = trimmed
        .strip_prefix("{{")
        .and_then(|s| s.strip_suffix("}}"))
        && !inner.contains("{{")
    {
        return inner.trim().to_string();
    }
    serde_json::to_string(&t).unwrap_or_default()
}

/// A YAML value as a minijinja literal (`null` is `none` there).
fn json_literal(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Null => "none".to_string(),
        Value::Array(items) => format!(
            "[{}]",
            items
                .iter()
                .map(json_literal)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!(
                    "{}: {}",
                    serde_json::Value::String(k.clone()),
                    json_literal(v)
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

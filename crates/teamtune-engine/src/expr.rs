//! Templates and expressions (minijinja). One process-wide environment, so compiled
//! expressions can be kept in the prepared engine without borrowing from it.

use std::sync::OnceLock;

use minijinja::{Environment, Expression};
use serde_json::Value as Json;
use teamtune_model::{CmpOp, Condition};

use crate::state::State;

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(Environment::new)
}

/// A compiled minijinja expression.
pub(crate) struct Compiled {
    source: String,
    expr: Expression<'static, 'static>,
}

impl std::fmt::Debug for Compiled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.source)
    }
}

impl Compiled {
    pub fn new(source: &str) -> Result<Compiled, String> {
        let expr = env()
            .compile_expression_owned(source.to_string())
            .map_err(|e| format!("bad expression `{source}`: {e}"))?;
        Ok(Compiled {
            source: source.to_string(),
            expr,
        })
    }

    pub fn eval(&self, state: &State) -> Result<minijinja::Value, String> {
        self.expr
            .eval(state.as_value())
            .map_err(|e| format!("evaluating `{}`: {e}", self.source))
    }

    pub fn eval_json(&self, state: &State) -> Result<Json, String> {
        let v = self.eval(state)?;
        if v.is_undefined() {
            return Ok(Json::Null);
        }
        serde_json::to_value(&v)
            .map_err(|e| format!("`{}` gave a value that is not JSON: {e}", self.source))
    }
}

/// Checks that a template parses (at prepare time).
pub(crate) fn check_template(source: &str) -> Result<(), String> {
    if !is_template(source) {
        return Ok(());
    }
    env()
        .template_from_str(source)
        .map(|_| ())
        .map_err(|e| format!("bad template: {e}"))
}

/// The state keys a template reads (empty for plain text or a template that does not
/// parse: preparing the engine reports that).
pub(crate) fn template_variables(source: &str) -> Vec<String> {
    if !is_template(source) {
        return Vec::new();
    }
    env()
        .template_from_str(source)
        .map(|t| {
            t.undeclared_variables(true)
                .iter()
                .map(|v| crate::inputs::root_key(v))
                .collect()
        })
        .unwrap_or_default()
}

/// The state keys an expression reads.
pub(crate) fn expression_variables(source: &str) -> Vec<String> {
    env()
        .compile_expression(source)
        .map(|e| {
            e.undeclared_variables(true)
                .iter()
                .map(|v| crate::inputs::root_key(v))
                .collect()
        })
        .unwrap_or_default()
}

fn is_template(s: &str) -> bool {
    s.contains("{{") || s.contains("{%")
}

/// Renders a template against the state; text without template syntax is returned as is.
pub(crate) fn render(source: &str, state: &State) -> Result<String, String> {
    if !is_template(source) {
        return Ok(source.to_string());
    }
    env()
        .render_str(source, state.as_value())
        .map_err(|e| format!("rendering template: {e}"))
}

/// Renders against an arbitrary JSON context (tool argument templates).
pub(crate) fn render_with(source: &str, ctx: &Json) -> Result<String, String> {
    if !is_template(source) {
        return Ok(source.to_string());
    }
    env()
        .render_str(source, minijinja::value::Serde(ctx))
        .map_err(|e| format!("rendering template: {e}"))
}

/// A condition prepared for evaluation.
#[derive(Debug)]
pub(crate) enum PreparedCondition {
    Simple(Condition),
    Expr(Compiled),
}

impl PreparedCondition {
    pub fn new(c: &Condition) -> Result<Self, String> {
        match c {
            Condition::Expr(e) => Compiled::new(e).map(PreparedCondition::Expr),
            other => Ok(PreparedCondition::Simple(other.clone())),
        }
    }

    /// The branch key the condition selects: `"true"`/`"false"` for tests, or, for a bare
    /// key whose value is a string or number, that value (so `branches: {approved: ...}`
    /// works on a decision key).
    pub fn branch_key(&self, state: &State, branch_keys: &[&str]) -> Result<String, String> {
        match self {
            PreparedCondition::Simple(Condition::Truthy(key)) => {
                let v = state.get_path(key);
                let only_bool = branch_keys
                    .iter()
                    .all(|k| matches!(*k, "true" | "false" | "default"));
                match v {
                    Some(Json::String(s)) if !only_bool => Ok(s.clone()),
                    Some(Json::Number(n)) if !only_bool => Ok(n.to_string()),
                    other => Ok(truthy(other).to_string()),
                }
            }
            PreparedCondition::Simple(Condition::Compare { key, op, value }) => {
                Ok(compare(state.get_path(key), *op, value).to_string())
            }
            PreparedCondition::Simple(Condition::In { key, values }) => {
                let v = state.get_path(key);
                Ok(values
                    .iter()
                    .any(|x| Some(x) == v || loose_eq(v, x))
                    .to_string())
            }
            PreparedCondition::Simple(Condition::Expr(_)) => {
                Err("unprepared expression".to_string())
            }
            PreparedCondition::Expr(c) => {
                let v = c.eval(state)?;
                if let Some(s) = v.as_str()
                    && branch_keys.contains(&s)
                {
                    return Ok(s.to_string());
                }
                Ok(v.is_true().to_string())
            }
        }
    }
}

fn truthy(v: Option<&Json>) -> bool {
    match v {
        None | Some(Json::Null) => false,
        Some(Json::Bool(b)) => *b,
        Some(Json::Number(n)) => n.as_f64() != Some(0.0),
        Some(Json::String(s)) => !s.is_empty() && s != "false",
        Some(Json::Array(a)) => !a.is_empty(),
        Some(Json::Object(o)) => !o.is_empty(),
    }
}

fn loose_eq(v: Option<&Json>, lit: &Json) -> bool {
    match (v, lit) {
        (Some(Json::Number(a)), Json::Number(b)) => a.as_f64() == b.as_f64(),
        (Some(Json::String(a)), Json::Number(b)) => a.parse::<f64>().ok() == b.as_f64(),
        (Some(Json::Number(a)), Json::String(b)) => b.parse::<f64>().ok() == a.as_f64(),
        (Some(Json::Bool(a)), Json::String(b)) => b.eq_ignore_ascii_case(&a.to_string()),
        _ => false,
    }
}

fn compare(v: Option<&Json>, op: CmpOp, lit: &Json) -> bool {
    let eq = v == Some(lit) || loose_eq(v, lit);
    match op {
        CmpOp::Eq => eq,
        CmpOp::Ne => !eq,
        _ => {
            let ord = match (v, lit) {
                (Some(a), b) => match (as_f64(a), as_f64(b)) {
                    (Some(x), Some(y)) => x.partial_cmp(&y),
                    _ => match (a, b) {
                        (Json::String(x), Json::String(y)) => Some(x.cmp(y)),
                        _ => None,
                    },
                },
                _ => None,
            };
            let Some(ord) = ord else { return false };
            match op {
                CmpOp::Ge => ord.is_ge(),
                CmpOp::Le => ord.is_le(),
                CmpOp::Gt => ord.is_gt(),
                CmpOp::Lt => ord.is_lt(),
                CmpOp::Eq | CmpOp::Ne => eq,
            }
        }
    }
}

fn as_f64(v: &Json) -> Option<f64> {
    match v {
        Json::Number(n) => n.as_f64(),
        Json::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use indexmap::IndexMap;

    fn state(pairs: &[(&str, Json)]) -> State {
        State::new(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect::<IndexMap<_, _>>(),
        )
    }

    fn key(cond: &str, s: &State, keys: &[&str]) -> String {
        let c = teamtune_model::load_str(
            std::path::Path::new("t.yaml"),
            &format!(
                "w:\n  nodes:\n    - id: c\n      type: condition\n      condition: {cond:?}\n      branches: {{\"true\": a, \"false\": a}}\n    - id: a\n      type: transform\n      transform: {{x: 1}}\n"
            ),
        )
        .unwrap();
        let teamtune_model::NodeKind::Condition(c) = &c.workflows[0].nodes[0].kind else {
            panic!()
        };
        PreparedCondition::new(&c.condition)
            .unwrap()
            .branch_key(s, keys)
            .unwrap()
    }

    #[test]
    fn victor_simple_forms() {
        let s = state(&[
            ("n", Json::from(5)),
            ("status", Json::from("approved")),
            ("ok", Json::from(true)),
        ]);
        let tf = ["true", "false"];
        assert_eq!(key("n >= 3", &s, &tf), "true");
        assert_eq!(key("n < 3", &s, &tf), "false");
        assert_eq!(key("status == approved", &s, &tf), "true");
        assert_eq!(key("status != 'approved'", &s, &tf), "false");
        assert_eq!(key("status in [approved, done]", &s, &tf), "true");
        assert_eq!(key("ok", &s, &tf), "true");
        assert_eq!(key("missing", &s, &tf), "false");
        assert_eq!(key("status", &s, &["approved", "rejected"]), "approved");
        assert_eq!(key("n > 2 and status == 'approved'", &s, &tf), "true");
        assert_eq!(key("{{ n * 2 == 10 }}", &s, &tf), "true");
    }
}

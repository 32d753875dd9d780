//! The inputs a workflow reads: names its templates, conditions and transforms read that
//! no node of the workflow writes. `validate` and `run` warn about the ones never given,
//! which would otherwise render as empty text.

use std::collections::BTreeSet;

use teamtune_model::{Condition, NodeKind, Workflow};

use crate::expr;

/// Names minijinja provides itself, never read from the state.
const BUILTINS: [&str; 5] = ["range", "dict", "namespace", "debug", "loop"];

/// The state keys `workflow` reads and never writes, sorted.
pub(crate) fn inputs_read(workflow: &Workflow) -> Vec<String> {
    let mut read = BTreeSet::new();
    let mut written = BTreeSet::new();
    for node in &workflow.nodes {
        match &node.kind {
            NodeKind::Agent(a) => {
                template(&a.member.goal, &mut read);
                written.insert(a.output_key.clone());
            }
            NodeKind::Team(t) => {
                template(&t.goal, &mut read);
                for m in &t.members {
                    template(&m.goal, &mut read);
                }
                written.insert(t.output_key.clone());
            }
            NodeKind::Hitl(h) => {
                template(&h.prompt, &mut read);
                read.extend(h.context_keys.iter().map(|k| root_key(k)));
                written.insert(h.output_key.clone());
            }
            NodeKind::Compute(c) => {
                for v in c.inputs.values() {
                    template(v, &mut read);
                }
                written.insert(c.output_key.clone());
            }
            NodeKind::Condition(c) => match &c.condition {
                Condition::Truthy(key)
                | Condition::Compare { key, .. }
                | Condition::In { key, .. } => {
                    read.insert(root_key(key));
                }
                Condition::Expr(e) => read.extend(expr::expression_variables(e)),
            },
            NodeKind::Transform(t) => {
                for (key, e) in &t.assignments {
                    read.extend(expr::expression_variables(e));
                    written.insert(key.clone());
                }
            }
            NodeKind::Parallel(_) => {
                written.insert(node.id.clone());
            }
        }
    }
    read.into_iter()
        .filter(|k| !written.contains(k) && k != "ctx" && !BUILTINS.contains(&k.as_str()))
        .collect()
}

fn template(source: &str, read: &mut BTreeSet<String>) {
    read.extend(expr::template_variables(source));
}

/// The top-level state key of a dotted path (`ctx.a.b` and `a.b` are both `a`).
pub(crate) fn root_key(path: &str) -> String {
    let path = path.strip_prefix("ctx.").unwrap_or(path);
    path.split('.').next().unwrap_or(path).to_string()
}

//! Graph checks of a built workflow: every target a node refers to (`next`, branch
//! targets, `default`, parallel nodes) is a node, and every node is reachable from the start
//! node.

use std::collections::HashMap;

use super::build::Builder;
use crate::workflow::{Node, NodeKind};

impl Builder<'_, '_> {
    pub(super) fn check_targets(&mut self, nodes: &[Node], index: &HashMap<String, usize>) {
        for n in nodes {
            for (what, target) in targets(n) {
                if !index.contains_key(target) {
                    self.problem(
                        n.line,
                        format!("node `{}`: {what} `{target}` is not a node", n.id),
                    );
                }
            }
        }
    }

    pub(super) fn check_reachable(
        &mut self,
        nodes: &[Node],
        index: &HashMap<String, usize>,
        start: &str,
    ) {
        let Some(&s) = index.get(start) else { return };
        let mut seen = vec![false; nodes.len()];
        let mut stack = vec![s];
        while let Some(i) = stack.pop() {
            if i >= nodes.len() || std::mem::replace(&mut seen[i], true) {
                continue;
            }
            for (_, t) in targets(&nodes[i]) {
                if let Some(&j) = index.get(t) {
                    stack.push(j);
                }
            }
        }
        for (i, n) in nodes.iter().enumerate() {
            if !seen[i] {
                self.problem(
                    n.line,
                    format!("node `{}` is unreachable from start node `{start}`", n.id),
                );
            }
        }
    }
}

/// Every node id a node can continue to, with what refers to it.
fn targets(n: &Node) -> Vec<(&'static str, &str)> {
    let mut out = Vec::new();
    if let Some(next) = &n.next {
        out.push(("next", next.as_str()));
    }
    match &n.kind {
        NodeKind::Condition(c) => {
            out.extend(c.branches.values().map(|t| ("branch target", t.as_str())));
            if let Some(d) = &c.default {
                out.push(("default", d.as_str()));
            }
        }
        NodeKind::Parallel(p) => {
            out.extend(p.branches.iter().map(|t| ("parallel node", t.as_str())))
        }
        _ => {}
    }
    out
}

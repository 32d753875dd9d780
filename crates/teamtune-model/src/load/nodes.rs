//! Building one node of each type (agent, compute, condition, parallel, transform, hitl;
//! teams are in [`super::team`]) from its raw form, with Victor's field aliases and defaults.

use indexmap::IndexMap;

use super::build::{Builder, MemberCtx, Span};
use super::condition::parse_condition;
use super::templates::{input_template, transform_assignments};
use crate::raw::{RawMember, RawNode};
use crate::seconds::Seconds;
use crate::template::normalize_template;
use crate::workflow::{
    AgentNode, ComputeNode, ConditionNode, Fallback, HitlNode, HitlType, JoinStrategy, NodeKind,
    ParallelNode, TransformNode,
};

/// Default HITL timeout in seconds.
const DEFAULT_HITL_TIMEOUT: u32 = 300;

impl Builder<'_, '_> {
    pub(super) fn node_kind(
        &mut self,
        id: &str,
        rn: RawNode,
        line: Option<usize>,
        end: Option<usize>,
        ctx: &MemberCtx,
    ) -> Option<NodeKind> {
        let key_line = |b: &Self, key: &str| b.index.key_line(key, line.unwrap_or(1), end).or(line);
        let ty = rn.node_type.clone().unwrap_or_else(|| "agent".to_string());
        let output_key = rn.output_key.clone().or_else(|| rn.output.clone());
        let span = Span {
            from: line,
            until: end,
        };
        let whose = format!("node `{id}`");
        // Victor spells a node's timeout `timeout` or `timeout_seconds`.
        let (timeout_key, timeout_value) = match (rn.timeout_seconds, rn.timeout) {
            (Some(t), _) => ("timeout_seconds", Some(t)),
            (None, t) => ("timeout", t),
        };
        match ty.as_str() {
            "agent" => {
                let member = RawMember {
                    id: Some(id.to_string()),
                    name: rn.name.clone(),
                    role: rn.role.clone(),
                    goal: rn.goal.clone().or(rn.prompt.clone()),
                    tool_budget: rn.tool_budget,
                    timeout_seconds: timeout_value,
                    tools: rn.tools.clone(),
                    allowed_tools: rn.allowed_tools.clone(),
                    backstory: rn.backstory.clone(),
                    provider: rn.provider.clone(),
                    command: rn.command.clone(),
                    ..RawMember::default()
                };
                let member = self.member(id, member, None, rn.sim.as_ref(), ctx, line)?;
                Some(NodeKind::Agent(AgentNode {
                    member,
                    output_key: output_key.unwrap_or_else(|| id.to_string()),
                }))
            }
            "compute" => {
                if let Some(c) = &rn.command
                    && c.is_empty()
                {
                    self.problem(
                        key_line(self, "command"),
                        format!("node `{id}`: `command` is empty"),
                    );
                }
                let timeout_seconds = self.seconds(timeout_value, timeout_key, &whose, span, true);
                let inputs = rn
                    .inputs
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, v)| (k, input_template(&v.0)))
                    .collect();
                Some(NodeKind::Compute(ComputeNode {
                    command: rn.command,
                    handler: rn.handler,
                    inputs,
                    output_key: output_key.unwrap_or_else(|| id.to_string()),
                    timeout_seconds,
                }))
            }
            "condition" => {
                let Some(cond) = rn.condition else {
                    self.problem(
                        line,
                        format!("node `{id}`: a condition node needs `condition:`"),
                    );
                    return None;
                };
                let branches: IndexMap<String, String> = rn
                    .branches
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, v)| (k.0, v))
                    .collect();
                if branches.is_empty() && rn.default.is_none() {
                    self.problem(
                        line,
                        format!("node `{id}`: a condition node needs `branches:`"),
                    );
                }
                Some(NodeKind::Condition(ConditionNode {
                    condition: parse_condition(&cond.0),
                    branches,
                    default: rn.default,
                }))
            }
            "parallel" => {
                let branches = rn.parallel_nodes.unwrap_or_default();
                if branches.is_empty() {
                    self.problem(
                        line,
                        format!("node `{id}`: a parallel node needs `parallel_nodes:`"),
                    );
                }
                let join = match rn.join_strategy.as_deref().unwrap_or("all") {
                    "all" => JoinStrategy::All,
                    "any" => JoinStrategy::Any,
                    "merge" => JoinStrategy::Merge,
                    other => {
                        self.problem(
                            key_line(self, "join_strategy"),
                            format!("node `{id}`: unknown join_strategy `{other}`; valid: all, any, merge"),
                        );
                        JoinStrategy::All
                    }
                };
                Some(NodeKind::Parallel(ParallelNode { branches, join }))
            }
            "transform" => {
                let spec = rn.transform.or(rn.transforms);
                let Some(spec) = spec else {
                    self.problem(
                        line,
                        format!("node `{id}`: a transform node needs `transform:`"),
                    );
                    return None;
                };
                match transform_assignments(spec) {
                    Ok(assignments) => Some(NodeKind::Transform(TransformNode { assignments })),
                    Err(msg) => {
                        self.problem(key_line(self, "transform"), format!("node `{id}`: {msg}"));
                        None
                    }
                }
            }
            "hitl" => {
                let hitl_type = match rn.hitl_type.as_deref().unwrap_or("approval") {
                    "approval" => HitlType::Approval,
                    "review" => HitlType::Review,
                    "choice" => HitlType::Choice,
                    "input" => HitlType::Input,
                    "confirmation" => HitlType::Confirmation,
                    other => {
                        self.problem(
                            key_line(self, "hitl_type"),
                            format!(
                                "node `{id}`: unknown hitl_type `{other}`; valid: approval, review, choice, input, confirmation"
                            ),
                        );
                        HitlType::Approval
                    }
                };
                let fallback = match rn.fallback.as_deref().unwrap_or("abort") {
                    "abort" => Fallback::Abort,
                    "continue" => Fallback::Continue,
                    "skip" => Fallback::Skip,
                    "retry" => Fallback::Retry,
                    other => {
                        self.problem(
                            key_line(self, "fallback"),
                            format!("node `{id}`: unknown fallback `{other}`; valid: abort, continue, skip, retry"),
                        );
                        Fallback::Abort
                    }
                };
                let choices: Vec<String> = rn
                    .choices
                    .unwrap_or_default()
                    .into_iter()
                    .map(|c| c.0)
                    .collect();
                if hitl_type == HitlType::Choice && choices.is_empty() {
                    self.problem(line, format!("node `{id}`: a choice gate needs `choices:`"));
                }
                let (key, value) = match (rn.timeout, rn.timeout_seconds) {
                    (Some(t), _) => ("timeout", Some(t)),
                    (None, t) => ("timeout_seconds", t),
                };
                let timeout = self
                    .seconds(value, key, &whose, span, true)
                    .unwrap_or(Seconds::from_secs(DEFAULT_HITL_TIMEOUT));
                Some(NodeKind::Hitl(HitlNode {
                    hitl_type,
                    prompt: normalize_template(
                        rn.prompt.as_deref().or(rn.message.as_deref()).unwrap_or(""),
                    ),
                    context_keys: rn.context_keys.unwrap_or_default(),
                    choices,
                    default_value: rn.default_value.map(|v| v.0),
                    timeout_seconds: timeout,
                    fallback,
                    output_key: output_key.unwrap_or_else(|| id.to_string()),
                }))
            }
            "team" => self.team(id, rn, line, end, ctx).map(NodeKind::Team),
            other => {
                self.problem(
                    key_line(self, "type"),
                    format!(
                        "node `{id}`: unknown node type `{other}`; valid: agent, compute, condition, parallel, transform, hitl, team"
                    ),
                );
                None
            }
        }
    }
}

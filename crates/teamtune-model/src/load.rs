//! Loading a workflow file: YAML syntax and schema errors come from the deserializer with
//! their line and column; semantic problems (unknown targets, unreachable nodes, missing
//! members, bad formations, ...) are collected all at once and located by node id.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use indexmap::IndexMap;
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::error::{LoadError, Problem};
use crate::formation::Formation;
use crate::locate::LineIndex;
use crate::raw::{RawMember, RawNode, RawProvider, RawWorkflow, TransformSpec};
use crate::sim::{SimOverrides, SimParams};
use crate::template::normalize_template;
use crate::workflow::*;

/// Default consensus rounds cap (ARCHITECTURE section 2).
const DEFAULT_TEAM_MAX_ITERATIONS: u32 = 3;
/// Default cap on node executions per run.
const DEFAULT_WORKFLOW_MAX_ITERATIONS: u32 = 25;
/// Default HITL timeout in seconds.
const DEFAULT_HITL_TIMEOUT: f64 = 300.0;

pub fn load_file(path: &Path) -> Result<WorkflowFile, LoadError> {
    let source = std::fs::read_to_string(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    load_str(path, &source)
}

pub fn load_str(path: &Path, source: &str) -> Result<WorkflowFile, LoadError> {
    let invalid = |problems| LoadError::Invalid {
        path: path.to_path_buf(),
        problems,
    };
    let root: RawRoot =
        yaml_serde::from_str(source).map_err(|e| invalid(vec![yaml_problem(&e)]))?;
    if root.workflows.is_empty() {
        return Err(invalid(vec![Problem::at(
            Some(1),
            "no workflows found: expected a `workflows:` map of name -> definition with `nodes:`",
        )]));
    }
    let index = LineIndex::new(source);
    let mut problems = Vec::new();
    let mut workflows = IndexMap::new();
    let mut search_from = 1;
    for (name, raw) in root.workflows {
        let wf_line = index.key_line(&name, 1, None).unwrap_or(search_from);
        search_from = wf_line;
        let mut b = Builder {
            index: &index,
            problems: &mut problems,
            search_from: wf_line,
        };
        if let Some(wf) = b.workflow(
            &name,
            raw,
            &root.providers,
            &root.tools,
            root.default_provider.as_deref(),
        ) {
            workflows.insert(name, wf);
        }
    }
    if problems.is_empty() {
        Ok(WorkflowFile {
            path: path.to_path_buf(),
            source: source.to_string(),
            workflows,
        })
    } else {
        problems.sort_by_key(|p| p.line.unwrap_or(0));
        Err(invalid(problems))
    }
}

fn yaml_problem(e: &yaml_serde::Error) -> Problem {
    let text = e.to_string();
    let message = match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    };
    match e.location() {
        Some(loc) => Problem {
            line: Some(loc.line()),
            column: Some(loc.column()),
            message,
        },
        None => Problem {
            line: None,
            column: None,
            message,
        },
    }
}

/// The file root: either `workflows: {name: def}` or the map of workflows itself. Shared
/// `providers`, `tools` and `default_provider` may sit at the root in both forms.
#[derive(Default)]
struct RawRoot {
    workflows: IndexMap<String, RawWorkflow>,
    providers: IndexMap<String, RawProvider>,
    tools: IndexMap<String, ToolDef>,
    default_provider: Option<String>,
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

struct Builder<'a, 'src> {
    index: &'a LineIndex<'src>,
    problems: &'a mut Vec<Problem>,
    search_from: usize,
}

impl Builder<'_, '_> {
    fn problem(&mut self, line: Option<usize>, message: String) {
        self.problems.push(Problem::at(line, message));
    }

    fn workflow(
        &mut self,
        name: &str,
        raw: RawWorkflow,
        shared_providers: &IndexMap<String, RawProvider>,
        shared_tools: &IndexMap<String, ToolDef>,
        shared_default: Option<&str>,
    ) -> Option<Workflow> {
        let wf_line = Some(self.search_from);
        if raw.nodes.is_empty() {
            self.problem(wf_line, format!("workflow `{name}` has no nodes"));
            return None;
        }
        let mut providers = IndexMap::new();
        for (pname, p) in shared_providers.iter().chain(raw.providers.iter()) {
            let line = self.index.key_line(pname, 1, None);
            match provider(p) {
                Ok(p) => {
                    providers.insert(pname.clone(), p);
                }
                Err(msg) => self.problem(line, format!("provider `{pname}`: {msg}")),
            }
        }
        let mut tools = shared_tools.clone();
        tools.extend(raw.tools.clone());
        for (tname, t) in &tools {
            if t.command.is_empty() {
                let line = self.index.key_line(tname, 1, None);
                self.problem(line, format!("tool `{tname}` has an empty `command`"));
            }
        }
        let default_provider = raw
            .default_provider
            .as_deref()
            .or(shared_default)
            .map(str::to_string);
        if let Some(dp) = &default_provider
            && !providers.contains_key(dp)
        {
            self.problem(
                wf_line,
                format!("default_provider `{dp}` is not a key of `providers:`"),
            );
        }
        let ctx = MemberCtx {
            providers: &providers,
            default_provider: default_provider.as_deref(),
        };

        // Node ids and lines first, so later checks can point at them.
        let mut lines = Vec::with_capacity(raw.nodes.len());
        let mut from = self.search_from;
        for (i, n) in raw.nodes.iter().enumerate() {
            let line = n.id.as_deref().and_then(|id| self.index.id_line(id, from));
            if let Some(l) = line {
                from = l + 1;
            }
            if n.id.is_none() {
                self.problem(
                    Some(from),
                    format!("workflow `{name}`: node #{} has no `id`", i + 1),
                );
            }
            lines.push(line);
        }
        let ids: Vec<String> = raw
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| n.id.clone().unwrap_or_else(|| format!("#{}", i + 1)))
            .collect();
        let mut index = HashMap::new();
        for (i, id) in ids.iter().enumerate() {
            if index.insert(id.clone(), i).is_some() {
                self.problem(lines[i], format!("duplicate node id `{id}`"));
            }
        }
        let parallel_targets: HashSet<String> = raw
            .nodes
            .iter()
            .flat_map(|n| n.parallel_nodes.iter().flatten().cloned())
            .collect();

        let mut nodes = Vec::with_capacity(raw.nodes.len());
        for (i, rn) in raw.nodes.into_iter().enumerate() {
            let line = lines[i];
            let node_end = lines.get(i + 1).copied().flatten();
            let id = ids[i].clone();
            let explicit_next = rn.next.clone();
            let is_condition = rn.node_type.as_deref() == Some("condition");
            // Victor chains a node without `next` to the node listed after it (not condition
            // nodes, whose branches decide, nor parallel branches, which return to their
            // parallel node). An explicit `next: []` ends the run there.
            let next = match explicit_next {
                Some(list) if list.0.len() > 1 => {
                    let l = self
                        .index
                        .key_line("next", line.unwrap_or(1), node_end)
                        .or(line);
                    self.problem(
                        l,
                        format!(
                            "node `{id}`: `next` lists {} nodes ({}); a node continues to one node. \
                             To run nodes concurrently, add a `type: parallel` node with \
                             `parallel_nodes: [{}]` and point `next` at it",
                            list.0.len(),
                            list.0.join(", "),
                            list.0.join(", ")
                        ),
                    );
                    None
                }
                Some(list) => list.0.into_iter().next(),
                None => {
                    let chains = !is_condition && !parallel_targets.contains(&id);
                    if chains {
                        ids.get(i + 1).cloned()
                    } else {
                        None
                    }
                }
            };
            let Some(kind) = self.node_kind(&id, rn, line, node_end, &ctx) else {
                continue;
            };
            nodes.push(Node {
                id,
                line,
                next,
                kind,
            });
        }

        let start_node = raw.start_node.clone().unwrap_or_else(|| ids[0].clone());
        if !index.contains_key(&start_node) {
            let l = self.index.key_line("start_node", self.search_from, None);
            self.problem(
                l,
                format!("start_node `{start_node}` is not a node of workflow `{name}`"),
            );
        }
        self.check_targets(&nodes, &index);
        self.check_reachable(&nodes, &index, &start_node);
        Some(Workflow {
            name: raw.name.unwrap_or_else(|| name.to_string()),
            description: raw.description,
            start_node,
            nodes,
            index,
            max_iterations: raw
                .max_iterations
                .unwrap_or(DEFAULT_WORKFLOW_MAX_ITERATIONS),
            providers,
            tools,
        })
    }

    fn check_targets(&mut self, nodes: &[Node], index: &HashMap<String, usize>) {
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

    fn check_reachable(&mut self, nodes: &[Node], index: &HashMap<String, usize>, start: &str) {
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

    fn node_kind(
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
        match ty.as_str() {
            "agent" => {
                let member = RawMember {
                    id: Some(id.to_string()),
                    name: rn.name.clone(),
                    role: rn.role.clone(),
                    goal: rn.goal.clone().or(rn.prompt.clone()),
                    tool_budget: rn.tool_budget,
                    timeout_seconds: rn.timeout_seconds.or(rn.timeout),
                    tools: rn.tools.clone(),
                    allowed_tools: rn.allowed_tools.clone(),
                    backstory: rn.backstory.clone(),
                    expertise: None,
                    is_manager: None,
                    provider: rn.provider.clone(),
                    command: rn.command.clone(),
                    sim: None,
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
                    timeout_seconds: rn.timeout_seconds.or(rn.timeout),
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
                let timeout = rn
                    .timeout
                    .or(rn.timeout_seconds)
                    .unwrap_or(DEFAULT_HITL_TIMEOUT);
                if !(timeout.is_finite() && timeout > 0.0) {
                    self.problem(
                        key_line(self, "timeout"),
                        format!("node `{id}`: timeout must be > 0"),
                    );
                }
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

    fn team(
        &mut self,
        id: &str,
        rn: RawNode,
        line: Option<usize>,
        end: Option<usize>,
        ctx: &MemberCtx,
    ) -> Option<TeamNode> {
        let key_line = |b: &Self, key: &str| b.index.key_line(key, line.unwrap_or(1), end).or(line);
        let formation_text = rn
            .team_formation
            .clone()
            .or(rn.formation.clone())
            .unwrap_or_else(|| "sequential".into());
        let formation = match formation_text.parse::<Formation>() {
            Ok(f) => Some(f),
            Err(msg) => {
                let l = key_line(self, "team_formation");
                self.problem(l, format!("node `{id}`: {msg}"));
                None
            }
        };
        let raw_members = rn.members.unwrap_or_default();
        if raw_members.is_empty() {
            self.problem(
                line,
                format!("team `{id}` has no members; a team needs at least one"),
            );
        }
        if let Some(t) = rn.timeout_seconds
            && !(t.is_finite() && t > 0.0)
        {
            self.problem(
                key_line(self, "timeout_seconds"),
                format!("team `{id}`: timeout_seconds must be > 0"),
            );
        }
        let team_sim = rn.sim.unwrap_or_default();
        for msg in team_sim.problems() {
            self.problem(key_line(self, "sim"), format!("team `{id}`: {msg}"));
        }
        let mut members = Vec::new();
        let mut seen = HashSet::new();
        let mut from = line.unwrap_or(1);
        for (i, rm) in raw_members.into_iter().enumerate() {
            let mid = rm
                .id
                .clone()
                .or(rm.name.clone())
                .unwrap_or_else(|| format!("member_{}", i + 1));
            let mline = self.index.id_line(&mid, from).or(line);
            if let Some(l) = mline {
                from = l + 1;
            }
            if !seen.insert(mid.clone()) {
                self.problem(mline, format!("team `{id}`: duplicate member id `{mid}`"));
            }
            let sim = rm.sim;
            if let Some(m) = self.member(&mid, rm, Some(&team_sim), sim.as_ref(), ctx, mline) {
                members.push(m);
            }
        }
        let max_iterations = rn.max_iterations.unwrap_or(DEFAULT_TEAM_MAX_ITERATIONS);
        if max_iterations == 0 {
            self.problem(
                key_line(self, "max_iterations"),
                format!("team `{id}`: max_iterations must be >= 1"),
            );
        }
        Some(TeamNode {
            id: id.to_string(),
            name: rn.name,
            goal: normalize_template(rn.goal.as_deref().unwrap_or("")),
            formation: formation?,
            members,
            timeout_seconds: rn.timeout_seconds,
            max_iterations,
            total_tool_budget: rn.total_tool_budget,
            output_key: rn
                .output_key
                .or(rn.output)
                .unwrap_or_else(|| "team_result".to_string()),
            continue_on_error: rn.continue_on_error.unwrap_or(true),
            merge_strategy: rn.merge_strategy.or(rn.merge_mode),
        })
    }

    fn member(
        &mut self,
        id: &str,
        rm: RawMember,
        team_sim: Option<&SimOverrides>,
        own_sim: Option<&SimOverrides>,
        ctx: &MemberCtx,
        line: Option<usize>,
    ) -> Option<MemberSpec> {
        if let Some(s) = own_sim {
            for msg in s.problems() {
                self.problem(line, format!("member `{id}`: {msg}"));
            }
        }
        if let Some(t) = rm.timeout_seconds
            && !(t.is_finite() && t > 0.0)
        {
            self.problem(line, format!("member `{id}`: timeout_seconds must be > 0"));
        }
        let sim_params = || {
            let base = team_sim.map_or(SimParams::default(), |t| t.apply(SimParams::default()));
            own_sim.map_or(base, |o| o.apply(base))
        };
        let mut implicit_sim = false;
        let runner = match (&rm.command, &rm.provider) {
            (Some(_), Some(_)) => {
                self.problem(
                    line,
                    format!("member `{id}`: give either `command` or `provider`, not both"),
                );
                return None;
            }
            (Some(argv), None) if argv.is_empty() => {
                self.problem(line, format!("member `{id}`: `command` is empty"));
                return None;
            }
            (Some(argv), None) => MemberRunner::Command(argv.clone()),
            (None, p) => {
                let name = p.as_deref().or(ctx.default_provider);
                match name {
                    None => {
                        implicit_sim = true;
                        MemberRunner::Sim(sim_params())
                    }
                    Some(name) => match ctx.providers.get(name) {
                        Some(Provider::Sim) => MemberRunner::Sim(sim_params()),
                        Some(Provider::OpenAi(cfg)) => MemberRunner::OpenAi {
                            provider: name.to_string(),
                            config: cfg.clone(),
                        },
                        None if name == "sim" => MemberRunner::Sim(sim_params()),
                        None => {
                            let known: Vec<&str> =
                                ctx.providers.keys().map(String::as_str).collect();
                            self.problem(
                                line,
                                format!(
                                    "member `{id}`: provider `{name}` is not defined in `providers:` (defined: {})",
                                    if known.is_empty() { "none".to_string() } else { known.join(", ") }
                                ),
                            );
                            return None;
                        }
                    },
                }
            }
        };
        Some(MemberSpec {
            id: id.to_string(),
            role: rm.role.unwrap_or_else(|| "executor".to_string()),
            goal: normalize_template(rm.goal.as_deref().unwrap_or("")),
            tool_budget: rm.tool_budget,
            timeout_seconds: rm.timeout_seconds,
            tools: rm.tools.or(rm.allowed_tools).unwrap_or_default(),
            backstory: rm.backstory,
            expertise: rm.expertise.unwrap_or_default(),
            is_manager: rm.is_manager.unwrap_or(false),
            runner,
            implicit_sim,
        })
    }
}

struct MemberCtx<'a> {
    providers: &'a IndexMap<String, Provider>,
    default_provider: Option<&'a str>,
}

fn provider(p: &RawProvider) -> Result<Provider, String> {
    match p.kind.as_str() {
        "sim" => Ok(Provider::Sim),
        "openai" => Ok(Provider::OpenAi(OpenAiProvider {
            base_url: p
                .base_url
                .clone()
                .ok_or("an openai provider needs `base_url`")?,
            model: p.model.clone().ok_or("an openai provider needs `model`")?,
            api_key_env: p.api_key_env.clone(),
            temperature: p.temperature,
            max_tokens: p.max_tokens,
            request_timeout_s: p.request_timeout_s,
            max_retries: p.max_retries,
        })),
        other => Err(format!(
            "unknown provider kind `{other}`; valid: openai, sim"
        )),
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

/// A compute `inputs` value: `$ctx.key` is a reference (Victor), other text a template.
fn input_template(v: &str) -> String {
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

fn transform_assignments(spec: TransformSpec) -> Result<Vec<(String, String)>, String> {
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

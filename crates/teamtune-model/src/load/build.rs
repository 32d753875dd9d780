//! Building a [`Workflow`] from its raw form: providers, tools and the default provider,
//! node ids and lines, Victor's implicit `next` chaining, then each node
//! ([`Builder::node_kind`]) and the graph checks. Problems are collected, not returned early.

use std::collections::{HashMap, HashSet};

use indexmap::IndexMap;

use crate::error::Problem;
use crate::locate::LineIndex;
use crate::raw::{RawProvider, RawWorkflow};
use crate::workflow::{Node, OpenAiProvider, Provider, ToolDef, Workflow};

/// Default cap on node executions per run.
const DEFAULT_WORKFLOW_MAX_ITERATIONS: u32 = 25;

pub(super) struct Builder<'a, 'src> {
    pub(super) index: &'a LineIndex<'src>,
    problems: &'a mut Vec<Problem>,
    pub(super) search_from: usize,
}

impl<'a, 'src> Builder<'a, 'src> {
    pub(super) fn new(
        index: &'a LineIndex<'src>,
        problems: &'a mut Vec<Problem>,
        search_from: usize,
    ) -> Self {
        Builder {
            index,
            problems,
            search_from,
        }
    }

    pub(super) fn problem(&mut self, line: Option<usize>, message: String) {
        self.problems.push(Problem::at(line, message));
    }

    pub(super) fn workflow(
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
}

/// What building a member needs from its workflow.
pub(super) struct MemberCtx<'a> {
    pub(super) providers: &'a IndexMap<String, Provider>,
    pub(super) default_provider: Option<&'a str>,
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
            connect_timeout_s: p.connect_timeout_s,
            request_timeout_s: p.request_timeout_s,
            max_retries: p.max_retries,
        })),
        other => Err(format!(
            "unknown provider kind `{other}`; valid: openai, sim"
        )),
    }
}

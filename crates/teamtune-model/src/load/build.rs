//! Building a [`Workflow`] from its raw form: providers, tools and the default provider,
//! node ids and lines, Victor's implicit `next` chaining, then each node
//! ([`Builder::node_kind`]) and the graph checks. Problems are collected, not returned early.

use std::collections::{HashMap, HashSet};

use indexmap::IndexMap;

use crate::error::Problem;
use crate::limits::{MAX_RETRIES, MAX_TOKENS, MAX_WORKFLOW_ITERATIONS};
use crate::locate::LineIndex;
use crate::raw::{RawProvider, RawTool, RawWorkflow};
use crate::seconds::Seconds;
use crate::workflow::{Node, OpenAiProvider, Provider, ToolDef, Workflow};

/// Default cap on node executions per run.
const DEFAULT_WORKFLOW_MAX_ITERATIONS: u32 = 25;

pub(super) struct Builder<'a, 'src> {
    pub(super) index: &'a LineIndex<'src>,
    problems: &'a mut Vec<Problem>,
    warnings: &'a mut Vec<Problem>,
    pub(super) search_from: usize,
}

/// Where a key is looked for: the lines `from..until` of the part that holds it.
#[derive(Clone, Copy)]
pub(super) struct Span {
    pub(super) from: Option<usize>,
    pub(super) until: Option<usize>,
}

impl<'a, 'src> Builder<'a, 'src> {
    pub(super) fn new(
        index: &'a LineIndex<'src>,
        problems: &'a mut Vec<Problem>,
        warnings: &'a mut Vec<Problem>,
        search_from: usize,
    ) -> Self {
        Builder {
            index,
            problems,
            warnings,
            search_from,
        }
    }

    pub(super) fn problem(&mut self, line: Option<usize>, message: String) {
        self.problems.push(Problem::at(line, message));
    }

    /// A problem with `key`, at the key when it is found in `span`, else at the part.
    pub(super) fn key_problem(&mut self, key: &str, span: Span, message: String) {
        let pos = self
            .index
            .key_position(key, span.from.unwrap_or(1), span.until);
        let problem = match pos {
            Some((l, c)) => Problem::at_column(Some(l), Some(c), message),
            None => Problem::at(span.from, message),
        };
        self.problems.push(problem);
    }

    /// Warnings for the Victor-only `keys` of the part `whose` in `span`.
    pub(super) fn victor_keys(&mut self, keys: &[&str], span: Span, whose: &str) {
        for key in keys {
            self.warnings.push(super::victor_only(
                self.index,
                key,
                span.from.unwrap_or(1),
                span.until,
                whose,
            ));
        }
    }

    /// Duration `value` of `key` checked into [`Seconds`]: finite, >= 0 (> 0 when
    /// `positive`), at most 30 days. A problem naming `whose` and the key otherwise.
    pub(super) fn seconds(
        &mut self,
        value: Option<f64>,
        key: &str,
        whose: &str,
        span: Span,
        positive: bool,
    ) -> Option<Seconds> {
        let v = value?;
        let checked = if positive {
            Seconds::positive(v)
        } else {
            Seconds::new(v)
        };
        match checked {
            Ok(s) => Some(s),
            Err(msg) => {
                self.key_problem(key, span, format!("{whose}: `{key}` {msg}"));
                None
            }
        }
    }

    /// Count `value` of `key` checked to lie in `lo..=hi`.
    pub(super) fn count(
        &mut self,
        value: Option<u32>,
        key: &str,
        whose: &str,
        span: Span,
        (lo, hi): (u32, u32),
    ) -> Option<u32> {
        let v = value?;
        if (lo..=hi).contains(&v) {
            Some(v)
        } else {
            self.key_problem(
                key,
                span,
                format!("{whose}: `{key}` must be between {lo} and {hi}, got {v}"),
            );
            None
        }
    }

    pub(super) fn workflow(
        &mut self,
        name: &str,
        raw: RawWorkflow,
        shared_providers: &IndexMap<String, RawProvider>,
        shared_tools: &IndexMap<String, RawTool>,
        shared_default: Option<&str>,
    ) -> Option<Workflow> {
        let wf_line = Some(self.search_from);
        if raw.nodes.is_empty() {
            self.problem(wf_line, format!("workflow `{name}` has no nodes"));
            return None;
        }
        let victor = raw.victor_keys();
        self.victor_keys(
            &victor,
            Span {
                from: wf_line,
                until: None,
            },
            &format!("workflow `{name}`"),
        );
        let mut providers = IndexMap::new();
        for (pname, p) in shared_providers.iter().chain(raw.providers.iter()) {
            let line = self.index.key_line(pname, 1, None);
            match self.provider(pname, p, line) {
                Ok(Some(p)) => {
                    providers.insert(pname.clone(), p);
                }
                Ok(None) => {}
                Err(msg) => self.problem(line, format!("provider `{pname}`: {msg}")),
            }
        }
        let mut tools = IndexMap::new();
        for (tname, t) in shared_tools.iter().chain(raw.tools.iter()) {
            let line = self.index.key_line(tname, 1, None);
            if t.command.is_empty() {
                self.problem(line, format!("tool `{tname}` has an empty `command`"));
            }
            let span = Span {
                from: line,
                until: None,
            };
            let timeout = self.seconds(
                t.timeout_seconds,
                "timeout_seconds",
                &format!("tool `{tname}`"),
                span,
                true,
            );
            tools.insert(tname.clone(), tool(t, timeout));
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
            // A node without an id is placed where the search stands: after the last one.
            lines.push(line.or(Some(from)));
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
            let victor = rn.victor_keys();
            self.victor_keys(
                &victor,
                Span {
                    from: line,
                    until: node_end,
                },
                &format!("node `{id}`"),
            );
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
        let wf_span = Span {
            from: wf_line,
            until: lines.first().copied().flatten(),
        };
        let max_iterations = self
            .count(
                Some(
                    raw.max_iterations
                        .unwrap_or(DEFAULT_WORKFLOW_MAX_ITERATIONS),
                ),
                "max_iterations",
                &format!("workflow `{name}`"),
                wf_span,
                (1, MAX_WORKFLOW_ITERATIONS),
            )
            .unwrap_or(DEFAULT_WORKFLOW_MAX_ITERATIONS);
        Some(Workflow {
            name: raw.name.unwrap_or_else(|| name.to_string()),
            description: raw.description,
            start_node,
            nodes,
            index,
            max_iterations,
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

impl Builder<'_, '_> {
    /// Provider `name`; `Ok(None)` when a key of it is out of range (the problem is noted).
    fn provider(
        &mut self,
        name: &str,
        p: &RawProvider,
        line: Option<usize>,
    ) -> Result<Option<Provider>, String> {
        match p.kind.as_str() {
            "sim" => Ok(Some(Provider::Sim)),
            "openai" => {
                let base_url = p
                    .base_url
                    .clone()
                    .ok_or("an openai provider needs `base_url`")?;
                let model = p.model.clone().ok_or("an openai provider needs `model`")?;
                let whose = format!("provider `{name}`");
                let span = Span {
                    from: line,
                    until: None,
                };
                let mut ok = true;
                let mut timeout = |key: &str, v: Option<f64>| {
                    v.and_then(|_| {
                        let s = self.seconds(v, key, &whose, span, true);
                        ok &= s.is_some();
                        s.map(Seconds::as_secs_f64)
                    })
                };
                let request_timeout_s = timeout("request_timeout_s", p.request_timeout_s);
                let connect_timeout_s = timeout("connect_timeout_s", p.connect_timeout_s);
                let max_tokens = match p.max_tokens {
                    None => None,
                    v => {
                        let n = self.count(v, "max_tokens", &whose, span, (1, MAX_TOKENS));
                        ok &= n.is_some();
                        n
                    }
                };
                let max_retries = match p.max_retries {
                    None => None,
                    v => {
                        let n = self.count(v, "max_retries", &whose, span, (0, MAX_RETRIES));
                        ok &= n.is_some();
                        n
                    }
                };
                if let Some(t) = p.temperature
                    && !(0.0..=2.0).contains(&t)
                {
                    self.key_problem(
                        "temperature",
                        span,
                        format!(
                            "{whose}: `temperature` must be between 0 and 2, got {}",
                            crate::seconds::number(t)
                        ),
                    );
                    ok = false;
                }
                Ok(ok.then(|| {
                    Provider::OpenAi(OpenAiProvider {
                        base_url,
                        model,
                        api_key_env: p.api_key_env.clone(),
                        temperature: p.temperature,
                        max_tokens,
                        connect_timeout_s,
                        request_timeout_s,
                        max_retries,
                    })
                }))
            }
            other => Err(format!(
                "unknown provider kind `{other}`; valid: openai, sim"
            )),
        }
    }
}

fn tool(t: &RawTool, timeout_seconds: Option<Seconds>) -> ToolDef {
    ToolDef {
        command: t.command.clone(),
        description: t.description.clone(),
        parameters: t.parameters.clone(),
        timeout_seconds: timeout_seconds.map(Seconds::as_secs_f64),
    }
}

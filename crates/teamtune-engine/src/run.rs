//! The engine proper: prepares a workflow once (compiles expressions, checks templates), then
//! walks its graph any number of times, one [`WorkflowRunRecord`] per run.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::join_all;
use indexmap::IndexMap;
use serde_json::Value as Json;
use teamtune_model::{
    Formation, JoinStrategy, MemberRunner, NodeKind, TeamNode, TeamRunRecord, Variant, Workflow,
    WorkflowFile, WorkflowRunRecord,
};
use tokio::time::Instant;

use crate::error::EngineError;
use crate::event::{Event, EventSink};
use crate::expr::{self, Compiled, PreparedCondition};
use crate::hitl::{HitlPolicy, HitlResponder};
use crate::nodes::{compute, hitl, transform};
use crate::state::State;
use crate::team::TeamRun;

/// Options of one run.
#[derive(Clone, Default)]
pub struct RunOptions {
    pub seed: u64,
    pub inputs: IndexMap<String, Json>,
    pub hitl: HitlPolicy,
    pub responder: Option<Arc<dyn HitlResponder>>,
    pub events: Option<EventSink>,
    pub variant: Option<Variant>,
    /// The run is on a paused clock ([`virtual_runtime`](crate::virtual_runtime)): a human
    /// prompt then waits on the real clock, outside virtual time.
    pub virtual_time: bool,
}

/// The HTTP clients, built on first use (only OpenAI members need them), one per connect
/// timeout: reqwest sets that on the client, not on a request.
#[derive(Default)]
pub(crate) struct HttpClient(Mutex<Vec<(Duration, reqwest::Client)>>);

impl HttpClient {
    pub fn get(&self, connect_timeout: Duration) -> Result<reqwest::Client, String> {
        let mut clients = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, c)) = clients.iter().find(|(t, _)| *t == connect_timeout) {
            return Ok(c.clone());
        }
        let client = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .build()
            .map_err(|e| format!("cannot set up the HTTP client: {e}"))?;
        clients.push((connect_timeout, client.clone()));
        Ok(client)
    }
}

/// Maps the engine's (possibly virtual) clock to wall-clock timestamps.
pub(crate) struct Clock {
    wall: jiff::Timestamp,
    start: Instant,
}

impl Clock {
    fn new() -> Self {
        Clock {
            wall: jiff::Timestamp::now(),
            start: Instant::now(),
        }
    }

    pub fn timestamp(&self, at: Instant) -> String {
        let offset = at.saturating_duration_since(self.start);
        let span = jiff::SignedDuration::try_from(offset).unwrap_or(jiff::SignedDuration::ZERO);
        self.wall.checked_add(span).unwrap_or(self.wall).to_string()
    }
}

/// A node with what preparation made of it.
enum Prepared {
    Plain,
    Condition(PreparedCondition),
    Transform(Vec<(String, Compiled)>),
    /// An agent node runs as a one-member team.
    Agent(Box<TeamNode>),
}

pub struct Engine {
    workflow: Workflow,
    file: String,
    prepared: Vec<Prepared>,
    http: HttpClient,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("workflow", &self.workflow.name)
            .finish()
    }
}

pub(crate) struct RunCtx<'a> {
    pub seed: u64,
    pub hitl: HitlPolicy,
    pub responder: Option<&'a Arc<dyn HitlResponder>>,
    pub events: Option<&'a EventSink>,
    pub clock: Clock,
    pub virtual_time: bool,
    records: Mutex<Vec<TeamRunRecord>>,
}

/// Where the walk goes after a node.
enum Step {
    Next(Option<String>),
    Stop(String),
}

impl Engine {
    /// Prepares workflow `name` (or the file's only workflow).
    pub fn new(file: &WorkflowFile, name: Option<&str>) -> Result<Engine, EngineError> {
        let wf = file.workflow(name).map_err(EngineError::Workflow)?;
        Engine::from_workflow(wf.clone(), file.path.display().to_string())
    }

    pub fn from_workflow(workflow: Workflow, file: String) -> Result<Engine, EngineError> {
        let mut prepared = Vec::with_capacity(workflow.nodes.len());
        for node in &workflow.nodes {
            let err = |message: String| EngineError::Prepare {
                file: file.clone(),
                line: node.line.unwrap_or(1),
                node: node.id.clone(),
                message,
            };
            let p = match &node.kind {
                NodeKind::Condition(c) => {
                    Prepared::Condition(PreparedCondition::new(&c.condition).map_err(err)?)
                }
                NodeKind::Transform(t) => Prepared::Transform(
                    t.assignments
                        .iter()
                        .map(|(k, e)| Compiled::new(e).map(|c| (k.clone(), c)))
                        .collect::<Result<_, _>>()
                        .map_err(err)?,
                ),
                NodeKind::Agent(a) => {
                    expr::check_template(&a.member.goal).map_err(&err)?;
                    Prepared::Agent(Box::new(TeamNode {
                        id: node.id.clone(),
                        name: None,
                        goal: a.member.goal.clone(),
                        formation: Formation::Sequential,
                        members: vec![a.member.clone()],
                        timeout_seconds: None,
                        max_iterations: 1,
                        total_tool_budget: None,
                        output_key: a.output_key.clone(),
                        continue_on_error: false,
                        merge_strategy: None,
                        tuning: None,
                    }))
                }
                NodeKind::Team(t) => {
                    expr::check_template(&t.goal).map_err(&err)?;
                    for m in &t.members {
                        expr::check_template(&m.goal).map_err(&err)?;
                        check_tools(&workflow, m).map_err(&err)?;
                    }
                    Prepared::Plain
                }
                NodeKind::Hitl(h) => {
                    expr::check_template(&h.prompt).map_err(err)?;
                    Prepared::Plain
                }
                NodeKind::Compute(c) => {
                    for v in c.inputs.values() {
                        expr::check_template(v).map_err(&err)?;
                    }
                    Prepared::Plain
                }
                NodeKind::Parallel(_) => Prepared::Plain,
            };
            prepared.push(p);
        }
        Ok(Engine {
            workflow,
            file,
            prepared,
            http: HttpClient::default(),
        })
    }

    pub fn workflow(&self) -> &Workflow {
        &self.workflow
    }

    /// True when nothing in the workflow waits on the real world (every member is simulated,
    /// no command runs): such runs can use virtual time.
    pub fn is_simulated(&self) -> bool {
        self.workflow.nodes.iter().all(|n| match &n.kind {
            NodeKind::Team(t) => t.all_simulated(),
            NodeKind::Agent(a) => matches!(a.member.runner, MemberRunner::Sim(_)),
            NodeKind::Compute(c) => c.command.is_none(),
            _ => true,
        })
    }

    /// Members that run on the simulator only because they name no provider or command.
    pub fn implicitly_simulated(&self) -> Vec<String> {
        let mut out = Vec::new();
        for n in &self.workflow.nodes {
            match &n.kind {
                NodeKind::Team(t) => {
                    out.extend(
                        t.members
                            .iter()
                            .filter(|m| m.implicit_sim)
                            .map(|m| format!("{}/{}", t.id, m.id)),
                    );
                }
                NodeKind::Agent(a) if a.member.implicit_sim => out.push(n.id.clone()),
                _ => {}
            }
        }
        out
    }

    /// The state keys the workflow reads that none of its nodes writes: the inputs it
    /// expects (`--input`), sorted.
    pub fn inputs_read(&self) -> Vec<String> {
        crate::inputs::inputs_read(&self.workflow)
    }

    pub fn has_hitl(&self) -> bool {
        self.workflow
            .nodes
            .iter()
            .any(|n| matches!(n.kind, NodeKind::Hitl(_)))
    }

    /// One walk of the graph.
    pub async fn run(&self, opts: &RunOptions) -> WorkflowRunRecord {
        let ctx = RunCtx {
            seed: opts.seed,
            hitl: opts.hitl,
            responder: opts.responder.as_ref(),
            events: opts.events.as_ref(),
            clock: Clock::new(),
            virtual_time: opts.virtual_time,
            records: Mutex::new(Vec::new()),
        };
        let start = Instant::now();
        let mut state = State::new(opts.inputs.clone());
        let mut current = Some(self.workflow.start_node.clone());
        let mut steps = 0u32;
        let mut failure: Option<String> = None;
        while let Some(id) = current.take() {
            steps += 1;
            if steps > self.workflow.max_iterations {
                failure = Some(format!(
                    "stopped after {} node executions (workflow max_iterations); is there a cycle?",
                    self.workflow.max_iterations
                ));
                break;
            }
            let Some(&idx) = self.workflow.index.get(&id) else {
                failure = Some(format!("node `{id}` does not exist"));
                break;
            };
            match self.exec(idx, &mut state, &ctx, &mut failure).await {
                Step::Next(next) => current = next,
                Step::Stop(reason) => {
                    failure.get_or_insert(reason);
                    break;
                }
            }
        }
        let end = Instant::now();
        let run_id = new_run_id();
        let mut team_runs = ctx.records.into_inner().unwrap_or_else(|p| p.into_inner());
        for r in &mut team_runs {
            r.run_id = Some(run_id.clone());
            r.variant = opts.variant;
        }
        let outputs = state
            .iter()
            .filter(|(k, v)| opts.inputs.get(*k) != Some(*v))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        WorkflowRunRecord {
            run_id,
            workflow: self.workflow.name.clone(),
            file: self.file.clone(),
            seed: opts.seed,
            success: failure.is_none(),
            duration_seconds: (end - start).as_secs_f64(),
            start_time: ctx.clock.timestamp(start),
            end_time: ctx.clock.timestamp(end),
            error: failure,
            variant: opts.variant,
            virtual_time: opts.virtual_time,
            inputs: opts.inputs.clone(),
            outputs,
            team_runs,
        }
    }

    /// Executes node `idx`. A failure that does not stop the run (a team with
    /// `continue_on_error`, a parallel `merge`) is noted in `failure`.
    fn exec<'a>(
        &'a self,
        idx: usize,
        state: &'a mut State,
        ctx: &'a RunCtx<'a>,
        failure: &'a mut Option<String>,
    ) -> Pin<Box<dyn Future<Output = Step> + 'a>> {
        Box::pin(async move {
            let node = &self.workflow.nodes[idx];
            let started = ctx.events.map(|sink| {
                sink(&Event::NodeStarted {
                    node_id: node.id.clone(),
                    node_type: node.kind.type_name(),
                });
                Instant::now()
            });
            let step = match (&node.kind, &self.prepared[idx]) {
                (NodeKind::Transform(_), Prepared::Transform(assignments)) => {
                    match transform::run(assignments, state) {
                        Ok(()) => Step::Next(node.next.clone()),
                        Err(e) => Step::Stop(format!("transform `{}`: {e}", node.id)),
                    }
                }
                (NodeKind::Condition(c), Prepared::Condition(pc)) => {
                    let keys: Vec<&str> = c.branches.keys().map(String::as_str).collect();
                    match pc.branch_key(state, &keys) {
                        Err(e) => Step::Stop(format!("condition `{}`: {e}", node.id)),
                        Ok(key) => match c
                            .branches
                            .get(&key)
                            .or(c.branches.get("default"))
                            .or(c.default.as_ref())
                        {
                            Some(target) => Step::Next(Some(target.clone())),
                            None => Step::Stop(format!(
                                "condition `{}` gave `{key}` and no branch matches (branches: {})",
                                node.id,
                                keys.join(", ")
                            )),
                        },
                    }
                }
                (NodeKind::Team(team), _) => {
                    let ok = self.run_team(team, state, ctx, false).await;
                    if !ok.0 {
                        let reason =
                            format!("team `{}` failed: {}", team.id, ok.1.unwrap_or_default());
                        if team.continue_on_error {
                            failure.get_or_insert(reason);
                            // The walk goes on, but the node failed: say so.
                            return finish_as(
                                ctx,
                                node,
                                started,
                                false,
                                Step::Next(node.next.clone()),
                            );
                        }
                        return finish(ctx, node, started, Step::Stop(reason));
                    }
                    Step::Next(node.next.clone())
                }
                (NodeKind::Agent(_), Prepared::Agent(team)) => {
                    let (ok, err) = self.run_team(team, state, ctx, true).await;
                    if ok {
                        Step::Next(node.next.clone())
                    } else {
                        Step::Stop(format!(
                            "agent `{}` failed: {}",
                            node.id,
                            err.unwrap_or_default()
                        ))
                    }
                }
                (NodeKind::Compute(c), _) => match compute::run(&node.id, c, state).await {
                    Ok(v) => {
                        state.set(c.output_key.clone(), v);
                        Step::Next(node.next.clone())
                    }
                    Err(e) => Step::Stop(format!("compute `{}`: {e}", node.id)),
                },
                (NodeKind::Hitl(h), _) => {
                    let next_is_condition = node
                        .next
                        .as_deref()
                        .and_then(|n| self.workflow.node(n))
                        .is_some_and(|n| matches!(n.kind, NodeKind::Condition(_)));
                    match hitl::run(&node.id, h, next_is_condition, state, ctx).await {
                        hitl::GateResult::Continue => Step::Next(node.next.clone()),
                        hitl::GateResult::Stop(r) => Step::Stop(r),
                    }
                }
                (NodeKind::Parallel(p), _) => {
                    self.run_parallel(&node.id, p, state, ctx, failure, node.next.clone())
                        .await
                }
                _ => Step::Stop(format!("node `{}` was not prepared", node.id)),
            };
            finish(ctx, node, started, step)
        })
    }

    /// Runs a team node (recorded) or an agent node (a one-member team whose output is its
    /// member's output, not recorded as a team run).
    async fn run_team(
        &self,
        team: &TeamNode,
        state: &mut State,
        ctx: &RunCtx<'_>,
        agent: bool,
    ) -> (bool, Option<String>) {
        let result = TeamRun::new(
            &self.workflow,
            team,
            state,
            ctx.seed,
            &self.http,
            ctx.events,
        )
        .run(&ctx.clock)
        .await;
        let ok = (result.record.success, result.record.error.clone());
        let output = match result.output {
            Json::Object(mut o) if agent && o.len() == 1 => {
                o.remove(&team.members[0].id).unwrap_or(Json::Null)
            }
            other => other,
        };
        state.set(team.output_key.clone(), team_output(&result.record, output));
        if !agent {
            ctx.records
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(result.record);
        }
        ok
    }

    async fn run_parallel(
        &self,
        id: &str,
        p: &teamtune_model::ParallelNode,
        state: &mut State,
        ctx: &RunCtx<'_>,
        failure: &mut Option<String>,
        next: Option<String>,
    ) -> Step {
        let base = state.clone();
        let branches = p.branches.iter().map(|b| {
            let mut branch_state = base.clone();
            let idx = self.workflow.index.get(b).copied();
            async move {
                let mut branch_failure = None;
                let step = match idx {
                    Some(i) => {
                        self.exec(i, &mut branch_state, ctx, &mut branch_failure)
                            .await
                    }
                    None => Step::Stop(format!("parallel node `{b}` does not exist")),
                };
                let error = match step {
                    Step::Stop(r) => Some(r),
                    Step::Next(_) => branch_failure,
                };
                (b.clone(), branch_state, error)
            }
        });
        let results = join_all(branches).await;
        let mut errors = serde_json::Map::new();
        let mut succeeded = 0;
        for (branch, branch_state, error) in results {
            match error {
                None => {
                    succeeded += 1;
                    for (k, v) in branch_state.iter() {
                        if base.get(k) != Some(v) {
                            state.set(k.clone(), v.clone());
                        }
                    }
                }
                Some(e) => {
                    errors.insert(branch, Json::String(e));
                }
            }
        }
        let total = p.branches.len();
        state.set(
            id.to_string(),
            serde_json::json!({"succeeded": succeeded, "failed": total - succeeded, "errors": errors}),
        );
        let describe = || {
            errors
                .iter()
                .map(|(b, e)| format!("{b}: {}", e.as_str().unwrap_or("")))
                .collect::<Vec<_>>()
                .join("; ")
        };
        match p.join {
            JoinStrategy::All if succeeded < total => {
                Step::Stop(format!("parallel `{id}`: {}", describe()))
            }
            JoinStrategy::Any if succeeded == 0 => Step::Stop(format!(
                "parallel `{id}`: every branch failed: {}",
                describe()
            )),
            JoinStrategy::Merge if succeeded < total => {
                failure.get_or_insert(format!("parallel `{id}`: {}", describe()));
                Step::Next(next)
            }
            _ => Step::Next(next),
        }
    }
}

/// Reports the node's end: it succeeded unless it stops the run.
fn finish(
    ctx: &RunCtx<'_>,
    node: &teamtune_model::Node,
    started: Option<Instant>,
    step: Step,
) -> Step {
    let success = !matches!(step, Step::Stop(_));
    finish_as(ctx, node, started, success, step)
}

fn finish_as(
    ctx: &RunCtx<'_>,
    node: &teamtune_model::Node,
    started: Option<Instant>,
    success: bool,
    step: Step,
) -> Step {
    if let (Some(sink), Some(t0)) = (ctx.events, started) {
        sink(&Event::NodeFinished {
            node_id: node.id.clone(),
            success,
            duration_seconds: t0.elapsed().as_secs_f64(),
        });
    }
    step
}

/// What a team node stores in the state: its output, or its error.
fn team_output(record: &TeamRunRecord, output: Json) -> Json {
    if record.success {
        output
    } else {
        serde_json::json!({"error": record.error, "success": false})
    }
}

fn check_tools(workflow: &Workflow, m: &teamtune_model::MemberSpec) -> Result<(), String> {
    if let MemberRunner::OpenAi { .. } = m.runner {
        for t in &m.tools {
            if !workflow.tools.contains_key(t) {
                return Err(format!(
                    "member `{}` lists tool `{t}`, which is not defined in `tools:`",
                    m.id
                ));
            }
        }
    }
    Ok(())
}

/// A run id unique across processes: wall-clock nanoseconds, process id and a counter.
pub fn new_run_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    format!("{nanos:x}-{:x}-{n:x}", std::process::id())
}

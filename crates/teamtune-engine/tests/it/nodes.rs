//! Node types: parallel joins, HITL gate types with a scripted responder, timeouts and
//! fallbacks, conditions, transforms, compute.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use teamtune_engine::{Engine, HitlAnswer, HitlPolicy, HitlRequest, HitlResponder, RunOptions};
use teamtune_model::{WorkflowRunRecord, load_str};

fn run_with(yaml: &str, opts: RunOptions) -> WorkflowRunRecord {
    let file = load_str(std::path::Path::new("t.yaml"), yaml).unwrap();
    let engine = Engine::new(&file, None).unwrap();
    let rt = if engine.is_simulated() {
        teamtune_engine::virtual_runtime()
    } else {
        teamtune_engine::real_runtime()
    };
    let opts = RunOptions {
        virtual_time: engine.is_simulated(),
        ..opts
    };
    rt.unwrap().block_on(engine.run(&opts))
}

/// The state at the end, read through a final transform that copies what we look at.
fn parallel_yaml(join: &str) -> String {
    format!(
        r#"workflows:
  w:
    nodes:
      - id: fan
        type: parallel
        parallel_nodes: [ok_team, bad_team]
        join_strategy: {join}
        next: [after]
      - id: ok_team
        type: team
        output_key: ok_out
        sim: {{work_calls: 0, think_s: 5, failure_rate: 0}}
        members: [{{id: a}}]
      - id: bad_team
        type: team
        output_key: bad_out
        continue_on_error: false
        sim: {{work_calls: 0, think_s: 8, failure_rate: 1.0}}
        members: [{{id: b}}]
      - id: after
        type: transform
        transform: {{reached: true}}
"#
    )
}

#[test]
fn parallel_join_strategies() {
    let all = run_with(&parallel_yaml("all"), RunOptions::default());
    assert!(!all.success);
    assert!(
        all.error.as_deref().unwrap().contains("parallel `fan`"),
        "{:?}",
        all.error
    );
    assert_eq!(
        all.team_runs.len(),
        2,
        "both branches ran and were recorded"
    );
    assert!(
        (all.duration_seconds - 8.0).abs() < 1e-6,
        "branches ran concurrently: {}",
        all.duration_seconds
    );

    let any = run_with(&parallel_yaml("any"), RunOptions::default());
    assert!(any.success, "one branch succeeded: {:?}", any.error);

    let merge = run_with(&parallel_yaml("merge"), RunOptions::default());
    assert!(!merge.success, "the failed branch is reported");
    assert_eq!(merge.team_runs.len(), 2);
}

struct Scripted(HitlAnswer, Duration);

impl HitlResponder for Scripted {
    fn ask(&self, _request: &HitlRequest) -> Option<HitlAnswer> {
        std::thread::sleep(self.1);
        Some(self.0.clone())
    }
}

fn gate(hitl_type: &str, fallback: &str, extra: &str) -> String {
    format!(
        r#"workflows:
  w:
    nodes:
      - id: gate
        type: hitl
        hitl_type: {hitl_type}
        prompt: "Proceed with {{{{ topic }}}}?"
        timeout: 0.3
        fallback: {fallback}
        output: answer
        {extra}
        next: [show]
      - id: show
        type: condition
        condition: "{{{{ answer is defined }}}}"
        branches:
          "true": answered
          "false": unanswered
      - id: answered
        type: transform
        transform: |
          result = answer
        next: []
      - id: unanswered
        type: transform
        transform: {{result: "none"}}
"#
    )
}

fn prompt(answer: HitlAnswer, delay_ms: u64) -> RunOptions {
    let mut o = RunOptions {
        hitl: HitlPolicy::Prompt,
        responder: Some(Arc::new(Scripted(answer, Duration::from_millis(delay_ms)))),
        ..RunOptions::default()
    };
    o.inputs.insert("topic".into(), json!("x"));
    o
}

#[test]
fn the_five_gate_types_store_their_answers() {
    // A gate followed by a condition may be rejected without stopping the run.
    let r = run_with(
        &gate("approval", "abort", ""),
        prompt(HitlAnswer::Reject { comment: None }, 0),
    );
    assert!(r.success, "{:?}", r.error);
    let r = run_with(
        &gate("confirmation", "abort", ""),
        prompt(HitlAnswer::Approve { comment: None }, 0),
    );
    assert!(r.success);
    let r = run_with(
        &gate("review", "abort", ""),
        prompt(
            HitlAnswer::Approve {
                comment: Some("fine".into()),
            },
            0,
        ),
    );
    assert!(r.success);
    let r = run_with(
        &gate("choice", "abort", "choices: [red, blue]"),
        prompt(HitlAnswer::Value("blue".into()), 0),
    );
    assert!(r.success);
    let r = run_with(
        &gate("input", "abort", ""),
        prompt(HitlAnswer::Value("typed".into()), 0),
    );
    assert!(r.success);
}

#[test]
fn no_answer_in_time_applies_the_fallback() {
    let late = || prompt(HitlAnswer::Approve { comment: None }, 1500);
    let abort = run_with(&gate("approval", "abort", ""), late());
    assert!(!abort.success);
    assert!(
        abort
            .error
            .as_deref()
            .unwrap()
            .contains("no answer at HITL gate `gate`")
    );
    let skip = run_with(&gate("approval", "skip", ""), late());
    assert!(
        skip.success,
        "skip goes on without an answer: {:?}",
        skip.error
    );
    let cont = run_with(
        &gate("approval", "continue", "default_value: approved"),
        late(),
    );
    assert!(cont.success);
    // No responder at all (no terminal): the fallback applies at once.
    let mut none = RunOptions {
        hitl: HitlPolicy::Prompt,
        ..RunOptions::default()
    };
    none.inputs.insert("topic".into(), json!("x"));
    let r = run_with(&gate("approval", "abort", ""), none);
    assert!(!r.success);
}

#[test]
fn compute_nodes_run_commands_or_gather_inputs() {
    let r = run_with(
        r#"workflows:
  w:
    nodes:
      - id: gather
        type: compute
        inputs:
          queries: $ctx.topic
          top_k: 20
        output: gathered
        next: [count]
      - id: count
        type: compute
        command: ["sh", "-c", "cat | grep -o '\"top_k\":20' | wc -l"]
        output: counted
        next: [check]
      - id: check
        type: condition
        condition: "counted == 1"
        branches:
          "true": done
          "false": broken
      - id: broken
        type: compute
        command: ["false"]
        next: []
      - id: done
        type: transform
        transform: {ok: true}
"#,
        {
            let mut o = RunOptions::default();
            o.inputs.insert("topic".into(), json!("rust"));
            o
        },
    );
    assert!(r.success, "{:?}", r.error);
}

#[test]
fn cycles_are_capped_by_max_iterations() {
    let r = run_with(
        r#"workflows:
  w:
    max_iterations: 10
    nodes:
      - id: inc
        type: transform
        transform: |
          n = (n or 0) + 1
        next: [loop]
      - id: loop
        type: condition
        condition: "n < 100"
        branches:
          "true": inc
          "false": end
      - id: end
        type: transform
        transform: {done: true}
"#,
        RunOptions::default(),
    );
    assert!(!r.success);
    assert!(r.error.unwrap().contains("max_iterations"));
}

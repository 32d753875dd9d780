//! Failure semantics of the formations.

use teamtune_engine::{Engine, RunOptions};
use teamtune_model::{TeamRunRecord, load_str};

fn team(formation: &str, members: &str, extra: &str) -> TeamRunRecord {
    let yaml = format!(
        "workflows:\n  w:\n    nodes:\n      - id: t\n        type: team\n        team_formation: {formation}\n        {extra}\n        sim: {{work_calls: 0, think_s: 10, coordination_s: 0, failure_rate: 0}}\n        members: {members}\n"
    );
    let file = load_str(std::path::Path::new("f.yaml"), &yaml).unwrap();
    let engine = Engine::new(&file, None).unwrap();
    let rt = teamtune_engine::virtual_runtime().unwrap();
    let r = rt.block_on(engine.run(&RunOptions {
        seed: 3,
        virtual_time: true,
        ..RunOptions::default()
    }));
    r.team_runs.into_iter().next().unwrap()
}

const FAILING_SECOND: &str = "[{id: a}, {id: b, sim: {failure_rate: 1.0}}, {id: c}]";

#[test]
fn sequential_continues_after_a_failure_and_fails() {
    let t = team("sequential", FAILING_SECOND, "");
    assert!(!t.success);
    assert_eq!(t.member_metrics.len(), 3, "c still ran");
    assert!((t.duration_seconds - 30.0).abs() < 1e-6);
}

#[test]
fn pipeline_stops_at_the_first_failure() {
    let t = team("pipeline", FAILING_SECOND, "");
    assert!(!t.success);
    assert_eq!(t.member_metrics.len(), 2, "c never ran");
    assert!((t.duration_seconds - 20.0).abs() < 1e-6);
    assert!(t.error.unwrap().contains("member b"));
}

#[test]
fn parallel_lets_the_others_finish() {
    let t = team("parallel", FAILING_SECOND, "");
    assert!(!t.success);
    assert!(t.member_metrics["a"].success && t.member_metrics["c"].success);
}

#[test]
fn hierarchical_uses_the_flagged_manager_and_fails_with_a_worker() {
    let t = team(
        "hierarchical",
        "[{id: w1}, {id: boss, is_manager: true}, {id: w2}]",
        "",
    );
    assert!(t.success);
    assert!(
        (t.member_metrics["boss"].duration_seconds - 20.0).abs() < 1e-6,
        "plan + synthesis"
    );
    let t = team(
        "hierarchical",
        "[{id: boss}, {id: w1, sim: {failure_rate: 1.0}}, {id: w2}]",
        "",
    );
    assert!(!t.success);
    assert!(
        (t.duration_seconds - 20.0).abs() < 1e-6,
        "no synthesis after a failed worker"
    );
}

#[test]
fn consensus_retries_failed_members_up_to_max_iterations() {
    let t = team(
        "consensus",
        "[{id: a}, {id: b, sim: {failure_rate: 1.0}}]",
        "max_iterations: 4",
    );
    assert!(!t.success);
    assert_eq!(
        (t.consensus_achieved, t.consensus_rounds),
        (Some(false), Some(4))
    );
    assert!(
        (t.duration_seconds - 40.0).abs() < 1e-6,
        "four rounds of 10 s"
    );
    assert!(
        (t.member_metrics["a"].duration_seconds - 10.0).abs() < 1e-6,
        "a answered in round 1 and waited"
    );
    let t = team(
        "consensus",
        "[{id: a}, {id: b, sim: {failure_rate: 0.5}}]",
        "max_iterations: 10",
    );
    assert_eq!(t.consensus_achieved, Some(true));
    assert!(t.consensus_rounds.unwrap() >= 1);
}

#[test]
fn every_turn_is_recorded_with_its_telemetry_and_typed_cause() {
    use teamtune_model::{StopCause, TurnKind};
    let t = team(
        "hierarchical",
        "[{id: lead, is_manager: true}, {id: w1, sim: {work_calls: 6, call_latency_s: 2}}, {id: w2, tool_budget: 1, sim: {work_calls: 40}}]",
        "",
    );
    assert!(!t.success);
    assert_eq!(t.stop_cause, Some(StopCause::BudgetExhausted));
    let lead = &t.member_metrics["lead"];
    assert_eq!(
        lead.turns.iter().map(|r| r.kind).collect::<Vec<_>>(),
        [TurnKind::Plan],
        "the manager plans; no synthesis after a failed worker"
    );
    let w1 = &t.member_metrics["w1"];
    assert_eq!(w1.stop_cause, Some(StopCause::Done));
    let turn = &w1.turns[0];
    assert_eq!(turn.tool_call_seconds.len() as u64, turn.tool_calls);
    assert!(
        turn.tool_call_seconds
            .iter()
            .all(|s| (s - 2.0).abs() < 1e-9)
    );
    assert!((turn.think_seconds + 2.0 * turn.tool_calls as f64 - turn.seconds).abs() < 1e-6);
    let w2 = &t.member_metrics["w2"];
    assert_eq!(w2.stop_cause, Some(StopCause::BudgetExhausted));
    assert_eq!(w2.turns[0].stop_cause, StopCause::BudgetExhausted);
    assert_eq!(w2.error_message.as_deref(), Some("tool budget exhausted"));
}

#[test]
fn a_turn_cut_off_by_the_team_timeout_is_recorded_as_a_timeout() {
    use teamtune_model::StopCause;
    let t = team(
        "parallel",
        "[{id: a}, {id: b, sim: {hang_rate: 1.0}}]",
        "timeout_seconds: 25",
    );
    assert_eq!(t.stop_cause, Some(StopCause::Timeout));
    let b = &t.member_metrics["b"];
    assert_eq!(b.stop_cause, Some(StopCause::Timeout));
    assert!((b.turns[0].seconds - 25.0).abs() < 1e-6);
    assert_eq!(t.member_metrics["a"].stop_cause, Some(StopCause::Done));
}

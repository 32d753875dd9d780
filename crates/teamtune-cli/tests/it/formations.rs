//! Three fixed 10-second turns take 30 s of virtual time in
//! sequential, pipeline and hierarchical formations, 10 s in parallel and consensus.

use crate::{json_lines, teamtune, write};

fn team(formation: &str) -> String {
    format!(
        r#"workflows:
  timing:
    nodes:
      - id: crew
        type: team
        team_formation: {formation}
        sim: {{work_calls: 0, think_s: 10, coordination_s: 0, failure_rate: 0}}
        members:
          - {{id: a, role: worker}}
          - {{id: b, role: worker}}
          - {{id: c, role: worker}}
"#
    )
}

#[test]
fn fixed_turns_take_the_documented_virtual_time() {
    let dir = tempfile::tempdir().unwrap();
    for (formation, expected) in [
        ("sequential", 30.0),
        ("pipeline", 30.0),
        ("hierarchical", 30.0),
        ("parallel", 10.0),
        ("consensus", 10.0),
    ] {
        let f = write(dir.path(), &format!("{formation}.yaml"), &team(formation));
        let out = teamtune(
            dir.path(),
            &["run", f.to_str().unwrap(), "--json", "--no-store"],
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{formation}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let runs = json_lines(&out);
        let t = &runs[0]["team_runs"][0];
        let d = t["duration_seconds"].as_f64().unwrap();
        assert!(
            (d - expected).abs() < 1e-6,
            "{formation}: {d} s, expected {expected} s"
        );
        assert_eq!(t["member_count"], 3);
        assert_eq!(runs[0]["virtual_time"], true);
        if formation == "hierarchical" {
            // The manager plans and synthesises: two turns.
            assert!(
                (t["member_metrics"]["a"]["duration_seconds"]
                    .as_f64()
                    .unwrap()
                    - 20.0)
                    .abs()
                    < 1e-6
            );
        }
        if formation == "consensus" {
            assert_eq!(t["consensus_achieved"], true);
            assert_eq!(t["consensus_rounds"], 1);
        }
    }
}

#[test]
fn budgets_and_timeouts_are_enforced() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "budget.yaml",
        r#"workflows:
  w:
    nodes:
      - id: crew
        type: team
        team_formation: parallel
        total_tool_budget: 15
        sim: {work_calls: 30, think_s: 1, coordination_s: 0, failure_rate: 0}
        members:
          - {id: a, tool_budget: 100}
          - {id: b, tool_budget: 100}
          - {id: c, tool_budget: 2}
"#,
    );
    let out = teamtune(
        dir.path(),
        &[
            "run",
            f.to_str().unwrap(),
            "--json",
            "--no-store",
            "--runs",
            "20",
        ],
    );
    for run in json_lines(&out) {
        let t = &run["team_runs"][0];
        assert!(
            t["total_tool_calls"].as_u64().unwrap() <= 15,
            "team budget is a hard cap: {t}"
        );
        assert!(
            t["member_metrics"]["c"]["tool_calls_used"]
                .as_u64()
                .unwrap()
                <= 2
        );
        assert_eq!(
            t["success"], false,
            "member c needs ~10 calls with a budget of 2"
        );
        assert_eq!(t["error"], "tool budget exhausted");
    }
    let hang = write(
        dir.path(),
        "hang.yaml",
        r#"workflows:
  w:
    nodes:
      - id: crew
        type: team
        team_formation: parallel
        timeout_seconds: 45
        sim: {work_calls: 0, think_s: 5, coordination_s: 0, failure_rate: 0, hang_rate: 1.0}
        members:
          - {id: a}
          - {id: b, timeout_seconds: 20}
"#,
    );
    let out = teamtune(
        dir.path(),
        &["run", hang.to_str().unwrap(), "--json", "--no-store"],
    );
    assert_eq!(out.status.code(), Some(1));
    let run = &json_lines(&out)[0];
    let t = &run["team_runs"][0];
    assert_eq!(t["error"], "timeout");
    assert!(
        (t["duration_seconds"].as_f64().unwrap() - 45.0).abs() < 1e-6,
        "{t}"
    );
    assert_eq!(t["member_metrics"]["b"]["error_message"], "timeout");
    assert!(
        (t["member_metrics"]["b"]["duration_seconds"]
            .as_f64()
            .unwrap()
            - 20.0)
            .abs()
            < 1e-6
    );
    assert!(
        (t["member_metrics"]["a"]["duration_seconds"]
            .as_f64()
            .unwrap()
            - 45.0)
            .abs()
            < 1e-6
    );
}

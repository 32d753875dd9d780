//! One small scenario end to end: the JSON shape and the never-worse invariants.

use serde_json::Value;

use crate::{bench, repo_root, stderr};

/// A sequential team of independent members: tuning finds and keeps a change.
#[test]
fn tuning_json_has_the_documented_shape_and_holds_the_invariants() {
    let scenario = repo_root().join("bench/scenarios/sequential-independent.yaml");
    let out = bench(&[
        "tuning",
        "--json",
        "--seed",
        "3",
        "--runs-per-point",
        "3",
        "--eval-runs",
        "200",
        "--max-members",
        "2",
        "--budget-grid",
        "20",
        "--timeout-grid",
        "600",
        scenario.to_str().expect("utf-8 path"),
    ]);
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        stderr(&out)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON alone");
    let scenarios = v["scenarios"].as_array().expect("scenarios array");
    assert_eq!(scenarios.len(), 1);
    let s = &scenarios[0];
    for key in [
        "scenario",
        "team_id",
        "baseline_objective",
        "tuned_objective",
        "oracle_objective",
        "baseline_config",
        "tuned_config",
        "oracle_config",
        "captured_percent",
        "trial_runs",
        "oracle_runs",
        "wall_seconds",
    ] {
        assert!(
            s.get(key).is_some_and(|x| !x.is_null()),
            "missing {key} in {s}"
        );
    }
    assert_eq!(s["team_id"], "audit_team");
    for cfg in ["baseline_config", "tuned_config", "oracle_config"] {
        assert!(
            s[cfg]["team_formation"].is_string() && s[cfg]["members"].is_array(),
            "{cfg}: {}",
            s[cfg]
        );
    }
    assert_eq!(s["baseline_config"]["team_formation"], "sequential");

    let num = |k: &str| s[k].as_f64().expect(k);
    let noise = num("noise_seconds");
    let (b, t, o) = (
        num("baseline_objective"),
        num("tuned_objective"),
        num("oracle_objective"),
    );
    assert!(
        s["tuned_not_worse"].as_bool().expect("bool") && t <= b + noise,
        "tuned {t} worse than baseline {b}"
    );
    assert!(
        s["oracle_not_worse"].as_bool().expect("bool"),
        "oracle {o} worse than tuned {t}"
    );
    // 20 history runs plus both sides of each sequential A/B test, within the trial budget
    let trial = s["trial_runs"].as_u64().expect("trial_runs");
    assert!(
        trial >= 20 && (trial - 20).is_multiple_of(2) && trial <= 300,
        "trial runs {trial}"
    );
    // four auditors with goals of their own: one size x five formations, 3 runs each, plus
    // 5 x 200 to confirm
    assert!(s["oracle_runs"].as_u64().expect("oracle_runs") >= 5 * 3 + 1000);
    assert_eq!(
        s["oracle_grid"]["sizes"],
        serde_json::json!([4]),
        "members with their own goals stay"
    );

    let summary = &v["summary"];
    assert_eq!(
        summary["captured_median"].as_f64(),
        s["captured_percent"].as_f64()
    );
    assert_eq!(summary["all_tuned_not_worse"], true);
    assert_eq!(summary["all_oracle_not_worse"], true);
}

//! The strict loader: unknown keys, Victor-only keys, durations and counts checked at load,
//! nesting and loop limits, short error values, tabs, duplicate members, and typed inputs.
//! Whatever `validate` accepts, `run` runs.

use std::time::Instant;

use crate::{json_lines, repo_root, stderr, stdout, teamtune, write};

/// A one-team workflow with `team` (keys of the team node, 8 spaces in) spliced in.
fn team_file(team: &str) -> String {
    format!("workflows:\n  w:\n    nodes:\n      - id: t\n        type: team\n{team}")
}

fn validate(text: &str) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "f.yaml", text);
    let out = teamtune(dir.path(), &["validate", f.to_str().unwrap()]);
    (out.status.code(), stderr(&out))
}

#[test]
fn typos_in_keys_are_errors_with_a_location_and_a_suggestion() {
    for (team, at, wanted) in [
        (
            "        team_fromation: consensus\n        members: [{id: a}]\n",
            "f.yaml:6:9:",
            "unknown key `team_fromation`; did you mean `team_formation`?",
        ),
        (
            "        members:\n          - id: a\n            tool_bugdet: 12\n",
            "f.yaml:8:13:",
            "unknown key `tool_bugdet`; did you mean `tool_budget`?",
        ),
        (
            "        timeout_secs: 400\n        members: [{id: a}]\n",
            "f.yaml:6:9:",
            "did you mean `timeout_seconds`?",
        ),
        (
            "        sim: {work_calls: 3, hang_rat: 0.1}\n        members: [{id: a}]\n",
            "f.yaml:6:",
            "did you mean `hang_rate`?",
        ),
        (
            "        tuning: {fixd: [members]}\n        members: [{id: a}]\n",
            "f.yaml:6:",
            "did you mean `fixed`?",
        ),
    ] {
        let (code, err) = validate(&team_file(team));
        assert_eq!(code, Some(2), "{err}");
        assert!(err.contains(at) && err.contains(wanted), "{team}: {err}");
    }
    // Workflow, provider and root levels too.
    let (code, err) = validate(
        "providers:\n  p: {kind: openai, base_url: \"http://127.0.0.1:1/v1\", modle: m}\nworkflows:\n  w:\n    nodes:\n      - id: a\n",
    );
    assert_eq!(code, Some(2));
    assert!(
        err.contains("f.yaml:2:") && err.contains("did you mean `model`?"),
        "{err}"
    );
    let (code, err) = validate("workflows:\n  w:\n    strat_node: a\n    nodes:\n      - id: a\n");
    assert_eq!(code, Some(2));
    assert!(
        err.contains("f.yaml:3:5:") && err.contains("did you mean `start_node`?"),
        "{err}"
    );
    let (code, err) =
        validate("default_provder: sim\nworkflows:\n  w:\n    nodes:\n      - id: a\n");
    assert_eq!(code, Some(2));
    assert!(
        err.contains("f.yaml:1:") && err.contains("did you mean `default_provider`?"),
        "{err}"
    );
}

#[test]
fn victor_only_keys_load_with_a_warning_from_validate_and_run() {
    let text = "workflows:\n  w:\n    batch_config: {batch_size: 10}\n    nodes:\n      - id: a\n        llm_config: {temperature: 0.3}\n        sim: {work_calls: 0, think_s: 1, failure_rate: 0}\n      - id: t\n        type: team\n        members:\n          - id: m\n            personality: careful\n";
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "v.yaml", text);
    for args in [
        vec!["validate", f.to_str().unwrap()],
        vec!["run", f.to_str().unwrap(), "--no-store"],
    ] {
        let out = teamtune(dir.path(), &args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(0), "{err}");
        for (at, key) in [
            ("v.yaml:3:5:", "`batch_config`"),
            ("v.yaml:6:9:", "`llm_config`"),
            ("v.yaml:12:13:", "`personality`"),
        ] {
            assert!(
                err.lines()
                    .any(|l| l.contains("warning") && l.contains(at) && l.contains(key)),
                "{key} in {err}"
            );
        }
    }
}

#[test]
fn every_bundled_example_and_bench_file_still_loads() {
    let root = repo_root();
    let mut files = Vec::new();
    for dir in [
        "examples",
        "bench/scenarios",
        "bench/generated/dev",
        "bench/generated/heldout",
        "bench/command-team",
    ] {
        for e in std::fs::read_dir(root.join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "yaml") {
                files.push(p);
            }
        }
    }
    assert!(files.len() > 60, "{}", files.len());
    for f in files {
        let out = teamtune(&root, &["validate", f.to_str().unwrap()]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(0), "{}: {err}", f.display());
        assert!(
            !err.contains("warning: ") || err.contains("reads `"),
            "{}: {err}",
            f.display()
        );
    }
}

#[test]
fn durations_and_counts_that_run_could_not_honour_are_load_errors() {
    for (team, at, key) in [
        (
            "        timeout_seconds: 1e300\n        members: [{id: a}]\n",
            "f.yaml:6:9:",
            "`timeout_seconds` must be at most 2592000 seconds",
        ),
        (
            "        members:\n          - id: a\n            timeout_seconds: 1e300\n",
            "f.yaml:8:13:",
            "member `a`: `timeout_seconds` must be at most",
        ),
        (
            "        members:\n          - id: a\n            timeout_seconds: .nan\n",
            "f.yaml:8:13:",
            "NaN",
        ),
        (
            "        sim: {call_latency_s: 1e300}\n        members: [{id: a}]\n",
            "f.yaml:6:15:",
            "sim.call_latency_s must be at most",
        ),
        (
            "        sim: {think_s: 1e300}\n        members: [{id: a}]\n",
            "f.yaml:6:15:",
            "sim.think_s must be at most",
        ),
        (
            "        sim: {think_s: {median: 1, p95: 1e300}}\n        members: [{id: a}]\n",
            "f.yaml:6:15:",
            "sim.think_s needs",
        ),
        (
            "        sim: {work_calls: 1e308}\n        members: [{id: a}]\n",
            "f.yaml:6:15:",
            "sim.work_calls must be a whole number between 0 and 1000000, got 1e308",
        ),
        (
            "        sim: {work_calls: 2.5}\n        members: [{id: a}]\n",
            "f.yaml:6:15:",
            "sim.work_calls must be a whole number",
        ),
        (
            "        max_iterations: 5000\n        members: [{id: a}]\n",
            "f.yaml:6:9:",
            "`max_iterations` must be between 1 and 1000",
        ),
        (
            "        members:\n          - id: a\n            tool_budget: 4000000000\n",
            "f.yaml:8:13:",
            "`tool_budget` must be between 0 and 1000000",
        ),
    ] {
        let (code, err) = validate(&team_file(team));
        assert_eq!(code, Some(2), "{team}: {err}");
        assert!(err.contains(at) && err.contains(key), "{team}: {err}");
        assert!(err.len() < 400, "{err}");
    }
    for bad in ["-1", ".nan", "1e300", "0"] {
        let text = format!(
            "providers:\n  llm:\n    kind: openai\n    base_url: \"http://127.0.0.1:9/v1\"\n    model: m\n    request_timeout_s: {bad}\nworkflows:\n  w:\n    nodes:\n      - id: a\n        provider: llm\n"
        );
        let (code, err) = validate(&text);
        assert_eq!(code, Some(2), "{bad}: {err}");
        assert!(
            err.contains("f.yaml:6:5: provider `llm`: `request_timeout_s` must be"),
            "{bad}: {err}"
        );
    }
    let (code, err) =
        validate("workflows:\n  w:\n    max_iterations: 1000000\n    nodes:\n      - id: a\n");
    assert_eq!(code, Some(2));
    assert!(
        err.contains("f.yaml:3:5:") && err.contains("between 1 and 10000"),
        "{err}"
    );
}

#[test]
fn the_longest_accepted_durations_run_to_completion() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "max.yaml",
        &team_file(
            "        timeout_seconds: 2592000\n        sim: {work_calls: 1000000, call_latency_s: 2592000, think_s: {median: 2592000, p95: 2592000}, failure_rate: 0}\n        members: [{id: a, timeout_seconds: 2592000, tool_budget: 3}]\n",
        ),
    );
    let out = teamtune(
        dir.path(),
        &["run", f.to_str().unwrap(), "--no-store", "--json"],
    );
    // The run ends (the member spends its budget of month-long calls), recorded, no panic.
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let runs = json_lines(&out);
    let team = &runs[0]["team_runs"][0];
    assert_eq!(team["stop_cause"], "budget_exhausted", "{}", stdout(&out));
    assert_eq!(team["duration_seconds"], 2592000.0, "{}", stdout(&out));
}

#[test]
fn deep_nesting_is_refused_fast_in_workflow_and_inputs_files() {
    let dir = tempfile::tempdir().unwrap();
    let deep = format!("{}{}", "[".repeat(80_000), "]".repeat(80_000));
    let f = write(
        dir.path(),
        "deep.yaml",
        &format!("workflows:\n  w:\n    nodes:\n      - id: a\n        goal: {deep}\n"),
    );
    let started = Instant::now();
    let out = teamtune(dir.path(), &["validate", f.to_str().unwrap()]);
    assert!(started.elapsed().as_secs_f64() < 3.0);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("deep.yaml:5:138: maps and lists nest more than 128 levels"),
        "{}",
        stderr(&out)
    );
    let inputs = write(dir.path(), "in.yaml", &format!("k: {deep}\n"));
    let wf = repo_root().join("examples/research-team.yaml");
    let started = Instant::now();
    let out = teamtune(
        dir.path(),
        &[
            "run",
            wf.to_str().unwrap(),
            "--no-store",
            "--inputs-file",
            inputs.to_str().unwrap(),
        ],
    );
    assert!(started.elapsed().as_secs_f64() < 3.0);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("in.yaml:1:131:"), "{}", stderr(&out));
}

#[test]
fn errors_quote_a_short_prefix_of_a_long_value() {
    let long = "y".repeat(5_000_000);
    let (code, err) = validate(&format!(
        "workflows:\n  w:\n    nodes:\n      - id: a\n        tool_budget: \"{long}\"\n"
    ));
    assert_eq!(code, Some(2));
    assert!(err.len() < 400, "{} bytes", err.len());
    assert!(err.contains("… (5000000 bytes)"), "{err}");
}

#[test]
fn tabs_in_indentation_and_duplicate_members_are_located() {
    let (code, err) = validate(&team_file("        members: [{id: a}]\n\tnext: []\n"));
    assert_eq!(code, Some(2));
    assert!(
        err.contains("f.yaml:7:1: tabs are not allowed for indentation"),
        "{err}"
    );
    let (code, err) = validate(&team_file(
        "        members:\n          - id: a\n          - id: b\n          - {id: a, role: dup}\n",
    ));
    assert_eq!(code, Some(2));
    assert!(
        err.contains("f.yaml:9:") && err.contains("duplicate member id `a`"),
        "{err}"
    );
}

/// A workflow that succeeds only when `version` is the string "1.10".
const VERSION_GATE: &str = "workflows:\n  w:\n    nodes:\n      - id: check\n        type: condition\n        condition: \"{{ version == '1.10' }}\"\n        branches: {\"true\": done}\n      - id: done\n        type: transform\n        transform: {ok: 1}\n";

#[test]
fn input_values_are_strings_as_typed_and_input_json_is_typed() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "gate.yaml", VERSION_GATE);
    let f = f.to_str().unwrap();
    let out = teamtune(
        dir.path(),
        &["run", f, "--no-store", "--input", "version=1.10"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // Typed on purpose, 1.10 is the number 1.1.
    let out = teamtune(
        dir.path(),
        &["run", f, "--no-store", "--input-json", "version=1.10"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let out = teamtune(
        dir.path(),
        &["run", f, "--no-store", "--input-json", "version=\"1.10\""],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = teamtune(
        dir.path(),
        &["run", f, "--no-store", "--input-json", "version=1.10.0"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--input-json `version=1.10.0`: the value is not JSON"));
    // An inputs file keeps its YAML types: quoted is a string.
    let inputs = write(dir.path(), "in.yaml", "version: \"1.10\"\n");
    let out = teamtune(
        dir.path(),
        &[
            "run",
            f,
            "--no-store",
            "--inputs-file",
            inputs.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let help = stdout(&teamtune(dir.path(), &["run", "--help"]));
    assert!(help.contains("--input-json <KEY=JSON>") && help.contains("exactly as typed"));
}

#[test]
fn inputs_the_workflow_reads_and_never_gets_are_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "gate.yaml", VERSION_GATE);
    let f = f.to_str().unwrap();
    let out = teamtune(dir.path(), &["validate", f]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("warning: workflow `w` reads `version`"),
        "{}",
        stderr(&out)
    );
    let out = teamtune(dir.path(), &["run", f, "--no-store"]);
    assert!(
        stderr(&out).contains("warning: the workflow reads `version`"),
        "{}",
        stderr(&out)
    );
    let out = teamtune(
        dir.path(),
        &["run", f, "--no-store", "--input", "version=1.10"],
    );
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
    // Keys a node sets are not inputs.
    let out = teamtune(&repo_root(), &["validate", "examples/staged-pipeline.yaml"]);
    let err = stderr(&out);
    assert!(err.contains("reads `version` that"), "{err}");
    assert!(
        !err.contains("quality_score") && !err.contains("`build`"),
        "{err}"
    );
}

#[test]
fn a_loop_runs_to_the_iteration_cap_in_bounded_memory() {
    // 9,002 node executions (the cap is 10,000), a team in the loop: every visit is a
    // team run.
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "loop.yaml",
        "workflows:\n  w:\n    max_iterations: 10000\n    nodes:\n      - id: start\n        type: transform\n        transform: \"i = 0\"\n      - id: crew\n        type: team\n        sim: {work_calls: 0, think_s: 0, failure_rate: 0}\n        members: [{id: m}]\n      - id: inc\n        type: transform\n        transform: \"i = i + 1\"\n      - id: check\n        type: condition\n        condition: \"i < 3000\"\n        branches: {\"true\": crew, \"false\": done}\n      - id: done\n        type: transform\n        transform: {end: 1}\n",
    );
    let out = teamtune(
        dir.path(),
        &["run", f.to_str().unwrap(), "--no-store", "--json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        json_lines(&out)[0]["team_runs"].as_array().unwrap().len(),
        3000
    );
}

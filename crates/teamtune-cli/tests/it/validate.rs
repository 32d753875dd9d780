//! Load errors: `path:line:col`, exit 2, all semantic problems at once.

use crate::{stderr, teamtune, write};

#[test]
fn malformed_yaml_points_at_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "bad.yaml",
        "workflows:\n  w:\n    nodes:\n      - id: a\n        goal: [unclosed\n",
    );
    let out = teamtune(dir.path(), &["validate", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("bad.yaml:"), "{err}");
    let loc = err.split("bad.yaml:").nth(1).unwrap();
    let mut parts = loc.split(':');
    assert!(
        parts.next().unwrap().parse::<usize>().is_ok(),
        "line in {err}"
    );
    assert!(
        parts.next().unwrap().parse::<usize>().is_ok(),
        "column in {err}"
    );
    // A type error is located too.
    let f = write(
        dir.path(),
        "type.yaml",
        "workflows:\n  w:\n    nodes:\n      - id: a\n        tool_budget: lots\n",
    );
    let out = teamtune(dir.path(), &["validate", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("type.yaml:5:"), "{}", stderr(&out));
}

#[test]
fn unknown_formation_names_the_valid_ones_and_all_problems_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "sem.yaml",
        r#"workflows:
  w:
    nodes:
      - id: start
        type: team
        team_formation: swarm
        members: [{id: m1}]
        next: [a, b]
      - id: empty_team
        type: team
        members: []
        next: [nowhere]
      - id: orphan
        type: transform
        transform: {x: 1}
        next: []
"#,
    );
    let out = teamtune(dir.path(), &["validate", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("sem.yaml:6:1: node `start`: unknown team_formation `swarm`"),
        "{err}"
    );
    assert!(
        err.contains("sequential, parallel, pipeline, hierarchical, consensus"),
        "{err}"
    );
    assert!(
        err.contains("`next` lists 2 nodes") && err.contains("parallel"),
        "{err}"
    );
    assert!(err.contains("team `empty_team` has no members"), "{err}");
    assert!(err.contains("`nowhere` is not a node"), "{err}");
    assert!(
        err.contains("sem.yaml:13:1: node `orphan` is unreachable"),
        "{err}"
    );
}

#[test]
fn victor_forms_load_and_run() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "victor.yaml",
        r#"workflows:
  hitl_test:
    description: "Victor spellings"
    metadata: {version: "1.0"}
    nodes:
      - id: prepare
        type: agent
        role: writer
        goal: "Prepare ${topic}"
        tool_budget: 60
        allowed_tools: [read, write]
        output: draft_document
        next: [gate]
      - id: gate
        type: hitl
        hitl_type: approval
        prompt: "Approve {{ topic }}?"
        timeout: 300
        fallback: abort
        output: approval_decision
        next: [handle]
      - id: handle
        type: condition
        condition: "approval_decision"
        branches:
          "approved": done
          "rejected": revise
      - id: revise
        type: condition
        condition: "count >= 3"
        branches:
          true: done
          false: done
      - id: done
        type: transform
        transform: |
          status = "completed"
          result = ctx.draft_document
"#,
    );
    let out = teamtune(dir.path(), &["validate", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(
            "1 member names no `provider` or `command` and runs on the built-in simulator: prepare"
        ),
        "not a silent default: {}",
        stderr(&out)
    );
    for policy in ["approve", "reject"] {
        let out = teamtune(
            dir.path(),
            &[
                "run",
                f.to_str().unwrap(),
                "--hitl",
                policy,
                "--input",
                "topic=docs",
                "--input",
                "count=4",
                "--json",
                "--no-store",
            ],
        );
        assert_eq!(out.status.code(), Some(0), "{policy}: {}", stderr(&out));
    }
}

#[test]
fn missing_programs_and_api_keys_warn_and_fail_with_strict() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "machine.yaml",
        r#"providers:
  llm: {kind: openai, base_url: "http://127.0.0.1:9", model: m, api_key_env: TEAMTUNE_TEST_UNSET_KEY}
workflows:
  w:
    nodes:
      - id: crew
        type: team
        members:
          - id: missing
            command: ["/nonexistent/bin"]
          - id: unknown
            command: ["teamtune-no-such-program"]
          - id: fine
            command: ["sh", "-c", "true"]
          - id: writer
            provider: llm
"#,
    );
    let validate = |extra: &[&str], key: Option<&str>| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_teamtune"));
        cmd.arg("validate")
            .arg(&f)
            .args(extra)
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .env_remove("TEAMTUNE_TEST_UNSET_KEY");
        if let Some(k) = key {
            cmd.env("TEAMTUNE_TEST_UNSET_KEY", k);
        }
        cmd.output().unwrap()
    };
    let out = validate(&[], None);
    assert_eq!(
        out.status.code(),
        Some(0),
        "warnings only: {}",
        stderr(&out)
    );
    let err = stderr(&out);
    for expected in [
        "warning: ",
        "machine.yaml:6: member `crew/missing`: program `/nonexistent/bin`: no executable file there",
        "member `crew/unknown`: program `teamtune-no-such-program`: not found on PATH",
        "provider `llm`: environment variable TEAMTUNE_TEST_UNSET_KEY (its API key) is not set; used by crew/writer",
    ] {
        assert!(err.contains(expected), "{expected} in {err}");
    }
    assert!(!err.contains("`sh`"), "sh is on PATH: {err}");
    let strict = validate(&["--strict"], None);
    assert_eq!(strict.status.code(), Some(2));
    assert!(
        stderr(&strict).contains("cannot run on this machine (--strict)"),
        "{}",
        stderr(&strict)
    );
    // The JSON report carries them too; a key that is set is no longer one.
    let json = validate(&["--json"], Some("sk-test"));
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let kinds: Vec<&str> = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["program_not_found", "program_not_found"]);
}
